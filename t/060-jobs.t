# The job timer runs batch jobs to SUCCESS or FAIL; GET /v1/{project_id}/jobs
# /{job_id} and GET /v1/cloudimages/job/{job_id} report them.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3) + 14;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /v1/cloudimages/members {
        ims_member_batch;
    }

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

=== TEST 1: the whole flow over HTTP: submit, run, SUCCESS, the images accepted
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my ($status, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
    '{"images": ["11111111-1111-1111-1111-111111111111",'
    . ' "77777777-7777-7777-7777-777777777777"],'
    . ' "project_id": "p-member", "status": "accepted"}',
    'X-Auth-Token' => 'tok-member');
Test::More::is($status, 200, "submitted");
my ($id) = $body =~ /"job_id": "([0-9a-f]{32})"/;

my $deadline = Time::HiRes::time() + 20;
while (Time::HiRes::time() < $deadline) {
    ($status, $body) = ImsMember::Pg::http('GET', "/v1/p-member/jobs/$id",
                                           '', 'X-Auth-Token' => 'tok-member');
    last if $body =~ /"status": "(SUCCESS|FAIL)"/;
    select(undef, undef, undef, 0.02);
}
Test::More::like($body, qr/^\{"status": "SUCCESS", "job_id": "$id", "job_type": "imsUpdateImageMembersJob", "begin_time": "20[^"]+Z", "end_time": "20[^"]+Z", "error_code": null, "fail_reason": null, "entities": \{"results": \[\{"image_id": "11111111-1111-1111-1111-111111111111", "project_id": "p-member", "status": "SUCCESS"\}, \{"image_id": "77777777-7777-7777-7777-777777777777", "project_id": "p-member", "status": "SUCCESS"\}\]\}\}$/,
                 "the job reached SUCCESS");
Test::More::is(ImsMember::Pg::sql("SELECT string_agg(status, ',' ORDER BY image_id)"
                                  . " FROM image_members WHERE member = 'p-member' AND image_id IN"
                                  . " ('11111111-1111-1111-1111-111111111111',"
                                  . " '77777777-7777-7777-7777-777777777777')"),
               "accepted,accepted", "its images are accepted");
Test::More::is(ImsMember::Pg::sql("SELECT claims FROM ims_jobs WHERE id = '$id'"),
               1, "run once");

ImsMember::Pg::submit_job('0123456789abcdef0123456789abcdef', 'p-member',
    'accepted', undef,
    '11111111-1111-1111-1111-111111111111', '12345678-1234-1234-1234-123456789012',
    '55555555-5555-5555-5555-555555555555', '33333333-3333-3333-3333-333333333333',
    '99999999-9999-9999-9999-999999999999');
Test::More::is(ImsMember::Pg::wait_job('0123456789abcdef0123456789abcdef'),
               'FAIL', "a mixed job fails");
--- request
GET /v1/p-member/jobs/0123456789abcdef0123456789abcdef
--- error_code: 200
--- response_body_like eval
qr/^\{"status": "FAIL", "job_id": "0123456789abcdef0123456789abcdef", "job_type": "imsUpdateImageMembersJob", "begin_time": "20[^"]+Z", "end_time": "20[^"]+Z", "error_code": "IMG.0027", "fail_reason": "The image ID in the request does not exist.", "entities": \{"results": \[\{"image_id": "11111111-1111-1111-1111-111111111111", "project_id": "p-member", "status": "SUCCESS"\}, \{"image_id": "12345678-1234-1234-1234-123456789012", "project_id": "p-member", "status": "FAIL", "error_code": "IMG.0027"\}, \{"image_id": "55555555-5555-5555-5555-555555555555", "project_id": "p-member", "status": "FAIL", "error_code": "IMG.9007"\}, \{"image_id": "33333333-3333-3333-3333-333333333333", "project_id": "p-member", "status": "FAIL", "error_code": "IMG.0083"\}, \{"image_id": "99999999-9999-9999-9999-999999999999", "project_id": "p-member", "status": "SUCCESS"\}\]\}\}$/
--- no_error_log
[error]



