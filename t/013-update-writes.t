# What the single update writes: a change writes the member row once; a
# repeat of the status the member already has takes no row lock and writes
# nothing (so a row locked by another transaction does not hold it up).

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 5;

no_shuffle();

our $Row = "image_id = '66666666-6666-6666-6666-666666666666'"
           . " AND member = 'p-member'";

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_timeout 3s;
_EOC_

    $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: a repeat under another transaction's row lock: 200 at once, the row as it was
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("UPDATE image_members SET status = 'accepted',"
                   . " updated_at = '2021-01-01 00:00:00' WHERE $::Row");
my $before = ImsMember::Pg::sql("SELECT xmin, updated_at FROM image_members"
                                . " WHERE $::Row");

my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE $::Row FOR UPDATE");

my ($status, $body) = ImsMember::Pg::put_member(
    '66666666-6666-6666-6666-666666666666', 'p-member',
    '{"status": "accepted"}');
Test::More::is($status, 200, "the repeat does not wait for the lock");
Test::More::like($body, qr/"updated_at": "2021-01-01T00:00:00Z"/,
                 "and answers the row as it is");
Test::More::is(ImsMember::Pg::sql("SELECT xmin, updated_at FROM"
                                  . " image_members WHERE $::Row"),
               $before, "no new row version");
$lock->query("COMMIT");
$lock->close;
--- request
PUT /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",



=== TEST 2: a change is one new row version, by one transaction
--- init
ImsMember::Pg::settle_stats();
my $n0 = ImsMember::Pg::sql("SELECT n_tup_upd FROM pg_stat_user_tables"
                            . " WHERE relname = 'image_members'");
my ($status) = ImsMember::Pg::put_member(
    '66666666-6666-6666-6666-666666666666', 'p-member',
    '{"status": "pending"}');
Test::More::is($status, 200, "the change answers 200");
# the statistics collector reports at the end of each transaction
ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT n_tup_upd FROM pg_stat_user_tables"
                       . " WHERE relname = 'image_members'") != $n0
});
Test::More::is(ImsMember::Pg::sql("SELECT n_tup_upd FROM"
                                  . " pg_stat_user_tables WHERE relname ="
                                  . " 'image_members'") - $n0, 1,
               "one row written once");
--- request
PUT /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
{"status": "pending"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "pending",
