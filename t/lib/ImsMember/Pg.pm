package ImsMember::Pg;

# A private PostgreSQL cluster for one test file: created in a temporary
# directory as the "postgres" user (PostgreSQL refuses to run as root),
# listening on 127.0.0.1 only, with the schema from sql/ and the fixtures
# from t/lib/fixtures.sql.  Importing this module starts it and exports
# for the nginx configurations of the tests TEST_NGINX_PG_HOST,
# TEST_NGINX_PG_PORT, TEST_NGINX_PG_DSN (the module's database),
# TEST_NGINX_PG_PREPARE (on) and TEST_NGINX_PG_LISTEN (the cluster itself,
# for the LISTEN of new jobs); it is removed when the file ends.
#
# IMS_MEMBER_PG_SSL=1: the cluster takes SSL (Debian's snakeoil
# certificate) and the DSN says sslmode=require.
#
# IMS_MEMBER_PGBOUNCER=1: PgBouncer in transaction pooling mode stands in
# front of the cluster; TEST_NGINX_PG_DSN names it and TEST_NGINX_PG_PREPARE
# is off, TEST_NGINX_PG_LISTEN still goes straight to the cluster.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use HTTP::Tiny;
use IPC::Run qw(start pump finish timeout);
use POSIX ();
use Time::HiRes qw(time);

my $root = abs_path(dirname(__FILE__) . '/../../..');
my ($bindir, $dir, $port, $owner_pid);

