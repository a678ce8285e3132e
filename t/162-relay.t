# The relay (scripts/ims-member-relay): the member events the module
# writes, published as the notifications glance-api itself sends, on the
# same broker under the same publisher id; none lost, each once but the one
# in flight when the relay is killed; one relay per name; retention.
#
# One RabbitMQ and one glance-api (its own notifications on) for the file;
# nginx answers the member API with the module on Glance's database, as in
# the README's recipe, and proxies the rest to glance-api.  The same
# change goes to glance-api itself on one image and to the module on
# another: what a consumer receives of the two is the same, field for
# field, but the image, the times and the message id.
#
# Durability (tests 5 and 6) runs on an exchange and a topic of their own,
# with amqp_durable_queues on both sides: an exchange keeps the
# durability it was declared with, and glance-api's are not durable.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Rabbit;
use ImsMember::Glance;
use ImsMember::Notifications;
use Digest::SHA ();
use IPC::Run ();
use JSON::PP;
use POSIX ();
use Test::Nginx::Socket;
use Time::HiRes ();

our $T0 = Time::HiRes::time();
our $Url = ImsMember::Rabbit::start();
our $Publisher = 'image.test-host';
our $G = ImsMember::Glance::start(notifications => {
    url => $Url, publisher_id => $Publisher });
Test::More::diag(sprintf('RabbitMQ and glance-api up in %.1f s',
                         Time::HiRes::time() - $T0));

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};

our $Root = ImsMember::Pg::root();
our $Dir = ImsMember::Pg::dir() . '/relay';
mkdir $Dir;

# glance-api changes the first, the module the second; the third takes the
# stream of updates
our $ImageG = 'a1620000-0000-4000-8000-000000000001';
our $ImageM = 'a1620000-0000-4000-8000-000000000002';
our $ImageS = 'a1620000-0000-4000-8000-000000000003';

ImsMember::Glance::sql(join '; ', map {
    "INSERT INTO images (id, name, status, created_at, deleted, owner,"
    . " visibility, os_hidden, protected, min_disk, min_ram) VALUES"
    . " ('$_', 'shared', 'active', '2020-01-01 00:00:00', false,"
    . " 'p-owner', 'shared', false, false, 0, 0)"
} $ImageG, $ImageM, $ImageS);

# A change: (port, who, method, image, member or '' for the collection,
# body or undef, status expected); dies on another status.
sub change {
    my ($port, $who, $method, $image, $member, $body, $status) = @_;
    my $path = "/v2/images/$image/members" . ($member ? "/$member" : '');
    my $r = ImsMember::Glance::raw($port, $method, $path,
        [ImsMember::Glance::identity($who),
         defined $body ? ('Content-Type' => 'application/json') : ()],
        $body);
    die "$method $path: $r->{line}\n$r->{body}\n"
        unless $r->{status} == $status;
    return $r;
}

# The same change to glance-api ($ImageG) and to the module ($ImageM): what
# a consumer gets for each, [glance's, the relay's], everything that came
# within 3 s (raw: the AMQP messages).
sub both {
    my ($raw, $who, $method, $member, $body, $status) = @_;
    my @got;
    for ([$G->{port}, $ImageG], [ImsMember::Pg::nginx_port(), $ImageM]) {
        change($_->[0], $who, $method, $_->[1], $member, $body, $status);
        push @got, ImsMember::Rabbit::consume(raw => $raw, count => 5,
                                              limit => 3);
    }
    return @got;
}

# Glance's notification and the relay's, the image's id aside.
sub same {
    my ($g, $r, $what) = @_;
    Test::More::is(scalar @$g, 1, "glance-api: one $what");
    Test::More::is(scalar @$r, 1, "the relay: one $what");
    my $gm = ImsMember::Notifications::mask($g->[0]);
    my $rm = ImsMember::Notifications::mask($r->[0]);
    Test::More::is($rm->{payload}{image_id}, $ImageM, "the module's image");
    $rm->{payload}{image_id} = $ImageG;
    Test::More::is_deeply($rm, $gm, "$what: as glance-api's, field for"
                                    . " field")
        or Test::More::diag(JSON::PP->new->canonical->encode([$g, $r]));
}

# uuid5(namespace, name), as Python's uuid.uuid5()
sub uuid5 {
    my ($ns, $name) = @_;
    (my $hex = $ns) =~ s/-//g;
    my @b = unpack('C16', Digest::SHA::sha1(pack('H32', $hex) . $name));
    $b[6] = ($b[6] & 0x0f) | 0x50;
    $b[8] = ($b[8] & 0x3f) | 0x80;
    my $h = unpack('H32', pack('C16', @b));
    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20);
}

