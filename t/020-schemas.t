# GET /v2/schemas/member, /v2/schemas/members and /v2/schemas/image, as
# Glance serves them.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 3);

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location ^~ /v2/schemas/ {
        ims_member_schemas;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: the member schema, valid JSON with Glance's properties
--- request
GET /v2/schemas/member
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"name": "member", "properties": \{"member_id": .*"image_id": .*"pattern": "\^\(\[0-9a-fA-F\]\)\{8\}-.*"status": \{"type": "string", "description": "The status of this image member", "enum": \["pending", "accepted", "rejected"\]\}, "schema": \{"readOnly": true, "type": "string"\}\}\}$/
--- no_error_log
[error]



=== TEST 2: the members schema holds the member schema
--- request
GET /v2/schemas/members
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"name": "members", "properties": \{"members": \{"type": "array", "items": \{"name": "member", .*"links": \[\{"rel": "describedby", "href": "\{schema\}"\}\]\}$/
--- no_error_log
[error]



=== TEST 3: the image schema, which python-glanceclient asks for first
--- request
GET /v2/schemas/image
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"name": "image", "properties": \{"id": \{.*"visibility": \{"type": "string", "description": "Scope of image accessibility", "enum": \["community", "public", "private", "shared"\]\}, .*"links": \[\{"rel": "self", "href": "\{self\}"\}, \{"rel": "enclosure", "href": "\{file\}"\}, \{"rel": "describedby", "href": "\{schema\}"\}\]\}$/
--- no_error_log
[error]



=== TEST 4: another schema: 404 in JSON
--- request
GET /v2/schemas/task
--- error_code: 404
--- response_body_like: "IMG.0017"
--- no_error_log
[error]



=== TEST 5: another method: 405
--- request
POST /v2/schemas/member
{}
--- error_code: 405
--- response_body_like: 405 Not Allowed
--- no_error_log
[error]



=== TEST 6: Glance's errors set around: schemas are no Glance endpoint
--- config
    ims_member_errors glance;

    location ^~ /v2/schemas/ {
        ims_member_schemas;
    }
--- request
GET /v2/schemas/task
--- error_code: 404
--- response_body_like: "IMG.0017"
--- no_error_log
[error]
