# IMS's sharing rules: on the v2 share (ims_member_api) under
# "ims_member_errors ims", and on every batch add job: a gold or public
# image is refused as public, the owner's own project, a full-ECS image
# without a backup, the member limits of ims_member_share_quota (256 and
# 10 by default) and of ims_member_quota when it is set; what the member
# API shows and does afterwards; Glance's rules only under
# "ims_member_errors glance"; the limit under concurrency; nginx -t.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);
workers(2);
master_on();

plan tests => 372;

no_shuffle();

our $I1 = '11111111-1111-1111-1111-111111111111';
our $I2 = '22222222-2222-2222-2222-222222222222';
our $I3 = '33333333-3333-3333-3333-333333333333';
our $I5 = '55555555-5555-5555-5555-555555555555';
our $I7 = '77777777-7777-7777-7777-777777777777';
our $I8 = '88888888-8888-8888-8888-888888888888';
our $I9 = '99999999-9999-9999-9999-999999999999';

# the images of this file, all of p-owner, all shared
our $G    = 'c0000000-0000-4000-8000-000000000001';   # __imagetype gold
our $GX   = 'c0000000-0000-4000-8000-000000000002';   # __imagetype Gold
our $W0   = 'c0000000-0000-4000-8000-000000000003';   # whole, no backup id
our $WX   = 'c0000000-0000-4000-8000-000000000004';   # __whole_image True
our $GD   = 'c0000000-0000-4000-8000-000000000005';   # gold, deleted
our $WD   = 'c0000000-0000-4000-8000-000000000006';   # backup id deleted
our $D256 = 'c0000000-0000-4000-8000-000000000010';   # 255 live members
our $F10  = 'c0000000-0000-4000-8000-000000000011';   # whole, 9 live
our $FC   = 'c0000000-0000-4000-8000-000000000012';   # whole, none
our $D250 = 'c0000000-0000-4000-8000-000000000013';   # 250 live
our $G128 = 'c0000000-0000-4000-8000-000000000014';   # 127 live
our $Q    = 'c0000000-0000-4000-8000-000000000015';   # 1 live
our $FQ   = 'c0000000-0000-4000-8000-000000000016';   # whole, 1 live

our %NAME = ($I1 => '1', $I2 => '2', $I3 => '3', $I5 => '5', $I7 => '7',
             $I8 => '8', $I9 => '9', $G => 'G', $GX => 'GX', $W0 => 'W0',
             $WX => 'WX', $GD => 'GD', $WD => 'WD', $D256 => 'D256', $F10 => 'F10', $FC => 'FC',
             $D250 => 'D250', $G128 => 'G128', $Q => 'Q', $FQ => 'FQ');

our %MSG = (
    'IMG.0027' => 'The image ID in the request does not exist.',
    'IMG.0047' => 'This operation can be performed only by the image owner.',
    'IMG.0076' => 'You cannot share an image with yourself.',
    'IMG.0083' => 'The image is a public image.',
    'IMG.0084' => 'The image is a private image.',
    'IMG.0088' => 'The number of shared images has reached the maximum allowed.',
    'IMG.0089' => 'The public image cannot be shared.',
    'IMG.0135' => 'The full-ECS image cannot be shared.',
    'IMG.9005' => 'This project is not a live member of the image, or not'
                  . ' one your project may see or change.',
    'IMG.9006' => 'This project is already a member of the image.',
    'IMG.9011' => 'The image is a community image: only shared images have'
                  . ' members.',
);

our %TOK = (owner => 'X-Auth-Token: tok-owner',
            member => 'X-Auth-Token: tok-member',
            other => 'X-Auth-Token: tok-other',
            admin => 'X-Auth-Token: tok-admin');

# An IMS error body.
sub err {
    my $code = shift;
    return qq/{"error": {"code": "$code", "message": "$MSG{$code}"}}/;
}

# A v2 share as a request of a block.
sub share {
    my ($image, $member) = @_;
    return "POST /v2/images/$image/members\n{\"member\": \"$member\"}";
}

sub live {
    my ($image, $member) = @_;
    my $where = defined $member ? " AND member = '$member'" : '';
    return ImsMember::Pg::sql("SELECT count(*) FROM image_members WHERE"
                              . " image_id = '$image' AND NOT deleted$where");
}

