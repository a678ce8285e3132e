# In front of a real glance-api (Debian's 25.1): the module answers the
# member update on Glance's own database (made by glance-manage db_sync)
# with "ims_member_errors glance", nginx hands everything else to Glance,
# and the identity comes from Glance's headers through the README's map.
# Each request of a matrix goes once straight to glance-api and once
# through nginx; what a client sees (status line, Content-Type, body; the
# time of an update aside) must be the same, byte for byte.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Glance;
use Test::Nginx::Socket;

our $G = ImsMember::Glance::start();

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};

our %Image = (
    shared        => 'a1000000-0000-4000-8000-000000000001',
    private       => 'a1000000-0000-4000-8000-000000000002',
    public        => 'a1000000-0000-4000-8000-000000000003',
    community     => 'a1000000-0000-4000-8000-000000000004',
    deleted       => 'a1000000-0000-4000-8000-000000000005',
    missing       => 'a1000000-0000-4000-8000-000000000006',
    ownerless     => 'a1000000-0000-4000-8000-000000000007',
    ownerless_private => 'a1000000-0000-4000-8000-000000000008',
);

# Glance's own rows: the owner's images of every visibility (and two with
# no owner), each with the members p-member and p-other
sub fixtures {
    my @sql = ("DELETE FROM image_members", "DELETE FROM images");
    for my $v (grep { $_ ne 'missing' } sort keys %Image) {
        my $deleted = $v eq 'deleted' ? 'true' : 'false';
        my $vis = $v =~ /^(deleted|ownerless)$/ ? 'shared'
                : $v eq 'ownerless_private' ? 'private' : $v;
        my $owner = $v =~ /^ownerless/ ? 'NULL' : "'p-owner'";
        push @sql, "INSERT INTO images (id, name, status, created_at,"
                   . " deleted, owner, visibility, os_hidden, protected,"
                   . " min_disk, min_ram) VALUES ('$Image{$v}', '$v',"
                   . " 'active', '2020-01-01 00:00:00', $deleted, $owner,"
                   . " '$vis', false, false, 0, 0)";
        for my $m (qw(p-member p-other)) {
            push @sql, "INSERT INTO image_members (image_id, member,"
                       . " can_share, status, created_at, updated_at,"
                       . " deleted) VALUES ('$Image{$v}', '$m', false,"
                       . " 'pending', '2020-01-01 00:00:00',"
                       . " '2020-01-01 00:00:00', false)";
        }
    }
    ImsMember::Glance::sql(join('; ', @sql));
}

# a case: [who, image (a name of %Image, or the URL's own text), member,
# body (undef: none), [Accept values], method, chunked]
sub send_case {
    my ($port, $c) = @_;
    my ($who, $image, $member, $body, $accept, $method, $chunked) = @$c;
    my $id = exists $Image{$image} ? $Image{$image} : $image;
    my @h = (ImsMember::Glance::identity($who),
             map { (Accept => $_) } @$accept);
    return ImsMember::Glance::seen(ImsMember::Glance::raw($port,
        $method || 'PUT', "/v2/images/$id/members/$member", \@h, $body,
        $chunked));
}

# Glance first, then the module on the same rows; the rows are put back
# before each only when the one before may have changed them
sub compare {
    my ($c, $nginx_port) = @_;
    our $dirty;
    fixtures() if $dirty;
    my $g = send_case($G->{port}, $c);
    $dirty = ($g =~ /^200 /);
    fixtures() if $dirty;
    my $n = send_case($nginx_port, $c);
    $dirty ||= ($n =~ /^200 /);
    my ($who, $image, $member, $body, $accept, $method, $chunked) = @$c;
    my $name = sprintf("%s%s by %s on %s/%s, body %s, Accept %s",
                       $method || 'PUT', $chunked ? ' (chunked)' : '', $who,
                       $image, $member,
                       defined $body ? "'$body'" : 'none',
                       @$accept ? join(' + ', @$accept) : 'none');
    Test::More::is($n, $g, $name);
}

my $ok = '{"status": "accepted"}';

# every rule of the update, for every caller, image and member
our @Matrix;
for my $who ('p-member', 'p-owner', 'p-stranger', 'p-stranger:Admin',
             'p-owner:admin', 'nobody')
{
    for my $image (sort keys %Image) {
        for my $member (qw(p-member p-other p-nobody)) {
            push @Matrix, [$who, $image, $member, $ok, []];
        }
    }
}

# every kind of body, where the lookups succeed and where they fail
for my $body ($ok, '{"status": "rejected"}', '{"status": "pending"}',
              '{"status": "bogus"}', '{"status": "Accepted"}',
              '{"status": 5}', '{"status": null}', '{"status": ["accepted"]}',
              '{}', '{"Status": "accepted"}', '[]', '["accepted"]', '5',
              '"accepted"', 'null', 'not json', '{"status": "accepted"',
              '', '{"status": "accepted", "vault_id": 3}',
              '{"status": "accepted", "vault_id": ""}',
              "{\"status\": \"accepted\", \"x\": \"\xff\"}")
{
    for my $where (['p-member', 'shared', 'p-member'],
                   ['p-member', 'shared', 'p-other'],
                   ['p-member', 'public', 'p-member'],
                   ['p-stranger', 'shared', 'p-member'],
                   ['p-owner', 'shared', 'p-member'],
                   ['nobody', 'shared', 'p-member'])
    {
        push @Matrix, [@$where, $body, []];
    }
}
push @Matrix, ['p-member', 'shared', 'p-member', undef, []];
push @Matrix, ['p-member', 'shared', 'p-member', '', [], 'PUT', 1];
push @Matrix, ['p-member', 'shared', 'p-member', $ok, [], 'PUT', 1];

