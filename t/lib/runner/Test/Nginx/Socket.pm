package Test::Nginx::Socket;

# A small stand-in for CPAN's Test::Nginx::Socket (openresty/test-nginx)
# for systems that do not package it (Debian bookworm).  It is put on
# PERL5LIB only when "perl -MTest::Nginx::Socket -e1" fails, and runs the
# same .t files with the same number of tests and the same test names.
#
# A test file is Test::Base data: each "=== TEST n: title" block gives the
# nginx configuration (--- config, --- http_config, --- main_config), a
# request (--- request, --- raw_request, --- more_headers, ...) and what to
# expect (--- error_code, --- response_headers, --- response_body, ...,
# --- error_log, --- no_error_log, --- grep_error_log, --- must_die).
# Test/Nginx/Util.pm runs nginx; this file sends the requests and checks
# the answers and the error log.
#
# The tests each section gives, for every repetition (repeat_each) of a
# block with one request:
#
#   status code              1 (--- error_code, --- error_code_like, or 200)
#   --- response_headers     1 per distinct header ("!Name": must be absent)
#   --- response_headers_like  1 per header (ignored with response_headers)
#   --- raw_response_headers_like / _unlike   1 each
#   --- response_body (eval)          1
#   --- response_body_like / _unlike  1 (when there is no response_body)
#   --- error_log            1 per line (or per element of an eval's list)
#   --- no_error_log         1 per line (or per element)
#   --- grep_error_log(_out) 1
#   --- access_log / --- no_access_log   1 per line
#   --- stap(_out...)        1 (always skipped here)
#   --- ignore_response      no status, header nor body test
#   --- must_die             1 (nginx failed) + the error log tests, and
#                            no request
#   --- shutdown_error_log / --- no_shutdown_error_log   1 per line, once
#                            per block (not per repetition), when its nginx
#                            stops
#   --- skip_nginx / --- skip_eval / --- todo "N: ..."   N skipped tests
#
# A block with several requests (--- request eval giving an array, or
# --- pipelined_requests) gives the response tests and the error log tests
# once per request.  Failures the plan cannot foresee (a client timeout
# without --- abort, a bad chunked body, a pattern of --- no_error_log
# found twice) add a failing test, as in the real module.

use v5.10.1;
use strict;
use warnings;

use Test::Base -base;

our $VERSION = '0.33';

use Encode ();
use Digest::MD5 ();
use Digest::SHA ();
use Errno qw(EAGAIN EWOULDBLOCK);
use HTTP::Response ();
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use List::Util qw(min);
use Test::LongString ();
use Time::HiRes qw(sleep);

use Test::Nginx::Util qw(:DEFAULT);

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test
    repeat_each config_preamble worker_connections
    master_process_enabled
    no_long_string workers master_on master_off
    log_level no_shuffle no_root_location use_hup
    server_name
    server_addr server_root html_dir server_port server_port_for_client
    timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_test_cleanup_handler
    add_cleanup_handler add_response_body_check
);

our @ResponseBodyChecks;
our $TotalConnectingTimeouts = 0;

$Test::Nginx::Util::RunTestHelper         = \&run_test_helper;
$Test::Nginx::Util::CheckErrorLog         = \&check_error_log;
$Test::Nginx::Util::CheckShutdownErrorLog = \&check_shutdown_error_log;

sub set_http_config_filter ($) {
    $Test::Nginx::Util::FilterHttpConfig = shift;
}

# add_response_body_check(sub { my ($block, $body, $req_idx,
#                                   $repeated_req_idx, $dry_run) = @_; ... })
sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}

# A failing test the plan did not count: Test::Builder must not complain
# about the count at the end on top of it.
sub unplanned_fail ($) {
    Test::More->builder->no_ending(1);
    Test::More::fail(shift);
}

