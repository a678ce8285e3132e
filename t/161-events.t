# Member events (ims_member_events): the row each member change writes in
# its own transaction, for every path (the single update, alone and in a
# group; share and unshare; the update, add and delete jobs), what it says
# (Glance's event type and payload, the caller's project, the request id,
# the job), none for a refused request, a repeat or ims_member_events off;
# the NOTIFY a waiting relay gets, and no other; ims_member_events_next()
# in id order past transactions still running; ims_member_events_purge().
#
# Groups are held as in t/014 (an uncommitted vault row of the test with
# the key an update inserts), transactions holding an event id in psql
# sessions of the test: no sleeps.  About 10 s.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Events;
use Test::Nginx::Socket;
use JSON::PP;
use Time::HiRes ();

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 85;

no_shuffle();

our $Img = '/v2/images/%s/members/%s';
our $Group = "    ims_member_group_commit on;\n"
             . "    ims_member_group_threshold 0;\n";
our $Gone = 'client closed the connection while the database was working';

our $Http = <<'_EOC_';
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
    ims_member_timeout 5s;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", $Http . <<'_EOC_');
    ims_member_group_commit off;

    server {
        listen $TEST_NGINX_SERVER_PORT;
        server_name events-off;

        location /v2/images/ {
            ims_member_events off;
            ims_member_api;
        }

        location = /v1/cloudimages/members {
            ims_member_events off;
            ims_member_batch;
        }

        location ~ ^/v1/[^/]+/jobs/[^/]+$ {
            ims_member_jobs;
        }
    }

    server {
        listen $TEST_NGINX_SERVER_PORT;
        server_name trusted;
        ims_member_project $http_x_project_id;

        location /v2/images/ {
            ims_member_api;
        }
    }
_EOC_
    }

    $block->set_value("config", <<'_EOC_');
    location /v2/images/ {
        ims_member_quota 2;
        ims_member_api;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_

    if (!defined $block->request) {
        $block->set_value("request", "GET /v2/images/"
                          . "11111111-1111-1111-1111-111111111111/members");
        $block->set_value("more_headers", "X-Auth-Token: tok-owner\n");
        $block->set_value("error_code", 200);
    }

    if (!defined $block->no_error_log) {
        $block->set_value("no_error_log", "[error]\n");
    }
});

# image ids of the fixtures by their first digit
sub img {
    my $c = shift;
    return join '-', $c x 8, $c x 4, $c x 4, $c x 4, $c x 12;
}

# The group under way: an update of 7777... whose vault insert waits for
# the test's uncommitted row with the same key.  Returns (session, socket
# of the held request).
sub hold_group {
    my $s = ImsMember::Pg::session();
    $s->query("BEGIN");
    $s->query("INSERT INTO ims_member_vaults VALUES ('" . img(7)
              . "', 'p-member', 'vault-s', now(), now())");
    my $held = send_req('PUT', sprintf($Img, img(7), 'p-member'),
                        '{"status": "accepted", "vault_id": "vault-a"}',
                        'X-Auth-Token' => 'tok-member',
                        'X-Openstack-Request-Id' => 'req-holder');
    ImsMember::Pg::wait_for_lock_waiter();
    return ($s, $held);
}

# Sends updates of p-member ([image, status, request id]), each once the
# one before waits for the group.
sub send_waiting {
    my @socks;
    my $n = ImsMember::Pg::error_log_count("statement waits for a group");
    for my $u (@_) {
        my ($image, $status, $rid) = @$u;
        push @socks, send_req('PUT', sprintf($Img, $image, 'p-member'),
                              qq/{"status": "$status"}/,
                              'X-Auth-Token' => 'tok-member',
                              'X-Openstack-Request-Id' => $rid);
        $n++;
        ImsMember::Pg::wait_until(sub {
            ImsMember::Pg::error_log_count("statement waits for a group")
            >= $n
        }) or die "update $n should wait for the group\n";
    }
    return @socks;
}

# What a LISTENing psql session has been notified of on ims_member_events,
# until (bounded) the test's own NOTIFY with payload $marker: the payloads
# in order, "-" for an empty one.  A notification sent before the marker
# arrives before it.
sub notified {
    my ($s, $marker) = @_;
    ImsMember::Pg::sql("NOTIFY ims_member_events, '$marker'");
    my $all = '';
    my $deadline = Time::HiRes::time() + 10;
    while (Time::HiRes::time() < $deadline) {
        $all .= $s->query("SELECT 1") . "\n";
        last if index($all, qq{with payload "$marker"}) >= 0;
        select(undef, undef, undef, 0.02);
    }
    my @n;
    for (split /\n/, $all) {
        next unless /^Asynchronous notification "ims_member_events"/;
        push @n, /with payload "([^"]*)"/ ? $1 : '-';
    }
    return "@n";
}

