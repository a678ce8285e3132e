package ImsMember::AutoFailover;

# A pg_auto_failover formation for one test file (Debian's
# postgresql-15-auto-failover and pg-auto-failover-cli): a monitor and two
# data nodes, synchronous as pg_auto_failover sets them up, on loopback,
# as the "postgres" user in a temporary directory; the schema from sql/
# and the fixtures from t/lib/fixtures.sql loaded through the formation's
# URI.  The monitor's health checks are made quicker than their defaults
# (5 s a check, a node unhealthy after 20 s, 30 s for a dead primary to
# demote itself before its standby is promoted) so that a crash fails
# over in seconds.  Every pg_autoctl runs in a process group of its own:
# a node's keeper is several processes whose titles change, and its
# "start/stop postgres" child starts a killed postgres again at once, so
# that a node is killed as a whole by its group.  Everything is stopped
# when the file ends.

use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

# the helpers, not a cluster of their own
BEGIN { $ENV{IMS_MEMBER_PG_NO_SETUP} //= 1 }
use ImsMember::Pg ();

my $root = ImsMember::Pg::root();
my ($dir, $owner_pid, $primary, %group, %port, %bouncer);

sub bindir { ImsMember::Pg::bindir() }

sub env {
    return ('env', 'PATH=' . bindir() . ':/usr/bin:/bin',
            "XDG_CONFIG_HOME=$dir/config", "XDG_DATA_HOME=$dir/share");
}

sub autoctl {
    return ImsMember::Pg::run_quiet('runuser', '-u', 'postgres', '--', env(),
                                    'pg_autoctl', @_);
}

# "pg_autoctl run" of a node in a process group of its own.
sub run_node {
    my $name = shift;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setsid();
        open STDOUT, '>>', "$dir/$name.log" or die "$!";
        open STDERR, '>&', \*STDOUT or die "$!";
        exec 'runuser', '-u', 'postgres', '--', env(), 'pg_autoctl', 'run',
             '--pgdata', "$dir/$name";
        die "exec: $!";
    }
    $group{$name} = $pid;
}

