# The job engine stays bounded and keeps going: a job whose slices always
# fail backs off and ends FAIL while newer jobs run; retention is a
# statement of its own that skips what another holds and removes a bounded
# number of rows at a time.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3) + 12;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
    ims_member_job_retention 1h;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }

    location ^~ /v1/cloudimages/job/ {
        ims_member_jobs;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-member\n");
    }
});

run_tests();

__DATA__

=== TEST 1: a job whose slice always fails backs off, newer jobs run meanwhile, and it ends FAIL with IMG.9012
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
ImsMember::Pg::sql(<<'_SQL_');
CREATE OR REPLACE FUNCTION ims_test_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.image_id = '77777777-7777-7777-7777-777777777777' THEN
        RAISE EXCEPTION 'ims test: this row cannot be updated';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS ims_test_refuse ON image_members;
CREATE TRIGGER ims_test_refuse BEFORE UPDATE ON image_members
    FOR EACH ROW EXECUTE FUNCTION ims_test_refuse();
_SQL_

ImsMember::Pg::submit_job('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 'p-member',
                          'accepted', undef,
                          '77777777-7777-7777-7777-777777777777');
ImsMember::Pg::submit_job('b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', 'p-member',
                          'accepted', undef,
                          '11111111-1111-1111-1111-111111111111');

Test::More::is(ImsMember::Pg::wait_job('b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', 10),
               'SUCCESS', "the newer job runs while the failing one waits");
Test::More::is(ImsMember::Pg::wait_job('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 30),
               'FAIL', "the failing job ends FAIL");
Test::More::is(ImsMember::Pg::sql("SELECT failures, error_code FROM ims_jobs"
                                  . " WHERE id = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'"),
               '5|IMG.9012', "after five failures, as a server error");
ImsMember::Pg::sql("DROP TRIGGER ims_test_refuse ON image_members");
--- request
GET /v1/p-member/jobs/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL", .*"error_code": "IMG\.9012", "fail_reason": "The job failed too often; the server could not run it\."
--- error_log
a slice of job a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 failed



=== TEST 2: retention skips an expired job another session holds: claims are never behind it
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
ImsMember::Pg::submit_job('c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3', 'p-member',
                          'rejected', undef,
                          '11111111-1111-1111-1111-111111111111');
ImsMember::Pg::sql("UPDATE ims_jobs SET status = 'SUCCESS',"
                   . " end_time = now() AT TIME ZONE 'UTC' - interval '30 days'");

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM ims_jobs WHERE id ="
             . " 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3' FOR UPDATE");

ImsMember::Pg::submit_job('d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4', 'p-member',
                          'accepted', undef,
                          '77777777-7777-7777-7777-777777777777');
Test::More::is(ImsMember::Pg::wait_job('d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4', 10),
               'SUCCESS', "a new job runs while an expired one is held");

$lock->query("COMMIT");
$lock->close;
Test::More::ok(ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs WHERE id ="
                       . " 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3'") == 0
}, 10), "and the expired job goes once released");
--- request
GET /v1/p-member/jobs/d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4
--- error_code: 200
--- response_body_like: ^\{"status": "SUCCESS"
--- no_error_log
[error]



=== TEST 3: retention removes at most 10,000 results a run
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
# one transaction: no worker sees the job unfinished
ImsMember::Pg::sql("SELECT ims_job_submit(NULL, 'p-member', false,"
                   . " 'e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5', 'p-member',"
                   . " 'accepted', NULL,"
                   . " '[\"11111111-1111-1111-1111-111111111111\"]');"
                   . " UPDATE ims_jobs SET status = 'SUCCESS', done = total,"
                   . " end_time = now() AT TIME ZONE 'UTC' - interval '30 days';"
                   . " INSERT INTO ims_job_images (job_id, seq, image_id, status)"
                   . " SELECT 'e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5', n, 'x', 'SUCCESS'"
                   . " FROM generate_series(1, 25000) n");
Test::More::ok(ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs") == 0
}, 20), "the job goes");

open my $fh, '<', $Test::Nginx::Util::ErrLogFile
    or die "no error log: $!\n";
my @runs = map { /retention removed (\d+) jobs and (\d+) results/ ? [$1, $2] : () }
           <$fh>;
Test::More::is(join(' ', map { $_->[1] } @runs), '10000 10000 5000',
               "in three runs of at most 10,000 results");
Test::More::is(join(' ', map { $_->[0] } @runs), '0 0 1',
               "the job last, with its last results");
--- request
GET /v1/p-member/jobs/e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 4: a job of 2,500 results: PostgreSQL's rows of 1,000 make one array, in order
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
ImsMember::Pg::sql("SELECT ims_job_submit(NULL, 'p-member', false,"
                   . " 'f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6', 'p-member',"
                   . " 'accepted', NULL, '[\"x\"]');"
                   . " UPDATE ims_jobs SET status = 'FAIL', done = total,"
                   . " error_code = 'IMG.0027',"
                   . " end_time = now() AT TIME ZONE 'UTC';"
                   . " INSERT INTO ims_job_images"
                   . " (job_id, seq, image_id, status, error_code)"
                   . " SELECT 'f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6', n, 'i' || n,"
                   . " CASE WHEN n % 2 = 0 THEN 'FAIL' ELSE 'SUCCESS' END,"
                   . " CASE WHEN n % 2 = 0 THEN 'IMG.0027' END"
                   . " FROM generate_series(1, 2500) n");
my ($status, $body) = ImsMember::Pg::http('GET',
    '/v1/cloudimages/job/f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6', '',
    'X-Auth-Token' => 'tok-member');
require JSON::PP;
my $doc = eval { JSON::PP::decode_json($body) } || {};
my @r = @{ $doc->{entities}{results} || [] };
Test::More::is(scalar @r, 2500, "2,500 results in one valid JSON array");
Test::More::is(join(' ', map { $r[$_]{image_id} } 0, 999, 1000, 2499),
               'i1 i1000 i1001 i2500', "in order across the rows");
Test::More::is($r[1]{error_code} . ' ' . ($r[0]{error_code} // 'none'),
               'IMG.0027 none', "a failed result has its code, a good one none");
Test::More::like($body, qr/\], "process_percent": 1\.0\}\}$/, "and the progress");
--- request
GET /v1/p-member/jobs/f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL", .*"fail_reason": "The image ID in the request does not exist\.", "entities": \{"results": \[\{"image_id": "i1", "project_id": "p-member", "status": "SUCCESS"\}, \{"image_id": "i2", .*"image_id": "i2500", "project_id": "p-member", "status": "FAIL", "error_code": "IMG\.0027"\}\]\}\}$
--- no_error_log
[error]