# ims_member_events_next(): its rows as "id" or "gap=N", and the last
# gap's snapshot.
sub next_events {
    my ($after, $limit, $gap, $snap) = @_;
    my $out = ImsMember::Pg::sql(
        "SELECT coalesce(id::text, 'gap=' || gap), gap_snapshot,"
        . " event_type, created_at, payload"
        . " FROM ims_member_events_next($after, $limit, "
        . (defined $gap ? $gap : 'NULL') . ", "
        . (defined $snap ? "'$snap'" : 'NULL') . ")");
    my (@rows, $s, @created);
    for (split /\n/, $out) {
        my ($what, $snapshot, $type, $created) = split /\|/;
        push @rows, $what;
        $s = $snapshot if $snapshot ne '';
        push @created, $created if $created ne '';
    }
    return ("@rows", $s, \@created);
}

# An event written straight by ims_member_event(), as the plpgsql paths do.
our $Event = "SELECT ims_member_event(true, 'image.member.update',"
             . " '11111111-1111-1111-1111-111111111111', 'p-sql',"
             . " 'accepted', '2020-01-01 00:00:00',"
             . " now() AT TIME ZONE 'UTC', NULL, 'p-sql', NULL,"
             . " 'req-sql', NULL)";

run_tests();

__DATA__

=== TEST 1: a single update: one event, Glance's payload, the caller's project and request id
--- init
ImsMember::Pg::reset_fixtures();
my $base = main::last_event();
my ($st, $h, $body, $m) = main::req('PUT',
    sprintf($main::Img, main::img(1), 'p-member'), '{"status": "accepted"}',
    'X-Auth-Token' => 'tok-member',
    'X-Openstack-Request-Id' => 'req-events-0001');
Test::More::is($st, 200, "the update answers");
Test::More::is($h->{'x-openstack-request-id'}, 'req-events-0001',
               "  with the caller's request id");
my @e = main::events_after($base);
main::events_are(\@e, [main::expect('image.member.update', $m, 'p-member',
                                    'req-events-0001', undef, undef)],
                 "one event: the answer's member, who made it");
Test::More::like($e[0]{payload}{updated_at} // '',
                 qr/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "  isotime");
Test::More::is($e[0]{created_at}, main::row(main::img(1), 'p-member')->{us},
               "  written in the update's transaction (its now())");



=== TEST 2: a repeat writes no event; without a request id, the one answered; the longest request id
--- init
my $base = main::last_event();
my ($st) = main::req('PUT', sprintf($main::Img, main::img(1), 'p-member'),
                     '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');
Test::More::is($st, 200, "a repeat answers");
Test::More::is(scalar(main::events_after($base)), 0, "  and writes no event");

my ($h, $m);
($st, $h, undef, $m) = main::req('PUT',
    sprintf($main::Img, main::img(1), 'p-member'), '{"status": "rejected"}',
    'X-Auth-Token' => 'tok-member');
my $rid = $h->{'x-openstack-request-id'} // '';
Test::More::like($rid, qr/^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
                 "no request id sent: one made");
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update', $m, 'p-member', $rid,
                               undef, undef)],
                 "  the event has the request id answered");

# the module takes a request id of up to 128 printable bytes
$base = main::last_event();
my $long = 'req-' . ('x' x 124);
($st, $h, undef, $m) = main::req('PUT',
    sprintf($main::Img, main::img(1), 'p-member'), '{"status": "pending"}',
    'X-Auth-Token' => 'tok-member', 'X-Openstack-Request-Id' => $long);
Test::More::is("$st " . ($h->{'x-openstack-request-id'} // ''), "200 $long",
               "a request id of 128 bytes is answered");
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update', $m, 'p-member', $long,
                               undef, undef)],
                 "  and kept whole in its event");



