# Images through the README's recipe in front of a real glance-api
# (Debian's 25.1, local file store): nginx runs the locations of "In front
# of an existing Glance" as the README writes them (read from README.md
# itself), with the identity from Glance's headers.  An image of 64 MiB
# goes up through nginx with a Content-Length, and another chunked with
# "Expect: 100-continue" as curl sends it; each reaches Glance's store
# before its client has sent the second half (no buffering in nginx),
# becomes active with its size and checksums, and comes back down through
# nginx byte for byte.  2 MiB are no longer refused as an image or staged
# for an import; JSON and member bodies keep nginx's 1m.  Only "Confirmed"
# (spaces and tabs around it aside) is an identity, for Glance and the
# module alike: a lower-case "confirmed" gets 401 from both.
#
# Cost: about 10 s on 2 cores, glance-api's start (about 8 s) and two
# images of 64 MiB up and down over loopback (about 2 s); about 300 MB of
# memory at most.  The data is made in memory, and Glance's store lives in
# the file's temporary directory, removed with it.

use lib 't/lib';
use ImsMember::Pg;
use ImsMember::Glance;
use Test::Nginx::Socket;
use Digest::MD5 ();
use Digest::SHA ();
use JSON::PP ();
use Time::HiRes ();

our $G = ImsMember::Glance::start();

$ENV{TEST_NGINX_GLANCE_DSN} = ImsMember::Glance::dsn();
$ENV{TEST_NGINX_GLANCE_PORT} = $G->{port};
# the README's server, on a port of its own: the test server's
# client_max_body_size (30M) is not the recipe's
$ENV{TEST_NGINX_RECIPE_PORT} = ImsMember::Pg::free_port();

our %Image = (
    big     => 'c5000000-0000-4000-8000-000000000001',
    chunked => 'c5000000-0000-4000-8000-000000000002',
    small   => 'c5000000-0000-4000-8000-000000000003',
    staged  => 'c5000000-0000-4000-8000-000000000005',
    shared  => 'c5000000-0000-4000-8000-000000000004',
);

our $Big = 64 * 1024 * 1024 + 12345;

