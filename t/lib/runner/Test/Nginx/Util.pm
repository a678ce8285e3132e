package Test::Nginx::Util;

# The engine of the bundled stand-in for CPAN's Test::Nginx::Socket
# (openresty/test-nginx), for systems where that module is not packaged:
#
#   * settings, from TEST_NGINX_* environment variables and from the
#     functions a test file calls (repeat_each, workers, log_level, ...);
#   * the server root (conf/ logs/ html/ and nginx's temporary paths) and
#     the nginx.conf written for each block;
#   * starting, reloading (TEST_NGINX_USE_HUP) and stopping nginx, also
#     under valgrind (TEST_NGINX_USE_VALGRIND), and "--- must_die" blocks;
#   * reading the error log block by block;
#   * the loop over the blocks of a test file (run_tests / run_test).
#
# Test/Nginx/Socket.pm builds on it: it sends the requests and checks the
# answers and the error log.  The names of the package variables and of
# the exported functions are those of the real module, so that helpers
# written for it ($Test::Nginx::Util::ServRoot, ::ErrLogFile,
# ::ServerPortForClient, ...) work unchanged.

use strict;
use warnings;

our $VERSION = '0.33';

use base 'Exporter';

use Carp qw(croak);
use File::Find ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use POSIX qw(:sys_wait_h SIGQUIT SIGKILL SIGTERM SIGHUP SIGUSR1);
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use Test::More ();          # loaded before our END block is compiled, so
use Test::LongString ();    # that our END runs before Test::Builder's

sub gen_rand_port (;$$);
sub bail_out (@);

# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

our $NginxBinary         = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $LoadModules         = $ENV{TEST_NGINX_LOAD_MODULES};
our $ServerAddr          = '127.0.0.1';
our $ServerName          = 'localhost';
our $ServerPort          = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                           || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $Randomize           = $ENV{TEST_NGINX_RANDOMIZE};
our $Workers             = 1;
our $WorkerConnections   = 64;
our $LogLevel            = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled       = 'on';
our $RepeatEach          = 1;
our $NoShuffle           = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoRootLocation      = 0;
our $NoLongString;
our $Timeout             = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep      = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $UseHup              = $ENV{TEST_NGINX_USE_HUP};
our $UseValgrind         = $ENV{TEST_NGINX_USE_VALGRIND};
our $EventType           = $ENV{TEST_NGINX_EVENT_TYPE};
our $Verbose             = $ENV{TEST_NGINX_VERBOSE};
our $ReusePort           = $ENV{TEST_NGINX_REUSE_PORT};
our $PostponeOutput      = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $CheckAccumErrLog    = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $NoNginxManager      = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $WorkerUser          = $ENV{TEST_NGINX_WORKER_USER};
our $ForceRestartOnTest  = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                           ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;

# Modes of the real module this runner does not implement; they stay off
# (the variables exist because the real module exports them).
our $CheckLeak = 0;
our $Benchmark = 0;
our $BenchmarkWarmup = 0;
our $UseStap;

for my $v (qw(TEST_NGINX_CHECK_LEAK TEST_NGINX_BENCHMARK TEST_NGINX_USE_STAP
              TEST_NGINX_USE_HTTP2 TEST_NGINX_USE_HTTP3 TEST_NGINX_USE_RR))
{
    die "$v is not supported by the bundled Test::Nginx runner"
        . " (t/lib/runner); install CPAN's Test::Nginx for it\n"
        if $ENV{$v};
}