# The relay: its configuration file (name, durable, more lines for
# [ims_member_relay]) and its process, output to a log of its own.
our ($RelayN, %Relay) = (0);

sub relay_start {
    my (%o) = @_;
    my $n = ++$RelayN;
    my $conf = "$Dir/relay$n.conf";
    open my $fh, '>', $conf or die "$!";
    print $fh "[DEFAULT]\n",
              "transport_url = $Url\n",
              "default_publisher_id = $Publisher\n";
    print $fh "control_exchange = ims_durable\n",
              "\n[oslo_messaging_notifications]\n",
              "topics = ims_durable\n",
              "\n[oslo_messaging_rabbit]\n",
              "amqp_durable_queues = true\n"
        if $o{durable};
    print $fh "\n[ims_member_relay]\n",
              "database = ", ImsMember::Glance::dsn(), "\n",
              "name = ", $o{name} // 'glance', "\n",
              "poll_interval = ", $o{poll} // 1, "\n",
              $o{more} // '';
    close $fh;
    my $log = "$Dir/relay$n.log";
    my $pid = ImsMember::Pg::spawn($log, {}, "$Root/scripts/ims-member-relay",
                                   '--config-file', $conf);
    $Relay{$pid} = $log;
    return $pid;
}

sub relay_log {
    my $pid = shift;
    open my $fh, '<', $Relay{$pid} or return '';
    local $/;
    return <$fh>;
}

# Signals a relay; returns its exit status (bounded wait).
sub relay_stop {
    my ($pid, $sig) = @_;
    kill $sig, $pid;
    my $done = ImsMember::Pg::wait_until(sub {
        waitpid($pid, POSIX::WNOHANG()) == $pid
    }, 30);
    my $status = $done ? $? : -1;
    ImsMember::Pg::reap($pid) unless $done;
    delete $Relay{$pid};
    return $status;
}

sub relay_place {
    my $name = shift // 'glance';
    return ImsMember::Glance::sql("SELECT last_id FROM ims_member_relay"
                                  . " WHERE name = '$name'") || 0;
}

# the last event written, also when the purge took it
sub max_event {
    return ImsMember::Glance::sql("SELECT greatest((SELECT max(id) FROM"
                                  . " ims_member_events), (SELECT"
                                  . " max(last_id) FROM ims_member_relay),"
                                  . " 0)");
}

sub stream_id {
    return ImsMember::Glance::sql("SELECT stream FROM ims_member_relay"
                                  . " WHERE name = 'glance'");
}

# The durable queue of the consumer, bound before events flow.
sub declare_durable {
    my $py = <<'_PY_';
import amqp, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = amqp.Connection(host='%s:%d' % (u.hostname, u.port), userid=u.username,
                    password=u.password)
c.connect()
ch = c.channel()
ch.exchange_declare('ims_durable', 'topic', durable=True, auto_delete=False)
ch.queue_declare('ims_durable.info', durable=True, auto_delete=False)
ch.queue_bind('ims_durable.info', 'ims_durable', 'ims_durable.info')
c.close()
_PY_
    ImsMember::Pg::run_quiet('/usr/bin/python3', '-c', $py, $Url);
}

# What came on the durable queue: { message id => times }.
sub durable_received {
    my ($count, $limit) = @_;
    my $got = ImsMember::Rabbit::consume(raw => 1, topic => 'ims_durable',
                                         exchange => 'ims_durable',
                                         count => $count, limit => $limit);
    my %ids;
    for (@$got) {
        my $m = JSON::PP::decode_json(
            JSON::PP::decode_json($_->{body})->{'oslo.message'});
        $ids{$m->{message_id}}++;
    }
    return \%ids;
}

# Every event in ($from, $to] came at least once; returns (missing,
# duplicates, strangers).
sub account {
    my ($ids, $from, $to) = @_;
    my $stream = stream_id();
    my %want = map { (uuid5($stream, $_) => $_) } ($from + 1) .. $to;
    my @missing = sort { $a <=> $b } map { $want{$_} }
                  grep { !$ids->{$_} } keys %want;
    my $dups = 0;
    $dups += $ids->{$_} - 1 for grep { $want{$_} } keys %$ids;
    my $strangers = grep { !$want{$_} } keys %$ids;
    return (\@missing, $dups, $strangers);
}

