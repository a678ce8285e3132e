# A Keystone cloud: real Keystone, real glance-api behind its own
# keystonemiddleware, nginx in front of Glance with the module answering the
# member update on Glance's database (identity from Keystone).  The users'
# clients, python-glanceclient and openstacksdk with passwords and the
# catalog's image endpoint, share, accept, reject and list, and see through
# nginx what Glance alone shows; every answer of the member update, a 401
# for a bad token included, is Glance's own, byte for byte.

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

$ENV{TEST_NGINX_KEYSTONE_URL} = $KS->{url};

# Glance's rows for the comparison: the owner's images, the member's
# membership
our %Image = (
    shared    => 'b1000000-0000-4000-8000-000000000001',
    private   => 'b1000000-0000-4000-8000-000000000002',
    missing   => 'b1000000-0000-4000-8000-000000000003',
    ownerless => 'b1000000-0000-4000-8000-000000000004',
    data      => 'b9000000-0000-4000-8000-000000000001',
);

# an image's data, for the README's image location (made here: the
# blocks' expectations are read before they run)
our $ImageData;
{
    open my $fh, '<:raw', '/dev/urandom' or die "/dev/urandom: $!\n";
    read($fh, $ImageData, 3 * 1024 * 1024 + 7) == 3 * 1024 * 1024 + 7
        or die "/dev/urandom: short read\n";
    close $fh;
}

# tokens without a project: Glance takes them as callers without one
$KS->{tokens}{'admin@domain'} = ImsMember::Keystone::token('admin',
    { domain => { id => 'default' } });
$KS->{tokens}{'admin@system'} = ImsMember::Keystone::token('admin',
    { system => { all => JSON::PP::true() } });
$KS->{tokens}{'member@unscoped'} = ImsMember::Keystone::token('member',
    'unscoped');

sub fixtures {
    my $owner = $KS->{projects}{owner};
    my $member = $KS->{projects}{member};
    # its own images only, by id: the clients' images of TEST 1 have
    # random ids, and properties that keep them from a prefix's DELETE
    my $ids = join ', ', map { "'$Image{$_}'" }
                         qw(shared private missing ownerless);
    my @sql = ("DELETE FROM image_members WHERE image_id IN ($ids)",
               "DELETE FROM images WHERE id IN ($ids)");
    for my $v ('shared', 'private', 'ownerless') {
        my $o = $v eq 'ownerless' ? 'NULL' : "'$owner'";
        my $vis = $v eq 'ownerless' ? 'shared' : $v;
        push @sql, "INSERT INTO images (id, name, status, created_at,"
                   . " deleted, owner, visibility, os_hidden, protected,"
                   . " min_disk, min_ram) VALUES ('$Image{$v}', '$v',"
                   . " 'active', '2020-01-01 00:00:00', false, $o,"
                   . " '$vis', false, false, 0, 0)";
        push @sql, "INSERT INTO image_members (image_id, member, can_share,"
                   . " status, created_at, updated_at, deleted) VALUES"
                   . " ('$Image{$v}', '$member', false, 'pending',"
                   . " '2020-01-01 00:00:00', '2020-01-01 00:00:00', false)";
    }
    ImsMember::Glance::sql(join('; ', @sql));
}

# [token (a user's, or the text itself), image, member (a project's
# name, or the text itself), body, [Accept values], method]
our @Cases;
my $ok = '{"status": "accepted"}';
for my $accept ([], ['application/json'], ['text/html']) {
    for my $c (['member', 'shared', 'member', $ok],
               ['member', 'shared', 'member', '{"status": "bogus"}'],
               ['member', 'shared', 'member', 'not json'],
               ['member', 'private', 'member', $ok],
               ['member', 'missing', 'member', '{"status": "bogus"}'],
               ['member', 'shared', 'owner', $ok],
               ['owner', 'shared', 'member', $ok],
               ['owner', 'private', 'member', $ok],
               ['admin', 'shared', 'member', '{"status": "rejected"}'],
               ['admin', 'private', 'nobody', '{"status": "x"}'],
               ['not-a-token', 'shared', 'member', $ok],
               [undef, 'shared', 'member', $ok],
               ['member@unscoped', 'shared', 'member', $ok],
               ['member@unscoped', 'ownerless', 'member', $ok],
               ['admin@domain', 'shared', 'member', $ok],
               ['admin@domain', 'private', 'nobody', $ok],
               ['admin@system', 'ownerless', 'member', '{"status": "x"}'])
    {
        push @Cases, [@$c, $accept];
    }
}