if (defined $WorkerUser && $WorkerUser !~ /^\w[-\w]+(?:\s+\w[-\w]+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

# nginx runs in the foreground, as our child, under valgrind
if ($UseValgrind) {
    $DaemonEnabled = 'off';
}

our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;
our @TestCleanupHandlers;
our $ConfigPreamble = '';
our $FilterHttpConfig;

# set by Socket.pm: the request side, and the two error log checks
our $RunTestHelper;
our $CheckErrorLog;
our $CheckShutdownErrorLog;

our ($NginxVersion, $NginxRawVersion, $PcreVersion, $OpenSSLVersion);
our $NginxV;                # the output of "nginx -V", read once

# state across blocks
our $ErrLogFilePos = 0;     # where the next error_log_data() starts
our $PrevConfig;            # the config of the nginx that runs
our $PrevBlock;             # for its --- (no_)shutdown_error_log
our $FirstTime = 1;
our $ConfigVersion;         # the /ver answer of a HUP-reloaded nginx
our $RandPorts;             # $TEST_NGINX_RAND_PORT_N of the current block
our $ChildPid;              # nginx as our own child (valgrind mode)
our $InSubprocess;
our $MainPid = $$;          # END does nothing in forked children

srand $$;

if ($Randomize) {
    $ServerPort = gen_rand_port(1000)
        or die "Cannot find an available listening port number\n";
    $ServerPortForClient = $ServerPort;
}

our $ServRoot = $Randomize
                ? File::Spec->rel2abs("t/servroot_$ServerPort")
                : $ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');
our $CacheDir   = File::Spec->catfile($ServRoot, 'cache');

# valgrind writes one report per process here (outside the server root,
# which is emptied between blocks while nginx may still be exiting)
our $ValgrindLogDir;

our @EXPORT = qw(
    env_to_nginx is_str is_running no_long_string $NoLongString
    server_addr $ServerAddr server_name $ServerName parse_time
    $UseStap verbose sleep_time bail_out
    add_cleanup_handler add_test_cleanup_handler
    access_log_data error_log_data setup_server_root
    run_customer_init_script write_config_file expand_env_in_text
    get_canon_version get_nginx_version trim show_all_chars parse_headers
    run_tests run_test get_pid_from_pidfile
    $ServerPortForClient $ServerPort $NginxVersion $PcreVersion $PidFile
    $ServRoot $ConfFile $RunTestHelper $CheckErrorLog $CheckShutdownErrorLog
    $FilterHttpConfig $NoNginxManager $RepeatEach $CheckLeak $Benchmark
    $BenchmarkWarmup
    add_block_preprocessor timeout worker_connections workers master_on
    master_off config_preamble repeat_each master_process_enabled log_level
    no_shuffle no_root_location html_dir server_root server_port
    server_port_for_client no_nginx_manager use_hup check_accum_error_log
    use_http2 use_http3
);

# ---------------------------------------------------------------------------
# Functions a test file calls
# ---------------------------------------------------------------------------

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub workers (@) {
    return $Workers unless @_;
    $Workers = shift;
}

sub worker_connections (@) {
    return $WorkerConnections unless @_;
    $WorkerConnections = shift;
}

sub log_level (@) {
    return $LogLevel unless @_;
    $LogLevel = shift;
}

sub master_on ()  { $MasterProcessEnabled = 'on' }
sub master_off () { $MasterProcessEnabled = 'off' }

sub master_process_enabled (@) {
    return $MasterProcessEnabled unless @_;
    $MasterProcessEnabled = shift() ? 'on' : 'off';
}

sub no_shuffle ()            { $NoShuffle = 1 }
sub no_root_location ()      { $NoRootLocation = 1 }
sub no_long_string ()        { $NoLongString = 1 }
sub no_nginx_manager ()      { $NoNginxManager = 1 }
sub use_hup ()               { $UseHup = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub config_preamble ($)      { $ConfigPreamble = shift }

sub timeout (@) {
    return $Timeout unless @_;
    $Timeout = shift;
}

sub server_addr (@) {
    return $ServerAddr unless @_;
    $ServerAddr = shift;
}

sub server_name (@) {
    return $ServerName unless @_;
    $ServerName = shift;
}

sub server_port (@) {
    return $ServerPort unless @_;
    $ServerPort = shift;
}

sub server_port_for_client (@) {
    return $ServerPortForClient unless @_;
    $ServerPortForClient = shift;
}

sub html_dir ()    { $HtmlDir }
sub server_root () { $ServRoot }
sub sleep_time ()  { $TestNginxSleep }
sub verbose ()     { $Verbose }

# HTTP/2 and HTTP/3 are not implemented: no block ever uses them.
sub use_http2 ($) { undef }
sub use_http3 ($) { undef }

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        croak "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

# Preprocessors run on every block, the last added first.
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)      { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

# is() for strings, like() for a qr//; long strings are compared with
# Test::LongString unless no_long_string() was called.
sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    return Test::More::is($got, $expected, $desc) if $NoLongString;
    return Test::LongString::is_string($got, $expected, $desc);
}

# "500ms" -> 0.5, "2s" -> 2, "3" -> 3
sub parse_time ($) {
    my $t = shift;
    return $t unless defined $t;
    if ($t =~ /^\s*([\d.]+)\s*ms\s*$/) {
        return $1 / 1000;
    }
    if ($t =~ /^\s*([\d.]+)\s*s?\s*$/) {
        return $1;
    }
    return $t;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /g;
    $s =~ s/\s{2,}/ /g;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    return $s;
}

# "Name: value" lines -> { Name => value }; "!Name" -> { Name => undef }
# (the header must be absent).  The keys keep their order, for the tests'
# order in the output.
sub parse_headers ($) {
    my $text = shift;
    my (%h, @order);
    for my $line (split /\n/, $text) {
        $line =~ s/^\s+|\s+$//g;
        my ($key, $val);
        if ($line =~ s/^!\s*//) {
            $key = $line;
        } else {
            ($key, $val) = split /\s*:\s*/, $line, 2;
            $key = '' unless defined $key;
        }
        push @order, $key unless exists $h{$key};
        $h{$key} = $val;
    }
    return wantarray ? (\%h, \@order) : \%h;
}

sub get_canon_version (@) {
    return sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

# Runs a command, its stderr joined to its stdout; returns that output
# ($? holds the status).
sub capture_output (@) {
    my @cmd = @_;
    my $pid = open(my $fh, '-|');
    return undef unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd;
        warn "exec $cmd[0] failed: $!\n";
        POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return $out // '';
}

# Finds an executable as the shell would.
sub can_run ($) {
    my $cmd = shift;
    if ($cmd =~ m{/}) {
        return -f $cmd && -x _ ? $cmd : undef;
    }
    for my $dir (split(/:/, $ENV{PATH} // ''), '.') {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x _;
    }
    return undef;
}

sub nginx_V () {
    return $NginxV if defined $NginxV;
    if (!can_run($NginxBinary)) {
        bail_out("Cannot find the nginx executable \"$NginxBinary\""
                 . " (TEST_NGINX_BINARY or PATH)");
    }
    my $out = capture_output($NginxBinary, '-V');
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the nginx \"$NginxBinary\": "
                 . ($out // ''));
    }
    return $NginxV = $out;
}

# Version of nginx as a number comparable to get_canon_version()'s.
sub get_nginx_version () {
    my $out = nginx_V();

    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)}) {
        $OpenSSLVersion = get_canon_version($1, $2, $3);
    }

    my @v = $out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s;
    @v = $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s unless @v;
    if (@v) {
        $NginxRawVersion = join '.', @v;
        $PcreVersion = $out =~ /pcre/i ? 1 : 0;
        return get_canon_version(@v);
    }

    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub gen_rand_str ($) {
    my $len = shift;
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    return join '', map { $c[int rand @c] } 1 .. $len;
}

# A TCP port nobody listens on now.
sub gen_rand_port (;$$) {
    my ($tries, $used) = @_;
    $tries //= 1000;
    $used //= {};
    for (1 .. $tries) {
        my $port = 1988 + int rand(63547);
        next if $used->{$port};
        my $s = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                      LocalPort => $port, Proto => 'tcp',
                                      Listen => 5, ReuseAddr => 1);
        if ($s) {
            close $s;
            return $port;
        }
    }
    return undef;
}

# Replaces $TEST_NGINX_FOO by $ENV{TEST_NGINX_FOO} (a missing one is a
# fatal error); $TEST_NGINX_RAND_PORT_N is a free port, the same for the
# whole block.  Nothing else is expanded.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;
    $rand_ports ||= {};

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $value;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            if (!defined $rand_ports->{$var}) {
                my %used = ($ServerPort => 1,
                            map { $_ => 1 } values %$rand_ports);
                $rand_ports->{$var} = gen_rand_port(1000, \%used)
                    // bail_out("$name - Cannot find an available listening"
                                . " port number for $var.\n");
            }
            $value = $rand_ports->{$var};
        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $value = $ENV{$var};
        }
        $value;
    }ge;

    return $text;
}

