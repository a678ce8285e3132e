# Keystone identity (ims_member_keystone): real tokens of a real Keystone,
# validated through a subrequest, cached in shared memory; Keystone down,
# slow or refusing; administrator roles in any case; the trusted-project
# recipe; python-glanceclient and openstacksdk through the module.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Keystone;
use Test::Nginx::Socket;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use POSIX ();

our $Image = 'c1000000-0000-4000-8000-000000000001';

# before the plan: the blocks' eval sections read what it made
our $KS = ImsMember::Keystone::start(
    users => {
        owner    => { project => 'owner' },
        member   => { project => 'member' },
        stranger => { project => 'stranger' },
        operator => { project => 'ops', role => 'Cloud_Admin' },
    },
    image_url => 'http://127.0.0.1:' . ImsMember::Pg::nginx_port());

our %P = %{ $KS->{projects} };
our %T = %{ $KS->{tokens} };

# more tokens: one scoped to the system, one unscoped, one to revoke
our $SystemToken = ImsMember::Keystone::token('admin',
    { system => { all => JSON::PP::true() } });
our $DomainToken = ImsMember::Keystone::token('admin',
    { domain => { id => 'default' } });
our $Unscoped = ImsMember::Keystone::token('member', 'unscoped');
our $Revoked = ImsMember::Keystone::token('member');

# fresh tokens of the member for the cache's keys, one per order of asking
our @Fresh = map { ImsMember::Keystone::token('member') } 1 .. 2;

$ENV{TEST_NGINX_KEYSTONE_PORT} = $KS->{port};
$ENV{TEST_NGINX_P_MEMBER} = $P{member};

# an HTTP server that promises more than it sends: a whole token, then the
# connection closes short of its Content-Length
my $broken = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                   Proto => 'tcp', Listen => 16,
                                   ReuseAddr => 1) or die "listen: $!";
$ENV{TEST_NGINX_BROKEN_PORT} = $broken->sockport;
our $BrokenPid = fork // die "fork: $!";
if ($BrokenPid == 0) {
    my $json = '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z",'
               . ' "project": {"id": "' . $P{member} . '"}, "roles": []}}';
    while (my $c = $broken->accept) {
        my $req = '';
        while (<$c>) { $req .= $_; last if /^\r?\n$/ }
        print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 . "Content-Length: " . (length($json) + 100) . "\r\n\r\n"
                 . $json;
        close $c;
    }
    POSIX::_exit(0);
}
close $broken;
END { kill 'KILL', $BrokenPid if $BrokenPid }

sub fixtures {
    ImsMember::Pg::sql(
        "DELETE FROM image_members WHERE image_id = '$Image';"
        . " DELETE FROM images WHERE id = '$Image';"
        . " INSERT INTO images (id, name, status, created_at, deleted, owner,"
        . " visibility) VALUES ('$Image', 'keystone', 'active',"
        . " '2020-01-01 00:00:00', false, '$P{owner}', 'shared');"
        . " INSERT INTO image_members (image_id, member, can_share, status,"
        . " created_at, updated_at, deleted) VALUES ('$Image', '$P{member}',"
        . " false, 'pending', '2020-01-01 00:00:00', '2020-01-01 00:00:00',"
        . " false)");
}

# the status page's samples, by name and labels
sub metrics {
    my ($status, $body) = ImsMember::Pg::http('GET', '/metrics', '');
    return map { /^(\S+) (\S+)$/ ? ($1, $2) : () } split /\n/, $body;
}

sub member_status {
    return ImsMember::Pg::sql("SELECT status FROM image_members WHERE"
                              . " image_id = '$Image' AND member = '$P{member}'");
}

# a member update sent to a server by its name (Host)
sub put_host {
    my ($host, $token) = @_;
    my $body = '{"status": "accepted"}';
    my $s;
    my $deadline = Time::HiRes::time() + 30;
    until ($s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => ImsMember::Pg::nginx_port(),
                                      Proto => 'tcp'))
    {
        die "connect: $!" if Time::HiRes::time() > $deadline;
        sleep 0.1;
    }
    print $s "PUT /v2/images/$Image/members/$P{member} HTTP/1.1\r\n"
             . "Host: $host\r\nConnection: close\r\n"
             . "Content-Length: " . length($body) . "\r\n"
             . "X-Auth-Token: $token\r\n\r\n$body";
    return ImsMember::Pg::http_read($s, 20);
}

