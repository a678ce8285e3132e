# The OpenStack clients against the standalone module, unpinned: the
# python-glanceclient CLI without --os-image-api-version and openstacksdk
# with an unversioned endpoint find API v2 in the module's version
# document, then share, list and stop sharing as they do with Glance.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;
use File::Temp qw(tempdir);
use IPC::Run ();
use Cwd ();

repeat_each(1);

plan tests => blocks() * 3 + 12;

no_shuffle();

our $I = '11111111-1111-1111-1111-111111111111';

# A client command, with a home of its own (glanceclient caches schemas
# there): its output, and its exit code.
sub client {
    my @cmd = @_;
    my $home = tempdir(CLEANUP => 1);
    local $ENV{HOME} = $home;
    IPC::Run::run(\@cmd, '<', \undef, '>', \my $out, '2>&1',
                  IPC::Run::timeout(60));
    return ($out // '', $? >> 8);
}

sub glance {
    my ($token, @args) = @_;
    my ($out, $rc) = client('glance', '--os-image-url',
        'http://127.0.0.1:' . ImsMember::Pg::nginx_port(),
        '--os-auth-token', $token, @args);
    return ($out, $rc);
}

sub live {
    return ImsMember::Pg::sql("SELECT string_agg(member || ':' || status,"
        . " ',' ORDER BY id) FROM image_members WHERE image_id = '$I'"
        . " AND NOT deleted");
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /v2/images/ {
        ims_member_api;
    }

    location ^~ /v2/schemas/ {
        ims_member_schemas;
    }

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

=== TEST 1: glance member-create, member-list, member-update, member-delete
--- init
ImsMember::Pg::reset_fixtures();
my ($out, $rc) = main::glance('tok-owner', 'member-create', $main::I, 'p-cli');
Test::More::is($rc, 0, "member-create succeeded");
Test::More::like($out, qr/\| \Q$main::I\E \| p-cli +\| pending +\|/,
                 "member-create shows the new member, pending");
($out, $rc) = main::glance('tok-owner', 'member-list', '--image-id', $main::I);
Test::More::like($out, qr/p-member +\| pending .*p-cli +\| pending/s,
                 "member-list shows both members");
($out, $rc) = main::glance('tok-member', 'member-update', $main::I,
                           'p-member', 'accepted');
Test::More::like($out, qr/p-member +\| accepted/, "member-update accepts");
($out, $rc) = main::glance('tok-owner', 'member-delete', $main::I, 'p-cli');
Test::More::is($rc, 0, "member-delete succeeded");
Test::More::is(main::live(), 'p-member:accepted', "what the CLI did, in the rows");
($out, $rc) = main::glance('tok-member', 'member-create', $main::I, 'p-x');
Test::More::isnt($rc, 0, "a member cannot share: the CLI fails");
Test::More::like($out, qr/This operation can be performed only by the image owner\./,
                 "and says why");
--- request
GET /versions
--- error_code: 200
--- response_body_like: "id": "v2.15", "status": "CURRENT"
--- no_error_log
[error]



=== TEST 2: openstacksdk add_member, members, get_member, remove_member
--- init
my ($out, $rc) = main::client('/usr/bin/python3', Cwd::abs_path("t/lib/sdk_members.py"),
    'http://127.0.0.1:' . ImsMember::Pg::nginx_port(), 'tok-owner',
    $main::I, 'p-sdk');
Test::More::is($rc, 0, "the SDK calls succeeded") or Test::More::diag($out);
Test::More::is($out, "add_member p-sdk pending\nmembers p-member,p-sdk\n"
               . "get_member pending\nmembers p-member\n",
               "what the SDK saw");
Test::More::is(ImsMember::Pg::sql("SELECT deleted FROM image_members"
    . " WHERE image_id = '$main::I' AND member = 'p-sdk'"), 't',
    "p-sdk's row, soft deleted");
--- request
GET /
--- error_code: 300
--- response_body_like: "href": "http://localhost(:\d+)?/v2/"
--- no_error_log
[error]



=== TEST 3: the SDK raises on the 409 and the 403
--- init
my ($out, $rc) = main::client('/usr/bin/python3', '-c', <<'_PY_',
import sys, openstack
from openstack import exceptions
ep, image = sys.argv[1:3]
for token, member in (("tok-owner", "p-member"), ("tok-member", "p-y")):
    conn = openstack.connection.Connection(auth_type="admin_token",
        auth={"endpoint": ep, "token": token}, image_endpoint_override=ep)
    try:
        conn.image.add_member(image, member=member)
    except exceptions.HttpException as e:
        print(e.status_code)
_PY_
    'http://127.0.0.1:' . ImsMember::Pg::nginx_port(), $main::I);
Test::More::is($out, "409\n403\n",
               "409 and 403, as from Glance");
--- request
GET /v2/schemas/image
--- error_code: 200
--- response_body_like: ^\{"name": "image"
--- no_error_log
[error]
