# Group commit (ims_member_group_commit on): single updates that wait in
# one worker while a group is under way go together, as one statement in
# one transaction, and each is answered after its commit.
#
# A group is made to form, never with sleeps: a first update is held in the
# database (its vault's key is taken by an uncommitted transaction of the
# test), the next ones are sent and seen waiting for a group in the debug
# log, then the first is let go.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 47;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_group_commit on;
    ims_member_group_threshold 0;
    ims_member_timeout 5s;
_EOC_
    }

    $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
});

our $Img = '/v2/images/%s/members/%s';

# image ids of the fixtures by their first digit
sub img {
    my $c = shift;
    return join '-', $c x 8, $c x 4, $c x 4, $c x 4, $c x 12;
}

# The group's holder: an update of 7777... whose vault insert waits for the
# returned session's uncommitted row with the same key.  Returns (session,
# socket of the held request).
sub hold_group {
    my $s = ImsMember::Pg::session();
    $s->query("BEGIN");
    $s->query("INSERT INTO ims_member_vaults VALUES ('" . img(7)
              . "', 'p-member', 'vault-s', now(), now())");
    my $held = ImsMember::Pg::http_send('PUT',
        sprintf($Img, img(7), 'p-member'),
        '{"status": "accepted", "vault_id": "vault-a"}',
        'X-Auth-Token' => 'tok-member');
    ImsMember::Pg::wait_for_lock_waiter();
    return ($s, $held);
}

# Sends updates, each once the one before waits for the group.
sub send_waiting {
    my @socks;
    my $n = ImsMember::Pg::error_log_count("statement waits for a group");
    for my $u (@_) {
        my ($image, $member, $body, $token) = @$u;
        push @socks, ImsMember::Pg::http_send('PUT',
            sprintf($Img, $image, $member), $body,
            'X-Auth-Token' => $token || 'tok-member');
        $n++;
        ImsMember::Pg::wait_until(sub {
            ImsMember::Pg::error_log_count("statement waits for a group")
            >= $n
        }) or die "update $n should wait for the group\n";
    }
    return @socks;
}

sub updates {
    return ImsMember::Pg::sql("SELECT n_tup_upd FROM pg_stat_user_tables"
                              . " WHERE relname = 'image_members'");
}

sub status_of {
    my ($image, $member) = @_;
    return ImsMember::Pg::sql("SELECT status FROM image_members WHERE"
                              . " image_id = '$image' AND member = '$member'"
                              . " AND NOT deleted");
}

run_tests();

__DATA__

=== TEST 1: a row another transaction holds does not hold up its group
--- init
ImsMember::Pg::reset_fixtures();
my ($s, $held) = main::hold_group();

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id = '"
             . main::img(6) . "' FOR UPDATE");

my @g = main::send_waiting(
    [main::img(6), 'p-member', '{"status": "accepted"}'],
    [main::img(1), 'p-member', '{"status": "accepted"}'],
    [main::img('a'), 'p-member', '{"status": "rejected"}']);

$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200,
               "the held update answers once let go");

# the lock on 6666... is still held: the others of its group answer
my ($st1, $b1) = ImsMember::Pg::http_read($g[1]);
my ($st2) = ImsMember::Pg::http_read($g[2]);
Test::More::is("$st1 $st2", "200 200",
               "the rest of the group answers while one row is locked");
Test::More::like($b1, qr/"status": "accepted"/, "with its own row");
Test::More::is(main::status_of(main::img(1), 'p-member') . ' '
               . main::status_of(main::img('a'), 'p-member'),
               "accepted rejected", "both committed");
Test::More::is(main::status_of(main::img(6), 'p-member'), "pending",
               "the locked row waits");

$lock->query("COMMIT");
$lock->close;
my ($st0, $b0) = ImsMember::Pg::http_read($g[0]);
Test::More::is($st0, 200, "the locked row's update answers once free");
Test::More::is(main::status_of(main::img(6), 'p-member'), "accepted",
               "and is written");
--- request
GET /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
--- error_code: 405
--- error_log
statement waits for a group