=== TEST 3: a group: an event per update that changed its row, in arrival order, each with its request id
--- http_config eval
$::Http . $::Group
--- init
ImsMember::Pg::reset_fixtures();
my $base = main::last_event();
my ($s, $held) = main::hold_group();
my @g = main::send_waiting([main::img(1), 'accepted', 'req-g1'],
                           [main::img(1), 'accepted', 'req-g2'],
                           [main::img('a'), 'accepted', 'req-g3'],
                           [main::img('a'), 'rejected', 'req-g4'],
                           [main::img(6), 'pending', 'req-g5']);
$s->query("COMMIT");
$s->close;
my @h = main::answer($held);
my @a = map { [main::answer($_)] } @g;
Test::More::is(join(' ', $h[0], map { $_->[0] } @a), "200 200 200 200 200 200",
               "the holder and its group answer");
my @e = main::events_after($base);
main::events_are(\@e, [
    main::expect('image.member.update', $h[3], 'p-member', 'req-holder'),
    main::expect('image.member.update', $a[0][3], 'p-member', 'req-g1'),
    main::expect('image.member.update', $a[2][3], 'p-member', 'req-g3'),
    main::expect('image.member.update', $a[3][3], 'p-member', 'req-g4')],
    "the holder's, then one per change of the group: a second accepted"
    . " and a repeated pending write none");
Test::More::is(join(' ', map { $_->{payload}{status} } @e),
               "accepted accepted accepted rejected",
               "  accepted then rejected: two, in arrival order");
Test::More::is($e[3]{created_at}, main::row(main::img('a'), 'p-member')->{us},
               "  in the group's transaction");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200



=== TEST 4: a group: an update whose client left before its statement was sent writes no event
--- http_config eval
$::Http . $::Group
--- init
ImsMember::Pg::reset_fixtures();
my $base = main::last_event();
my ($s, $held) = main::hold_group();
my ($gone, $stays) = main::send_waiting([main::img(9), 'accepted', 'req-gone'],
                                        [main::img('a'), 'rejected',
                                         'req-stays']);
my $n = ImsMember::Pg::error_log_count($main::Gone) + 1;
close $gone;
ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::error_log_count($main::Gone) >= $n
}) or die "nginx should see the client go\n";
$s->query("COMMIT");
$s->close;
my @h = main::answer($held);
my @a = main::answer($stays);
Test::More::is("$h[0] $a[0]", "200 200", "the holder and the one that stayed");
main::events_are([main::events_after($base)], [
    main::expect('image.member.update', $h[3], 'p-member', 'req-holder'),
    main::expect('image.member.update', $a[3], 'p-member', 'req-stays')],
    "no event for the update never sent");
Test::More::is(main::row(main::img(9), 'p-member')->{status}, 'pending',
               "  which changed nothing");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200



=== TEST 5: share, share a deleted member again, unshare: create and delete events
--- init
ImsMember::Pg::reset_fixtures();
my $base = main::last_event();
my ($st, $h, undef, $new) = main::req('POST',
    sprintf('/v2/images/%s/members', main::img(7)), '{"member": "p-new"}',
    'X-Auth-Token' => 'tok-owner', 'X-Openstack-Request-Id' => 'req-share');
Test::More::is($st, 200, "shared");
my (undef, $h2, undef, $again) = main::req('POST',
    sprintf('/v2/images/%s/members', main::img(1)), '{"member": "p-gone"}',
    'X-Auth-Token' => 'tok-owner');
Test::More::is($again->{created_at}, '2020-01-01T00:00:00Z',
               "a deleted member shared again keeps its created_at");

my $before = main::row(main::img('b'), 'p-member');
($st) = main::req('DELETE', sprintf($main::Img, main::img('b'), 'p-member'),
                  '', 'X-Auth-Token' => 'tok-owner',
                  'X-Openstack-Request-Id' => 'req-unshare');
Test::More::is($st, 204, "unshared by the owner");
my ($st2, $h3) = main::req('DELETE',
    sprintf($main::Img, main::img(1), 'p-gone'), '',
    'X-Auth-Token' => 'tok-admin');
Test::More::is($st2, 204, "unshared by an administrator");