# "pat" -> "pat" with quotes, CR and LF escaped, for test names
sub fmt_str ($) {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------

# --- more_headers: "Name: value" lines ("#" comments skipped) -> the
# header lines with CRLF, and whether they ask for a chunked body.
sub parse_more_headers ($) {
    my $text = shift;
    my ($out, $chunked) = ('', 0);
    for my $line (split /\n+/, $text) {
        next if $line =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $line, 2;
        $val //= '';
        $chunked = 1 if lc $key eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $chunked);
}

# Turns the text of --- request ("METHOD [URI [VERSION]]" then the body),
# given as one or more packets, into the HTTP request sent: the version
# defaults to HTTP/1.1, Host, Connection and --- more_headers follow the
# request line, and a body gets a Content-Length (the body is then trimmed)
# unless it is chunked or the headers give one.  Returns the packets of the
# new request, cut where the original packets were cut.
sub build_request ($$$$$) {
    my ($name, $headers, $chunked, $conn, $packets) = @_;

    my $text = join '', map { $_ // '' } @$packets;

    $text =~ /\A([^\n]*\n?)/;
    my $first = $1;
    if ($first !~ /\S/) {
        bail_out("$name - Request line should be non-empty");
    }

    my @tok = $first =~ /^(\s*)(\S+)( *)(?:(\S+)( *))?(?:(\S+)( *))?(\s*)$/
        or bail_out("$name - Request line is not valid. Should be"
                    . " 'meth [url [version]]' but got \"$first\".");

    my ($pre, $meth, $sp1, $uri, $sp2, $ver, $sp3, $eol) = @tok;
    my $body = substr $text, length $first;

    my $extra = '';
    if (!$chunked && $body ne '' && $headers !~ /(?:^|\n)Content-Length:/) {
        $body =~ s/^\s+|\s+$//g;
        $extra = "Content-Length: " . length($body) . "\r\n";
    }

    $headers =~ s/(?<!\r)\n/\r\n/g;

    my $head = '';
    $head .= "Host: $ServerName\r\n" if $headers !~ /(?:^|\n)Host:/i;
    $head .= "Connection: $conn\r\n" if $headers !~ /(?:^|\n)Connection/i;
    $head .= "$headers$extra\r\n";

    # the pieces of the original text and what each becomes, to map the
    # packet boundaries onto the new request
    my @map = (
        [length $pre,                0, ''],
        [length $meth,               1, "$meth "],
        [length $sp1,                0, ''],
        [length($uri // ''),         1, ($uri // '/') . ' '],
        [length($sp2 // ''),         0, ''],
        [length($ver // ''),         1, ($ver // 'HTTP/1.1') . "\r\n"],
        [length($sp3 // '') + length $eol, 0, ''],
        [0,                          1, $head],
        [length($text) - length($first), 1, $body],
    );

    my $new = join '', map { $_->[2] } @map;
    return [$new] if @$packets <= 1;

    # an original offset -> the offset in the new request
    my $translate = sub {
        my $off = shift;
        my ($from, $to) = (0, 0);
        for my $m (@map) {
            my ($len, $keep, $str) = @$m;
            if ($off < $from + $len) {
                my $in = $off - $from;
                return $to + ($keep ? min($in, length $str) : 0);
            }
            $from += $len;
            $to += length $str;
        }
        return $to;
    };

    my @out;
    my ($orig, $prev) = (0, 0);
    for my $i (0 .. $#$packets) {
        $orig += length($packets->[$i] // '');
        my $cut = $i == $#$packets ? length $new : $translate->($orig);
        $cut = $prev if $cut < $prev;
        push @out, substr($new, $prev, $cut - $prev);
        $prev = $cut;
    }
    return \@out;
}

# The headers of the request number $i: --- more_headers may be an array,
# one entry per request.
sub more_headers_for ($$$) {
    my ($block, $more, $i) = @_;
    if (ref $more eq 'ARRAY') {
        my $h = $more->[$i];
        bail_out("--- more_headers lacks data for the request $i")
            unless defined $h;
        return parse_more_headers($h);
    }
    return parse_more_headers($more);
}

# The requests of a block: a list of requests, each a list of packets
# ({ value => bytes, delay_before => seconds }).
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;
    my @reqs;

    if (defined(my $raw = $block->raw_request)) {
        # sent exactly as given; an array is a list of packets
        if (ref $raw eq 'ARRAY') {
            push @reqs, [map { ref $_ ? $_ : { value => $_ } } @$raw];
        } else {
            push @reqs, [{ value => $raw }];
        }
        return \@reqs;
    }

    my $request;
    if (defined $block->request_eval) {
        Test::More::diag("$name - request_eval DEPRECATED. Use request eval"
                         . " instead.");
        $request = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $request = $block->request;
    }

    # leading blank lines and "#" comment lines are not part of it
    if (defined $request && !ref $request) {
        1 while $request =~ s/^\s*#[^\n]+\s+|^\s+//s;
    }

    my $more = $block->more_headers // '';

    if (my $pipelined = $block->pipelined_requests) {
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $pipelined eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$pipelined) {
            my $r = expand_env_in_text($pipelined->[$i], $name,
                                       $Test::Nginx::Util::RandPorts);
            my ($hdr, $chunked) = more_headers_for($block, $more, $i);
            my $conn = $i == $#$pipelined ? 'close' : 'keep-alive';
            $all .= build_request($name, $hdr, $chunked, $conn, [$r])->[0];
        }
        push @reqs, [{ value => $all }];
        return \@reqs;
    }

    if (!ref $request) {
        my ($hdr, $chunked) = more_headers_for($block, $more, 0);
        my $r = build_request($name, $hdr, $chunked, 'close', [$request]);
        push @reqs, [{ value => $r->[0] }];
        return \@reqs;
    }

    bail_out("$name - invalid ---request : MUST be string or array of"
             . " requests") unless ref $request eq 'ARRAY';

    # several requests, one connection each; a request may itself be a
    # list of packets (strings, or { value => ..., delay_before => ... })
    for my $i (0 .. $#$request) {
        my $one = $request->[$i];
        my ($hdr, $chunked) = more_headers_for($block, $more, $i);
        if (!ref $one) {
            my $r = build_request($name, $hdr, $chunked, 'close', [$one]);
            push @reqs, [{ value => $r->[0] }];
            next;
        }
        bail_out("$name - Invalid syntax. $one should be a string or an"
                 . " array of packets.") unless ref $one eq 'ARRAY';
        my @values = map {
            !ref $_ ? $_
            : ref $_ eq 'HASH' ? $_->{value}
            : bail_out("$name - Invalid syntax. $_ should be a string or"
                       . " hash with value.")
        } @$one;
        my $cut = build_request($name, $hdr, $chunked, 'close', \@values);
        my @packets;
        for my $j (0 .. $#$cut) {
            my %p = ref $one->[$j] ? %{ $one->[$j] } : ();
            $p{value} = $cut->[$j];
            push @packets, \%p;
        }
        push @reqs, \@packets;
    }

    return \@reqs;
}

# Connects to nginx, retrying while it starts (up to about 40 seconds).
sub connect_to_nginx ($$) {
    my ($block, $timeout) = @_;
    my $name = $block->name;
    my $addr = $block->server_addr_for_client // $ServerAddr;
    my $port = $ServerPortForClient;
    my $max = $TotalConnectingTimeouts ? 20 : 50;

    for my $try (1 .. $max + 1) {
        my $sock = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $port,
                                         Proto => 'tcp', Timeout => $timeout);
        return $sock if $sock;
        my $err = $!;

        last if $try > $max;

        # nginx under valgrind is our child: is it still there?
        my $child = $Test::Nginx::Util::ChildPid;
        if (defined $child && !Test::Nginx::Util::is_running($child)) {
            warn "WARNING: Child process $child is already gone.\n";
            unplanned_fail("$name - Can't connect to $addr:$port: $err"
                           . " (aborted)\n");
            return undef;
        }

        my $wait = (sleep_time() + sleep_time() * $try) * $try / 2;
        $wait = 1 if $wait > 1;
        if ($wait >= 0.6) {
            warn "$name - Can't connect to $addr:$port: $err\n"
                 . "\tRetry connecting after $wait sec\n";
        }
        sleep $wait;
    }

    my $msg = "$name - Can't connect to $addr:$port: $! (aborted)\n";
    if (++$TotalConnectingTimeouts < 3) {
        unplanned_fail($msg);
    } else {
        bail_out($msg);
    }
    return undef;
}

# Sends one request (its packets, with their delays) and reads the answer
# until nginx closes the connection.  Nothing happening for $timeout
# seconds is a failure unless the block has --- abort (the client then
# goes away).  Returns the raw answer and whether it was a HEAD request.
sub send_request ($$$$) {
    my ($packets, $middle_delay, $timeout, $block) = @_;
    my $name = $block->name;

    my $head_req = (join '', map { $_->{value} // '' } @$packets)
                   =~ /^\s*HEAD\s+/ ? 1 : 0;

    my $sock = connect_to_nginx($block, $timeout) or return (undef, $head_req);
    $sock->blocking(0);

    local $SIG{PIPE} = 'IGNORE';

    my @todo = @$packets;
    my $buf = (shift @todo)->{value} // '';
    my $off = 0;
    my $writing = 1;
    my $resp = '';

    my $rsel = IO::Select->new($sock);
    my $wsel = IO::Select->new($sock);

    IO: while (1) {
        $! = 0;
        my ($r, $w) = IO::Select->select($rsel, $writing ? $wsel : undef,
                                         undef, $timeout);
        if (!$r && !$w) {
            next IO if $!{EINTR};
            # nothing for $timeout seconds
            close $sock;
            if (defined $block->abort) {
                sleep 0.005;
            } else {
                unplanned_fail("ERROR: client socket timed out - $name\n");
            }
            last IO;
        }

        if ($w && @$w) {
            WRITE: while ($writing) {
                if ($off < length $buf) {
                    my $n = syswrite $sock, $buf, length($buf) - $off, $off;
                    if (!defined $n) {
                        last WRITE if $! == EAGAIN || $! == EWOULDBLOCK;
                        # nginx may have answered and closed already: read
                        # what it said
                        warn "write failed: $!\n";
                        $writing = 0;
                        last WRITE;
                    }
                    $off += $n;
                    next WRITE;
                }
                if (!@todo) {
                    $writing = 0;
                    if (defined(my $how = $block->shutdown)) {
                        $how = 1 if $how =~ /^\s*$/;
                        shutdown $sock, $how;
                    }
                    last WRITE;
                }
                my $next = shift @todo;
                my $delay = $next->{delay_before} // $middle_delay;
                sleep $delay if $delay;
                ($buf, $off) = ($next->{value} // '', 0);
            }
        }

        if ($r && @$r) {
            while (1) {
                my $n = sysread $sock, my $chunk, 4096;
                if (!defined $n) {
                    last if $! == EAGAIN || $! == EWOULDBLOCK;
                    warn "WARNING: $name - HTTP response read failure: $!\n";
                    close $sock;
                    last IO;
                }
                if ($n == 0) {
                    close $sock;
                    last IO;
                }
                $resp .= $chunk;
            }
        }
    }

    return ($resp, $head_req);
}

# ---------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------

# Parses a raw answer: (HTTP::Response with the decoded body, the raw
# header lines, the bytes after this answer).  A malformed chunked body is
# a failing test and gives nothing.
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;

    my $raw_headers = $raw =~ /\A(.*?\r\n)\r\n/s ? $1 : '';
    my $res = HTTP::Response->parse($raw);
    my $left;

    my $code = $res->code;
    if (defined $code && $code !~ /^\d+$/) {
        $res->code(undef);
        $code = undef;
    }
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $te = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my @trailers = $res->header('Trailer');

    if (defined $te && $te eq 'chunked') {
        my $data = $res->content // '';
        my $body = '';
        pos($data) = 0;
        while (1) {
            if (!@trailers && $data =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $data =~ /\G(.+)/gcs;
                last;
            }
            if (@trailers && $data =~ /\G0[ \t]*\r\n/gc) {
                for my $t (@trailers) {
                    if ($data !~ /\G\Q$t\E: [^\n]*\r\n/gc) {
                        unplanned_fail("$name - invalid trailer data received"
                                       . " (expected $t).");
                        return;
                    }
                }
                if ($data !~ /\G\r\n/gc) {
                    unplanned_fail("$name - invalid chunked data received"
                                   . " (expected CRLF).");
                    return;
                }
                $left = $1 if $data =~ /\G(.+)/gcs;
                last;
            }
            if ($data =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*(?:;[^\r\n]*)?\r\n/gc) {
                my $size = hex $1;
                if (length($data) - pos($data) < $size) {
                    unplanned_fail("$name - invalid chunked data received"
                                   . " (not enought octets for the data"
                                   . " section)");
                    return;
                }
                $body .= substr $data, pos($data), $size;
                pos($data) += $size;
                if ($data !~ /\G\r\n/gc) {
                    unplanned_fail("$name - invalid chunked data received"
                                   . " (expected CRLF).");
                    return;
                }
                next;
            }
            if ($data =~ /\G(.+)/gcs) {
                unplanned_fail("$name - invalid chunked body received: $1");
            } else {
                unplanned_fail("$name - no last chunk found - $data");
            }
            return;
        }
        $res->content($body);

    } elsif (defined $len && $len =~ /^\d+$/) {
        my $body = $res->content // '';
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected,"
                 . " but got ", length $body, "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

# The expected value for the request $idx: with several requests every
# expectation must be an array.
sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results"
                 . " should be arrays as well.");
    }
    if (ref $value eq 'ARRAY') {
        bail_out("$name - SHOULD NOT HAPPEN: idx != 0 and don't need array.")
            if $idx != 0;
        return $value->[0];
    }
    return $value;
}

sub status_of ($) {
    my $res = shift;
    return ($res && $res->code) || '';
}

sub check_error_code ($$$$$) {
    my ($block, $res, $dry_run, $idx, $need_array) = @_;
    my $name = $block->name;
    SKIP: {
        skip "$name - tests skipped due to $dry_run", 1 if $dry_run;
        if (defined $block->error_code_like) {
            my $pat = get_indexed_value($name, $block->error_code_like, $idx,
                                        $need_array);
            like(status_of($res), qr/$pat/sm, "$name - status code ok");
        } elsif (defined $block->error_code) {
            is(status_of($res),
               get_indexed_value($name, $block->error_code, $idx, $need_array),
               "$name - status code ok");
        } else {
            is(status_of($res), 200, "$name - status code ok");
        }
    }
}

sub check_raw_response_headers ($$$$$) {
    my ($block, $raw_headers, $dry_run, $idx, $need_array) = @_;
    my $name = $block->name;
    for my $kind (qw(like unlike)) {
        my $section = "raw_response_headers_$kind";
        next unless defined $block->$section;
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1
                if $dry_run;
            my $pat = get_indexed_value($name, $block->$section, $idx,
                                        $need_array);
            if ($kind eq 'like') {
                like($raw_headers // '', qr/$pat/s,
                     "$name - raw resp headers like");
            } else {
                unlike($raw_headers // '', qr/$pat/s,
                       "$name - raw resp headers unlike");
            }
        }
    }
}

sub check_response_headers ($$$$$$) {
    my ($block, $res, $raw_headers, $dry_run, $idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my ($headers, $order) = parse_headers(
            get_indexed_value($name, $block->response_headers, $idx,
                              $need_array));
        for my $key (@$order) {
            my $val = $headers->{$key};
            SKIP: {
                skip "$name - response_headers - tests skipped due to"
                     . " $dry_run", 1 if $dry_run;
                if (!defined $val) {
                    unlike($raw_headers // '', qr/^\s*\Q$key\E\s*:/ms,
                           "$name - header $key not present in the raw"
                           . " headers");
                } else {
                    $val =~ s/\$ServerPort\b/$ServerPort/g;
                    $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
                    my $got = $res ? $res->header($key) : undef;
                    is($got // '', $val, "$name - header $key ok");
                }
            }
        }

    } elsif (defined $block->response_headers_like) {
        my ($headers, $order) = parse_headers(
            get_indexed_value($name, $block->response_headers_like, $idx,
                              $need_array));
        for my $key (@$order) {
            my $val = $headers->{$key} // '';
            my $got = $res ? $res->header($key) : undef;
            SKIP: {
                skip "$name - response_headers_like - tests skipped due to"
                     . " $dry_run", 1 if $dry_run;
                like($got // '', qr/^$val$/, "$name - header $key like ok");
            }
        }
    }
}

# One --- response_body_filters filter: a sub, or the name of a builtin.
sub run_filter ($$$) {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;
    return $filter->($content) if ref $filter eq 'CODE';
    bail_out("$name - the --- response_body_filters section only supports"
             . " subroutine reference values and string values")
        if ref $filter;
    my %builtin = (
        md5_hex  => \&Digest::MD5::md5_hex,
        sha1_hex => \&Digest::SHA::sha1_hex,
        uc       => sub { uc shift },
        lc       => sub { lc shift },
        ucfirst  => sub { ucfirst shift },
        lcfirst  => sub { lcfirst shift },
        length   => sub { length shift },
    );
    my $f = $builtin{$filter}
        or bail_out("$name - unknown filter, \"$filter\", specified in the"
                    . " --- response_body_filters section");
    return $f->($content);
}

# --- response_body_filters: names ("uc md5_hex"), a sub, a list of them,
# or a list of lists (one per request).
sub transform_response_body ($$$) {
    my ($block, $res, $idx) = @_;
    my $filters = $block->response_body_filters;
    return unless defined $filters && defined $res;
    my $content = $res->content;
    return unless defined $content;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//g;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    if (@$filters && ref $filters->[0] eq 'ARRAY') {
        $filters = $filters->[$idx]
            // bail_out($block->name . " - the ---response_body_filters"
                        . " two-dimensional array unmatch the specified"
                        . " request($idx)");
        $filters = [$filters] unless ref $filters eq 'ARRAY';
    }
    $content = run_filter($block, $_, $content) for @$filters;
    $res->content($content);
}

sub check_response_body ($$$$$$) {
    my ($block, $res, $dry_run, $idx, $rep, $need_array) = @_;
    my $name = $block->name;

    if (defined(my $file = $block->write_resp_body_file) && $res) {
        open my $out, '>', $file
            or bail_out("$name - failed to write to file '$file': $!");
        print $out $res->content // '';
        close $out;
    }

    my $content = $res ? $res->content : undef;
    if (defined $content) {
        # lines an echoing server may add; never part of the expectation
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gm;
        $content =~ s/^Connection: TE, close\r\n//gm;
    }

    if (defined $block->response_body || defined $block->response_body_eval) {
        if (defined $block->response_body_json_sort && defined $content) {
            my $js = JSON::PP->new->canonical(1)->loose(1);
            my $obj = eval { $js->decode($content) };
            $content = $js->encode($obj) . "\n" if defined $obj;
        }

        my $expected;
        if ($block->response_body_eval) {
            Test::More::diag("$name - response_body_eval is DEPRECATED. Use"
                             . " response_body eval instead.");
            $expected = eval get_indexed_value($name,
                                               $block->response_body_eval,
                                               $idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body, $idx,
                                          $need_array);
        }

        if ($block->charset) {
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }

        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name,
                                           $Test::Nginx::Util::RandPorts);
        }

        SKIP: {
            skip "$name - response_body - tests skipped due to $dry_run", 1
                if $dry_run;
            if (ref $expected) {
                like($content, $expected, "$name - response_body - like"
                     . " (repeated req $rep, req $idx)");
            } elsif ($Test::Nginx::Util::NoLongString) {
                is($content, $expected, "$name - response_body - response is"
                   . " expected (repeated req $rep, req $idx)");
            } else {
                Test::LongString::is_string($content, $expected,
                    "$name - response_body - response is expected"
                    . " (repeated req $rep, req $idx)");
            }
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $section = "response_body_$type";
        my $pat = get_indexed_value($name, $block->$section, $idx,
                                    $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content) // '';
        SKIP: {
            skip "$name - response_body_$type - tests skipped due to"
                 . " $dry_run", 1 if $dry_run;
            my $desc = "$name - response_body_$type - response is expected"
                       . " ($summary)";
            if ($type eq 'like') {
                like($content, qr/$pat/s, $desc);
            } else {
                unlike($content, qr/$pat/s, $desc);
            }
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $idx, $rep, $dry_run);
    }
}

# ---------------------------------------------------------------------------
# Error log and access log
# ---------------------------------------------------------------------------

# The patterns of a log section: its lines (plain substrings), or what its
# eval gave (a qr//, or a list of strings and qr//s).
sub log_patterns ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ /$pat/ : index($line, $pat) >= 0;
}

sub mentions ($$) {
    my ($pats, $what) = @_;
    return 0 unless defined $pats;
    return scalar grep { defined && index("$_", $what) >= 0 }
                  ref $pats eq 'ARRAY' ? @$pats : ($pats);
}

# "must match" patterns: one passing test per pattern that matches a line
# (in the order of the lines), then one failing test per pattern that did
# not.
sub expect_lines {
    my ($name, $section, $what, $pats, $lines, $dry_run, $suffix) = @_;
    my @left = @$pats;
    for my $line (@$lines) {
        for my $pat (@left) {
            next unless defined $pat;
            next unless line_matches($line, $pat);
            SKIP: {
                skip "$name - $section - tests skipped due to $dry_run", 1
                    if $dry_run;
                pass("$name - pattern \"$pat\" matches a line in $what$suffix");
            }
            undef $pat;
        }
    }
    for my $pat (grep { defined } @left) {
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1
                if $dry_run;
            fail("$name - pattern \"$pat\" should match a line in"
                 . " $what$suffix");
        }
    }
}

# "must not match" patterns: a failing test for each line a pattern
# matches, then a passing test for each pattern that matched none.
sub reject_lines {
    my ($name, $section, $what, $pats, $lines, $dry_run, $suffix,
        $context) = @_;
    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@$pats) {
            next unless defined $pat;
            next unless line_matches($line, $pat);
            # a second failure for a pattern was not in the plan
            Test::More->builder->no_ending(1) if $found{$pat}++;
            SKIP: {
                skip "$name - $section - tests skipped due to $dry_run"
                     . " ($line)", 1 if $dry_run;
                my $more = '';
                if ($context) {
                    my $end = min($i + 10, @$lines - 1);
                    $more = join '', @$lines[$i + 1 .. $end - 1]
                        if $end - 1 >= $i + 1;
                }
                fail("$name - pattern \"" . fmt_str($pat) . "\" should not"
                     . " match any line in $what but matches line \""
                     . fmt_str($line) . "\"$suffix"
                     . ($context ? "\n$more" : ''));
            }
        }
    }
    for my $pat (@$pats) {
        next if !defined $pat || $found{$pat};
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1
                if $dry_run;
            pass("$name - pattern \"" . fmt_str($pat) . "\" does not match"
                 . " a line in $what$suffix");
        }
    }
}

# The error log tests of a block, for the lines logged since the last
# check: --- grep_error_log / --- grep_error_log_out, --- error_log and
# --- no_error_log.  [alert], [crit] and [emerg] lines the block does not
# mention are warned about; a failed assertion fails.
sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $rep, $need_array) = @_;
    my $name = $block->name;
    my $lines;
    my $suffix = " (req $rep)";

    my $grep = $block->grep_error_log;
    if (defined $grep && ref $grep eq 'ARRAY') {
        $grep = $grep->[$rep];
    }
    if (!defined $block->grep_error_log && defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but"
                 . " --- grep_error_log_out is defined");
    }

    if (defined $grep) {
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but"
                 . " --- grep_error_log is defined") unless defined $expected;
        $expected = $expected->[$rep] if ref $expected eq 'ARRAY';
        $expected = expand_env_in_text($expected, $name,
                                       $Test::Nginx::Util::RandPorts)
            unless ref $expected;

        SKIP: {
            skip "$name - error_log - tests skipped due to $dry_run", 1
                if $dry_run;
            $lines ||= error_log_data();
            my $out = '';
            for my $line (@{ $lines || [] }) {
                my $m;
                if (ref $grep) {
                    $m = $& if $line =~ /$grep/;
                } else {
                    $m = $grep if index($line, $grep) >= 0;
                }
                $out .= "$m\n" if defined $m && $m !~ /\n/;
            }
            my $desc = "$name - grep_error_log_out$suffix";
            if (ref $expected eq 'Regexp') {
                like($out, $expected, $desc);
            } elsif ($Test::Nginx::Util::NoLongString) {
                is($out, $expected, $desc);
            } else {
                Test::LongString::is_string($out, $expected, $desc);
            }
        }
    }

    my $pats_all = [grep { defined } $block->error_log, $block->no_error_log];
    my $warn_alert = !grep { mentions($_, '[alert') } @$pats_all;
    my $warn_crit  = !grep { mentions($_, '[crit') } @$pats_all;
    my $warn_emerg = !grep { mentions($_, '[emerg') } @$pats_all;

    if (defined $block->error_log) {
        $lines ||= error_log_data();
        expect_lines($name, 'error_log', 'error.log',
                     log_patterns($block->error_log), $lines || [],
                     $dry_run, $suffix);
    }

    if (defined $block->no_error_log) {
        $lines ||= error_log_data();
        reject_lines($name, 'no_error_log', 'error.log',
                     log_patterns($block->no_error_log), $lines || [],
                     $dry_run, $suffix, 1);
    }

    if (!$dry_run) {
        $lines ||= error_log_data();
        for my $line (@{ $lines || [] }) {
            if ($warn_alert && $line =~ /\[alert\]/
                || $warn_crit && $line =~ /\[crit\]/
                || $warn_emerg && $line =~ /\[emerg\]/)
            {
                warn "WARNING: $name - " . fmt_str($line) . "\n";
            }
        }
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp(my $l = $line);
            unplanned_fail("$name - $l\n");
        }
    }
}