# Stops the whole run.  TAP shows one line of the reason: a longer one is
# printed in full first.
sub bail_out (@) {
    my $reason = join '', @_;
    cleanup();
    Test::More::diag($reason) if $reason =~ /\n./;
    Test::More::BAIL_OUT($reason);
}

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

# Whether a process still runs.  A process that exited is not running even
# while it is a zombie: the PID 1 of some containers never reaps the
# daemonized nginx, and our own children (nginx under valgrind) are reaped
# here.
sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && $pid =~ /^\d+$/;
    return 0 if waitpid($pid, WNOHANG) == $pid;
    return 0 unless kill(0, $pid) || $!{EPERM};
    if (open my $fh, '<', "/proc/$pid/stat") {
        my $stat = <$fh> // '';
        close $fh;
        return 0 if $stat =~ /^\d+ \(.*\) [ZX]/s;
    }
    return 1;
}

sub get_pid_from_pidfile ($) {
    my $name = shift;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for"
                    . " reading: $!");
    my $pid = do { local $/; <$in> } // '';
    close $in;
    $pid =~ s/\s+//g;
    return $pid;
}

sub read_pid_quietly () {
    open my $in, '<', $PidFile or return undef;
    my $pid = do { local $/; <$in> } // '';
    close $in;
    $pid =~ s/\s+//g;
    return $pid =~ /^\d+$/ ? $pid : undef;
}