=== TEST 2: two updates of one row in one group: arrival order, one write
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::settle_stats();
my ($s, $held) = main::hold_group();
my $n0 = main::updates();

my @g = main::send_waiting(
    [main::img(1), 'p-member', '{"status": "accepted"}'],
    [main::img(1), 'p-member', '{"status": "rejected"}']);

$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200, "the holder");

my ($st0, $b0) = ImsMember::Pg::http_read($g[0]);
my ($st1, $b1) = ImsMember::Pg::http_read($g[1]);
Test::More::is("$st0 $st1", "200 200", "both answer");
Test::More::like($b0, qr/"status": "accepted"/, "the first as it set it");
Test::More::like($b1, qr/"status": "rejected"/, "the second as it set it");
my ($u0) = $b0 =~ /"updated_at": "([^"]+)"/;
my ($u1) = $b1 =~ /"updated_at": "([^"]+)"/;
Test::More::is($u0, $u1, "both changed it in one transaction");
Test::More::is(main::status_of(main::img(1), 'p-member'), "rejected",
               "the last one wins");

# the holder's row and the shared row: one write each
ImsMember::Pg::wait_until(sub { main::updates() >= $n0 + 2 });
Test::More::is(main::updates() - $n0, 2, "the shared row written once");
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: "updated_at": "20



=== TEST 3: one group, every answer its own: 200, 401, 403, 404, 400
--- init
ImsMember::Pg::reset_fixtures();
my ($s, $held) = main::hold_group();

my @g = main::send_waiting(
    [main::img(1), 'p-member', '{"status": "accepted"}'],
    [main::img('a'), 'p-member', '{"status": "accepted"}', 'tok-unknown'],
    [main::img('a'), 'p-member', '{"status": "accepted"}', 'tok-owner'],
    [main::img(2), 'p-member', '{"status": "accepted"}'],
    [main::img(5), 'p-member', '{"status": "accepted"}'],
    [main::img('b'), 'p-other', '{"status": "accepted"}'],
    [main::img('a'), 'p-member', '{"status": "rejected"}']);

$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200, "the holder");

my @res = map { [ImsMember::Pg::http_read($_)] } @g;
Test::More::is(join(' ', map { $_->[0] } @res),
               "200 401 403 404 400 404 200", "each answers for itself");
Test::More::like($res[1][1], qr/"IMG\.0087"/, "an unknown token");
Test::More::like($res[2][1], qr/"IMG\.0161"/, "the owner");
Test::More::like($res[4][1], qr/"IMG\.9007"/, "a CBR image without vault");
Test::More::is(main::status_of(main::img(1), 'p-member') . ' '
               . main::status_of(main::img('a'), 'p-member') . ' '
               . main::status_of(main::img(5), 'p-member'),
               "accepted rejected pending", "only the allowed ones wrote");
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 4: PostgreSQL restarted under a group: every request answered, none lost, none applied twice
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("UPDATE image_members SET status = 'rejected',"
                   . " updated_at = '2021-01-01 00:00:00'"
                   . " WHERE image_id = '" . main::img('b') . "'");

# a group committed and answered first
my ($s, $held) = main::hold_group();
my @first = main::send_waiting(
    [main::img(1), 'p-member', '{"status": "accepted"}'],
    [main::img('a'), 'p-member', '{"status": "accepted"}']);
$s->query("COMMIT");
$s->close;
my @ok = map { (ImsMember::Pg::http_read($_))[0] } $held, @first;
Test::More::is("@ok", "200 200 200", "the first group is answered");

# a group under way when the server restarts: its holder waits for the
# test's uncommitted vault, the group waits behind it
$s = ImsMember::Pg::session();
$s->query("BEGIN");
$s->query("INSERT INTO ims_member_vaults VALUES ('" . main::img(6)
          . "', 'p-member', 'vault-s', now(), now())");
$held = ImsMember::Pg::http_send('PUT',
    sprintf($main::Img, main::img(6), 'p-member'),
    '{"status": "accepted", "vault_id": "vault-b"}',
    'X-Auth-Token' => 'tok-member');