sub check_access_log ($$$) {
    my ($block, $dry_run, $rep) = @_;
    my $name = $block->name;
    my $lines;
    my $suffix = " (req $rep)";

    if (defined $block->access_log) {
        $lines ||= access_log_data();
        expect_lines($name, 'access_log', 'access.log',
                     log_patterns($block->access_log), $lines, $dry_run,
                     $suffix);
    }
    if (defined $block->no_access_log) {
        $lines ||= access_log_data();
        reject_lines($name, 'no_access_log', 'access.log',
                     log_patterns($block->no_access_log), $lines, $dry_run,
                     $suffix, 1);
    }
}

# --- shutdown_error_log / --- no_shutdown_error_log: the lines nginx
# logged from the end of the block's last check to its exit.
sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines;

    if (defined $block->shutdown_error_log) {
        $lines ||= error_log_data();
        expect_lines($name, 'shutdown_error_log', 'error.log',
                     log_patterns($block->shutdown_error_log), $lines || [],
                     $dry_run ? 'dry_run' : '', '');
        for my $line (@{ $lines || [] }) {
            if ($line =~ /\bAssertion .*? failed\.$/) {
                chomp(my $l = $line);
                unplanned_fail("$name - $l");
            }
        }
    }

    if (defined $block->no_shutdown_error_log) {
        $lines ||= error_log_data();
        reject_lines($name, 'no_shutdown_error_log', 'error.log',
                     log_patterns($block->no_shutdown_error_log),
                     $lines || [], $dry_run, '', 0);
    }
}