# The monitor's state table: "name port reported assigned" a node.
sub state {
    my $out = eval { autoctl('show', 'state', '--pgdata', "$dir/monitor") }
              // '';
    my @nodes;
    for (split /\n/, $out) {
        my @f = map { s/^\s+|\s+$//gr } split /\|/;
        next unless @f == 7 && $f[1] =~ /^\d+$/;
        my ($p) = $f[2] =~ /:(\d+)$/;
        push @nodes, "$f[0] $p $f[5] $f[6]";
    }
    return @nodes;
}

# The port of the node the monitor has as primary, and whose own report
# agrees, once there is one and a secondary; undef at the deadline.
sub settled {
    my $limit = shift || 60;
    my $deadline = time + $limit;
    while (time < $deadline) {
        my @s = state();
        my ($primary) = map { (split / /)[1] }
                        grep { / primary primary$/ } @s;
        return $primary if $primary && grep { / secondary secondary$/ } @s;
        sleep 0.2;
    }
    return undef;
}

sub start {
    $dir = tempdir('ims-paf-XXXXXX', TMPDIR => 1, CLEANUP => 0);
    chmod 0755, $dir;
    my (undef, undef, $uid, $gid) = getpwnam('postgres')
        or die "no postgres user: is the postgresql package installed?\n";
    chown $uid, $gid, $dir;
    $owner_pid = $$;

    %port = map { $_ => ImsMember::Pg::free_port() } qw(monitor node1 node2);

    autoctl('create', 'monitor', '--pgdata', "$dir/monitor",
            '--pgport', $port{monitor}, '--hostname', '127.0.0.1',
            '--auth', 'trust', '--no-ssl');
    run_node('monitor');

    my $monitor = "postgres://autoctl_node\@127.0.0.1:$port{monitor}"
                  . "/pg_auto_failover?sslmode=disable";
    ImsMember::Pg::wait_until(sub {
        eval { monitor_sql('SELECT 1') } // '' eq '1'
    }, 30) or die "the monitor did not start\n";

    for my $guc ('health_check_period = 1000',
                 'health_check_timeout = 1000',
                 'health_check_retry_delay = 500',
                 'health_check_max_retries = 1',
                 'node_considered_unhealthy_timeout = 3000',
                 'primary_demote_timeout = 3000')
    {
        monitor_sql("ALTER SYSTEM SET pgautofailover.$guc");
    }
    monitor_sql('SELECT pg_reload_conf()');

    for my $name (qw(node1 node2)) {
        autoctl('create', 'postgres', '--pgdata', "$dir/$name",
                '--pgport', $port{$name}, '--hostname', '127.0.0.1',
                '--monitor', $monitor, '--auth', 'trust', '--no-ssl',
                '--name', $name);
        run_node($name);
        # the first node is primary before the second joins
        settled_alone(30) if $name eq 'node1';
    }

    $primary = settled(60) or die "the formation did not settle\n";

    ImsMember::Pg::query_at($primary, 'postgres', 'CREATE DATABASE ims');
    for my $f ("$root/sql/glance.sql", "$root/sql/ims.sql",
               "$root/t/lib/fixtures.sql")
    {
        ImsMember::Pg::run_quiet(ImsMember::Pg::psql_cmd($primary, 'ims'),
                                 '-f', $f);
    }

    return dsn();
}

sub settled_alone {
    my $limit = shift;
    my $deadline = time + $limit;
    while (time < $deadline) {
        return 1 if grep { / (wait_primary|single) \1$/ } state();
        sleep 0.2;
    }
    die "the first node did not become primary\n";
}

# The module's conninfo: both nodes, the one that takes writes, as the URI
# "pg_autoctl show uri --formation default" prints names them.
sub dsn {
    return "postgresql://postgres\@127.0.0.1:$port{node1},127.0.0.1:"
           . "$port{node2}/ims?target_session_attrs=read-write"
           . "&sslmode=disable";
}

sub uri {
    return autoctl('show', 'uri', '--pgdata', "$dir/monitor",
                   '--formation', 'default');
}

sub monitor_sql {
    return ImsMember::Pg::query_at($port{monitor}, 'pg_auto_failover',
                                   shift);
}

sub node_port { $port{$_[0]} }

sub node_of_port {
    my $p = shift;
    my ($name) = grep { $port{$_} == $p } qw(node1 node2);
    return $name;
}

# PgBouncer (Debian's, transaction pooling) between the module and the
# formation, as the postgres user, in a process group of its own, and
# scripts/pgbouncer-follow.sh beside it: the operator's recipe.  The
# database's entry lives in a file the configuration includes, which the
# loop rewrites to name the node that takes writes, then has PgBouncer
# RELOAD.  A server that refused a login is tried again after 1 s; a
# client waits at most 3 s (ims_member_timeout) for a server session.
# Returns PgBouncer's port.
sub bouncer_start {
    my $interval = shift || 1;
    $bouncer{port} = ImsMember::Pg::free_port();
    my $bdir = "$dir/bouncer";
    mkdir $bdir;
    my (undef, undef, $uid, $gid) = getpwnam('postgres');
    chown $uid, $gid, $bdir;
    open my $fh, '>', "$bdir/pgbouncer.ini" or die "$!";
    print $fh <<"_EOC_";
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer{port}
unix_socket_dir =
auth_type = trust
auth_file = $bdir/users
admin_users = postgres
pool_mode = transaction
default_pool_size = 20
max_client_conn = 1000
server_login_retry = 1
query_wait_timeout = 3
logfile = $bdir/pgbouncer.log

%include $bdir/primary.ini
_EOC_
    close $fh;
    open $fh, '>', "$bdir/primary.ini" or die "$!";
    print $fh "[databases]\nims = dbname=ims host=127.0.0.1 port=$primary\n";
    close $fh;
    open $fh, '>', "$bdir/users" or die "$!";
    print $fh qq{"postgres" ""\n};
    close $fh;
    $bouncer{pid} = ImsMember::Pg::spawn("$bdir/pgbouncer.out", {},
        ImsMember::Pg::as_postgres('/usr/sbin/pgbouncer',
                                   "$bdir/pgbouncer.ini"));
    ImsMember::Pg::wait_until(sub {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $bouncer{port}, Proto => 'tcp')
    }, 10) or die "PgBouncer did not start (see $bdir/pgbouncer.log)\n";

    $bouncer{follow} = ImsMember::Pg::spawn("$bdir/follow.log", {},
        'sh', "$root/scripts/pgbouncer-follow.sh",
        "host=127.0.0.1,127.0.0.1 port=$port{node1},$port{node2}"
        . " dbname=postgres user=postgres connect_timeout=2",
        'ims = dbname=ims', "$bdir/primary.ini",
        "host=127.0.0.1 port=$bouncer{port} dbname=pgbouncer"
        . " user=postgres connect_timeout=2", $interval);
    return $bouncer{port};
}