# Stops a process: SIGQUIT (SIGTERM with TEST_NGINX_FAST_SHUTDOWN), a wait
# of timeout() seconds (more under valgrind), then SIGKILL to it or to its
# process group.
sub kill_process ($$$) {
    my ($pid, $graceful, $name) = @_;
    return unless defined $pid;

    if ($graceful && is_running($pid)) {
        my $sig = $ENV{TEST_NGINX_FAST_SHUTDOWN} ? SIGTERM : SIGQUIT;
        warn "sending signal $sig to $pid\n" if $Verbose;
        kill $sig, $pid;
        my $left = timeout() + ($UseValgrind ? 20 : 0);
        while ($left > 0 && is_running($pid)) {
            sleep 0.02;
            $left -= 0.02;
        }
        if (is_running($pid)) {
            warn "$name - timeout when waiting for the process $pid to exit\n";
        }
    }

    return unless is_running($pid);

    my $group = getpgrp($pid);
    if (defined $group && $group == $pid) {
        kill SIGKILL, -$pid;
    } else {
        kill SIGKILL, $pid;
    }
    for (1 .. 150) {
        last unless is_running($pid);
        sleep 0.02;
    }
    warn "$name - WARNING: the process $pid does not go away\n"
        if is_running($pid);
}

# Runs nginx with the current nginx.conf and waits for the command to
# return: with "daemon on" that is once nginx has forked into the
# background.  Returns the wait status.
sub run_nginx_command ($@) {
    my ($block, @cmd) = @_;
    my $pid = fork;
    bail_out($block->name . " - fork() failed: $!") unless defined $pid;
    if ($pid == 0) {
        $InSubprocess = 1;
        open STDOUT, '>', '/dev/null';
        if (defined $block->suppress_stderr) {
            open STDERR, '>', '/dev/null';
        }
        setup_child_env();
        exec { $cmd[0] } @cmd;
        warn "exec $cmd[0] failed: $!\n";
        POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $?;
}

sub setup_child_env () {
    if (defined $ENV{TEST_NGINX_LD_PRELOAD}) {
        $ENV{LD_PRELOAD} = join ' ', grep { defined && length }
                           $ENV{TEST_NGINX_LD_PRELOAD}, $ENV{LD_PRELOAD};
    }
}

sub nginx_command () {
    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);
    # -e (the error log used before nginx.conf is read) came in 1.19.5
    if (($NginxVersion // 0) >= get_canon_version(1, 19, 5)) {
        push @cmd, '-e', $ErrLogFile;
    }
    return @cmd;
}

sub valgrind_command (@) {
    my @nginx = @_;
    $ValgrindLogDir ||= File::Temp::tempdir('test-nginx-valgrind-XXXXXX',
                                            TMPDIR => 1, CLEANUP => 1);
    my @vg = ('valgrind', '-q', "--log-file=$ValgrindLogDir/vg.%p.log");
    if ($UseValgrind =~ /^\d+$/) {
        push @vg, qw(--num-callers=100 --tool=memcheck --leak-check=full
                     --keep-debuginfo=yes --show-possibly-lost=no
                     --gen-suppressions=all);
        push @vg, '--suppressions=valgrind.suppress' if -f 'valgrind.suppress';
    } else {
        # TEST_NGINX_USE_VALGRIND holds valgrind's options
        push @vg, split ' ', $UseValgrind;
    }
    return (@vg, @nginx);
}

# Prints what valgrind reported for processes that have exited, and warns
# about the errors in it ("definitely lost", "Invalid read", ...).
sub report_valgrind ($) {
    my $name = shift;
    return unless $ValgrindLogDir && -d $ValgrindLogDir;
    for my $file (sort glob("$ValgrindLogDir/vg.*.log")) {
        my ($pid) = $file =~ /vg\.(\d+)\.log$/;
        next if $pid && kill(0, $pid) && is_running($pid);
        open my $in, '<', $file or next;
        my $report = do { local $/; <$in> } // '';
        close $in;
        unlink $file;
        next unless $report =~ /\S/;
        print STDERR $report;
        my @errors = grep {
            /definitely\ lost | indirectly\ lost | Invalid\ (?:read|write|free)
             | uninitialised | Mismatched\ free | overlap | Syscall\ param/x
        } split /\n/, $report;
        @errors = ('valgrind printed a report') unless @errors;
        warn "WARNING: $name - valgrind: $_\n" for @errors;
    }
}

# Stops the nginx of the previous block (the one in the pid file).
sub stop_nginx ($) {
    my $name = shift;
    my $pid = read_pid_quietly();
    if (defined $pid && is_running($pid)) {
        kill_process($pid, 1, $name);
    }
    if (defined $ChildPid) {
        kill_process($ChildPid, 1, $name) if is_running($ChildPid);
        undef $ChildPid;
    }
    unlink $PidFile if -f $PidFile;
    report_valgrind($name) if $UseValgrind || $ValgrindLogDir;
}

sub cleanup_test ($) {
    my $block = shift;
    $_->($block) for @TestCleanupHandlers;
}

sub cleanup () {
    $_->() for @CleanupHandlers;
    if (defined $ChildPid) {
        kill_process($ChildPid, 1, 'cleanup');
        undef $ChildPid;
    }
}

# ---------------------------------------------------------------------------
# Server root, nginx.conf, logs
# ---------------------------------------------------------------------------

# Empties and recreates the server root.  Only what the runner creates is
# removed, so a mistaken TEST_NGINX_SERVROOT loses no other data.  For a
# HUP reload the running nginx keeps its pid file (and sockets, keys).
sub setup_server_root ($) {
    my $first_time = shift;

    if (-d $ServRoot) {
        remove_tree($ConfDir, glob("$ServRoot/*_cache"),
                    glob("$ServRoot/*_temp"));

        if ($UseHup) {
            File::Find::find({ no_chdir => 1, wanted => sub {
                return if -d $_;
                return if !$first_time
                          && /(?:\bnginx\.pid|\.sock|\.crt|\.key)$/;
                unlink $_ or warn "Failed to remove $_: $!\n";
            } }, $ServRoot);

        } else {
            remove_tree($CacheDir, $HtmlDir, $LogDir);
        }
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $dir;
        make_path($dir) or bail_out("Failed to do mkdir $dir: $!\n");
    }

    my $index = "$HtmlDir/index.html";
    open my $out, '>', $index
        or bail_out("Can't open $index for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}

# --- post_setup_server_root: Perl code run once the server root exists
sub run_customer_init_script ($) {
    my $block = shift;
    my $code = $block->post_setup_server_root;
    return unless $code;
    eval $code;
    bail_out($block->name . " - post_setup_server_root failed: $@") if $@;
}

# --- user_files: ">>> name [date]" then the content; relative names go
# into html/.  An eval may give [[name, content, date], ...] instead.
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, undef, $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/} && !-d $1) {
            make_path($1) or bail_out("$name - Cannot create directory $1");
        }
        $body = expand_env_in_text($body // '', $name, $rand_ports);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            # [[CC]YY]MMDDhhmm[.ss], in GMT, as touch -t reads it
            if ($date =~ /^(\d{2,4})?(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d\d))?$/) {
                my $year = $1 // (1900 + (gmtime)[5]);
                $year += 2000 if $year < 100;
                my $t = timegm($6 // 0, $5, $4, $3, $2 - 1, $year);
                utime $t, $t, $path;
            } else {
                bail_out("$name - bad date \"$date\" for user file $fname");
            }
        }
    }
}

