package ImsMember::Glance;

# A real glance-api for one test file: Debian's glance-api (25.1, Zed) on
# 127.0.0.1, its database on the file's PostgreSQL cluster (ImsMember::Pg)
# made by "glance-manage db_sync", sql/ims.sql loaded into it, a local file
# store.  start() brings it up once for the file; it is stopped when the
# file ends.  The identity comes from Glance's own headers (X-Identity-
# Status, X-Project-Id, X-Roles: the "trusted-auth" pipeline), as a
# Keystone middleware in front would set them, or with start(keystone =>
# {...}) from a real Keystone through Glance's own keystonemiddleware.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Socket::INET;

use ImsMember::Pg;

my $root = abs_path(dirname(__FILE__) . '/../../..');
my ($dir, $port, $pid, $owner_pid);

sub url { return "http://127.0.0.1:$port" }
sub port { return $port }

# the database of glance-api: libpq's keywords for the module
sub dsn {
    return "hostaddr=127.0.0.1 port=$ENV{TEST_NGINX_PG_PORT} dbname=glance"
           . " user=postgres sslmode=disable";
}

sub sql {
    my $query = shift;
    my @cmd = ImsMember::Pg::psql_cmd_db('glance');
    my $out = ImsMember::Pg::run_quiet(@cmd, '-c', $query);
    chomp $out;
    return $out;
}

sub write_conf {
    my ($ks, $quota, $rbac, $notify) = @_;
    my $pg = $ENV{TEST_NGINX_PG_PORT};
    my $flavor = $ks ? 'keystone' : 'trusted-auth';
    my $new = $rbac ? 'true' : 'false';

    # Debian's pipelines, and one that trusts the identity headers
    open my $in, '<', '/etc/glance/glance-api-paste.ini'
        or die "no /etc/glance/glance-api-paste.ini: is glance-api"
               . " installed?\n";
    open my $out, '>', "$dir/glance-api-paste.ini" or die "$!";
    print $out $_ while <$in>;
    print $out "\n[pipeline:glance-api-trusted-auth]\n",
               "pipeline = cors healthcheck http_proxy_to_wsgi",
               " versionnegotiation osprofiler context rootapp\n";
    close $out;
    close $in;

    open my $fh, '>', "$dir/glance-api.conf" or die "$!";
    print $fh <<"_EOC_";
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
workers = 1
log_file = $dir/glance-api.log
debug = false
enabled_backends = local:file
image_member_quota = $quota
enforce_secure_rbac = $new

[database]
connection = postgresql://postgres\@127.0.0.1:$pg/glance

[paste_deploy]
config_file = $dir/glance-api-paste.ini
flavor = $flavor

[glance_store]
default_backend = local

[local]
filesystem_store_datadir = $dir/images

[os_glance_staging_store]
filesystem_store_datadir = $dir/staging

[os_glance_tasks_store]
filesystem_store_datadir = $dir/tasks

[oslo_policy]
enforce_scope = $new
enforce_new_defaults = $new
_EOC_
    if ($notify) {
        # Glance's own notifications, as an operator turns them on
        print $fh <<"_EOC_";

[oslo_messaging_notifications]
driver = messagingv2
transport_url = $notify->{url}
_EOC_
        print $fh "\n[DEFAULT]\n",
                  "default_publisher_id = $notify->{publisher_id}\n"
            if $notify->{publisher_id};
    }
    if ($ks) {
        print $fh <<"_EOC_";

[keystone_authtoken]
www_authenticate_uri = $ks->{url}
auth_url = $ks->{url}
auth_type = password
username = $ks->{username}
password = $ks->{password}
project_name = $ks->{project}
user_domain_id = default
project_domain_id = default
service_token_roles_required = true
_EOC_
    }
    close $fh;
}

sub run {
    $pid = ImsMember::Pg::spawn("$dir/glance-api.out", {},
                                'glance-api', '--config-file',
                                "$dir/glance-api.conf");
    ImsMember::Pg::wait_http($pid, url() . '/healthcheck', 180,
                             "glance-api (see $dir/glance-api.out)");
}