ImsMember::Pg::wait_for_lock_waiter();
my @second = main::send_waiting(
    [main::img('b'), 'p-member', '{"status": "pending"}'],
    [main::img(1), 'p-member', '{"status": "rejected"}']);

ImsMember::Pg::restart_server();
eval { $s->close };

my @codes = map { (ImsMember::Pg::http_read($_, 30))[0] } $held, @second;
Test::More::ok(!grep({ $_ != 200 && $_ != 503 } @codes),
               "every request answered 200 or 503: @codes");

# acknowledged: in the database; refused: not applied
Test::More::is(main::status_of(main::img(6), 'p-member'),
               $codes[0] == 200 ? "accepted" : "pending",
               "the holder's row as its answer says");
Test::More::is(main::status_of(main::img('b'), 'p-member'),
               $codes[1] == 200 ? "pending" : "rejected",
               "the group's rows as their answers say");
Test::More::is(main::status_of(main::img(1), 'p-member'),
               $codes[2] == 200 ? "rejected" : "accepted",
               "an earlier group's acknowledged update kept or replaced"
               . " only by an answered one");
Test::More::is(main::status_of(main::img('a'), 'p-member'), "accepted",
               "the first group's update survives the restart");

# sent again: what was applied is not applied twice (no new row version)
my $xmin = ImsMember::Pg::sql("SELECT xmin FROM image_members WHERE"
                              . " image_id = '" . main::img('a') . "'"
                              . " AND member = 'p-member'");
my ($again) = ImsMember::Pg::put_member(main::img('a'), 'p-member',
                                        '{"status": "accepted"}');
Test::More::is($again, 200, "a repeat answers");
Test::More::is(ImsMember::Pg::sql("SELECT xmin FROM image_members WHERE"
                                  . " image_id = '" . main::img('a') . "'"
                                  . " AND member = 'p-member'"),
               $xmin, "and writes nothing");
--- request
PUT /v2/images/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 5: skipped updates each wait for their own row only
--- init
ImsMember::Pg::reset_fixtures();

# X the row of lower id: a retry that locks in id order waits for it first
my ($x, $y) = split /\n/, ImsMember::Pg::sql("SELECT image_id FROM"
    . " image_members WHERE member = 'p-member' AND NOT deleted"
    . " AND image_id IN ('" . main::img(6) . "', '" . main::img(1) . "')"
    . " ORDER BY id");

my ($s, $held) = main::hold_group();
my (%lock);
for my $img ($x, $y) {
    $lock{$img} = ImsMember::Pg::session();
    $lock{$img}->query("BEGIN");
    $lock{$img}->query("SELECT 1 FROM image_members WHERE image_id = '$img'"
                       . " AND member = 'p-member' FOR UPDATE");
}

my @g = main::send_waiting([$x, 'p-member', '{"status": "accepted"}'],
                           [$y, 'p-member', '{"status": "accepted"}']);

$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200,
               "the group's first update answers");

# both skipped; Y is freed first, X stays held (as by a long transaction)
ImsMember::Pg::wait_for_lock_waiter();
$lock{$y}->query("COMMIT");
$lock{$y}->close;
my ($sty) = ImsMember::Pg::http_read($g[1], 3);
Test::More::is($sty, 200, "Y answers once Y is free, while X is held");
Test::More::is(main::status_of($y, 'p-member'), "accepted", "  written");

$lock{$x}->query("COMMIT");
$lock{$x}->close;
my ($stx) = ImsMember::Pg::http_read($g[0]);
Test::More::is($stx, 200, "X answers once X is free");
--- request
GET /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
--- error_code: 405
--- error_log
statement waits for a group



=== TEST 6: below the threshold updates go alone, as without group commit (the default)
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_group_commit on;
    ims_member_timeout 5s;
--- init
ImsMember::Pg::reset_fixtures();

# X held by another transaction: its update, alone, waits for X only
my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id = '" . main::img(6)
             . "' AND member = 'p-member' FOR UPDATE");

my $x = ImsMember::Pg::http_send('PUT', sprintf($main::Img, main::img(6),
    'p-member'), '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');