# $n updates through the module on $ImageS, alternating so that each
# changes its row, by a child: returns its pid.
sub stream_start {
    my ($n, $members) = @_;
    my $port = ImsMember::Pg::nginx_port();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $ok = eval {
            for my $i (0 .. $n - 1) {
                my $m = "p-s" . ($i % $members);
                my $status = int($i / $members) % 2 ? 'rejected'
                                                    : 'accepted';
                change($port, $m, 'PUT', $ImageS, $m,
                       "{\"status\": \"$status\"}", 200);
            }
            1;
        };
        print STDERR $@ unless $ok;
        POSIX::_exit($ok ? 0 : 1);
    }
    return $pid;
}

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 42;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";
    ims_member_policy legacy;

    map $http_x_identity_status $ims_project {
        "~^[ \t]*Confirmed[ \t]*$"  $http_x_project_id;
        default                       "";
    }

    upstream glance {
        server 127.0.0.1:$TEST_NGINX_GLANCE_PORT;
    }
_EOC_

    $block->set_value("config", <<'_EOC_');
    location /v2/images/ {
        ims_member_project $ims_project;
        ims_member_roles   $http_x_roles;
        ims_member_errors  glance;
        ims_member_api;
    }

    location /v2/ {
        proxy_pass http://glance;
    }
_EOC_
});

run_tests();

END {
    kill 'KILL', $_ for keys %Relay;
}

Test::More::diag(sprintf('the file took %.1f s',
                         Time::HiRes::time() - $::T0));

__DATA__

=== TEST 1: a member created: the relay's message on the wire is glance-api's, exchange, routing key, envelope and all
--- init
$::R1 = main::relay_start();
ImsMember::Pg::wait_until(sub { main::relay_log($::R1) =~ /publishes/ }, 30)
    or Test::More::diag(main::relay_log($::R1));
my $start = 'relay "glance" publishes stream [0-9a-f-]{36} after event 0'
            . ' to rabbit://127\.0\.0\.1:\d+/ as image\.test-host\n';
Test::More::like(main::relay_log($::R1), qr/$start/,
    "one line at its start: name, stream, place, broker, publisher");
my ($g, $r) = main::both(1, 'p-owner', 'POST', '', '{"member": "p-member"}',
                         200);
Test::More::is(scalar @$r, 1, "one message from the relay");
$r = [{ body => '{"oslo.message": "{}"}' }] unless @$r;
my @seen = map {
    my $m = $_->[0];
    my $body = JSON::PP::decode_json($m->{body});
    my $msg = JSON::PP::decode_json($body->{'oslo.message'});
    $msg->{payload}{image_id} = 'image';
    [$m->{exchange}, $m->{routing_key}, $m->{properties},
     [sort keys %$body], $body->{'oslo.version'},
     ImsMember::Notifications::mask_message($msg)]
} $g, $r;
Test::More::is_deeply($seen[1], $seen[0],
                      "exchange, routing key, properties, envelope,"
                      . " oslo.message: as glance-api's")
    or Test::More::diag(JSON::PP->new->canonical->encode([$g, $r]));
my $msg = JSON::PP::decode_json(JSON::PP::decode_json($r->[0]{body})
                                ->{'oslo.message'});
my $ev = ImsMember::Glance::sql("SELECT id FROM ims_member_events"
    . " WHERE image_id = '$::ImageM' ORDER BY id DESC LIMIT 1");
Test::More::is($msg->{message_id}, main::uuid5(main::stream_id(), $ev),
               "message_id: uuid5 of the stream and the event's id");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000002/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "pending"



=== TEST 2: a member's status changed: image.member.update as glance-api's
--- init
main::same(main::both(0, 'p-member', 'PUT', 'p-member',
                      '{"status": "accepted"}', 200), 'image.member.update');
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000002/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 3: a member removed: image.member.delete as glance-api's; the relay stops on SIGTERM, at its place
--- init
main::same(main::both(0, 'p-owner', 'DELETE', 'p-member', undef, 204),
           'image.member.delete');
Test::More::is(main::relay_place(), main::max_event(),
               "its place: the last event");
Test::More::is(main::relay_stop($::R1, 'TERM'), 0, "SIGTERM: exit 0");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000002/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 404
--- response_body_like: .



