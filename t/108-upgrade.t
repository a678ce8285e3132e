# A database the previous version loaded, loaded again with this
# version's sql/ims.sql: the error codes its jobs recorded become this
# version's (once, however often the file is loaded), and the previous
# version's nginx workers, until they are reloaded, still submit, run and
# fail jobs and share images through its function signatures.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

repeat_each(1);

plan tests => 20;

no_shuffle();

our $ROOT = abs_path(dirname(__FILE__) . '/..');
our $OLD = 'a' x 32;

our $I1 = '11111111-1111-1111-1111-111111111111';
our $I2 = '22222222-2222-2222-2222-222222222222';
our $I3 = '33333333-3333-3333-3333-333333333333';
our $I7 = '77777777-7777-7777-7777-777777777777';
our $I8 = '88888888-8888-8888-8888-888888888888';

# A job as the previous version left it: no "codes", its own IMG codes.
sub old_job {
    my ($id, $kind, $status, $code, $failures, @results) = @_;
    my $values = join ', ', map {
        my ($seq, $image, $project, $rcode) = @$_;
        "('$id', $seq, '$image', '$project', "
        . ($rcode ? "'FAIL', '$rcode')" : "'SUCCESS', NULL)")
    } @results;
    ImsMember::Pg::sql(
        "INSERT INTO ims_jobs (id, project_id, submitter, is_admin,"
        . " member_status, kind, status, total, done, failed, error_code,"
        . " failures, created_at, end_time, images, projects, codes)"
        . " VALUES ('$id', 'p-owner', 'p-owner', false,"
        . ($kind eq 'update' ? " 'accepted'" : ' NULL')
        . ", '$kind', '$status', " . scalar(@results) . ', '
        . scalar(@results) . ', 0, ' . ($code ? "'$code'" : 'NULL')
        . ", $failures, now(), now(), ARRAY['$I1'], ARRAY['p-x'], NULL)");
    ImsMember::Pg::sql("INSERT INTO ims_job_images (job_id, seq, image_id,"
                       . " project_id, status, error_code) VALUES $values")
        if @results;
}

sub codes {
    my $id = shift;
    return ImsMember::Pg::sql(
        "SELECT coalesce(j.error_code, '-') || ' ' || coalesce(string_agg("
        . "coalesce(r.error_code, r.status), ' ' ORDER BY r.seq), '')"
        . " FROM ims_jobs j LEFT JOIN ims_job_images r ON r.job_id = j.id"
        . " WHERE j.id = '$id' GROUP BY j.error_code");
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen off;
    ims_member_job_interval 1h;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: the previous version's codes become this version's, once
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
main::old_job('a' x 32, 'update', 'FAIL', 'IMG.0005', 0,
    [1, $main::I1, 'p-x', 'IMG.0005'], [2, $main::I2, 'p-x', 'IMG.0006'],
    [3, $main::I3, 'p-x', 'IMG.0006'], [4, $main::I8, 'p-x', 'IMG.0006'],
    [5, $main::I1, 'p-x', 'IMG.0007'], [6, $main::I1, 'p-x', 'IMG.0008'],
    [7, $main::I1, 'p-x', 'IMG.0009'], [8, $main::I7, 'p-x', undef]);
main::old_job('b' x 32, 'add', 'FAIL', 'IMG.0006', 0,
    [1, $main::I3, 'p-x', 'IMG.0006'], [2, $main::I1, 'p-x', 'IMG.0023'],
    [3, $main::I1, 'p-x', 'IMG.0028'], [4, $main::I1, 'p-x', 'IMG.0024'],
    [5, $main::I1, 'p-x', 'IMG.0025'], [6, $main::I1, 'p-x', 'IMG.0011']);
main::old_job('c' x 32, 'delete', 'FAIL', 'IMG.0029', 0,
    [1, $main::I1, 'p-x', 'IMG.0029'], [2, $main::I3, 'p-x', 'IMG.0006']);
main::old_job('d' x 32, 'update', 'FAIL', 'IMG.0011', 5);
main::old_job('e' x 32, 'update', 'SUCCESS', undef, 0,
    [1, $main::I7, 'p-x', undef]);

ImsMember::Pg::load("$main::ROOT/sql/ims.sql");

Test::More::is(main::codes('a' x 32),
    'IMG.0027 IMG.0027 IMG.0084 IMG.0083 IMG.9011 IMG.0161 IMG.9005'
    . ' IMG.9007 SUCCESS',
    "an update job's codes, by the image's visibility");
Test::More::is(main::codes('b' x 32),
    'IMG.0089 IMG.0089 IMG.0047 IMG.0076 IMG.9006 IMG.0088 IMG.0061',
    "an add job's: a public image is IMS's refusal to share it");
Test::More::is(main::codes('c' x 32), 'IMG.9005 IMG.9005 IMG.0083',
               "a delete job's");
Test::More::is(main::codes('d' x 32), 'IMG.9012 ',
               "a job whose slices failed too often");
Test::More::is(main::codes('e' x 32), '- SUCCESS', "a job that succeeded");

my $before = ImsMember::Pg::sql("SELECT md5(string_agg(j::text || r::text,"
    . " ',' ORDER BY r.job_id, r.seq)) FROM ims_jobs j"
    . " JOIN ims_job_images r ON r.job_id = j.id");
ImsMember::Pg::load("$main::ROOT/sql/ims.sql");
Test::More::is(ImsMember::Pg::sql("SELECT md5(string_agg(j::text"
    . " || r::text, ',' ORDER BY r.job_id, r.seq)) FROM ims_jobs j"
    . " JOIN ims_job_images r ON r.job_id = j.id"), $before,
    "loaded again, the file changes no code again");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"
    . " WHERE codes IS DISTINCT FROM 2"), 0,
    "every job is marked as carrying this version's codes");
