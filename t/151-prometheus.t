# A real Prometheus scrapes ims_member_status every second while the tests
# load nginx, restart PostgreSQL under it and reload it: what Prometheus
# stores and answers over its query API must be the requests nginx
# answered, exactly, and the gauges must follow the database.  One
# Prometheus for the file (ImsMember::Prometheus); every wait on it is a
# bounded poll for a scrape begun after the event.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Prometheus;
use Test::Nginx::Socket;
use IPC::Run ();
use Time::HiRes qw(time);

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3) + 40;

no_shuffle();

workers(2);
master_on();

ImsMember::Prometheus::start(ImsMember::Pg::nginx_port(), '/metrics');
Test::More::note(sprintf("Prometheus answered in %.2f s",
                         ImsMember::Prometheus::started_in()));

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_pool 4;
    ims_member_timeout 5s;
    # a request is counted in its log phase: without a lingering close
    # that comes before the client reads the end of the answer
    lingering_close off;
    log_format ims '$pid $status $ims_member_endpoint $ims_member_cause';
    access_log logs/ims.log ims;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
        ims_member_project $http_x_project_id;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }

    location = /metrics {
        ims_member_status;
    }
_EOC_
    }
});

our $Shared = '11111111-1111-1111-1111-111111111111';
our $Private = '22222222-2222-2222-2222-222222222222';

# The update of the i-th request of a load: mostly accepted (200), some
# of the private image (404 IMG.0027), some with a bad status (400
# IMG.0001).  Returns (image, body, status, code).
sub planned {
    my $i = shift;
    return ($Shared, '{"status": "maybe"}', 400, 'IMG.0001') if $i % 10 == 0;
    return ($Private, '{"status": "accepted"}', 404, 'IMG.0027')
        if $i % 10 == 3 || $i % 10 == 7;
    return ($Shared, '{"status": "accepted"}', 200, '');
}

# Sends $n updates, $wave of them at a time on as many connections;
# dies on an answer other than planned.  Returns the answers counted by
# "status code".
sub load {
    my ($n, $wave) = @_;
    my %got;
    my $i = 0;
    while ($i < $n) {
        my @sent;
        for (1 .. $wave) {
            last if $i >= $n;
            my ($image, $body, $status, $code) = planned($i++);
            push @sent, [ImsMember::Pg::http_send('PUT',
                             "/v2/images/$image/members/p-member", $body,
                             'X-Project-Id' => 'p-member'),
                         $status, $code];
        }
        for my $s (@sent) {
            my ($status, $body) = ImsMember::Pg::http_read($s->[0]);
            my ($code) = $body =~ /"code": "(IMG\.\d+)"/;
            $code //= '';
            die "an update answered $status $code, not $s->[1] $s->[2]:"
                . " $body\n" if $status != $s->[1] || $code ne $s->[2];
            $got{"$status $code"}++;
        }
    }
    return \%got;
}

sub update {
    my ($status, $body) = ImsMember::Pg::http('PUT',
                              "/v2/images/$Shared/members/p-member",
                              '{"status": "accepted"}',
                              'X-Project-Id' => 'p-member');
    return wantarray ? ($status, $body) : $status;
}

sub page {
    my ($status, $body) = ImsMember::Pg::http('GET', '/metrics', '');
    die "the status page answered $status\n" unless $status == 200;
    return $body;
}

# A sample of the page, 0 when it is not there (no such answer yet).
sub sample {
    my ($page, $name) = @_;
    return $page =~ /^\Q$name\E (\S+)$/m ? $1 : 0;
}

# The updates of a page, whatever their status and code.
sub updates {
    my $page = shift;
    my $n = 0;
    $n += $1 while $page =~ /^ims_member_requests_total\{endpoint="update",
                              [^}]*\} (\d+)$/mxg;
    return $n;
}

sub requests {
    my ($status, $code) = @_;
    return 'ims_member_requests_total'
           . qq(\{endpoint="update",status="$status",code="$code"\});
}

