# ims_member_versions: Glance's version document, by which clients given an
# unversioned endpoint find API v2: 200 on /versions, 300 elsewhere, links
# from the request's scheme and Host.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 2);

no_shuffle();

our $Versions = join ', ', map {
    qq/{"id": "$_->[0]", "status": "$_->[1]", "links": [{"rel": "self", "href": "http:\/\/images.example.com:9292\/v2\/"}]}/
} (['v2.15', 'CURRENT'], map { ["v2.$_", 'SUPPORTED'] } 9, 7, 6, 5, 4, 3, 2, 1, 0);

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /versions {
        ims_member_versions;
    }

    location = / {
        ims_member_versions;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: GET /versions: 200, v2.15 current, links to the Host asked
--- request
GET /versions
--- more_headers
Host: images.example.com:9292
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body eval
qq/{"versions": [$main::Versions]}/
--- no_error_log
[error]



=== TEST 2: GET /: the same document, 300 Multiple Choices
--- request
GET /
--- more_headers
Host: images.example.com:9292
--- error_code: 300
--- response_headers
Content-Type: application/json
--- response_body eval
qq/{"versions": [$main::Versions]}/
--- no_error_log
[error]



=== TEST 3: a Host that is not JSON-safe is written as a JSON string
--- request
GET /versions
--- more_headers
Host: a"b
--- error_code: 200
--- response_body_like eval
qr/^\{"versions": \[\{"id": "v2.15", "status": "CURRENT", "links": \[\{"rel": "self", "href": "http:\/\/a\\"b\/v2\/"\}\]\}, /
--- no_error_log
[error]



=== TEST 4: another method: 405
--- request
POST /versions
{}
--- error_code: 405
--- response_body_like: 405 Not Allowed
--- no_error_log
[error]