# The README's recipe: its locations, exactly as written there
sub recipe {
    open my $fh, '<', 'README.md' or die "README.md: $!\n";
    my $readme = do { local $/; <$fh> };
    my ($section)
        = $readme =~ /^## In front of an existing Glance\n(.*?)^## /ms
        or die "README.md: no section \"In front of an existing Glance\"\n";
    my @conf = $section =~ /^```nginx\n(.*?)^```/msg;
    my ($keystone) = grep { /^\s*location \/ \{/m } @conf;
    my ($trusted) = grep { /map \$http_x_identity_status/ } @conf;
    die "README.md: no recipe for Keystone or for trusted headers\n"
        unless $keystone && $trusted;
    my $block = sub {
        my ($text, $head) = @_;
        $text =~ /^(( *)\Q$head\E \{\n.*?^\2\}\n)/ms
            or die "README.md: no \"$head\" in the recipe\n";
        return $1;
    };
    (my $upstream = $block->($keystone, 'upstream glance'))
        =~ s/\bserver \S+;/server 127.0.0.1:\$TEST_NGINX_GLANCE_PORT;/
        or die "README.md: no server in \"upstream glance\"\n";
    return (
        upstream => $upstream,
        map => $block->($trusted, 'map $http_x_identity_status $ims_project'),
        members => $block->($trusted,
                            'location ~ ^/v2/images/[^/]+/members/[^/]+$'),
        root => $block->($keystone, 'location /'),
        data => $block->($keystone,
                         'location ~ ^/v2/images/[^/]+/(file|stage)$'),
        glance => $block->($keystone, 'location @glance'),
    );
}

our %Recipe = recipe();

# random bytes, made here: nothing to commit, nothing left behind
sub random_bytes {
    my $n = shift;
    open my $fh, '<:raw', '/dev/urandom' or die "/dev/urandom: $!\n";
    my $data = '';
    while (length $data < $n) {
        my $got = read($fh, $data, $n - length $data, length $data);
        die "/dev/urandom: $!\n" unless $got;
    }
    close $fh;
    return $data;
}

our %Owner = ('X-Identity-Status' => 'Confirmed', 'X-Project-Id' => 'p-owner',
              'X-Roles' => 'member');

# One exchange of any size on a connection of its own: o{body} goes in
# pieces of about 1 MiB (each a chunk with o{chunked}); with o{expect}
# the body waits for nginx's "100 Continue"; o{halfway} is called once,
# when half of the body is sent.  Returns { status, headers, body }.
sub transfer {
    my (%o) = @_;
    local $SIG{ALRM} = sub { die "no answer in 120 s to $o{method}"
                                 . " $o{path}\n" };
    alarm 120;
    my $port = $o{port} // $ENV{TEST_NGINX_RECIPE_PORT};
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Timeout => 30)
        or die "connect to $port: $!\n";
    my $body = $o{body};
    my $req = "$o{method} $o{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              . "Connection: close\r\n";
    my @h = @{ $o{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    if (defined $body) {
        $req .= $o{chunked} ? "Transfer-Encoding: chunked\r\n"
                            : "Content-Length: " . length($$body) . "\r\n";
        $req .= "Expect: 100-continue\r\n" if $o{expect};
    }
    syswrite_all($s, "$req\r\n");

    my $resp = '';
    if (defined $body && $o{expect}) {
        # the interim answer, or a final one instead (then no body)
        until ($resp =~ /\r\n\r\n/) {
            sysread($s, $resp, 65536, length $resp) or last;
        }
        undef $body unless $resp =~ s{^HTTP/1\.1 100 [^\r]*\r\n\r\n}{};
    }
    if (defined $body) {
        my ($len, $off, $half) = (length $$body, 0, 0);
        while ($off < $len) {
            my $n = $len - $off < 1048573 ? $len - $off : 1048573;
            my $piece = substr($$body, $off, $n);
            $piece = sprintf("%x\r\n%s\r\n", $n, $piece) if $o{chunked};
            syswrite_all($s, $piece);
            $off += $n;
            if (!$half && $off >= $len / 2 && $o{halfway}) {
                $half = 1;
                $o{halfway}->();
            }
        }
        syswrite_all($s, "0\r\n\r\n") if $o{chunked};
    }
    1 while sysread($s, $resp, 1048576, length $resp);
    close $s;
    alarm 0;

    my ($head, $content) = split /\r\n\r\n/, $resp, 2;
    my ($line, @lines) = split /\r\n/, $head // '';
    my %h;
    for (@lines) {
        my ($k, $v) = split /:\s*/, $_, 2;
        $h{lc $k} = $v;
    }
    $content //= '';
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $plain = '';
        while ($content =~ s/^([0-9a-fA-F]+)[^\r]*\r\n//) {
            my $n = hex $1;
            last unless $n;
            $plain .= substr($content, 0, $n, '');
            $content =~ s/^\r\n//;
        }
        $content = $plain;
    }
    my ($status) = ($line // '') =~ m{^HTTP/1\.\d (\d+)};
    return { status => $status // 0, line => $line // '', headers => \%h,
             body => $content };
}

sub syswrite_all {
    my ($s, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, length($data) - $off, $off);
        die "write: $!\n" unless defined $n;
        $off += $n;
    }
}

sub json_of {
    my $r = shift;
    return eval { JSON::PP->new->decode($r->{body}) } || {};
}

sub create_image {
    my ($name) = @_;
    my $json = JSON::PP->new->canonical->encode({
        id => $Image{$name}, name => $name, disk_format => 'raw',
        container_format => 'bare' });
    my $r = transfer(method => 'POST', path => '/v2/images',
                     headers => [%Owner,
                                 'Content-Type' => 'application/json'],
                     body => \$json);
    Test::More::is($r->{status}, 201, "$name: Glance creates the image"
                                      . " through nginx")
        or Test::More::diag($r->{line} . "\n" . $r->{body});
}

# the image file in Glance's store (its "local" file backend)
sub stored_size {
    my $name = shift;
    return -s (ImsMember::Pg::dir() . "/glance/images/$Image{$name}") // 0;
}

# Up through nginx (o{chunked}, o{expect} as transfer()'s), Glance's view
# of it, and down through nginx again, compared with what went up
sub round_trip {
    my ($name, $data, %o) = @_;
    my $len = length $$data;
    my $md5 = Digest::MD5::md5_hex($$data);
    my $sha = Digest::SHA::sha512_hex($$data);
    create_image($name);

    my $streamed;
    my $t0 = Time::HiRes::time();
    my $r = transfer(method => 'PUT', path => "/v2/images/$Image{$name}/file",
                     headers => [%Owner, 'Content-Type'
                                         => 'application/octet-stream'],
                     body => $data, %o,
                     halfway => $o{streamed} && sub {
                         # nginx passes the first half on before the
                         # client sends the second
                         $streamed = ImsMember::Pg::wait_until(sub {
                             stored_size($name) > 0 }, 20);
                     });
    my $up = Time::HiRes::time() - $t0;
    Test::More::is($r->{status}, 204, "$name: the upload of $len bytes"
                                      . " through nginx is Glance's 204")
        or Test::More::diag($r->{line} . "\n" . $r->{body});
    Test::More::ok($streamed, "$name: Glance stores its first bytes before"
                              . " the client sends the second half")
        if $o{streamed};

    $r = transfer(method => 'GET', path => "/v2/images/$Image{$name}",
                  headers => [%Owner]);
    my $img = json_of($r);
    Test::More::is_deeply(
        [@$img{qw(status size checksum os_hash_algo os_hash_value)}],
        ['active', $len, $md5, 'sha512', $sha],
        "$name: Glance has it active, its size and checksums the client's");

    $t0 = Time::HiRes::time();
    $r = transfer(method => 'GET', path => "/v2/images/$Image{$name}/file",
                  headers => [%Owner]);
    my $down = Time::HiRes::time() - $t0;
    Test::More::is_deeply(
        [$r->{status}, length $r->{body}, Digest::MD5::md5_hex($r->{body}),
         Digest::SHA::sha512_hex($r->{body}), $r->{headers}{'content-md5'}],
        [200, $len, $md5, $sha, $md5],
        "$name: it comes back down through nginx byte for byte");
    Test::More::note(sprintf("%s: %d bytes up in %.2f s, down in %.2f s",
                             $name, $len, $up, $down));
}

# an image shared with p-member, for the identity's replay
sub fixtures {
    ImsMember::Glance::sql(join '; ',
        "DELETE FROM image_members WHERE image_id = '$Image{shared}'",
        "DELETE FROM images WHERE id = '$Image{shared}'",
        "INSERT INTO images (id, name, status, created_at, deleted, owner,"
        . " visibility, os_hidden, protected, min_disk, min_ram) VALUES"
        . " ('$Image{shared}', 'shared', 'active', '2020-01-01 00:00:00',"
        . " false, 'p-owner', 'shared', false, false, 0, 0)",
        "INSERT INTO image_members (image_id, member, can_share, status,"
        . " created_at, updated_at, deleted) VALUES ('$Image{shared}',"
        . " 'p-member', false, 'pending', '2020-01-01 00:00:00',"
        . " '2020-01-01 00:00:00', false)");
}

# Glance takes only "Confirmed", spaces and tabs around it aside
our @Identities = ('Confirmed', 'confirmed', 'CONFIRMED', 'ConfirmeD',
                   'Confirmed.', 'xConfirmed', 'Invalid', '', 'Confirmed ',
                   "\tConfirmed\t", "\t Confirmed \t", "Confirmed\x0b",
                   "Confirmed\xa0", 'Confirmed,Confirmed');

repeat_each(1);

# the blocks' no_error_log (4), then their own checks
plan tests => repeat_each() * (blocks() * 2) + 4 + 5 + 5 + 8
              + 2 * @Identities;

no_shuffle();
no_root_location();
log_level('warn');

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config",
        qq{    ims_member_database "\$TEST_NGINX_GLANCE_DSN";\n\n}
        # the recipe's: this glance-api enforces its legacy policies
        . qq{    ims_member_policy legacy;\n\n}
        . join("\n", @Recipe{qw(map upstream)}) . "\n    server {\n"
        . "        listen 127.0.0.1:\$TEST_NGINX_RECIPE_PORT;\n\n"
        . join("\n", @Recipe{qw(members root data glance)}) . "    }\n");

    # the blocks' own requests, to the recipe's server
    $block->set_value("config", <<'_EOC_');
    location / {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RECIPE_PORT;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: an image of 64 MiB goes up as it is sent and comes back down the same
--- init
my $data = main::random_bytes($::Big);
main::round_trip('big', \$data, streamed => 1);
--- request
GET /v2/images/c5000000-0000-4000-8000-000000000001
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
--- error_code: 200
--- response_body_like: "status": "active"
--- no_error_log
buffered to a temporary file
[error]



=== TEST 2: chunked, after "100 Continue", as curl sends a pipe
--- init
my $data = main::random_bytes($::Big);
main::round_trip('chunked', \$data, chunked => 1, expect => 1,
                 streamed => 1);
--- request
GET /v2/images/c5000000-0000-4000-8000-000000000002
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
--- error_code: 200
--- response_body_like: "status": "active"
--- no_error_log
buffered to a temporary file
[error]



=== TEST 3: 2 MiB pass as an image or staged (nginx's default refused them), not as JSON or a member
--- init
my $data = main::random_bytes(2 * 1024 * 1024 + 1);
main::round_trip('small', \$data);
# the other data location: an import's staging (glance-direct)
main::create_image('staged');
my $r = main::transfer(method => 'PUT',
                       path => "/v2/images/$::Image{staged}/stage",
                       headers => [%::Owner, 'Content-Type'
                                             => 'application/octet-stream'],
                       body => \$data);
Test::More::is("$r->{status} " . main::json_of(main::transfer(
                   method => 'GET', path => "/v2/images/$::Image{staged}",
                   headers => [%::Owner]))->{status}, '204 uploading',
               "2 MiB staged for an import: Glance's 204");
$r = main::transfer(method => 'POST', path => '/v2/images',
                       headers => [%::Owner,
                                   'Content-Type' => 'application/json'],
                       body => \('{"name": "' . ('x' x (2 * 1024 * 1024))
                                 . '"}'));
Test::More::like("$r->{status} $r->{body}", qr{^413 .*<center>nginx/}s,
                 "2 MiB of JSON: nginx's own 413");
$r = main::transfer(method => 'PUT',
                    path => "/v2/images/$::Image{shared}/members/p-member",
                    headers => [%::Owner],
                    body => \('{"status": "accepted", "x": "'
                              . ('x' x (2 * 1024 * 1024)) . '"}'));
Test::More::like("$r->{status} $r->{body}", qr{^413 .*<center>nginx/}s,
                 "2 MiB to the module: nginx's own 413");
--- request
GET /v2/images/c5000000-0000-4000-8000-000000000003
--- more_headers
X-Identity-Status: Confirmed
X-Project-Id: p-owner
--- error_code: 200
--- response_body_like: "size": 2097153



=== TEST 4: only "Confirmed", in its case, is an identity, for Glance and the module alike
--- init
my $port = $ENV{TEST_NGINX_RECIPE_PORT};
for my $status (@::Identities) {
    my @seen;
    for my $p ($::G->{port}, $port) {
        main::fixtures();
        push @seen, ImsMember::Glance::seen(ImsMember::Glance::raw($p, 'PUT',
            "/v2/images/$::Image{shared}/members/p-member",
            ['X-Identity-Status' => $status, 'X-Project-Id' => 'p-member',
             'X-Roles' => 'member'], '{"status": "accepted"}'));
    }
    (my $shown = $status) =~ s/([^ -~])/sprintf('\\x%02x', ord $1)/ge;
    Test::More::like($seen[0],
                     $status =~ /^[ \t]*Confirmed[ \t]*$/ ? qr/^200 /
                                                            : qr/^401 /,
                     "X-Identity-Status: '$shown', Glance's answer");
    Test::More::is($seen[1], $seen[0],
                   "X-Identity-Status: '$shown', the module's is Glance's");
}
main::fixtures();
--- request
PUT /v2/images/c5000000-0000-4000-8000-000000000004/members/p-member
{"status": "accepted"}
--- more_headers
X-Identity-Status: confirmed
X-Project-Id: p-member
X-Roles: member
--- error_code: 401
--- response_body_unlike: accepted