# The repository's top directory.
sub root {
    return $root;
}

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
    # below the kernel's ephemeral ports (32768-60999): an outgoing
    # connection to a stopped server could otherwise take the port
    for (1 .. 50) {
        my $p = 12000 + int(rand(20000));
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

# psql on a server of the tests: the cluster unless a port is given, its
# "ims" database unless another is.
sub psql_cmd {
    my ($p, $db) = @_;
    return ('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
            '-h', '127.0.0.1', '-p', $p || $port, '-U', 'postgres',
            '-d', $db // 'dbname=ims application_name=ims-test');
}

# Runs SQL there and returns its rows as text, fields joined by "|".
sub query_at {
    my ($p, $db, $query) = @_;
    my $out = run_quiet(psql_cmd($p, $db), '-c', $query);
    chomp $out;
    return $out;
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
    if ($ENV{IMS_MEMBER_PG_SSL}) {
        ssl_files();
        print $fh "ssl = on\n",
                  "ssl_cert_file = '$dir/server.crt'\n",
                  "ssl_key_file = '$dir/server.key'\n";
    }
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
    $ENV{TEST_NGINX_PG_DSN} = dsn('postgres');
    $ENV{TEST_NGINX_PG_PREPARE} = 'on';
    $ENV{TEST_NGINX_PG_LISTEN} = dsn('postgres');

    if ($ENV{IMS_MEMBER_PGBOUNCER}) {
        pgbouncer_start();
        $ENV{TEST_NGINX_PG_DSN} = pgbouncer_dsn('postgres');
        $ENV{TEST_NGINX_PG_PREPARE} = 'off';
    }
}

# PgBouncer (Debian's) in transaction pooling mode in front of the cluster,
# as the postgres user, on a port of its own; stopped when the file ends.
# It tries a server that refused a login again after 1 s (its default of
# 15 s would outlast any outage the tests make).  Returns its port.
my ($bouncer_pid, $bouncer_port, $bouncer_owner);

sub pgbouncer_start {
    my (%o) = @_;
    die "PgBouncer is already running\n" if $bouncer_pid;
    # started again after pgbouncer_stop(): on the same port
    $bouncer_port ||= free_port();
    my $pool = $o{pool_size} || 20;
    open my $fh, '>', "$dir/pgbouncer.ini" or die "$!";
    print $fh <<"_EOC_";
[databases]
ims = host=127.0.0.1 port=$port dbname=ims

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $dir/pgbouncer.users
admin_users = postgres
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 1000
server_login_retry = 1
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
_EOC_
    # 1.21 and later can carry named statements in transaction mode; the
    # tests want the transaction mode of Debian bookworm's 1.18
    my ($major, $minor) = run_quiet('/usr/sbin/pgbouncer', '--version')
                          =~ /PgBouncer (\d+)\.(\d+)/;
    print $fh "max_prepared_statements = 0\n"
        if $major > 1 || ($major == 1 && $minor >= 21);
    close $fh;
    open $fh, '>', "$dir/pgbouncer.users" or die "$!";
    print $fh qq{"postgres" ""\n"ims_limited" ""\n};
    close $fh;
    $bouncer_owner = $$;
    $bouncer_pid = spawn("$dir/pgbouncer.out", {},
                         as_postgres('/usr/sbin/pgbouncer',
                                     "$dir/pgbouncer.ini"));
    wait_until(sub {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $bouncer_port, Proto => 'tcp')
    }, 10) or die "PgBouncer did not start (see $dir/pgbouncer.log)\n";
    return $bouncer_port;
}

# Stops PgBouncer as its service would (SIGTERM; SIGKILL if it lingers).
sub pgbouncer_stop {
    reap($bouncer_pid);
    $bouncer_pid = undef;
}

# The module's connection string through PgBouncer, for a role.
sub pgbouncer_dsn {
    my $user = shift;
    return "hostaddr=127.0.0.1 port=$bouncer_port dbname=ims user=$user"
           . " sslmode=disable";
}

# A command on PgBouncer's console (SHOW POOLS, PAUSE, RESUME, ...); its
# rows as text, fields joined by "|".
sub pgbouncer_admin {
    return query_at($bouncer_port, 'pgbouncer', shift);
}

# Statistics (pg_stat_*) of a session reach the server at most once a
# second, or when it ends: behind PgBouncer the server sessions outlive the
# nginx of a test, and what they did may arrive during the next one.  Ends
# them, so that a test counts only its own writes.
sub settle_stats {
    return unless $bouncer_pid;
    pgbouncer_admin('RECONNECT');
    wait_until(sub { !module_backends() }, 10)
        or die "PgBouncer kept its server sessions: "
               . sql("SELECT pid, state, query FROM pg_stat_activity"
                     . " WHERE datname = 'ims'") . "\n";
}

sub pgbouncer_log {
    open my $fh, '<', "$dir/pgbouncer.log" or return '';
    local $/;
    return <$fh>;
}

# The module's connection string for a role of the test cluster.
sub dsn {
    my $user = shift;
    return "hostaddr=127.0.0.1 port=$port dbname=ims user=$user sslmode="
           . ($ENV{IMS_MEMBER_PG_SSL} ? 'require' : 'disable');
}

# The server's certificate and key, readable by the postgres user only.
sub ssl_files {
    my ($crt, $key) = ('/etc/ssl/certs/ssl-cert-snakeoil.pem',
                       '/etc/ssl/private/ssl-cert-snakeoil.key');
    die "no $key: is the ssl-cert package installed?\n" unless -r $key;
    run_quiet('cp', $crt, "$dir/server.crt");
    run_quiet('cp', $key, "$dir/server.key");
    chmod 0600, "$dir/server.key";
    if ($> == 0) {
        my (undef, undef, $uid, $gid) = getpwnam('postgres');
        chown $uid, $gid, "$dir/server.crt", "$dir/server.key";
    }
}

sub psql_cmd_db {
    return psql_cmd(undef, shift);
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

# The cluster's temporary directory, for a test's own files.
sub dir {
    return $dir;
}

sub port {
    return $port;
}

# A streaming standby of the cluster (pg_basebackup -R), on a port of its
# own, and the cluster made its synchronous primary: a commit returns only
# once the standby has it.  Returns the standby's port.
my ($standby_port, $standby_owner);

sub standby_start {
    $standby_port = free_port();
    $standby_owner = $$;
    sql("ALTER SYSTEM SET synchronous_standby_names = '*'");
    sql("ALTER SYSTEM SET synchronous_commit = on");
    sql("SELECT pg_reload_conf()");
    run_quiet(as_postgres(bindir() . '/pg_basebackup', '-h', '127.0.0.1',
                          '-p', $port, '-U', 'postgres', '-D',
                          "$dir/standby", '-R', '-X', 'stream', '-c', 'fast'));
    open my $fh, '>>', "$dir/standby/postgresql.auto.conf" or die "$!";
    print $fh "port = $standby_port\n";
    close $fh;
    run_quiet(as_postgres(bindir() . '/pg_ctl', '-D', "$dir/standby", '-w',
                          '-l', "$dir/standby.log", 'start'));
    wait_until(sub {
        sql("SELECT count(*) FROM pg_stat_replication"
            . " WHERE sync_state = 'sync'") eq '1'
    }, 30) or die "the standby did not become synchronous\n";
    return $standby_port;
}

# Runs SQL on the standby (or, once promoted, the new primary).
sub standby_sql {
    return query_at($standby_port, undef, shift);
}

# Promotes the standby, and, as a failover tool does, stops it waiting for
# a synchronous standby of its own (it has none: its commits would hang).
sub standby_promote {
    run_quiet(as_postgres(bindir() . '/pg_ctl', '-D', "$dir/standby", '-w',
                          'promote'));
    standby_sql("ALTER SYSTEM RESET synchronous_standby_names");
    standby_sql("SELECT pg_reload_conf()");
}

# Stops the primary as a crash would (pg_ctl stop -m immediate).
sub crash_server {
    run_quiet(as_postgres(bindir() . '/pg_ctl', '-D', "$dir/data", '-w',
                          '-m', 'immediate', 'stop'));
}

# Runs SQL on the cluster and returns its rows as text, fields joined by "|".
sub sql {
    return query_at(undef, undef, shift);
}

# Restarts the server, as an operator's "pg_ctl restart -m fast" would.
sub restart_server {
    run_quiet(as_postgres(bindir() . '/pg_ctl', '-D', "$dir/data", '-w',
                          '-m', 'fast', '-l', "$dir/server.log", 'restart'));
}

# The backends of other clients (nginx's), not this psql's: the pooled
# ones, or with $listen the ones that LISTEN.
sub module_backends {
    my $listen = shift;
    my $cond = $listen ? "query LIKE 'LISTEN%'" : "query NOT LIKE 'LISTEN%'";
    my $out = sql("SELECT string_agg(pid::text, ' ' ORDER BY pid)"
                  . " FROM pg_stat_activity WHERE datname = 'ims'"
                  . " AND backend_type = 'client backend'"
                  . " AND pid <> pg_backend_pid()"
                  . " AND application_name <> 'ims-test' AND $cond");
    return split ' ', $out;
}

# Ends those backends as pg_terminate_backend() does (an administrator, a
# failover tool); returns how many.
sub terminate_backends {
    my $listen = shift;
    my @pids = module_backends($listen);
    sql("SELECT pg_terminate_backend($_)") for @pids;
    return scalar @pids;
}

# Polls $cond (bounded) until it is true; returns its last value.
sub wait_until {
    my ($cond, $limit) = @_;
    my $deadline = time + ($limit || 20);
    my $v;
    until (($v = $cond->()) || time > $deadline) {
        select(undef, undef, undef, 0.02);
    }
    return $v;
}

# A service of the tests in the background, in a process group of its own,
# its output appended to a file: (output file, environment, command).
sub spawn {
    my ($out, $env, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $out;
        open STDERR, '>&', \*STDOUT;
        setpgrp(0, 0);
        $ENV{$_} = $env->{$_} for keys %$env;
        exec @cmd;
        die "exec $cmd[0]: $!";
    }
    return $pid;
}

# Waits (bounded) until a service answers 200 at a URL; dies if it exits.
sub wait_http {
    my ($pid, $url, $limit, $what) = @_;
    my $http = HTTP::Tiny->new(timeout => 5);
    my $deadline = time + $limit;
    while (time < $deadline) {
        return if $http->get($url)->{status} == 200;
        die "$what exited\n" if waitpid($pid, POSIX::WNOHANG()) == $pid;
        select(undef, undef, undef, 0.2);
    }
    die "$what did not come up in $limit s\n";
}

# Stops a spawned service and its process group, TERM then KILL.
sub reap {
    my $pid = shift;
    kill 'TERM', -$pid;
    my $deadline = time + 30;
    while (time < $deadline) {
        return if waitpid($pid, POSIX::WNOHANG()) == $pid;
        select(undef, undef, undef, 0.05);
    }
    kill 'KILL', -$pid;
    waitpid($pid, 0);
}

# Puts the fixtures back as they were.
sub reset_fixtures {
    load("$root/t/lib/fixtures.sql");
}

# A psql session that stays open, to hold locks while nginx works; as
# another role if one is named.
sub session {
    my $role = shift;
    my ($in, $out) = ('', '');
    my @cmd = psql_cmd();
    if ($role) {
        $_ = $role for grep { $_ eq 'postgres' } @cmd;
    }
    my $h = start(\@cmd, \$in, '>&', \$out, timeout(30));
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

# Holds the row locks of $lock_sql in a second process until $release()
# returns true (polled, bounded); returns once the locks are held.  wait()
# reaps the process.
sub hold_lock_until {
    my ($lock_sql, $release) = @_;
    pipe(my $r, my $w) or die "pipe: $!\n";
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        close $r;
        my $lock = session();
        $lock->query("BEGIN");
        $lock->query($lock_sql);
        syswrite $w, "locked\n";
        my $deadline = time + 20;
        until ($release->() || time > $deadline) {
            select(undef, undef, undef, 0.02);
        }
        $lock->query("COMMIT");
        $lock->close;
        require POSIX;
        POSIX::_exit(0);
    }
    close $w;
    my $line = <$r>;
    die "the lock holder failed\n" unless defined $line;
    return $pid;
}

# Submits a job with a known id, as the module does (ims_job_submit()).
sub submit_job {
    my ($id, $project, $status, $vault, @images) = @_;
    my $json = '[' . join(',', map { qq{"$_"} } @images) . ']';
    my $v = defined $vault ? "'$vault'" : 'NULL';
    return sql("SELECT ims_job_submit(NULL, '$project', false, '$id',"
               . " '$project', '$status', $v, '$json')");
}

# Waits (bounded) until a job is SUCCESS or FAIL; returns its status.
sub wait_job {
    my ($id, $limit) = @_;
    my $deadline = time + ($limit || 30);
    my $status = '';
    while (time < $deadline) {
        $status = sql("SELECT status FROM ims_jobs WHERE id = '$id'");
        return $status if $status eq 'SUCCESS' || $status eq 'FAIL';
        select(undef, undef, undef, 0.02);
    }
    return $status;
}

# How many lines of the error log of the nginx under test hold a pattern.
sub error_log_count {
    my $pattern = shift;
    no warnings 'once';
    my $file = $Test::Nginx::Util::ErrLogFile
               || "$Test::Nginx::Util::ServRoot/logs/error.log";
    my $n = 0;
    open my $fh, '<', $file or return 0;
    while (<$fh>) {
        $n++ if index($_, $pattern) >= 0;
    }
    return $n;
}

sub error_log_has {
    return error_log_count(shift) > 0;
}

# Another nginx on the same database, with a master and its workers, for
# the tests of several instances: (name, port, workers, extra http config).
sub nginx_start {
    my (%o) = @_;
    my $prefix = "$dir/nginx-$o{name}";
    mkdir $prefix;
    mkdir "$prefix/logs";
    mkdir "$prefix/conf";
    my $modules = join '', map { "load_module $_;\n" }
                           split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');
    my $workers = $o{workers} || 2;
    my $extra = $o{http_config} || '';
    open my $fh, '>', "$prefix/conf/nginx.conf" or die "$!";
    print $fh <<"_EOC_";
${modules}worker_processes $workers;
error_log logs/error.log debug;
pid logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $prefix/body;
    ims_member_database "$ENV{TEST_NGINX_PG_DSN}";
    ims_member_prepare $ENV{TEST_NGINX_PG_PREPARE};
    ims_member_job_listen "$ENV{TEST_NGINX_PG_LISTEN}";
$extra
    server {
        listen 127.0.0.1:$o{port};
        location = /v1/cloudimages/members { ims_member_batch; }
        location ~ ^/v1/[^/]+/jobs/[^/]+\$ { ims_member_jobs; }
    }
}
_EOC_
    close $fh;
    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my @cmd = ($bin, '-p', "$prefix/", '-c', "$prefix/conf/nginx.conf");
    if ($o{valgrind}) {
        # in the foreground, one process, as our child under valgrind
        my $h = start(['valgrind', '-q', '--leak-check=full',
                       '--show-leak-kinds=definite,possible',
                       '--errors-for-leak-kinds=definite',
                       '--keep-debuginfo=yes', '--num-callers=30',
                       "--suppressions=$root/valgrind.suppress",
                       "--log-file=$o{valgrind}", @cmd,
                       '-g', 'daemon off; master_process off;'],
                      '<', \undef, '>', "$prefix/logs/stdout",
                      '2>', "$prefix/logs/stderr");
        my $deadline = time + 60;
        until (IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $o{port}, Proto => 'tcp'))
        {
            die "nginx under valgrind did not start\n" if time > $deadline;
            select(undef, undef, undef, 0.1);
        }
        return { prefix => $prefix, port => $o{port}, run => $h };
    }
    run_quiet(@cmd);
    return { prefix => $prefix, port => $o{port} };
}

