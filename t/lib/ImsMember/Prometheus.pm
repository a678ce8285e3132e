package ImsMember::Prometheus;

# A real Prometheus (Debian's) for one test file: it scrapes the status
# page of the nginx under test every second and answers PromQL over its
# HTTP API, on 127.0.0.1 only.  Its configuration names that one target
# and nothing else (no alertmanager, no remote write, no rules), its
# database is a temporary directory.  start() returns once it answers;
# its first scrape comes about 5 s later (the scrape manager takes new
# targets at most every 5 s).  It is stopped when the file ends.

use strict;
use warnings;

use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(time);
use URI::Escape qw(uri_escape);

use ImsMember::Pg;

my ($dir, $port, $pid, $owner_pid, $t0, $started);
my $http = HTTP::Tiny->new(timeout => 10);

sub port { return $port }
sub dir { return $dir }

# Seconds from start() until Prometheus answered, and until now.
sub started_in { return $started }
sub running_for { return time - $t0 }

# Starts Prometheus scraping http://127.0.0.1:$target$path.
sub start {
    my ($target, $path) = @_;
    die "Prometheus is already running\n" if $pid;
    -x '/usr/bin/prometheus'
        or die "no /usr/bin/prometheus: is the prometheus package"
               . " installed (scripts/deps.sh)?\n";
    $dir = tempdir('ims-prom-XXXXXX', TMPDIR => 1, CLEANUP => 0);
    $port = ImsMember::Pg::free_port();
    $path ||= '/metrics';

    open my $fh, '>', "$dir/prometheus.yml" or die "$!";
    print $fh <<"_EOC_";
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s

scrape_configs:
  - job_name: ims
    metrics_path: $path
    static_configs:
      - targets: ['127.0.0.1:$target']
_EOC_
    close $fh;

    $t0 = time;
    $owner_pid = $$;
    $pid = ImsMember::Pg::spawn("$dir/prometheus.log", {},
                                '/usr/bin/prometheus',
                                "--config.file=$dir/prometheus.yml",
                                "--storage.tsdb.path=$dir/data",
                                "--web.listen-address=127.0.0.1:$port",
                                '--log.level=warn');
    ImsMember::Pg::wait_http($pid, "http://127.0.0.1:$port/-/ready", 60,
                             'Prometheus');
    $started = time - $t0;
    return $port;
}

sub stop {
    return unless $pid;
    ImsMember::Pg::reap($pid);
    $pid = undef;
}

# An instant query, now or at a time (epoch seconds): its vector as
# [[{labels}, value, timestamp], ...].
sub query {
    my ($expr, $at) = @_;
    my $url = "http://127.0.0.1:$port/api/v1/query?query="
              . uri_escape($expr);
    $url .= sprintf('&time=%.3f', $at) if defined $at;
    my $res = $http->get($url);
    die "Prometheus: $expr: $res->{status} $res->{content}\n"
        unless $res->{success};
    my $data = decode_json($res->{content});
    die "Prometheus: $expr: $res->{content}\n"
        unless $data->{status} eq 'success'
               && $data->{data}{resultType} eq 'vector';
    return [map { [$_->{metric}, $_->{value}[1], $_->{value}[0]] }
            @{ $data->{data}{result} }];
}

# The one value of a query, undef when its vector is empty.
sub value {
    my ($expr, $at) = @_;
    my $v = query($expr, $at);
    die "Prometheus: $expr: " . scalar(@$v) . " samples\n" if @$v > 1;
    return @$v ? $v->[0][1] : undef;
}

# Waits (bounded) until a scrape that began after $since (epoch seconds)
# and succeeded is stored: what a query answers then counts everything
# done before.  A scrape's samples and its "up" are stored together.
sub scraped_after {
    my ($since, $limit) = @_;
    my $ts = wait_value('timestamp(up{job="ims"}) * up{job="ims"}',
                        sub { defined $_[0] && $_[0] > $since }, $limit);
    return defined $ts && $ts > $since;
}

# Polls a query (bounded, 30 s unless told) until $cond->(value) holds;
# returns the last value.
sub wait_value {
    my ($expr, $cond, $limit) = @_;
    my $v;
    my $deadline = time + ($limit || 30);
    for (;;) {
        $v = value($expr);
        return $v if $cond->($v) || time > $deadline;
        select(undef, undef, undef, 0.05);
    }
}

sub log_text {
    open my $fh, '<', "$dir/prometheus.log" or return '';
    local $/;
    return <$fh>;
}

END {
    if ($pid && $owner_pid && $owner_pid == $$) {
        local $?;
        eval { stop() };
        system('rm', '-rf', $dir) if $dir && !$ENV{TEST_NGINX_NO_CLEAN};
    }
}

1;
