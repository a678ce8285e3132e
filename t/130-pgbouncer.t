# PgBouncer in transaction pooling mode between the module and PostgreSQL,
# with a pool of ONE server session: every transaction of every nginx
# connection runs on it in turn.  With "ims_member_prepare off" updates,
# groups, member calls and jobs work through it; with "on" the second
# connection's PREPARE meets the first one's statement there, which is
# why the directive exists.  New jobs are heard on a LISTEN connection
# straight to PostgreSQL, or by the timer alone.  The role's timeouts
# replace the session settings the module no longer sends.  PostgreSQL,
# then PgBouncer, stop and start again under the same nginx.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;
use Time::HiRes qw(time sleep);

# its own PgBouncer, also when the suite runs through one
ImsMember::Pg::pgbouncer_stop() if $ENV{IMS_MEMBER_PGBOUNCER};
ImsMember::Pg::pgbouncer_start(pool_size => 1);

$ENV{TEST_NGINX_BOUNCER_DSN} = ImsMember::Pg::pgbouncer_dsn('postgres');

our $Pairs = 40;

# the member API and the batch handler (jobs: a timer in each worker)
our $Jobs = <<'_EOC_';
    location ~ ^/v2/images/[^/]+/members(/[^/]+)?$ {
        ims_member_api;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }
_EOC_

repeat_each(1);

master_on();
workers(2);

plan tests => blocks() * 2 + 26;

no_shuffle();

sub image { sprintf("b0000000-0000-4000-8000-%012d", shift) }

# $Pairs shared images, each with p-member pending; the role as it was.
sub fixtures {
    ImsMember::Pg::sql("ALTER ROLE postgres IN DATABASE ims RESET ALL");
    ImsMember::Pg::reset_fixtures();
    ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
    ImsMember::Pg::sql("INSERT INTO images (id, name, status, created_at,"
        . " deleted, owner, visibility) SELECT 'b0000000-0000-4000-8000-'"
        . " || lpad(i::text, 12, '0'), 'b', 'active', now(), false,"
        . " 'p-owner', 'shared' FROM generate_series(0, $main::Pairs - 1) i;"
        . " INSERT INTO image_members (image_id, member, can_share, status,"
        . " created_at, updated_at, deleted) SELECT id, 'p-member', false,"
        . " 'pending', now(), now(), false FROM images WHERE name = 'b'");
}

# Every pair updated at once, each to $status; the answers' codes.
sub update_all {
    my $status = shift;
    my @s = map {
        ImsMember::Pg::http_send('PUT',
            "/v2/images/" . image($_) . "/members/p-member",
            qq/{"status": "$status"}/, 'X-Auth-Token' => 'tok-member')
    } 0 .. $main::Pairs - 1;
    return map { (ImsMember::Pg::http_read($_))[0] } @s;
}

sub count_status {
    my $status = shift;
    return ImsMember::Pg::sql("SELECT count(*) FROM image_members"
                              . " WHERE image_id LIKE 'b0000000-%'"
                              . " AND status = '$status'");
}

# Submits a job over HTTP; waits (bounded) for its end; its status.
sub job {
    my ($st, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
        '{"images": ["' . image(0) . '", "' . image(1) . '"],'
        . ' "project_id": "p-member", "status": "accepted"}',
        'X-Auth-Token' => 'tok-member');
    my ($id) = $body =~ /"job_id": "([0-9a-f]{32})"/;
    return "not submitted: $st" unless $id;
    return ImsMember::Pg::wait_job($id, 10);
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_BOUNCER_DSN";
    ims_member_prepare off;
    ims_member_timeout 2s;
    ims_member_job_interval 300ms;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members(/[^/]+)?$ {
        ims_member_api;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-member\n");
    }
});

run_tests();

__DATA__

=== TEST 1: unnamed statements: 40 updates at once, twice, share one server session
--- init
main::fixtures();
my @codes = main::update_all('accepted');
Test::More::is(scalar(grep { $_ == 200 } @codes), $main::Pairs,
               "every update answers 200");
Test::More::is(main::count_status('accepted'), $main::Pairs,
               "every row accepted");
@codes = main::update_all('rejected');
Test::More::is(scalar(grep { $_ == 200 } @codes), $main::Pairs,
               "again, every update answers 200");
Test::More::is(main::count_status('rejected'), $main::Pairs,
               "every row rejected");
Test::More::cmp_ok(scalar(ImsMember::Pg::module_backends()), '<=', 1,
                   "on one server session");
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000000/members/p-member
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: the same with named statements: the PREPARE of one connection meets another's
--- http_config
    ims_member_database "$TEST_NGINX_BOUNCER_DSN";
    ims_member_prepare on;
    ims_member_group_commit off;
    ims_member_timeout 2s;
--- init
main::fixtures();
my @codes = main::update_all('accepted');
Test::More::cmp_ok(scalar(grep { $_ == 500 } @codes), '>', 0,
                   "some updates fail");
--- request
PATCH /v2/images/b0000000-0000-4000-8000-000000000000/members/p-member
--- error_code: 405
--- error_log eval
qr/prepared statement "ims_member_\d+" already exists/



=== TEST 3: member calls through the pooler: create, list, show, delete
--- init
main::fixtures();
my $img = main::image(0);
my ($st) = ImsMember::Pg::http('POST', "/v2/images/$img/members",
                               '{"member": "p-other"}',
                               'X-Auth-Token' => 'tok-owner');
