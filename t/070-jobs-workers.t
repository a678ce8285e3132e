# Jobs live in the database, not in a worker: several nginx instances share
# them with each job run once, a killed worker's job is taken up again, and
# a stopped nginx's job is done by the next one.
#
# The instances here are started by the tests themselves (with a master and
# two workers each); the nginx of Test::Nginx serves only the checks.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 14;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
    }
});

our $Http = <<'_EOC_';
    ims_member_job_interval 100ms;
    ims_member_timeout 2s;
    ims_member_batch_max 20000;
_EOC_

sub submit {
    my ($port, $status, @images) = @_;
    local $ImsMember::Pg::HttpPort = $port;
    my ($code, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
        '{"images": [' . join(', ', map { qq{"$_"} } @images) . '],'
        . ' "project_id": "p-member", "status": "' . $status . '"}',
        'X-Auth-Token' => 'tok-member');
    my ($id) = $body =~ /"job_id": "([0-9a-f]{32})"/;
    die "submit failed: $code $body\n" unless $code == 200 && $id;
    return $id;
}

sub wait_all_finished {
    my $deadline = time + 60;
    while (time < $deadline) {
        return 1 if ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"
                        . " WHERE status NOT IN ('SUCCESS', 'FAIL')") == 0;
        select(undef, undef, undef, 0.05);
    }
    return 0;
}

run_tests();

__DATA__

=== TEST 1: two nginx instances on one database run 50 jobs, each exactly once
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my $port = ImsMember::Pg::free_port();
my $b = ImsMember::Pg::nginx_start(name => 'b', port => $port,
                                   http_config => $main::Http);
my $port2 = ImsMember::Pg::free_port();
my $c = ImsMember::Pg::nginx_start(name => 'c', port => $port2,
                                   http_config => $main::Http);

for my $i (1 .. 50) {
    main::submit($i % 2 ? $port : $port2, $i % 2 ? 'accepted' : 'rejected',
                 '11111111-1111-1111-1111-111111111111',
                 '77777777-7777-7777-7777-777777777777',
                 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
}

Test::More::ok(main::wait_all_finished(), "all jobs finished");
Test::More::is(ImsMember::Pg::sql(
    "SELECT count(*), count(*) FILTER (WHERE status = 'SUCCESS'),"
    . " count(*) FILTER (WHERE claims = 1), sum(done) FROM ims_jobs"),
    "50|50|50|150", "50 jobs, each claimed once, 150 images done");
Test::More::is(ImsMember::Pg::sql(
    "SELECT count(*) FROM ims_job_images WHERE status = 'SUCCESS'"),
    150, "every image done once");
Test::More::diag("workers that ran jobs: " . ImsMember::Pg::sql(
    "SELECT count(DISTINCT worker) FROM ims_jobs"));

ImsMember::Pg::nginx_stop($b);
ImsMember::Pg::nginx_stop($c);

Test::More::unlike(ImsMember::Pg::nginx_log($b) . ImsMember::Pg::nginx_log($c),
                   qr/\[(alert|crit|emerg)\]/, "no alert in either instance");
--- request
GET /v2/images/x/members/y
--- error_code: 405
--- no_error_log
[error]



=== TEST 2: a worker killed right after the submit: the job still reaches SUCCESS
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my $port = ImsMember::Pg::free_port();
my $b = ImsMember::Pg::nginx_start(name => 'd', port => $port,
                                   http_config => $main::Http);

my $id = main::submit($port, 'rejected', ('77777777-7777-7777-7777-777777777777') x 7000);
kill 'KILL', ImsMember::Pg::nginx_workers($b);

Test::More::is(ImsMember::Pg::wait_job($id, 60), 'SUCCESS',
               "the job of the killed worker reached SUCCESS");
Test::More::is(ImsMember::Pg::sql("SELECT done, failed FROM ims_jobs WHERE id = '$id'"),
               "7000|0", "every image done once");
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members WHERE"
                                  . " image_id = '77777777-7777-7777-7777-777777777777'"
                                  . " AND member = 'p-member'"),
               "rejected", "and applied");
ImsMember::Pg::nginx_stop($b);
--- request
GET /v2/images/x/members/y
--- error_code: 405
--- no_error_log
[error]



=== TEST 3: a job whose worker died is taken up again when its lease ends
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
ImsMember::Pg::submit_job('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'p-member', 'accepted',
                          undef, '77777777-7777-7777-7777-777777777777',
                          '11111111-1111-1111-1111-111111111111');
ImsMember::Pg::sql("UPDATE ims_jobs SET status = 'RUNNING', worker = 'gone:1:x',"
                   . " claims = 1, begin_time = now() AT TIME ZONE 'UTC',"
                   . " lease_until = now() + interval '1 second'");

my $port = ImsMember::Pg::free_port();
my $b = ImsMember::Pg::nginx_start(name => 'e', port => $port,
                                   http_config => $main::Http);

Test::More::is(ImsMember::Pg::wait_job('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 60),
               'SUCCESS', "taken up again after the lease");
Test::More::is(ImsMember::Pg::sql("SELECT claims, worker <> 'gone:1:x', lease_until"
                                  . " < now() OR lease_until IS NULL FROM ims_jobs"),
               "2|t|t", "by another worker, once the lease had ended");
ImsMember::Pg::nginx_stop($b);
--- request
GET /v2/images/x/members/y
--- error_code: 405
--- no_error_log
[error]



=== TEST 4: nginx -s quit with a submitted job; the next nginx finishes it
--- init
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my $port = ImsMember::Pg::free_port();
my $b = ImsMember::Pg::nginx_start(name => 'f', port => $port,
                                   http_config => $main::Http);

my $id = main::submit($port, 'accepted', ('77777777-7777-7777-7777-777777777777') x 12000);
ImsMember::Pg::nginx_stop($b, 'QUIT');

my $left = ImsMember::Pg::sql("SELECT status, worker IS NULL OR status IN ('SUCCESS', 'FAIL')"
                              . " FROM ims_jobs WHERE id = '$id'");
Test::More::like($left, qr/\|t$/, "the stopped nginx holds no job ($left)");

my $c = ImsMember::Pg::nginx_start(name => 'g', port => $port,
                                   http_config => $main::Http);
Test::More::is(ImsMember::Pg::wait_job($id, 60), 'SUCCESS',
               "the next nginx finished the job");
Test::More::is(ImsMember::Pg::sql("SELECT done FROM ims_jobs WHERE id = '$id'"),
               12000, "every image done once");
Test::More::like(ImsMember::Pg::nginx_log($b), qr/gracefully shutting down/,
                 "the first nginx stopped gracefully");
ImsMember::Pg::nginx_stop($c);
Test::More::unlike(ImsMember::Pg::nginx_log($b) . ImsMember::Pg::nginx_log($c),
                   qr/\[(alert|crit|emerg)\]/, "no alert in either");
--- request
GET /v2/images/x/members/y
--- error_code: 405
--- no_error_log
[error]