# what the error log holds so far
sub error_log {
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return '';
    local $/;
    return <$fh>;
}

sub put {
    my ($token, $status, $member) = @_;
    my %h = defined $token ? ('X-Auth-Token' => $token) : ();
    return ImsMember::Pg::http('PUT',
        "/v2/images/$Image/members/" . ($member // $P{member}),
        '{"status": "' . ($status // 'accepted') . '"}', %h);
}

fixtures();

repeat_each(1);

# a block's own request waits for Keystone's answer, and on a loaded machine
# one validation takes seconds: more than the client's 3 s by default
timeout(40);

# a status and a body or log check per block, and the checks of --- init
plan tests => repeat_each() * (blocks() * 2) + 62;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 3s;
    ims_member_keystone_cache zone=keystone:1m valid=5m invalid=30s;

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
        keepalive 8;
    }
_EOC_
    }

    if (!defined $block->config && defined $block->jobs) {
        $block->set_value("config", <<'_EOC_');
    ims_member_keystone /_keystone;

    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_
    }

    if (!defined $block->config) {
        # Keystone's timeouts where a block does not test them: a
        # validation takes over 2 s on a loaded machine, the first of a
        # freshly started worker most of all; TEST 17 tests 2 s against a
        # Keystone that hangs
        my $internal = $block->keystone_location // <<'_EOC_';
        proxy_connect_timeout 2s;
        proxy_read_timeout 30s;
_EOC_
        $block->set_value("config", <<"_EOC_");
    ims_member_keystone /_keystone;
    ims_member_admin_roles admin cloud_admin;

    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
$internal
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+\$ {
        ims_member_update;
    }

    location ~ ^/v2/schemas/ {
        ims_member_schemas;
    }

    location = /metrics {
        ims_member_status;
    }

    location = / {
        return 300 '{"versions": [{"id": "v2.16", "status": "CURRENT", "links": [{"rel": "self", "href": "http://\$http_host/v2/"}]}]}';
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: a member's token accepts a shared image
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200
--- response_body_like eval
qr/^\{"status": "accepted", "created_at": "2020-01-01T00:00:00Z", "updated_at": "[^"]+", "image_id": "$::Image", "member_id": "$::P{member}", "schema": "\/v2\/schemas\/member"\}$/



=== TEST 2: another project's token: the image is not visible to it, 404
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"rejected\"}"
--- more_headers eval
"X-Auth-Token: $::T{stranger}"
--- error_code: 404
--- response_body_like: "code": "IMG.0027"



=== TEST 3: the owner's token: an owner shares, the member decides, 403
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"rejected\"}"
--- more_headers eval
"X-Auth-Token: $::T{owner}"
--- error_code: 403
--- response_body_like: "code": "IMG.0161"



=== TEST 4: the "admin" role acts for any member
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"rejected\"}"
--- more_headers eval
"X-Auth-Token: $::T{admin}"
--- error_code: 200
--- response_body_like: "status": "rejected"



=== TEST 5: a role of ims_member_admin_roles in another case ("Cloud_Admin") acts for any member
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{operator}"
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 6: without it among ims_member_admin_roles, the same token is nobody's member: 404
--- config
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
    }
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_keystone /_keystone;
        ims_member_update;
    }
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{operator}"
--- error_code: 404
--- response_body_like: "code": "IMG.0027"



=== TEST 7: a token Keystone does not know: 401, and the log says Keystone refused it
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: gAAAAABnot-a-token
--- error_code: 401
--- response_body_like: "code": "IMG.0087"
--- error_log eval
qr/ims_member: Keystone refused the token \(40[14]\)/



=== TEST 8: no token: 401 without asking Keystone
--- init
my $before = ImsMember::Keystone::requests();
my ($status) = main::put(undef);
Test::More::is($status, 401, "no token: 401");
Test::More::is(ImsMember::Keystone::requests() - $before, 0,
               "Keystone was not asked");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- error_code: 401
--- response_body_like: "code": "IMG.0087"
--- no_error_log
[error]



=== TEST 9: a system-scoped token: 401 asking for a project-scoped one
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::SystemToken"
--- error_code: 401
--- response_body_like: "code": "IMG.9001", "message": "A project-scoped token is required



=== TEST 10: an unscoped token: 401 asking for a project-scoped one
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::Unscoped"
--- error_code: 401
--- response_body_like: "code": "IMG.9001"



=== TEST 11: a domain-scoped token: 401 asking for a project-scoped one
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::DomainToken"
--- error_code: 401
--- response_body_like: "code": "IMG.9001"



=== TEST 12: the cache answers repeated requests without asking Keystone
--- init
my $before = ImsMember::Keystone::requests();
my @status = map { (main::put($::T{member}))[0] } 1 .. 20;
Test::More::is("@status", join(' ', (200) x 20), "20 updates answered 200");
Test::More::is(ImsMember::Keystone::requests() - $before, 1,
               "Keystone was asked once for 20 requests of one token");
my %m = main::metrics();
Test::More::is($m{'ims_member_keystone_validations_total{result="valid"}'},
               1, "the metrics: one validation, valid");
Test::More::is($m{ims_member_keystone_cache_misses_total}, 1, "one miss");
Test::More::is($m{ims_member_keystone_cache_hits_total}, 19, "19 hits");
Test::More::is($m{ims_member_keystone_cache_entries}, 1, "one entry");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 13: a flood of one bad token asks Keystone once
--- init
my $before = ImsMember::Keystone::requests();
my @status = map { (main::put('gAAAAABflood'))[0] } 1 .. 20;
Test::More::is("@status", join(' ', (401) x 20), "20 answers of 401");
Test::More::is(ImsMember::Keystone::requests() - $before, 1,
               "Keystone was asked once for 20 requests of one bad token");
my %m = main::metrics();
Test::More::is($m{'ims_member_keystone_validations_total{result="invalid"}'},
               1, "the metrics: one validation, invalid");
Test::More::is($m{ims_member_keystone_cache_hits_total}, 19, "19 hits");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: gAAAAABflood
--- error_code: 401
--- response_body_like: "code": "IMG.0087"



=== TEST 14: a revoked token is refused once its cache entry has expired (valid=10s)
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 3s;
    ims_member_keystone_cache zone=keystone:1m valid=10s invalid=30s;

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
        keepalive 8;
    }
