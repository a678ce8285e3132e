# ims_member_api: Glance's v2 member API on the standalone schema, every
# row of the contract's table: create, list, show, update, delete, with
# the answers' bodies and the rows they leave; then Glance's own words.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => 178 + 11;

no_shuffle();

my $I = '11111111-1111-1111-1111-111111111111';

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
    location /v2/images/ {
        ims_member_api;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: the owner shares an image: 200, the new member, pending
--- init
ImsMember::Pg::reset_fixtures();
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-new"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like eval
qr/^\{"status": "pending", "created_at": "(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ)", "updated_at": "\1", "image_id": "11111111-1111-1111-1111-111111111111", "member_id": "p-new", "schema": "\/v2\/schemas\/member"\}$/
--- no_error_log
[error]



=== TEST 2: one live row, now, in UTC; sharing again: 409
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT count(*), bool_and(status = 'pending' AND NOT deleted"
    . " AND deleted_at IS NULL AND created_at = updated_at"
    . " AND created_at > (now() AT TIME ZONE 'UTC') - interval '1 minute')"
    . " FROM image_members WHERE image_id = '11111111-1111-1111-1111-111111111111'"
    . " AND member = 'p-new'"), "1|t", "one live pending row, created now");
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-new"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 409
--- response_body chomp
{"error": {"code": "IMG.9006", "message": "This project is already a member of the image."}}
--- no_error_log
[error]



=== TEST 3: a member cannot share the image on: 403
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-third"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 403
--- response_body chomp
{"error": {"code": "IMG.0047", "message": "This operation can be performed only by the image owner."}}
--- no_error_log
[error]



=== TEST 4: a public image has no members: 403
--- request
POST /v2/images/33333333-3333-3333-3333-333333333333/members
{"member": "p-third"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 403
--- response_body_like: "IMG.0089"
--- no_error_log
[error]



=== TEST 5: an image the caller cannot see: 404
--- request
POST /v2/images/22222222-2222-2222-2222-222222222222/members
{"member": "p-third"}
--- more_headers
X-Auth-Token: tok-other
--- error_code: 404
--- response_body_like: "IMG.0027"
--- no_error_log
[error]



=== TEST 6: an administrator shares another project's image
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-admin-added"}
--- more_headers
X-Auth-Token: tok-admin
--- error_code: 200
--- response_body_like: "member_id": "p-admin-added"
--- no_error_log
[error]



=== TEST 7: no token: 401 before the body is looked at
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
not json
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 8: bodies Glance refuses, and members it could not store: 400
--- request eval
[map { "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n$_" }
 ('', 'not json', '["p-x"]', '"p-x"', '{}', '{"member": ""}',
  '{"member": null}', '{"member": 5}', '{"member": ["p-x"]}',
  '{"member": "' . ('x' x 256) . '"}', '{"member": "a\u0001b"}')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[(400) x 11]
--- response_body_like eval
['"IMG.0007"', ('"IMG.0001"') x 3, ('"IMG.0067"') x 7]
--- no_error_log
[error]



=== TEST 9: none of those changed anything
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT string_agg(member, ',' ORDER BY id) FROM image_members"
    . " WHERE image_id = '11111111-1111-1111-1111-111111111111' AND NOT deleted"),
    "p-member,p-new,p-admin-added", "only the members added");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like eval
