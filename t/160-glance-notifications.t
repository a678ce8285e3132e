# What a real glance-api (Debian's 25.1) itself sends for member changes,
# with its notifications on (oslo.messaging's messagingv2) to a RabbitMQ
# broker of the file's own: exactly one notification for each create,
# update and delete of a member, as ImsMember::Notifications describes and
# expects it, times and ids masked.  nginx stands in front of glance-api
# as in the README's recipe; the changes go to glance-api itself.
#
# The envelope on the wire (test 1): the message is published on the
# topic exchange "glance" (Glance's control_exchange) with the routing
# key "notifications.info" (topic "notifications", priority info), into
# the queue of that name the sender declares (not durable, not
# auto-deleted), content type application/json, utf-8, delivery mode 2.
# Its body is oslo.messaging's version 2 envelope:
#
#   {"oslo.version": "2.0",
#    "oslo.message": "<JSON text of {message_id (a UUID), publisher_id,
#                     event_type, priority: \"INFO\", payload,
#                     timestamp (\"YYYY-MM-DD hh:mm:ss.ffffff\", UTC),
#                     _unique_id (32 hex digits, the rabbit driver's)}>"}
#
# with no _context_ key: Glance's context is empty.  The listener hands
# its endpoint ctxt {client_timeout: null}, publisher_id, event_type,
# payload and metadata {message_id, timestamp}.
#
# Glance sends image.member.update for every PUT that succeeds, also when
# the status does not change (test 4): its member repository's save()
# runs, and notifies, whatever the status was.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Rabbit;
use ImsMember::Glance;
use ImsMember::Notifications;
use JSON::PP;
use Test::Nginx::Socket;
use Time::HiRes ();

our $T0 = Time::HiRes::time();
our $Url = ImsMember::Rabbit::start();
our $Publisher = 'image.test-host';
our $G = ImsMember::Glance::start(notifications => {
    url => $Url, publisher_id => $Publisher });
Test::More::diag(sprintf('RabbitMQ up in %.1f s, glance-api too %.1f s'
                         . ' after the start', ImsMember::Rabbit::started_in(),
                         Time::HiRes::time() - $T0));

$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};

our $Image = 'a1600000-0000-4000-8000-000000000001';

ImsMember::Glance::sql(
    "INSERT INTO images (id, name, status, created_at, deleted, owner,"
    . " visibility, os_hidden, protected, min_disk, min_ram) VALUES"
    . " ('$Image', 'shared', 'active', '2020-01-01 00:00:00', false,"
    . " 'p-owner', 'shared', false, false, 0, 0)");

# A change sent to glance-api itself: (who, method, member or '' for the
# collection, body or undef); dies unless Glance answers $status.
sub change {
    my ($who, $method, $member, $body, $status) = @_;
    my $path = "/v2/images/$Image/members" . ($member ? "/$member" : '');
    my $r = ImsMember::Glance::raw($G->{port}, $method, $path,
        [ImsMember::Glance::identity($who),
         defined $body ? ('Content-Type' => 'application/json') : ()],
        $body);
    die "$method $path: $r->{line}\n$r->{body}\n"
        unless $r->{status} == $status;
    return $r;
}

# What a listener gets after a change: everything that came within 2 s
# (Glance sends before it answers: what it sent is already queued).
sub received {
    return ImsMember::Rabbit::consume(count => 5, limit => 2, @_);
}

sub expected {
    my ($event, $member, $status) = @_;
    return ImsMember::Notifications::expected(
        event => $event, publisher_id => $Publisher, image_id => $Image,
        member_id => $member, status => $status);
}

# One notification, as expected, masked; its payload's times as sent.
sub check_one {
    my ($got, $event, $member, $status) = @_;
    Test::More::is(scalar @$got, 1, "exactly one notification of"
                   . " image.member.$event")
        or Test::More::diag(JSON::PP->new->canonical->encode($got));
    Test::More::is_deeply(ImsMember::Notifications::mask($got->[0]),
                          expected($event, $member, $status),
                          "image.member.$event as expected, field for field")
        or Test::More::diag(JSON::PP->new->canonical->encode($got->[0]));
    return $got->[0]{payload};
}

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 20;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    upstream glance {
        server 127.0.0.1:$TEST_NGINX_GLANCE_PORT;
    }