--- init
# the entry is stored after $t0 and the cache counts whole seconds: it
# lives at least until $t0 + 9; on a loaded machine Keystone's revocation
# alone takes seconds, hence 10s and not less
my $token = $::Revoked;
my $t0 = Time::HiRes::time();
my ($status) = main::put($token);
Test::More::is($status, 200, "a fresh token is taken");
ImsMember::Keystone::revoke($::T{admin}, $token);
my $t1 = Time::HiRes::time();
($status) = main::put($token);
Test::More::cmp_ok($t1 - $t0, '<', 9, "revoked while the entry lives");
Test::More::is($status, 200, "revoked, but its cache entry still lives");
my $refused;
while (Time::HiRes::time() - $t0 < 40) {
    my $t = Time::HiRes::time();
    ($status) = main::put($token);
    if ($status != 200) {
        $refused = $t - $t0;
        last;
    }
    Time::HiRes::sleep(0.25);
}
Test::More::is($status, 401, "refused once the entry has expired");
Test::More::cmp_ok($refused // 0, '>=', 9, "not before valid=10s");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::Revoked"
--- error_code: 401
--- response_body_like: "code": "IMG.0087"



=== TEST 15: Keystone stopped: 503 at once, the log says why; back without restarting nginx
--- init
ImsMember::Keystone::stop();
my $t0 = Time::HiRes::time();
my ($status, $body) = main::put($::T{member});
my $took = Time::HiRes::time() - $t0;
Test::More::is($status, 503, "503 while Keystone is down");
Test::More::like($body, qr/"code": "IMG.9002"/, "the identity service's 503");
Test::More::cmp_ok($took, '<', 3, "within ims_member_timeout (3s)");
ImsMember::Keystone::run();
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200
--- response_body_like: "status": "accepted"
--- error_log
ims_member: Keystone is unreachable or failing: the token validation through "/_keystone" ended with 502 before any answer; answering 503



=== TEST 16: the validation does not block: while Keystone is stopped, cached tokens are answered at once
--- keystone_location
        proxy_connect_timeout 2s;
        proxy_read_timeout 20s;
--- init
my ($status) = main::put($::T{member});
Test::More::is($status, 200, "the member's token is cached");
ImsMember::Keystone::pause();
my $waiting = ImsMember::Pg::http_send('PUT',
    "/v2/images/$::Image/members/$::P{member}", '{"status": "accepted"}',
    'X-Auth-Token' => $::T{owner});
sleep 0.5;
my $t0 = Time::HiRes::time();
my @status = map { (main::put($::T{member}))[0] } 1 .. 5;
my $took = Time::HiRes::time() - $t0;
Test::More::is("@status", "200 200 200 200 200",
               "cached tokens answered while Keystone hangs");
# a worker that waited on Keystone would take its 20s: 10s leaves a loaded
# machine room and still tells the two apart
Test::More::cmp_ok($took, '<', 10, "at once, by the one worker");
ImsMember::Keystone::resume();
($status) = ImsMember::Pg::http_read($waiting, 30);
Test::More::is($status, 403, "the waiting request is answered when Keystone is");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 17: Keystone too slow (proxy_read_timeout 2s): 503, never 401; the same token refused once Keystone answers
--- keystone_location
        proxy_connect_timeout 2s;
        proxy_read_timeout 2s;
--- init
# a token Keystone refuses without its database, in milliseconds even on
# a loaded machine: once Keystone answers, the block's request gets its
# refusal well within 2s, so neither answer hangs on Keystone's speed
ImsMember::Keystone::pause();
my $t0 = Time::HiRes::time();
my ($status, $body) = main::put('gAAAAABslow');
my $took = Time::HiRes::time() - $t0;
ImsMember::Keystone::resume();
Test::More::is($status, 503, "503 while Keystone hangs, not 401");
Test::More::cmp_ok($took, '<', 3, "after proxy_read_timeout, within ims_member_timeout");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: gAAAAABslow
--- error_code: 401
--- response_body_like: "code": "IMG.0087"
--- error_log
upstream timed out
the token validation through "/_keystone" ended with 504 before any answer; answering 503
ims_member: Keystone refused the token (401)



=== TEST 18: an answer larger than subrequest_output_buffer_size: 503, and the log says so
--- keystone_location
        subrequest_output_buffer_size 64;
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 503
--- response_body_like: "code": "IMG.9002"
--- error_log
ims_member: Keystone's answer (200) through "/_keystone" is larger than that location's subrequest_output_buffer_size; answering 503



=== TEST 19: a full zone drops its least recently used entries
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=keystone:32k invalid=5m;
    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
        keepalive 8;
    }
