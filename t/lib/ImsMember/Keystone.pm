package ImsMember::Keystone;

# A real Keystone for one test file: Debian's python3-keystone served by
# uwsgi on 127.0.0.1, its database on the file's PostgreSQL cluster
# (ImsMember::Pg), fernet tokens, "keystone-manage bootstrap", then
# projects, users and roles made over its REST API.  start() brings it up
# (about 25 s) and returns what the tests need: project ids, passwords and
# project-scoped tokens.  It is stopped when the file ends.

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(time);

use ImsMember::Pg;

my ($dir, $port, $pid, $owner_pid, %conf);
my $json = JSON::PP->new->canonical;

our $Password = 'ims-test-secret';

sub url { return "http://127.0.0.1:$port" }
sub port { return $port }
sub dir { return $dir }

sub manage {
    my @args = @_;
    ImsMember::Pg::run_quiet('keystone-manage', '--config-file',
                             "$dir/keystone.conf", @args);
}

sub write_conf {
    my $pg = $ENV{TEST_NGINX_PG_PORT};
    open my $fh, '>', "$dir/keystone.conf" or die "$!";
    print $fh <<"_EOC_";
[DEFAULT]
log_file = $dir/keystone.log
debug = false

[database]
connection = postgresql://postgres\@127.0.0.1:$pg/keystone

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $dir/fernet-keys

[fernet_receipts]
key_repository = $dir/fernet-receipts

[credential]
key_repository = $dir/credential-keys

[cache]
enabled = false
_EOC_
    close $fh;
}

# the workers of uwsgi, each loading Keystone on its own (--lazy-apps)
my $Workers = 2;

# "ready" lines of the workers in uwsgi.log past a byte offset
sub workers_ready {
    my $from = shift;
    open my $fh, '<', "$dir/uwsgi.log" or return 0;
    seek $fh, $from, 0;
    my $n = 0;
    while (<$fh>) {
        $n++ if /WSGI app \d+ \(mountpoint='[^']*'\) ready in /;
    }
    return $n;
}

# uwsgi in the background, logging every request to uwsgi.log; back once
# every worker has loaded Keystone and one answered: the first to load
# answers while the other still imports Keystone, and a validation then
# shares the CPU with that import
sub run {
    my $from = (-s "$dir/uwsgi.log") || 0;
    $pid = ImsMember::Pg::spawn("$dir/uwsgi.out",
        { OS_KEYSTONE_CONFIG_FILES => "$dir/keystone.conf" },
        'uwsgi', '--plugin', 'python3',
        '--http-socket', "127.0.0.1:$port",
        '--wsgi-file', '/usr/bin/keystone-wsgi-public',
        '--master', '--processes', $Workers, '--threads', '1',
        '--die-on-term', '--need-app', '--lazy-apps',
        # its HTTP socket closes every connection after one answer:
        # say so, or a client reusing one may meet a reset
        '--add-header', 'Connection: close',
        '--logto', "$dir/uwsgi.log", '--log-date');
    ImsMember::Pg::wait_http($pid, url() . '/v3', 120,
                             "keystone (see $dir/uwsgi.out)");
    ImsMember::Pg::wait_until(sub { workers_ready($from) >= $Workers }, 120)
        or die "keystone: $Workers workers not ready in 120 s"
               . " (see $dir/uwsgi.log)\n";
}

# Keystone stops answering at all (its processes killed)
sub stop {
    return unless $pid;
    ImsMember::Pg::reap($pid);
    undef $pid;
}

sub restart {
    stop();
    run();
}

# Keystone takes connections but answers nothing until resume()
sub pause { kill 'STOP', -$pid }
sub resume { kill 'CONT', -$pid }

# requests Keystone served of one path (a prefix), from uwsgi's log; uwsgi
# logs a request after its answer, so the count is read until it settles
sub requests {
    my $path = shift // '/v3/auth/tokens';
    my $count = sub {
        open my $fh, '<', "$dir/uwsgi.log" or return 0;
        my $n = 0;
        while (<$fh>) {
            $n++ if m{\] (?:GET|HEAD) \Q$path\E};
        }
        return $n;
    };
    my $n = $count->();
    for (1 .. 20) {
        select(undef, undef, undef, 0.25);
        my $m = $count->();
        last if $m == $n;
        $n = $m;
    }
    return $n;
}

sub api {
    my ($method, $path, $token, $body) = @_;
    my $http = HTTP::Tiny->new(timeout => 30);
    my %h = ('Content-Type' => 'application/json',
             'Accept' => 'application/json');
    $h{'X-Auth-Token'} = $token if $token;
    my $r = $http->request($method, url() . $path,
                           { headers => \%h,
                             defined $body
                               ? (content => $json->encode($body)) : () });
    die "keystone $method $path: $r->{status} $r->{content}\n"
        if $r->{status} >= 300;
    return ($r->{content} ? $json->decode($r->{content}) : {}, $r);
}