# --- stap and friends need systemtap, which this runner does not drive:
# the one test they give is skipped, as the real module does without
# TEST_NGINX_USE_STAP.
sub test_stap ($$) {
    my ($block, $dry_run) = @_;
    return unless defined $block->stap;
    my $name = $block->name;
    SKIP: {
        skip "$name - stap_out - tests skipped due to env"
             . " TEST_NGINX_USE_STAP is not set", 1;
    }
}

# ---------------------------------------------------------------------------
# One repetition of a block
# ---------------------------------------------------------------------------

sub run_test_helper ($$$) {
    my ($block, $dry_run, $rep) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    bail_out("$name - request empty") unless @$reqs;

    my $timeout = parse_time($block->timeout) // timeout();

    my $pipelined = $block->pipelined_requests;
    my $need_array = $pipelined ? 1 : @$reqs > 1;
    my $answers = $pipelined ? scalar @$pipelined : 1;

    my $res;
    my $idx = 0;
    for my $r (0 .. $#$reqs) {
        my ($raw, $head_req) = send_request($reqs->[$r],
                                            $block->raw_request_middle_delay,
                                            $timeout, $block);
        $raw //= '';

        # one connection may carry several answers (pipelined requests)
        for my $n (1 .. $answers) {
            my ($raw_headers, $left);
            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = HTTP::Response->new(200, 'OK', [], $raw);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) = parse_response($name, $raw,
                                                                 $head_req);
                }

                if ($n == $answers && defined $left && length $left
                    && !$pipelined)
                {
                    (my $shown = $left)
                        =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/ge;
                    warn "WARNING: $name - unexpected extra bytes after last"
                         . " chunk in response: \"$shown\"\n";
                }
                $raw = $left // '';

                check_error_code($block, $res, $dry_run, $idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $dry_run,
                                           $idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $dry_run,
                                       $idx, $need_array);
                transform_response_body($block, $res, $idx);
                check_response_body($block, $res, $dry_run, $idx, $rep,
                                    $need_array);
            }

            # the error log between the requests of a block; the last
            # request's is checked below
            if ($n < $answers || $r < $#$reqs) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $rep, $need_array);
                check_access_log($block, $dry_run, $rep)
                    unless defined $block->ignore_response;
            }
            $idx++;
        }
    }

    sleep $block->wait if $block->wait;

    test_stap($block, $dry_run);

    check_error_log($block, $res, $dry_run, $rep, $need_array);
    check_access_log($block, $dry_run, $rep)
        unless defined $block->ignore_response;
}

1;