sub stop {
    return unless $pid;
    ImsMember::Pg::reap($pid);
    undef $pid;
}

# One request, exactly as given (no header of a client library's own), on
# a connection of its own: (port, method, path, [name => value, ...], body
# or undef, chunked).  The body, when there is one and it is not chunked,
# gets its Content-Length.  Returns { status, headers => { lc name =>
# value }, body }.
sub raw {
    my ($port, $method, $path, $headers, $body, $chunked) = @_;
    my ($s, $deadline) = (undef, time + 30);
    # nginx may still be starting (under valgrind, say)
    until ($s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Timeout => 30))
    {
        die "connect to $port: $!\n" if time > $deadline;
        select(undef, undef, undef, 0.1);
    }
    my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
              . "Connection: close\r\n";
    my @h = @$headers;
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    if ($chunked) {
        $req .= "Transfer-Encoding: chunked\r\n\r\n";
        $req .= sprintf("%x\r\n%s\r\n", length $body, $body)
            if defined $body && length $body;
        $req .= "0\r\n\r\n";
    } elsif (defined $body) {
        $req .= "Content-Length: " . length($body) . "\r\n\r\n$body";
    } else {
        $req .= "\r\n";
    }
    print $s $req;
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($head, $content) = split /\r\n\r\n/, $resp, 2;
    my ($line, @lines) = split /\r\n/, $head // '';
    my %h;
    for (@lines) {
        my ($k, $v) = split /:\s*/, $_, 2;
        $h{lc $k} = $v;
    }
    my ($status) = ($line // '') =~ m{^HTTP/1\.\d (\d+)};
    return { status => $status // 0, line => $line // '', headers => \%h,
             body => $content // '' };
}

# The headers of an identity as keystonemiddleware hands it to Glance (and
# nginx's trusted layer to the module): who is "project[:roles]", or
# "nobody" (an identity that is not confirmed).
sub identity {
    my $who = shift;
    return ('X-Identity-Status' => 'Invalid', 'X-Project-Id' => 'p-member')
        if $who eq 'nobody';
    my ($project, $roles) = split /:/, $who;
    return ('X-Identity-Status' => 'Confirmed', 'X-Project-Id' => $project,
            'X-Roles' => $roles || 'member');
}

# What a client sees of an answer, as one text: the status and its reason,
# Content-Type and the body, the time of an update masked.
sub seen {
    my $r = shift;
    (my $body = $r->{body}) =~ s/"updated_at": "[^"]*"/"updated_at": "-"/g;
    (my $line = $r->{line}) =~ s{^HTTP/1\.\d }{};
    return "$line; " . ($r->{headers}{'content-type'} // '(none)')
           . "\n$body";
}

# Brings glance-api up on its own database, with the module's schema;
# keystone => { url, username, password, project }: Glance's service user;
# member_quota: Glance's image_member_quota (128, its default); rbac:
# Glance's new default policies; notifications => { url, publisher_id }:
# Glance sends its notifications (oslo.messaging's messagingv2) to that
# transport URL, under that publisher id (Glance's "image.localhost" when
# none).
sub start {
    my (%o) = @_;
    $dir = ImsMember::Pg::dir() . '/glance';
    mkdir $dir;
    mkdir "$dir/$_" for qw(images staging tasks);
    $port = ImsMember::Pg::free_port();
    $owner_pid = $$;

    ImsMember::Pg::run_quiet(ImsMember::Pg::psql_cmd_db('postgres'), '-c',
                             'CREATE DATABASE glance');
    write_conf($o{keystone}, $o{member_quota} // 128, $o{rbac},
               $o{notifications});
    ImsMember::Pg::run_quiet('glance-manage', '--config-file',
                             "$dir/glance-api.conf", 'db_sync');
    ImsMember::Pg::run_quiet(ImsMember::Pg::psql_cmd_db('glance'),
                             '-f', "$root/sql/ims.sql");
    run();
    return { url => url(), port => $port };
}

END {
    stop() if $pid && $owner_pid && $owner_pid == $$;
}

1;