# each Accept variant on each kind of answer
for my $accept ([], ['application/json'], ['*/*'], ['text/html'],
                ['application/xml'], ['text/plain'], ['text/*'],
                ['application/*'], ['application/json, text/html'],
                ['text/html;q=0.5, application/json'],
                ['application/json;q=0.9, text/html;q=0.9'],
                ['application/json;q=0, */*'], ['text/html;level=1'],
                ['APPLICATION/JSON'], ['application/json;q=1.000'],
                ['application/json;q=1.5'], ['garbage'], [''], [','],
                ['application/json; charset="utf-8"; q=0.8'],
                ['text/plain', 'application/json'])
{
    for my $where (['p-member', 'shared', 'p-member', $ok],
                   ['p-member', 'shared', 'p-member', '{"status": "x"}'],
                   ['p-member', 'private', 'p-member', $ok],
                   ['p-member', 'public', 'p-member', $ok],
                   ['p-member', 'shared', 'p-other', $ok],
                   ['p-member', 'shared', 'p-member', '[]'],
                   ['nobody', 'shared', 'p-member', $ok])
    {
        push @Matrix, [@$where, $accept];
    }
}

# ids that Glance escapes in each format, or cannot find
for my $ids (["%3Cb%3E%C3%A9%F0%9F%98%80%22'&", 'p-member'],
             ['x%3Cb%3Ey%3Cbr%20%3Ez%3C!--c--%3Ew%09v%0Bu%5C', 'p-member'],
             ["$Image{shared}", '%C3%A9'],
             ["$Image{shared}", 'a%22b%3Cc%3E%7F'],
             ["$Image{shared}", 'm' x 300],
             ['i' x 40, 'p-member'],
             ["$Image{private}", '%C3%A9'])
{
    for my $accept ([], ['application/json'], ['text/html']) {
        push @Matrix, ['p-member', @$ids, $ok, $accept];
        push @Matrix, ['p-owner:admin', @$ids, $ok, $accept];
    }
}

# other methods, handed to Glance by error_page
for my $method (qw(POST PATCH DELETE GET)) {
    push @Matrix, ['p-member', 'shared', 'p-member', undef,
                   ['application/json'], $method];
}

# without error_page: Glance's 405 from the module, after the identity and
# after the body Glance would parse
our @Methods;
for my $method (qw(POST PATCH)) {
    for my $body (undef, '', '{}', '[1]', '5', 'xx') {
        for my $who ('p-member', 'nobody') {
            push @Methods, ['p-member', 'shared', 'p-member', $body,
                            ['application/json'], $method];
            push @Methods, [$who, 'shared', 'p-member', $body, [], $method];
        }
    }
    push @Methods, ['p-member', 'shared', 'p-member', 'xx', [], $method, 1];
    push @Methods, ['p-member', 'shared', 'p-member', '', [], $method, 1];
}

fixtures();

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + @Matrix + @Methods + 2;

no_shuffle();

# the README's recipe in front of an existing Glance
add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";

    # this glance-api enforces its legacy policies
    ims_member_policy legacy;

    # case-exactly, as Glance compares it
    map $http_x_identity_status $ims_project {
        "~^[ \t]*Confirmed[ \t]*$"  $http_x_project_id;
        default                       "";
    }

    upstream glance {
        server 127.0.0.1:$TEST_NGINX_GLANCE_PORT;
    }
_EOC_

    return if defined $block->config;

    $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $ims_project;
        ims_member_roles   $http_x_roles;
        ims_member_errors  glance;
        ims_member_update;
        error_page 405 = @glance;
    }

    location /v2/ {
        proxy_pass http://glance;
    }

    location @glance {
        proxy_pass http://glance;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: the matrix answers as Glance does, byte for byte
--- init
my $port = ImsMember::Pg::nginx_port();
main::compare($_, $port) for @::Matrix;
--- request
GET /v2/images/a1000000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 200
--- response_body_like: "member_id": "p-member"



=== TEST 2: what the module writes, Glance reads; what Glance shows, the module changes
--- init
main::fixtures();
my $r = ImsMember::Glance::raw(ImsMember::Pg::nginx_port(), 'PUT',
    "/v2/images/$::Image{shared}/members/p-member",
    [ImsMember::Glance::identity('p-member')], '{"status": "accepted"}');
Test::More::is($r->{status}, 200, "the member accepts through the module");
--- request
GET /v2/images/a1000000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "accepted"



=== TEST 3: without error_page, other methods get Glance's 405 from the module
--- config
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $ims_project;
        ims_member_roles   $http_x_roles;
        ims_member_errors  glance;
        ims_member_update;
    }
--- init
main::fixtures();
my $port = ImsMember::Pg::nginx_port();
main::compare($_, $port) for @::Methods;
--- request
POST /v2/images/a1000000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
Accept: application/json
--- error_code: 405
--- response_headers
Allow: PUT
--- response_body chomp
{"message": "The method POST is not allowed for this resource. <br /><br />\n", "code": "405 Method Not Allowed", "title": "Method Not Allowed"}