# Every member row of some images, as it is: a refusal must leave it so.
sub rows {
    my $in = join ', ', map { "'$_'" } @_;
    return ImsMember::Pg::sql("SELECT count(*) || ' ' || coalesce(md5("
        . "string_agg(concat_ws('/', id, image_id, member, can_share, status,"
        . " created_at, updated_at, deleted_at, deleted), ' ' ORDER BY id)),"
        . " '') FROM image_members WHERE image_id IN ($in)");
}

# The images of this file, their properties and their members.
sub fixtures {
    my @img = ([$G, 'gold'], [$GX, 'Gold'], [$W0, 'whole, no backup id'],
               [$WX, 'True'], [$GD, 'gold, deleted'],
               [$WD, 'whole, backup id deleted'], [$D256, 'disk 255'], [$F10, 'whole 9'],
               [$FC, 'whole 0'], [$D250, 'disk 250'], [$G128, 'disk 127'],
               [$Q, 'disk 1'], [$FQ, 'whole 1']);
    ImsMember::Pg::sql("INSERT INTO images (id, name, status, created_at,"
        . " deleted, owner, visibility) VALUES "
        . join(', ', map { "('$_->[0]', '$_->[1]', 'active',"
                           . " '2020-01-01 00:00:00', false, 'p-owner',"
                           . " 'shared')" } @img));

    # a deleted property is no property
    my @prop = ([$G, '__imagetype', 'gold'], [$GX, '__imagetype', 'Gold'],
                [$W0, '__whole_image', 'true'],
                [$WX, '__whole_image', 'True'],
                [$GD, '__imagetype', 'gold', 'true'],
                [$WD, '__whole_image', 'true'],
                [$WD, '__backup_id', 'b-4', 'true'],
                [$F10, '__whole_image', 'true'], [$F10, '__backup_id', 'b-1'],
                [$FC, '__whole_image', 'true'], [$FC, '__backup_id', 'b-2'],
                [$FQ, '__whole_image', 'true'], [$FQ, '__backup_id', 'b-3']);
    ImsMember::Pg::sql("INSERT INTO image_properties (image_id, name, value,"
        . " created_at, deleted) VALUES "
        . join(', ', map { "('$_->[0]', '$_->[1]', '$_->[2]',"
                           . " '2020-01-01 00:00:00', " . ($_->[3] // 'false')
                           . ")" } @prop));

    # live members, and deleted ones that count for nothing
    my @fill = ([$G, 1, 'p-member'], [$W0, 1, 'p-member'],
                [$D256, 255], [$F10, 9], [$D250, 250], [$G128, 127],
                [$Q, 1, 'p-member'], [$FQ, 1, 'p-member']);
    for my $f (@fill) {
        my ($image, $n, $member) = @$f;
        my $name = defined $member ? "'$member'" : "'p-fill-' || i";
        ImsMember::Pg::sql("INSERT INTO image_members (image_id, member,"
            . " can_share, status, created_at, updated_at, deleted_at,"
            . " deleted) SELECT '$image', $name, false, 'pending',"
            . " '2020-01-01 00:00:00', NULL, NULL, false"
            . " FROM generate_series(1, $n) i");
    }
    for my $image ($D256, $F10, $G128, $Q, $FQ) {
        ImsMember::Pg::sql("INSERT INTO image_members (image_id, member,"
            . " can_share, status, created_at, updated_at, deleted_at,"
            . " deleted) SELECT '$image', 'p-dead-' || i, false, 'pending',"
            . " '2020-01-01 00:00:00', NULL, '2020-01-03 00:00:00', true"
            . " FROM generate_series(1, 5) i");
    }
}

# Sends every request at once, then reads every answer: the statuses.
sub burst {
    my @reqs = @_;
    my @s = map { ImsMember::Pg::http_send(@$_) } @reqs;
    my %count;
    $count{ (ImsMember::Pg::http_read($_))[0] }++ for @s;
    return \%count;
}

# Submits a batch and waits (bounded) for its job's end: the job's answer.
sub run_job {
    my ($body, $token, $project, $want) = @_;
    my ($status, $answer) = ImsMember::Pg::http('POST',
        '/v1/cloudimages/members', $body, 'X-Auth-Token' => $token);
    Test::More::is($status, 200, "add job submitted");
    my ($id) = $answer =~ /"job_id": "([0-9a-f]{32})"/;
    Test::More::is($id ? ImsMember::Pg::wait_job($id) : '', $want // 'FAIL',
                   "add job ended");
    return '' unless $id;
    (undef, $answer) = ImsMember::Pg::http('GET', "/v1/$project/jobs/$id",
                                           '', 'X-Auth-Token' => $token);
    return $answer;
}

sub job_body {
    my ($images, $projects) = @_;
    return '{"images": [' . join(', ', map { qq/"$_"/ } @$images)
           . '], "projects": [' . join(', ', map { qq/"$_"/ } @$projects)
           . ']}';
}

# A job's results: "image/project/SUCCESS or code", in the job's order.
sub results {
    my $answer = shift;
    my @r;
    while ($answer =~ /\{"image_id": "([^"]+)", "project_id": "([^"]+)", "status": "(\w+)"(?:, "error_code": "([^"]+)")?\}/g) {
        push @r, ($NAME{$1} // $1) . "/$2/" . ($4 // $3);
    }
    return join ' ', @r;
}

# What became of one image's pairs, whatever order they ran in:
# "code xN" sorted.
sub outcome {
    my ($answer, $image) = @_;
    my %n;
    $n{ (split m{/}, $_)[2] }++
        for grep { m{^\Q$image\E/} } split / /, results($answer);
    return join ' ', map { "$_ x$n{$_}" } sort keys %n;
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 100ms;
    ims_member_batch_max 50;
    ims_member_pool 8;
_EOC_
    }

    # the locations, after what a block sets at the server level
    my $config = $block->config // '';
    if ($config !~ /\blocation\b/) {
        $block->set_value("config", $config . <<'_EOC_');
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
    }
});

