# In front of a real glance-api (Debian's 25.1), as t/100-glance.t does for
# the update: the module answers the whole member API (ims_member_api,
# with Glance's errors and a quota of 3 on both sides) on Glance's own
# database. Each request of a matrix goes once straight to glance-api and
# once through nginx, on the same rows; what a client sees (status line,
# Content-Type, body; the times of a new member aside) must be the same,
# byte for byte.
#
# Left out, on purpose: a member over 255 bytes or not a string, which
# Glance's database refuses with a 500, and one with control characters,
# which Glance stores: the module refuses all three with a 400.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Glance;
use Test::Nginx::Socket;

our $G = ImsMember::Glance::start(member_quota => 3);

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};

our %Image = (
    shared    => 'b2000000-0000-4000-8000-000000000001',
    private   => 'b2000000-0000-4000-8000-000000000002',
    public    => 'b2000000-0000-4000-8000-000000000003',
    community => 'b2000000-0000-4000-8000-000000000004',
    deleted   => 'b2000000-0000-4000-8000-000000000005',
    missing   => 'b2000000-0000-4000-8000-000000000006',
    full      => 'b2000000-0000-4000-8000-000000000007',
    ownerless => 'b2000000-0000-4000-8000-000000000008',
);

# the owner's images of every visibility, each with the members p-member
# and p-other ("full" with p-third too: its quota reached), and one
# deleted member, p-gone
sub fixtures {
    my @sql = ("DELETE FROM image_members", "DELETE FROM images");
    for my $v (grep { $_ ne 'missing' } sort keys %Image) {
        my $deleted = $v eq 'deleted' ? 'true' : 'false';
        my $vis = $v =~ /^(deleted|full|ownerless)$/ ? 'shared' : $v;
        my $owner = $v eq 'ownerless' ? 'NULL' : "'p-owner'";
        push @sql, "INSERT INTO images (id, name, status, created_at,"
                   . " deleted, owner, visibility, os_hidden, protected,"
                   . " min_disk, min_ram) VALUES ('$Image{$v}', '$v',"
                   . " 'active', '2020-01-01 00:00:00', $deleted, $owner,"
                   . " '$vis', false, false, 0, 0)";
        my @m = ('p-member', 'p-other', $v eq 'full' ? ('p-third') : ());
        for my $m (@m, 'p-gone') {
            my $gone = $m eq 'p-gone' ? 'true' : 'false';
            my $at = $m eq 'p-gone' ? "'2020-01-02 00:00:00'" : 'NULL';
            push @sql, "INSERT INTO image_members (image_id, member,"
                       . " can_share, status, created_at, updated_at,"
                       . " deleted_at, deleted) VALUES ('$Image{$v}', '$m',"
                       . " false, 'pending', '2020-01-01 00:00:00',"
                       . " '2020-01-01 00:00:00', $at, $gone)";
        }
    }
    ImsMember::Glance::sql(join('; ', @sql));
}

# a case: [method, who, image, member (undef: the collection), body
# (undef: none), [Accept values]]
sub send_case {
    my ($port, $c) = @_;
    my ($method, $who, $image, $member, $body, $accept) = @$c;
    my $path = "/v2/images/" . ($Image{$image} // $image) . "/members"
               . (defined $member ? "/$member" : '');
    my @h = (ImsMember::Glance::identity($who),
             map { (Accept => $_) } @$accept);
    my $seen = ImsMember::Glance::seen(ImsMember::Glance::raw($port,
                                            $method, $path, \@h, $body));
    # a new member's time is its server's
    $seen =~ s/"created_at": "(?!2020-01-01T00:00:00Z)[^"]*"/"created_at": "-"/g;
    return $seen;
}

sub compare {
    my ($c, $nginx_port) = @_;
    our $dirty;
    fixtures() if $dirty;
    my $g = send_case($G->{port}, $c);
    $dirty = ($g =~ /^20[04] /);
    fixtures() if $dirty;
    my $n = send_case($nginx_port, $c);
    $dirty ||= ($n =~ /^20[04] /);
    my ($method, $who, $image, $member, $body, $accept) = @$c;
    Test::More::is($n, $g, sprintf("%s by %s on %s/%s, body %s, Accept %s",
        $method, $who, $image, $member // '(members)',
        defined $body ? "'$body'" : 'none',
        @$accept ? join(' + ', @$accept) : 'none'));
}

my @who = ('p-owner', 'p-member', 'p-stranger', 'p-stranger:Admin',
           'p-owner:admin', 'nobody');

