package ImsMember::Pg;

# A private PostgreSQL cluster for one test file: created in a temporary
# directory as the "postgres" user (PostgreSQL refuses to run as root),
# listening on 127.0.0.1 only, with the schema from sql/ and the fixtures
# from t/lib/fixtures.sql.  Importing this module starts it and exports
# TEST_NGINX_PG_HOST, TEST_NGINX_PG_PORT and TEST_NGINX_PG_DSN for the
# nginx configurations of the tests; it is removed when the file ends.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IPC::Run qw(start pump finish timeout);
use Time::HiRes qw(time);

my $root = abs_path(dirname(__FILE__) . '/../../..');
my ($bindir, $dir, $port, $owner_pid);

sub bindir {
    return $bindir if $bindir;
    my @dirs = sort { ($a =~ /(\d+)\/bin$/)[0] <=> ($b =~ /(\d+)\/bin$/)[0] }
               glob('/usr/lib/postgresql/*/bin');
    die "no PostgreSQL server found under /usr/lib/postgresql\n" unless @dirs;
    return $bindir = $dirs[-1];
}

sub as_postgres {
    my @cmd = @_;
    return $> == 0 ? ('runuser', '-u', 'postgres', '--', @cmd) : @cmd;
}

sub run_quiet {
    my @cmd = @_;
    my $out = '';
    my $ok = IPC::Run::run(\@cmd, '<', \undef, '>&', \$out);
    die "@cmd failed:\n$out" unless $ok;
    return $out;
}

sub free_port {
    for (1 .. 50) {
        my $p = 20000 + int(rand(20000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $p, Proto => 'tcp',
                                      ReuseAddr => 1, Listen => 1);
        if ($s) {
            close $s;
            return $p;
        }
    }
    die "no free port on 127.0.0.1\n";
}

sub psql_cmd {
    return ('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
            '-h', '127.0.0.1', '-p', $port, '-U', 'postgres', '-d', 'ims');
}

sub setup {
    $dir = tempdir('ims-pg-XXXXXX', TMPDIR => 1, CLEANUP => 0);
    chmod 0755, $dir;
    if ($> == 0) {
        my (undef, undef, $uid, $gid) = getpwnam('postgres')
            or die "no postgres user: is the postgresql package installed?\n";
        chown $uid, $gid, $dir;
    }

    $port = free_port();

    run_quiet(as_postgres(bindir() . '/initdb', '-D', "$dir/data",
                          '-A', 'trust', '-U', 'postgres', '-N',
                          '-E', 'UTF8', '--locale=C'));

    open my $fh, '>>', "$dir/data/postgresql.conf" or die "$!";
    print $fh "listen_addresses = '127.0.0.1'\n",
              "port = $port\n",
              "unix_socket_directories = '$dir'\n",
              "fsync = off\n",
              "synchronous_commit = off\n",
              "full_page_writes = off\n",
              "max_connections = 200\n",
              "log_min_messages = warning\n";
    close $fh;

    start_server();
    $owner_pid = $$;

    run_quiet(psql_cmd_db('postgres'), '-c', 'CREATE DATABASE ims');
    load("$root/sql/glance.sql", "$root/sql/ims.sql",
         "$root/t/lib/fixtures.sql");

    $ENV{TEST_NGINX_PG_HOST} = '127.0.0.1';
    $ENV{TEST_NGINX_PG_PORT} = $port;
    $ENV{TEST_NGINX_PG_DSN} = "hostaddr=127.0.0.1 port=$port dbname=ims"
                              . " user=postgres sslmode=disable";
}

sub psql_cmd_db {
    my $db = shift;
    my @cmd = psql_cmd();
    $cmd[-1] = $db;
    return @cmd;
}

sub load {
    run_quiet(psql_cmd(), map { ('-f', $_) } @_);
}

# Stops the server (as an operator's "pg_ctl stop -m fast" would).
sub stop_server {
    run_quiet(as_postgres(bindir() . '/pg_ctl', '-D', "$dir/data", '-w',
                          '-m', 'fast', 'stop'));
}

sub start_server {
    run_quiet(as_postgres(bindir() . '/pg_ctl', '-D', "$dir/data", '-w',
                          '-l', "$dir/server.log", 'start'));
}

# Runs SQL and returns its rows as text, fields joined by "|".
sub sql {
    my $query = shift;
    my $out = run_quiet(psql_cmd(), '-c', $query);
    chomp $out;
    return $out;
}

# Puts the fixtures back as they were.
sub reset_fixtures {
    load("$root/t/lib/fixtures.sql");
}

# A psql session that stays open, to hold locks while nginx works.
sub session {
    my ($in, $out) = ('', '');
    my $h = start([psql_cmd()], \$in, '>&', \$out, timeout(30));
    return bless { h => $h, in => \$in, out => \$out, n => 0 },
                 'ImsMember::Pg::Session';
}

# Waits (bounded) until a backend waits for a lock held by another one.
sub wait_for_lock_waiter {
    my $deadline = time + 20;
    while (time < $deadline) {
        my $n = sql("SELECT count(*) FROM pg_stat_activity"
                    . " WHERE wait_event_type = 'Lock'");
        return 1 if $n > 0;
        select(undef, undef, undef, 0.05);
    }
    die "no backend started waiting for the lock\n";
}

END {
    if ($dir && $owner_pid && $owner_pid == $$) {
        eval {
            IPC::Run::run([as_postgres(bindir() . '/pg_ctl', '-D',
                                       "$dir/data", '-m', 'immediate',
                                       'stop')],
                          '<', \undef, '>', \my $o, '2>', \my $e);
        };
        system('rm', '-rf', $dir) unless $ENV{TEST_NGINX_NO_CLEAN};
    }
}


package ImsMember::Pg::Session;

sub query {
    my ($self, $query) = @_;
    my $mark = '__ims_done_' . ++$self->{n} . '__';
    $query .= ';' unless $query =~ /;\s*$/;
    ${ $self->{out} } = '';
    ${ $self->{in} } .= "$query\n\\echo $mark\n";
    $self->{h}->pump until ${ $self->{out} } =~ /\Q$mark\E/;
    my $out = ${ $self->{out} };
    $out =~ s/\Q$mark\E\n?//;
    chomp $out;
    return $out;
}

sub close {
    my $self = shift;
    ${ $self->{in} } .= "\\q\n";
    $self->{h}->finish;
}


package ImsMember::Pg;

setup() unless $ENV{IMS_MEMBER_PG_NO_SETUP};

1;
