# The connection pool inside nginx's event loop: one worker never waits for
# the database, requests queue in order, connections are reused, a lost
# database answers 503 and comes back without restarting nginx.
#
# Each proof drives concurrent requests from --- init, while nginx runs,
# and orders them with row locks held by a psql session, never with sleeps.
# Group commit is off here: its own queue is proven in t/014-group-commit.t.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3) + 26;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit off;
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
    ims_member_group_commit off;
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
    ims_member_group_commit off;
    ims_member_timeout 3s;
--- init
my ($status, $body) = ImsMember::Pg::put_member(
    '11111111-1111-1111-1111-111111111111', 'p-member', '{"status": "accepted"}');
Test::More::is($status, 200, "a pooled connection is open");

ImsMember::Pg::stop_server();
($status, $body) = ImsMember::Pg::put_member(
    '11111111-1111-1111-1111-111111111111', 'p-member', '{"status": "accepted"}');
Test::More::is($status, 503, "no database: 503");
Test::More::is($body, '{"error": {"code": "IMG.9003", "message":'
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
    ims_member_group_commit off;
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
--- response_body_like: "IMG.9003"
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



=== TEST 6: a pooled connection whose backend was ended is never used: no 503 on a healthy database
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit off;
    ims_member_pool 1;
--- init
my (@codes, $ended);
for my $i (1 .. 20) {
    my ($status) = ImsMember::Pg::put_member(
        '11111111-1111-1111-1111-111111111111', 'p-member',
        '{"status": "' . ($i % 2 ? 'accepted' : 'rejected') . '"}');
    push @codes, $status;
    # FATAL and the end of the stream reach the parked connection at once
    $ended += ImsMember::Pg::terminate_backends() ? 1 : 0;
}
ImsMember::Pg::restart_server();
my ($status) = ImsMember::Pg::put_member(
    '11111111-1111-1111-1111-111111111111', 'p-member',
    '{"status": "pending"}');
push @codes, $status;
Test::More::is("@codes . $ended", join(' ', (200) x 21) . " . 20",
               "every update after a terminated backend or a restart: 200");
Test::More::is(ImsMember::Pg::sql("SELECT bool_and(s.ssl) FROM pg_stat_ssl s"
                                  . " JOIN pg_stat_activity a USING (pid)"
                                  . " WHERE a.application_name <> 'ims-test'"
                                  . " AND a.datname = 'ims'"),
               $ENV{IMS_MEMBER_PG_SSL} ? 't' : 'f',
               "the module's connection is SSL exactly when the DSN asks");
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- error_log
ims_member: PostgreSQL closed an idle connection



=== TEST 7: PostgreSQL refusing connections (role at its limit): few attempts, with back-off, and 503 at once; then it comes back
--- http_config eval
qq{
    ims_member_database "@{[ ImsMember::Pg::dsn('ims_limited') ]}";
    ims_member_pool 16;
}
--- init
ImsMember::Pg::sql("DROP ROLE IF EXISTS ims_limited");
ImsMember::Pg::sql("CREATE ROLE ims_limited LOGIN CONNECTION LIMIT 2");
ImsMember::Pg::sql("GRANT ALL ON ALL TABLES IN SCHEMA public TO ims_limited");
ImsMember::Pg::sql("GRANT ALL ON ALL SEQUENCES IN SCHEMA public"
                   . " TO ims_limited");

# two sessions of the role take all it may have
my @full = map { ImsMember::Pg::session('ims_limited') } 1 .. 2;
$_->query("SELECT 1") for @full;

# a steady stream of requests, each of which would want a connection
my @codes;
for (1 .. 30) {
    push @codes, (ImsMember::Pg::put_member(
        '77777777-7777-7777-7777-777777777777', 'p-member',
        '{"status": "accepted"}'))[0];
    select(undef, undef, undef, 0.05);
}
Test::More::is("@codes", join(' ', (503) x 30),
               "no connection can be made: 503 at once");
my $tries = ImsMember::Pg::error_log_count("too many connections for role");
Test::More::cmp_ok($tries, '<=', 10,
                   "a few connection attempts, not one per request"
                   . " ($tries)");

$_->close for @full;
Test::More::ok(ImsMember::Pg::wait_until(sub {
    (ImsMember::Pg::put_member('77777777-7777-7777-7777-777777777777',
                               'p-member', '{"status": "pending"}'))[0]
    == 200
}, 8), "served again once connections can be made");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "rejected"}
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",
--- error_log
ims_member: next connection attempt in
--- timeout: 10



=== TEST 8: a statement abandoned at ims_member_timeout ends in PostgreSQL too, with its locks
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit off;
    ims_member_timeout 500ms;
