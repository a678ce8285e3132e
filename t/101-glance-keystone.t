# A Keystone cloud: real Keystone, real glance-api behind its own
# keystonemiddleware, nginx in front of Glance with the module answering the
# member update on Glance's database (identity from Keystone).  The users'
# clients, python-glanceclient and openstacksdk with passwords and the
# catalog's image endpoint, share, accept, reject and list, and see through
# nginx what Glance alone shows.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Keystone;
use ImsMember::Glance;
use Test::Nginx::Socket;
use JSON::PP ();

our $KS = ImsMember::Keystone::start(
    users => {
        owner  => { project => 'owner' },
        member => { project => 'member' },
        glance => { project => 'service', role => 'service' },
    },
    image_url => 'http://127.0.0.1:' . ImsMember::Pg::nginx_port());

our $G = ImsMember::Glance::start(keystone => {
    url => $KS->{url}, username => 'glance',
    password => $ImsMember::Keystone::Password, project => 'service' });

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};
$ENV{TEST_NGINX_KEYSTONE_PORT} = $KS->{port};

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 11;

no_shuffle();

run_tests();

__DATA__

=== TEST 1: glanceclient and openstacksdk share, accept, reject and list through nginx as with Glance alone
--- http_config
    ims_member_database "$TEST_NGINX_GLANCE_DSN";
    ims_member_keystone_cache zone=keystone:1m;

    # who answered: the module (no upstream) or Glance
    log_format flows '$request_method $uri $status upstream=$upstream_addr';
    access_log logs/access.log flows;

    upstream glance {
        server 127.0.0.1:$TEST_NGINX_GLANCE_PORT;
    }

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
    }
--- config
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_keystone /_keystone;
        ims_member_update;
        error_page 405 = @glance;
    }

    location /v2/ {
        proxy_set_header Host $http_host;
        proxy_pass http://glance;
    }

    location = /versions {
        proxy_set_header Host $http_host;
        proxy_pass http://glance;
    }

    location = / {
        proxy_set_header Host $http_host;
        proxy_pass http://glance;
    }

    location @glance {
        proxy_set_header Host $http_host;
        proxy_pass http://glance;
    }
--- init
my $member = $::KS->{projects}{member};
my $out = `/usr/bin/python3 t/lib/glance_flows.py $::KS->{url} $ImsMember::Keystone::Password $::G->{url} $member 2>&1`;
Test::More::is($?, 0, "the flows ran") or Test::More::diag($out);
my $r = eval { JSON::PP->new->decode($out) } || {};
my $g = $r->{glanceclient} || {};
Test::More::is_deeply($g->{update}, [$member, 'accepted'],
                      "glanceclient: the member accepts (the module)");
Test::More::is_deeply($g->{through_nginx}, $g->{glance_alone},
                      "glanceclient: members and images through nginx are Glance's own");
Test::More::is_deeply($g->{glance_alone}{members}, [[$member, 'accepted']],
                      "glanceclient: Glance shows the acceptance");
Test::More::is(scalar @{ $g->{glance_alone}{listed} || [] }, 1,
               "glanceclient: the accepted image is in the member's list");
Test::More::is_deeply($g->{owner_sees}, [[$member, 'accepted']],
                      "glanceclient: the owner sees it accepted");
my $s = $r->{openstacksdk} || {};
Test::More::is_deeply($s->{update}, [$member, 'rejected'],
                      "openstacksdk: the member rejects (the module)");
Test::More::is_deeply($s->{owner_sees}, $s->{glance_alone}{members},
                      "openstacksdk: the owner sees what Glance shows");
--- request
GET /versions
--- error_code: 200
--- response_body_like: "id": "v2
--- access_log eval
[qr{^PUT /v2/images/[0-9a-f-]{36}/members/[0-9a-f]{32} 200 upstream=-$},
 qr{^POST /v2/images/[0-9a-f-]{36}/members 200 upstream=127\.0\.0\.1:\d+$},
 qr{^GET /v2/images/[0-9a-f-]{36}/members 200 upstream=127\.0\.0\.1:\d+$}]