--- init
for my $i (1 .. 400) {
    my ($status) = main::put("gAAAAABlru-$i");
    die "bad token $i: $status\n" unless $status == 401;
}
my $before = ImsMember::Keystone::requests();
main::put("gAAAAABlru-400");
Test::More::is(ImsMember::Keystone::requests() - $before, 0,
               "the most recent entry is still there");
main::put("gAAAAABlru-1");
Test::More::is(ImsMember::Keystone::requests() - $before, 1,
               "the least recently used one was dropped");
my %m = main::metrics();
Test::More::ok($m{ims_member_keystone_cache_evictions_total} > 0,
               "the metrics count the evictions");
Test::More::ok($m{ims_member_keystone_cache_entries} > 0
               && $m{ims_member_keystone_cache_entries} < 400,
               "and the entries left ($m{ims_member_keystone_cache_entries})");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200



=== TEST 20: trusted-project mode: administrator roles are compared in any case (X-Roles: Admin)
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $http_x_project_id;
        ims_member_roles $http_x_roles;
        ims_member_update;
    }
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"rejected\"}"
--- more_headers
X-Project-Id: someone-else
X-Roles: reader,Admin
--- error_code: 200
--- response_body_like: "status": "rejected"



=== TEST 21: the README's recipe takes the project only when X-Identity-Status is Confirmed
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    map $http_x_identity_status $ims_project {
        "~^[ \t]*Confirmed[ \t]*$"  $http_x_project_id;
        default                       "";
    }
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $ims_project;
        ims_member_roles $http_x_roles;
        ims_member_update;
    }
