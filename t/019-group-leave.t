# Group commit: a request that goes while its update is held by the group
# room (ims_member_group_commit on) takes nothing else with it.  An update
# waiting for the next group is never sent; a member of a group under way
# leaves the group, which runs on for the others; a group all of whose
# members left runs on alone, as an abandoned statement does, and its
# connection serves again.
#
# Groups are held in the database as in t/014 (an uncommitted vault row of
# the test with the key an update inserts), never with sleeps; a client
# goes by closing its socket, seen in the error log.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3) + 14;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_group_commit on;
    ims_member_group_threshold 0;
    ims_member_timeout 5s;
_EOC_

    $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
});

our $Img = '/v2/images/%s/members/%s';
our $Gone = 'client closed the connection while the database was working';

# image ids of the fixtures by their first digit
sub img {
    my $c = shift;
    return join '-', $c x 8, $c x 4, $c x 4, $c x 4, $c x 12;
}

# A session of the test holding, uncommitted, the vault key that an update
# of the image with a vault id inserts: that update waits for it.
sub hold_vault {
    my $image = shift;
    my $s = ImsMember::Pg::session();
    $s->query("BEGIN");
    $s->query("INSERT INTO ims_member_vaults VALUES ('$image',"
              . " 'p-member', 'vault-s', now(), now())");
    return $s;
}

sub put {
    my ($image, $body) = @_;
    return ImsMember::Pg::http_send('PUT', sprintf($Img, $image, 'p-member'),
                                    $body, 'X-Auth-Token' => 'tok-member');
}

# The group under way: an update of 7777... held by its vault key.
# Returns (session, socket of the held request).
sub hold_group {
    my $s = hold_vault(img(7));
    my $held = put(img(7), '{"status": "accepted", "vault_id": "vault-a"}');
    ImsMember::Pg::wait_for_lock_waiter();
    return ($s, $held);
}

# Sends updates, each once the one before waits for the group.
sub send_waiting {
    my @socks;
    my $n = ImsMember::Pg::error_log_count("statement waits for a group");
    for my $u (@_) {
        push @socks, put(@$u);
        $n++;
        ImsMember::Pg::wait_until(sub {
            ImsMember::Pg::error_log_count("statement waits for a group")
            >= $n
        }) or die "update $n should wait for the group\n";
    }
    return @socks;
}

# Closes clients, and waits until nginx has seen each go.
sub leave {
    my $n = ImsMember::Pg::error_log_count($Gone) + @_;
    close $_ for @_;
    ImsMember::Pg::wait_until(sub {
        ImsMember::Pg::error_log_count($Gone) >= $n
    }) or die "nginx should see the client go\n";
}

sub status_of {
    my $image = shift;
    return ImsMember::Pg::sql("SELECT status FROM image_members WHERE"
                              . " image_id = '$image' AND member = 'p-member'"
                              . " AND NOT deleted");
}

run_tests();

__DATA__

=== TEST 1: an update whose client left while it waited for a group is never sent
--- init
ImsMember::Pg::reset_fixtures();
my ($s, $held) = main::hold_group();

my ($gone, $stays) = main::send_waiting(
    [main::img(1), '{"status": "rejected"}'],
    [main::img('a'), '{"status": "rejected"}']);
main::leave($gone);

$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200,
               "the held update answers once let go");
Test::More::is((ImsMember::Pg::http_read($stays))[0], 200,
               "the one that waited with it goes");
Test::More::is(main::status_of(main::img('a')), "rejected", "and is written");
Test::More::is(main::status_of(main::img(1)), "pending",
               "the one whose client left is never sent");
--- request
GET /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
--- error_code: 405
--- grep_error_log eval: qr/group of \d+/
--- grep_error_log_out
group of 1
group of 1
--- no_error_log
[alert]



=== TEST 2: a member whose client left leaves its group, which runs on for the others
--- init
ImsMember::Pg::reset_fixtures();
my ($s, $held) = main::hold_group();
my $v = main::hold_vault(main::img(6));

my ($waits, $gone) = main::send_waiting(
    [main::img(6), '{"status": "accepted", "vault_id": "vault-b"}'],
    [main::img(1), '{"status": "rejected"}']);

# the group of both goes, and waits for the second vault key
$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200,
               "the held update answers once let go");
ImsMember::Pg::wait_for_lock_waiter();
Test::More::ok(ImsMember::Pg::error_log_has("group of 2"),
               "the two waiting updates go as one group");

main::leave($gone);

$v->query("COMMIT");
$v->close;
my ($st, $body) = ImsMember::Pg::http_read($waits);
Test::More::is($st, 200, "the member that stayed answers");
Test::More::like($body, qr/"status": "accepted"/, "with its own row");
Test::More::is(main::status_of(main::img(6)), "accepted", "written");
Test::More::is(main::status_of(main::img(1)), "rejected",
               "the group ran as it was sent, the gone member's row too");
--- request
GET /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
--- error_code: 405
--- error_log
group of 2
--- no_error_log
[alert]



=== TEST 3: a group all of whose members left runs on alone; its connection serves again
--- init
ImsMember::Pg::reset_fixtures();
my ($s, $held) = main::hold_group();
my $v = main::hold_vault(main::img(6));

my @gone = main::send_waiting(
    [main::img(6), '{"status": "accepted", "vault_id": "vault-b"}'],
    [main::img(1), '{"status": "rejected"}']);

$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200,
               "the held update answers once let go");
ImsMember::Pg::wait_for_lock_waiter();

my $draining = ImsMember::Pg::error_log_count("draining PostgreSQL");
main::leave(@gone);
Test::More::ok(ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::error_log_count("draining PostgreSQL") > $draining
}), "the group's statement is let go, its connection drained");

my $parked = ImsMember::Pg::error_log_count("parking PostgreSQL");
$v->query("COMMIT");
$v->close;
Test::More::ok(ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::error_log_count("parking PostgreSQL") > $parked
}), "and parked once the statement ended");
Test::More::is(main::status_of(main::img(6)) . ' '
               . main::status_of(main::img(1)), "accepted rejected",
               "the abandoned group ran as sent");
--- request
PUT /v2/images/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: "status": "accepted"
--- no_error_log
[alert]