--- init
ImsMember::Pg::reset_fixtures();
my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id ="
             . " '66666666-6666-6666-6666-666666666666' FOR UPDATE");

my ($status) = ImsMember::Pg::put_member(
    '66666666-6666-6666-6666-666666666666', 'p-member',
    '{"status": "accepted"}');
Test::More::is($status, 503, "the request gave up");
Test::More::ok(ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
                       . " WHERE wait_event_type = 'Lock'") == 0
}, 5), "its statement stopped waiting while the lock is still held");
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members"
                                  . " WHERE image_id ="
                                  . " '66666666-6666-6666-6666-666666666666'"
                                  . " AND member = 'p-member'"),
               'pending', "and changed nothing");
$lock->query("COMMIT");
$lock->close;
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "accepted"}
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[alert]



=== TEST 9: an unused connection is closed after ims_member_idle_timeout
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit off;
    ims_member_idle_timeout 300ms;
--- init
# (with TEST_NGINX_USE_HUP, a worker of the last configuration may still
# take the first request, and close its connection as it exits)
my ($status, $closed);
for (1 .. 3) {
    ($status) = ImsMember::Pg::put_member(
        '77777777-7777-7777-7777-777777777777', 'p-member',
        '{"status": "pending"}');
    ImsMember::Pg::wait_until(sub { !ImsMember::Pg::module_backends() }, 10);
    last if $closed = ImsMember::Pg::error_log_has(
                          "unused for ims_member_idle_timeout");
}
Test::More::is($status, 200, "a connection was used and parked");
Test::More::ok($closed, "and closed once idle for 300 ms");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "accepted"}
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- error_log
unused for ims_member_idle_timeout



=== TEST 10: past ims_member_queue waiting requests, 503 at once
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit off;
    ims_member_pool 1;
    ims_member_queue 1;
--- init
# the row's status is not the one asked: the update waits for the lock (a
# repeat of its status would take none)
ImsMember::Pg::reset_fixtures();
my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id ="
             . " '66666666-6666-6666-6666-666666666666' FOR UPDATE");

my $a = ImsMember::Pg::http_send('PUT',
    '/v2/images/66666666-6666-6666-6666-666666666666/members/p-member',
    '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');
ImsMember::Pg::wait_for_lock_waiter();
my $b = ImsMember::Pg::http_send('PUT',
    '/v2/images/77777777-7777-7777-7777-777777777777/members/p-member',
    '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');
ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::error_log_has("statement waits for a connection")
}) or die "the second update should wait in the queue\n";

my ($status, $body) = ImsMember::Pg::put_member(
    '77777777-7777-7777-7777-777777777777', 'p-member',
    '{"status": "rejected"}');
Test::More::is($status, 503, "a third, past the queue: 503 while the lock"
                             . " is still held");
Test::More::like($body, qr/"IMG\.9004"/, "the queue-full error");

$lock->query("COMMIT");
$lock->close;
my @codes = map { (ImsMember::Pg::http_read($_))[0] } $a, $b;
Test::More::is("@codes", "200 200", "the waiting ones answer");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "pending"}
--- error_code: 200
--- error_log
already wait for a database connection



=== TEST 11: ims_member_queue 0: a request waits for a connection being opened, never for a busy one
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_group_commit off;
    ims_member_pool 2;
    ims_member_queue 0;
--- init
ImsMember::Pg::reset_fixtures();

# a fresh worker: both wait for connections being opened
my @s = map {
    ImsMember::Pg::http_send('PUT',
        '/v2/images/77777777-7777-7777-7777-777777777777/members/p-member',
        '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member')
} 1 .. 2;
my @codes = map { (ImsMember::Pg::http_read($_))[0] } @s;
Test::More::is("@codes", "200 200", "no 503 while connections are opened");

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id ="
             . " '66666666-6666-6666-6666-666666666666' FOR UPDATE");
@s = map {
    ImsMember::Pg::http_send('PUT',
        '/v2/images/66666666-6666-6666-6666-666666666666/members/p-member',
        '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member')
} 1 .. 2;
ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
                       . " WHERE wait_event_type = 'Lock'") == 2
}) or die "both connections should wait for the lock\n";
my ($status) = ImsMember::Pg::put_member(
    '77777777-7777-7777-7777-777777777777', 'p-member',
    '{"status": "rejected"}');
Test::More::is($status, 503, "both busy: 503 at once");
$lock->query("COMMIT");
$lock->close;
@codes = map { (ImsMember::Pg::http_read($_))[0] } @s;
Test::More::is("@codes", "200 200", "the busy ones answer");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "pending"}
--- error_code: 200
--- error_log
already wait for a database connection
