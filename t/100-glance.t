# In front of a real glance-api (Debian's 25.1): the module answers the
# member update on Glance's own database (made by glance-manage db_sync),
# nginx hands everything else to Glance, and the identity comes from
# Glance's headers through the README's map.  Each case goes once
# straight to glance-api and once through nginx; the status codes must be
# the same, and each sees what the other wrote.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Glance;
use Test::Nginx::Socket;
use HTTP::Tiny;

our $G = ImsMember::Glance::start();

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};

our %Image = (
    shared    => 'a1000000-0000-4000-8000-000000000001',
    private   => 'a1000000-0000-4000-8000-000000000002',
    public    => 'a1000000-0000-4000-8000-000000000003',
    community => 'a1000000-0000-4000-8000-000000000004',
    deleted   => 'a1000000-0000-4000-8000-000000000005',
    missing   => 'a1000000-0000-4000-8000-000000000006',
);

# Glance's own rows: an owner's images of every visibility, each with the
# members p-member and p-other
sub fixtures {
    my @sql = ("DELETE FROM image_members", "DELETE FROM images");
    for my $v (qw(shared private public community deleted)) {
        my $deleted = $v eq 'deleted' ? 'true' : 'false';
        my $vis = $v eq 'deleted' ? 'shared' : $v;
        push @sql, "INSERT INTO images (id, name, status, created_at,"
                   . " deleted, owner, visibility, os_hidden, protected,"
                   . " min_disk, min_ram) VALUES ('$Image{$v}', '$v',"
                   . " 'active', '2020-01-01 00:00:00', $deleted, 'p-owner',"
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

sub send_to {
    my ($url, $who, $image, $member, $body) = @_;
    my %h = ('Content-Type' => 'application/json');
    if ($who eq 'nobody') {
        %h = (%h, 'X-Identity-Status' => 'Invalid',
              'X-Project-Id' => 'p-member');
    } else {
        my ($project, $roles) = split /:/, $who;
        %h = (%h, 'X-Identity-Status' => 'Confirmed',
              'X-Project-Id' => $project, 'X-Roles' => $roles || 'member');
    }
    my $r = HTTP::Tiny->new(timeout => 30)->request('PUT',
        "$url/v2/images/$Image{$image}/members/$member",
        { headers => \%h, content => $body });
    return $r->{status};
}

fixtures();

repeat_each(1);

plan tests => repeat_each() * (blocks() * 2) + 21;

no_shuffle();

# the README's recipe in front of an existing Glance
add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";

    map $http_x_identity_status $ims_project {
        Confirmed  $http_x_project_id;
        default    "";
    }

    upstream glance {
        server 127.0.0.1:$TEST_NGINX_GLANCE_PORT;
    }
_EOC_

    $block->set_value("config", <<'_EOC_');
    location ~ ^/v2/images/[^/]+/members/[^/]+$ {
        ims_member_project $ims_project;
        ims_member_roles   $http_x_roles;
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

=== TEST 1: every case answers with Glance's status code, straight or through nginx
--- init
my $glance = $::G->{url};
my $nginx = 'http://127.0.0.1:' . ImsMember::Pg::nginx_port();
my $ok = '{"status": "accepted"}';
# (a status that is not one of the three, on an image or member that
# fails its own check, is the one known difference: Glance looks the
# image and member up first; ims_member_errors glance is to follow it)
my @cases = (
    # who, image, member, body, Glance's status
    ['p-member', 'shared', 'p-member', $ok, 200],
    ['p-member', 'shared', 'p-member', '{"status": "rejected"}', 200],
    ['p-member', 'shared', 'p-member', '{"status": "bogus"}', 400],
    ['p-member', 'shared', 'p-member', '{}', 400],
    ['p-member', 'shared', 'p-member', '[]', 400],
    ['p-member', 'shared', 'p-member', 'not json', 400],
    ['p-member', 'shared', 'p-other', $ok, 404],
    ['p-member', 'shared', 'p-nobody', $ok, 404],
    ['p-member', 'private', 'p-member', $ok, 404],
    ['p-member', 'public', 'p-member', $ok, 403],
    ['p-member', 'community', 'p-member', $ok, 403],
    ['p-member', 'deleted', 'p-member', $ok, 404],
    ['p-member', 'missing', 'p-member', $ok, 404],
    ['p-owner', 'shared', 'p-member', $ok, 403],
    ['p-owner', 'private', 'p-member', $ok, 403],
    ['p-stranger', 'shared', 'p-member', $ok, 404],
    ['p-stranger:Admin', 'shared', 'p-member', $ok, 200],
    ['p-stranger:admin', 'shared', 'p-other', '{"status": "rejected"}', 200],
    ['p-stranger:admin', 'shared', 'p-nobody', $ok, 404],
    ['nobody', 'shared', 'p-member', $ok, 401],
);
for my $c (@cases) {
    my ($who, $image, $member, $body, $want) = @$c;
    main::fixtures();
    my $g = main::send_to($glance, $who, $image, $member, $body);
    main::fixtures();
    my $n = main::send_to($nginx, $who, $image, $member, $body);
    Test::More::is("$g $n", "$want $want",
                   "$who on $image/$member with $body: Glance, module");
}
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
my $nginx = 'http://127.0.0.1:' . ImsMember::Pg::nginx_port();
Test::More::is(main::send_to($nginx, 'p-member', 'shared', 'p-member',
                             '{"status": "accepted"}'), 200,
               "the member accepts through the module");
--- request
GET /v2/images/a1000000-0000-4000-8000-000000000001/members/p-member
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 200
--- response_body_like: "status": "accepted"