# Writes conf/nginx.conf for a block.
sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;

    # a configuration reload is not reliable without a master process
    master_on() if $UseHup;

    my $http_config = expand_env_in_text($block->http_config, $name,
                                         $rand_ports) // '';
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;
    my $main_config = expand_env_in_text($block->main_config, $name,
                                         $rand_ports) // '';
    my $post_main_config = expand_env_in_text($block->post_main_config,
                                              $name, $rand_ports) // '';
    my $err_log_file = expand_env_in_text($block->error_log_file || $ErrLogFile,
                                          $name, $rand_ports);
    my $server_name = $block->server_name // $ServerName;
    $config //= '';

    my @load = map { "load_module $_;" } grep { length }
               split /\s+/, $LoadModules // '';

    my $listen_opts = $ReusePort ? ' reuseport' : '';

    # the temporary paths inside the server root, but not for modules
    # nginx was built without, nor when the block sets the path itself
    my $v = nginx_V();
    my @temp_paths;
    push @temp_paths, "client_body_temp_path $ServRoot/client_body_temp;"
        unless $http_config =~ /\bclient_body_temp_path\b/;
    push @temp_paths, "proxy_temp_path $ServRoot/proxy_temp;"
        unless $http_config =~ /\bproxy_temp_path\b/;
    for my $m (qw(fastcgi scgi uwsgi)) {
        push @temp_paths, "${m}_temp_path $ServRoot/${m}_temp;"
            unless $v =~ /--without-http_${m}_module/;
    }

    my $postpone = '';
    if (defined $PostponeOutput && $http_config !~ /\bpostpone_output\b/) {
        bail_out("Bad TEST_NGINX_POSTPONE_OUTPUT value: $PostponeOutput\n")
            unless $PostponeOutput =~ /^\d+$/;
        $postpone = "    postpone_output $PostponeOutput;\n";
    }

    my $conf = '';
    $conf .= "$_\n" for @load;
    $conf .= <<"_EOC_";
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env ASAN_OPTIONS;
_EOC_

    for my $e (@EnvToNginx) {
        $conf .= $e =~ /\s/ ? "env '$e';\n" : "env $e;\n";
    }

    $conf .= "\n$main_config\n\n";

    $conf .= "http {\n"
           . "    access_log $AccLogFile;\n"
           . join('', map { "    $_\n" } @temp_paths)
           . "\n"
           . "    default_type text/plain;\n"
           . "    keepalive_timeout  68000ms;\n"
           . $postpone
           . "\n$http_config\n"
           . "    server {\n"
           . "        listen          $ServerPort$listen_opts;\n"
           . "        server_name     '$server_name';\n"
           . "        client_max_body_size 30M;\n"
           . "\n"
           . "        # Begin preamble config...\n"
           . "$ConfigPreamble\n"
           . "        # End preamble config...\n"
           . "\n"
           . "        # Begin test case config...\n"
           . "$config\n"
           . "        # End test case config.\n"
           . "\n";

    if (!$NoRootLocation) {
        $conf .= "        location / {\n"
               . "            root $HtmlDir;\n"
               . "            index index.html index.htm;\n"
               . "        }\n";
    }

    $conf .= "    }\n";

    if ($UseHup) {
        # answers the version of the configuration, to know when a reload
        # has taken effect
        $conf .= "\n    server {\n"
               . "        listen          $ServerPort$listen_opts;\n"
               . "        server_name     'Test-Nginx';\n"
               . "\n"
               . "        location = /ver {\n"
               . "            return 200 '$ConfigVersion';\n"
               . "        }\n"
               . "    }\n";
    }

    $conf .= "}\n\n$post_main_config\n\n";

    $conf .= "events {\n"
           . "    accept_mutex off;\n"
           . "\n"
           . "    worker_connections  $WorkerConnections;\n";
    $conf .= "    use $EventType;\n" if $EventType;
    $conf .= "}\n";

    if (defined $WorkerUser) {
        $conf .= "\nuser $WorkerUser;\n";
    } elsif ($> == 0) {
        $conf .= "\nuser root;\n";
    }

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out $conf;
    close $out;
}