# a token of a user: scoped to its project, to the system, or unscoped
sub token {
    my ($user, $scope) = @_;
    my %auth = (identity => {
        methods => ['password'],
        password => { user => { name => $user, domain => { id => 'default' },
                                password => $Password } } });
    if (!defined $scope) {
        $scope = { project => { name => $conf{users}{$user}{project},
                                domain => { id => 'default' } } };
    }
    $auth{scope} = $scope if $scope ne 'unscoped';
    my ($doc, $r) = api('POST', '/v3/auth/tokens', undef,
                        { auth => \%auth });
    return $r->{headers}{'x-subject-token'};
}

sub revoke {
    my ($admin, $token) = @_;
    my $http = HTTP::Tiny->new(timeout => 30);
    my $r = $http->request('DELETE', url() . '/v3/auth/tokens',
                           { headers => { 'X-Auth-Token' => $admin,
                                          'X-Subject-Token' => $token } });
    die "revoke: $r->{status}\n" unless $r->{status} == 204;
}

# Brings Keystone up with the projects and users of the tests:
#   users => { name => { project, role } }: each user gets the role on a
#   project of its own name (made here); the bootstrap user "admin" has
#   the role "admin" on the project "admin".
# Returns { url, projects => { name => id }, tokens => { user => token } }.
sub start {
    my (%o) = @_;
    $dir = ImsMember::Pg::dir() . '/keystone';
    mkdir $dir;
    $port = ImsMember::Pg::free_port();
    $owner_pid = $$;

    ImsMember::Pg::run_quiet(ImsMember::Pg::psql_cmd_db('postgres'), '-c',
                             'CREATE DATABASE keystone');
    write_conf();
    manage('db_sync');
    for my $what ('fernet_setup', 'credential_setup') {
        manage($what, '--keystone-user', 'root', '--keystone-group', 'root');
    }
    manage('bootstrap', '--bootstrap-password', $Password,
           '--bootstrap-username', 'admin',
           '--bootstrap-project-name', 'admin',
           '--bootstrap-role-name', 'admin',
           '--bootstrap-region-id', 'RegionOne',
           '--bootstrap-admin-url', url() . '/v3',
           '--bootstrap-public-url', url() . '/v3',
           '--bootstrap-internal-url', url() . '/v3');
    run();

    my $users = $o{users} || {};
    $conf{users} = { admin => { project => 'admin' }, %$users };

    my $admin = token('admin');
    my (%projects, %roles);

    my ($list) = api('GET', '/v3/roles', $admin);
    $roles{$_->{name}} = $_->{id} for @{ $list->{roles} };

    ($list) = api('GET', '/v3/projects?name=admin', $admin);
    $projects{admin} = $list->{projects}[0]{id};

    # the administrator may also ask for a token scoped to the domain
    ($list) = api('GET', '/v3/users?name=admin', $admin);
    api('PUT', "/v3/domains/default/users/$list->{users}[0]{id}/roles/"
               . $roles{admin}, $admin);

    for my $name (sort keys %$users) {
        my $u = $users->{$name};
        my $project = $u->{project};
        if (!$projects{$project}) {
            my ($p) = api('POST', '/v3/projects', $admin,
                          { project => { name => $project,
                                         domain_id => 'default' } });
            $projects{$project} = $p->{project}{id};
        }
        my $role = $u->{role} || 'member';
        if (!$roles{$role}) {
            my ($r) = api('POST', '/v3/roles', $admin,
                          { role => { name => $role } });
            $roles{$role} = $r->{role}{id};
        }
        # no default project: a token asked without a scope stays unscoped
        my ($user) = api('POST', '/v3/users', $admin,
                         { user => { name => $name, domain_id => 'default',
                                     password => $Password } });
        api('PUT', "/v3/projects/$projects{$project}/users/"
                   . "$user->{user}{id}/roles/$roles{$role}", $admin);
    }

    # the image service in the catalog, for clients that look it up
    if ($o{image_url}) {
        my ($s) = api('POST', '/v3/services', $admin,
                      { service => { name => 'glance', type => 'image' } });
        for my $if ('public', 'internal', 'admin') {
            api('POST', '/v3/endpoints', $admin,
                { endpoint => { service_id => $s->{service}{id},
                                interface => $if, region_id => 'RegionOne',
                                url => $o{image_url} } });
        }
    }

    my %tokens = (admin => $admin);
    $tokens{$_} = token($_) for sort keys %$users;

    return { url => url() . '/v3', port => $port, projects => \%projects,
             tokens => \%tokens, admin => $admin };
}

END {
    if ($pid && $owner_pid && $owner_pid == $$) {
        resume();
        stop();
    }
}

1;
