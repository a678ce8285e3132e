# Glance's new default policies (secure RBAC): a real Keystone, a real
# glance-api 25.1 run with "[DEFAULT] enforce_secure_rbac",
# "[oslo_policy] enforce_new_defaults" and "enforce_scope", and nginx with
# the module answering the whole member API (ims_member_api, Glance's
# errors, "ims_member_policy" left at its default, new) on Glance's
# database. Each request goes once straight to glance-api and once through
# nginx, on the same rows; what a client sees (status line, Content-Type,
# body; a new member's times aside) must be the same, byte for byte:
#
#   - Keystone tokens: reader-only, member and admin users of the owner's
#     project, of the member's project and of a stranger's, a user whose
#     only role is neither (no reader), an administrator's tokens scoped
#     to the domain and to the system, and an unscoped one; on shared,
#     private, public, ownerless and missing images; every call (create,
#     list, show, update, delete), with the Accept variants that change
#     the page;
#   - the same callers as a trusted layer in front would hand them over
#     (X-Project-Id, X-Roles with the token's roles), on a second server;
#     X-Roles are taken literally, as Glance takes them: "member" alone is
#     not a reader (Glance's answer to a user without the reader role).
#
# Cost: Keystone (about 25 s) and glance-api (about 15 s) start once for
# the file; the replay takes about a minute more.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Keystone;
use ImsMember::Glance;
use Test::Nginx::Socket;
use JSON::PP ();

our $KS = ImsMember::Keystone::start(
    users => {
        'owner'          => { project => 'owner' },
        'owner-reader'   => { project => 'owner', role => 'reader' },
        'owner-admin'    => { project => 'owner', role => 'admin' },
        'owner-other'    => { project => 'owner', role => 'other' },
        'member'         => { project => 'member' },
        'member-reader'  => { project => 'member', role => 'reader' },
        'member-other'   => { project => 'member', role => 'other' },
        'stranger'       => { project => 'stranger' },
        'stranger-admin' => { project => 'stranger', role => 'admin' },
        'glance'         => { project => 'service', role => 'service' },
    });

our $G = ImsMember::Glance::start(rbac => 1, keystone => {
    url => $KS->{url}, username => 'glance',
    password => $ImsMember::Keystone::Password, project => 'service' });

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_KEYSTONE_PORT} = $KS->{port};
$ENV{TEST_NGINX_KEYSTONE_URL} = $KS->{url};
$ENV{TEST_NGINX_TRUSTED_PORT} = ImsMember::Pg::free_port();

# tokens without a project
$KS->{tokens}{'admin@domain'} = ImsMember::Keystone::token('admin',
    { domain => { id => 'default' } });
$KS->{tokens}{'admin@system'} = ImsMember::Keystone::token('admin',
    { system => { all => JSON::PP::true() } });
$KS->{tokens}{'member@unscoped'} = ImsMember::Keystone::token('member',
    'unscoped');

# the roles of each user's token: Keystone's implied roles (admin implies
# member, member implies reader) are in the token's list
our %Roles = (
    'owner' => 'member,reader', 'owner-reader' => 'reader',
    'owner-admin' => 'admin,member,reader', 'owner-other' => 'other',
    'member' => 'member,reader', 'member-reader' => 'reader',
    'member-other' => 'other', 'stranger' => 'member,reader',
    'stranger-admin' => 'admin,member,reader');

our %Image = (
    shared    => 'c1000000-0000-4000-8000-000000000001',
    private   => 'c1000000-0000-4000-8000-000000000002',
    public    => 'c1000000-0000-4000-8000-000000000003',
    ownerless => 'c1000000-0000-4000-8000-000000000004',
    missing   => 'c1000000-0000-4000-8000-000000000005',
);

