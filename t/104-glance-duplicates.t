# Duplicated live memberships on Glance's own schema ("glance-manage
# db_sync": no unique key on the live rows of a pair), made by the real
# glance-api (Debian's 25.1) under concurrent POSTs of one member: every
# path of the module answers as if the pair had one membership.  A group
# of updates answers each request with its own row and writes every live
# row; a single update writes every live row; DELETE and delete jobs
# remove every live row without breaking Glance's key (image_id, member,
# deleted_at), and Glance then sees no member; update jobs report per
# image; list, show and create see one member.  Last, a group statement
# whose rows do not match its requests runs them again alone.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Glance;
use IO::Socket::INET;
use IPC::Run ();
use Test::Nginx::Socket;

our $G = ImsMember::Glance::start();

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();

# the fault of the last test: an operator of the test's that the module's
# connections of that test alone find first
$ENV{TEST_NGINX_GLANCE_DSN_FAULT} = ImsMember::Glance::dsn()
    . " options='-c search_path=public,pg_catalog'";

our %I = map { ($_ => sprintf('d4000000-0000-4000-8000-%012d', $_)) }
         1 .. 9;
our $Hold = $I{9};

sub sql { return ImsMember::Glance::sql(@_) }

# images 1 to 8 of p-owner, shared but 8 (private); 9 shared with p-hold,
# for the update that holds a group back
sub fixtures {
    my @sql = ("DELETE FROM image_members", "DELETE FROM images",
               "TRUNCATE ims_jobs CASCADE", "TRUNCATE ims_member_vaults");
    for my $n (sort keys %I) {
        my $vis = $n == 8 ? 'private' : 'shared';
        push @sql, "INSERT INTO images (id, name, status, created_at,"
                   . " deleted, owner, visibility, os_hidden, protected,"
                   . " min_disk, min_ram) VALUES ('$I{$n}', 'i$n', 'active',"
                   . " '2020-01-01 00:00:00', false, 'p-owner', '$vis',"
                   . " false, false, 0, 0)";
    }
    push @sql, "INSERT INTO image_members (image_id, member, can_share,"
               . " status, created_at, updated_at, deleted) VALUES"
               . " ('$Hold', 'p-hold', false, 'pending',"
               . " '2020-01-01 00:00:00', '2020-01-01 00:00:00', false)";
    sql(join('; ', @sql));
}

sub live {
    my ($image, $member) = @_;
    return sql("SELECT count(*) FROM image_members WHERE image_id ="
               . " '$image' AND member = '$member' AND NOT deleted");
}

# the statuses of the pair's live rows, in id order
sub statuses {
    my ($image, $member) = @_;
    return join ' ', split /\n/, sql("SELECT status FROM image_members"
        . " WHERE image_id = '$image' AND member = '$member'"
        . " AND NOT deleted ORDER BY id");
}

# $n POSTs of one member to glance-api at once, as its owner
sub glance_burst {
    my ($image, $member, $n) = @_;
    my $body = qq/{"member": "$member"}/;
    my @h = ImsMember::Glance::identity('p-owner');
    my $req = "POST /v2/images/$image/members HTTP/1.1\r\n"
              . "Host: 127.0.0.1\r\nConnection: close\r\n"
              . "Content-Type: application/json\r\n"
              . "Content-Length: " . length($body) . "\r\n";
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    my @s = map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $G->{port}, Timeout => 30)
            or die "connect to glance-api: $!\n"
    } 1 .. $n;
    print $_ "$req\r\n$body" for @s;
    for my $s (@s) {
        local $/;
        my $resp = <$s>;
        close $s;
    }
}

# A pair with two live rows or more, made by glance-api itself: bursts of
# eight concurrent POSTs of the member (bounded) until one leaves several.
sub duplicate {
    my ($image, $member) = @_;
    for (1 .. 25) {
        sql("DELETE FROM image_members WHERE image_id = '$image'"
            . " AND member = '$member'");
        glance_burst($image, $member, 8);
        my $n = live($image, $member);
        if ($n >= 2) {
            Test::More::note("glance-api left $n live rows for $member");
            return $n;
        }
    }
    die "glance-api left one live row for $member on $image in each of 25"
        . " bursts of 8 concurrent POSTs: no duplicate to test on\n";
}