--- init
my ($status) = ImsMember::Pg::http('PUT',
    "/v2/images/$::Image/members/$::P{member}", '{"status": "pending"}',
    'X-Identity-Status' => 'Confirmed', 'X-Project-Id' => $::P{member},
    'X-Roles' => 'member,reader');
Test::More::is($status, 200, "Confirmed: the project is taken");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Identity-Status: Invalid\r\nX-Project-Id: $::P{member}"
--- error_code: 401
--- response_body_like: "code": "IMG.0087"



=== TEST 22: python-glanceclient, password against Keystone, explicit endpoint: the member accepts
--- init
ImsMember::Pg::sql("UPDATE image_members SET status = 'pending' WHERE image_id = '$::Image'");
my $out = `glance --os-auth-url $::KS->{url} --os-username member --os-password $ImsMember::Keystone::Password --os-project-name member --os-user-domain-id default --os-project-domain-id default --os-image-url http://127.0.0.1:@{[ImsMember::Pg::nginx_port()]} --os-image-api-version 2 member-update $::Image $::P{member} accepted 2>&1`;
Test::More::is($?, 0, "glance member-update succeeded") or Test::More::diag($out);
Test::More::like($out, qr/accepted/, "glance shows the member accepted");
Test::More::is(main::member_status(), 'accepted', "the row is accepted");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200



=== TEST 23: openstacksdk, password against Keystone, the catalog's endpoint: the member rejects
--- init
my $script = <<'_PY_';
import sys
import openstack
url, password, image, member = sys.argv[1:5]
conn = openstack.connect(auth_url=url, username='member', password=password,
                         project_name='member', user_domain_id='default',
                         project_domain_id='default', region_name='RegionOne')
m = conn.image.update_member(member, image, status='rejected')
print(m.status)
_PY_
open my $fh, '>', ImsMember::Pg::dir() . '/sdk.py' or die;
print $fh $script;
close $fh;
my $out = `/usr/bin/python3 @{[ImsMember::Pg::dir()]}/sdk.py $::KS->{url} $ImsMember::Keystone::Password $::Image $::P{member} 2>&1`;
Test::More::is($?, 0, "openstacksdk update_member succeeded") or Test::More::diag($out);
Test::More::like($out, qr/^rejected$/m, "openstacksdk shows the member rejected");
Test::More::is(main::member_status(), 'rejected', "the row is rejected");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 200



=== TEST 24: what Keystone is sent: a GET of ?nocatalog, the token as X-Auth-Token and X-Subject-Token, nothing of the client's request
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    log_format keystone '$request_method $uri?$args length=$content_length '
                        'cookie=$http_cookie auth=$http_x_auth_token '
                        'subject=$http_x_subject_token accept=$http_accept';
--- config
    ims_member_keystone /_keystone;

    location = /_keystone {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/keystone/v3/auth/tokens;
    }

    location = /keystone/v3/auth/tokens {
        access_log logs/access.log keystone;
        default_type application/json;
        return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "$TEST_NGINX_P_MEMBER", "name": "member"}, "roles": [{"id": "r1", "name": "reader"}, {"id": "r2", "name": "member"}]}}';
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        access_log off;
        ims_member_update;
    }
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: tok-shape
Cookie: session=secret
--- error_code: 200
--- access_log
GET /keystone/v3/auth/tokens?nocatalog length=- cookie=- auth=tok-shape subject=tok-shape accept=application/json



=== TEST 25: a batch job and its query, with a Keystone token
--- jobs
--- init
my ($status, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
    qq{{"images": ["$::Image"], "project_id": "$::P{member}", "status": "rejected"}},
    'X-Auth-Token' => $::T{member});
Test::More::is($status, 200, "the member submits a job");
my ($job) = $body =~ /"job_id": "([0-9a-f]+)"/;
Test::More::is(ImsMember::Pg::wait_job($job), 'SUCCESS', "the job succeeds");
Test::More::is(main::member_status(), 'rejected', "the row is rejected");
($status, $body) = ImsMember::Pg::http('GET', "/v1/$::P{member}/jobs/$job",
    undef, 'X-Auth-Token' => $::T{member});