sub nginx_master {
    my $h = shift;
    open my $fh, '<', "$h->{prefix}/logs/nginx.pid" or return undef;
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# The worker processes of an instance: the master's children.
sub nginx_workers {
    my $h = shift;
    my $master = nginx_master($h) or return ();
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*\) \S (\d+)/ or next;
        push @pids, $pid if $ppid == $master;
    }
    return @pids;
}

# Sends a signal to the master and waits (bounded) for it to exit.
sub nginx_stop {
    my ($h, $sig) = @_;
    my $master = nginx_master($h) or return;
    kill $sig || 'QUIT', $master;
    my $deadline = time + 30;
    while (kill(0, $master) && time < $deadline) {
        select(undef, undef, undef, 0.02);
    }
}

sub nginx_log {
    my $h = shift;
    open my $fh, '<', "$h->{prefix}/logs/error.log" or return '';
    local $/;
    return <$fh>;
}

our $HttpPort;

# The port of the nginx under test, as Test::Nginx chose it.
sub nginx_port {
    no warnings 'once';
    return $HttpPort if $HttpPort;
    return $Test::Nginx::Util::ServerPortForClient
           || $Test::Nginx::Util::ServerPort
           || $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
}

# Sends a request to the nginx under test and returns the socket, to read
# the answer later with http_read(): requests that wait in nginx while the
# test goes on.
sub http_send {
    my ($method, $path, $body, %headers) = @_;
    my $s;
    my $deadline = time + 30;

    # nginx may still be starting (under valgrind, say)
    until ($s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => nginx_port(),
                                      Proto => 'tcp'))
    {
        die "cannot connect to nginx: $!\n" if time > $deadline;
        select(undef, undef, undef, 0.1);
    }
    $body //= '';
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n"
              . "Content-Length: " . length($body) . "\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    $req .= "\r\n$body";
    print $s $req;
    return $s;
}

