# nginx that must not start (--- must_die), and the error log of an nginx
# that stops (--- shutdown_error_log, --- no_shutdown_error_log).

use Test::Nginx::Socket;

repeat_each(2);

# per repetition: TEST 1: 1 + 2 error_log lines; TEST 2: 1 + 1 + 1;
# TEST 3: 1 status + 1 body; TEST 4: 1 status + 1 body
# once per block: TEST 3: 2 + 1 shutdown patterns; TEST 4: 1
plan tests => repeat_each() * (3 + 3 + 2 + 2) + 3 + 1;

no_shuffle();

run_tests();

__DATA__

=== TEST 1: an unknown directive
--- config
    location /a {
        bogus_directive on;
    }
--- must_die
--- error_log
[emerg]
unknown directive "bogus_directive"



=== TEST 2: a bad value, with nginx's exit code
--- http_config
    client_body_timeout forever;
--- config
--- must_die: 1
--- error_log
"client_body_timeout" directive invalid value
--- no_error_log
[alert]



=== TEST 3: nginx starts again after the failures; its shutdown is logged
--- config
    location /a {
        return 200 "hi\n";
    }
--- request
GET /a
--- response_body
hi
--- shutdown_error_log
(SIGQUIT) received
exit
--- no_shutdown_error_log
[alert]



=== TEST 4: the last block: its shutdown is checked at the end
--- config
    location /b {
        return 200 "b\n";
    }
--- request
GET /b
--- response_body
b
--- no_shutdown_error_log
[alert]