my @e = main::events_after($base);
my $gone = main::row(main::img('b'), 'p-member');
my $gone2 = main::row(main::img(1), 'p-gone');
Test::More::like($gone->{deleted_at} // '', qr/^20\d\d-.*Z$/, "soft deleted");

# Glance's payload on unshare has the member as it was loaded (its
# updated_at before the delete), deleted and the time of the delete
my @want_upd = map { $_->{payload}{updated_at} // '' } @e[2, 3];
Test::More::is_deeply(\@want_upd,
                      [$before->{updated_at}, $again->{updated_at}],
                      "an unshare's updated_at: the member's before its"
                      . " delete, as Glance's");
$e[2]{payload}{updated_at} = $gone->{updated_at} if $e[2];
$e[3]{payload}{updated_at} = $gone2->{updated_at} if $e[3];
my %del = (%$before, deleted_at => $gone->{deleted_at},
           updated_at => $gone->{updated_at});
my %del2 = (%$again, deleted_at => $gone2->{deleted_at},
            updated_at => $gone2->{updated_at});
main::events_are(\@e, [
    main::expect('image.member.create', $new, 'p-owner', 'req-share'),
    main::expect('image.member.create', $again, 'p-owner',
                 $h2->{'x-openstack-request-id'}),
    main::expect('image.member.delete', \%del, 'p-owner', 'req-unshare'),
    main::expect('image.member.delete', \%del2, 'p-admin',
                 $h3->{'x-openstack-request-id'})],
    "create: pending, not deleted; delete: the status it had, deleted,"
    . " deleted_at the row's; the caller's project and request id");
Test::More::is($e[0]{created_at}, main::row(main::img(7), 'p-new')->{us},
               "  in the share's transaction");



=== TEST 6: refused requests write no event and change nothing
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
my $base = main::last_event();
my $table = main::members_table();
my $u1 = sprintf($main::Img, main::img(1), 'p-member');
my $acc = '{"status": "accepted"}';
my @r = (
    ['PUT', $u1, $acc, undef, 401],
    ['PUT', $u1, $acc, 'tok-expired', 401],
    ['PUT', $u1, $acc, 'tok-other', 404],
    ['PUT', $u1, $acc, 'tok-owner', 403],
    ['PUT', $u1, '{"status": "bogus"}', 'tok-member', 400],
    ['PUT', $u1, '{"status": "accepted", "vault_id": ""}', 'tok-member', 400],
    ['PUT', sprintf($main::Img, main::img(5), 'p-member'), $acc,
     'tok-member', 400],
    ['PUT', sprintf($main::Img, main::img(4), 'p-member'), $acc,
     'tok-member', 404],
    ['PUT', sprintf($main::Img, main::img(1), 'p-nobody'), $acc,
     'tok-admin', 404],
    ['POST', "/v2/images/" . main::img(1) . "/members",
     '{"member": "p-member"}', 'tok-owner', 409],
    ['POST', "/v2/images/" . main::img('a') . "/members",
     '{"member": "p-third"}', 'tok-owner', 413],
    ['POST', "/v2/images/" . main::img(1) . "/members",
     '{"member": "p-third"}', 'tok-member', 403],
    ['POST', "/v2/images/" . main::img(3) . "/members",
     '{"member": "p-third"}', 'tok-owner', 403],
    ['POST', "/v2/images/" . main::img(1) . "/members", '{"member": ""}',
     'tok-owner', 400],
    ['POST', "/v2/images/" . main::img(1) . "/members",
     '{"member": "p-third"}', undef, 401],
    ['DELETE', $u1, '', 'tok-member', 403],
    ['DELETE', sprintf($main::Img, main::img(1), 'p-nobody'), '',
     'tok-owner', 404],
    ['DELETE', $u1, '', undef, 401],
    ['DELETE', $u1, '{}', 'tok-owner', 400],
    ['PUT', '/v1/cloudimages/members', '{"images": ["' . main::img(1)
     . '"], "project_id": "p-other", "status": "accepted"}', 'tok-member',
     403],
    ['PUT', '/v1/cloudimages/members', '{"images": ["' . main::img(1)
     . '"], "project_id": "p-member", "status": "pending"}', 'tok-member',
     400],
    ['POST', '/v1/cloudimages/members', '{"images": ["' . main::img(1)
     . '"], "projects": ["p-x"]}', undef, 401]);
my @got;
for my $r (@r) {
    my ($method, $path, $body, $token, $want) = @$r;
    my ($st) = main::req($method, $path, $body,
                         $token ? ('X-Auth-Token' => $token) : ());
    push @got, $st;
}
Test::More::is("@got", join(' ', map { $_->[4] } @r),
               "each refused as it should be");
Test::More::is(scalar(main::events_after($base)), 0, "no event");
Test::More::is(main::members_table(), $table, "no member row changed");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM ims_jobs"), 0,
               "no job");



=== TEST 7: an update job: an event per image it changed, with its job id, the submission's request id and project
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
my $base = main::last_event();
my ($id, $rid, $status) = main::run_job('PUT',
    '{"images": ["' . join('", "', main::img(1), main::img(7), main::img(3),
                           main::img('b'),
                           '12345678-1234-1234-1234-123456789012')
    . '"], "project_id": "p-member", "status": "accepted"}',
    'X-Auth-Token' => 'tok-member',
    'X-Openstack-Request-Id' => 'req-job-update');
Test::More::is("$status $rid", "FAIL req-job-update",
               "the job ran (some images failed); the request id answered");
my @e = main::events_after($base);
my @rows = map { main::row(main::img($_), 'p-member') } (1, 7);
main::events_are(\@e, [map {
    main::expect('image.member.update', $_, 'p-member', 'req-job-update',
                 $id) } @rows],
    "two changes, two events: none for a failed image or a repeat");
Test::More::is(join(' ', map { $_->{created_at} } @e),
               join(' ', map { $_->{us} } @rows),
               "  each in the transaction of its change");



=== TEST 8: add and delete jobs: an event per pair changed, none for a failed pair
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
my $base = main::last_event();
my ($id, $rid, $status) = main::run_job('POST',
    '{"images": ["' . join('", "', main::img(1), main::img(7), main::img(2))
    . '"], "projects": ["p-a", "p-member"]}', 'X-Auth-Token' => 'tok-owner');
Test::More::is($status, 'FAIL', "the add job ran (some pairs failed)");
Test::More::like($rid // '', qr/^req-[0-9a-f-]{36}$/,
                 "  its submission got a request id");
my @added = map { main::row(main::img($_), 'p-a') } (1, 7);
main::events_are([main::events_after($base)], [map {
    main::expect('image.member.create', $_, 'p-owner', $rid, $id) } @added],
    "two pairs added: two create events, the job's");

$base = main::last_event();
my ($id2, $rid2, $status2) = main::run_job('DELETE',
    '{"images": ["' . join('", "', main::img(1), main::img(7))
    . '"], "projects": ["p-a", "p-nobody"]}', 'X-Auth-Token' => 'tok-owner',
    'X-Openstack-Request-Id' => 'req-job-delete');
Test::More::is($status2, 'FAIL', "the delete job ran (p-nobody is no member)");
my @e = main::events_after($base);
my @removed = map { main::row(main::img($_), 'p-a') } (1, 7);
for my $i (0, 1) {
    # the updated_at of the member as it was before its delete
    my $u = $e[$i] ? $e[$i]{payload}{updated_at} : '';
    Test::More::is($u, $added[$i]{updated_at},
                   "a job's unshare: updated_at before the delete");
    $e[$i]{payload}{updated_at} = $removed[$i]{updated_at};
}
main::events_are(\@e, [map {
    main::expect('image.member.delete', $_, 'p-owner', 'req-job-delete',
                 $id2) } @removed],
    "two pairs removed: two delete events, deleted_at the rows'");



=== TEST 9: ims_member_events off in a location: no event on any path, the changes made
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
my $base = main::last_event();
my %off = (Host => 'events-off');
my @st;
push @st, (main::req('PUT', sprintf($main::Img, main::img(1), 'p-member'),
                     '{"status": "accepted"}', %off,
                     'X-Auth-Token' => 'tok-member'))[0];
push @st, (main::req('POST', '/v2/images/' . main::img(7) . '/members',
                     '{"member": "p-off"}', %off,
                     'X-Auth-Token' => 'tok-owner'))[0];
push @st, (main::req('DELETE', sprintf($main::Img, main::img('b'),
                                       'p-member'), '', %off,
                     'X-Auth-Token' => 'tok-owner'))[0];
Test::More::is("@st", "200 200 204", "update, share, unshare");
my (undef, undef, $s1) = main::run_job('PUT', '{"images": ["' . main::img(6)
    . '"], "project_id": "p-member", "status": "rejected"}', %off,
    'X-Auth-Token' => 'tok-member');
my (undef, undef, $s2) = main::run_job('POST', '{"images": ["'
    . main::img(6) . '"], "projects": ["p-off2"]}', %off,
    'X-Auth-Token' => 'tok-owner');
my (undef, undef, $s3) = main::run_job('DELETE', '{"images": ["'
    . main::img(7) . '"], "projects": ["p-off"]}', %off,
    'X-Auth-Token' => 'tok-owner');
Test::More::is("$s1 $s2 $s3", "SUCCESS SUCCESS SUCCESS", "three jobs ran");
Test::More::is(join(' ', map { main::row(main::img($_->[0]), $_->[1])->{status}
                               . (main::row(main::img($_->[0]), $_->[1])
                                  ->{deleted_at} ? '-deleted' : '') }
                         ([1, 'p-member'], [7, 'p-off'], ['b', 'p-member'],
                          [6, 'p-member'], [6, 'p-off2'])),
               "accepted pending-deleted accepted-deleted rejected pending",
               "each changed its rows");
Test::More::is(scalar(main::events_after($base)), 0, "no event");

# the location's setting only: the other server writes them
my ($st, undef, undef, $m) = main::req('PUT',
    sprintf($main::Img, main::img(1), 'p-member'), '{"status": "rejected"}',
    'X-Auth-Token' => 'tok-member', 'X-Openstack-Request-Id' => 'req-on');
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update', $m, 'p-member',
                               'req-on')],
                 "where it is on (the default), the update writes one");