=== TEST 2: the good images of the failed job were applied, the others left alone
--- init
Test::More::is(ImsMember::Pg::sql("SELECT string_agg(image_id || '=' || status, ',' ORDER BY image_id)"
                                  . " FROM image_members WHERE member = 'p-member' AND image_id IN"
                                  . " ('33333333-3333-3333-3333-333333333333',"
                                  . " '55555555-5555-5555-5555-555555555555',"
                                  . " '99999999-9999-9999-9999-999999999999')"),
               "33333333-3333-3333-3333-333333333333=pending,"
               . "55555555-5555-5555-5555-555555555555=pending,"
               . "99999999-9999-9999-9999-999999999999=accepted",
               "one image failing did not undo the others");
--- request
GET /v1/cloudimages/job/0123456789abcdef0123456789abcdef
--- error_code: 200
--- response_body_like: "error_code": "IMG.0027", .*\], "process_percent": 1.0\}\}$
--- no_error_log
[error]



=== TEST 3: a job held by another worker shows its progress
--- init
ImsMember::Pg::sql("INSERT INTO ims_jobs (id, project_id, submitter, is_admin,"
    . " member_status, total, done, status, created_at, begin_time, worker,"
    . " lease_until, images)"
    . " VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'p-member', 'p-member', false,"
    . " 'accepted', 4, 1, 'RUNNING', '2020-01-01', '2020-01-01 00:00:01',"
    . " 'elsewhere', now() + interval '1 hour', '{x1,x2,x3,x4}')");
ImsMember::Pg::sql("INSERT INTO ims_job_images (job_id, seq, image_id, status)"
    . " VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 'x1', 'SUCCESS')");
--- request
GET /v1/cloudimages/job/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
--- error_code: 200
--- response_body chomp
{"status": "RUNNING", "job_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "job_type": "imsUpdateImageMembersJob", "begin_time": "2020-01-01T00:00:01Z", "end_time": null, "error_code": null, "fail_reason": null, "entities": {"results": [{"image_id": "x1", "project_id": "p-member", "status": "SUCCESS"}], "process_percent": 0.25}}
--- no_error_log
[error]



=== TEST 4: another project's job: 404
--- more_headers
X-Auth-Token: tok-other
--- request
GET /v1/p-member/jobs/0123456789abcdef0123456789abcdef
--- error_code: 404
--- response_body chomp
{"error": {"code": "IMG.9010", "message": "No such job of your project."}}
--- no_error_log
[error]



=== TEST 5: another project's job through its own URL: 404
--- more_headers
X-Auth-Token: tok-other
--- request
GET /v1/p-other/jobs/0123456789abcdef0123456789abcdef
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 6: the caller's job under another project's URL: 404
--- request
GET /v1/p-other/jobs/0123456789abcdef0123456789abcdef
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 7: another project's progress: 404
--- more_headers
X-Auth-Token: tok-other
--- request
GET /v1/cloudimages/job/0123456789abcdef0123456789abcdef
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 8: an unknown job: 404
--- request
GET /v1/p-member/jobs/ffffffffffffffffffffffffffffffff
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 9: an id the module never makes: 404
--- request
GET /v1/cloudimages/job/not-a-job
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 10: no token: 401
--- more_headers
--- request
GET /v1/p-member/jobs/0123456789abcdef0123456789abcdef
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 11: unknown token: 401, even for a job that does not exist
--- more_headers
X-Auth-Token: tok-nobody
--- request
GET /v1/cloudimages/job/not-a-job
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 12: an administrator sees any project's job
--- more_headers
X-Auth-Token: tok-admin
--- request
GET /v1/p-member/jobs/0123456789abcdef0123456789abcdef
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL", "job_id": "0123456789abcdef0123456789abcdef"
--- no_error_log
[error]



=== TEST 13: finished jobs go after ims_member_job_retention
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
    ims_member_job_retention 1h;
--- init
ImsMember::Pg::sql("UPDATE ims_jobs SET end_time = end_time - interval '2 hours'"
                   . " WHERE id = '0123456789abcdef0123456789abcdef'");
my $deadline = Time::HiRes::time() + 20;
while (Time::HiRes::time() < $deadline) {
    last if ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"
                               . " WHERE id = '0123456789abcdef0123456789abcdef'") == 0;
    select(undef, undef, undef, 0.05);
}
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_job_images"
                                  . " WHERE job_id = '0123456789abcdef0123456789abcdef'"),
               0, "the old job and its images are gone");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs WHERE status = 'SUCCESS'"),
               1, "the recent job stays");