_EOC_

    $block->set_value("config", <<'_EOC_');
    location /v2/ {
        proxy_pass http://glance;
    }
_EOC_
});

run_tests();

Test::More::diag(sprintf('the file took %.1f s',
                         Time::HiRes::time() - $::T0));

__DATA__

=== TEST 1: the envelope on the wire: exchange glance, routing key notifications.info, oslo.messaging's version 2 message
--- init
Test::More::is_deeply([ImsMember::Rabbit::off_loopback()], [],
                      "the broker and its epmd listen on loopback only");
main::change('p-owner', 'POST', '', '{"member": "p-other"}', 200);
my $raw = ImsMember::Rabbit::consume(raw => 1, count => 5, limit => 2);
Test::More::is(scalar @$raw, 1, "one message");
my $m = $raw->[0];
Test::More::is_deeply([$m->{exchange}, $m->{routing_key},
                       $m->{properties}{content_type},
                       $m->{properties}{content_encoding},
                       $m->{properties}{delivery_mode}],
                      ['glance', 'notifications.info', 'application/json',
                       'utf-8', 2], "exchange, routing key, properties");
my $body = JSON::PP::decode_json($m->{body});
Test::More::is_deeply([sort keys %$body], ['oslo.message', 'oslo.version'],
                      "the envelope's keys");
Test::More::is($body->{'oslo.version'}, '2.0', "oslo.version 2.0");
my $msg = JSON::PP::decode_json($body->{'oslo.message'});
my $want = { %{ main::expected('create', 'p-other', 'pending') } };
Test::More::is_deeply(ImsMember::Notifications::mask_message($msg),
    { message_id => $ImsMember::Notifications::Uuid,
      publisher_id => $::Publisher, event_type => 'image.member.create',
      priority => 'INFO', payload => $want->{payload},
      timestamp => $ImsMember::Notifications::Stamp,
      _unique_id => 'hex32' },
    "oslo.message, field for field")
    or Test::More::diag($m->{body});
--- request
GET /v2/images/a1600000-0000-4000-8000-000000000001/members/p-other
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "pending"



=== TEST 2: a member created: one image.member.create, pending, not deleted
--- init
main::change('p-owner', 'POST', '', '{"member": "p-member"}', 200);
my $p = main::check_one(main::received(), 'create', 'p-member', 'pending');
my $row = ImsMember::Glance::sql("SELECT to_char(created_at,"
    . " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM image_members WHERE"
    . " image_id = '$::Image' AND member = 'p-member' AND NOT deleted");
Test::More::is($p->{created_at}, $row, "created_at: the row's, in UTC");
Test::More::is($p->{updated_at}, $p->{created_at}, "updated_at as created");
--- request
GET /v2/images/a1600000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "pending"



=== TEST 3: a member's status changed: one image.member.update with the new status
--- init
main::change('p-member', 'PUT', 'p-member', '{"status": "accepted"}', 200);
main::check_one(main::received(), 'update', 'p-member', 'accepted');
--- request
GET /v2/images/a1600000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 4: the same status again: Glance still sends one image.member.update
--- init
main::change('p-member', 'PUT', 'p-member', '{"status": "accepted"}', 200);
main::check_one(main::received(), 'update', 'p-member', 'accepted');
--- request
GET /v2/images/a1600000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 5: a member removed: one image.member.delete, deleted, with the time of the delete
--- init
main::change('p-owner', 'DELETE', 'p-member', undef, 204);
my $p = main::check_one(main::received(), 'delete', 'p-member', 'accepted');
Test::More::cmp_ok($p->{deleted_at}, 'ge', $p->{updated_at},
                   "deleted_at not before updated_at");
--- request
GET /v2/images/a1600000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 404
--- response_body_like: .



=== TEST 6: a failed change sends nothing; the broker restarted, Glance sends again
--- init
main::change('p-owner', 'DELETE', 'p-nobody', undef, 404);
Test::More::is(scalar @{ main::received() }, 0, "nothing for a 404");
ImsMember::Rabbit::restart();
Test::More::diag(sprintf('RabbitMQ restarted in %.1f s',
                         ImsMember::Rabbit::started_in()));
main::change('p-owner', 'POST', '', '{"member": "p-member"}', 200);
main::check_one(main::received(), 'create', 'p-member', 'pending');
--- request
GET /v2/images/a1600000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "pending"