# a project from a trusted layer: no Keystone user
$base = main::last_event();
($st, undef, undef, $m) = main::req('PUT',
    sprintf($main::Img, main::img(1), 'p-member'), '{"status": "accepted"}',
    Host => 'trusted', 'X-Project-Id' => 'p-member',
    'X-Openstack-Request-Id' => 'req-trusted');
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update', $m, 'p-member',
                               'req-trusted')],
                 "ims_member_project: its project, no user");



=== TEST 10: NOTIFY only to a relay that waits (holds the wait lock)
--- init
ImsMember::Pg::reset_fixtures();
my $relay = ImsMember::Pg::session();
$relay->query("LISTEN ims_member_events");
my $put = sub {
    my $status = shift;
    return (main::req('PUT', sprintf($main::Img, main::img(1), 'p-member'),
                      qq/{"status": "$status"}/,
                      'X-Auth-Token' => 'tok-member'))[0];
};
Test::More::is($put->('accepted'), 200, "an update");
Test::More::is(main::notified($relay, 'm1'), 'm1',
               "no relay waits: the writer sends no NOTIFY");

$relay->query("SELECT ims_member_relay_wait(true)");
Test::More::is($put->('rejected'), 200, "an update while the relay waits");
Test::More::is(main::notified($relay, 'm2'), '- m2',
               "  one NOTIFY, empty, before the test's own");
