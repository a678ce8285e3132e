# ims_member_api under concurrency: many clients adding one member, or
# filling an image's quota, at once, through two workers and their pools:
# never two live rows for a pair, never more live members than the quota,
# on the standalone schema and on Glance's, which has no unique index on
# live rows.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);
workers(2);
master_on();

plan tests => blocks() * 3 + 11;

no_shuffle();

our $N = 30;

# Sends every request at once, then reads every answer: the statuses.
sub burst {
    my @reqs = @_;
    my @s = map { ImsMember::Pg::http_send(@$_) } @reqs;
    my %count;
    $count{ (ImsMember::Pg::http_read($_))[0] }++ for @s;
    return \%count;
}

sub live {
    my ($image, $member) = @_;
    my $where = defined $member ? " AND member = '$member'" : '';
    return ImsMember::Pg::sql("SELECT count(*) FROM image_members WHERE"
                              . " image_id = '$image' AND NOT deleted$where");
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_pool 8;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /v2/images/ {
        ims_member_quota 10;
        ims_member_api;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-owner\n");
    }
});

run_tests();

__DATA__

=== TEST 1: 30 clients add the same member at once: one 200, the rest 409
--- init
ImsMember::Pg::reset_fixtures();
my $img = '77777777-7777-7777-7777-777777777777';
my $c = main::burst(map { ['POST', "/v2/images/$img/members",
                           '{"member": "p-race"}', 'X-Auth-Token' => 'tok-owner'] }
                        1 .. $main::N);
Test::More::is($c->{200}, 1, "one client added it");
Test::More::is($c->{409}, $main::N - 1, "the others were told it is there");
Test::More::is(main::live($img, 'p-race'), 1, "one live row");
--- request
GET /v2/images/77777777-7777-7777-7777-777777777777/members/p-race
--- error_code: 200
--- response_body_like: "member_id": "p-race"
--- no_error_log
[error]



=== TEST 2: 30 clients fill a quota of 10 at once: never more than 10
--- init
my $img = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
my $before = main::live($img);
my $c = main::burst(map { ['POST', "/v2/images/$img/members",
                           qq/{"member": "p-fill-$_"}/, 'X-Auth-Token' => 'tok-owner'] }
                        1 .. $main::N);
Test::More::is($c->{200}, 10 - $before, "as many added as the quota left");
Test::More::is($c->{413}, $main::N - 10 + $before, "the others: 413");
Test::More::is(main::live($img), 10, "10 live members");
--- request
POST /v2/images/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/members
{"member": "p-one-more"}
--- error_code: 413
--- response_body_like: "IMG.0088"
--- no_error_log
[error]



=== TEST 3: adds and removes of one member race: at most one live row
--- init
my $img = '11111111-1111-1111-1111-111111111111';
my $c = main::burst(map { $_ % 2
    ? ['POST', "/v2/images/$img/members", '{"member": "p-flip"}',
       'X-Auth-Token' => 'tok-owner']
    : ['DELETE', "/v2/images/$img/members/p-flip", '',
       'X-Auth-Token' => 'tok-owner'] } 1 .. $main::N);
Test::More::is(($c->{200} // 0) + ($c->{409} // 0) + ($c->{204} // 0)
               + ($c->{404} // 0), $main::N, "each answered 200, 409, 204 or 404");
Test::More::ok(main::live($img, 'p-flip') <= 1, "at most one live row");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM image_members"
    . " WHERE image_id = '$img' AND member = 'p-flip' AND deleted"
    . " GROUP BY deleted_at HAVING count(*) > 1"), '',
    "Glance's key (image, member, deleted_at) held");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members
--- error_code: 200
--- response_body_like: "schema": "/v2/schemas/members"
--- no_error_log
[error]



=== TEST 4: Glance's schema, no unique index on live rows: still one
--- init
ImsMember::Pg::sql("DROP INDEX ims_image_members_live_key");
my $img = '77777777-7777-7777-7777-777777777777';
my $c = main::burst(map { ['POST', "/v2/images/$img/members",
                           '{"member": "p-race-2"}', 'X-Auth-Token' => 'tok-owner'] }
                        1 .. $main::N);
Test::More::is($c->{200}, 1, "one client added it");
Test::More::is(main::live($img, 'p-race-2'), 1, "one live row");
ImsMember::Pg::sql("CREATE UNIQUE INDEX ims_image_members_live_key"
    . " ON image_members (image_id, member) WHERE deleted = false");
--- request
GET /v2/images/77777777-7777-7777-7777-777777777777/members/p-race-2
--- error_code: 200
--- response_body_like: "member_id": "p-race-2"
--- no_error_log
[error]
