# High availability under a failover manager: a pg_auto_failover formation
# (a monitor and two synchronous data nodes, t/lib/ImsMember/AutoFailover.pm)
# and the module's conninfo the formation's URI (both nodes,
# target_session_attrs=read-write).  Under concurrent updates and a running
# batch job: (a) a planned switchover, (b) the primary killed, keeper and
# postgres (SIGKILL), (c) the old primary rejoining as a standby, then a
# switchover back.  Each time: every request answered 200 or 503, every
# acknowledged update on the new primary, the job ends SUCCESS there, and
# the time without a 200 is measured.  Then the same through PgBouncer
# (transaction pooling, ims_member_prepare off), whose database entry
# scripts/pgbouncer-follow.sh keeps pointed at the node that takes writes:
# (d) a planned switchover, (e) the primary killed.  The formation starts
# once for the file (about 8 s); the file takes about a minute and a half.
# Run by "make test-ha".

use lib 't/lib';
use ImsMember::AutoFailover;
use Test::Nginx::Socket;
use Time::HiRes qw(time sleep);

$ENV{TEST_NGINX_HA_DSN} = ImsMember::AutoFailover::start();

# PgBouncer, the loop that makes it follow the primary (every 0.5 s), and
# the role's timeouts, which "ims_member_prepare off" relies on
ImsMember::AutoFailover::bouncer_start(0.5);
$ENV{TEST_NGINX_HA_BOUNCER_DSN} = ImsMember::AutoFailover::bouncer_dsn();
ImsMember::AutoFailover::sql("ALTER ROLE postgres IN DATABASE ims"
                             . " SET statement_timeout = '3s'");
ImsMember::AutoFailover::sql("ALTER ROLE postgres IN DATABASE ims"
                             . " SET lock_timeout = '3s'");

our $Pairs = 120;
our $Clients = 6;
our $Job = 0;

repeat_each(1);

plan tests => blocks() * 8 + 5;

no_shuffle();

sub image { sprintf("f0000000-0000-4000-8000-%012d", shift) }

# A client updating its pairs in turn, each update repeated until it is
# acknowledged, from now until the file $stop exists (or $until): every
# answer goes to $out as "time code image status".
sub client {
    my ($k, $until, $out, $stop) = @_;
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
        last if time > $until || -e $stop;
        $i += $main::Clients;
        $i = $k if $i >= $main::Pairs;
    }
    close $fh;
}

