# Under valgrind: a worker that exits in the middle of a job step, and
# after serving with connections parked and one listening, leaves nothing
# of the module's behind.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * blocks() + 4;

no_shuffle();

our $Http = <<'_EOC_';
    ims_member_job_interval 100ms;
_EOC_

run_tests();

__DATA__

=== TEST 1: SIGTERM while a job step waits for a row lock: no leak
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id ="
             . " '77777777-7777-7777-7777-777777777777' FOR UPDATE");

my $log = ImsMember::Pg::dir() . "/valgrind.log";
my $port = ImsMember::Pg::free_port();
my $n = ImsMember::Pg::nginx_start(name => 'vg', port => $port,
                                   http_config => $main::Http,
                                   valgrind => $log);

ImsMember::Pg::submit_job('0123456789abcdef0123456789abcdef', 'p-member',
                          'accepted', undef,
                          '77777777-7777-7777-7777-777777777777');
ImsMember::Pg::wait_for_lock_waiter();

$n->{run}->signal('TERM');
$n->{run}->finish;
$lock->query("ROLLBACK");
$lock->close;

open my $fh, '<', $log or die "no valgrind log: $!\n";
my $report = do { local $/; <$fh> };
my @records = grep { /lost in loss record/ } split /^==\d+==\s*$/m, $report;
Test::More::ok(-s "$n->{prefix}/logs/error.log", "nginx ran");
Test::More::is(join('', grep { /ngx_http_ims_member/ } @records), '',
               "no memory of the module's is lost, definitely or possibly");
Test::More::unlike($report, qr/Invalid (read|write|free)|uninitialised/,
                   "nor any invalid access");
Test::More::unlike(ImsMember::Pg::nginx_log($n), qr/\[(alert|crit)\]/,
                   "no alert");
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- request
GET /v2/images/x/members/y
--- error_code: 405
