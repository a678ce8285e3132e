# PUT /v1/cloudimages/members: validation in the contract's order, the job
# written in one transaction, and the job id answered only after it.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3) + 4;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_batch_max 3;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /v1/cloudimages/members {
        ims_member_batch;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-member\n");
    }
});

run_tests();

__DATA__

=== TEST 1: a batch is answered with the id of a committed job
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
--- request
PUT /v1/cloudimages/members
{"images": ["11111111-1111-1111-1111-111111111111", "77777777-7777-7777-7777-777777777777"], "project_id": "p-member", "status": "accepted"}
--- error_code: 200
--- response_body_like: ^\{"job_id": "[0-9a-f]{32}"\}$
--- no_error_log
[error]



=== TEST 2: the jobs and their images are in the database
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT count(*), min(project_id), min(submitter), min(member_status),"
    . " min(total), sum(cardinality(images)) FROM ims_jobs"),
    "2|p-member|p-member|accepted|2|4", "two jobs of two images each");
--- request
PUT /v1/cloudimages/members
{"images": ["11111111-1111-1111-1111-111111111111"], "project_id": "p-member", "status": "rejected", "vault_id": "v-1", "other": 1}
--- error_code: 200
--- response_body_like: ^\{"job_id": "[0-9a-f]{32}"\}$
--- no_error_log
[error]



=== TEST 3: no token: 401, before the body is looked at
--- more_headers
--- request
PUT /v1/cloudimages/members
[]
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 4: unknown token: 401, even with a bad body
--- more_headers
X-Auth-Token: tok-nobody
--- request
PUT /v1/cloudimages/members
[]
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 5: the body is not a JSON object: 400
--- request
PUT /v1/cloudimages/members
["11111111-1111-1111-1111-111111111111"]
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 6: images missing: 400
--- request
PUT /v1/cloudimages/members
{"project_id": "p-member", "status": "accepted"}
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0066", "message": "The image ID is incorrect."}}
--- no_error_log
[error]



=== TEST 7: images empty: 400
--- request
PUT /v1/cloudimages/members
{"images": [], "project_id": "p-member", "status": "accepted"}
--- error_code: 400
--- response_body_like: "IMG.0066"
--- no_error_log
[error]



=== TEST 8: images not all strings: 400
--- request
PUT /v1/cloudimages/members
{"images": ["11111111-1111-1111-1111-111111111111", 7], "project_id": "p-member", "status": "accepted"}
--- error_code: 400
--- response_body_like: "IMG.0066"
--- no_error_log
[error]



=== TEST 9: images not an array: 400
--- request
PUT /v1/cloudimages/members
{"images": "11111111-1111-1111-1111-111111111111", "project_id": "p-member", "status": "accepted"}
--- error_code: 400
--- response_body_like: "IMG.0066"
--- no_error_log
[error]



=== TEST 10: more images than ims_member_batch_max: 400
--- request
PUT /v1/cloudimages/members
{"images": ["a", "b", "c", "d"], "project_id": "p-member", "status": "accepted"}
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.9008", "message": "Field \"images\" holds more images than one request may carry; split the request."}}
--- no_error_log
[error]



=== TEST 11: project_id missing: 400
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "status": "accepted"}
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0067", "message": "The project ID is incorrect."}}
--- no_error_log
[error]



=== TEST 12: status missing: 400
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "project_id": "p-member"}
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0001", "message": "The request message format is invalid."}}
--- no_error_log
[error]



=== TEST 13: status pending is not for batches: 400
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "project_id": "p-member", "status": "pending"}
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 14: vault_id empty: 400
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "project_id": "p-member", "status": "accepted", "vault_id": ""}
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 15: another project's memberships: 403
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "project_id": "p-other", "status": "accepted"}
--- error_code: 403
--- response_body chomp
{"error": {"code": "IMG.0030", "message": "The project ID and token in the request are invalid."}}
--- no_error_log
[error]



=== TEST 16: the same through a trusted project: 403 without the database
--- config
    location = /v1/cloudimages/members {
        ims_member_project $http_x_project_id;
        ims_member_batch;
    }
--- more_headers
X-Project-Id: p-member
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "project_id": "p-other", "status": "accepted"}
--- error_code: 403
--- response_body_like: "IMG.0030"
--- no_error_log
[error]



=== TEST 17: an administrator acts for any project
--- more_headers
X-Auth-Token: tok-admin
--- request
PUT /v1/cloudimages/members
{"images": ["a"], "project_id": "p-other", "status": "rejected"}
--- error_code: 200
--- response_body_like: ^\{"job_id": "[0-9a-f]{32}"\}$
--- no_error_log
[error]



=== TEST 18: refused batches wrote nothing; another method: 405
--- init
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"), 6,
               "only the accepted batches became jobs");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"
                                  . " WHERE project_id = 'p-other'"
                                  . " AND submitter = 'p-admin'"), 2,
               "the administrator's jobs act for p-other");
Test::More::is(ImsMember::Pg::sql("SELECT count(DISTINCT id) FROM ims_jobs"), 6,
               "every job id is new");
--- request
GET /v1/cloudimages/members
--- error_code: 405
--- response_headers
Allow: PUT, POST, DELETE
--- no_error_log
[error]