# the owner's images (one without an owner), each with two members: the
# member's project and p-other
sub fixtures {
    my $owner = $KS->{projects}{owner};
    my $member = $KS->{projects}{member};
    my @sql = ("DELETE FROM image_members", "DELETE FROM images");
    for my $v (qw(shared private public ownerless)) {
        my $o = $v eq 'ownerless' ? 'NULL' : "'$owner'";
        my $vis = $v eq 'ownerless' ? 'shared' : $v;
        push @sql, "INSERT INTO images (id, name, status, created_at,"
                   . " deleted, owner, visibility, os_hidden, protected,"
                   . " min_disk, min_ram) VALUES ('$Image{$v}', '$v',"
                   . " 'active', '2020-01-01 00:00:00', false, $o,"
                   . " '$vis', false, false, 0, 0)";
        for my $m ($member, 'p-other') {
            push @sql, "INSERT INTO image_members (image_id, member,"
                       . " can_share, status, created_at, updated_at,"
                       . " deleted) VALUES ('$Image{$v}', '$m', false,"
                       . " 'pending', '2020-01-01 00:00:00',"
                       . " '2020-01-01 00:00:00', false)";
        }
    }
    ImsMember::Glance::sql(join('; ', @sql));
}

# a call: [method, image, member (a project's name, or the text itself;
# undef: the collection), body]
our @Calls = (
    ['GET', undef, undef],
    ['GET', 'member', undef],
    ['GET', 'p-other', undef],
    ['POST', undef, '{"member": "p-new"}'],
    ['POST', undef, '{"member": "p-other"}'],
    ['PUT', 'member', '{"status": "accepted"}'],
    ['PUT', 'member', '{"status": "bogus"}'],
    ['PUT', 'p-other', '{"status": "rejected"}'],
    ['DELETE', 'member', undef],
    ['DELETE', 'p-nobody', undef],
);

# a case: [caller, image, call, [Accept values]]; the caller is a token's
# user, or "user~roles" for a trusted layer's roles other than the token's
our @Cases;
for my $who (sort(keys %Roles), 'admin@domain', 'admin@system',
             'member@unscoped')
{
    for my $image (sort keys %Image) {
        push @Cases, [$who, $image, $_, []] for @Calls;
    }
}
for my $accept (['application/json'], ['text/html']) {
    for my $who ('owner-other', 'owner-reader', 'member-reader', 'member',
                 'admin@domain')
    {
        push @Cases, [$who, 'shared', $_, $accept] for @Calls;
    }
}

# the trusted layer's roles, literally: "member" without "reader", any
# case, none at all (Keystone scopes no token to a project without a role:
# Glance's answer to a role that is neither)
our @Trusted = (
    ['owner-other', 'owner', ''],
    ['member-other', 'member', ''],
    ['owner-other', 'owner', 'member'],
    ['member-other', 'member', 'member'],
    ['owner-other', 'owner', 'Member, Other'],
    ['owner-reader', 'owner', 'Reader'],
    ['member', 'member', ' MEMBER , reader '],
    ['owner-admin', 'owner', 'Admin'],
);

sub path {
    my ($image, $member) = @_;
    $member = $KS->{projects}{$member} // $member if defined $member;
    return "/v2/images/$Image{$image}/members"
           . (defined $member ? "/$member" : '');
}

# what a client sees; "headers" are the caller's identity
sub seen {
    my ($port, $headers, $image, $call, $accept) = @_;
    my ($method, $member, $body) = @$call;
    my @h = (@$headers, map { (Accept => $_) } @$accept);
    my $seen = ImsMember::Glance::seen(ImsMember::Glance::raw($port,
                                  $method, path($image, $member), \@h, $body));
    # a new member's time is its server's
    $seen =~ s/"created_at": "(?!2020-01-01T00:00:00Z)[^"]*"/"created_at": "-"/g;
    return $seen;
}

sub token { return ('X-Auth-Token' => $KS->{tokens}{$_[0]}) }

sub trusted {
    my ($project, $roles) = @_;
    return ('X-Identity-Status' => 'Confirmed',
            'X-Project-Id' => $KS->{projects}{$project},
            'X-Roles' => $roles);
}

# Glance first, then the module on the same rows, put back before each
# only when the one before may have changed them
sub compare {
    my ($name, $glance, $nginx_port, $headers, $image, $call, $accept) = @_;
    our $dirty;
    fixtures() if $dirty;
    my $g = seen($G->{port}, $glance, $image, $call, $accept);
    $dirty = ($g =~ /^20[04] /);
    fixtures() if $dirty;
    my $n = seen($nginx_port, $headers, $image, $call, $accept);
    $dirty ||= ($n =~ /^20[04] /);
    my ($method, $member, $body) = @$call;
    Test::More::is($n, $g, sprintf("%s: %s %s/%s, body %s, Accept %s",
        $name, $method, $image, $member // '(members)',
        defined $body ? "'$body'" : 'none',
        @$accept ? join(' + ', @$accept) : 'none'));
}

