package ImsMember::Events;

# What the tests of member events share: requests to the nginx under test
# with their headers, the rows of ims_member_events, the event a change
# should have written, the member rows they are compared with, batch jobs
# run to their end.  Exported into the test file (main).

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes ();

use ImsMember::Pg;

our @EXPORT = qw(send_req answer req last_event events_after expect
                 events_are row members_table run_job);

our $J = JSON::PP->new->canonical;
our $Iso = 'YYYY-MM-DD"T"HH24:MI:SS"Z"';

# Sends a request, to the server "localhost" unless a Host header names
# another; returns the socket, to read the answer with answer().
sub send_req {
    my ($method, $path, $body, %h) = @_;
    my $host = delete $h{Host} // 'localhost';
    my $s;
    my $deadline = Time::HiRes::time() + 30;
    until ($s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => ImsMember::Pg::nginx_port(),
                                      Proto => 'tcp'))
    {
        die "cannot connect to nginx: $!\n"
            if Time::HiRes::time() > $deadline;
        select(undef, undef, undef, 0.1);
    }
    $body //= '';
    my $req = "$method $path HTTP/1.1\r\nHost: $host\r\n"
              . "Connection: close\r\n"
              . "Content-Length: " . length($body) . "\r\n";
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    print $s "$req\r\n$body";
    return $s;
}

# A whole answer: (status, { lower-case header name => value }, body, the
# body decoded when it is a JSON object).
sub answer {
    my ($s, $timeout) = @_;
    my $data = '';
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    my $deadline = Time::HiRes::time() + ($timeout || 20);
    while (Time::HiRes::time() < $deadline) {
        my $rout = $rin;
        next unless select($rout, undef, undef,
                           $deadline - Time::HiRes::time()) > 0;
        my $n = sysread($s, $data, 65536, length $data);
        last if !$n;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    my @lines = split /\r\n/, $head // '';
    my ($status) = (shift(@lines) // '') =~ m{^HTTP/1\.\d (\d+)};
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } @lines;
    $body //= '';
    my $doc = $body =~ /^\{/ ? eval { $J->decode($body) } : undef;
    return ($status // 0, \%h, $body, $doc);
}

sub req {
    return answer(send_req(@_));
}

sub last_event {
    return ImsMember::Pg::sql("SELECT coalesce(max(id), 0)"
                              . " FROM ims_member_events");
}

# The events written after an id, in id order, each a hash.
sub events_after {
    my $after = shift;
    my $out = ImsMember::Pg::sql(
        "SELECT coalesce(json_agg(json_build_object('id', id,"
        . " 'event_type', event_type, 'image_id', image_id,"
        . " 'member', member, 'payload', ims_member_event_payload(e),"
        . " 'project_id', project_id, 'user_id', user_id,"
        . " 'request_id', request_id, 'job_id', job_id,"
        . " 'created_at', to_char(created_at,"
        . " 'YYYY-MM-DD HH24:MI:SS.US')) ORDER BY id), '[]')"
        . " FROM ims_member_events e WHERE id > $after");
    return @{ $J->decode($out) };
}

# What an event of a change says: $m the member as the change left it
# (image_id, member_id, status, created_at, updated_at; deleted_at for an
# unshare), and who made it.
sub expect {
    my ($type, $m, $project, $request, $job, $user) = @_;
    return {
        event_type => $type,
        image_id   => $m->{image_id},
        member     => $m->{member_id},
        payload    => {
            image_id   => $m->{image_id},
            member_id  => $m->{member_id},
            status     => $m->{status},
            created_at => $m->{created_at},
            updated_at => $m->{updated_at},
            deleted    => defined $m->{deleted_at} ? JSON::PP::true()
                                                   : JSON::PP::false(),
            deleted_at => $m->{deleted_at},
        },
        project_id => $project,
        user_id    => $user,
        request_id => $request,
        job_id     => $job,
    };
}

# Compares events (without their id and time) with expected ones.
sub events_are {
    my ($got, $want, $what) = @_;
    my @g = map { my %e = %$_; delete @e{qw(id created_at)}; \%e } @$got;
    Test::More::is($J->encode(\@g), $J->encode($want), $what);
}

# The newest row of a pair as a member object, its times as Glance's
# isotime() writes them; "us": updated_at to the microsecond.
sub row {
    my ($image, $member) = @_;
    my $out = ImsMember::Pg::sql(
        "SELECT json_build_object('image_id', image_id, 'member_id', member,"
        . " 'status', status, 'created_at', to_char(created_at, '$Iso'),"
        . " 'updated_at', to_char(updated_at, '$Iso'),"
        . " 'deleted_at', to_char(deleted_at, '$Iso'),"
        . " 'us', to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US'))"
        . " FROM image_members WHERE image_id = '$image'"
        . " AND member = '$member' ORDER BY id DESC LIMIT 1");
    return $J->decode($out);
}

# Every member row, to see that nothing changed.
sub members_table {
    return ImsMember::Pg::sql(
        "SELECT string_agg(concat_ws('/', id, image_id, member, status,"
        . " updated_at, deleted, deleted_at), ' ' ORDER BY id)"
        . " FROM image_members");
}

# Submits a batch, waits (bounded) for its job's end: (job id, request id
# of the submission, status of the job).
sub run_job {
    my ($method, $body, %h) = @_;
    my ($st, $hdr, undef, $doc) = req($method, '/v1/cloudimages/members',
                                      $body, %h);
    Test::More::is($st, 200, "$method batch submitted");
    my $id = $doc->{job_id} // 'none';
    return ($id, $hdr->{'x-openstack-request-id'},
            ImsMember::Pg::wait_job($id));
}

1;
