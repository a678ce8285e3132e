# IMS's errors (ims_member_errors ims, the default): every cause of the
# README's table of codes on every endpoint that can give it, with the
# exact status and the exact body {"error": {"code": "IMG.xxxx", "message":
# "..."}}, and the database left as it was by every refusal; the codes a
# job records for its failed results, and for itself; Glance's answers
# still Glance's with ims_member_errors glance.
#
# Every IMG code met in any answer of this file must be one of IMS's
# published codes with its published message (t/lib/ims_error_codes.txt,
# IMS's api-ref/source/error_codes.rst: code, status, message), or one of
# the module's own, IMG.9001 to IMG.9012, with its message below.
#
# The eleven endpoints: the update alone (ims_member_update, on a server
# of its own), and under ims_member_api the update, list, show, create and
# delete; the batch update, add and delete; the job and its progress.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;
use File::Basename qw(dirname);
use IPC::Run ();
use JSON::PP ();

our $I1 = '11111111-1111-1111-1111-111111111111';   # shared
our $I2 = '22222222-2222-2222-2222-222222222222';   # private
our $I3 = '33333333-3333-3333-3333-333333333333';   # public
our $I4 = '44444444-4444-4444-4444-444444444444';   # deleted
our $I5 = '55555555-5555-5555-5555-555555555555';   # full-ECS from CBR
our $I6 = '66666666-6666-6666-6666-666666666666';
our $I7 = '77777777-7777-7777-7777-777777777777';
our $I8 = '88888888-8888-8888-8888-888888888888';   # community
our $I9 = '99999999-9999-9999-9999-999999999999';   # full-ECS, no backup
our $IA = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';   # two members
our $IG = 'c6000000-0000-4000-8000-000000000001';   # gold, shared
our $IM = '12345678-1234-1234-1234-123456789012';   # no such image
our $Job = '0123456789abcdef0123456789abcdef';      # no such job

# IMS's published codes the module uses: code => [status, message]
our %Published;
{
    my $file = dirname(__FILE__) . '/lib/ims_error_codes.txt';
    open my $fh, '<', $file or die "$file: $!\n";
    while (my $line = <$fh>) {
        chomp $line;
        my ($code, $status, $message) = split /\t/, $line, 3;
        die "$file: bad line \"$line\"\n"
            unless $code =~ /^IMG\.\d{4}$/ && $status =~ /^\d{3}$/
                   && defined $message && length $message;
        $Published{$code} = [$status, $message];
    }
}

# the module's own codes, which IMS's table does not use
our %Own = (
    'IMG.9001' => 'A project-scoped token is required: this token is scoped'
                  . ' to a domain or to the system, not to a project.',
    'IMG.9002' => 'The identity service cannot validate the token now;'
                  . ' retry later.',
    'IMG.9003' => 'The image database is unavailable; retry later.',
    'IMG.9004' => 'Too many requests are waiting for the image database;'
                  . ' retry later.',
    'IMG.9005' => 'This project is not a live member of the image, or not'
                  . ' one your project may see or change.',
    'IMG.9006' => 'This project is already a member of the image.',
    'IMG.9007' => 'This full-ECS image was created from a CBR backup:'
                  . ' accepting it requires "vault_id", the vault to store'
                  . ' its backup in.',
    'IMG.9008' => 'Field "images" holds more images than one request may'
                  . ' carry; split the request.',
    'IMG.9009' => 'Fields "images" and "projects" make more image-project'
                  . ' pairs than one request may carry; split the request.',
    'IMG.9010' => 'No such job of your project.',
    'IMG.9011' => 'The image is a community image: only shared images have'
                  . ' members.',
    'IMG.9012' => 'The job failed too often; the server could not run it.',
);

our %Msg = ((map { $_ => $Published{$_}[1] } keys %Published), %Own);

my $json = JSON::PP->new->allow_nonref;

