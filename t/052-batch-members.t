# POST and DELETE /v1/cloudimages/members: jobs that share images with
# projects and stop sharing them, one result per image and project, each
# checked as the single call is; what they refuse before any job.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => 54;

no_shuffle();

our $I1 = '11111111-1111-1111-1111-111111111111';
our $I2 = '22222222-2222-2222-2222-222222222222';
our $I3 = '33333333-3333-3333-3333-333333333333';
our $I7 = '77777777-7777-7777-7777-777777777777';

# Submits a batch and waits (bounded) for its job's end: the job's answer.
sub run_job {
    my ($method, $body, $token, $project) = @_;
    my ($status, $answer) = ImsMember::Pg::http($method,
        '/v1/cloudimages/members', $body, 'X-Auth-Token' => $token);
    Test::More::is($status, 200, "$method submitted");
    my ($id) = $answer =~ /"job_id": "([0-9a-f]{32})"/;
    Test::More::is(ImsMember::Pg::wait_job($id), 'FAIL', "$method job ended");
    (undef, $answer) = ImsMember::Pg::http('GET', "/v1/$project/jobs/$id",
                                           '', 'X-Auth-Token' => $token);
    return $answer;
}

sub results {
    my $answer = shift;
    my @r;
    while ($answer =~ /\{"image_id": "(\w)[^"]*", "project_id": "([^"]+)", "status": "(\w+)"(?:, "error_code": "([^"]+)")?\}/g) {
        push @r, "$1/$2/" . ($4 // $3);
    }
    return join ' ', @r;
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
    ims_member_batch_max 12;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /v1/cloudimages/members {
        ims_member_quota 3;
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: an owner shares four images with three projects: a result per pair
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
my $answer = main::run_job('POST',
    qq/{"images": ["$main::I1", "$main::I2", "$main::I3", "$main::I7"],/
    . ' "projects": ["p-a", "p-owner", "p-member"]}', 'tok-owner', 'p-owner');
Test::More::like($answer, qr/^\{"status": "FAIL", "job_id": "[0-9a-f]{32}", "job_type": "imsAddImageMembersJob", .*"error_code": "IMG.0076", "fail_reason": "You cannot share an image with yourself.", "entities": \{"results": \[/,
                 "an add job, failed on its first failure");
Test::More::is(main::results($answer),
    '1/p-a/SUCCESS 1/p-owner/IMG.0076 1/p-member/IMG.9006'
    . ' 2/p-a/IMG.0084 2/p-owner/IMG.0084 2/p-member/IMG.0084'
    . ' 3/p-a/IMG.0089 3/p-owner/IMG.0089 3/p-member/IMG.0089'
    . ' 7/p-a/SUCCESS 7/p-owner/IMG.0076 7/p-member/IMG.9006',
    "each pair checked as a single create");
Test::More::is(ImsMember::Pg::sql(
    "SELECT string_agg(image_id || '/' || member || '/' || status, ' '"
    . " ORDER BY image_id, id) FROM image_members"
    . " WHERE image_id IN ('$main::I1', '$main::I7') AND NOT deleted"),
    "$main::I1/p-member/pending $main::I1/p-a/pending"
    . " $main::I7/p-member/pending $main::I7/p-a/pending",
    "the two new members, pending; nothing else");
--- request
GET /v1/cloudimages/members
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 405
--- response_headers
Allow: PUT, POST, DELETE
--- no_error_log
[error]



=== TEST 2: images of another project, or not visible: 403 and 404 codes
--- init
my $answer = main::run_job('POST',
    qq/{"images": ["$main::I1", "$main::I2"], "projects": ["p-x"]}/,
    'tok-member', 'p-member');
Test::More::is(main::results($answer), '1/p-x/IMG.0047 2/p-x/IMG.0027',
               "not the owner; an image the member cannot see");
--- request
POST /v1/cloudimages/members
{"images": ["x"], "projects": ["p-x"]}
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 3: the location's quota goes with the job
--- init
my $answer = main::run_job('POST',
    qq/{"images": ["$main::I7"], "projects": ["p-q1", "p-q2", "p-q3"]}/,
    'tok-owner', 'p-owner');
Test::More::is(main::results($answer),
               '7/p-q1/SUCCESS 7/p-q2/IMG.0088 7/p-q3/IMG.0088',
               "3 live members at most");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM image_members"
    . " WHERE image_id = '$main::I7' AND NOT deleted"), 3, "3 live members");
--- request
POST /v1/cloudimages/members
{"images": ["x"], "projects": ["p-x"], "domains": ["d-1"]}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0105", "message": "The operation is not supported."}}
--- no_error_log
[error]



=== TEST 4: an owner stops sharing: a delete job, soft deletes
--- init
my $answer = main::run_job('DELETE',
    qq/{"images": ["$main::I1", "$main::I7"], "projects": ["p-a", "p-nobody"]}/,
    'tok-owner', 'p-owner');
Test::More::like($answer, qr/"job_type": "imsDelImageMembersJob"/, "a delete job");
Test::More::is(main::results($answer),
    '1/p-a/SUCCESS 1/p-nobody/IMG.9005 7/p-a/SUCCESS 7/p-nobody/IMG.9005',
    "each pair checked as a single delete");
Test::More::is(ImsMember::Pg::sql("SELECT count(*), bool_and(deleted"
    . " AND deleted_at IS NOT NULL) FROM image_members WHERE member = 'p-a'"),
    "2|t", "soft deleted");
--- request
POST /v1/cloudimages/members
{"images": ["x"], "organizations": ["o-1"], "projects": ["p-x"]}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 400
--- response_body_like: "IMG.0105"
--- no_error_log
[error]



=== TEST 5: bad bodies: 400, and no job
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
--- request eval
["POST /v1/cloudimages/members\n{\"images\": [\"x\"]}",
 "POST /v1/cloudimages/members\n{\"images\": [\"x\"], \"projects\": []}",
 "DELETE /v1/cloudimages/members\n{\"images\": [\"x\"], \"projects\": [\"\"]}",
 "POST /v1/cloudimages/members\n{\"images\": [\"x\"], \"projects\": [\"" . ('p' x 256) . "\"]}",
 "POST /v1/cloudimages/members\n{\"projects\": [\"p\"]}",
 "POST /v1/cloudimages/members\n{\"images\": [\"a\", \"b\", \"c\", \"d\", \"e\"], \"projects\": [\"p\", \"q\", \"r\"]}",
 "DELETE /v1/cloudimages/members\nnot json"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[(400) x 7]
--- response_body_like eval
['"IMG.0067"', '"IMG.0067"', '"IMG.0067"', '"IMG.0067"', '"IMG.0066"',
 '"IMG.9009", "message": "Fields \\\\"images\\\\" and \\\\"projects\\\\" make more image-project pairs',
 '"IMG.0001"']
--- no_error_log
[error]



=== TEST 6: none of those left a job
--- init
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"), 0,
               "no job");
--- request
POST /v1/cloudimages/members
{"images": ["a", "b", "c", "d"], "projects": ["p", "q", "r"]}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: ^\{"job_id": "[0-9a-f]{32}"\}$
--- no_error_log
[error]
