# The connection pool inside nginx's event loop: one worker never waits for
# the database, requests queue in order, connections are reused, a lost
# database answers 503 and comes back without restarting nginx.
#
# Each proof drives concurrent requests from --- init, while nginx runs,
# and orders them with row locks held by a psql session, never with sleeps.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3 + 1) + 11;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_pool 2;
    ims_member_timeout 5s;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-member\n");
    }
});

run_tests();

__DATA__

=== TEST 1: one worker: an update waits for a locked row, another image's update answers meanwhile
--- init
ImsMember::Pg::reset_fixtures();

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id ="
             . " '66666666-6666-6666-6666-666666666666' FOR UPDATE");

my $waiting = ImsMember::Pg::http_send('PUT',
    '/v2/images/66666666-6666-6666-6666-666666666666/members/p-member',
    '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');

ImsMember::Pg::wait_for_lock_waiter();

my ($status, $body) = ImsMember::Pg::put_member(
    '77777777-7777-7777-7777-777777777777', 'p-member',
    '{"status": "accepted"}');
Test::More::is($status, 200, "the free image answers while the other waits");
Test::More::like($body, qr/^\{"status": "accepted"/, "and is accepted");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
                                  . " WHERE wait_event_type = 'Lock'"),
               1, "the locked update is still waiting");

$lock->query("COMMIT");
$lock->close;

($status, $body) = ImsMember::Pg::http_read($waiting);
Test::More::is($status, 200, "the locked update answers once the lock goes");
Test::More::like($body, qr/^\{"status": "accepted", .*"6666/,
                 "and is accepted");
--- request
PUT /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
{"status": "rejected"}
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",
--- no_error_log
[error]



=== TEST 2: with one connection, concurrent requests wait in line and all answer
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_pool 1;
--- init
my @s = map {
    ImsMember::Pg::http_send('PUT',
        '/v2/images/11111111-1111-1111-1111-111111111111/members/p-member',
        '{"status": "' . ($_ % 2 ? 'accepted' : 'rejected') . '"}',
        'X-Auth-Token' => 'tok-member')
} 1 .. 6;
my @codes = map { (ImsMember::Pg::http_read($_))[0] } @s;
Test::More::is("@codes", "200 200 200 200 200 200", "six answers, one connection");
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- error_code: 200
--- grep_error_log: ims_member: new PostgreSQL connection
--- grep_error_log_out
ims_member: new PostgreSQL connection
--- error_log
ims_member: statement waits for a connection



=== TEST 3: PostgreSQL stopped: 503 with a JSON error; started again: 200, same nginx
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 3s;
--- init
my ($status, $body) = ImsMember::Pg::put_member(
    '11111111-1111-1111-1111-111111111111', 'p-member', '{"status": "accepted"}');
Test::More::is($status, 200, "a pooled connection is open");

ImsMember::Pg::stop_server();
($status, $body) = ImsMember::Pg::put_member(
    '11111111-1111-1111-1111-111111111111', 'p-member', '{"status": "accepted"}');
Test::More::is($status, 503, "no database: 503");
Test::More::is($body, '{"error": {"code": "IMG.0010", "message":'
               . ' "The image database is unavailable; retry later."}}',
               "a JSON error that leaks nothing");
Test::More::is(ImsMember::Pg::error_log_count("could not connect to PostgreSQL"),
               1, "one attempt to connect, no storm of them");

ImsMember::Pg::start_server();
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "rejected"}
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",
--- error_log
ims_member: PostgreSQL closed an idle connection
ims_member: could not connect to PostgreSQL
--- timeout: 10



=== TEST 4: a database that does not answer in time: 503 after ims_member_timeout
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 500ms;
--- init
$main::lock = ImsMember::Pg::session();
$main::lock->query("BEGIN");
$main::lock->query("SELECT 1 FROM image_members WHERE image_id ="
                   . " '66666666-6666-6666-6666-666666666666' FOR UPDATE");
--- request
PUT /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
{"status": "pending"}
--- error_code: 503
--- response_body_like: "IMG.0010"
--- error_log
ims_member: PostgreSQL did not answer within 500 ms
--- timeout: 5



=== TEST 5: after the timeout the connection was drained and the pool still serves
--- init
$main::lock->query("ROLLBACK");
$main::lock->close;
my ($status) = ImsMember::Pg::put_member(
    '77777777-7777-7777-7777-777777777777', 'p-member', '{"status": "pending"}');
Test::More::is($status, 200, "served after a timed-out statement");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "accepted"}
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[alert]