Test::More::is($st, 200, "create");
my ($ls, $body) = ImsMember::Pg::http('GET', "/v2/images/$img/members",
                                      undef, 'X-Auth-Token' => 'tok-owner');
Test::More::is($ls, 200, "list");
Test::More::like($body, qr/"member_id": "p-member".*"member_id": "p-other"/s,
                 "both members listed");
($st) = ImsMember::Pg::http('DELETE', "/v2/images/$img/members/p-other",
                            undef, 'X-Auth-Token' => 'tok-owner');
Test::More::is($st, 204, "delete");
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000000/members/p-other
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 404



=== TEST 4: no LISTEN through the pooler: jobs wait for the timer alone
--- config eval
$::Jobs
--- init
main::fixtures();
Test::More::is(main::job(), 'SUCCESS', "the job ends by the timer");
Test::More::is(scalar(ImsMember::Pg::module_backends(1)), 0,
               "nothing LISTENs");
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000001/members/p-member
--- error_code: 200
--- response_body_like: "status": "accepted"
--- no_error_log
[error]



=== TEST 5: ims_member_job_listen straight to PostgreSQL: a notification wakes the worker long before its timer
--- http_config
    ims_member_database "$TEST_NGINX_BOUNCER_DSN";
    ims_member_prepare off;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 60s;
--- config eval
$::Jobs
--- init
main::fixtures();
ImsMember::Pg::wait_until(sub { ImsMember::Pg::module_backends(1) == 2 },
                          15);
Test::More::is(scalar(ImsMember::Pg::module_backends(1)), 2,
               "each worker LISTENs on PostgreSQL itself");
my $t0 = Time::HiRes::time();
Test::More::is(main::job(), 'SUCCESS', "the job ends");
Test::More::cmp_ok(Time::HiRes::time() - $t0, '<', 10,
                   "long before the 60 s timer");
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000001/members/p-member
--- error_code: 200
--- no_error_log
[error]



=== TEST 6: a role without timeouts is pointed out
--- init
main::fixtures();
ImsMember::Pg::pgbouncer_admin('RECONNECT');
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000000/members/p-member
--- error_code: 200
--- error_log
PostgreSQL has lock_timeout = 0ms, statement_timeout = 0ms for the module's role: with "ims_member_prepare off" the module sets no session settings



=== TEST 7: the role's timeouts end a statement abandoned at ims_member_timeout
--- init
main::fixtures();
ImsMember::Pg::sql("ALTER ROLE postgres IN DATABASE ims"
                   . " SET statement_timeout = '2s'");
ImsMember::Pg::sql("ALTER ROLE postgres IN DATABASE ims"
                   . " SET lock_timeout = '2s'");
ImsMember::Pg::settle_stats();
my $img = main::image(2);
my $lock = ImsMember::Pg::session();
$lock->query("SET statement_timeout = 0");
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id = '$img'"
             . " FOR UPDATE");
my $t0 = Time::HiRes::time();
my ($st) = ImsMember::Pg::put_member($img, 'p-member',
                                     '{"status": "accepted"}');
Test::More::is($st, 503, "the locked row: 503");
Test::More::cmp_ok(Time::HiRes::time() - $t0, '<', 5,
                   "after ims_member_timeout");
Test::More::ok(ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
                       . " WHERE wait_event_type = 'Lock'") eq '0' }, 5),
    "its statement stopped waiting while the lock is still held");
$lock->query("ROLLBACK");
$lock->close;
ImsMember::Pg::sql("ALTER ROLE postgres IN DATABASE ims RESET ALL");
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000002/members/p-member
--- error_code: 200
--- response_body_like: "status": "pending"
--- no_error_log
module sets no session settings



=== TEST 8: PostgreSQL, then PgBouncer, stop and start again under the same nginx
--- init
main::fixtures();
my $img = main::image(3);
my ($st) = ImsMember::Pg::put_member($img, 'p-member',
                                     '{"status": "accepted"}');
Test::More::is($st, 200, "before");
ImsMember::Pg::stop_server();
my $t0 = Time::HiRes::time();
($st) = ImsMember::Pg::put_member($img, 'p-member', '{"status": "rejected"}');
Test::More::is($st, 503, "PostgreSQL stopped: 503");
Test::More::cmp_ok(Time::HiRes::time() - $t0, '<', 3,
                   "within ims_member_timeout");
ImsMember::Pg::start_server();
Test::More::ok(ImsMember::Pg::wait_until(sub {
    (ImsMember::Pg::put_member($img, 'p-member',
                               '{"status": "rejected"}'))[0] == 200 }, 10),
    "PostgreSQL back: 200");
ImsMember::Pg::pgbouncer_stop();
($st) = ImsMember::Pg::put_member($img, 'p-member', '{"status": "accepted"}');
Test::More::is($st, 503, "PgBouncer stopped: 503");
ImsMember::Pg::pgbouncer_start(pool_size => 1);
Test::More::ok(ImsMember::Pg::wait_until(sub {
    (ImsMember::Pg::put_member($img, 'p-member',
                               '{"status": "accepted"}'))[0] == 200 }, 10),
    "PgBouncer back: 200");
Test::More::is(main::count_status('accepted'), 1, "the last update is there");
--- request
GET /v2/images/b0000000-0000-4000-8000-000000000003/members/p-member
--- error_code: 200
--- response_body_like: "status": "accepted"