qr/^\{"members": \[\{"status": "pending", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-02T03:04:05Z", "image_id": "11111111-1111-1111-1111-111111111111", "member_id": "p-member", "schema": "\/v2\/schemas\/member"\}, \{"status": "pending", [^}]+"member_id": "p-new", [^}]+\}, \{[^}]+"member_id": "p-admin-added", [^}]+\}\], "schema": "\/v2\/schemas\/members"\}$/
--- no_error_log
[error]



=== TEST 10: a member deleted earlier comes back in its own row, created_at kept
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-gone"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like eval
qr/^\{"status": "pending", "created_at": "2020-01-01T00:00:00Z", "updated_at": "20\d\d-[^"]+Z", "image_id": "11111111-1111-1111-1111-111111111111", "member_id": "p-gone", /
--- no_error_log
[error]



=== TEST 11: the row was reused: live, pending, deleted_at cleared
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT count(*), bool_and(NOT deleted AND deleted_at IS NULL"
    . " AND status = 'pending' AND updated_at > created_at)"
    . " FROM image_members WHERE image_id = '11111111-1111-1111-1111-111111111111'"
    . " AND member = 'p-gone'"), "1|t", "one row for p-gone, live again");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body chomp
{"members": [{"status": "pending", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-02T03:04:05Z", "image_id": "11111111-1111-1111-1111-111111111111", "member_id": "p-member", "schema": "/v2/schemas/member"}], "schema": "/v2/schemas/members"}
--- no_error_log
[error]



=== TEST 12: the quota: 413, checked before the duplicate (Glance's order)
--- config
    ims_member_quota 4;

    location /v2/images/ {
        ims_member_api;
    }
--- request eval
["POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-fifth\"}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-member\"}"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[413, 413]
--- response_body eval
[qq/{"error": {"code": "IMG.0088", "message": "The number of shared images has reached the maximum allowed."}}/,
 qq/{"error": {"code": "IMG.0088", "message": "The number of shared images has reached the maximum allowed."}}/]
--- no_error_log
[error]



=== TEST 13: under the quota a duplicate is 409; "off" lifts an outer limit
--- config
    ims_member_quota 5;

    location /v2/images/ {
        ims_member_quota off;
        ims_member_api;
    }
--- request eval
["POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-member\"}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-fifth\"}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-sixth\"}"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[409, 200, 200]
--- response_body_like eval
['"IMG.9006"', '"member_id": "p-fifth"', '"member_id": "p-sixth"']
--- no_error_log
[error]



=== TEST 14: a member sees its own membership
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body chomp
{"status": "pending", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-02T03:04:05Z", "image_id": "11111111-1111-1111-1111-111111111111", "member_id": "p-member", "schema": "/v2/schemas/member"}
--- no_error_log
[error]



=== TEST 15: never another's, never a 403, a private image not at all: 404
--- request eval
["GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-new",
 "GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-nobody",
 "GET /v2/images/33333333-3333-3333-3333-333333333333/members/p-member",
 "GET /v2/images/22222222-2222-2222-2222-222222222222/members/p-member"]
--- more_headers
X-Auth-Token: tok-member
--- error_code eval
[404, 404, 404, 404]
--- response_body_like eval
['"IMG.9005"', '"IMG.9005"', '"IMG.0083"', '"IMG.0027"']
--- no_error_log
[error]



=== TEST 16: the owner and an administrator see any member
--- request eval
["GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-new",
 "GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-gone"]
--- more_headers
X-Auth-Token: tok-admin
--- error_code eval
[200, 200]
--- response_body_like eval
['"member_id": "p-new"', '"member_id": "p-gone"']
--- no_error_log
[error]



=== TEST 17: a list: 404 for an image the caller cannot see, 403 for one not shared
--- request eval
["GET /v2/images/11111111-1111-1111-1111-111111111111/members",
 "GET /v2/images/33333333-3333-3333-3333-333333333333/members"]
--- more_headers
X-Auth-Token: tok-other
--- error_code eval
[404, 403]
--- response_body_like eval
['"IMG.0027"', '"IMG.0083"']
--- no_error_log
[error]



=== TEST 18: a body on GET or DELETE: 400; a chunked GET has none
--- request eval
["GET /v2/images/11111111-1111-1111-1111-111111111111/members\n{}",
 "GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-new\n{}",
 "DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-new\nx"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[400, 400, 400]
--- response_body eval
[(qq/{"error": {"code": "IMG.0001", "message": "The request message format is invalid."}}/) x 3]
--- no_error_log
[error]



=== TEST 19: a member cannot stop the sharing: 403; the image must be shared
--- request eval
["DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-member",
 "DELETE /v2/images/33333333-3333-3333-3333-333333333333/members/p-member"]
--- more_headers
X-Auth-Token: tok-member
--- error_code eval
[403, 403]
--- response_body_like eval
['"IMG.0047"', '"IMG.0083"']
--- no_error_log
[error]



=== TEST 20: the owner stops sharing: 204, no body; then it is gone: 404
--- init
ImsMember::Pg::sql("INSERT INTO ims_member_vaults VALUES"
    . " ('11111111-1111-1111-1111-111111111111', 'p-new', 'v-1', now(), now())");
--- request eval
["DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-new",
 "DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-new"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[204, 404]
--- response_body eval
["", qq/{"error": {"code": "IMG.9005", "message": "This project is not a live member of the image, or not one your project may see or change."}}/]
--- no_error_log
[error]



=== TEST 21: a soft delete: the row stays, deleted, times set
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT deleted, deleted_at = updated_at, deleted_at > created_at"
    . " FROM image_members WHERE image_id = '11111111-1111-1111-1111-111111111111'"
    . " AND member = 'p-new'"), "t|t|t", "soft deleted");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-new
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 404
--- response_body_like: "IMG.9005"
--- no_error_log
[error]



=== TEST 22: shared again, the member has no vault of its earlier membership
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-new"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: "member_id": "p-new"
--- no_error_log
[error]



=== TEST 23: the vault went with the re-add, not before
--- init
Test::More::is(ImsMember::Pg::sql(
    "SELECT count(*) FROM ims_member_vaults WHERE member = 'p-new'"), 0,
    "no vault of the earlier membership");
ImsMember::Pg::sql("UPDATE image_members SET deleted = true, deleted_at ="
    . " now() AT TIME ZONE 'UTC' WHERE member = 'p-new'");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-new
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 404
--- response_body_like: "IMG.9005"
--- no_error_log
[error]



=== TEST 24: the update is ims_member_update's, on the same location
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "accepted", .*"member_id": "p-member"
--- no_error_log
[error]



=== TEST 25: other methods: 405 with what each URL allows
--- request eval
["PATCH /v2/images/11111111-1111-1111-1111-111111111111/members\n{}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members/p-member\n{}"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[405, 405]
--- response_headers eval
["Allow: GET, POST", "Allow: GET, PUT, DELETE"]
--- no_error_log
[error]



=== TEST 26: Glance's words: 409, 413 with its numbers, 403s, 404s
--- config
    ims_member_errors glance;
    ims_member_quota 4;

    location /v2/images/ {
        ims_member_api;
    }
--- request eval
["POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-member\"}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-seventh\"}",
 "POST /v2/images/33333333-3333-3333-3333-333333333333/members\n{\"member\": \"p-x\"}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": 0}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n[]",
 "GET /v2/images/33333333-3333-3333-3333-333333333333/members",
 "GET /v2/images/33333333-3333-3333-3333-333333333333/members/p-member",
 "GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-nobody",
 "DELETE /v2/images/33333333-3333-3333-3333-333333333333/members/p-member"]
--- more_headers
X-Auth-Token: tok-owner
Accept: application/json
--- error_code eval
[413, 413, 403, 400, 400, 400, 403, 404, 404, 403]
--- response_body eval
[qq/{"message": "Image member limit exceeded for image 11111111-1111-1111-1111-111111111111: The limit has been exceeded on the number of allowed image members for this image. Attempted: 6, Maximum: 4:<br \/><br \/>\\n\\n\\n", "code": "413 Request Entity Too Large", "title": "Request Entity Too Large"}/,
 qq/{"message": "Image member limit exceeded for image 11111111-1111-1111-1111-111111111111: The limit has been exceeded on the number of allowed image members for this image. Attempted: 6, Maximum: 4:<br \/><br \/>\\n\\n\\n", "code": "413 Request Entity Too Large", "title": "Request Entity Too Large"}/,
 qq/{"message": "Not allowed to create members for image 33333333-3333-3333-3333-333333333333.<br \/><br \/>\\n\\n\\n", "code": "403 Forbidden", "title": "Forbidden"}/,
 qq/{"message": "Member to be added not specified<br \/><br \/>\\n\\n\\n", "code": "400 Bad Request", "title": "Bad Request"}/,
 qq/{"message": "Member can't be empty<br \/><br \/>\\n\\n\\n", "code": "400 Bad Request", "title": "Bad Request"}/,
 qq/{"message": "Expected a member in the form: {\\"member\\": \\"image_id\\"}<br \/><br \/>\\n\\n\\n", "code": "400 Bad Request", "title": "Bad Request"}/,
 qq/{"message": "Not allowed to list members for image 33333333-3333-3333-3333-333333333333: Only shared images have members.<br \/><br \/>\\n\\n\\n", "code": "403 Forbidden", "title": "Forbidden"}/,
 qq/{"message": "Only shared images have members.<br \/><br \/>\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}/,
 qq/{"message": "p-nobody not found in the member list of the image 11111111-1111-1111-1111-111111111111.<br \/><br \/>\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}/,
 qq/{"message": "Not allowed to delete members for image 33333333-3333-3333-3333-333333333333.<br \/><br \/>\\n\\n\\n", "code": "403 Forbidden", "title": "Forbidden"}/]
--- no_error_log
[error]



=== TEST 27: a member of the body is stored as it is, ASCII or not
--- config
    ims_member_errors glance;

    location /v2/images/ {
        ims_member_api;
    }
--- init
ImsMember::Pg::sql("UPDATE image_members SET deleted = true, deleted_at ="
    . " now() AT TIME ZONE 'UTC' WHERE member IN ('p-fifth', 'p-sixth')");
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-\u00e9t\u00e9"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-\xc3\xa9t\xc3\xa9", "image_id"
--- no_error_log
[error]



=== TEST 28: Glance's 409 and its member's keys, in Glance's order
--- init
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM image_members"
    . " WHERE member = 'p-' || chr(233) || 't' || chr(233) AND NOT deleted"),
    1, "the member stored as sent");
--- config
    ims_member_errors glance;

    location /v2/images/ {
        ims_member_api;
    }
--- request eval
["POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-member\"}",
 "POST /v2/images/11111111-1111-1111-1111-111111111111/members\n{\"member\": \"p-eighth\"}"]
--- more_headers
X-Auth-Token: tok-owner
Accept: application/json
--- error_code eval
[409, 200]
--- response_body_like eval
[qr/^\{"message": "Member p-member is duplicated for image 11111111-1111-1111-1111-111111111111<br \/><br \/>\\n\\n\\n", "code": "409 Conflict", "title": "Conflict"\}$/,
 qr/^\{"member_id": "p-eighth", "image_id": "11111111-1111-1111-1111-111111111111", "status": "pending", "created_at": "[^"]+", "updated_at": "[^"]+", "schema": "\/v2\/schemas\/member"\}$/]
--- no_error_log
[error]