fixtures();

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + @Cases
              + (keys(%Roles) + @Trusted) * @Calls * 2 + 2;

no_shuffle();
no_root_location();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";
    ims_member_keystone_cache zone=keystone:1m;

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
        keepalive 16;
    }

    map $http_x_identity_status $ims_project {
        Confirmed  $http_x_project_id;
        default    "";
    }

    # a trusted layer in front hands over the project and its roles
    server {
        listen 127.0.0.1:$TEST_NGINX_TRUSTED_PORT;

        location /v2/images/ {
            ims_member_project $ims_project;
            ims_member_roles   $http_x_roles;
            ims_member_errors  glance;
            ims_member_api;
        }
    }
_EOC_

    return if defined $block->config;

    $block->set_value("config", <<'_EOC_');
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        subrequest_output_buffer_size 16k;
    }

    location /v2/images/ {
        ims_member_keystone /_keystone;
        ims_member_errors   glance;
        ims_member_api;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: Keystone's callers under the new policies: Glance's answers, byte for byte
--- init
my $port = ImsMember::Pg::nginx_port();
for my $c (@::Cases) {
    my ($who, $image, $call, $accept) = @$c;
    my @h = main::token($who);
    main::compare($who, \@h, $port, \@h, $image, $call, $accept);
}
--- request
GET /v2/images/c1000000-0000-4000-8000-000000000002/members
--- more_headers eval
"X-Auth-Token: $::KS->{tokens}{'owner-reader'}"
--- error_code: 403
--- response_body_like: Not allowed to list members .*: Only shared images have members\.



=== TEST 2: a trusted layer's callers and roles: Glance's answers to the same roles, byte for byte
--- init
my $port = $ENV{TEST_NGINX_TRUSTED_PORT};
my @who = map { [$_, $_ =~ /^(\w+)/, $::Roles{$_}] } sort keys %::Roles;
for my $t (@who, @::Trusted) {
    my ($user, $project, $roles) = @$t;
    my @g = main::token($user);
    my @n = main::trusted($project, $roles);
    for my $image ('shared', 'ownerless') {
        main::compare("X-Project-Id $project, X-Roles '$roles'", \@g,
                      $port, \@n, $image, $_, []) for @::Calls;
    }
}
--- request
GET /v2/images/c1000000-0000-4000-8000-000000000001/members
--- more_headers eval
"X-Auth-Token: $::KS->{tokens}{'owner-other'}"
--- error_code: 404
--- response_body_like: \n\nThe resource could not be found\.\n



=== TEST 3: the legacy rules, one word away: a reader-only owner shares
--- init
main::fixtures();
--- config
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        subrequest_output_buffer_size 16k;
    }

    location /v2/images/ {
        ims_member_keystone /_keystone;
        ims_member_errors   glance;
        ims_member_policy   legacy;
        ims_member_api;
    }
--- request
POST /v2/images/c1000000-0000-4000-8000-000000000001/members
{"member": "p-legacy"}
--- more_headers eval
"X-Auth-Token: $::KS->{tokens}{'owner-reader'}"
--- error_code: 200
--- response_body_like: "member_id": "p-legacy"
--- no_error_log
[error]



=== TEST 4: the new rules with the module's own errors: a reader-only owner does not share
--- init
main::fixtures();
--- config
    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        subrequest_output_buffer_size 16k;
    }

    location /v2/images/ {
        ims_member_keystone /_keystone;
        ims_member_api;
    }
--- request
POST /v2/images/c1000000-0000-4000-8000-000000000001/members
{"member": "p-new"}
--- more_headers eval
"X-Auth-Token: $::KS->{tokens}{'owner-reader'}"
--- error_code: 403
--- response_body_like: "code": "IMG.0026"
--- no_error_log
[error]