# the whole member API from the module (ims_member_api, a server of its
# own), for callers without a project too: Glance's legacy rules let one
# list, show and remove the members of an image without an owner
$ENV{TEST_NGINX_API_PORT} = ImsMember::Pg::free_port();

our @ApiCases;
for my $user ('admin@domain', 'admin@system', 'member@unscoped', 'owner',
              'member')
{
    for my $image ('ownerless', 'shared', 'private') {
        for my $call (['GET', undef, undef], ['GET', 'member', undef],
                      ['GET', 'nobody', undef], ['DELETE', 'member', undef],
                      ['DELETE', 'nobody', undef],
                      ['POST', undef, '{"member": "p-new"}'],
                      ['PUT', 'member', '{"status": "accepted"}'])
        {
            push @ApiCases, [$user, $image, @$call, []];
        }
    }
}
push @ApiCases, ['member@unscoped', 'ownerless', 'GET', undef, undef,
                 ['application/json']];
push @ApiCases, ['admin@domain', 'ownerless', 'DELETE', 'member', undef,
                 ['text/html']];

sub send_api_case {
    my ($port, $c) = @_;
    my ($user, $image, $method, $member, $body, $accept) = @$c;
    my @h = ('X-Auth-Token' => $KS->{tokens}{$user},
             map { (Accept => $_) } @$accept);
    $member = $KS->{projects}{$member} // $member if defined $member;
    my $r = ImsMember::Glance::raw($port, $method,
        "/v2/images/$Image{$image}/members"
        . (defined $member ? "/$member" : ''), \@h, $body);
    (my $seen = ImsMember::Glance::seen($r))
        =~ s/"created_at": "(?!2020-01-01T00:00:00Z)[^"]*"/"created_at": "-"/g;
    return $seen;
}

sub send_case {
    my ($port, $c) = @_;
    my ($user, $image, $member, $body, $accept) = @$c;
    my @h = map { (Accept => $_) } @$accept;
    if (defined $user) {
        push @h, 'X-Auth-Token' => $KS->{tokens}{$user} // $user;
    }
    $member = $KS->{projects}{$member} // $member;
    my $r = ImsMember::Glance::raw($port, 'PUT',
        "/v2/images/$Image{$image}/members/$member", \@h, $body);
    # keystonemiddleware names Keystone on a 401; the README's add_header
    # does the same through nginx
    return ImsMember::Glance::seen($r) . "\nWWW-Authenticate: "
           . ($r->{headers}{'www-authenticate'} // '(none)');
}

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 15 + @Cases + @ApiCases;

no_shuffle();
no_root_location();

# the README's recipe for a Keystone cloud in front of Glance
add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";

    # this glance-api enforces its legacy policies
    ims_member_policy legacy;
    ims_member_keystone_cache zone=keystone:1m;

    # Glance's keystonemiddleware names Keystone on each 401
    map $status $keystone_www_authenticate {
        401      'Keystone uri="$TEST_NGINX_KEYSTONE_URL"';
        default  "";
    }

    # who answered: the module (no upstream) or Glance
    log_format flows '$request_method $uri $status upstream=$upstream_addr';
    access_log logs/access.log flows;

    upstream glance {
        server 127.0.0.1:$TEST_NGINX_GLANCE_PORT;
        keepalive 16;
    }

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
        keepalive 16;
    }

    server {
        listen 127.0.0.1:$TEST_NGINX_API_PORT;

        location = /_keystone {
            internal;
            proxy_pass http://keystone/v3/auth/tokens;
            subrequest_output_buffer_size 16k;
        }

        location /v2/images/ {
            ims_member_keystone /_keystone;
            ims_member_errors   glance;
            ims_member_api;
        }
    }
