# ims_member_status: the module's metrics, summed over the workers from
# shared memory, as Prometheus' text format 0.0.4 or as JSON; and the
# $ims_member_* variables an access log line reads.  Requests are sent
# from --- init while nginx runs; the page is read after them.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3) + 29;

no_shuffle();

workers(2);
master_on();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_pool 2;
    ims_member_timeout 5s;
    log_format ims '$status $ims_member_endpoint $ims_member_cause '
                   '$ims_member_project $ims_member_group_size '
                   '$ims_member_db_time $ims_member_request_id';
    access_log logs/ims.log ims;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
        ims_member_project $http_x_project_id;
        add_header X-Cause $ims_member_cause always;
        add_header X-Project $ims_member_project always;
        add_header X-Group $ims_member_group_size always;
        add_header X-Db-Time $ims_member_db_time always;
    }

    location = /metrics {
        ims_member_status;
    }
_EOC_
    }
});

sub metric {
    my ($page, $name) = @_;
    return $page =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

sub put {
    my ($image, $body, $project) = @_;
    return ImsMember::Pg::http('PUT', "/v2/images/$image/members/p-member",
                               $body,
                               'X-Project-Id' => $project || 'p-member');
}

sub scrape {
    my ($status, $body) = ImsMember::Pg::http('GET', '/metrics', '', @_);
    return $body;
}

run_tests();

__DATA__

=== TEST 1: requests are counted by endpoint, status and cause code, summed over both workers
--- init
ImsMember::Pg::reset_fixtures();

for my $i (1 .. 20) {
    my ($status) = main::put('11111111-1111-1111-1111-111111111111',
                             '{"status": "accepted"}');
    die "update answered $status\n" unless $status == 200;
}

for my $i (1 .. 3) {
    main::put('22222222-2222-2222-2222-222222222222',
              '{"status": "accepted"}');
}

main::put('11111111-1111-1111-1111-111111111111', '{"status": "maybe"}');

# a request is counted in its log phase, once its answer is out: the
# last one may still be closing when its client has read the answer
my $page;
ImsMember::Pg::wait_until(sub {
    $page = main::scrape();
    return (main::metric($page, 'ims_member_request_duration_seconds'
                                . '_count{endpoint="update"}') // 0) >= 24;
});
print STDERR $page if $ENV{IMS_SHOW_METRICS};

Test::More::is(main::metric($page, 'ims_member_requests_total'
                   . '{endpoint="update",status="200",code=""}'),
               20, "20 updates answered 200");
Test::More::is(main::metric($page, 'ims_member_requests_total'
                   . '{endpoint="update",status="400",code="IMG.0001"}'),
               1, "a bad status, by its code");
Test::More::like($page, qr/^ims_member_requests_total\{endpoint="update",
                            status="404",code="IMG\.0027"\}\ 3$/mx,
                 "the private image's refusals, by their code");
Test::More::is(main::metric($page, 'ims_member_request_duration_seconds'
                                  . '_count{endpoint="update"}'),
               24, "each request timed once");
Test::More::is(main::metric($page, 'ims_member_request_duration_seconds'
                                  . '_bucket{endpoint="update",le="+Inf"}'),
               24, "the +Inf bucket is the count");
my $n = 0;
for my $stmt (qw(update update_one update_group)) {
    $n += main::metric($page, 'ims_member_db_statement_duration_seconds'
                              . qq{_count{statement="$stmt"}}) // 0;
}
Test::More::is($n, 23, "each statement timed once (one refused before)");
Test::More::is(main::metric($page, 'ims_member_workers'), 2,
               "two workers share the gauges");
Test::More::is(main::metric($page, 'ims_member_db_connections_max'), 4,
               "two pools of two");
Test::More::ok(main::metric($page, 'ims_member_db_connections{state="idle"}')
               >= 1, "an idle connection after the updates");
Test::More::is(main::metric($page,
                            'ims_member_db_connections{state="busy"}'),
               0, "none busy");
Test::More::is(main::metric($page, 'ims_member_queued_requests'
                   . '{waiting_for="connection"}'), 0, "nothing waits");
Test::More::like($page,
                 qr/^# TYPE ims_member_request_duration_seconds histogram$/m,
                 "the histogram's type");

# promtool, where Prometheus is installed, reads the page as it should
SKIP: {
    Test::More::skip("no promtool", 1) unless -x '/usr/bin/promtool';
    require IPC::Run;
    my ($out, $err);
    IPC::Run::run(['/usr/bin/promtool', 'check', 'metrics'],
                  '<', \$page, '>', \$out, '2>', \$err);
    Test::More::is($? >> 8, 0, "promtool check metrics accepts it: $out$err");
}
--- request
GET /metrics
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_like: ^# HELP ims_member_requests_total
--- no_error_log
[alert]



=== TEST 2: JSON for a client that asks for it, the same samples
--- init
ImsMember::Pg::reset_fixtures();
main::put('11111111-1111-1111-1111-111111111111', '{"status": "accepted"}');
ImsMember::Pg::wait_until(sub {
    main::metric(main::scrape(), 'ims_member_requests_total'
                 . '{endpoint="update",status="200",code=""}');
});

# the whole document parses, and says what the text page says
require JSON::PP;
my $text = main::scrape();
my $doc = JSON::PP::decode_json(main::scrape(Accept => 'application/json'));
my (%json, $samples);
for my $family (@{ $doc->{metrics} }) {
    for my $sample (@{ $family->{samples} }) {
        my $l = $sample->{labels};
        my $name = $sample->{name};
        $name .= '{' . join(',', map { qq{$_="$l->{$_}"} }
                                 grep { $_ ne 'le' } sort keys %$l)
                 . (exists $l->{le} ? (%$l > 1 ? ',' : '') . qq{le="$l->{le}"}
                                    : '')
                 . '}' if %$l;
        $json{$name} = $sample->{value};
        $samples++;
    }
}
my @lines = grep { !/^#/ } split /\n/, $text;
Test::More::is($samples, scalar @lines, "as many samples as the text page");
Test::More::is($json{'ims_member_workers'}, 2, "the workers, in JSON");
Test::More::is($json{'ims_member_group_size_count'},
               main::metric($text, 'ims_member_group_size_count'),
               "a histogram's count, in JSON");
--- request
GET /metrics
--- more_headers
Accept: application/json
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"metrics":\[\{"name":"ims_member_requests_total","type":"counter","help":"[^"]+","samples":\[\{"name":"ims_member_requests_total","labels":\{"endpoint":"update","status":"200","code":""\},"value":1\}\]\},
--- no_error_log
[alert]



=== TEST 3: the variables: why a request was refused, whose, its statement
--- init
ImsMember::Pg::reset_fixtures();
--- request
PUT /v2/images/22222222-2222-2222-2222-222222222222/members/p-member
{"status": "accepted"}
--- more_headers
X-Project-Id: p-member
--- response_headers_like
X-Cause: IMG\.\d+
X-Project: p-member
X-Group: 1
X-Db-Time: 0\.\d{6}
--- error_code_like: ^40[34]$
--- no_error_log
[alert]



=== TEST 4: a refusal before the database: a cause, no statement
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": 1}
--- more_headers
X-Project-Id: p-member
--- response_headers
X-Cause: IMG.0001
X-Group:
X-Db-Time:
--- error_code: 400
--- no_error_log
[alert]



=== TEST 5: a method the page does not serve
--- request
POST /metrics
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- no_error_log
[alert]



=== TEST 6: jobs: submitted, slices, the age of the oldest job not finished
--- config
    location = /v1/cloudimages/members {
        ims_member_project $http_x_project_id;
        ims_member_batch;
    }

    location = /metrics {
        ims_member_status;
    }
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("DELETE FROM ims_jobs");

# a job another worker holds for an hour, submitted an hour ago
ImsMember::Pg::sql("INSERT INTO ims_jobs (id, project_id, submitter,"
    . " is_admin, member_status, total, done, status, created_at,"
    . " begin_time, worker, lease_until, images)"
    . " VALUES ('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'p-member', 'p-member',"
    . " false, 'accepted', 1, 0, 'RUNNING',"
    . " (now() AT TIME ZONE 'UTC') - interval '1 hour',"
    . " now() AT TIME ZONE 'UTC', 'elsewhere', now() + interval '1 hour',"
    . " '{x1}')");

my ($status, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
    '{"images": ["11111111-1111-1111-1111-111111111111"],'
    . ' "project_id": "p-member", "status": "accepted"}',
    'X-Project-Id' => 'p-member');
die "batch answered $status: $body\n" unless $status == 200;
my ($job) = $body =~ /"job_id": "([0-9a-f]{32})"/;
my $end = ImsMember::Pg::wait_job($job);
Test::More::is($end, 'SUCCESS', "the job ran");

my $page;
my $age = ImsMember::Pg::wait_until(sub {
    $page = main::scrape();
    my $v = main::metric($page, 'ims_member_job_oldest_age_seconds');
    return defined $v && $v >= 3500 ? $v : 0;
});
Test::More::ok($age >= 3500 && $age < 3700,
               "the oldest job not finished is an hour old ($age)");
Test::More::is(main::metric($page, 'ims_member_jobs_submitted_total'), 1,
               "one job submitted");
Test::More::ok(main::metric($page, 'ims_member_job_slices_total') >= 1,
               "its slice counted");
Test::More::is(main::metric($page, 'ims_member_job_slice_failures_total'),
               0, "none failed");
Test::More::is(main::metric($page, 'ims_member_requests_total'
                   . '{endpoint="batch_update",status="200",code=""}'),
               1, "the batch request counted");
ImsMember::Pg::sql("DELETE FROM ims_jobs");
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]



=== TEST 7: a worker killed: its slot is not counted, its successor takes one
--- init
no warnings 'once';
my $h = { prefix => $Test::Nginx::Util::ServRoot };
my @before;
ImsMember::Pg::wait_until(sub {
    (@before = ImsMember::Pg::nginx_workers($h)) == 2
});
kill 'KILL', $before[0];
my %old = map { $_ => 1 } @before;
ImsMember::Pg::wait_until(sub {
    my @now = ImsMember::Pg::nginx_workers($h);
    @now == 2 && !$old{$now[0]} + !$old{$now[1]} == 1
});
# the successor needs its slot: a few scrapes, either worker answering
my $page;
ImsMember::Pg::wait_until(sub {
    $page = main::scrape();
    main::metric($page, 'ims_member_workers') == 2
        && main::metric($page, 'ims_member_db_connections_max') == 4;
}, 5);
Test::More::is(main::metric($page, 'ims_member_workers'), 2,
               "two workers after the respawn, from either");
Test::More::is(main::metric($page, 'ims_member_db_connections_max'), 4,
               "and two pools");
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[emerg]
