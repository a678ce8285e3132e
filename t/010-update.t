# PUT /v2/images/{image_id}/members/{member_id}: every row of the contract's
# table, in its order, with the answers' bodies and the rows they leave.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 1) + 7;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: a member accepts a shared image: 200 and the member as Glance shows it
--- init
ImsMember::Pg::reset_fixtures();
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"status": "accepted", "created_at": "2020-01-01T00:00:00Z", "updated_at": "20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", "image_id": "11111111-1111-1111-1111-111111111111", "member_id": "p-member", "schema": "\/v2\/schemas\/member"\}$/
--- no_error_log
[error]



=== TEST 2: the row was updated, in UTC, with microseconds; a repeat keeps it as it is
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT status, updated_at > (now() AT TIME ZONE 'UTC') - interval '1 minute',"
    . " updated_at <= (now() AT TIME ZONE 'UTC'), deleted"
    . " FROM image_members WHERE image_id = '11111111-1111-1111-1111-111111111111'"
    . " AND member = 'p-member'"), "accepted|t|t|f", "row accepted, updated now in UTC");
--- request
PUT /v2/images/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/members/p-member
{"status": "accepted", "vault_id": "vault-x"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body chomp
{"status": "accepted", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2021-02-03T04:05:06Z", "image_id": "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb", "member_id": "p-member", "schema": "/v2/schemas/member"}
--- no_error_log
[error]



=== TEST 3: reject: the repeat left the row alone, and kept the vault it named
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT updated_at, (SELECT string_agg(vault_id, ',') FROM ims_member_vaults)"
    . " FROM image_members WHERE image_id = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb'"),
    "2021-02-03 04:05:06.789|vault-x", "repeat left the row alone, vault kept");
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "rejected", "ignored": [1, 2]}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like eval
qr/^\{"status": "rejected", "created_at": "2020-01-01T00:00:00Z", "updated_at": "20\d\d-[^"]+", "image_id": "77777777-7777-7777-7777-777777777777", "member_id": "p-member", "schema": "\/v2\/schemas\/member"\}$/
--- no_error_log
[error]



=== TEST 4: back to pending is allowed, as in Glance
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "pending"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "pending",
--- no_error_log
[error]



=== TEST 5: no token: 401 before anything else, even a bad body
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
not json
--- error_code: 401
--- response_body chomp
{"error": {"code": "IMG.0087", "message": "The token is incorrect."}}
--- no_error_log
[error]



=== TEST 6: unknown token: 401, even with a bad body
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
not json
--- more_headers
X-Auth-Token: tok-nobody
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 7: expired token: 401
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-expired
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 8: body is not JSON: 400
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0001", "message": "The request message format is invalid."}}
--- no_error_log
[error]



=== TEST 9: body is a JSON array: 400
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
["accepted"]
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 10: empty body: 400
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body_like: "IMG.0007"
--- no_error_log
[error]



=== TEST 11: status missing: 400
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"vault_id": "v"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0001", "message": "The request message format is invalid."}}
--- no_error_log
[error]



=== TEST 12: status not a string: 400
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": true}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 13: status outside the three, even for a missing image: 400 before the database
--- request
PUT /v2/images/no-such-image/members/p-member
{"status": "Accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 14: vault_id empty: 400
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "accepted", "vault_id": ""}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0001", "message": "The request message format is invalid."}}
--- no_error_log
[error]



=== TEST 15: vault_id not a string: 400
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "accepted", "vault_id": null}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body_like: "IMG.0001"
--- no_error_log
[error]



=== TEST 16: image missing: 404
--- request
PUT /v2/images/12345678-1234-1234-1234-123456789012/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body chomp
{"error": {"code": "IMG.0027", "message": "The image ID in the request does not exist."}}
--- no_error_log
[error]



=== TEST 17: image deleted: 404
--- request
PUT /v2/images/44444444-4444-4444-4444-444444444444/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body_like: "IMG.0027"
--- no_error_log
[error]



=== TEST 18: a private image is not visible to its members: 404
--- request
PUT /v2/images/22222222-2222-2222-2222-222222222222/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body_like: "IMG.0027"
--- no_error_log
[error]



=== TEST 19: a shared image is not visible to a project that is not its member: 404
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-other
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-other
--- error_code: 404
--- response_body_like: "IMG.0027"
--- no_error_log
[error]



