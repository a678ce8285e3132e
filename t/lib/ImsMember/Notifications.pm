package ImsMember::Notifications;

# The member notifications as glance-api 25.1 itself sends them, for the
# tests that compare another sender with it, field for field.
#
# A notification here is what oslo.messaging's notification listener hands
# its endpoint ({ ctxt, publisher_id, event_type, payload, metadata }, as
# ImsMember::Rabbit::consume() returns it).  mask() replaces what differs
# from one send to the next (the times, the message id) by the shape it
# has, so that a time in another format, or a null where a time belongs,
# still shows; expected() is the masked document Glance sends for a member
# event.
#
# What Glance sends (glance/notifier.py, ImageMemberRepoProxy: add,
# save, remove), measured in t/160-glance-notifications.t:
#
#   image.member.create  on POST /v2/images/{id}/members
#   image.member.update  on PUT /v2/images/{id}/members/{member}, also
#                        when the status does not change
#   image.member.delete  on DELETE /v2/images/{id}/members/{member}
#
# with the payload { image_id, member_id, status, created_at, updated_at,
# deleted, deleted_at }: the times of the row as "YYYY-MM-DDThh:mm:ssZ"
# (oslo's isotime, UTC, no fraction), deleted false and deleted_at null
# but on a delete (true, the time of the delete).  The context is empty
# (the listener adds client_timeout: null), the priority INFO.

use strict;
use warnings;

use JSON::PP ();

our $Iso = 'YYYY-MM-DDThh:mm:ssZ';
our $Stamp = 'YYYY-MM-DD hh:mm:ss.ffffff';
our $Uuid = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';

my $iso_re = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
my $stamp_re = qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;
my $uuid_re = qr/^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;

sub shape {
    my ($v, $re, $mask) = @_;
    return $v if !defined $v || ref $v;
    return $v =~ $re ? $mask : $v;
}

# A copy of a notification with its times and message id masked.
sub mask {
    my $n = shift;
    my %m = %$n;
    $m{payload} = { %{ $n->{payload} } };
    for my $k (qw(created_at updated_at deleted_at)) {
        next unless exists $m{payload}{$k};
        $m{payload}{$k} = shape($m{payload}{$k}, $iso_re, $Iso);
    }
    if (ref $n->{metadata} eq 'HASH') {
        $m{metadata} = { %{ $n->{metadata} } };
        $m{metadata}{timestamp} = shape($m{metadata}{timestamp}, $stamp_re,
                                        $Stamp);
        $m{metadata}{message_id} = shape($m{metadata}{message_id}, $uuid_re,
                                         $Uuid);
    }
    return \%m;
}

# The oslo.message of a raw message (its JSON text), masked the same way,
# with the random _unique_id of the rabbit driver too.
sub mask_message {
    my $msg = shift;
    my %m = %$msg;
    $m{payload} = mask({ payload => $msg->{payload} })->{payload};
    $m{timestamp} = shape($m{timestamp}, $stamp_re, $Stamp);
    $m{message_id} = shape($m{message_id}, $uuid_re, $Uuid);
    $m{_unique_id} = shape($m{_unique_id}, qr/^[0-9a-f]{32}$/, 'hex32')
        if exists $m{_unique_id};
    return \%m;
}

# What Glance sends for a member event ('create', 'update', 'delete') of
# a member of an image, its status then, masked.
sub expected {
    my (%o) = @_;
    my $deleted = $o{event} eq 'delete';
    return {
        ctxt         => { client_timeout => undef },
        publisher_id => $o{publisher_id},
        event_type   => "image.member.$o{event}",
        payload      => {
            image_id   => $o{image_id},
            member_id  => $o{member_id},
            status     => $o{status},
            created_at => $Iso,
            updated_at => $Iso,
            deleted    => $deleted ? JSON::PP::true : JSON::PP::false,
            deleted_at => $deleted ? $Iso : undef,
        },
        metadata     => { message_id => $Uuid, timestamp => $Stamp },
    };
}

1;
