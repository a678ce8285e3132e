# ims_member_errors glance on the standalone schema, with the tokens of
# ims_tokens: Glance's pages and order where the identity comes from the
# database (the answer found wrong before it waits for the token), the
# module's own vault rule in Glance's format, the database down, and the
# IMS endpoints and "ims" locations untouched.  t/100-glance.t compares the
# same answers with a real glance-api.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Glance;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 9;

no_shuffle();

our $Unauthorized = "401 Unauthorized\n\nThis server could not verify that"
    . " you are authorized to access the document you requested. Either you"
    . " supplied the wrong credentials (e.g., bad password), or your browser"
    . " does not understand how to supply the credentials required.\n\n   ";

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_errors glance;
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

=== TEST 1: a member accepts: the member in Glance's order of keys
--- init
ImsMember::Pg::reset_fixtures();
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like eval
qr/^\{"member_id": "p-member", "image_id": "11111111-1111-1111-1111-111111111111", "status": "accepted", "created_at": "2020-01-01T00:00:00Z", "updated_at": "20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", "schema": "\/v2\/schemas\/member"\}$/



=== TEST 2: an unknown token: Glance's 401, plain text without Accept
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-nobody
--- error_code: 401
--- response_headers
Content-Type: text/plain; charset=UTF-8
--- response_body eval
$::Unauthorized



=== TEST 3: an unknown token with a malformed body: the identity first
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status":
--- more_headers
X-Auth-Token: tok-nobody
--- error_code: 401
--- response_body eval
$::Unauthorized



=== TEST 4: a known token with a malformed body: Glance's words, in JSON
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status":
--- more_headers
X-Auth-Token: tok-member
Accept: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body chomp
{"message": "Malformed JSON in request body.<br /><br />\n\n\n", "code": "400 Bad Request", "title": "Bad Request"}



=== TEST 5: a bad status on a missing image: Glance looks the image up first
--- request
PUT /v2/images/12345678-1111-1111-1111-111111111111/members/p-member
{"status": "maybe"}
--- more_headers
X-Auth-Token: tok-member
Accept: text/html
--- error_code: 404
--- response_headers
Content-Type: text/html; charset=UTF-8
--- response_body eval
"<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
. "  <h1>404 Not Found</h1>\n  Image 12345678-1111-1111-1111-111111111111"
. " not found.<br /><br />\n\n\n\n </body>\n</html>"



=== TEST 6: a bad status on the caller's membership: 400 once it is found, nothing written
--- init
ImsMember::Pg::reset_fixtures();
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": 5}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body eval
"400 Bad Request\n\nIncorrect request: Status must be \"pending\","
. " \"accepted\" or \"rejected\".\n\n   "



=== TEST 7: the vault rule is the module's own, in Glance's format; a bad vault_id is not Glance's concern
--- init
Test::More::is(ImsMember::Pg::sql("SELECT status FROM image_members"
    . " WHERE image_id = '11111111-1111-1111-1111-111111111111'"
    . " AND member = 'p-member'"), 'pending', "the bad status wrote nothing");
--- request
PUT /v2/images/55555555-5555-5555-5555-555555555555/members/p-member
{"status": "accepted", "vault_id": 42}
--- more_headers
X-Auth-Token: tok-member
Accept: application/json
--- error_code: 400
--- response_body chomp
{"message": "This full-ECS image was created from a CBR backup: accepting it requires \"vault_id\", the vault to store its backup in.<br /><br />\n\n\n", "code": "400 Bad Request", "title": "Bad Request"}



=== TEST 8: another method: Glance's 405 once the caller is known
--- init
my $r = ImsMember::Glance::raw(ImsMember::Pg::nginx_port(), 'POST',
    '/v2/images/11111111-1111-1111-1111-111111111111/members/p-member',
    ['X-Auth-Token' => 'tok-nobody'], '{}');
Test::More::is($r->{status}, 401, "an unknown caller: 401 first");
$r = ImsMember::Glance::raw(ImsMember::Pg::nginx_port(), 'PATCH',
    '/v2/images/11111111-1111-1111-1111-111111111111/members/p-member',
    ['X-Auth-Token' => 'tok-member', 'Accept' => 'application/json'],
    'xx');
Test::More::is(ImsMember::Glance::seen($r), "400 Bad Request; application/json\n"
    . '{"message": "Malformed JSON in request body.<br /><br />\n\n\n",'
    . ' "code": "400 Bad Request", "title": "Bad Request"}',
    "a malformed body: 400, as Glance parses it before it refuses");
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 405
--- raw_response_headers_like: ^HTTP/1\.1 405 Method Not Allowed\r\n.*Allow: PUT\r\n
--- response_body eval
"405 Method Not Allowed\n\nThe method POST is not allowed for this"
. " resource. \n\n "



=== TEST 9: ims_member_errors ims in a location: the IMG answers
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_errors ims;
        ims_member_update;
    }
--- request
PUT /v2/images/12345678-1111-1111-1111-111111111111/members/p-member
{"status": "maybe"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 400
--- response_body chomp
{"error": {"code": "IMG.0001", "message": "The request message format is invalid."}}



=== TEST 10: the batch is an IMS endpoint: its errors stay IMS's
--- request
PUT /v1/cloudimages/members
[]
--- more_headers
X-Auth-Token: tok-member
Accept: text/html
--- error_code: 400
--- response_body_like: ^\{"error": \{"code": "IMG.0001",



=== TEST 11: the database down: Glance's 500, and the error log says why
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_errors glance;
    ims_member_timeout 3s;
--- init
ImsMember::Pg::stop_server();
my $r = ImsMember::Glance::raw(ImsMember::Pg::nginx_port(), 'PUT',
    '/v2/images/11111111-1111-1111-1111-111111111111/members/p-member',
    ['X-Auth-Token' => 'tok-member', 'Accept' => 'application/json'],
    '{"status": "accepted"}');
ImsMember::Pg::start_server();
Test::More::is(ImsMember::Glance::seen($r),
    "500 Internal Server Error; application/json\n"
    . '{"message": "The server has either erred or is incapable of'
    . ' performing the requested operation.<br /><br />\n\n\n",'
    . ' "code": "500 Internal Server Error", "title": "Internal Server Error"}',
    "Glance's 500");
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "rejected"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- error_log
ims_member: could not connect to PostgreSQL
ims_member: answered 500 as Glance does (IMG.9003)
--- timeout: 10