# The module's conninfo through PgBouncer.
sub bouncer_dsn {
    return "hostaddr=127.0.0.1 port=$bouncer{port} dbname=ims user=postgres"
           . " sslmode=disable";
}

# A command on PgBouncer's console (SHOW POOLS, ...); rows as text.
sub bouncer_admin {
    return ImsMember::Pg::query_at($bouncer{port}, 'pgbouncer', shift);
}

# What the loop did: its lines.
sub bouncer_follow_log {
    open my $fh, '<', "$dir/bouncer/follow.log" or return ();
    return map { chomp; $_ } <$fh>;
}

sub bouncer_stop {
    for my $k (qw(follow pid)) {
        ImsMember::Pg::reap($bouncer{$k}) if $bouncer{$k};
        $bouncer{$k} = undef;
    }
}

# A planned switchover, as an operator asks for one; the new primary's
# port once the formation has settled again.
sub switchover {
    autoctl('perform', 'switchover', '--pgdata', "$dir/monitor",
            '--formation', 'default');
    return $primary = settled(60);
}

# A node dies as a whole: its keeper's process group, then its postgres,
# SIGKILL.
sub kill_node {
    my $name = shift;
    kill 'KILL', -$group{$name} if $group{$name};
    waitpid $group{$name}, 0 if $group{$name};
    delete $group{$name};
    if (open my $fh, '<', "$dir/$name/postmaster.pid") {
        my $pid = <$fh>;
        chomp $pid;
        kill 'KILL', $pid if $pid;
    }
}

# After the primary at $old died: the port of the node promoted in its
# place (wait_primary: alone, its commits no longer wait for a standby).
sub settled_after_kill {
    my ($old, $limit) = @_;
    my $deadline = time + ($limit || 60);
    while (time < $deadline) {
        my ($new) = map { (split / /)[1] }
                    grep { / (wait_primary|primary) \1$/ } state();
        return $primary = $new if $new && $new != $old;
        sleep 0.2;
    }
    return undef;
}

# A node killed before comes back: its keeper rejoins it as a standby.
sub restart_node {
    run_node(shift);
    return $primary = settled(120);
}

# The file's temporary directory, for a test's own files.
sub dir { $dir }

# The node the formation has as primary (as last seen).
sub primary { $primary }

# Runs SQL on the primary's "ims" database; its rows as text.
sub sql {
    return ImsMember::Pg::query_at($primary, 'ims', shift);
}

sub stop_all {
    bouncer_stop();
    for my $name (qw(node1 node2 monitor)) {
        next unless $group{$name};
        kill 'TERM', -$group{$name};
    }
    my $deadline = time + 15;
    for my $name (qw(node1 node2 monitor)) {
        next unless $group{$name};
        while (waitpid($group{$name}, POSIX::WNOHANG()) == 0
               && time < $deadline)
        {
            sleep 0.1;
        }
        kill 'KILL', -$group{$name};
        waitpid $group{$name}, 0;
    }
    %group = ();
}

END {
    if ($owner_pid && $$ == $owner_pid) {
        stop_all();
        system('rm', '-rf', $dir) if $dir && !$ENV{TEST_NGINX_NO_CLEAN};
    }
}

1;