run_tests();

__DATA__

=== TEST 1: gold and public images are refused as public: 403, before the owner rule
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
main::fixtures();
$main::rows = main::rows($main::G, $main::I3);
--- request eval
[main::share($main::G, 'p-new'), main::share($main::G, 'p-new'),
 main::share($main::G, 'p-new'), main::share($main::I3, 'p-new'),
 main::share($main::I3, 'p-new'), main::share($main::I3, 'p-owner')]
--- more_headers eval
[@main::TOK{qw(owner member admin owner member owner)}]
--- error_code eval
[(403) x 6]
--- response_body eval
[(main::err('IMG.0089')) x 6]
--- no_error_log
[error]



=== TEST 2: refused, nothing changed; private, community, unseen images
--- init
Test::More::is(main::rows($main::G, $main::I3), $main::rows,
               "the refusals changed no member row");
$main::rows = main::rows($main::I2, $main::I8, $main::G);
--- request eval
[main::share($main::I2, 'p-new'), main::share($main::I8, 'p-new'),
 main::share($main::I2, 'p-new'), main::share($main::G, 'p-new')]
--- more_headers eval
[@main::TOK{qw(owner owner other other)}]
--- error_code eval
[403, 403, 404, 404]
--- response_body eval
[main::err('IMG.0084'), main::err('IMG.9011'), main::err('IMG.0027'),
 main::err('IMG.0027')]
--- no_error_log
[error]



=== TEST 3: "Gold" is not "gold", "True" not "true", a deleted property none: shared
--- init
Test::More::is(main::rows($main::I2, $main::I8, $main::G), $main::rows,
               "the refusals changed no member row");