# the exact body of an error
sub error_body {
    my $code = shift;
    die "no message for $code\n" unless defined $Msg{$code};
    return qq/{"error": {"code": "$code", "message": /
           . $json->encode($Msg{$code}) . '}}';
}

our $Unauthorized = "401 Unauthorized\n\nThis server could not verify that"
    . " you are authorized to access the document you requested. Either you"
    . " supplied the wrong credentials (e.g., bad password), or your browser"
    . " does not understand how to supply the credentials required.\n\n   ";


# --- requests: [method, path, body, server]; "update" is the server of
# ims_member_update, "api" the one of everything else

sub U  { ['PUT', "/v2/images/$_[0]/members/$_[1]", $_[2], 'update'] }
sub AU { ['PUT', "/v2/images/$_[0]/members/$_[1]", $_[2], 'api'] }
sub L  { ['GET', "/v2/images/$_[0]/members", $_[1], 'api'] }
sub S  { ['GET', "/v2/images/$_[0]/members/$_[1]", $_[2], 'api'] }
sub C  { ['POST', "/v2/images/$_[0]/members", $_[1], 'api'] }
sub D  { ['DELETE', "/v2/images/$_[0]/members/$_[1]", $_[2], 'api'] }
sub BU { ['PUT', '/v1/cloudimages/members', $_[0], 'api'] }
sub BA { ['POST', '/v1/cloudimages/members', $_[0], 'api'] }
sub BD { ['DELETE', '/v1/cloudimages/members', $_[0], 'api'] }
sub J  { ['GET', "/v1/$_[0]/jobs/$_[1]", undef, 'api'] }
sub P  { ['GET', "/v1/cloudimages/job/$_[0]", undef, 'api'] }

my $acc = '{"status": "accepted"}';

# each endpoint asked what it would do for a caller (of p-member, or the
# owner for a share or an unshare), so that only the cause under test
# refuses it
our @Good = (
    ['update',       U($I1, 'p-member', $acc)],
    ['api update',   AU($I1, 'p-member', $acc)],
    ['list',         L($I1)],
    ['show',         S($I1, 'p-member')],
    ['create',       C($I1, '{"member": "p-new"}')],
    ['delete',       D($I1, 'p-member')],
    ['batch update', BU(qq/{"images": ["$I1"], "project_id": "p-member",/
                        . ' "status": "accepted"}')],
    ['batch add',    BA(qq/{"images": ["$I1"], "projects": ["p-new"]}/)],
    ['batch delete', BD(qq/{"images": ["$I1"], "projects": ["p-member"]}/)],
    ['job',          J('p-member', $Job)],
    ['job progress', P($Job)],
);

# a case: [label, request, headers, status, code (or [body])]
sub every {
    my ($label, $headers, $status, $code) = @_;
    return map { ["$_->[0]: $label", $_->[1], $headers, $status, $code] }
           @Good;
}

sub tok { return ['X-Auth-Token' => shift] }

sub who {
    my ($project, $roles) = @_;
    return ['X-Project-Id' => $project,
            defined $roles ? ('X-Roles' => $roles) : ()];
}

my $owner = tok('tok-owner');
my $member = tok('tok-member');
my $other = tok('tok-other');
my $admin = tok('tok-admin');

my @thirteen = map { qq/"i$_"/ } 1 .. 13;
my $four = '"a", "b", "c", "d"';
my $long = 'p' x 256;

our %Cases;

$Cases{tokens} = [
    every('no token', [], 401, 'IMG.0087'),
    every('an unknown token', tok('tok-nobody'), 401, 'IMG.0087'),
    every('an expired token', tok('tok-expired'), 401, 'IMG.0087'),
    ['a bad body without a token: the identity first', BU('[]'), [], 401,
     'IMG.0087'],
];

$Cases{keystone} = [
    every('a domain-scoped token', tok('tok-domain'), 401, 'IMG.9001'),
    (map { $_->[0] =~ /^(update|batch add|job progress):/ ? $_ : () }
     every('a system-scoped token', tok('tok-system'), 401, 'IMG.9001'),
     every('an unscoped token', tok('tok-unscoped'), 401, 'IMG.9001')),
    every('Keystone failing (500)', tok('tok-fail'), 503, 'IMG.9002'),
    (map { $_->[0] =~ /^(api update|list|batch update|job):/ ? $_ : () }
     every('Keystone answering no token', tok('tok-garbage'), 503,
           'IMG.9002')),
    every('a token Keystone refuses', tok('tok-refused'), 401, 'IMG.0087'),
    (map { $_->[0] =~ /^(update|create|batch delete|job progress):/
           ? $_ : () }
     every('no token', [], 401, 'IMG.0087')),
];

$Cases{policy} = [
    every('no trusted project', [], 401, 'IMG.0087'),
    (map { $_->[0] =~ /^(update|show|batch add|job):/ ? $_ : () }
     every('an empty trusted project', who('', 'member,reader'), 401,
           'IMG.0087')),

    # add_member, delete_member and modify_member refuse a role
    ['create: the owner, reader only', C($I1, '{"member": "p-new"}'),
     who('p-owner', 'reader'), 403, 'IMG.0026'],
    ['delete: the owner, reader only', D($I1, 'p-member'),
     who('p-owner', 'reader'), 403, 'IMG.0026'],
    ['update: a member, reader only', U($I1, 'p-member', $acc),
     who('p-member', 'reader'), 403, 'IMG.0026'],
    ['api update: a member, reader only', AU($I1, 'p-member', $acc),
     who('p-member', 'reader'), 403, 'IMG.0026'],
    ['create: a member, reader only', C($I1, '{"member": "p-new"}'),
     who('p-member', 'reader'), 403, 'IMG.0026'],
    ['delete: a member, reader only, its own', D($I1, 'p-member'),
     who('p-member', 'reader'), 403, 'IMG.0026'],
    ['create: a member, member role', C($I1, '{"member": "p-new"}'),
     who('p-member', 'member,reader'), 403, 'IMG.0026'],
    ['delete: a member, member role, its own', D($I1, 'p-member'),
     who('p-member', 'member,reader'), 403, 'IMG.0026'],

    # modify_member refuses the owner
    ['update: the owner, reader only', U($I1, 'p-member', $acc),
     who('p-owner', 'reader'), 403, 'IMG.0161'],
    ['api update: the owner, reader only', AU($I1, 'p-member', $acc),
     who('p-owner', 'reader'), 403, 'IMG.0161'],
    ['update: the owner, member role', U($I1, 'p-member', $acc),
     who('p-owner', 'member,reader'), 403, 'IMG.0161'],
    ['api update: the owner, member role', AU($I1, 'p-member', $acc),
     who('p-owner', 'member,reader'), 403, 'IMG.0161'],

    # another's membership is looked up before modify_member
    ['update: a member, another\'s membership', U($IA, 'p-other', $acc),
     who('p-member', 'member,reader'), 404, 'IMG.9005'],
    ['show: a member, another\'s membership', S($IA, 'p-other'),
     who('p-member', 'member,reader'), 404, 'IMG.9005'],

    # get_image refuses a caller without reader: the image is hidden
    (map {
        my $roles = $_;
        (['update: roles "' . $roles . '"', U($I1, 'p-member', $acc),
          who('p-member', $roles), 404, 'IMG.0027'],
         ['api update: roles "' . $roles . '"', AU($I1, 'p-member', $acc),
          who('p-member', $roles), 404, 'IMG.0027'],
         ['list: roles "' . $roles . '"', L($I1), who('p-member', $roles),
          404, 'IMG.0027'],
         ['show: roles "' . $roles . '"', S($I1, 'p-member'),
          who('p-member', $roles), 404, 'IMG.0027'],
         ['create: roles "' . $roles . '"', C($I1, '{"member": "p-new"}'),
          who('p-owner', $roles), 404, 'IMG.0027'],
         ['delete: roles "' . $roles . '"', D($I1, 'p-member'),
          who('p-owner', $roles), 404, 'IMG.0027'])
    } ('other', '')),
];

$Cases{bodies} = [
    # empty
    (map { [$_->[0] . ': no body', $_->[1], $member, 400, 'IMG.0007'] }
     ['update', U($I1, 'p-member', '')],
     ['api update', AU($I1, 'p-member', '')],
     ['batch update', BU('')],
     ['batch add', BA('')],
     ['batch delete', BD('')]),
    ['create: no body', C($I1, ''), $owner, 400, 'IMG.0007'],

    # not JSON, not an object, a body where none is expected
    (map {
        my $b = $_;
        (["update: body '$b'", U($I1, 'p-member', $b), $member, 400,
          'IMG.0001'],
         ["api update: body '$b'", AU($I1, 'p-member', $b), $member, 400,
          'IMG.0001'],
         ["create: body '$b'", C($I1, $b), $owner, 400, 'IMG.0001'],
         ["batch update: body '$b'", BU($b), $member, 400, 'IMG.0001'],
         ["batch add: body '$b'", BA($b), $owner, 400, 'IMG.0001'],
         ["batch delete: body '$b'", BD($b), $owner, 400, 'IMG.0001'])
    } ('{"status": "accepted"', 'not json', '["accepted"]', '"x"', '5')),
    ['list: a body on GET', L($I1, '{}'), $owner, 400, 'IMG.0001'],
    ['show: a body on GET', S($I1, 'p-member', '{}'), $owner, 400,
     'IMG.0001'],
    ['delete: a body on DELETE', D($I1, 'p-member', 'x'), $owner, 400,
     'IMG.0001'],

    # status and vault_id
    (map {
        my $b = $_;
        (["update: body '$b'", U($I5, 'p-member', $b), $member, 400,
          'IMG.0001'],
         ["api update: body '$b'", AU($I5, 'p-member', $b), $member, 400,
          'IMG.0001'])
    } ('{"vault_id": "v"}', '{"status": true}', '{"status": null}',
       '{"status": "Accepted"}', '{"status": "accepted", "vault_id": ""}',
       '{"status": "accepted", "vault_id": null}',
       '{"status": "accepted", "vault_id": 7}')),
    ['update: a bad status, even for a missing image',
     U($IM, 'p-member', '{"status": "maybe"}'), $member, 400, 'IMG.0001'],
    (map { ["batch update: body '$_'", BU($_), $member, 400, 'IMG.0001'] }
     qq/{"images": ["$I1"], "project_id": "p-member"}/,
     qq/{"images": ["$I1"], "project_id": "p-member", "status": "pending"}/,
     qq/{"images": ["$I1"], "project_id": "p-member", "status": 1}/,
     qq/{"images": ["$I1"], "project_id": "p-member", "status": "accepted",/
     . ' "vault_id": ""}',
     qq/{"images": ["$I1"], "project_id": "p-member", "status": "accepted",/
     . ' "vault_id": 5}'),

    # images
    (map {
        my $i = $_;
        (["batch update: images $i",
          BU(qq/{$i"project_id": "p-member", "status": "accepted"}/),
          $member, 400, 'IMG.0066'],
         ["batch add: images $i", BA(qq/{$i"projects": ["p-new"]}/),
          $owner, 400, 'IMG.0066'],
         ["batch delete: images $i", BD(qq/{$i"projects": ["p-member"]}/),
          $owner, 400, 'IMG.0066'])
    } ('', '"images": [], ', '"images": ["x", 7], ', '"images": "x", ',
       '"images": [null], ')),
    ['batch update: more images than ims_member_batch_max',
     BU('{"images": [' . join(', ', @thirteen) . '], "project_id":'
        . ' "p-member", "status": "accepted"}'), $member, 400, 'IMG.9008'],
    ['batch add: more pairs than ims_member_batch_max',
     BA("{\"images\": [$four], \"projects\": [$four]}"), $owner, 400,
     'IMG.9009'],
    ['batch delete: more pairs than ims_member_batch_max',
     BD("{\"images\": [$four], \"projects\": [$four]}"), $owner, 400,
     'IMG.9009'],

    # project_id
    (map { ["batch update: project_id $_",
            BU(qq/{"images": ["$I1"], $_"status": "accepted"}/), $member,
            400, 'IMG.0067'] }
     '', '"project_id": 5, ', '"project_id": "", ',
     qq/"project_id": "$long", /, '"project_id": null, '),
    ['batch update: another project\'s memberships',
     BU(qq/{"images": ["$I1"], "project_id": "p-other", "status":/
        . ' "accepted"}'), $member, 403, 'IMG.0030'],

    # member
    (map { ["create: body '$_'", C($I1, $_), $owner, 400, 'IMG.0067'] }
     '{}', '{"member": ""}', '{"member": null}', '{"member": 5}',
     '{"member": ["p-x"]}', qq/{"member": "$long"}/,
     '{"member": "a\u0001b"}', '{"member": false}'),

    # projects
    (map {
        my $p = $_;
        (["batch add: projects $p", BA(qq/{"images": ["$I1"]$p}/), $owner,
          400, 'IMG.0067'],
         ["batch delete: projects $p", BD(qq/{"images": ["$I1"]$p}/),
          $owner, 400, 'IMG.0067'])
    } ('', ', "projects": []', ', "projects": [""]',
       qq/, "projects": ["$long"]/, ', "projects": [5]',
       ', "projects": "p-new"')),

    # domains, organizations
    (map {
        my $f = $_;
        (["batch add: $f",
          BA(qq/{"images": ["$I1"], "projects": ["p-new"], "$f": ["x"]}/),
          $owner, 400, 'IMG.0105'],
         ["batch delete: $f",
          BD(qq/{"images": ["$I1"], "projects": ["p-member"], "$f": ["x"]}/),
          $owner, 400, 'IMG.0105'])
    } ('domains', 'organizations')),
];

$Cases{urls} = [
    ['update: no member', U($I1, '', $acc), $member, 404, 'IMG.0017'],
    ['update: more than a member',
     ['PUT', "/v2/images/$I1/members/p-member/x", $acc, 'update'], $member,
     404, 'IMG.0017'],
    ['update: not members',
     ['PUT', "/v2/images/$I1/memberz/p-member", $acc, 'update'], $member,
     404, 'IMG.0017'],
    ['api update: not members',
     ['PUT', "/v2/images/$I1/memberz/p-member", $acc, 'api'], $member, 404,
     'IMG.0017'],
    ['list: not members', ['GET', "/v2/images/$I1/memberz", undef, 'api'],
     $owner, 404, 'IMG.0017'],
    ['list: more than a member',
     ['GET', "/v2/images/$I1/members/p-member/x", undef, 'api'], $owner,
     404, 'IMG.0017'],
    ['show: not members',
     ['GET', "/v2/images/$I1/memberz/p-member", undef, 'api'], $owner, 404,
     'IMG.0017'],
    ['create: not members',
     ['POST', "/v2/images/$I1/memberz", '{"member": "p-new"}', 'api'],
     $owner, 404, 'IMG.0017'],
    ['delete: not members',
     ['DELETE', "/v2/images/$I1/memberz/p-member", undef, 'api'], $owner,
     404, 'IMG.0017'],
    ['job: not jobs', ['GET', "/v1/p-member/jobz/$Job", undef, 'api'],
     $member, 404, 'IMG.0017'],
    ['job: more than a job',
     ['GET', "/v1/p-member/jobs/$Job/x", undef, 'api'], $member, 404,
     'IMG.0017'],
    ['job progress: not job',
     ['GET', "/v1/cloudimages/jobz/$Job", undef, 'api'], $member, 404,
     'IMG.0017'],
    ['schemas: an unknown schema',
     ['GET', '/v2/schemas/nothing', undef, 'api'], [], 404, 'IMG.0017'],
    ['schemas: more than a schema',
     ['GET', '/v2/schemas/member/x', undef, 'api'], [], 404, 'IMG.0017'],
];

my $x = '{"member": "p-x"}';

$Cases{images} = [
    # missing, deleted, not visible
    ['update: a missing image', U($IM, 'p-member', $acc), $member, 404,
     'IMG.0027'],
    ['api update: a missing image', AU($IM, 'p-member', $acc), $member, 404,
     'IMG.0027'],
    ['update: a deleted image', U($I4, 'p-member', $acc), $member, 404,
     'IMG.0027'],
    ['update: a private image to its member', U($I2, 'p-member', $acc),
     $member, 404, 'IMG.0027'],
    ['api update: a shared image to a stranger', AU($I1, 'p-other', $acc),
     $other, 404, 'IMG.0027'],
    ['update: an id longer than the column', U('1' x 37, 'p-member', $acc),
     $member, 404, 'IMG.0066'],
    ['update: an id that is not UTF-8', U('%ED%A0%80', 'p-member', $acc),
     $member, 404, 'IMG.0066'],
    ['list: an id longer than the column', L('1' x 37), $owner, 404,
     'IMG.0066'],
    ['show: an id longer than the column', S('1' x 37, 'p-member'), $owner,
     404, 'IMG.0066'],
    ['create: an id longer than the column', C('1' x 37, $x), $owner, 404,
     'IMG.0066'],
    ['delete: an id with a control character', D('1%01', 'p-member'),
     $owner, 404, 'IMG.0066'],
    ['list: a missing image', L($IM), $member, 404, 'IMG.0027'],
    ['list: a shared image to a stranger', L($I1), $other, 404, 'IMG.0027'],
    ['show: a private image to its member', S($I2, 'p-member'), $member,
     404, 'IMG.0027'],
    ['show: a deleted image', S($I4, 'p-member'), $owner, 404, 'IMG.0027'],
    ['create: a missing image', C($IM, $x), $owner, 404, 'IMG.0027'],
    ['create: a private image to a stranger', C($I2, $x), $other, 404,
     'IMG.0027'],
    ['delete: a missing image', D($IM, 'p-member'), $owner, 404,
     'IMG.0027'],
    ['delete: a shared image to a stranger', D($I1, 'p-member'), $other,
     404, 'IMG.0027'],

    # private
    ['update: a private image, by an administrator',
     U($I2, 'p-member', $acc), $admin, 403, 'IMG.0084'],
    ['api update: a private image, by an administrator',
     AU($I2, 'p-member', $acc), $admin, 403, 'IMG.0084'],
    ['list: a private image, by its owner', L($I2), $owner, 403,
     'IMG.0084'],
    ['show: a private image, by its owner', S($I2, 'p-member'), $owner, 404,
     'IMG.0084'],
    ['create: a private image, by its owner', C($I2, $x), $owner, 403,
     'IMG.0084'],
    ['delete: a private image, by its owner', D($I2, 'p-member'), $owner,
     403, 'IMG.0084'],

    # public
    ['update: a public image', U($I3, 'p-member', $acc), $member, 403,
     'IMG.0083'],
    ['api update: a public image', AU($I3, 'p-member', $acc), $member, 403,
     'IMG.0083'],
    ['list: a public image', L($I3), $member, 403, 'IMG.0083'],
    ['show: a public image', S($I3, 'p-member'), $member, 404, 'IMG.0083'],
    ['delete: a public image, by its owner', D($I3, 'p-member'), $owner,
     403, 'IMG.0083'],
    ['create: a public image, by its owner', C($I3, $x), $owner, 403,
     'IMG.0089'],
    ['create: a public image, by a stranger', C($I3, $x), $other, 403,
     'IMG.0089'],
    ['create: a gold image, by its owner', C($IG, $x), $owner, 403,
     'IMG.0089'],
    ['create: a gold image, by its member (before the owner rule)',
     C($IG, $x), $member, 403, 'IMG.0089'],

    # community
    ['update: a community image', U($I8, 'p-member', $acc), $member, 403,
     'IMG.9011'],
    ['api update: a community image', AU($I8, 'p-member', $acc), $member,
     403, 'IMG.9011'],
    ['list: a community image', L($I8), $owner, 403, 'IMG.9011'],
    ['show: a community image', S($I8, 'p-member'), $owner, 404,
     'IMG.9011'],
    ['create: a community image', C($I8, $x), $owner, 403, 'IMG.9011'],
    ['delete: a community image', D($I8, 'p-member'), $owner, 403,
     'IMG.9011'],

    # the owner decides for no member
    ['update: the owner', U($I1, 'p-member', '{"status": "rejected"}'),
     $owner, 403, 'IMG.0161'],
    ['api update: the owner', AU($I1, 'p-member', '{"status": "rejected"}'),
     $owner, 403, 'IMG.0161'],

    # no such member, or not the caller's
    ['update: another\'s membership', U($IA, 'p-other', $acc), $member, 404,
     'IMG.9005'],
    ['api update: another\'s membership', AU($IA, 'p-other', $acc), $member,
     404, 'IMG.9005'],
    ['update: a deleted membership, by an administrator',
     U($I1, 'p-gone', $acc), $admin, 404, 'IMG.9005'],
    ['api update: another case is another member',
     AU($I1, 'P-MEMBER', $acc), $admin, 404, 'IMG.9005'],
    ['show: no such member', S($I1, 'p-nobody'), $member, 404, 'IMG.9005'],
    ['show: another\'s membership', S($IA, 'p-other'), $member, 404,
     'IMG.9005'],
    ['show: a deleted membership', S($I1, 'p-gone'), $owner, 404,
     'IMG.9005'],
    ['delete: no such member', D($I1, 'p-nobody'), $owner, 404, 'IMG.9005'],
    ['update: a member id longer than the column', U($I1, $long, $acc),
     $admin, 404, 'IMG.0067'],
    ['show: a member id with a control character', S($I1, 'p%01x'), $owner,
     404, 'IMG.0067'],
    ['delete: a member id longer than the column', D($I1, $long), $owner,
     404, 'IMG.0067'],
    ['delete: a deleted membership', D($I1, 'p-gone'), $admin, 404,
     'IMG.9005'],

    # the CBR vault
    ['update: accepting a CBR image without a vault',
     U($I5, 'p-member', $acc), $member, 400, 'IMG.9007'],
    ['api update: accepting a CBR image without a vault',
     AU($I5, 'p-member', $acc), $member, 400, 'IMG.9007'],

    # IMS's sharing rules, in their order
    ['create: not the owner', C($I1, $x), $member, 403, 'IMG.0047'],
    ['delete: not the owner', D($I1, 'p-member'), $member, 403, 'IMG.0047'],
    ['create: the owner\'s own project', C($I1, '{"member": "p-owner"}'),
     $owner, 400, 'IMG.0076'],
    ['create: the owner\'s own project, by an administrator',
     C($I1, '{"member": "p-owner"}'), $admin, 400, 'IMG.0076'],
    ['create: the own project before the full-ECS rule',
     C($I9, '{"member": "p-owner"}'), $owner, 400, 'IMG.0076'],
    ['create: a full-ECS image without a backup', C($I9, $x), $owner, 400,
     'IMG.0135'],
    ['create: the member limit (2)', C($IA, $x), $owner, 413, 'IMG.0088'],
    ['create: the member limit before the duplicate',
     C($IA, '{"member": "p-member"}'), $owner, 413, 'IMG.0088'],
    ['create: the full-ECS member limit (1)', C($I5, $x), $owner, 413,
     'IMG.0088'],
    ['create: already a member', C($I1, '{"member": "p-member"}'), $owner,
     409, 'IMG.9006'],
];

# the job endpoints, once the jobs of TEST 7 ran ("JOB": p-member's job)
$Cases{job_gets} = [
    ['job: another project\'s', J('p-member', 'JOB'), $other, 404,
     'IMG.9010'],
    ['job: another project\'s, under its own URL', J('p-other', 'JOB'),
     $other, 404, 'IMG.9010'],
    ['job: the caller\'s, under another project\'s URL', J('p-other', 'JOB'),
     $member, 404, 'IMG.9010'],
    ['job progress: another project\'s', P('JOB'), $other, 404, 'IMG.9010'],
    ['job: unknown', J('p-member', 'f' x 32), $member, 404, 'IMG.9010'],
    ['job progress: unknown', P('f' x 32), $member, 404, 'IMG.9010'],
    ['job: an id the module never makes', J('p-member', 'not-a-job'),
     $member, 404, 'IMG.9010'],
    ['job progress: an id the module never makes', P('not-a-job'), $member,
     404, 'IMG.9010'],
];

$Cases{db_tokens} = [every('the database unreachable', $member, 503,
                           'IMG.9003')];
$Cases{db_trusted} = [every('the database unreachable, a trusted project',
                            who('p-member'), 503, 'IMG.9003')];
$Cases{db_timeout} = [every('the database not answering in time', $member,
                             503, 'IMG.9003')];
$Cases{queue} = [every('the queue full', who('p-member'), 503,
                       'IMG.9004')];
$Cases{internal} = [every('a statement failing', $member, 500,
                          'IMG.0061')];

my $json_accept = ['X-Auth-Token' => 'tok-owner',
                   'Accept' => 'application/json'];

sub glance_json {
    my ($status, $title, $message) = @_;
    return ['{"message": ' . $json->encode("$message<br /><br />\n\n\n")
            . qq/, "code": "$status $title", "title": "$title"}/];
}

$Cases{glance} = [
    ['update: Glance\'s 401', U($I1, 'p-member', $acc), [], 401,
     [$Unauthorized]],
    ['update: Glance\'s malformed JSON', U($I1, 'p-member', '{"status":'),
     ['X-Auth-Token' => 'tok-member', 'Accept' => 'application/json'], 400,
     glance_json(400, 'Bad Request', 'Malformed JSON in request body.')],
    ['api update: Glance\'s bad status', AU($I1, 'p-member',
     '{"status": 5}'), $member, 400,
     ["400 Bad Request\n\nIncorrect request: Status must be \"pending\","
      . " \"accepted\" or \"rejected\".\n\n   "]],
    ['list: Glance\'s 403', L($I3), $json_accept, 403,
     glance_json(403, 'Forbidden', "Not allowed to list members for image"
                 . " $I3: Only shared images have members.")],
    ['show: Glance\'s 404', S($I3, 'p-member'), $json_accept, 404,
     glance_json(404, 'Not Found', 'Only shared images have members.')],
    ['create: Glance\'s 403 (no gold, no public rule)', C($I3, $x),
     $json_accept, 403,
     glance_json(403, 'Forbidden', "Not allowed to create members for"
                 . " image $I3.")],
    ['create: Glance\'s 409', C($I1, '{"member": "p-member"}'),
     $json_accept, 409,
     glance_json(409, 'Conflict', "Member p-member is duplicated for image"
                 . " $I1")],
    ['delete: Glance\'s 403', D($I3, 'p-member'), $json_accept, 403,
     glance_json(403, 'Forbidden', "Not allowed to delete members for"
                 . " image $I3.")],

    # the batch and the jobs keep IMS's words
    ['batch update: IMS\'s words still', BU('[]'), $member, 400,
     'IMG.0001'],
    ['batch add: IMS\'s words still', BA('{"images": ["x"], "projects":'
     . ' ["p"], "domains": ["d"]}'), $owner, 400, 'IMG.0105'],
    ['batch delete: IMS\'s words still', BD('{"images": ["x"]}'), [], 401,
     'IMG.0087'],
    ['job: IMS\'s words still', J('p-member', $Job), $member, 404,
     'IMG.9010'],
    ['job progress: IMS\'s words still', P($Job), $member, 404,
     'IMG.9010'],
];

# jobs whose every result fails: [label, method, body, token, project,
# expected results "image/project/code ..."]
our @Jobs = (
    ['update job of a member', 'PUT',
     qq/{"images": ["$IM", "$I2", "$I3", "$I8", "$I5", "$I4"],/
     . ' "project_id": "p-member", "status": "accepted"}', 'tok-member',
     'p-member',
     '1234/p-member/IMG.0027 2222/p-member/IMG.0027 3333/p-member/IMG.0083'
     . ' 8888/p-member/IMG.9011 5555/p-member/IMG.9007'
     . ' 4444/p-member/IMG.0027'],
    ['update job of an image id longer than the column', 'PUT',
     '{"images": ["' . ('1' x 37) . '"], "project_id": "p-member",'
     . ' "status": "accepted"}', 'tok-member', 'p-member',
     '1111/p-member/IMG.0027'],
    ['update job of the owner', 'PUT',
     qq/{"images": ["$I1"], "project_id": "p-owner", "status": "rejected"}/,
     'tok-owner', 'p-owner', '1111/p-owner/IMG.0161'],
    ['update job of an administrator for p-other', 'PUT',
     qq/{"images": ["$I1", "$I2"], "project_id": "p-other",/
     . ' "status": "rejected"}', 'tok-admin', 'p-other',
     '1111/p-other/IMG.9005 2222/p-other/IMG.0084'],
    ['add job of the owner', 'POST',
     qq/{"images": ["$I1", "$I2", "$I3", "$I8", "$I9", "$IA", "$I5", "$IG",/
     . qq/ "$IM", "$I4"], "projects": ["p-member"]}/, 'tok-owner', 'p-owner',
     '1111/p-member/IMG.9006 2222/p-member/IMG.0084 3333/p-member/IMG.0089'
     . ' 8888/p-member/IMG.9011 9999/p-member/IMG.0135'
     . ' aaaa/p-member/IMG.0088 5555/p-member/IMG.0088'
     . ' c600/p-member/IMG.0089 1234/p-member/IMG.0027'
     . ' 4444/p-member/IMG.0027'],
    ['add job to the owner\'s own project', 'POST',
     qq/{"images": ["$I1", "$I9"], "projects": ["p-owner"]}/, 'tok-owner',
     'p-owner', '1111/p-owner/IMG.0076 9999/p-owner/IMG.0076'],
    ['add job of a member', 'POST',
     qq/{"images": ["$I1", "$I2"], "projects": ["p-x"]}/, 'tok-member',
     'p-member', '1111/p-x/IMG.0047 2222/p-x/IMG.0027'],
    ['delete job of the owner', 'DELETE',
     qq/{"images": ["$I1", "$I2", "$I3", "$I8", "$IM"],/
     . ' "projects": ["p-nobody"]}', 'tok-owner', 'p-owner',
     '1111/p-nobody/IMG.9005 2222/p-nobody/IMG.0084'
     . ' 3333/p-nobody/IMG.0083 8888/p-nobody/IMG.9011'
     . ' 1234/p-nobody/IMG.0027'],
    ['delete job of a member', 'DELETE',
     qq/{"images": ["$I1"], "projects": ["p-member"]}/, 'tok-member',
     'p-member', '1111/p-member/IMG.0047'],
);


# --- the database before and after: a psql session of this file's own

my ($snap_in, $snap_out, $snap_h, $snap_n) = ('', '', undef, 0);

sub snap_sql {
    my $query = shift;
    unless ($snap_h) {
        my @cmd = ImsMember::Pg::psql_cmd();
        $snap_h = IPC::Run::start(\@cmd, \$snap_in, '>&', \$snap_out);
    }
    my $mark = '__t106_' . ++$snap_n . '__';
    $snap_out = '';
    $snap_in .= "$query;\n\\echo $mark\n";
    $snap_h->pump until $snap_out =~ /\Q$mark\E/;
    (my $out = $snap_out) =~ s/\Q$mark\E\n?//;
    chomp $out;
    return $out;
}

END {
    if ($snap_h) {
        $snap_in .= "\\q\n";
        eval { $snap_h->finish };
    }
}

# the rows a refusal must leave as they are (and the jobs, unless a job is
# what the check makes)
sub snapshot {
    my $with_jobs = shift;
    return snap_sql("SELECT md5(concat_ws('|',"
        . " (SELECT string_agg(t::text, ',' ORDER BY t.id)"
        . " FROM image_members t),"
        . " (SELECT string_agg(t::text, ',' ORDER BY t.image_id, t.member)"
        . " FROM ims_member_vaults t),"
        . " (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM images t),"
        . " (SELECT string_agg(t::text, ',' ORDER BY t.id)"
        . " FROM image_properties t)"
        . ($with_jobs ? ", (SELECT count(*) FROM ims_jobs),"
                        . " (SELECT count(*) FROM ims_job_images)" : '')
        . "))");
}

# the fixtures, a gold image shared with p-member, no job
sub fixtures {
    ImsMember::Pg::reset_fixtures();
    ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE;"
        . " INSERT INTO images (id, name, status, created_at, deleted, owner,"
        . " visibility) VALUES ('$IG', 'gold', 'active',"
        . " '2020-01-01 00:00:00', false, 'p-owner', 'shared');"
        . " INSERT INTO image_properties (image_id, name, value, created_at,"
        . " deleted) VALUES ('$IG', '__imagetype', 'gold',"
        . " '2020-01-01 00:00:00', false);"
        . " INSERT INTO image_members (image_id, member, can_share, status,"
        . " created_at, deleted) VALUES ('$IG', 'p-member', false,"
        . " 'pending', '2020-01-01 00:00:00', false)");
}


# --- what the answers hold: every IMG code met, with its message when
# the answer gives one

our @Met;

sub meet {
    my ($body, $where) = @_;
    my $doc = eval { JSON::PP::decode_json($body) };
    if (ref $doc eq 'HASH') {
        if (ref $doc->{error} eq 'HASH') {
            push @Met, [$doc->{error}{code} // '(none)',
                        $doc->{error}{message} // '(none)', $where];
        }
        if (defined $doc->{error_code}) {
            push @Met, [$doc->{error_code}, $doc->{fail_reason} // '(none)',
                        $where];
        }
        my $e = $doc->{entities};
        for my $r (ref $e eq 'HASH' && ref $e->{results} eq 'ARRAY'
                   ? @{ $e->{results} } : ())
        {
            push @Met, [$r->{error_code}, undef, $where]
                if defined $r->{error_code};
        }
    }
    push @Met, [$1, undef, $where] while $body =~ /(IMG\.\d+)/g;
}

sub send_req {
    my ($req, $headers) = @_;
    my ($method, $path, $body, $server) = @$req;
    local $ImsMember::Pg::HttpPort = $server eq 'update'
                                     ? $ENV{TEST_NGINX_UPDATE_PORT}
                                     : ImsMember::Pg::nginx_port();
    return ImsMember::Pg::http($method, $path, $body // '', @$headers);
}

# the cases of a block: each answer exactly, and the database unchanged
sub run_cases {
    my ($name, %o) = @_;
    my $cases = $Cases{$name} or die "no cases \"$name\"\n";
    my $before = $o{nosnap} ? '' : snapshot(1);
    for my $c (@$cases) {
        my ($label, $req, $headers, $status, $expect) = @$c;
        if ($o{job}) {
            $req = [@$req];
            $req->[1] =~ s/JOB/$o{job}/;
        }
        my ($got_status, $got) = send_req($req, $headers);
        meet($got, $label);
        my $after = $o{nosnap} ? '' : snapshot(1);
        my $want = "$status " . (ref $expect ? $expect->[0]
                                             : error_body($expect));
        Test::More::is("$got_status $got"
                       . ($after eq $before ? '' : "\n(the database changed)"),
                       $want, "$name: $label");
        $before = $after;
    }
}

# the results of a job's answer, "image/project/code" (the image by its
# first four characters)
sub results {
    my $doc = shift;
    my $e = ref $doc eq 'HASH' ? $doc->{entities} : undef;
    return join ' ', map {
        substr($_->{image_id}, 0, 4) . "/$_->{project_id}/"
        . ($_->{error_code} // $_->{status})
    } (ref $e eq 'HASH' && ref $e->{results} eq 'ARRAY'
       ? @{ $e->{results} } : ());
}

# runs the jobs of @Jobs: each submitted and ended FAIL, each result's
# code, the job's error_code and fail_reason (its first failure's, in the
# answer and in the progress), the memberships untouched; the id of the
# first job
sub run_jobs {
    my $first;
    for my $j (@Jobs) {
        my ($label, $method, $body, $token, $project, $expect) = @$j;
        my $before = snapshot(0);
        my ($status, $answer) = ImsMember::Pg::http($method,
            '/v1/cloudimages/members', $body, 'X-Auth-Token' => $token);
        meet($answer, $label);
        my ($id) = $answer =~ /^\{"job_id": "([0-9a-f]{32})"\}$/;
        my $end = $id ? ImsMember::Pg::wait_job($id) : '';
        Test::More::is("$status $end" . ($id ? '' : " $answer"), '200 FAIL',
                       "$label: submitted, and ended FAIL");
        $id //= 'none';
        $first //= $id;
        my (undef, $got) = ImsMember::Pg::http('GET', "/v1/$project/jobs/$id",
            '', 'X-Auth-Token' => $token);
        meet($got, $label);
        my $doc = eval { JSON::PP::decode_json($got) } || {};
        Test::More::is(results($doc), $expect, "$label: each result's code");
        my (undef, $progress) = ImsMember::Pg::http('GET',
            "/v1/cloudimages/job/$id", '', 'X-Auth-Token' => $token);
        meet($progress, $label);
        my $pdoc = eval { JSON::PP::decode_json($progress) } || {};
        my ($code) = $expect =~ /^\S+\/(IMG\.\d+)/;
        Test::More::is(join("\n", map { ($_->{status} // '') . ' '
                                        . ($_->{error_code} // 'null') . ' '
                                        . ($_->{fail_reason} // 'null') }
                                  $doc, $pdoc),
                       "FAIL $code $Msg{$code}\nFAIL $code $Msg{$code}",
                       "$label: the job's error_code and fail_reason");
        Test::More::is(snapshot(0), $before, "$label: nothing changed");
    }
    return $first;
}

# every IMG code met: published with that message, or the module's own
sub consistency {
    my (@bad, %seen);
    for my $m (@Met) {
        my ($code, $message, $where) = @$m;
        my $want = $Published{$code} ? $Published{$code}[1]
                 : $code =~ /^IMG\.90(0[1-9]|1[0-2])$/ ? $Own{$code}
                 : undef;
        my $bad = !defined $want
                  ? "$code is neither published nor the module's own"
                  : defined $message && $message ne $want
                  ? "$code with \"$message\""
                  : undef;
        push @bad, "$bad (in \"$where\")" if $bad && !$seen{$bad}++;
    }
    return join "\n", @bad;
}


my $cases = 0;
$cases += @$_ for values %Cases;

repeat_each(1);

plan tests => blocks() * 3 + $cases + @Jobs * 4 + 12;

no_shuffle();

$ENV{TEST_NGINX_UPDATE_PORT} = ImsMember::Pg::free_port();
$ENV{TEST_NGINX_CLOSED_PORT} = ImsMember::Pg::free_port();

# --- database: ok (the default), down (a closed port), limited (a role
# that may not touch the memberships nor the jobs); --- ident: tokens
# (the default), trusted (ims_member_project), roles (and
# ims_member_roles), keystone (the stand-in below); --- ims_errors: ims or
# glance; --- http_extra: more directives of the http block
add_block_preprocessor(sub {
    my $block = shift;

    my $db = $block->database // 'ok';
    my $dsn = $db eq 'down'
              ? "hostaddr=127.0.0.1 port=$ENV{TEST_NGINX_CLOSED_PORT}"
                . " dbname=ims user=postgres sslmode=disable"
              : $db eq 'limited' ? ImsMember::Pg::dsn('ims_t106')
              : '$TEST_NGINX_PG_DSN';
    my $listen = $db eq 'ok' ? '"$TEST_NGINX_PG_LISTEN"' : 'off';
    my $extra = $block->http_extra // '';
    my $interval = $extra =~ /ims_member_job_interval/
                   ? '' : "ims_member_job_interval 100ms;";
    my $ident = {
        tokens   => '',
        trusted  => 'ims_member_project $http_x_project_id;',
        roles    => "ims_member_project \$http_x_project_id;\n"
                    . "    ims_member_roles \$http_x_roles;",
        keystone => 'ims_member_keystone /_keystone;',
    }->{$block->ident // 'tokens'};
    my $errors = $block->ims_errors // 'ims';

    $block->set_value("http_config", <<"_EOC_") unless $block->http_config;
    ims_member_database "$dsn";
    ims_member_prepare \$TEST_NGINX_PG_PREPARE;
    ims_member_job_listen $listen;
    ims_member_batch_max 12;
    $interval
    $ident
    ims_member_errors $errors;
$extra

    server {
        listen 127.0.0.1:\$TEST_NGINX_UPDATE_PORT;

        location = /_keystone {
            internal;
            proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/keystone/v3/auth/tokens;
        }

        location /v2/images/ {
            ims_member_update;
        }
    }
_EOC_

    my $share = $block->share_quota
                ? "ims_member_share_quota " . $block->share_quota . ";" : '';

    $block->set_value("config", <<"_EOC_") unless $block->config;
    $share

    location = /_keystone {
        internal;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/keystone/v3/auth/tokens;
    }

    # a stand-in Keystone: a project's token, tokens without a project,
    # refusals and failures, by the token it is asked about
    location = /keystone/v3/auth/tokens {
        default_type application/json;
        if (\$http_x_subject_token = tok-domain) {
            return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "domain": {"id": "default", "name": "Default"}, "roles": [{"id": "r1", "name": "admin"}, {"id": "r2", "name": "member"}, {"id": "r3", "name": "reader"}]}}';
        }
        if (\$http_x_subject_token = tok-system) {
            return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "system": {"all": true}, "roles": [{"id": "r1", "name": "admin"}]}}';
        }
        if (\$http_x_subject_token = tok-unscoped) {
            return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "methods": ["password"], "user": {"id": "u1", "name": "member"}}}';
        }
        if (\$http_x_subject_token = tok-refused) {
            return 404 '{"error": {"code": 404, "title": "Not Found"}}';
        }
        if (\$http_x_subject_token = tok-fail) {
            return 500 '{"error": {"code": 500, "title": "Internal Server Error"}}';
        }
        if (\$http_x_subject_token = tok-garbage) {
            return 200 '{"nothing": true}';
        }
        return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "p-member", "name": "member"}, "roles": [{"id": "r2", "name": "member"}, {"id": "r3", "name": "reader"}]}}';
    }

    location /v2/images/ {
        ims_member_api;
    }

    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location /v1/ {
        ims_member_jobs;
    }

    location /v2/schemas/ {
        ims_member_schemas;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: no identity, with the module's own tokens: 401 IMG.0087 on every endpoint
--- init
main::fixtures();
# a role of its own for TEST 13, made before any nginx of it connects
ImsMember::Pg::sql("DROP ROLE IF EXISTS ims_t106;"
    . " CREATE ROLE ims_t106 LOGIN;"
    . " GRANT ALL ON ALL TABLES IN SCHEMA public TO ims_t106;"
    . " GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ims_t106;"
    . " REVOKE ALL ON image_members, ims_jobs, ims_job_images"
    . " FROM ims_t106");
main::run_cases('tokens');
--- request
PUT /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
not json
--- error_code: 401
--- response_body eval
main::error_body('IMG.0087')
--- no_error_log
[error]



=== TEST 2: Keystone: a token without a project 401 IMG.9001, Keystone failing 503 IMG.9002, a refused token 401 IMG.0087
--- ident: keystone
--- init
main::run_cases('keystone');
--- request
GET /v1/cloudimages/job/0123456789abcdef0123456789abcdef
--- more_headers
X-Auth-Token: tok-domain
--- error_code: 401
--- response_body eval
main::error_body('IMG.9001')
--- error_log
Keystone is unreachable or failing



=== TEST 3: Glance's new policies through a trusted layer: IMG.0026, IMG.0161, hidden images IMG.0027; no trusted project IMG.0087
--- ident: roles
--- init
main::run_cases('policy');
--- request
DELETE /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- more_headers
X-Project-Id: p-member
X-Roles: reader
--- error_code: 403
--- response_body eval
main::error_body('IMG.0026')
--- no_error_log
[error]



=== TEST 4: bodies: empty IMG.0007, malformed IMG.0001, images IMG.0066, too many IMG.9008 and IMG.9009, projects IMG.0067, another's project IMG.0030, domains IMG.0105
--- init
main::fixtures();
main::run_cases('bodies');
--- request
POST /v2/images/11111111-1111-1111-1111-111111111111/members
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 400
--- response_body eval
main::error_body('IMG.0007')
--- no_error_log
[error]



=== TEST 5: URLs that name nothing: 404 IMG.0017
--- init
main::run_cases('urls');
--- request
GET /v2/schemas/images
--- error_code: 404
--- response_body eval
main::error_body('IMG.0017')
--- no_error_log
[error]



=== TEST 6: the image's rules, the member's, the owner's and IMS's sharing rules on the single calls
--- share_quota: 2 1
--- init
main::fixtures();
main::run_cases('images');
--- request
POST /v2/images/99999999-9999-9999-9999-999999999999/members
{"member": "p-member"}
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 400
--- response_body eval
main::error_body('IMG.0135')
--- no_error_log
[error]



=== TEST 7: jobs: each failed result's code is the single call's, and the job's error_code and fail_reason its first failure's; other projects' jobs IMG.9010
--- share_quota: 2 1
--- init
main::fixtures();
my $id = main::run_jobs();
main::run_cases('job_gets', job => $id);
--- request
GET /v1/p-member/jobs/ffffffffffffffffffffffffffffffff
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body eval
main::error_body('IMG.9010')
--- no_error_log
[error]



=== TEST 8: a job whose slices fail too often: FAIL with IMG.9012
--- init
main::fixtures();
ImsMember::Pg::sql(<<'_SQL_');
CREATE OR REPLACE FUNCTION ims_t106_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ims test: this row cannot be updated';
END;
$$;
DROP TRIGGER IF EXISTS ims_t106_refuse ON image_members;
CREATE TRIGGER ims_t106_refuse BEFORE UPDATE ON image_members
    FOR EACH ROW EXECUTE FUNCTION ims_t106_refuse();
_SQL_
my $before = main::snapshot(0);
my ($status, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
    qq/{"images": ["$main::I7"], "project_id": "p-member",/
    . ' "status": "accepted"}', 'X-Auth-Token' => 'tok-member');
my ($id) = $body =~ /"job_id": "([0-9a-f]{32})"/;
Test::More::is($status . ' ' . ($id ? ImsMember::Pg::wait_job($id, 40) : ''),
               '200 FAIL', "the job ends FAIL");
$id //= 'none';
my (undef, $got) = ImsMember::Pg::http('GET', "/v1/p-member/jobs/$id", '',
                                       'X-Auth-Token' => 'tok-member');
main::meet($got, 'a job that failed too often');
my $doc = eval { JSON::PP::decode_json($got) } || {};
Test::More::is(($doc->{error_code} // 'null') . ' '
               . ($doc->{fail_reason} // 'null'),
               "IMG.9012 $main::Msg{'IMG.9012'}",
               "its error_code and fail_reason");
my (undef, $progress) = ImsMember::Pg::http('GET', "/v1/cloudimages/job/$id",
    '', 'X-Auth-Token' => 'tok-member');
main::meet($progress, 'a job that failed too often, its progress');
Test::More::like($progress, qr/"error_code": "IMG\.9012", "fail_reason": "\Q$main::Msg{'IMG.9012'}\E"/,
                 "and in its progress");
Test::More::is(ImsMember::Pg::sql("SELECT failures, error_code FROM ims_jobs"
                                  . " WHERE id = '$id'"),
               '5|IMG.9012', "after five failures");
ImsMember::Pg::sql("DROP TRIGGER ims_t106_refuse ON image_members");
Test::More::is(main::snapshot(0), $before, "nothing changed");
--- request
GET /v1/cloudimages/job/ffffffffffffffffffffffffffffffff
--- more_headers
X-Auth-Token: tok-member
--- error_code: 404
--- response_body eval
main::error_body('IMG.9010')
--- error_log
failed too often



=== TEST 9: the database unreachable: 503 IMG.9003 on every endpoint (the tokens' own lookup)
--- database: down
--- init
main::run_cases('db_tokens');
--- request
PUT /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
{"status": "accepted"}
--- more_headers
X-Auth-Token: tok-member
--- error_code: 503
--- response_body eval
main::error_body('IMG.9003')
--- error_log
could not connect to PostgreSQL



=== TEST 10: the database unreachable: 503 IMG.9003 on every endpoint (each endpoint's own statement)
--- database: down
--- ident: trusted
--- init
main::run_cases('db_trusted');
--- request
GET /v2/images/77777777-7777-7777-7777-777777777777/members
--- more_headers
X-Project-Id: p-owner
--- error_code: 503
--- response_body eval
main::error_body('IMG.9003')
--- error_log
could not connect to PostgreSQL



=== TEST 11: the database not answering in time: 503 IMG.9003 on every endpoint
--- http_extra
    ims_member_timeout 300ms;
--- init
main::fixtures();
my $before = main::snapshot(1);
my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("LOCK TABLE image_members, ims_jobs IN ACCESS EXCLUSIVE MODE");
main::run_cases('db_timeout', nosnap => 1);
# the statements given up end in PostgreSQL at their statement_timeout;
# through PgBouncer (ims_member_prepare off) the role's would end them,
# which the test's role lacks: it ends them as those would
ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::sql("SELECT count(*) FROM pg_stat_activity"
                       . " WHERE wait_event_type = 'Lock'") == 0
}, 3) or ImsMember::Pg::sql("SELECT pg_cancel_backend(pid)"
                            . " FROM pg_stat_activity"
                            . " WHERE wait_event_type = 'Lock'");
$lock->query("ROLLBACK");
$lock->close;
Test::More::is(main::snapshot(1), $before, "the timed-out requests changed"
                                          . " nothing");
--- request
GET /v2/images/11111111-1111-1111-1111-111111111111/members/p-member
--- more_headers
X-Auth-Token: tok-member
--- error_code: 200
--- response_body_like: ^\{"status": "pending", .*"member_id": "p-member"
--- error_log
PostgreSQL did not answer within 300 ms



=== TEST 12: the worker's queue full: 503 IMG.9004 on every endpoint at once; the waiting ones answer
--- ident: trusted
--- http_extra
    ims_member_pool 1;
    ims_member_queue 1;
    ims_member_group_commit off;
    ims_member_job_interval 1h;
--- init
main::fixtures();
my $lock = ImsMember::Pg::session();
$lock->query("BEGIN");
$lock->query("SELECT 1 FROM image_members WHERE image_id = '$main::I6'"
             . " FOR UPDATE");
my $a = do {
    local $ImsMember::Pg::HttpPort = $ENV{TEST_NGINX_UPDATE_PORT};
    ImsMember::Pg::http_send('PUT', "/v2/images/$main::I6/members/p-member",
        '{"status": "accepted"}', 'X-Project-Id' => 'p-member');
};
ImsMember::Pg::wait_for_lock_waiter();
my $b = ImsMember::Pg::http_send('GET', "/v2/images/$main::I7/members", '',
                                 'X-Project-Id' => 'p-owner');
ImsMember::Pg::wait_until(sub {
    ImsMember::Pg::error_log_has("statement waits for a connection")
}) or die "the list should wait in the queue\n";
main::run_cases('queue');
$lock->query("COMMIT");
$lock->close;
my @codes = map { (ImsMember::Pg::http_read($_))[0] } $a, $b;
Test::More::is("@codes", "200 200", "the waiting ones answer");
--- request
GET /v2/images/77777777-7777-7777-7777-777777777777/members
--- more_headers
X-Project-Id: p-owner
--- error_code: 200
--- response_body_like: ^\{"members": \[
--- error_log
already wait for a database connection



=== TEST 13: anything else failing on the server: 500 IMG.0061 on every endpoint
--- database: limited
--- init
main::run_cases('internal');
--- request
GET /v2/images/77777777-7777-7777-7777-777777777777/members/p-member
--- more_headers
X-Auth-Token: tok-owner
--- error_code: 500
--- response_body eval
main::error_body('IMG.0061')
--- error_log
permission denied



=== TEST 14: ims_member_errors glance: Glance's answers on Glance's endpoints, IMS's on the batch and the jobs
--- ims_errors: glance
--- init
main::fixtures();
main::run_cases('glance');
--- request
GET /v2/images/33333333-3333-3333-3333-333333333333/members
--- more_headers
X-Auth-Token: tok-owner
Accept: application/json
--- error_code: 403
--- response_body_unlike: IMG\.
--- no_error_log
[error]



=== TEST 15: every IMG code met is IMS's published one with its message, or the module's own
--- init
my %file = map { $_ => 1 } keys %main::Published;
Test::More::is(join(' ', sort keys %file),
               'IMG.0001 IMG.0007 IMG.0017 IMG.0026 IMG.0027 IMG.0030'
               . ' IMG.0047 IMG.0061 IMG.0066 IMG.0067 IMG.0076 IMG.0083'
               . ' IMG.0084 IMG.0087 IMG.0088 IMG.0089 IMG.0105 IMG.0135'
               . ' IMG.0161', "the published codes the module uses");
Test::More::is(join(' ', grep { $main::Published{$_}[1] =~ /^\s|\s$|\s\s/ }
                         sort keys %file), '',
               "their messages as the table has them, trimmed");
Test::More::ok(scalar(@main::Met) > 300, "codes met: " . scalar @main::Met);
Test::More::is(main::consistency(), '',
               "every code met: published with its message, or IMG.9001"
               . " to IMG.9012 with the module's");
my %codes = map { $_->[0] => 1 } @main::Met;
Test::More::is(join(' ', grep { !$codes{$_} } sort(keys %main::Published),
                                              sort(keys %main::Own)), '',
               "every code the module uses was met");
--- request
GET /v2/schemas/member
--- error_code: 200
--- response_body_like: "name": "member"
--- no_error_log
[error]