# Clients and a 1,000-image job while $event happens; then the checks.
sub under_load {
    my ($what, $event) = @_;
    my $dir = ImsMember::AutoFailover::dir();
    my $stop = "$dir/stop";
    my $until = time + 120;
    my @kids;
    unlink $stop;
    for my $k (0 .. $main::Clients - 1) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            client($k, $until, "$dir/client-$k", $stop);
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    # the job's images pending again, so that each job is seen to end
    my $first = 200 + 1000 * ($main::Job++ % 2);
    ImsMember::AutoFailover::sql("UPDATE image_members SET status ="
        . " 'pending' WHERE image_id BETWEEN '" . image($first) . "' AND '"
        . image($first + 999) . "'");
    sleep 1.5;
    my ($st, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
        '{"images": [' . join(',', map { '"' . image($_) . '"' }
                                       $first .. $first + 999)
        . '], "project_id": "p-member", "status": "accepted"}',
        'X-Auth-Token' => 'tok-member');
    my ($job) = $body =~ /"job_id": "(\w+)"/;
    Test::More::is($st, 200, "$what: a job submitted")
        or Test::More::diag("$st $body");
    my $at = time;
    $event->();
    my $done = time;

    # the clients go on for 3 s once the formation has settled
    sleep 3;
    open my $fh, '>', $stop or die "$!";
    close $fh;
    waitpid($_, 0) for @kids;

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
    Test::More::is(scalar @other, 0, "$what: every request answered 200"
                   . " or 503")
        or Test::More::diag(join ' ', map { $_->[1] } @other[0 .. 9]);

    # the longest time without a 200 from the event on
    my @ok = sort { $a <=> $b } map { $_->[0] } grep { $_->[1] == 200 } @all;
    my ($gap, $prev) = (0, $at);
    for my $t (grep { $_ >= $at } @ok) {
        $gap = $t - $prev if $t - $prev > $gap;
        $prev = $t;
    }
    Test::More::ok((grep { $_ > $done } @ok) > 0,
                   "$what: 200s again once the formation settled");

    my $rows = ImsMember::AutoFailover::sql("SELECT string_agg(image_id"
        . " || ' ' || status, ',' ORDER BY image_id) FROM image_members"
        . " WHERE image_id < '" . image($main::Pairs) . "'"
        . " AND image_id LIKE 'f0000000%'");
    my %db = map { split / / } split /,/, $rows;
    my @lost = grep { ($db{$_} // '') ne $last{$_} } sort keys %last;
    Test::More::is(scalar @lost, 0, "$what: " . scalar(keys %last)
                   . " pairs, each as its last acknowledged update left it")
        or Test::More::diag("lost: @lost[0 .. 4]");

    my $deadline = time + 60;
    my $state = '';
    while (time < $deadline) {
        $state = eval { ImsMember::AutoFailover::sql("SELECT status FROM"
                                                     . " ims_jobs WHERE id"
                                                     . " = '$job'") } // '';
        last if $state eq 'SUCCESS' || $state eq 'FAIL';
        sleep 0.2;
    }
    Test::More::is($state, 'SUCCESS', "$what: the job ended on the primary");
    Test::More::is(ImsMember::AutoFailover::sql("SELECT count(*) FROM"
        . " image_members WHERE status = 'accepted' AND image_id BETWEEN '"
        . image($first) . "' AND '" . image($first + 999) . "'"), 1000,
        "$what: its 1,000 images accepted");
    Test::More::diag(sprintf("%s: the event took %.2f s; %d answers (%d"
                             . " 503); longest time without a 200 from it"
                             . " on: %.2f s", $what, $done - $at,
                             scalar @all,
                             scalar(grep { $_->[1] == 503 } @all), $gap));
}

# PgBouncer was told of the new primary, and its sessions went there.
sub through_bouncer {
    my $what = shift;
    my $primary = ImsMember::AutoFailover::primary();
    Test::More::ok((grep { /primary host=127\.0\.0\.1 port=$primary:/ }
                         ImsMember::AutoFailover::bouncer_follow_log()),
                   "$what: PgBouncer was pointed at the new primary");
    my @ports = map { (split /\|/)[5] }
                ImsMember::AutoFailover::bouncer_admin('SHOW SERVERS')
                =~ /^(S\|.*)$/mg;
    Test::More::ok(@ports && !grep({ $_ != $primary } @ports),
                   "$what: its server sessions on the new primary alone")
        or Test::More::diag("server sessions to ports @ports");
}

our $Bouncer = <<'_EOC_';
    ims_member_database "$TEST_NGINX_HA_BOUNCER_DSN";
    ims_member_prepare off;
    ims_member_timeout 3s;
    ims_member_job_interval 200ms;
    ims_member_batch_max 5000;
    ims_member_job_listen off;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_HA_DSN";
    ims_member_timeout 3s;
    ims_member_job_interval 200ms;
    ims_member_batch_max 5000;
    ims_member_job_listen off;
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

=== TEST 1: a planned switchover
--- init
ImsMember::AutoFailover::sql("INSERT INTO images (id, name, status,"
    . " created_at, deleted, owner, visibility) SELECT"
    . " 'f0000000-0000-4000-8000-' || lpad(i::text, 12, '0'), 'f', 'active',"
    . " now(), false, 'p-owner', 'shared' FROM generate_series(0, 2199) i"
    . " ON CONFLICT DO NOTHING;"
    . " INSERT INTO image_members (image_id, member, can_share, status,"
    . " created_at, updated_at, deleted) SELECT id, 'p-member', false,"
    . " 'pending', now(), now(), false FROM images WHERE name = 'f'");
main::under_load('switchover', sub {
    ImsMember::AutoFailover::switchover()
        or die "the switchover did not settle\n";
});
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000001/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- no_error_log
[alert]



=== TEST 2: the primary killed, keeper and postgres
--- init
main::under_load('crash', sub {
    my $old = ImsMember::AutoFailover::primary();
    ImsMember::AutoFailover::kill_node(
        ImsMember::AutoFailover::node_of_port($old));
    ImsMember::AutoFailover::settled_after_kill($old, 60)
        or die "no failover\n";
});
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000001/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- no_error_log
[alert]



=== TEST 3: the old primary rejoins as a standby, then a switchover back
--- init
my $alone = ImsMember::AutoFailover::primary();
my ($dead) = grep { ImsMember::AutoFailover::node_port($_) != $alone }
             qw(node1 node2);
main::under_load('rejoin and switch back', sub {
    ImsMember::AutoFailover::restart_node($dead)
        or die "the old primary did not rejoin\n";
    ImsMember::AutoFailover::switchover()
        or die "the switchover back did not settle\n";
});
Test::More::is(ImsMember::AutoFailover::primary(),
               ImsMember::AutoFailover::node_port($dead),
               "the old primary is primary again");
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000001/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- no_error_log
[alert]



=== TEST 4: through PgBouncer that follows the primary: a planned switchover
--- http_config eval
$::Bouncer
--- init
main::under_load('switchover through PgBouncer', sub {
    ImsMember::AutoFailover::switchover()
        or die "the switchover did not settle\n";
});
main::through_bouncer('switchover through PgBouncer');
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000001/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- no_error_log
[alert]



=== TEST 5: through PgBouncer that follows the primary: the primary killed
--- http_config eval
$::Bouncer
--- init
main::under_load('crash through PgBouncer', sub {
    my $old = ImsMember::AutoFailover::primary();
    ImsMember::AutoFailover::kill_node(
        ImsMember::AutoFailover::node_of_port($old));
    ImsMember::AutoFailover::settled_after_kill($old, 60)
        or die "no failover\n";
});
main::through_bouncer('crash through PgBouncer');
--- request
PUT /v2/images/f0000000-0000-4000-8000-000000000001/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- no_error_log
[alert]