# The lines the error log got since the last call (all of them with
# check_accum_error_log()).  Waits a little first: nginx logs the end of a
# request after the client has its answer.
sub error_log_data () {
    sleep $TestNginxSleep * 3;

    open my $in, '<', $ErrLogFile or return undef;
    if (!$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }
    my @lines = <$in>;
    $ErrLogFilePos = tell $in unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

sub access_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $AccLogFile
        or die "open $AccLogFile failed: $!";
    my @lines = <$in>;
    close $in;
    return \@lines;
}

# The --- shutdown_error_log / --- no_shutdown_error_log of the previous
# block, once its nginx has stopped.  Without a real stop (HUP reloads,
# TEST_NGINX_NO_CLEAN) the tests are skipped, so that the count holds.
sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock;
    return unless defined $block;
    return unless defined $block->shutdown_error_log
                  || defined $block->no_shutdown_error_log;
    my $dry_run = ($UseHup || $ENV{TEST_NGINX_NO_CLEAN}) ? 1 : 0;
    $CheckShutdownErrorLog->($block, $dry_run);
}

# ---------------------------------------------------------------------------
# Running nginx for a block
# ---------------------------------------------------------------------------

# A tiny GET, for the /ver of a HUP-reloaded nginx.
sub http_get_body ($$) {
    my ($host, $path) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $s = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                  PeerPort => $ServerPort, Proto => 'tcp',
                                  Timeout => 2)
        or return undef;
    print $s "GET $path HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
    my $resp = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(2)) {
        my $n = sysread $s, $resp, 4096, length $resp;
        last unless $n;
    }
    close $s;
    my (undef, $body) = split /\r\n\r\n/, $resp, 2;
    return $body;
}

# After a HUP: waits until every answer comes from the new configuration.
sub test_config_version ($) {
    my $name = shift;
    my $good = 0;
    for my $try (1 .. 200) {
        my $ver = http_get_body('Test-Nginx', '/ver');
        if (defined $ver && $ver eq $ConfigVersion) {
            return if ++$good >= 20;
            next;
        }
        $good = 0;
        my $wait = ($TestNginxSleep + $TestNginxSleep * $try) * $try / 2;
        $wait = 1 if $wait > 1;
        warn "$name - waiting $wait sec for nginx to reload the"
             . " configuration\n" if $wait > 0.5;
        sleep $wait;
    }
    Test::More->builder->no_ending(1);
    Test::More::fail("$name - failed to reload configuration after 200"
                     . " failed test requests");
}