# What Prometheus has for a query, summed, 0 for an empty vector.
sub prom {
    my ($expr, $at) = @_;
    return ImsMember::Prometheus::value("sum($expr) or vector(0)", $at);
}

sub promtool_ok {
    my ($page, $what) = @_;
    my ($out, $err) = ('', '');
    IPC::Run::run(['/usr/bin/promtool', 'check', 'metrics'],
                  '<', \$page, '>', \$out, '2>', \$err);
    Test::More::is($? >> 8, 0, "promtool check metrics: $what $out$err");
}

# The worker processes of the nginx under test.
sub worker_pids {
    no warnings 'once';
    return ImsMember::Pg::nginx_workers(
               { prefix => $Test::Nginx::Util::ServRoot });
}

sub access_pids {
    no warnings 'once';
    my %pids;
    open my $fh, '<', "$Test::Nginx::Util::LogDir/ims.log" or return 0;
    while (<$fh>) {
        $pids{$1} = 1 if /^(\d+) \d+ update /;
    }
    return scalar keys %pids;
}

run_tests();

__DATA__

=== TEST 1: 300 updates on 25 connections at a time: Prometheus stores exactly the answers, by status and code, and their times
--- init
ImsMember::Pg::reset_fixtures();

my $before = main::page();
my $t0 = time;
my $got = main::load(300, 25);
my $t_end = time;
Test::More::note(sprintf("300 updates in %.2f s", $t_end - $t0));

Test::More::ok(ImsMember::Prometheus::scraped_after($t_end),
               "Prometheus scraped the page after the last answer");
Test::More::note(sprintf("that scrape stored %.2f s after Prometheus started",
                         ImsMember::Prometheus::running_for()));

for my $a (['200', '', 210], ['404', 'IMG.0027', 60],
           ['400', 'IMG.0001', 30])
{
    my ($status, $code, $n) = @$a;
    Test::More::is($got->{"$status $code"}, $n,
                   "nginx answered $n $status $code");
    Test::More::is(main::prom(main::requests($status, $code))
                   - main::sample($before, main::requests($status, $code)),
                   $n, "Prometheus counted $n $status $code");
}

my $count = 'ims_member_request_duration_seconds_count{endpoint="update"}';
my $inf = 'ims_member_request_duration_seconds_bucket{endpoint="update",'
          . 'le="+Inf"}';
Test::More::is(main::prom('ims_member_requests_total{endpoint="update"}')
               - main::updates($before),
               300, "no update counted under another status or code");
Test::More::is(main::prom($count) - main::sample($before, $count), 300,
               "each update timed once");
Test::More::is(main::prom($inf), main::prom($count),
               "the +Inf bucket is the count");
Test::More::ok(main::prom('ims_member_request_duration_seconds_sum'
                          . '{endpoint="update"}') > 0,
               "and their time is some");
Test::More::is(main::prom('ims_member_workers'), 2,
               "two workers share the counters");
Test::More::is(main::access_pids(), 2, "both workers answered updates");

main::promtool_ok(main::page(), "the page after the load");
--- request
GET /metrics
--- error_code: 200
--- response_body_like: (?m)^ims_member_requests_total\{endpoint="update",status="200",code=""\} \d+$
--- no_error_log
[alert]



=== TEST 2: PostgreSQL stopped and started under nginx: Prometheus sees the job listeners go down and come back, and the failed connections
--- init
ImsMember::Pg::reset_fixtures();

my $t0 = time;
Test::More::ok(ImsMember::Prometheus::scraped_after($t0),
               "Prometheus scraped this nginx");