=== TEST 20: an id longer than Glance's column names no image: 404
--- request eval
"PUT /v2/images/" . ("1" x 37) . "/members/p-member
{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body_like: "IMG.0066"
--- no_error_log
[error]



=== TEST 21: a public image has no members: 403
--- request
PUT /v2/images/33333333-3333-3333-3333-333333333333/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 403
--- response_body chomp
{"error": {"code": "IMG.0083", "message": "The image is a public image."}}
--- no_error_log
[error]



=== TEST 22: a community image has no members: 403
--- request
PUT /v2/images/88888888-8888-8888-8888-888888888888/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 403
--- response_body_like: "IMG.9011"
--- no_error_log
[error]



=== TEST 23: an administrator sees a private image, which has no members: 403
--- request
PUT /v2/images/22222222-2222-2222-2222-222222222222/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-admin
--- error_code: 403
--- response_body_like: "IMG.0084"
--- no_error_log
[error]



=== TEST 24: the owner cannot decide for a member: 403
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 403
--- response_body chomp
{"error": {"code": "IMG.0161", "message": "You do not have permission."}}
--- no_error_log
[error]



=== TEST 25: a member cannot update another member's membership: 404
--- request
PUT /v2/images/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/members/p-other
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body chomp
{"error": {"code": "IMG.9005", "message": "This project is not a live member of the image, or not one your project may see or change."}}
--- no_error_log
[error]



=== TEST 26: a deleted membership does not exist, even for an administrator: 404
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-gone
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-admin
--- error_code: 404
--- response_body_like: "IMG.9005"
--- no_error_log
[error]



=== TEST 27: ids are compared exactly: another case is another member
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/P-MEMBER
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-admin
--- error_code: 404
--- response_body_like: "IMG.9005"
--- no_error_log
[error]



=== TEST 28: an administrator updates any member's membership: 200
--- request
PUT /v2/images/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/members/p-other
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-admin
--- error_code: 200
--- response_body_like: ^\{"status": "rejected", .*"member_id": "p-other"
--- no_error_log
[error]



=== TEST 29: accepting a full-ECS image from a CBR backup without a vault: 400
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.9007", "message": "This full-ECS image was created from a CBR backup: accepting it requires \"vault_id\", the vault to store its backup in."}}
--- no_error_log
[error]



=== TEST 30: rejecting it needs no vault: 200
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",
--- no_error_log
[error]



=== TEST 31: accepting it with a vault: 200, and the vault is kept
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "accepted", "vault_id": "vault-1"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[error]



=== TEST 32: a whole image without a backup id is not from CBR: no vault needed
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT vault_id FROM ims_member_vaults WHERE image_id = '55555555-5555-5555-5555-555555555555'"
    . " AND member = 'p-member'"), "vault-1", "vault kept");
--- request
PUT /v2/images/99999999-9999-9999-9999-999999999999/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[error]



=== TEST 33: the URL must name a member: 404
--- config
    location /v2/images/ {
        ims_member_update;
    }
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body chomp
{"error": {"code": "IMG.0017", "message": "The URL format is incorrect."}}
--- no_error_log
[error]



=== TEST 34: bad input changed nothing
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT string_agg(status, ',' ORDER BY image_id, member) FROM image_members"
    . " WHERE image_id IN ('22222222-2222-2222-2222-222222222222',"
    . " '33333333-3333-3333-3333-333333333333', '44444444-4444-4444-4444-444444444444',"
    . " '88888888-8888-8888-8888-888888888888')"),
    "pending,pending,pending,pending", "refused updates left the rows alone");
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[error]



=== TEST 35: an id that is not UTF-8 names no image: 404, not a database error
--- request
PUT /v2/images/%ED%A0%80/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body_like: "IMG.0066"
--- no_error_log
[error]



=== TEST 36: accepted again with another vault: the new vault is kept, the member row is not touched
--- init
my $row = "FROM image_members WHERE image_id ="
          . " '55555555-5555-5555-5555-555555555555' AND member = 'p-member'";
my $before = ImsMember::Pg::sql("SELECT status, updated_at $row");
my ($status) = ImsMember::Pg::put_member(
    '55555555-5555-5555-5555-555555555555', 'p-member',
    '{"status": "accepted", "vault_id": "vault-2"}');
Test::More::is($status, 200, "a repeat answers 200");
Test::More::is(ImsMember::Pg::sql("SELECT status, updated_at $row"), $before,
               "the member's status and updated_at are unchanged");
Test::More::is(ImsMember::Pg::sql(
    "SELECT vault_id FROM ims_member_vaults WHERE image_id ="
    . " '55555555-5555-5555-5555-555555555555' AND member = 'p-member'"),
    "vault-2", "the new vault is stored");
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "accepted", "vault_id": "vault-2"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[error]