--- request
GET /v1/p-owner/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL", "job_id": "a{32}", "job_type": "imsUpdateImageMembersJob", .*"error_code": "IMG.0027", "fail_reason": "The image ID in the request does not exist.", "entities": \{"results": \[\{"image_id": "1{8}-[^"]*", "project_id": "p-x", "status": "FAIL", "error_code": "IMG.0027"\}
--- no_error_log
[error]



=== TEST 2: a worker of the previous version submits, runs and fails jobs
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
Test::More::is(ImsMember::Pg::sql("SELECT result FROM ims_job_submit_members("
    . "encode(sha256('tok-owner'), 'hex'), NULL, NULL,"
    . " '" . ('f' x 32) . "', 'add', '[\"$main::I1\", \"$main::I3\"]',"
    . " '[\"p-member\", \"p-new\"]', NULL)"), 'ok',
    "its submit (eight parameters) is taken");
my $step = '';
for my $job ('NULL', ("'" . ('f' x 32) . "'") x 3) {
    $step = ImsMember::Pg::sql("SELECT result FROM ims_job_step("
                               . "'old-worker', $job, 60000, 1000)");
    last if $step eq 'finished';
}
Test::More::is($step, 'finished', "its step (four parameters) runs the job");
Test::More::is(main::codes('f' x 32), '- FAIL SUCCESS FAIL FAIL',
    "a failure it records has no code; the share is made");
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members"
    . " WHERE image_id = '$main::I1' AND member = 'p-new'"
    . " AND NOT deleted"), 'pending', "  the new member");
ImsMember::Pg::sql("INSERT INTO ims_jobs (id, project_id, submitter,"
    . " is_admin, member_status, total, created_at, images, worker,"
    . " lease_until, status) VALUES ('" . ('0' x 32) . "', 'p-owner',"
    . " 'p-owner', false, 'accepted', 1, now(), ARRAY['$main::I1'],"
    . " 'old-worker', now() + interval '1 minute', 'RUNNING')");
Test::More::is(ImsMember::Pg::sql("SELECT result FROM ims_job_failed("
    . "'old-worker', '" . ('0' x 32) . "', 1, 0)"), 'failed',
    "its failure (four parameters) ends the job");
Test::More::is(ImsMember::Pg::sql("SELECT status || ' ' ||"
    . " coalesce(error_code, '-') FROM ims_jobs WHERE id = '"
    . ('0' x 32) . "'"), 'FAIL -', "  without a code");
Test::More::is(ImsMember::Pg::sql("SELECT result FROM ims_member_create("
    . "encode(sha256('tok-owner'), 'hex'), NULL, NULL,"
    . " '$main::I2', 'p-y', NULL, false, NULL, NULL)"), 'not_shared',
    "its share (nine parameters) answers the results it knows");
--- request
GET /v1/p-owner/jobs/ffffffffffffffffffffffffffffffff
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: ^\{"status": "FAIL", .*"error_code": null, "fail_reason": null,
--- no_error_log
[error]