# a clean pair, added by glance-api
sub share {
    my ($image, $member) = @_;
    my $r = ImsMember::Glance::raw($G->{port}, 'POST',
        "/v2/images/$image/members",
        [ImsMember::Glance::identity('p-owner')], qq/{"member": "$member"}/);
    die "glance-api did not add $member: $r->{status}\n"
        unless $r->{status} == 200;
}

sub who { return ImsMember::Glance::identity(shift) }

# A psql session on Glance's database that stays open.
sub session {
    my ($in, $out) = ('', '');
    my $h = IPC::Run::start([ImsMember::Pg::psql_cmd(undef,
                                 'dbname=glance application_name=ims-test')],
                            \$in, '>&', \$out, IPC::Run::timeout(30));
    return bless { h => $h, in => \$in, out => \$out, n => 0 },
                 'ImsMember::Pg::Session';
}

# An update that holds the group back: its vault's key is taken by an
# uncommitted row of the returned session.  Returns (session, socket).
sub hold_group {
    my $s = session();
    $s->query("BEGIN");
    $s->query("INSERT INTO ims_member_vaults VALUES ('$Hold', 'p-hold',"
              . " 'vault-s', now(), now())");
    my $held = ImsMember::Pg::http_send('PUT',
        "/v2/images/$Hold/members/p-hold",
        '{"status": "accepted", "vault_id": "vault-a"}', who('p-hold'));
    ImsMember::Pg::wait_for_lock_waiter();
    return ($s, $held);
}

# Sends updates [image, member, status], each once the one before waits
# for the group.
sub send_waiting {
    my @socks;
    my $n = ImsMember::Pg::error_log_count("statement waits for a group");
    for my $u (@_) {
        my ($image, $member, $status) = @$u;
        push @socks, ImsMember::Pg::http_send('PUT',
            "/v2/images/$image/members/$member", qq/{"status": "$status"}/,
            who($member));
        $n++;
        ImsMember::Pg::wait_until(sub {
            ImsMember::Pg::error_log_count("statement waits for a group")
            >= $n
        }) or die "update $n should wait for the group\n";
    }
    return @socks;
}

# Submits a batch through nginx and waits (bounded) for its job's end:
# (status, answer of the job query).
sub run_job {
    my ($method, $body, $project) = @_;
    my ($st, $answer) = ImsMember::Pg::http($method,
        '/v1/cloudimages/members', $body, who($project));
    die "$method /v1/cloudimages/members: $st $answer\n" unless $st == 200;
    my ($id) = $answer =~ /"job_id": "([0-9a-f]{32})"/;
    my $status = '';
    ImsMember::Pg::wait_until(sub {
        $status = sql("SELECT status FROM ims_jobs WHERE id = '$id'");
        $status eq 'SUCCESS' || $status eq 'FAIL';
    });
    (undef, $answer) = ImsMember::Pg::http('GET', "/v1/$project/jobs/$id",
                                           '', who($project));
    return ($status, $answer);
}

# a job's results: image number/project/status or code
sub results {
    my $answer = shift;
    my @r;
    while ($answer =~ /\{"image_id": "[^"]*(\d)", "project_id": "([^"]+)", "status": "(\w+)"(?:, "error_code": "([^"]+)")?\}/g) {
        push @r, "$1/$2/" . ($4 // $3);
    }
    return join ' ', @r;
}

repeat_each(1);

plan tests => 88;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_GLANCE_DSN";
    ims_member_job_listen "$TEST_NGINX_GLANCE_DSN";
    ims_member_job_interval 100ms;
    ims_member_timeout 10s;
    ims_member_group_threshold 0;

    map $http_x_identity_status $ims_project {
        Confirmed  $http_x_project_id;
        default    "";
    }
_EOC_
    }

    $block->set_value("config", <<'_EOC_');
    ims_member_project $ims_project;
    ims_member_roles   $http_x_roles;

    # this glance-api enforces its legacy policies
    ims_member_policy  legacy;

    location /v2/images/ {
        ims_member_errors glance;
        ims_member_api;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Identity-Status: Confirmed\n"
                          . "X-Project-Id: p-owner\nX-Roles: member\n");
    }
});

