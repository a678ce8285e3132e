# Member events with Keystone's tokens (ims_member_keystone): each event
# names the Keystone user of the token (token.user.id) and its project,
# also when the token comes from the cache, on every path.  A file of its
# own: Keystone takes about 25 s to start.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Keystone;
use ImsMember::Events;
use Test::Nginx::Socket;

our $Image = 'c1000000-0000-4000-8000-000000000163';

our $KS = ImsMember::Keystone::start(
    users => {
        owner  => { project => 'owner' },
        member => { project => 'member' },
    });

our %P = %{ $KS->{projects} };
our %T = %{ $KS->{tokens} };

# the users' ids, as Keystone's token validation answers them
our %U;
for my $name ('owner', 'member') {
    my ($doc) = ImsMember::Keystone::api('GET', "/v3/users?name=$name",
                                         $KS->{admin});
    $U{$name} = $doc->{users}[0]{id};
}

$ENV{TEST_NGINX_KEYSTONE_PORT} = $KS->{port};

ImsMember::Pg::sql(
    "INSERT INTO images (id, name, status, created_at, deleted, owner,"
    . " visibility) VALUES ('$Image', 'keystone', 'active',"
    . " '2020-01-01 00:00:00', false, '$P{owner}', 'shared');"
    . " INSERT INTO image_members (image_id, member, can_share, status,"
    . " created_at, updated_at, deleted) VALUES ('$Image', '$P{member}',"
    . " false, 'pending', '2020-01-01 00:00:00', '2020-01-01 00:00:00',"
    . " false)");

repeat_each(1);

# a validation can take seconds on a loaded machine
timeout(40);

plan tests => repeat_each() * (blocks() * 2) + 11;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
    ims_member_timeout 5s;
    ims_member_keystone_cache zone=keystone:1m valid=5m;

    upstream keystone {
        server 127.0.0.1:$TEST_NGINX_KEYSTONE_PORT;
        keepalive 8;
    }
_EOC_

    $block->set_value("config", <<'_EOC_');
    ims_member_keystone /_keystone;

    location = /_keystone {
        internal;
        proxy_pass http://keystone/v3/auth/tokens;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_connect_timeout 2s;
        proxy_read_timeout 30s;
    }

    location /v2/images/ {
        ims_member_api;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_

    $block->set_value("request", "GET /v2/images/$Image/members");
    $block->set_value("more_headers", "X-Auth-Token: $T{owner}\n");
    $block->set_value("error_code", 200);
    $block->set_value("no_error_log", "[error]\n");
});

sub put {
    my ($status, $rid) = @_;
    return req('PUT', "/v2/images/$Image/members/$P{member}",
               qq/{"status": "$status"}/, 'X-Auth-Token' => $T{member},
               'X-Openstack-Request-Id' => $rid);
}

run_tests();

__DATA__

=== TEST 1: an update with a member's token: its user and project; from the cache too
--- init
my $base = main::last_event();
my ($st, undef, undef, $m) = main::put('accepted', 'req-ks-1');
Test::More::is($st, 200, "the member accepts");
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update', $m, $::P{member},
                               'req-ks-1', undef, $::U{member})],
                 "the event names the token's user and project");

# the same token again: from the cache, which keeps the user
$base = main::last_event();
my $asked = ImsMember::Keystone::requests();
($st, undef, undef, $m) = main::put('rejected', 'req-ks-2');
Test::More::is($st, 200, "the member rejects");
Test::More::is(ImsMember::Keystone::requests(), $asked,
               "  the token from the cache: Keystone not asked");
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update', $m, $::P{member},
                               'req-ks-2', undef, $::U{member})],
                 "  the event still names the user");



=== TEST 2: share and unshare with the owner's token: the owner's user
--- init
my $base = main::last_event();
my ($st, undef, undef, $m) = main::req('POST', "/v2/images/$::Image/members",
    '{"member": "p-ks-new"}', 'X-Auth-Token' => $::T{owner},
    'X-Openstack-Request-Id' => 'req-ks-share');
Test::More::is($st, 200, "shared");
($st) = main::req('DELETE', "/v2/images/$::Image/members/p-ks-new", '',
                  'X-Auth-Token' => $::T{owner},
                  'X-Openstack-Request-Id' => 'req-ks-unshare');
Test::More::is($st, 204, "unshared");
my @e = main::events_after($base);
Test::More::is(join(' ', map { "$_->{event_type}/$_->{project_id}/"
                               . ($_->{user_id} // 'NULL') . "/"
                               . $_->{request_id} } @e),
               "image.member.create/$::P{owner}/$::U{owner}/req-ks-share"
               . " image.member.delete/$::P{owner}/$::U{owner}/"
               . "req-ks-unshare",
               "each event names the owner's user and project");



=== TEST 3: an update job: the submitter's user, on each event of the job
--- init
my $base = main::last_event();
my ($id, $rid, $status) = main::run_job('PUT',
    qq/{"images": ["$::Image"], "project_id": "$::P{member}",/
    . ' "status": "accepted"}', 'X-Auth-Token' => $::T{member},
    'X-Openstack-Request-Id' => 'req-ks-job');
Test::More::is($status, 'SUCCESS', "the job ran");
main::events_are([main::events_after($base)],
                 [main::expect('image.member.update',
                               main::row($::Image, $::P{member}),
                               $::P{member}, 'req-ks-job', $id,
                               $::U{member})],
                 "its event names the submitter's user and project");