Test::More::is($put->('rejected'), 200, "a repeat");
Test::More::is(main::notified($relay, 'm3'), 'm3',
               "  no event, no NOTIFY");
my ($st) = main::req('POST', '/v2/images/' . main::img(7) . '/members',
                     '{"member": "p-note"}', 'X-Auth-Token' => 'tok-owner');
Test::More::is($st, 200, "a share while the relay waits");
Test::More::is(main::notified($relay, 'm4'), '- m4', "  one NOTIFY");

my (undef, undef, $js) = main::run_job('PUT', '{"images": ["'
    . main::img('a') . '"], "project_id": "p-member", "status": "accepted"}',
    'X-Auth-Token' => 'tok-member');
Test::More::is($js, 'SUCCESS', "a job while the relay waits");
Test::More::like(main::notified($relay, 'm6'), qr/^- m6$/,
                 "  one NOTIFY for its change");

$relay->query("SELECT ims_member_relay_wait(false)");
Test::More::is($put->('pending'), 200, "an update once the relay woke");
Test::More::is(main::notified($relay, 'm5'), 'm5', "  no NOTIFY");
$relay->close;



=== TEST 11: ims_member_events_next(): id order, a gap held by a running transaction, then rolled back or committed
--- init
ImsMember::Pg::sql($main::Event);
my $b = main::last_event();
my @ids = map { $b + $_ } 0 .. 4;

# an id taken by a transaction still running, a later one committed
my $h = ImsMember::Pg::session();
$h->query("BEGIN");
$h->query($main::Event);
ImsMember::Pg::sql($main::Event);
Test::More::is(ImsMember::Pg::sql("SELECT string_agg(id::text, ' ' ORDER BY"
                                  . " id) FROM ims_member_events"
                                  . " WHERE id >= $b"), "$ids[0] $ids[2]",
               "the held id is not visible, the next one is");