_EOC_

    $block->set_value("config", <<'_EOC_');
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_connect_timeout 2s;
        proxy_read_timeout 5s;
        subrequest_output_buffer_size 16k;
    }

    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_keystone /_keystone;
        ims_member_errors   glance;
        ims_member_update;

        add_header WWW-Authenticate $keystone_www_authenticate always;

        # GET and DELETE of a member, and any other method, are Glance's
        error_page 405 = @glance;
    }

    location / {
        proxy_set_header Host $http_host;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://glance;
    }

    location ~ ^/v2/images/[^/]+/(file|stage)$ {
        proxy_set_header Host $http_host;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://glance;

        client_max_body_size     0;
        proxy_request_buffering  off;
        proxy_buffering          off;
        proxy_send_timeout       10m;
        proxy_read_timeout       10m;
    }

    location @glance {
        proxy_set_header Host $http_host;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://glance;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: glanceclient and openstacksdk share, accept, reject and list through nginx as with Glance alone
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
Test::More::is_deeply($g->{refusals}{through_nginx},
                      $g->{refusals}{glance_alone},
                      "glanceclient: refusals in Glance's own words")
    or Test::More::diag(JSON::PP->new->encode($g->{refusals}));
Test::More::like($g->{refusals}{through_nginx}[0] // '',
                 qr/^HTTPNotFound: HTTP 404 Not Found: Image \S+ not found\.$/,
                 "glanceclient: a missing image, as Glance says it");
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



=== TEST 2: the member API for callers without a project: Glance's legacy answers, byte for byte (an image without an owner is theirs to list, show and stop sharing)
--- init
my $port = $ENV{TEST_NGINX_API_PORT};
for my $c (@::ApiCases) {
    main::fixtures();
    my $g = main::send_api_case($::G->{port}, $c);
    main::fixtures();
    my $n = main::send_api_case($port, $c);
    my ($user, $image, $method, $member, $body, $accept) = @$c;
    Test::More::is($n, $g, sprintf("%s: %s %s/%s, body %s, Accept %s",
                                   $user, $method, $image,
                                   $member // '(members)',
                                   defined $body ? "'$body'" : 'none',
                                   join(' + ', @$accept) || 'none'));
}
--- request
GET /versions
--- error_code: 200
--- response_body_like: "id": "v2



=== TEST 3: an image of 3 MiB goes up chunked with the owner's token and comes back down
--- init
my $port = ImsMember::Pg::nginx_port();
my @auth = ('X-Auth-Token' => $::KS->{tokens}{owner});
my $r = ImsMember::Glance::raw($port, 'POST', '/v2/images',
    [@auth, 'Content-Type' => 'application/json'],
    qq/{"id": "$::Image{data}", "disk_format": "raw",/
    . qq/ "container_format": "bare"}/);
die "create: $r->{line}\n$r->{body}\n" unless $r->{status} == 201;
$r = ImsMember::Glance::raw($port, 'PUT', "/v2/images/$::Image{data}/file",
    [@auth, 'Content-Type' => 'application/octet-stream'], $::ImageData, 1);
die "upload: $r->{line}\n$r->{body}\n" unless $r->{status} == 204;
--- request eval
"GET /v2/images/$::Image{data}/file"
--- more_headers eval
"X-Auth-Token: $::KS->{tokens}{owner}"
--- error_code: 200
--- response_body eval
$::ImageData



=== TEST 4: Keystone's callers see Glance's answers, byte for byte
--- init
my $port = ImsMember::Pg::nginx_port();
for my $c (@::Cases) {
    main::fixtures();
    my $g = main::send_case($::G->{port}, $c);
    main::fixtures();
    my $n = main::send_case($port, $c);
    my ($user, $image, $member, $body, $accept) = @$c;
    Test::More::is($n, $g, sprintf("%s on %s/%s, body '%s', Accept %s",
                                   $user // 'no token', $image, $member,
                                   $body, join(' + ', @$accept) || 'none'));
}

# Keystone gone: Glance's middleware defers, its context refuses; so does
# the module (a token neither has seen, so that no cache answers)
my $fresh = ImsMember::Keystone::token('member');
ImsMember::Keystone::stop();
for my $accept ([], ['application/json']) {
    my $c = [$fresh, 'shared', 'member', '{"status": "accepted"}', $accept];
    main::fixtures();
    my $g = main::send_case($::G->{port}, $c);
    my $n = main::send_case($port, $c);
    Test::More::is($n, $g, "Keystone stopped, Accept "
                           . (join(' + ', @$accept) || 'none'));
}
--- request
GET /versions
--- error_code: 200
--- response_body_like: "id": "v2