fixtures();

run_tests();

__DATA__

=== TEST 1: a group mixing duplicated and clean pairs: each its own 200, every live row written
--- init
main::fixtures();
my $d1 = main::duplicate($main::I{1}, 'p-dup');
my $d2 = main::duplicate($main::I{2}, 'p-dup');
main::share($main::I{3}, 'p-clean');
main::share($main::I{1}, 'p-clean');
my ($s, $held) = main::hold_group();
my @u = ([$main::I{1}, 'p-dup', 'accepted'],
         [$main::I{3}, 'p-clean', 'accepted'],
         [$main::I{2}, 'p-dup', 'rejected'],
         [$main::I{1}, 'p-clean', 'rejected'],
         [$main::I{2}, 'p-dup', 'accepted']);
my @g = main::send_waiting(@u);
$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200, "the holder");
my @res = map { [ImsMember::Pg::http_read($_)] } @g;
Test::More::is(join(' ', map { $_->[0] } @res), "200 200 200 200 200",
               "every update of the group answers 200");
for my $i (0 .. $#u) {
    my ($image, $member, $status) = @{ $u[$i] };
    Test::More::like($res[$i][1],
        qr/^\{"member_id": "$member", "image_id": "$image", "status": "$status", "created_at": "[^"]+", "updated_at": "[^"]+", "schema": "\/v2\/schemas\/member"\}$/,
        "update $i answers its own member, as it set it");
}
Test::More::is(main::statuses($main::I{1}, 'p-dup'),
               join(' ', ('accepted') x $d1), "every live row of 1 written");
Test::More::is(main::statuses($main::I{2}, 'p-dup'),
               join(' ', ('accepted') x $d2),
               "every live row of 2 written, the last status");
Test::More::is(main::statuses($main::I{3}, 'p-clean') . ' '
               . main::statuses($main::I{1}, 'p-clean'),
               "accepted rejected", "the clean pairs written");
Test::More::is(main::live($main::I{1}, 'p-dup') . ' '
               . main::live($main::I{2}, 'p-dup'), "$d1 $d2",
               "no row added or removed");
--- request
GET /v2/images/d4000000-0000-4000-8000-000000000001/members/p-dup
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-dup", "image_id": "[^"]+", "status": "accepted"
--- no_error_log
[error]
[alert]



=== TEST 2: a row of a duplicated pair held elsewhere: its pair's updates wait, the rest of the group answers
--- init
main::fixtures();
my $d = main::duplicate($main::I{1}, 'p-dup');
main::share($main::I{3}, 'p-clean');
my $lock = main::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE id = (SELECT max(id)"
             . " FROM image_members WHERE image_id = '$main::I{1}'"
             . " AND member = 'p-dup' AND NOT deleted) FOR UPDATE");
my ($s, $held) = main::hold_group();
my @g = main::send_waiting([$main::I{1}, 'p-dup', 'accepted'],
                           [$main::I{3}, 'p-clean', 'accepted'],
                           [$main::I{1}, 'p-dup', 'rejected']);
$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200, "the holder");
Test::More::is((ImsMember::Pg::http_read($g[1]))[0], 200,
               "the clean pair answers while a row of the other is held");
Test::More::is(main::statuses($main::I{1}, 'p-dup'),
               join(' ', ('pending') x $d),
               "no row of the held pair written yet");
$lock->query("COMMIT");
$lock->close;
my @res = map { [ImsMember::Pg::http_read($_)] } @g[0, 2];
Test::More::is("$res[0][0] $res[1][0]", "200 200",
               "its updates answer once the row is free");
Test::More::like($res[0][1], qr/"status": "accepted"/,
                 "the first as it set it");
Test::More::like($res[1][1], qr/"status": "rejected"/,
                 "the second as it set it");