--- request
GET /v1/p-member/jobs/0123456789abcdef0123456789abcdef
--- error_code: 404
--- response_body_like: "IMG.9010"
--- no_error_log
[error]



=== TEST 14: an image made non-shared while a slice waits for its membership's lock: the slice sees it
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("UPDATE images SET visibility = 'public'"
             . " WHERE id = '77777777-7777-7777-7777-777777777777'");
$lock->query("SELECT 1 FROM image_members WHERE image_id ="
             . " '77777777-7777-7777-7777-777777777777'"
             . " AND member = 'p-member' FOR UPDATE");

ImsMember::Pg::submit_job('14141414141414141414141414141414', 'p-member',
                          'accepted', undef,
                          '77777777-7777-7777-7777-777777777777');
ImsMember::Pg::wait_for_lock_waiter();
$lock->query("COMMIT");
$lock->close;

Test::More::is(ImsMember::Pg::wait_job('14141414141414141414141414141414'),
               'FAIL', "the job fails");
Test::More::is(ImsMember::Pg::sql("SELECT error_code FROM ims_job_images"
                                  . " WHERE job_id ="
                                  . " '14141414141414141414141414141414'"),
               'IMG.0083', "its image is no longer shared");
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members"
                                  . " WHERE image_id ="
                                  . " '77777777-7777-7777-7777-777777777777'"
                                  . " AND member = 'p-member'"),
               'pending', "and the membership was not changed");
--- request
GET /v1/p-member/jobs/14141414141414141414141414141414
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL"
--- no_error_log
[error]



=== TEST 15: a membership deleted while a slice waits for its lock: the slice sees it
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("UPDATE image_members SET deleted = true,"
             . " deleted_at = now() AT TIME ZONE 'UTC'"
             . " WHERE image_id = '11111111-1111-1111-1111-111111111111'"
             . " AND member = 'p-member'");

ImsMember::Pg::submit_job('15151515151515151515151515151515', 'p-member',
                          'accepted', undef,
                          '11111111-1111-1111-1111-111111111111');
ImsMember::Pg::wait_for_lock_waiter();
$lock->query("COMMIT");
$lock->close;

Test::More::is(ImsMember::Pg::wait_job('15151515151515151515151515151515'),
               'FAIL', "the job fails");
Test::More::is(ImsMember::Pg::sql("SELECT error_code FROM ims_job_images"
                                  . " WHERE job_id ="
                                  . " '15151515151515151515151515151515'"),
               'IMG.0027', "the image is not visible to a project that is"
                           . " no longer its member");
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members"
                                  . " WHERE image_id ="
                                  . " '11111111-1111-1111-1111-111111111111'"
                                  . " AND member = 'p-member'"),
               'pending', "and the deleted membership was not changed");
--- request
GET /v1/p-member/jobs/15151515151515151515151515151515
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL"
--- no_error_log
[error]



=== TEST 16: ids with quotes, backslashes and characters past ASCII are written in the answer as the module writes JSON
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
my ($status, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
    '{"images": ["a\"b\\\\c\u00e9\ud83d\ude00\u0001"],'
    . ' "project_id": "p-member", "status": "accepted"}',
    'X-Auth-Token' => 'tok-member');
my ($id) = $body =~ /"job_id": "([0-9a-f]{32})"/;
Test::More::is(ImsMember::Pg::wait_job($id), 'FAIL', "the job ran");
($status, $body) = ImsMember::Pg::http('GET', "/v1/p-member/jobs/$id", '',
                                       'X-Auth-Token' => 'tok-member');
Test::More::like($body,
    qr/"results": \[\{"image_id": "a\\"b\\\\c\\u00E9\\uD83D\\uDE00\\u0001", "project_id": "p-member", "status": "FAIL", "error_code": "IMG\.0027"\}\]\}\}$/,
    "escaped as jansson escapes, with \\uXXXX past ASCII");
--- request
GET /v1/p-member/jobs/00000000000000000000000000000000
--- error_code: 404
--- no_error_log
[error]
