package ImsMember::Rabbit;

# A real RabbitMQ (Debian's 3.10) for one test file, a child of the test:
# its own node name, data and log directories in a temporary directory,
# AMQP and Erlang distribution on 127.0.0.1 only, on free ports, with an
# epmd of its own (started here, on loopback and a free port, so that the
# broker never touches, nor starts, the machine's epmd on 4369).  No
# plugin (no management), no configuration file of the machine: the
# default "guest" user, which RabbitMQ lets in from loopback only.
# start() returns once the broker takes AMQP connections; restart() stops
# it and starts it again on the same directories and ports (durable
# queues survive it; oslo.messaging's notification queues are not
# durable unless amqp_durable_queues says so: they go, with what they
# held); it is stopped, and its epmd with it, when the file ends.
#
# consume() reads the notifications waiting on the broker with
# t/lib/notifications_consume.py (oslo.messaging's own listener, or the
# raw AMQP messages).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IPC::Run ();
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time);

use ImsMember::Pg;

my $root = abs_path(dirname(__FILE__) . '/../../..');
my $bin = '/usr/lib/rabbitmq/bin';
my ($dir, $port, $dist_port, $epmd_port, $node, $pid, $epmd_pid);
my ($owner_pid, $started);

sub port { return $port }
sub dir { return $dir }
sub node { return $node }

# What oslo.messaging's transport_url names.
sub url { return "rabbit://guest:guest\@127.0.0.1:$port/" }

# Seconds the last start() (or restart()) took until AMQP answered.
sub started_in { return $started }

sub env {
    return {
        HOME                          => $dir,
        RABBITMQ_CONF_ENV_FILE        => "$dir/rabbitmq-env.conf",
        RABBITMQ_CONFIG_FILE          => "$dir/rabbitmq",
        RABBITMQ_ADVANCED_CONFIG_FILE => "$dir/advanced.config",
        RABBITMQ_ENABLED_PLUGINS_FILE => "$dir/enabled_plugins",
        RABBITMQ_PLUGINS_EXPAND_DIR   => "$dir/plugins",
        RABBITMQ_MNESIA_BASE          => "$dir/mnesia",
        RABBITMQ_LOG_BASE             => "$dir/log",
        RABBITMQ_NODENAME             => $node,
        RABBITMQ_NODE_IP_ADDRESS      => '127.0.0.1',
        RABBITMQ_NODE_PORT            => $port,
        RABBITMQ_DIST_PORT            => $dist_port,
        # the distribution listener too, on loopback only
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS =>
            '-kernel inet_dist_use_interface {127,0,0,1}',
        ERL_EPMD_ADDRESS              => '127.0.0.1',
        ERL_EPMD_PORT                 => $epmd_port,
    };
}

sub amqp_up {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 1)
        or return 0;
    # an AMQP 0-9-1 header: a broker that runs answers with its
    # connection.start method frame (type 1)
    print $s "AMQP\0\0\x09\x01";
    my $frame = '';
    my $ok = sysread($s, $frame, 1);
    close $s;
    return $ok && $frame eq "\x01";
}

sub run {
    my $t0 = time;
    my $env = env();
    $epmd_pid = ImsMember::Pg::spawn("$dir/epmd.log", $env, '/usr/bin/epmd',
                                     '-address', '127.0.0.1',
                                     '-port', $epmd_port);
    ImsMember::Pg::wait_until(sub {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $epmd_port)
    }, 10) or die "epmd did not come up (see $dir/epmd.log)\n";
    $pid = ImsMember::Pg::spawn("$dir/rabbitmq.out", $env,
                                "$bin/rabbitmq-server");
    my $deadline = time + 120;
    until (amqp_up()) {
        die "RabbitMQ exited (see $dir/rabbitmq.out, $dir/log)\n"
            if waitpid($pid, POSIX::WNOHANG()) == $pid;
        die "RabbitMQ did not come up in 120 s (see $dir/log)\n"
            if time > $deadline;
        select(undef, undef, undef, 0.1);
    }
    $started = time - $t0;
}

# Starts the broker; returns its transport URL.
sub start {
    die "RabbitMQ is already running\n" if $pid;
    -x "$bin/rabbitmq-server"
        or die "no $bin/rabbitmq-server: is the rabbitmq-server package"
               . " installed (scripts/deps.sh)?\n";
    $dir = tempdir('ims-rabbit-XXXXXX', TMPDIR => 1, CLEANUP => 0);
    $port = ImsMember::Pg::free_port();
    do {
        $dist_port = ImsMember::Pg::free_port();
    } while ($dist_port == $port);
    do {
        $epmd_port = ImsMember::Pg::free_port();
    } while ($epmd_port == $port || $epmd_port == $dist_port);
    $node = "ims-test-$$\@localhost";
    $owner_pid = $$;

    open my $fh, '>', "$dir/enabled_plugins" or die "$!";
    print $fh "[].\n";
    close $fh;
    open $fh, '>', "$dir/rabbitmq-env.conf" or die "$!";
    close $fh;
    run();
    return url();
}

# Stops the broker (TERM: it shuts down cleanly) and then its epmd.
sub stop {
    if ($pid) {
        ImsMember::Pg::reap($pid);
        undef $pid;
    }
    if ($epmd_pid) {
        ImsMember::Pg::reap($epmd_pid);
        undef $epmd_pid;
    }
}

# The broker stopped and started again, on the same directories and
# ports.
sub restart {
    stop();
    run();
    return url();
}

# The notifications waiting on the broker for a topic (and an exchange,
# glance's unless told), read until $count came or $limit seconds went
# by: [{ ctxt, publisher_id, event_type, payload, metadata }, ...] from
# oslo.messaging's listener, or with raw => 1 the AMQP messages as they
# are: [{ exchange, routing_key, properties, body }, ...].
sub consume {
    my (%o) = @_;
    my @cmd = ('/usr/bin/python3', "$root/t/lib/notifications_consume.py",
               '--url', url(),
               '--exchange', $o{exchange} // 'glance',
               '--topic', $o{topic} // 'notifications',
               '--count', $o{count} // 1,
               '--timeout', $o{limit} // 10);
    push @cmd, '--raw' if $o{raw};
    my ($out, $err) = ('', '');
    IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err)
        or die "@cmd failed:\n$err";
    return [map { decode_json($_) } grep { /\S/ } split /\n/, $out];
}

# The listening sockets of the broker's ports (AMQP, distribution,
# epmd) that are not on loopback: none, unless something is wrong.
sub off_loopback {
    my %ours = map { ($_ => 1) } grep { defined } $port, $dist_port,
                                                  $epmd_port;
    my @off;
    for (split /\n/, ImsMember::Pg::run_quiet('ss', '-ltnH')) {
        my (undef, undef, undef, $local) = split ' ';
        my ($addr, $p) = ($local // '') =~ /^(.*):(\d+)$/ or next;
        push @off, $local
            if $ours{$p} && $addr !~ /^(127\.0\.0\.1|\[::1\])$/;
    }
    return @off;
}

sub log_text {
    my $text = '';
    for my $f ("$dir/rabbitmq.out", glob("$dir/log/*.log")) {
        open my $fh, '<', $f or next;
        local $/;
        $text .= <$fh>;
    }
    return $text;
}

END {
    if ($owner_pid && $owner_pid == $$) {
        local $?;
        eval { stop() };
        system('rm', '-rf', $dir) if $dir && !$ENV{TEST_NGINX_NO_CLEAN};
    }
}

1;
