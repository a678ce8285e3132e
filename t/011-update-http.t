# The member update over HTTP: identity from a trusted layer, request ids,
# methods, body sizes, bodies in temporary files and chunked bodies.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 7);

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
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

=== TEST 1: the project from a trusted layer, no token needed
--- init
ImsMember::Pg::reset_fixtures();
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $http_x_project_id;
        ims_member_roles $http_x_roles;
        ims_member_update;
    }
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Project-Id: p-member
X-Roles: member, reader
X-Auth-Token: tok-other
--- error_code: 200
--- response_body_like: ^\{"status": "accepted", .*"member_id": "p-member"
--- no_error_log
[error]



=== TEST 2: an empty trusted project is no identity: 401
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $http_x_project_id;
        ims_member_update;
    }
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 401
--- response_body_like: "IMG.0087"
--- no_error_log
[error]



=== TEST 3: "admin" among the trusted roles makes an administrator
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $http_x_project_id;
        ims_member_roles $http_x_roles;
        ims_member_update;
    }
--- request
PUT /v2/images/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/members/p-other
{"status": "rejected"}
--- more_headers
X-Project-Id: p-admin
X-Roles: reader, admin ,member
--- error_code: 200
--- response_body_like: ^\{"status": "rejected", .*"member_id": "p-other"
--- no_error_log
[error]



=== TEST 4: a role that only contains "admin" is not it
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $http_x_project_id;
        ims_member_roles $http_x_roles;
        ims_member_update;
    }
--- request
PUT /v2/images/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/members/p-other
{"status": "rejected"}
--- more_headers
X-Project-Id: p-member
X-Roles: reader,administrator
--- error_code: 404
--- response_body_like: "IMG.9005"
--- no_error_log
[error]



=== TEST 5: the caller's request id is echoed and names the request's log lines
--- request
PUT /v2/images/12345678-1234-1234-1234-123456789012/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
X-Openstack-Request-Id: req-caller-0001
--- error_code: 404
--- response_headers
X-Openstack-Request-Id: req-caller-0001
--- response_body_like: "IMG.0027"
--- error_log
ims_member: answered 404 IMG.0027
request_id: "req-caller-0001"
--- no_error_log
[error]



=== TEST 6: without one, a request id is made, as Glance does
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_headers_like
X-Openstack-Request-Id: ^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[error]



=== TEST 7: another method: nginx's own 405, with Allow
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- more_headers
X-Auth-Token: tok-member
--- error_code: 405
--- response_headers
Allow: PUT
--- response_body_like: 405 Not Allowed
--- no_error_log
[error]



=== TEST 8: error_page hands other methods to a Glance behind nginx
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
        error_page 405 = @glance;
    }

    location @glance {
        return 200 "glance: $request_method $uri\n";
    }
--- request
DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_headers
!Allow
--- response_body
glance: DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- no_error_log
[error]



=== TEST 9: a body over client_max_body_size: nginx's own 413
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        client_max_body_size 16;
        ims_member_update;
    }
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted", "vault_id": "0123456789"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 413
--- response_body_like: 413 Request Entity Too Large
--- error_log
client intended to send too large body



=== TEST 10: a body spilled to a temporary file
--- config
    client_body_buffer_size 8;
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- request eval
"PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{\"padding\": \"" . ("x" x 5000) . "\", \"status\": \"rejected\"}"
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]



=== TEST 11: a body only in a temporary file
--- config
    client_body_in_file_only clean;
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "accepted",
--- no_error_log
[error]



=== TEST 12: a chunked body
--- raw_request eval
"PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member HTTP/1.1\r
Host: localhost\r
X-Auth-Token: tok-member\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
8\r
{\"status\r
e\r
\": \"rejected\"}\r
0\r
\r
"
--- error_code: 200
--- response_body_like: ^\{"status": "rejected",
--- no_error_log
[error]
