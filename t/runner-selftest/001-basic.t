# The bundled runner against plain nginx (no module): status codes,
# headers, bodies, the error log, repeated blocks.  Must give the same
# results and the same count under CPAN's Test::Nginx::Socket.

use Test::Nginx::Socket;

repeat_each(2);

# per repetition: 6 status tests (TEST 5 is skipped, TEST 7 is not a
# block), 2 skipped tests (TEST 5), 4 header tests (TESTS 2 and 3), 6
# body tests, 6 error log patterns (TESTS 1, 4 and 6), 1 grep (TEST 8)
plan tests => repeat_each() * (6 + 2 + 4 + 6 + 6 + 1);

no_shuffle();

run_tests();

__DATA__

=== TEST 1: a plain return
--- config
    location /a {
        return 200 "hi\n";
    }
--- request
GET /a
--- response_body
hi
--- no_error_log
[error]



=== TEST 2: headers, present, absent and like
--- config
    location /h {
        add_header X-Foo bar;
        return 200 "x=$http_x_test\n";
    }
--- request
GET /h
--- more_headers
X-Test: abc
--- response_headers
X-Foo: bar
!X-Absent
Content-Type: text/plain
--- response_body_like: ^x=abc$



=== TEST 3: nginx's own 405 for a POST to a static file
--- config
--- request
POST /index.html
hello
--- error_code: 405
--- response_headers_like
Server: ^nginx(/[\d.]+)?$
--- response_body_like: 405 Not Allowed



=== TEST 4: a missing file: 404 and its error log lines
--- config
--- request
GET /nosuch.html
--- error_code: 404
--- response_body_like eval
qr{<title>404 Not Found</title>}
--- error_log eval
[qr/open\(\) "[^"]*nosuch\.html" failed/, "No such file or directory", "[error]"]



=== TEST 5: skipped everywhere
--- config
--- request
GET /
--- skip_nginx: 2: < 999.0.0
--- error_code: 200
--- response_body_like: It works



=== TEST 6: a status code from eval, two no_error_log lines
--- config
    location = /t {
        return 204;
    }
--- request
GET /t
--- error_code eval
200 + 4
--- response_body eval
""
--- no_error_log
[alert]
[crit]



=== TEST 7: skipped by Test::Base itself
--- SKIP
--- config
--- request
GET /
--- error_code: 500



=== TEST 8: the root location, the index page and a grep of the debug log
--- config
--- request
GET /
--- response_body_like: ^<html>.*It works!
--- grep_error_log eval
qr/http request line: "GET \/ [^"]+"/
--- grep_error_log_out
http request line: "GET / HTTP/1.1"
