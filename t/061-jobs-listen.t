# A new job wakes a worker through its LISTEN connection; that connection
# is watched like a pooled one and opened again when PostgreSQL ends it, so
# a job never waits for the timer because the listener died.

use lib 't/lib';
use ImsMember::Pg;
use Test::Nginx::Socket;

repeat_each(1);

plan tests => repeat_each() * (blocks() * 3) + 6;

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    ims_member_database "$TEST_NGINX_PG_DSN";
    ims_member_prepare $TEST_NGINX_PG_PREPARE;
    ims_member_job_listen "$TEST_NGINX_PG_LISTEN";
    ims_member_job_interval 60s;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /v1/cloudimages/members {
        ims_member_batch;
    }

    location ~ ^/v1/[^/]+/jobs/[^/]+$ {
        ims_member_jobs;
    }
_EOC_
    }

    if (!defined $block->more_headers) {
        $block->set_value("more_headers", "X-Auth-Token: tok-member\n");
    }
});

# Submits a job over HTTP and waits (bounded, far below the 60 s timer)
# for it to end; returns its status.
sub submit_and_wait {
    my ($status, $body) = ImsMember::Pg::http('PUT', '/v1/cloudimages/members',
        '{"images": ["11111111-1111-1111-1111-111111111111"],'
        . ' "project_id": "p-member", "status": "accepted"}',
        'X-Auth-Token' => 'tok-member');
    my ($id) = $body =~ /"job_id": "([0-9a-f]{32})"/;
    return "not submitted: $status" unless $id;
    return ImsMember::Pg::wait_job($id, 10);
}

# Waits (bounded) for a LISTEN backend other than those in @old.
sub new_listener {
    my %old = map { $_ => 1 } @_;
    my @pids;
    ImsMember::Pg::wait_until(sub {
        @pids = grep { !$old{$_} } ImsMember::Pg::module_backends(1);
    }, 15);
    return @pids;
}

run_tests();

__DATA__

=== TEST 1: the listener is ended by an administrator, then by a restart: it comes back each time and wakes the worker
--- init
ImsMember::Pg::reset_fixtures();
ImsMember::Pg::sql("TRUNCATE ims_jobs CASCADE");

my @first = main::new_listener();
Test::More::is(main::submit_and_wait(), 'SUCCESS',
               "a job runs at once: a notification woke the worker");

ImsMember::Pg::terminate_backends(1);
my @second = main::new_listener(@first);
Test::More::is(scalar @second, 1, "a new LISTEN connection after"
                                  . " pg_terminate_backend()");
Test::More::is(main::submit_and_wait(), 'SUCCESS', "and it wakes the worker");

ImsMember::Pg::restart_server();
my @third = main::new_listener(@second);
Test::More::is(scalar @third, 1, "a new LISTEN connection after a restart");
Test::More::is(main::submit_and_wait(), 'SUCCESS', "and it wakes the worker");
Test::More::is(ImsMember::Pg::error_log_count("listening for new jobs again"),
               2, "each return is logged once");
--- request
PUT /v1/cloudimages/members
{"images": ["77777777-7777-7777-7777-777777777777"], "project_id": "p-member", "status": "rejected"}
--- error_code: 200
--- response_body_like: ^\{"job_id": "[0-9a-f]{32}"\}$
--- error_log
no connection listens for new jobs, opening one in
