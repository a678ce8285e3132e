# Requests: bodies (Content-Length added, chunked raw requests), several
# requests and pipelined requests in a block, --- init, --- user_files,
# and a client that gives up (--- timeout, --- abort, --- wait).

use Test::Nginx::Socket;

repeat_each(2);

# per repetition: TEST 1: 2; TEST 2: 2 + 1; TEST 3: 2 requests x (1 + 1
# + 1: the error log is checked after each request); TEST 4: 2 x (1 + 1 +
# 1 + 1); TEST 5: 3; TEST 6: 2; TEST 7: 1 error_log (no response test);
# TEST 8: 2; and the 1 test of TEST 8's init (once per block)
plan tests => repeat_each() * (2 + 3 + 6 + 8 + 3 + 2 + 1 + 2) + 1;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    # proxying reads the request body; /len answers what it got
    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /echo {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/len;
    }
    location /len {
        return 200 "len=$content_length te=$http_transfer_encoding\n";
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: a body gets its Content-Length (and is trimmed)
--- request
POST /echo
hello world
--- response_body
len=11 te=



=== TEST 2: a raw chunked request
--- raw_request eval
"POST /echo HTTP/1.1\r
Host: localhost\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
6\r
 world\r
0\r
\r
"
--- response_body
len=11 te=
--- error_log
http proxy header



=== TEST 3: two requests, one connection each
--- config
    location /a {
        return 200 "a\n";
    }
    location /b {
        return 201 "b\n";
    }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["a\n", "b\n"]
--- no_error_log
[error]



=== TEST 4: pipelined requests
--- config
    location /a {
        return 200 "a\n";
    }
    location /b {
        return 200 "bb\n";
    }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- response_headers eval
["Content-Length: 2", "Content-Length: 3"]
--- response_body eval
["a\n", "bb\n"]
--- no_error_log
[error]



=== TEST 5: headers from --- more_headers, and a chunked answer
--- config
    location /h {
        chunked_transfer_encoding on;
        return 200 "x=$http_x_a y=$http_x_b\n";
    }
--- request
GET /h
--- more_headers
X-A: 1
# a comment line is no header
X-B: two words
--- response_body
x=1 y=two words
--- response_headers
!X-Nothing



=== TEST 6: a user file
--- config
--- user_files
>>> sub/hello.txt
hello from a user file
--- request
GET /sub/hello.txt
--- response_body
hello from a user file



=== TEST 7: a client that gives up on a slow answer
--- config
    location /slow {
        limit_rate 1;
        return 200 "slowly\n";
    }
--- request
GET /slow
--- timeout: 300ms
--- abort
--- ignore_response
--- wait: 1.5
--- error_log
client prematurely closed connection



=== TEST 8: --- init runs once before the requests
--- config
--- init
my $file = "$Test::Nginx::Util::HtmlDir/init.txt";
open my $out, '>', $file or die "$file: $!";
print $out "written by init\n";
close $out;
Test::More::pass("init ran");
--- request
GET /init.txt
--- response_body
written by init
