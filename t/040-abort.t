# A client that goes away while its statement waits leaves nothing behind:
# the request is finalized with 499, its statement is drained, and the
# connection goes back to the pool once the database has answered.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3 + 1) + 2;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_pool 1;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-member\n");
    }
});

run_tests();

__DATA__

=== TEST 1: the client leaves while its update waits for a lock, which then goes
--- init
ImsMember::Pg::reset_fixtures();

# a connection open and parked, so that the statement below is sent at once
# (under valgrind, connecting may take longer than the client waits)
ImsMember::Pg::put_member('77777777-7777-7777-7777-777777777777', 'p-member',
                          '{"status": "pending"}');

# the lock goes once the request below waits on it and its client has gone
ImsMember::Pg::hold_lock_until(
    "SELECT 1 FROM image_members WHERE image_id ="
    . " '66666666-6666-6666-6666-666666666666' FOR UPDATE",
    sub {
        ImsMember::Pg::error_log_has("client closed the connection while"
                                     . " the database was working");
    });
--- request
PUT /v2/images/66666666-6666-6666-6666-666666666666/members/p-member
{"status": "rejected"}
--- timeout: 0.5
--- abort
--- wait: 1
--- ignore_response
--- error_log
ims_member: client closed the connection while the database was working
ims_member: draining PostgreSQL connection
ims_member: parking PostgreSQL connection
--- no_error_log
[alert]



=== TEST 2: the only connection serves the next request
--- init
wait();
my ($status) = ImsMember::Pg::put_member(
    '77777777-7777-7777-7777-777777777777', 'p-member', '{"status": "accepted"}');
Test::More::is($status, 200, "the drained connection serves again");
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members WHERE"
                                  . " image_id = '66666666-6666-6666-6666-666666666666'"),
               "rejected", "the abandoned statement ran once the lock went");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "rejected"}
--- error_code: 200
--- grep_error_log: ims_member: new PostgreSQL connection
--- grep_error_log_out
ims_member: new PostgreSQL connection
--- no_error_log
[alert]