ImsMember::Pg::wait_for_lock_waiter();

Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
    . " WHERE wait_event_type = 'Lock'"
    . " AND query LIKE '%ims_member_set_status(%'"), 1,
    "the update waits as the single update, not as a group");

my $y = ImsMember::Pg::http_send('PUT', sprintf($main::Img, main::img(1),
    'p-member'), '{"status": "rejected"}', 'X-Auth-Token' => 'tok-member');
my ($sty) = ImsMember::Pg::http_read($y, 3);
Test::More::is($sty, 200, "another update answers while X is held");
Test::More::is(ImsMember::Pg::error_log_count("group of"), 0,
               "  alone too, as X");
Test::More::is(main::status_of(main::img(1), 'p-member'), "rejected",
               "  written");

$lock->query("COMMIT");
$lock->close;
my ($stx) = ImsMember::Pg::http_read($x);
Test::More::is($stx, 200, "X answers once X is free");
Test::More::is(main::status_of(main::img(6), 'p-member'), "accepted",
               "  written");
--- request
GET /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
--- error_code: 405
--- no_error_log
[alert]



=== TEST 7: past the threshold, updates go with a group, which no held row holds up
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_group_commit on;
    ims_member_group_threshold 2;
    ims_member_timeout 5s;
--- init
ImsMember::Pg::reset_fixtures();

# two updates alone, each waiting for its row: the threshold is reached
my (%lock, @alone);
for my $c (6, 1) {
    $lock{$c} = ImsMember::Pg::session();
    $lock{$c}->query("BEGIN");
    $lock{$c}->query("SELECT 1 FROM image_members WHERE image_id = '"
                     . main::img($c) . "' AND member = 'p-member'"
                     . " FOR UPDATE");
    push @alone, ImsMember::Pg::http_send('PUT',
        sprintf($main::Img, main::img($c), 'p-member'),
        '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');
    ImsMember::Pg::wait_until(sub {
        ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
            . " WHERE wait_event_type = 'Lock'"
            . " AND query LIKE '%ims_member_set_status(%'") >= keys %lock
    }) or die "the update of " . main::img($c) . " should wait alone\n";
}

# the next goes as a group of one, held by nobody
my $one = ImsMember::Pg::http_send('PUT', sprintf($main::Img, main::img(9),
    'p-member'), '{"status": "accepted"}', 'X-Auth-Token' => 'tok-member');
my ($st1) = ImsMember::Pg::http_read($one, 3);
Test::More::is($st1, 200, "past the threshold: a group of one answers");
Test::More::is(ImsMember::Pg::error_log_count("group of 1,"), 1,
               "  as a group");

# a group under way (held in its vault's key): the next ones wait for it
my ($s, $held) = main::hold_group();
my @g = main::send_waiting(
    [main::img('a'), 'p-member', '{"status": "accepted"}'],
    [main::img('b'), 'p-member', '{"status": "rejected"}']);
$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200, "the holder");
Test::More::is(join(' ', map { (ImsMember::Pg::http_read($_))[0] } @g),
               "200 200", "the two that waited, as one group");
Test::More::is(ImsMember::Pg::error_log_count("group of 2,"), 1,
               "  one group of two");

for my $c (6, 1) {
    $lock{$c}->query("COMMIT");
    $lock{$c}->close;
}
Test::More::is(join(' ', map { (ImsMember::Pg::http_read($_))[0] } @alone),
               "200 200", "the two alone answer once their rows are free");

# the last group had company: the next two go with a group, though
# nothing else is under way; two ended alone: the next goes alone again
my @next = map { [ImsMember::Pg::put_member(main::img($_), 'p-member',
                  '{"status": "pending"}', 'tok-member')] } ('a', 'b', 'a');
Test::More::is(join(' ', map { $_->[0] } @next), "200 200 200",
               "three more, one by one");
Test::More::is(ImsMember::Pg::error_log_count("group of 1,"), 4,
               "  the first two as groups, after a group of two");
Test::More::is(ImsMember::Pg::error_log_count("group of"), 5,
               "  the third alone");
--- request
GET /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
--- error_code: 405
--- no_error_log
[alert]