--- request eval
[main::share($main::GX, 'p-new'), main::share($main::WX, 'p-new'),
 main::share($main::GD, 'p-new')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"status": "pending", .*"image_id": "$main::GX", "member_id": "p-new", /,
 qr/^\{"status": "pending", .*"image_id": "$main::WX", "member_id": "p-new", /,
 qr/^\{"status": "pending", .*"image_id": "$main::GD", "member_id": "p-new", /]
--- no_error_log
[error]



=== TEST 4: the owner's own project: 400, for an administrator too; a non-owner's 403 first
--- init
Test::More::is(main::live($main::GX, 'p-new') . main::live($main::WX, 'p-new')
               . main::live($main::GD, 'p-new'), '111', "the three shared");
$main::rows = main::rows($main::I1, $main::I7, $main::I9, $main::W0);
--- request eval
[main::share($main::I1, 'p-owner'), main::share($main::I7, 'p-owner'),
 main::share($main::I1, 'p-owner'), main::share($main::I9, 'p-owner'),
 main::share($main::W0, 'p-owner')]
--- more_headers eval
[@main::TOK{qw(owner admin member owner owner)}]
--- error_code eval
[400, 400, 403, 400, 400]
--- response_body eval
[main::err('IMG.0076'), main::err('IMG.0076'), main::err('IMG.0047'),
 main::err('IMG.0076'), main::err('IMG.0076')]
--- no_error_log
[error]



=== TEST 5: a full-ECS image without a backup id: 400, before the duplicate
--- init
Test::More::is(main::rows($main::I1, $main::I7, $main::I9, $main::W0),
               $main::rows, "the refusals changed no member row");
$main::rows = main::rows($main::I9, $main::W0, $main::WD);
--- request eval
[main::share($main::I9, 'p-new'), main::share($main::W0, 'p-new'),
 main::share($main::I9, 'p-member'), main::share($main::W0, 'p-member'),
 main::share($main::W0, 'p-new'), main::share($main::WD, 'p-new')]
--- more_headers eval
[@main::TOK{qw(owner owner owner owner admin owner)}]
--- error_code eval
[(400) x 6]
--- response_body eval
[(main::err('IMG.0135')) x 6]
--- no_error_log
[error]



=== TEST 6: a full-ECS image from a backup is shared; an administrator's own project may be a member
--- init
Test::More::is(main::rows($main::I9, $main::W0, $main::WD), $main::rows,
               "the refusals changed no member row");
--- request eval
[main::share($main::I5, 'p-new'), main::share($main::I7, 'p-admin'),
 main::share($main::I5, 'p-member')]
--- more_headers eval
[@main::TOK{qw(owner admin owner)}]
--- error_code eval
[200, 200, 409]
--- response_body_like eval
["\"image_id\": \"$main::I5\", \"member_id\": \"p-new\", ",
 "\"image_id\": \"$main::I7\", \"member_id\": \"p-admin\", ",
 quotemeta(main::err('IMG.9006'))]
--- no_error_log
[error]



=== TEST 7: a disk image takes 256 live members, not Glance's 128; then 413, before the duplicate
--- init
Test::More::is(main::live($main::D256), 255, "255 live members");
--- request eval
[main::share($main::D256, 'p-256'), main::share($main::D256, 'p-257'),
 main::share($main::D256, 'p-fill-1'), main::share($main::D256, 'p-257')]
--- more_headers eval
[@main::TOK{qw(owner owner owner admin)}]
--- error_code eval
[200, 413, 413, 413]
--- response_body_like eval
['^\{"status": "pending", .*"member_id": "p-256", ',
 (quotemeta(main::err('IMG.0088'))) x 3]
--- no_error_log
[error]



=== TEST 8: a full-ECS image from a backup takes 10
--- init
Test::More::is(main::live($main::D256), 256, "256 live members, no more");
Test::More::is(main::live($main::F10), 9, "9 live members");
--- request eval
[main::share($main::F10, 'p-10'), main::share($main::F10, 'p-11'),
 main::share($main::F10, 'p-fill-1')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[200, 413, 413]
--- response_body_like eval
['"member_id": "p-10"', (quotemeta(main::err('IMG.0088'))) x 2]
--- no_error_log
[error]



=== TEST 9: no refused member is there for the member API
--- init
Test::More::is(main::live($main::F10), 10, "10 live members, no more");
Test::More::is(main::live($main::D256, 'p-257') . main::live($main::F10, 'p-11')
               . main::live($main::G) . main::live($main::I9)
               . main::live($main::I1, 'p-owner'), '00110',
               "no refused member was added");
--- request eval
["GET /v2/images/$main::G/members",
 "GET /v2/images/$main::G/members/p-new",
 "GET /v2/images/$main::D256/members/p-257",
 "GET /v2/images/$main::F10/members/p-11",
 "GET /v2/images/$main::I1/members/p-owner",
 "GET /v2/images/$main::I9/members/p-new",
 "GET /v2/images/$main::W0/members/p-owner"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[200, (404) x 6]
--- response_body_like eval
["^\\{\"members\": \\[\\{\"status\": \"pending\", [^}]*\"image_id\": \"$main::G\", \"member_id\": \"p-member\", \"schema\": \"/v2/schemas/member\"\\}\\], \"schema\": \"/v2/schemas/members\"\\}\$",
 (quotemeta(main::err('IMG.9005'))) x 6]
--- no_error_log
[error]



=== TEST 10: the rules are about sharing: a member accepts a gold or backup-less image, the owner removes it
--- request eval
["PUT /v2/images/$main::G/members/p-member\n{\"status\": \"accepted\"}",
 "PUT /v2/images/$main::I9/members/p-member\n{\"status\": \"accepted\"}",
 "DELETE /v2/images/$main::G/members/p-member",
 "DELETE /v2/images/$main::I9/members/p-member",
 "GET /v2/images/$main::G/members"]
--- more_headers eval
[@main::TOK{qw(member member owner owner owner)}]
--- error_code eval
[200, 200, 204, 204, 200]
--- response_body_like eval
['^\{"status": "accepted", .*"member_id": "p-member"',
 '^\{"status": "accepted", .*"member_id": "p-member"', '^$', '^$',
 '^\{"members": \[\], "schema": "/v2/schemas/members"\}$']
--- no_error_log
[error]



=== TEST 11: public and private images have no members: their own codes
--- init
$main::rows = main::rows($main::I2, $main::I3);
--- request eval
["GET /v2/images/$main::I3/members",
 "GET /v2/images/$main::I3/members/p-member",
 "PUT /v2/images/$main::I3/members/p-member\n{\"status\": \"accepted\"}",
 "DELETE /v2/images/$main::I3/members/p-member",
 "GET /v2/images/$main::I2/members",
 "GET /v2/images/$main::I2/members/p-member",
 "DELETE /v2/images/$main::I2/members/p-member"]
--- more_headers eval
[@main::TOK{qw(owner member member owner owner owner owner)}]
--- error_code eval
[403, 404, 403, 403, 403, 404, 403]
--- response_body eval
[(main::err('IMG.0083')) x 4, (main::err('IMG.0084')) x 3]
--- no_error_log
[error]



=== TEST 12: a place freed under a limit takes one new member, no more
--- init
Test::More::is(main::rows($main::I2, $main::I3), $main::rows,
               "the refusals changed no member row");
--- request eval
["DELETE /v2/images/$main::D256/members/p-fill-1",
 main::share($main::D256, 'p-257'), main::share($main::D256, 'p-258'),
 "DELETE /v2/images/$main::F10/members/p-fill-1",
 main::share($main::F10, 'p-11'), main::share($main::F10, 'p-12')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[204, 200, 413, 204, 200, 413]
--- response_body_like eval
['^$', '"member_id": "p-257"', '"IMG.0088"',
 '^$', '"member_id": "p-11"', '"IMG.0088"']
--- no_error_log
[error]



=== TEST 13: ims_member_share_quota 3 2: the smaller limits
--- init
Test::More::is(main::live($main::D256) . ' ' . main::live($main::F10),
               '256 10', "at the limits");
--- config
    ims_member_share_quota 3 2;
--- request eval
[main::share($main::Q, 'p-q2'), main::share($main::Q, 'p-q3'),
 main::share($main::Q, 'p-q4'), main::share($main::FQ, 'p-q2'),
 main::share($main::FQ, 'p-q3'), main::share($main::FQ, 'p-member')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[200, 200, 413, 200, 413, 413]
--- response_body_like eval
['"member_id": "p-q2"', '"member_id": "p-q3"', '"IMG.0088"',
 '"member_id": "p-q2"', '"IMG.0088"', '"IMG.0088"']
--- no_error_log
[error]



=== TEST 14: "off off": no limit of either kind (and no ims_member_quota unless set)
--- init
Test::More::is(main::live($main::Q) . ' ' . main::live($main::FQ), '3 2',
               "3 and 2 live members");
--- config
    ims_member_share_quota off off;
--- request eval
[main::share($main::D256, 'p-off'), main::share($main::F10, 'p-off'),
 main::share($main::Q, 'p-off'), main::share($main::FQ, 'p-off')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[('"member_id": "p-off"') x 4]
--- no_error_log
[error]



=== TEST 15: "256 off": each number on its own, set in http
--- init
Test::More::is(main::live($main::D256) . ' ' . main::live($main::F10),
               '257 11', "over the default limits");
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_share_quota 256 off;
--- request eval
[main::share($main::D256, 'p-x'), main::share($main::F10, 'p-x')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[413, 200]
--- response_body_like eval
['"IMG.0088"', '"member_id": "p-x"']
--- no_error_log
[error]



=== TEST 16: ims_member_quota set explicitly applies in ims mode too, with IMS's code
--- init
Test::More::is(main::live($main::I7) . ' ' . main::live($main::I1), '2 1',
               "2 and 1 live members");
--- config
    location /v2/images/ {
        ims_member_quota 2;
        ims_member_api;
    }
--- request eval
[main::share($main::I7, 'p-q'), main::share($main::I1, 'p-q'),
 main::share($main::I1, 'p-q2'), main::share($main::FQ, 'p-q')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[413, 200, 413, 413]
--- response_body_like eval
[quotemeta(main::err('IMG.0088')), '"member_id": "p-q"',
 quotemeta(main::err('IMG.0088')), quotemeta(main::err('IMG.0088'))]
--- no_error_log
[error]



=== TEST 17: both limits apply: the smaller decides
--- init
Test::More::is(main::live($main::I1), 2, "2 live members");
--- config
    ims_member_quota 100;
    ims_member_share_quota 3 2;
--- request eval
[main::share($main::I1, 'p-r'), main::share($main::I1, 'p-r2'),
 main::share($main::G128, 'p-r')]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[200, 413, 413]
--- response_body_like eval
['"member_id": "p-r"', '"IMG.0088"', '"IMG.0088"']
--- no_error_log
[error]



=== TEST 18: Glance's errors: Glance's rules only, ims_member_quota (128) the one limit
--- init
Test::More::is(main::live($main::G128) . ' ' . main::live($main::Q), '127 4',
               "127 and 4 live members");
--- config
    ims_member_errors glance;
    ims_member_share_quota 3 2;
--- request eval
[main::share($main::G, 'p-glance'), main::share($main::I1, 'p-owner'),
 main::share($main::I9, 'p-glance'), main::share($main::W0, 'p-glance'),
 main::share($main::F10, 'p-glance'), main::share($main::Q, 'p-glance'),
 main::share($main::G128, 'p-128'), main::share($main::G128, 'p-129'),
 main::share($main::D256, 'p-glance')]
--- more_headers
X-Auth-Token: tok-owner
Accept: application/json
--- error_code eval
[(200) x 7, 413, 413]
--- response_body_like eval
['^\{"member_id": "p-glance", ', '^\{"member_id": "p-owner", ',
 ('^\{"member_id": "p-glance", ') x 4, '^\{"member_id": "p-128", ',
 quotemeta(qq/{"message": "Image member limit exceeded for image $main::G128: The limit has been exceeded on the number of allowed image members for this image. Attempted: 129, Maximum: 128:<br \/><br \/>\\n\\n\\n", "code": "413 Request Entity Too Large", "title": "Request Entity Too Large"}/),
 qr/^\{"message": "Image member limit exceeded for image $main::D256: .* Attempted: \d+, Maximum: 128:/]
--- no_error_log
[error]



=== TEST 19: what Glance's rules let in is there
--- init
Test::More::is(join(' ', map { main::live($_, 'p-glance') }
                    $main::G, $main::I9, $main::W0, $main::F10, $main::Q,
                    $main::D256), '1 1 1 1 1 0', "the members Glance allows");
Test::More::is(main::live($main::G128), 128, "128 live members");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-owner
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: ^\{"status": "pending", .*"member_id": "p-owner",
--- no_error_log
[error]



=== TEST 20: 30 concurrent shares of a full-ECS image: never more than 10
--- init
my $c = main::burst(map { ['POST', "/v2/images/$main::FC/members",
                           qq/{"member": "p-race-$_"}/,
                           'X-Auth-Token' => 'tok-owner'] } 1 .. 30);
Test::More::is($c->{200}, 10, "10 shared");
Test::More::is($c->{413}, 20, "the others: 413");
Test::More::is(main::live($main::FC), 10, "10 live members");
$c = main::burst(map { ['POST', "/v2/images/$main::D250/members",
                        qq/{"member": "p-race-$_"}/,
                        'X-Auth-Token' => 'tok-owner'] } 1 .. 30);
Test::More::is($c->{200}, 6, "6 shared");
Test::More::is($c->{413}, 24, "the others: 413");
Test::More::is(main::live($main::D250), 256, "256 live members");
--- request
POST /v2/images/c0000000-0000-4000-8000-000000000012/members
{"member": "p-one-more"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 413
--- response_body eval
main::err('IMG.0088')
--- no_error_log
[error]



=== TEST 21: an add job: each pair under IMS's rules, the single share's codes
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");
main::fixtures();
$main::rows = main::rows($main::G, $main::I3, $main::I2, $main::I9,
                         $main::W0, $main::I8);
my $answer = main::run_job(main::job_body(
    [$main::G, $main::I3, $main::I2, $main::I9, $main::W0, $main::I5,
     $main::I7, $main::I8], ['p-owner', 'p-job', 'p-member']),
    'tok-owner', 'p-owner');
Test::More::like($answer, qr/^\{"status": "FAIL", "job_id": "[0-9a-f]{32}", "job_type": "imsAddImageMembersJob", .*"error_code": "IMG.0089", "fail_reason": "The public image cannot be shared.", "entities": \{"results": \[/,
                 "failed on its first failure");
Test::More::is(main::results($answer),
    'G/p-owner/IMG.0089 G/p-job/IMG.0089 G/p-member/IMG.0089'
    . ' 3/p-owner/IMG.0089 3/p-job/IMG.0089 3/p-member/IMG.0089'
    . ' 2/p-owner/IMG.0084 2/p-job/IMG.0084 2/p-member/IMG.0084'
    . ' 9/p-owner/IMG.0076 9/p-job/IMG.0135 9/p-member/IMG.0135'
    . ' W0/p-owner/IMG.0076 W0/p-job/IMG.0135 W0/p-member/IMG.0135'
    . ' 5/p-owner/IMG.0076 5/p-job/SUCCESS 5/p-member/IMG.9006'
    . ' 7/p-owner/IMG.0076 7/p-job/SUCCESS 7/p-member/IMG.9006'
    . ' 8/p-owner/IMG.9011 8/p-job/IMG.9011 8/p-member/IMG.9011',
    "each pair checked as a single share under IMS's rules");
Test::More::is(main::rows($main::G, $main::I3, $main::I2, $main::I9,
                          $main::W0, $main::I8), $main::rows,
               "the refused pairs changed no member row");
Test::More::is(ImsMember::Pg::sql("SELECT string_agg(image_id || '/'"
    . " || member || '/' || status, ' ' ORDER BY image_id) FROM image_members"
    . " WHERE member IN ('p-job', 'p-owner') AND NOT deleted"),
    "$main::I5/p-job/pending $main::I7/p-job/pending", "the two pairs shared");
--- request eval
["GET /v2/images/$main::I9/members/p-job",
 "GET /v2/images/$main::I5/members/p-job",
 "GET /v2/images/$main::G/members"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[404, 200, 200]
--- response_body_like eval
[quotemeta(main::err('IMG.9005')), '"member_id": "p-job"',
 '^\{"members": \[\{[^}]*"member_id": "p-member"[^}]*\}\], "schema"']
--- no_error_log
[error]



=== TEST 22: a job of a member: gold before the owner rule; an unseen image
--- init
my $answer = main::run_job(main::job_body([$main::I1, $main::I2, $main::G,
                                           $main::I3], ['p-x']),
                           'tok-member', 'p-member');
Test::More::is(main::results($answer),
    '1/p-x/IMG.0047 2/p-x/IMG.0027 G/p-x/IMG.0089 3/p-x/IMG.0089',
    "not the owner; not visible; gold; public");
Test::More::like($answer, qr/"error_code": "IMG.0047", "fail_reason": "This operation can be performed only by the image owner."/,
                 "the job's code is its first failure's");
Test::More::is(ImsMember::Pg::sql("SELECT count(*) FROM image_members"
               . " WHERE member = 'p-x'"), 0, "no member added");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-x
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 404
--- response_body eval
main::err('IMG.9005')
--- no_error_log
[error]



=== TEST 23: a job fills a disk image to 256 and a full-ECS one to 10, then 413's code
--- init
my $answer = main::run_job(main::job_body([$main::D256, $main::F10],
                                          ['p-j1', 'p-j2']),
                           'tok-owner', 'p-owner');
Test::More::is(main::outcome($answer, 'D256'), 'IMG.0088 x1 SUCCESS x1',
               "one more member on the disk image");
Test::More::is(main::outcome($answer, 'F10'), 'IMG.0088 x1 SUCCESS x1',
               "one more member on the full-ECS image");
Test::More::like($answer, qr/"error_code": "IMG.0088", "fail_reason": "The number of shared images has reached the maximum allowed."/,
                 "the job's code");
Test::More::is(main::live($main::D256) . ' ' . main::live($main::F10),
               '256 10', "at the limits");
$answer = main::run_job(main::job_body([$main::D256, $main::F10],
                                       ['p-fill-1', 'p-j3']),
                        'tok-owner', 'p-owner');
Test::More::is(main::results($answer),
    'D256/p-fill-1/IMG.0088 D256/p-j3/IMG.0088'
    . ' F10/p-fill-1/IMG.0088 F10/p-j3/IMG.0088',
    "full: 413's code, before the duplicate");
--- request eval
["GET /v2/images/$main::D256/members/p-j3",
 "GET /v2/images/$main::F10/members/p-j3"]
--- more_headers
X-Auth-Token: tok-owner
--- error_code eval
[404, 404]
--- response_body_like eval
['"IMG.9005"', '"IMG.9005"']
--- no_error_log
[error]



=== TEST 24: ims_member_share_quota 3 2 goes with the job
--- config
    ims_member_share_quota 3 2;
--- init
my $answer = main::run_job(main::job_body([$main::Q, $main::FQ],
                                          ['p-a', 'p-b', 'p-c']),
                           'tok-owner', 'p-owner');
Test::More::is(main::outcome($answer, 'Q'), 'IMG.0088 x1 SUCCESS x2',
               "a disk image: 3 members");
Test::More::is(main::outcome($answer, 'FQ'), 'IMG.0088 x2 SUCCESS x1',
               "a full-ECS image: 2 members");
Test::More::is(main::live($main::Q) . ' ' . main::live($main::FQ), '3 2',
               "3 and 2 live members");
--- request
GET /v2/images/c0000000-0000-4000-8000-000000000015/members/p-member
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: "member_id": "p-member"
--- no_error_log
[error]



=== TEST 25: "off off" goes with the job
--- config
    ims_member_share_quota off off;
--- init
my $answer = main::run_job(main::job_body([$main::D256, $main::F10],
                                          ['p-off']),
                           'tok-owner', 'p-owner', 'SUCCESS');
Test::More::is(main::results($answer), 'D256/p-off/SUCCESS F10/p-off/SUCCESS',
               "no limit");
Test::More::is(main::live($main::D256) . ' ' . main::live($main::F10),
               '257 11', "over the default limits");
--- request
GET /v2/images/c0000000-0000-4000-8000-000000000011/members/p-off
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: "member_id": "p-off"
--- no_error_log
[error]



=== TEST 26: ims_member_quota set on the batch location goes with the job
--- config
    location = /v1/cloudimages/members {
        ims_member_quota 2;
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }

    location /v2/images/ {
        ims_member_api;
    }
--- init
my $answer = main::run_job(main::job_body([$main::I1], ['p-a', 'p-b']),
                           'tok-owner', 'p-owner');
Test::More::is(main::outcome($answer, '1'), 'IMG.0088 x1 SUCCESS x1',
               "2 members at most");
Test::More::is(main::live($main::I1), 2, "2 live members");
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
{"member": "p-c"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 200
--- response_body_like: "member_id": "p-c"
--- no_error_log
[error]



=== TEST 27: a job keeps IMS's rules under Glance's errors; the v2 share does not
--- config
    ims_member_errors glance;
--- init
my $answer = main::run_job(main::job_body([$main::G, $main::I9],
                                          ['p-owner', 'p-g']),
                           'tok-owner', 'p-owner');
Test::More::is(main::results($answer),
    'G/p-owner/IMG.0089 G/p-g/IMG.0089 9/p-owner/IMG.0076 9/p-g/IMG.0135',
    "IMS's rules");
Test::More::is(main::live($main::G, 'p-g') . main::live($main::I9, 'p-g'),
               '00', "nothing shared");
--- request eval
[main::share($main::G, 'p-g'), main::share($main::I9, 'p-g')]
--- more_headers
X-Auth-Token: tok-owner
Accept: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{"member_id": "p-g", ', '^\{"member_id": "p-g", ']
--- no_error_log
[error]



=== TEST 28: two numbers or "off", each 1 to 2147483647
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_share_quota lots 10;
--- config
--- must_die
--- error_log
invalid value "lots"



=== TEST 29: no negative limit (0 is one: no member at all)
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_share_quota 256 -1;
--- must_die
--- error_log
invalid value "-1"



=== TEST 30: a limit fits the database's 32 bits
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    location /v2/images/ {
        ims_member_share_quota 2147483648 10;
        ims_member_api;
    }
--- must_die
--- error_log
invalid value "2147483648"



=== TEST 31: two numbers, not three
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_share_quota 256 10 5;
--- config
--- must_die
--- error_log
invalid number of arguments in "ims_member_share_quota" directive



=== TEST 32: once per level
--- http_config
    ims_member_database "$TEST_NGINX_PG_DSN";
--- config
    ims_member_share_quota 256 10;
    ims_member_share_quota 3 2;
--- must_die
--- error_log
"ims_member_share_quota" directive is duplicate