=== TEST 4: the events of a stopped relay wait for it; a failed change writes none
--- init
main::change(ImsMember::Pg::nginx_port(), 'p-owner', 'POST', $::ImageM, '',
             '{"member": "p-later"}', 200);
main::change(ImsMember::Pg::nginx_port(), 'p-owner', 'DELETE', $::ImageM,
             'p-nobody', undef, 404);
Test::More::is(scalar @{ ImsMember::Rabbit::consume(count => 1,
                                                    limit => 1) },
               0, "nothing sent while no relay runs");
my $r = main::relay_start();
my $got = ImsMember::Rabbit::consume(count => 5, limit => 3);
Test::More::is_deeply([map { "$_->{event_type} $_->{payload}{member_id}" }
                       @$got], ['image.member.create p-later'],
                      "the create, once, when it starts");
Test::More::is(main::relay_stop($r, 'TERM'), 0, "SIGTERM: exit 0");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000002/members/p-later
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "pending"



=== TEST 5: 2,000 updates, the relay killed twice, RabbitMQ restarted: none lost, one duplicate a kill at most
--- init
my ($members, $n, $more) = (20, 2000, 10);
my $from = main::max_event();
main::change(ImsMember::Pg::nginx_port(), 'p-owner', 'POST', $::ImageS, '',
             "{\"member\": \"p-s$_\"}", 200) for 0 .. $members - 1;
main::declare_durable();
my $t0 = Time::HiRes::time();
my $relay = main::relay_start(durable => 1);
my $stream = main::stream_start($n, $members);
for my $at (300, 800) {
    ImsMember::Pg::wait_until(sub { main::relay_place() >= $from + $at }, 60)
        or Test::More::diag("the relay did not reach $at");
    main::relay_stop($relay, 'KILL');
    $relay = main::relay_start(durable => 1);
}
ImsMember::Pg::wait_until(sub { main::relay_place() >= $from + 1200 }, 60)
    or Test::More::diag("the relay did not reach 1200");
ImsMember::Rabbit::restart();
Test::More::diag(sprintf('RabbitMQ restarted in %.1f s',
                         ImsMember::Rabbit::started_in()));
waitpid($stream, 0);
my $st = $?;
# a few more after the restart, whether the relay had caught up or not
$stream = main::stream_start($more, $members);
waitpid($stream, 0);
Test::More::is($st | $?, 0, "the stream of updates: every one 200");
my $last = main::max_event();
Test::More::is($last - $from, $members + $n + $more,
               "one event a change");
ImsMember::Pg::wait_until(sub { main::relay_place() == $last }, 120);
Test::More::is(main::relay_place(), $last, "the relay's place: the last"
                                           . " event");
Test::More::diag(sprintf('%d events relayed in %.1f s, across the kills'
                         . ' and the restart', $last - $from,
                         Time::HiRes::time() - $t0));
my $ids = main::durable_received($members + $n + $more + 10, 20);
my ($missing, $dups, $strangers) = main::account($ids, $from, $last);
Test::More::diag("$dups sent twice");
Test::More::is_deeply($missing, [], "no event lost");
Test::More::cmp_ok($dups, '<=', 3, "at most one duplicate a kill and"
                   . " one for the broker's restart ($dups)");
Test::More::is($strangers, 0, "no message but the events'");
my $log = main::relay_log($relay);
Test::More::like($log, qr/ERROR .*broker .* did not take event \d+/,
                 "the broker's restart: one line");
Test::More::like($log, qr/INFO .*broker .* took event \d+ after \d+ failed/,
                 "its return: one line");
Test::More::is(main::relay_stop($relay, 'TERM'), 0, "SIGTERM: exit 0");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000003/members/p-s1
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-s1
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "(accepted|rejected)"



=== TEST 6: two relays of one name: one sends, the other stands by, and takes over when the first is killed
--- init
my $from = main::max_event();
my $a = main::relay_start(durable => 1);
ImsMember::Pg::wait_until(sub { main::relay_log($a) =~ /publishes/ }, 30);
my $b = main::relay_start(durable => 1);
ImsMember::Pg::wait_until(sub { main::relay_log($b) =~ /standing by/ }, 30);
Test::More::like(main::relay_log($b),
                 qr/another relay publishes "glance": standing by/,
                 "the second stands by");
my $s = main::stream_start(200, 20);
waitpid($s, 0);
my $mid = main::max_event();
ImsMember::Pg::wait_until(sub { main::relay_place() == $mid }, 60);
my $ids = main::durable_received(300, 5);
my ($missing, $dups, $strangers) = main::account($ids, $from, $mid);
Test::More::is_deeply([$missing, $dups, $strangers], [[], 0, 0],
                      "200 events, each once");