my ($rows, $snap, $created) = main::next_events($b - 1, 100);
Test::More::is($rows, "$ids[0] gap=$ids[1]",
               "next() stops at the gap, though a later id is visible");
Test::More::like($created->[0] // '',
                 qr/^20\d\d-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/,
                 "  created_at as Python's str() of a datetime");
Test::More::is((main::next_events($b - 1, 1))[0], "$ids[0]",
               "  at most the limit");
my ($rows2, $snap2) = main::next_events($ids[0], 100, $ids[1], $snap);
Test::More::is("$rows2 $snap2", "gap=$ids[1] $snap",
               "  still there while its transaction runs, the same snapshot");

$h->query("ROLLBACK");
Test::More::is((main::next_events($ids[0], 100, $ids[1], $snap))[0],
               "$ids[2]", "rolled back: the next call goes past the gap");

# a held id that commits
$h->query("BEGIN");
$h->query($main::Event);
ImsMember::Pg::sql($main::Event);
my ($rows3, $snap3) = main::next_events($ids[2], 100);
Test::More::is($rows3, "gap=$ids[3]", "another gap");
$h->query("COMMIT");
$h->close;
Test::More::is((main::next_events($ids[2], 100, $ids[3], $snap3))[0],
               "$ids[3] $ids[4]", "committed: it comes, in id order");
my ($rows4, $snap4) = main::next_events($b - 1, 100);
Test::More::is($rows4, "$ids[0] gap=$ids[1]",
               "from the start: a missing id stops a first call");
Test::More::is((main::next_events($ids[0], 100, $ids[1], $snap4))[0],
               "$ids[2] $ids[3] $ids[4]",
               "  the next goes past it (its transaction ended): id order");



=== TEST 12: ims_member_events_purge(): only old events a relay has delivered
--- init
ImsMember::Pg::sql("TRUNCATE ims_member_events; TRUNCATE ims_member_relay");
ImsMember::Pg::sql($main::Event) for 1 .. 5;
my @ids = split /\n/, ImsMember::Pg::sql("SELECT id FROM ims_member_events"
                                         . " ORDER BY id");
my $left = sub {
    return ImsMember::Pg::sql("SELECT string_agg((id - $ids[0])::text, ' '"
                              . " ORDER BY id) FROM ims_member_events");
};
ImsMember::Pg::sql("UPDATE ims_member_events SET created_at = created_at"
                   . " - interval '2 hours' WHERE id < $ids[4]");
Test::More::is(ImsMember::Pg::sql("SELECT claimed FROM"
                                  . " ims_member_relay_claim('r1', 'test')"),
               't', "a relay claims its name");
ImsMember::Pg::sql("SELECT ims_member_relay_delivered('r1', $ids[1])");
Test::More::is(ImsMember::Pg::sql("SELECT ims_member_events_purge(3600,"
                                  . " 1000)"), 2,
               "the two old ones delivered go");
Test::More::is($left->(), "2 3 4", "  the old ones not delivered stay");

ImsMember::Pg::sql("SELECT ims_member_relay_delivered('r1', $ids[4])");
Test::More::is(ImsMember::Pg::sql("SELECT ims_member_events_purge(3600, 1)"),
               1, "at most the rows asked");
Test::More::is($left->(), "3 4", "  the oldest");
Test::More::is(ImsMember::Pg::sql("SELECT ims_member_events_purge(3600,"
                                  . " 1000)"), 1, "the last old one");
Test::More::is($left->(), "4", "  a recent one stays, though delivered");

# two relays: the one behind holds events back
ImsMember::Pg::sql($main::Event) for 1 .. 2;
ImsMember::Pg::sql("UPDATE ims_member_events SET created_at = created_at"
                   . " - interval '2 hours'");
ImsMember::Pg::sql("SELECT claimed FROM ims_member_relay_claim('r2', 't')");
ImsMember::Pg::sql("SELECT ims_member_relay_delivered('r2', $ids[4])");
Test::More::is(ImsMember::Pg::sql("SELECT ims_member_events_purge(3600,"
                                  . " 1000)"), 1,
               "two relays: up to the one behind");
Test::More::is($left->(), "5 6", "  the others stay");
ImsMember::Pg::sql("TRUNCATE ims_member_relay");
Test::More::is(ImsMember::Pg::sql("SELECT ims_member_events_purge(3600,"
                                  . " 1000)"), 2, "no relay: every old one");