# Reloads the running nginx with the block's configuration (SIGUSR1 to
# reopen the logs, which were removed, then SIGHUP).  False if nginx could
# not be signalled.
sub reload_nginx ($$$$$) {
    my ($block, $config, $rand_ports, $pid, $first_time) = @_;
    my $name = $block->name;

    setup_server_root($first_time);
    run_customer_init_script($block);
    write_user_files($block, $rand_ports);
    write_config_file($block, $config, $rand_ports);

    return 0 unless kill SIGUSR1, $pid;
    sleep $TestNginxSleep;
    return 0 unless kill SIGHUP, $pid;
    sleep $TestNginxSleep * 3;

    warn "$name\n" if $UseValgrind;
    if (defined $block->reload_fails) {
        sleep 0.3;
    } else {
        test_config_version($name);
    }
    report_valgrind($name) if $UseValgrind;
    return 1;
}

# Starts nginx from scratch for a block ("--- must_die" blocks excepted).
sub start_nginx ($) {
    my $block = shift;
    my $name = $block->name;
    my @cmd = nginx_command();

    if ($UseValgrind) {
        @cmd = valgrind_command(@cmd);
        warn "$name\n";
        my $pid = fork;
        bail_out("$name - fork() failed: $!") unless defined $pid;
        if ($pid == 0) {
            # nginx, in the foreground, in its own process group
            $InSubprocess = 1;
            setpgrp;
            Test::More->builder->no_ending(1);
            open STDOUT, '>', '/dev/null';
            setup_child_env();
            exec { $cmd[0] } @cmd;
            warn "exec @cmd failed: $!\n";
            POSIX::_exit(127);
        }
        $ChildPid = $pid;
        sleep $TestNginxSleep;
        return;
    }

    # nginx forks into the background; retry while the previous one still
    # holds the port
    my $waited = 0;
    my $tries = 0;
    while (1) {
        my $log_size = -s $ErrLogFile // 0;
        my $status = run_nginx_command($block, @cmd);
        last if $status == 0;

        my $log = '';
        if (open my $in, '<', $ErrLogFile) {
            seek $in, $log_size, 0;
            $log = do { local $/; <$in> } // '';
            close $in;
        }
        if ($log =~ /Address already in use/ && $waited < 30) {
            my $delay = 0.1 * ++$tries;
            $delay = 1 if $delay > 1;
            sleep $delay;
            $waited += $delay;
            next;
        }
        my @lines = split /\n/, $log;
        splice @lines, 0, @lines - 10 if @lines > 10;
        warn "$name - the error log says:\n", map { "    $_\n" } @lines;
        bail_out("$name - Cannot start nginx using command \"@cmd\""
                 . " (status code $status).");
    }
    sleep $TestNginxSleep;
}

# A "--- must_die" block: nginx must refuse to start, once per repetition;
# "--- must_die: N" wants the exit code N.  Then the error log checks.
sub run_must_die ($$) {
    my ($block, $must_die) = @_;
    my $name = $block->name;
    my @cmd = nginx_command();

    $ErrLogFilePos = 0;
    for my $i (0 .. $RepeatEach - 1) {
        my $status = run_nginx_command($block, @cmd);
        my $signal = $status & 127;
        my $coredump = $status & 128;
        my $exit_code = $status >> 8;

        if ($status == -1) {
            Test::More::fail("$name - failed to execute the nginx command line");
        } elsif ($coredump) {
            Test::More::fail("$name - nginx core dumped");
        } elsif (looks_like_number($must_die)) {
            Test::More::is($signal ? 128 + $signal : $exit_code, $must_die,
                           "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        $CheckErrorLog->($block, undef, 0, $i, 0);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not;"
                 . " killing it (req $i)\n";
            for (1 .. 15) {
                last if -f $PidFile;
                sleep $TestNginxSleep;
            }
            my $pid = read_pid_quietly();
            kill_process($pid, 1, $name) if defined $pid;
        }
    }
}

# --- skip_nginx: "N: < 1.21.1 [: reason]", --- skip_eval: "N: perl code",
# --- todo: "N: reason".  Returns ($skip, $todo, $count, $reason).
sub skip_or_todo ($) {
    my $block = shift;
    my $name = $block->name;
    my ($skip, $todo, $count, $reason);

    if (defined(my $spec = $block->skip_eval)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            ($count, $reason) = ($1, 'skip_eval');
            my $code = $2;
            $skip = eval $code;
            bail_out("$name - skip_eval - failed to eval the Perl code"
                     . " \"$code\": $@") if $@;
        }
    }

    if (defined(my $spec = $block->skip_nginx)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                      (?:\s*:\s*(.*?))?\s*$/x)
        {
            $count = $1;
            my ($op, $ver) = ($2, get_canon_version($3, $4, $5));
            $reason = $6 || "nginx version $op $3.$4.$5";
            my $have = $NginxVersion;
            $skip = 1 if $op eq '<'  && $have <  $ver
                      || $op eq '<=' && $have <= $ver
                      || $op eq '>'  && $have >  $ver
                      || $op eq '>=' && $have >= $ver;
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $spec");
        }
    }

    if (defined(my $spec = $block->todo)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            ($todo, $count, $reason) = (1, $1, $2);
        } else {
            bail_out("$name - Invalid --- todo spec: $spec");
        }
    }

    return ($skip, $todo, $count, $reason // 'various reasons');
}