Test::More::like("$status $body", qr/^200 .*"status": "SUCCESS"/,
                 "the member queries its job");
--- request eval
"GET /v1/$::P{member}/jobs/0123456789abcdef0123456789abcdef"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 404
--- response_body_like: "code": "IMG.9010"



=== TEST 26: a body the client still sends while Keystone is asked is the parent's to discard: 401, no crash
--- config
    ims_member_keystone /_keystone;
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
    }
    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
--- init
# Keystone holds the validation while the rest of the body arrives
my $s;
# nginx may still be starting (valgrind)
my $deadline = Time::HiRes::time() + 30;
until ($s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => ImsMember::Pg::nginx_port(),
                                  Proto => 'tcp'))
{
    die "connect: $!" if Time::HiRes::time() > $deadline;
    sleep 0.1;
}
ImsMember::Keystone::pause();
print $s "GET /v1/p/jobs/0123456789abcdef0123456789abcdef HTTP/1.1\r\n"
         . "Host: localhost\r\nConnection: close\r\n"
         . "X-Auth-Token: gAAAAABdiscard\r\nContent-Length: 1000000\r\n\r\n"
         . ('x' x 100);
sleep 0.3;
print $s ('y' x 200000);
sleep 0.3;
ImsMember::Keystone::resume();
my ($status) = ImsMember::Pg::http_read($s, 10);
Test::More::is($status, 401, "401 for the unknown token");
--- request
GET /v1/p/jobs/0123456789abcdef0123456789abcdef
--- more_headers
X-Auth-Token: gAAAAABdiscard
--- error_code: 401
--- no_error_log
exited on signal



=== TEST 27: an internal redirect inside the validation (X-Accel-Redirect) leaks nothing to the client: 503
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_keystone /_keystone;

    location = /_keystone {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/keystone/v3/auth/tokens;
    }

    location = /keystone/v3/auth/tokens {
        add_header X-Accel-Redirect /elsewhere;
        return 200 'redirected';
    }

    location = /elsewhere {
        internal;
        return 200 'LEAKED';
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- init
my $s = ImsMember::Pg::http_send('PUT', "/v2/images/$::Image/members/$::P{member}",
    '{"status": "accepted"}', 'X-Auth-Token' => 'tok-redirect');
my $data = '';
1 while sysread($s, $data, 65536, length $data);
Test::More::like($data, qr{^HTTP/1\.1 503 },
                 "the answer starts with its status line, nothing before");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: tok-redirect
--- error_code: 503
--- response_body_unlike: LEAKED
--- error_log
is not a Keystone v3 token



=== TEST 28: an answer that breaks off before its Content-Length is not taken: 503
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_keystone /_keystone;

    location = /_keystone {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BROKEN_PORT/v3/auth/tokens;
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: tok-broken
--- error_code: 503
--- response_body_like: "code": "IMG.9002"
--- error_log
Keystone's answer (200) through "/_keystone" broke off before its end; answering 503



=== TEST 29: ims_member_keystone naming a location that does not exist: 503, not 401
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_keystone /_nowhere;

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::T{member}"
--- error_code: 503
--- response_body_like: "code": "IMG.9002"
--- error_log
the token validation through "/_nowhere" ended with 404 before any answer; answering 503



=== TEST 30: one cache, two Keystones (two locations): a token one Keystone took is not taken where the other is asked, nor a refusal the other way round
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 3s;
    ims_member_keystone_cache zone=keystone:1m valid=5m invalid=5m;

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
    }
--- config
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
    }

    # a Keystone that knows none of these tokens: the real one, asked
    # about another token
    location = /_other_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        proxy_set_header X-Subject-Token gAAAAABunknown-here;
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_keystone /_keystone;
        ims_member_update;
    }

    location /other/ {
        ims_member_keystone /_other_keystone;
        rewrite ^/other(/.*)$ $1 break;
        ims_member_update;
    }
--- init
my $other = "/other/v2/images/$::Image/members/$::P{member}";
my $body = '{"status": "accepted"}';
my $put_other = sub {
    return (ImsMember::Pg::http('PUT', $other, $body,
                                'X-Auth-Token' => shift))[0];
};
Test::More::is((main::put($::Fresh[0]))[0], 200,
               "the first Keystone takes the token");