my $up = ImsMember::Prometheus::wait_value('ims_member_job_listen_up',
                                           sub { ($_[0] // -1) == 2 });
Test::More::is($up, 2, "both workers listen for new jobs");
my $failures = main::prom('ims_member_db_connect_failures_total');
my $refused = main::prom(main::requests(503, 'IMG.9003'));

ImsMember::Pg::stop_server();

$up = ImsMember::Prometheus::wait_value('ims_member_job_listen_up',
                                        sub { ($_[0] // -1) == 0 });
Test::More::is($up, 0, "PostgreSQL down: no worker listens");

my ($status, $body) = main::update();
Test::More::is($status, 503, "an update without the database: 503");
Test::More::like($body, qr/"code": "IMG\.9003"/, "and its code");
my $t_fail = time;

Test::More::ok(ImsMember::Prometheus::scraped_after($t_fail),
               "Prometheus scraped the page after it");
Test::More::cmp_ok(main::prom('ims_member_db_connect_failures_total'), '>',
                   $failures, "failed connection attempts were counted");
Test::More::cmp_ok(main::prom('ims_member_db_backoff'), '>=', 1,
                   "a worker waits before its next attempt");
Test::More::is(main::prom(main::requests(503, 'IMG.9003')) - $refused, 1,
               "the 503 by its code");

ImsMember::Pg::start_server();

$up = ImsMember::Prometheus::wait_value('ims_member_job_listen_up',
                                        sub { ($_[0] // -1) == 2 });
Test::More::is($up, 2, "PostgreSQL back: both workers listen again");
my $backoff = ImsMember::Prometheus::wait_value('ims_member_db_backoff',
                                                sub { ($_[0] // -1) == 0 });
Test::More::is($backoff, 0, "and connect again at once");
Test::More::is(main::update(), 200, "an update: 200");

main::promtool_ok(main::page(), "the page after the restart");
--- request
GET /metrics
--- error_code: 200
--- response_body_like: (?m)^ims_member_job_listen_up 2$
--- no_error_log
[alert]
--- timeout: 10



=== TEST 3: a reload keeps the counters: Prometheus sees no reset, then exactly the updates sent after
--- init
ImsMember::Pg::reset_fixtures();

my $name = main::requests(200, '');
my $t0 = time;
for (1 .. 10) {
    die "an update failed\n" unless main::update() == 200;
}
my $before = main::sample(main::page(), $name);
Test::More::ok(ImsMember::Prometheus::scraped_after(time),
               "Prometheus scraped the page after the first updates");
Test::More::is(main::prom($name), $before, "Prometheus has their count");

my @old = main::worker_pids();
Test::More::is(scalar @old, 2, "two workers before the reload");
kill 'HUP', ImsMember::Pg::nginx_master(
                { prefix => $Test::Nginx::Util::ServRoot });

# the old workers end once idle; the page then shows the new ones only
my %old = map { $_ => 1 } @old;
ImsMember::Pg::wait_until(sub {
    my @now = main::worker_pids();
    @now == 2 && !grep { $old{$_} } @now
}, 30);
my @new = main::worker_pids();
Test::More::ok(@new == 2 && !grep({ $old{$_} } @new),
               "two new workers, the old ones gone");
my $page;
ImsMember::Pg::wait_until(sub {
    $page = main::page();
    main::sample($page, 'ims_member_workers') == 2
}, 30);
Test::More::is(main::sample($page, 'ims_member_workers'), 2,
               "the page shows two workers");
Test::More::cmp_ok(main::sample($page, $name), '>=', $before,
                   "the counter is not lower after the reload");
Test::More::is(main::sample($page, $name), $before, "nor higher");
Test::More::ok(ImsMember::Prometheus::scraped_after(time),
               "Prometheus scraped the new workers' page");
Test::More::is(main::prom($name), $before, "and has the same count");

for (1 .. 15) {
    die "an update failed\n" unless main::update() == 200;
}
my $t_end = time;
Test::More::is(main::sample(main::page(), $name), $before + 15,
               "then it counts the updates sent after, exactly");

Test::More::ok(ImsMember::Prometheus::scraped_after($t_end),
               "Prometheus scraped the page after them");
Test::More::is(main::prom($name), $before + 15, "Prometheus has them too");
my $range = int((time - $t0) * 1000);
Test::More::is(main::prom("resets(${name}[${range}ms])"), 0,
               "and saw no reset of the counter across the reload");
--- request
GET /metrics
--- error_code: 200
--- response_body_like: (?m)^ims_member_workers 2$
--- no_error_log
[alert]