# Sections of the real module that this runner does not implement: a block
# that uses one stops the run rather than giving other tests.
my @Unsupported = qw(tcp_listen udp_listen http2 http3 skip_nginx2
                     skip_openssl skip_slave todo_nginx);

sub run_test ($) {
    my $block = shift;
    return if defined $block->SKIP;

    my $name = $block->name;

    for my $section (@Unsupported) {
        bail_out("$name - --- $section is not supported by the bundled"
                 . " Test::Nginx runner (t/lib/runner)")
            if defined $block->$section;
    }

    my $first_time = $FirstTime;
    $FirstTime = 0;

    my $rand_ports = {};
    $RandPorts = $rand_ports;

    my $config = expand_env_in_text($block->config, $name, $rand_ports);

    local $LogLevel = $block->log_level || $LogLevel;
    local $UseValgrind = $UseValgrind;
    local $UseHup = $UseHup;

    my $must_die = $block->must_die;
    if (defined $must_die) {
        # nginx is started plainly, to see it fail
        undef $UseValgrind;
        undef $UseHup;
    }

    # restart nginx when the configuration changed, and, unless
    # TEST_NGINX_FORCE_RESTART_ON_TEST=0, for every block that has one; a
    # block without --- config talks to the nginx of the block before
    my ($should_restart, $should_reconfig) = (0, 0);
    if ($NoNginxManager) {
        Test::More::diag("NO_NGINX_MANAGER activated: config for $name"
                         . " ignored") if defined $config;
    } elsif (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not"
                 . " get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?")
            unless defined $PrevConfig;
    } else {
        $should_reconfig = !defined $PrevConfig || $config ne $PrevConfig;
        $should_restart = $should_reconfig || $ForceRestartOnTest;
    }

    my ($should_skip, $should_todo, $tests_to_skip, $reason)
        = skip_or_todo($block);

    if (!$NoNginxManager && !$should_skip && $should_restart) {
        $PrevConfig = $config if $should_reconfig;
        $ConfigVersion = gen_rand_str(10) if $UseHup;

        my $pid = read_pid_quietly();
        my $reloaded;
        if (defined $pid && is_running($pid) && $UseHup && !$first_time) {
            $reloaded = reload_nginx($block, $config, $rand_ports, $pid,
                                     $first_time);
            if ($reloaded) {
                check_prev_block_shutdown_error_log();
            } else {
                warn "$name - failed to signal nginx $pid; restarting it\n";
            }
        }

        if (!$reloaded) {
            stop_nginx($name);
            check_prev_block_shutdown_error_log();

            setup_server_root($first_time);
            run_customer_init_script($block);
            write_user_files($block, $rand_ports);
            write_config_file($block, $config, $rand_ports);

            if (defined $must_die) {
                run_must_die($block, $must_die);
                return;
            }

            $ErrLogFilePos = 0;
            start_nginx($block);
        }
    }

    # --- init: Perl code run once before the requests of the block, here
    # (package Test::Nginx::Util, strict) as the real module runs it
    if (defined(my $init = $block->init)) {
        eval $init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (1 .. $RepeatEach) {
        write_user_files($block, $rand_ports) if $i > 1;

        if ($should_skip && defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $reason", $tests_to_skip);
            }
        } elsif ($should_todo) {
            TODO: {
                Test::More::todo_skip("$name - $reason", $tests_to_skip);
            }
        } else {
            $RunTestHelper->($block, 0, $i - 1);
        }
    }

    # under valgrind every block stops its nginx, for valgrind's leak
    # report to be that block's
    if ($UseValgrind && !$UseHup) {
        stop_nginx($name);
    }
}

sub run_tests () {
    srand($$ + time * 1000000);
    $NginxVersion = get_nginx_version();

    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value(name => "$0 " . $block->name);
        run_test($block);
        cleanup_test($block);
        $PrevBlock = $block;
    }

    cleanup();
}

END {
    # only the test script itself, not a process it forked (--- init code
    # may fork)
    return if $InSubprocess || $$ != $MainPid;

    local $?;    # keep the exit status of the test script

    cleanup();

    if ($UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN}) {
        stop_nginx('END');
    }

    check_prev_block_shutdown_error_log();

    if ($Randomize && defined $ServRoot && $ServRoot =~ m{/t/servroot_\d+$}
        && -d $ServRoot)
    {
        remove_tree($ServRoot);
    }
}

1;