Test::More::is($put_other->($::Fresh[0]), 401,
               "where the other Keystone is asked, that entry is not taken");
Test::More::is($put_other->($::Fresh[1]), 401,
               "another token, refused first by the other Keystone");
Test::More::is((main::put($::Fresh[1]))[0], 200,
               "where the first Keystone is asked, that refusal is not taken");
my $before = ImsMember::Keystone::requests();
my @status = ((main::put($::Fresh[0]))[0], $put_other->($::Fresh[0]),
              (main::put($::Fresh[1]))[0], $put_other->($::Fresh[1]));
Test::More::is("@status", "200 401 200 401",
               "each Keystone's verdict is remembered apart");
Test::More::is(ImsMember::Keystone::requests() - $before, 0,
               "from the cache, without asking Keystone again");
--- request eval
"PUT /other/v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"X-Auth-Token: $::Fresh[0]"
--- error_code: 401
--- response_body_like: "code": "IMG.0087"



=== TEST 31: one cache, two servers: the same ims_member_keystone URI reaches another Keystone in each, and neither takes the other's verdict
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_timeout 3s;
    ims_member_keystone_cache zone=keystone:1m valid=5m invalid=5m;
    ims_member_keystone /_keystone;

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
    }

    server {
        listen $TEST_NGINX_SERVER_PORT;
        server_name other.test;

        location = /_keystone {
            internal;
            proxy_pass http://keystone/v3/auth/tokens;
            proxy_set_header X-Subject-Token gAAAAABunknown-here;
        }

        location ~ ^/v2/images/[^/]+/members/[^/]+$ {
            ims_member_update;
        }
    }
--- config
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- init
Test::More::is((main::put_host('localhost', $::Fresh[0]))[0], 200,
               "this server's Keystone takes the token");
Test::More::is((main::put_host('other.test', $::Fresh[0]))[0], 401,
               "the other server's refuses it: that entry is not taken");
Test::More::is((main::put_host('other.test', $::Fresh[1]))[0], 401,
               "another token, refused first by the other server's");
Test::More::is((main::put_host('localhost', $::Fresh[1]))[0], 200,
               "this server's takes it: that refusal is not taken");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers eval
"Host: other.test\r\nX-Auth-Token: $::Fresh[1]"
--- error_code: 401
--- response_body_like: "code": "IMG.0087"



=== TEST 32: a full zone evicts at most 4 entries to store one; an entry that still finds no room is not stored (warned once) and the rest goes on caching
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_keystone_cache zone=keystone:32k valid=5m invalid=5m;
--- config
    ims_member_keystone /_keystone;

    location = /_keystone {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/keystone/v3/auth/tokens;
    }

    # answers as Keystone would (member implies reader), with the token
    # among the roles: an entry as large as its token
    location = /keystone/v3/auth/tokens {
        default_type application/json;
        return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "$TEST_NGINX_P_MEMBER"}, "roles": [{"name": "reader"}, {"name": "member"}, {"name": "$http_x_subject_token"}]}}';
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_update;
    }
--- init
# small entries fill the zone, then entries of half a page each need a
# page of their own
for my $i (1 .. 150) {
    my ($status) = main::put("small-$i");
    die "small token $i: $status\n" unless $status == 200;
}
for my $i (1 .. 12) {
    my ($status) = main::put("large-$i-" . ('x' x 1500));
    die "large token $i: $status\n" unless $status == 200;
}
my $hits = () = main::error_log() =~ /keystone cache hit/g;
main::put("small-150");
main::put("small-after");
main::put("small-after");
my $now = () = main::error_log() =~ /keystone cache hit/g;
Test::More::is($now - $hits, 2, "recent and new entries are still cached");
my $warned = () = main::error_log()
    =~ /ims_member_keystone_cache zone "keystone" is too small/g;
Test::More::is($warned, 1, "the zone's size is warned about once");
--- request eval
"PUT /v2/images/$::Image/members/$::P{member}\n{\"status\": \"accepted\"}"
--- more_headers
X-Auth-Token: small-after
--- error_code: 200
--- grep_error_log eval
qr/keystone cache "keystone": \d+ evicted/
--- grep_error_log_out eval
qr/\A(?:keystone cache "keystone": [1-4] evicted\n){20,}\z/