# they went again each alone, as without group commit: one after the
# other, in either order, each writing every row of the pair
my ($last) = main::statuses($main::I{1}, 'p-dup') =~ /^(\w+)/;
Test::More::like($last, qr/^(accepted|rejected)$/, "a status one of them set");
Test::More::is(main::statuses($main::I{1}, 'p-dup'),
               join(' ', ($last) x $d), "every row has the same status");
--- request
GET /v2/images/d4000000-0000-4000-8000-000000000001/members/p-dup
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-dup", "image_id": "[^"]+", "status": "(accepted|rejected)"
--- no_error_log
[error]
[alert]



=== TEST 3: a lone update (a group of one) writes every live row of a duplicated pair
--- init
main::fixtures();
my $d = main::duplicate($main::I{4}, 'p-dup');
my ($st, $body) = ImsMember::Pg::http('PUT',
    "/v2/images/$main::I{4}/members/p-dup", '{"status": "rejected"}',
    main::who('p-dup'));
Test::More::is($st, 200, "the update answers 200");
Test::More::like($body,
    qr/^\{"member_id": "p-dup", "image_id": "[^"]+", "status": "rejected"/,
                 "with one member");
Test::More::is(main::statuses($main::I{4}, 'p-dup'),
               join(' ', ('rejected') x $d), "every live row written");
--- request
PUT /v2/images/d4000000-0000-4000-8000-000000000004/members/p-dup
{"status": "rejected"}
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-dup
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-dup", "image_id": "[^"]+", "status": "rejected"
--- no_error_log
[error]
[alert]



=== TEST 4: the single update, group commit off, writes every live row
--- http_config
    ims_member_database "$TEST_NGINX_GLANCE_DSN";
    ims_member_group_commit off;

    map $http_x_identity_status $ims_project {
        Confirmed  $http_x_project_id;
        default    "";
    }
--- init
main::fixtures();
my $d = main::duplicate($main::I{5}, 'p-dup');
my ($st, $body) = ImsMember::Pg::http('PUT',
    "/v2/images/$main::I{5}/members/p-dup", '{"status": "accepted"}',
    main::who('p-dup'));
Test::More::is($st, 200, "the update answers 200");
Test::More::is(main::statuses($main::I{5}, 'p-dup'),
               join(' ', ('accepted') x $d), "every live row written");
my $xmin = main::sql("SELECT string_agg(xmin::text, ' ' ORDER BY id)"
    . " FROM image_members WHERE image_id = '$main::I{5}'");
($st) = ImsMember::Pg::http('PUT', "/v2/images/$main::I{5}/members/p-dup",
                            '{"status": "accepted"}', main::who('p-dup'));
Test::More::is($st, 200, "a repeat answers 200");
Test::More::is(main::sql("SELECT string_agg(xmin::text, ' ' ORDER BY id)"
    . " FROM image_members WHERE image_id = '$main::I{5}'"), $xmin,
    "and writes nothing");
--- request
PUT /v2/images/d4000000-0000-4000-8000-000000000005/members/p-dup
{"status": "pending"}
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-dup
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-dup", "image_id": "[^"]+", "status": "pending"
--- no_error_log
[error]
[alert]



=== TEST 5: DELETE of a duplicated member: 204, no live row left, Glance sees no member
--- init
main::fixtures();
main::duplicate($main::I{6}, 'p-dup');
my ($st) = ImsMember::Pg::http('DELETE',
    "/v2/images/$main::I{6}/members/p-dup", '', main::who('p-owner'));
Test::More::is($st, 204, "DELETE answers 204");
Test::More::is(main::live($main::I{6}, 'p-dup'), 0, "no live row left");
Test::More::is(main::sql("SELECT count(*) FROM (SELECT deleted_at"
    . " FROM image_members WHERE image_id = '$main::I{6}'"
    . " GROUP BY member, deleted_at HAVING count(*) > 1) d"), 0,
    "each row its own deleted_at");
my @owner = main::who('p-owner');
my $r = ImsMember::Glance::raw($main::G->{port}, 'GET',
                               "/v2/images/$main::I{6}/members", \@owner);
Test::More::is($r->{body}, '{"members": [], "schema": "/v2/schemas/members"}',
               "Glance lists no member");
$r = ImsMember::Glance::raw($main::G->{port}, 'GET',
                            "/v2/images/$main::I{6}/members/p-dup", \@owner);
Test::More::is($r->{status}, 404, "Glance shows none");
$r = ImsMember::Glance::raw($main::G->{port}, 'POST',
                            "/v2/images/$main::I{6}/members", \@owner,
                            '{"member": "p-dup"}');
Test::More::is($r->{status}, 200, "Glance shares the image again");
Test::More::is(main::live($main::I{6}, 'p-dup'), 1, "in one row");
--- request
DELETE /v2/images/d4000000-0000-4000-8000-000000000006/members/p-dup
--- error_code: 204
--- response_body
--- no_error_log
[error]
[alert]



=== TEST 6: a delete job with a duplicated pair and clean ones: SUCCESS, every row removed
--- init
main::fixtures();
main::duplicate($main::I{1}, 'p-dj');
main::share($main::I{2}, 'p-dj');
main::share($main::I{1}, 'p-dk');
main::share($main::I{2}, 'p-dk');
my ($status, $answer) = main::run_job('DELETE',
    qq/{"images": ["$main::I{1}", "$main::I{2}"],/
    . ' "projects": ["p-dj", "p-dk"]}',
    'p-owner');
Test::More::is($status, 'SUCCESS', "the job succeeds");
Test::More::is(main::results($answer),
               "1/p-dj/SUCCESS 1/p-dk/SUCCESS 2/p-dj/SUCCESS 2/p-dk/SUCCESS",
               "a result per pair");
Test::More::is(main::sql("SELECT count(*) FROM image_members WHERE NOT deleted"
                         . " AND member IN ('p-dj', 'p-dk')"), 0,
               "no live row left");
--- request
GET /v2/images/d4000000-0000-4000-8000-000000000001/members
--- error_code: 200
--- response_body_like: ^\{"members": \[\], "schema": "/v2/schemas/members"\}$
--- no_error_log
[error]
[alert]



=== TEST 7: an update job over duplicated pairs and failing images: a result per image
--- init
main::fixtures();
my $d1 = main::duplicate($main::I{1}, 'p-uj');
my $d3 = main::duplicate($main::I{3}, 'p-uj');
main::share($main::I{4}, 'p-uj');
my ($status, $answer) = main::run_job('PUT',
    qq/{"images": ["$main::I{1}", "$main::I{2}", "$main::I{3}",/
    . qq/ "$main::I{8}", "$main::I{4}"], "project_id": "p-uj",/
    . ' "status": "accepted"}', 'p-uj');
Test::More::is($status, 'FAIL', "the job fails: two images failed");
Test::More::is(main::results($answer),
               "1/p-uj/SUCCESS 2/p-uj/IMG.0027 3/p-uj/SUCCESS"
               . " 8/p-uj/IMG.0027 4/p-uj/SUCCESS",
               "each image its own result");
Test::More::is(main::statuses($main::I{1}, 'p-uj') . ' | '
               . main::statuses($main::I{3}, 'p-uj') . ' | '
               . main::statuses($main::I{4}, 'p-uj'),
               join(' ', ('accepted') x $d1) . ' | '
               . join(' ', ('accepted') x $d3) . ' | accepted',
               "every live row of the updated pairs written");
--- request
GET /v2/images/d4000000-0000-4000-8000-000000000003/members/p-uj
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-uj
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-uj", "image_id": "[^"]+", "status": "accepted"
--- no_error_log
[error]
[alert]



=== TEST 8: list, show, create and an add job on a duplicated pair: one member
--- init
main::fixtures();
main::duplicate($main::I{7}, 'p-ls');
main::share($main::I{7}, 'p-two');
my @owner = main::who('p-owner');
my $port = ImsMember::Pg::nginx_port();
my $path = "/v2/images/$main::I{7}/members";

# Glance lists each live row: the module, the pair once
my $g = ImsMember::Glance::raw($main::G->{port}, 'GET', $path, \@owner);
my @gl = $g->{body} =~ /"member_id": "p-ls"/g;
Test::More::cmp_ok(scalar @gl, '>=', 2, "Glance lists p-ls once a live row");
my $n = ImsMember::Glance::raw($port, 'GET', $path, \@owner);
my @nl = $n->{body} =~ /"member_id": "([^"]+)"/g;
Test::More::is("@nl", "p-ls p-two", "the module lists each member once");

# show and create: as Glance, byte for byte
for my $c (['GET', "$path/p-ls", undef], ['POST', $path, '{"member": "p-ls"}'],
           ['GET', "$path/p-ls", undef, ['Accept' => 'application/json']])
{
    my ($method, $p, $body, $extra) = @$c;
    my @h = (@owner, @{ $extra // [] });
    my $gs = ImsMember::Glance::seen(ImsMember::Glance::raw($main::G->{port},
                                         $method, $p, \@h, $body));
    my $ns = ImsMember::Glance::seen(ImsMember::Glance::raw($port, $method,
                                         $p, \@h, $body));
    s/"(created_at|updated_at)": "[^"]*"/"$1": "-"/g for $gs, $ns;
    Test::More::is($ns, $gs, "$method $p as Glance answers it");
}

# an add job: the duplicated pair is a member already
my ($status, $answer) = main::run_job('POST',
    qq/{"images": ["$main::I{7}"], "projects": ["p-ls", "p-new"]}/,
    'p-owner');
Test::More::is(main::results($answer), "7/p-ls/IMG.9006 7/p-new/SUCCESS",
               "the add job: already a member, and a new one");
Test::More::is(main::live($main::I{7}, 'p-new'), 1, "added once");
--- request
GET /v2/images/d4000000-0000-4000-8000-000000000007/members/p-ls
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-ls
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-ls", "image_id": "[^"]+", "status": "pending"
--- no_error_log
[error]
[alert]



=== TEST 9: a group statement whose rows do not match its requests: each runs again alone, none fails
--- http_config
    ims_member_database "$TEST_NGINX_GLANCE_DSN_FAULT";
    ims_member_group_threshold 0;

    map $http_x_identity_status $ims_project {
        Confirmed  $http_x_project_id;
        default    "";
    }
--- init
main::fixtures();
main::share($main::I{1}, 'p-a');
main::share($main::I{2}, 'p-b');
main::share($main::I{3}, 'p-c');

# "=" of two bigints always true, for the search path of this test's
# connections only: the group statement's rows no longer match
main::sql("CREATE FUNCTION public.ims_test_true(bigint, bigint)"
          . " RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';"
          . " CREATE OPERATOR public.= (LEFTARG = bigint,"
          . " RIGHTARG = bigint, FUNCTION = public.ims_test_true)");
my ($s, $held) = main::hold_group();
my @u = ([$main::I{1}, 'p-a', 'accepted'], [$main::I{2}, 'p-b', 'rejected'],
         [$main::I{3}, 'p-c', 'accepted']);
my @g = main::send_waiting(@u);
$s->query("COMMIT");
$s->close;
Test::More::is((ImsMember::Pg::http_read($held))[0], 200, "the holder");
my @res = map { [ImsMember::Pg::http_read($_)] } @g;
main::sql("DROP OPERATOR public.= (bigint, bigint);"
          . " DROP FUNCTION public.ims_test_true(bigint, bigint)");
Test::More::is(join(' ', map { $_->[0] } @res), "200 200 200",
               "every update answers 200");
for my $i (0 .. $#u) {
    my ($image, $member, $status) = @{ $u[$i] };
    Test::More::like($res[$i][1],
        qr/^\{"member_id": "$member", "image_id": "$image", "status": "$status"/,
        "update $i answers its own member");
}
Test::More::is(join(' ', map { main::statuses($_->[0], $_->[1]) } @u),
               "accepted rejected accepted", "each written");
Test::More::ok(ImsMember::Pg::error_log_has("for a group of 3, its updates"
                                            . " run again alone"),
               "the error log says the group ran again alone");
--- request
GET /v2/images/d4000000-0000-4000-8000-000000000001/members/p-a
--- error_code: 200
--- response_body_like: ^\{"member_id": "p-a", "image_id": "[^"]+", "status": "accepted"
--- no_error_log
[error]