# Reads a whole answer: (status, body).
sub http_read {
    my ($s, $timeout) = @_;
    my $data = '';
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    my $deadline = time + ($timeout || 20);
    while (time < $deadline) {
        my $rout = $rin;
        next unless select($rout, undef, undef, $deadline - time) > 0;
        my $n = sysread($s, $data, 65536, length $data);
        last if !$n;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d+)};
    return ($status // 0, $body // '');
}

sub http {
    return http_read(http_send(@_));
}

# A member update as the tests send it.
sub put_member {
    my ($image, $member, $body, $token) = @_;
    return http('PUT', "/v2/images/$image/members/$member", $body,
                'X-Auth-Token' => $token || 'tok-member');
}

END {
    if ($bouncer_pid && $bouncer_owner && $bouncer_owner == $$) {
        eval { reap($bouncer_pid) };
    }
    if ($dir && $standby_owner && $standby_owner == $$) {
        eval {
            IPC::Run::run([as_postgres(bindir() . '/pg_ctl', '-D',
                                       "$dir/standby", '-m', 'immediate',
                                       'stop')],
                          '<', \undef, '>', \my $o, '2>', \my $e);
        };
    }
    if ($dir && $owner_pid && $owner_pid == $$) {
        eval {
            IPC::Run::run([as_postgres(bindir() . '/pg_ctl', '-D',
                                       "$dir/data", '-m', 'immediate',
                                       'stop')],
                          '<', \undef, '>', \my $o, '2>', \my $e);
        };
        for my $pidfile (glob "$dir/nginx-*/logs/nginx.pid") {
            open my $fh, '<', $pidfile or next;
            my $pid = <$fh>;
            kill 'TERM', $pid if $pid;
        }
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