Test::More::unlike(main::relay_log($b), qr/publishes stream/,
                   "the second has not published");
main::relay_stop($a, 'KILL');
ImsMember::Pg::wait_until(sub { main::relay_log($b) =~ /publishes stream/ },
                          30);
$s = main::stream_start(100, 20);
waitpid($s, 0);
my $last = main::max_event();
ImsMember::Pg::wait_until(sub { main::relay_place() == $last }, 60);
$ids = main::durable_received(200, 5);
($missing, $dups, $strangers) = main::account($ids, $mid, $last);
Test::More::is_deeply([$missing, $dups, $strangers], [[], 0, 0],
                      "the second took over: 100 events, each once");
Test::More::is(main::relay_stop($b, 'TERM'), 0, "SIGTERM: exit 0");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000003/members/p-s1
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-s1
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "(accepted|rejected)"



=== TEST 7: retention: old events a relay has delivered go, those another has not stay, recent ones stay
--- init
my $last = main::max_event();
# another relay's place, 10 events behind
ImsMember::Glance::sql("INSERT INTO ims_member_relay (name, last_id)"
                       . " VALUES ('archive', $last - 10)");
ImsMember::Glance::sql("UPDATE ims_member_events"
                       . " SET created_at = created_at - interval '2 days'");
my $r = main::relay_start(durable => 1,
                          more => "retention = 1d\npurge_interval = 0.2\n");
main::change(ImsMember::Pg::nginx_port(), 'p-owner', 'POST', $::ImageM, '',
             '{"member": "p-recent"}', 200);
my $count = sub {
    ImsMember::Glance::sql("SELECT count(*) FROM ims_member_events"
                           . " WHERE $_[0]")
};
ImsMember::Pg::wait_until(sub { $count->("id <= $last - 10") == 0 }, 30);
Test::More::is($count->("id <= $last - 10"), 0,
               "old events every relay delivered: purged");
Test::More::is($count->("id > $last - 10 AND id <= $last"), 10,
               "old events one relay has not delivered: kept");
ImsMember::Glance::sql("DELETE FROM ims_member_relay WHERE name ="
                       . " 'archive'");
ImsMember::Pg::wait_until(sub { $count->("id <= $last") == 0 }, 30);
Test::More::is($count->("id <= $last"), 0, "then purged");
Test::More::is($count->("id > $last"), 1, "the recent event: kept");
Test::More::is(main::relay_stop($r, 'TERM'), 0, "SIGTERM: exit 0");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000002/members/p-recent
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "pending"



=== TEST 8: the database connection lost: the relay connects again, claims its name again, loses nothing
--- init
my $r = main::relay_start(durable => 1);
ImsMember::Pg::wait_until(sub { main::relay_log($r) =~ /publishes/ }, 30);
my $from = main::max_event();
# what came before (test 7's event) off the queue
ImsMember::Pg::wait_until(sub { main::relay_place() == $from }, 30);
main::durable_received(100, 1);
my $s = main::stream_start(300, 20);
ImsMember::Pg::wait_until(sub { main::relay_place() >= $from + 100 }, 60);
ImsMember::Glance::sql("SELECT pg_terminate_backend(pid) FROM"
                       . " pg_stat_activity WHERE application_name ="
                       . " 'ims-member-relay'");
waitpid($s, 0);
my $last = main::max_event();
ImsMember::Pg::wait_until(sub { main::relay_place() == $last }, 60);
Test::More::is(main::relay_place(), $last, "its place: the last event");
my $ids = main::durable_received(400, 5);
my ($missing, $dups, $strangers) = main::account($ids, $from, $last);
Test::More::is_deeply([$missing, $strangers], [[], 0], "none lost");
Test::More::cmp_ok($dups, '<=', 1, "the one in flight at most twice");
my $log = main::relay_log($r);
Test::More::like($log, qr/ERROR .*database: .*connecting again/,
                 "the loss: one line");
Test::More::like($log, qr/INFO .*database reachable again/,
                 "the return: one line");
Test::More::is(main::relay_stop($r, 'TERM'), 0, "SIGTERM: exit 0");
--- request
GET /v2/images/a1620000-0000-4000-8000-000000000003/members/p-s1
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-s1
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "(accepted|rejected)"
