# Failover: a primary and its synchronous streaming standby (pg_basebackup
# -R), the module's conninfo naming both with target_session_attrs=
# read-write.  Under concurrent updates the primary stops as a crash
# would (-m immediate) and the standby is promoted: every request is
# answered 200 or 503, the first 200 after the promotion comes within
# ims_member_timeout + 2 s, every update acknowledged before or after is
# in the promoted database, and a job submitted just before ends there.
# A primary made read-only answers 503 and its connections are closed,
# not reused.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;
use Time::HiRes qw(time sleep);

our $Standby = ImsMember::Pg::standby_start();
our $Primary = ImsMember::Pg::port();

$ENV{TEST_NGINX_FAILOVER_DSN} = "hostaddr=127.0.0.1,127.0.0.1"
    . " port=$Primary,$Standby dbname=ims user=postgres sslmode=disable"
    . " target_session_attrs=read-write";

our $Pairs = 120;
our $Clients = 6;

repeat_each(1);

plan tests => blocks() * 2 + 9;

no_shuffle();

sub image { sprintf("f0000000-0000-4000-8000-%012d", shift) }

# A client updating its pairs in turn, each update repeated until it is
# acknowledged, from now until $until, its last one to the end: every
# answer goes to $out as "time code image status".
sub client {
    my ($k, $until, $out) = @_;
    open my $fh, '>', $out or die "$!";
    my %status;
    my $i = $k;
    while (1) {
        my $img = image($i);
        my $want = ($status{$img} // 'pending') eq 'accepted'
                   ? 'rejected' : 'accepted';
        my $deadline = time + 30;
        while (1) {
            my ($code) = ImsMember::Pg::put_member($img, 'p-member',
                                                   qq/{"status": "$want"}/);
            printf $fh "%.3f %s %s %s\n", time, $code, $img, $want;
            last if $code == 200 || time > $deadline;
            sleep 0.05;
        }
        $status{$img} = $want;
        last if time > $until;
        $i += $main::Clients;
        $i = $k if $i >= $main::Pairs;
    }
    close $fh;
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_FAILOVER_DSN";
    ims_member_timeout 3s;
    ims_member_job_interval 200ms;
    ims_member_batch_max 5000;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: a primary made read-only: 503, and its connection is closed
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("INSERT INTO images (id, name, status, created_at,"
    . " deleted, owner, visibility) SELECT 'f0000000-0000-4000-8000-'"
    . " || lpad(i::text, 12, '0'), 'f', 'active', now(), false, 'p-owner',"
    . " 'shared' FROM generate_series(0, 2999) i;"
    . " INSERT INTO image_members (image_id, member, can_share, status,"
    . " created_at, updated_at, deleted) SELECT id, 'p-member', false,"
    . " 'pending', now(), now(), false FROM images WHERE name = 'f'");
my ($code) = ImsMember::Pg::put_member(main::image(0), 'p-member',
                                       '{"status": "accepted"}');
Test::More::is($code, 200, "a connection, pooled");
ImsMember::Pg::sql("ALTER SYSTEM SET default_transaction_read_only = on");
ImsMember::Pg::sql("SELECT pg_reload_conf()");
sleep 0.5;
($code) = ImsMember::Pg::put_member(main::image(0), 'p-member',
                                    '{"status": "rejected"}');
Test::More::is($code, 503, "the write refused as read-only: 503");
ImsMember::Pg::sql("ALTER SYSTEM RESET default_transaction_read_only");
ImsMember::Pg::sql("SELECT pg_reload_conf()");
sleep 0.5;
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000000/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- error_log
closing a connection to a read-only PostgreSQL (a standby, or a demoted primary)



=== TEST 2: the primary crashes under load, the standby is promoted
--- init
my $dir = ImsMember::Pg::dir();
my $until = Time::HiRes::time() + 8;
my @kids;
for my $k (0 .. $main::Clients - 1) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        main::client($k, $until, "$dir/client-$k");
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
sleep 1.5;
my ($st, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
    '{"images": [' . join(',', map { '"' . main::image($_) . '"' }
                                   200 .. 2199)
    . '], "project_id": "p-member", "status": "accepted"}',
    'X-Auth-Token' => 'tok-member');
my ($job) = $body =~ /"job_id": "(\w+)"/;
Test::More::is($st, 200, "a job submitted just before the crash") or Test::More::diag("$st $body");
my $crash = Time::HiRes::time();
ImsMember::Pg::crash_server();
sleep 0.5;
my $promoted = Time::HiRes::time();
ImsMember::Pg::standby_promote();
waitpid($_, 0) for @kids;
Test::More::diag(sprintf("crash at +0, promotion from +%.2f s, clients done"
                         . " at +%.2f s", $promoted - $crash,
                         Time::HiRes::time() - $crash));

my (@all, %last);
for my $k (0 .. $main::Clients - 1) {
    open my $fh, '<', "$dir/client-$k" or die "$!";
    while (<$fh>) {
        my ($t, $code, $img, $status) = split;
        push @all, [$t, $code];
        $last{$img} = $status if $code == 200;
    }
}
my @other = grep { $_->[1] != 200 && $_->[1] != 503 } @all;
Test::More::is(scalar @other, 0, "every request answered 200 or 503")
    or Test::More::diag(join ' ', map { $_->[1] } @other[0 .. 9]);
my @after = sort { $a <=> $b }
            map { $_->[0] } grep { $_->[1] == 200 && $_->[0] > $promoted } @all;
Test::More::ok(@after && $after[0] - $promoted <= 5,
               "the first 200 within ims_member_timeout + 2 s of the promotion")
    or Test::More::diag(@after ? $after[0] - $promoted : 'none');
Test::More::ok((grep { $_->[1] == 503 } @all) > 0, "the crash was seen (503s)");
my $rows = ImsMember::Pg::standby_sql("SELECT string_agg(image_id || ' '"
    . " || status, ',' ORDER BY image_id) FROM image_members"
    . " WHERE image_id < 'f0000000-0000-4000-8000-000000000120'"
    . " AND image_id LIKE 'f0000000%'");
my %db = map { split / / } split /,/, $rows;
my @lost = grep { ($db{$_} // '') ne $last{$_} } sort keys %last;
Test::More::is(scalar @lost, 0,
               scalar(keys %last) . " pairs, each as its last acknowledged"
               . " update left it")
    or Test::More::diag("lost: @lost[0 .. 4]");
my $deadline = Time::HiRes::time() + 60;
my $state = '';
while (Time::HiRes::time() < $deadline) {
    $state = ImsMember::Pg::standby_sql("SELECT status FROM ims_jobs"
                                        . " WHERE id = '$job'");
    last if $state eq 'SUCCESS' || $state eq 'FAIL';
    sleep 0.2;
}
Test::More::is($state, 'SUCCESS', "the job ended on the promoted server");
Test::More::diag(sprintf("%d answers (%d 503), first 200 %.2f s after the"
                         . " promotion began; job ended at +%.2f s",
                         scalar @all, scalar(grep { $_->[1] == 503 } @all),
                         $after[0] - $promoted, Time::HiRes::time() - $crash));
Test::More::is(ImsMember::Pg::standby_sql("SELECT count(*) FROM image_members"
    . " WHERE status = 'accepted' AND image_id >="
    . " 'f0000000-0000-4000-8000-000000000200'"), 2000,
    "its 2,000 images accepted");
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000001/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- no_error_log
[alert]