our @Matrix;
for my $who (@who) {
    for my $image (sort keys %Image) {
        push @Matrix, ['GET', $who, $image, undef, undef, []];
        for my $member (qw(p-member p-other p-nobody p-gone)) {
            push @Matrix, ['GET', $who, $image, $member, undef, []];
            push @Matrix, ['DELETE', $who, $image, $member, undef, []];
        }
        for my $member (qw(p-new p-member p-gone p-owner)) {
            push @Matrix, ['POST', $who, $image, undef,
                           qq/{"member": "$member"}/, []];
        }
    }
}

# the bodies Glance's deserializer reads, on each kind of answer
for my $body (undef, '', 'not json', '[]', '["p-x"]', '5', '"p-x"', 'null',
              '{}', '{"x": 1}', '{"member": ""}', '{"member": null}',
              '{"member": 0}', '{"member": false}', '{"member": []}',
              '{"member": {}}', '{"member": "p-x", "y": 2}')
{
    for my $where (['p-owner', 'shared'], ['p-member', 'shared'],
                   ['nobody', 'shared'], ['p-owner', 'missing'])
    {
        push @Matrix, ['POST', @$where, undef, $body, ['application/json']];
    }
}

# a body where none is expected; Accept variants; other methods
for my $accept ([], ['application/json'], ['text/html'], ['*/*']) {
    push @Matrix, ['GET', 'p-owner', 'shared', undef, '{}', $accept];
    push @Matrix, ['GET', 'p-owner', 'shared', 'p-member', 'x', $accept];
    push @Matrix, ['DELETE', 'p-owner', 'shared', 'p-member', '{}', $accept];
    push @Matrix, ['POST', 'p-owner', 'full', undef, '{"member": "p-new"}',
                   $accept];
    push @Matrix, ['POST', 'p-owner', 'shared', undef,
                   '{"member": "p-member"}', $accept];
    push @Matrix, ['GET', 'p-member', 'public', 'p-member', undef, $accept];
    push @Matrix, ['PATCH', 'p-owner', 'shared', undef, '{}', $accept];
    push @Matrix, ['POST', 'p-owner', 'shared', 'p-member', '{}', $accept];
}

fixtures();

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + @Matrix + 5;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";

    # this glance-api enforces its legacy policies
    ims_member_policy legacy;

    map $http_x_identity_status $ims_project {
        "~^[ \t]*Confirmed[ \t]*$"  $http_x_project_id;
        default                       "";
    }
_EOC_

    return if defined $block->config;

    $block->set_value("config", <<'_EOC_');
    location /v2/images/ {
        ims_member_project $ims_project;
        ims_member_roles   $http_x_roles;
        ims_member_errors  glance;
        ims_member_quota   3;
        ims_member_api;
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
GET /v2/images/b2000000-0000-4000-8000-000000000001/members
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 200
--- response_body_like: "member_id": "p-other"



=== TEST 2: what the module adds and removes, Glance lists; and back
--- init
main::fixtures();
my $port = ImsMember::Pg::nginx_port();
my $img = $main::Image{shared};
my @owner = ImsMember::Glance::identity('p-owner');
my $r = ImsMember::Glance::raw($port, 'POST', "/v2/images/$img/members",
                               \@owner, '{"member": "p-via-nginx"}');
$r = ImsMember::Glance::raw($main::G->{port}, 'GET', "/v2/images/$img/members",
                            \@owner, undef);
Test::More::like($r->{body}, qr/"member_id": "p-via-nginx"/,
                 "Glance lists the member the module added");
ImsMember::Glance::raw($main::G->{port}, 'DELETE',
                       "/v2/images/$img/members/p-via-nginx", \@owner, undef);
$r = ImsMember::Glance::raw($port, 'GET', "/v2/images/$img/members/p-via-nginx",
                            \@owner, undef);
Test::More::is($r->{status}, 404, "Glance removed it: the module finds none");
$r = ImsMember::Glance::raw($main::G->{port}, 'POST', "/v2/images/$img/members",
                            \@owner, '{"member": "p-via-glance"}');
Test::More::is($r->{status}, 200, "Glance adds a member");
$r = ImsMember::Glance::raw($port, 'DELETE',
                            "/v2/images/$img/members/p-via-glance", \@owner,
                            undef);
Test::More::is($r->{status}, 204, "the module removes the member Glance added");
$r = ImsMember::Glance::raw($main::G->{port}, 'GET', "/v2/images/$img/members",
                            \@owner, undef);
Test::More::unlike($r->{body}, qr/p-via-glance/, "and Glance no longer lists it");
--- request
GET /v2/images/b2000000-0000-4000-8000-000000000001/members/p-via-nginx
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
X-Roles: member
--- error_code: 404
--- response_body_like: p-via-nginx not found in the member list
