
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_job.h"
#include "ngx_http_ims_member_pg_listen.h"
#include "ngx_http_ims_member_results.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"


/*
 * Images of one job done in one transaction: a 10,000-image job is one
 * round trip (about 0.2 s of PostgreSQL's time), and no statement holds
 * its row locks for long.
 */
#define NGX_HTTP_IMS_MEMBER_JOB_SLICE  10000

/* per-image results retention removes in one statement, at most */
#define NGX_HTTP_IMS_MEMBER_JOB_PURGE_ROWS  10000

/*
 * A job whose slice fails as a whole waits 500 ms, doubling after each
 * failure, and ends FAIL (IMG.9012, the cause table's JOB_FAILED) at the
 * fifth.
 */
#define NGX_HTTP_IMS_MEMBER_JOB_FAILURES    5
#define NGX_HTTP_IMS_MEMBER_JOB_BACKOFF     500

#define NGX_HTTP_IMS_MEMBER_JOB_MAX_PARAMS  5


/*
 * Each worker runs the batch jobs kept in the database: a cancelable timer
 * (and a notification on a new job) starts a run; a run is a chain of
 * short statements, each claiming or going on with one job, until none is
 * left.  Nothing here waits: every step is an operation of the pool.
 */

struct ngx_http_ims_member_job_s {
    /* what ngx_event_ident() reads of an event's data, as in a connection */
    void                               *data;
    ngx_event_t                        *read;
    ngx_event_t                        *write;
    ngx_socket_t                        fd;

    ngx_event_t                         timer;
    ngx_log_t                          *log;
    ngx_http_ims_member_pg_pool_t      *pg;
    ngx_http_ims_member_pg_listen_t    *listen;
    ngx_pool_t                         *pool;
    ngx_http_ims_member_pg_op_t        *op;
    ngx_http_ims_member_metrics_t      *metrics;

    ngx_msec_t                          interval;
    ngx_str_t                           lease;
    ngx_str_t                           slice;
    ngx_str_t                           retention;
    ngx_str_t                           purge_rows;
    ngx_str_t                           failures;
    ngx_str_t                           backoff;
    ngx_str_t                           codes;      /* of the failures */

    ngx_str_t                           worker;
    ngx_str_t                           job;
    u_char                              job_id[NGX_HTTP_IMS_MEMBER_JOB_ID_LEN];

    unsigned                            running:1;
    unsigned                            again:1;
};


static void ngx_http_ims_member_job_tick(ngx_event_t *ev);
static void ngx_http_ims_member_job_notify(void *data);
static void ngx_http_ims_member_job_run(ngx_http_ims_member_job_t *job);
static void ngx_http_ims_member_job_step(ngx_http_ims_member_job_t *job,
    ngx_uint_t stmt);
static void ngx_http_ims_member_job_step_done(
    ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_job_next(ngx_http_ims_member_job_t *job);
static void ngx_http_ims_member_job_end(ngx_http_ims_member_job_t *job);
static ngx_int_t ngx_http_ims_member_job_number(ngx_pool_t *pool,
    ngx_str_t *s, ngx_uint_t n);


ngx_http_ims_member_job_t *
ngx_http_ims_member_job_init(ngx_cycle_t *cycle,
    ngx_http_ims_member_pg_pool_t *pg, ngx_str_t *conninfo,
    ngx_msec_t timeout, ngx_msec_t interval, ngx_msec_t lease,
    time_t retention, ngx_http_ims_member_metrics_t *metrics,
    ngx_http_ims_member_metrics_worker_t *worker)
{
    u_char                     *p, id[NGX_HTTP_IMS_MEMBER_JOB_ID_LEN];
    ngx_http_ims_member_job_t  *job;

    job = ngx_pcalloc(cycle->pool, sizeof(ngx_http_ims_member_job_t));
    if (job == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     job->pool = NULL;
     *     job->running = 0;
     *     job->again = 0;
     */

    job->fd = (ngx_socket_t) -1;
    job->log = cycle->log;
    job->pg = pg;
    job->metrics = metrics;
    job->interval = interval;

    if (ngx_http_ims_member_job_number(cycle->pool, &job->lease, lease)
           != NGX_OK
        || ngx_http_ims_member_job_number(cycle->pool, &job->slice,
                                          NGX_HTTP_IMS_MEMBER_JOB_SLICE)
           != NGX_OK
        || ngx_http_ims_member_job_number(cycle->pool, &job->retention,
                                          (ngx_uint_t) retention)
           != NGX_OK
        || ngx_http_ims_member_job_number(cycle->pool, &job->purge_rows,
                                          NGX_HTTP_IMS_MEMBER_JOB_PURGE_ROWS)
           != NGX_OK
        || ngx_http_ims_member_job_number(cycle->pool, &job->failures,
                                          NGX_HTTP_IMS_MEMBER_JOB_FAILURES)
           != NGX_OK
        || ngx_http_ims_member_job_number(cycle->pool, &job->backoff,
                                          NGX_HTTP_IMS_MEMBER_JOB_BACKOFF)
           != NGX_OK
        || ngx_http_ims_member_job_codes(cycle->pool, &job->codes) != NGX_OK)
    {
        return NULL;
    }

    /*
     * "host:pid:nonce": a lease names its worker; the nonce tells a new
     * worker from a dead one that had the same pid
     */

    p = ngx_pnalloc(cycle->pool, cycle->hostname.len + NGX_INT64_LEN + 18);
    if (p == NULL) {
        return NULL;
    }

    if (ngx_http_ims_member_job_id(id, cycle->log) != NGX_OK) {
        return NULL;
    }

    job->worker.data = p;
    job->worker.len = ngx_sprintf(p, "%V:%P:%*s", &cycle->hostname, ngx_pid,
                                  (size_t) 8, id)
                      - p;

    job->timer.handler = ngx_http_ims_member_job_tick;
    job->timer.data = job;
    job->timer.log = cycle->log;
    job->timer.cancelable = 1;

    /* a job submitted while no worker ran is taken at once */

    ngx_add_timer(&job->timer, 1);

    /*
     * the timer stays the guarantee; a notification only brings it nearer,
     * when there is a session to LISTEN on
     */

    if (conninfo == NULL) {
        return job;
    }

    job->listen = ngx_http_ims_member_pg_listen_create(cycle, conninfo,
                                                 timeout,
                                                 NGX_HTTP_IMS_MEMBER_SQL_LISTEN,
                                                 ngx_http_ims_member_job_notify,
                                                 job, &worker->listen);
    if (job->listen == NULL) {
        return NULL;
    }

    return job;
}


static void
ngx_http_ims_member_job_tick(ngx_event_t *ev)
{
    ngx_http_ims_member_job_t  *job;

    job = ev->data;

    if (ngx_terminate || ngx_exiting) {
        return;
    }

    ngx_add_timer(&job->timer, job->interval);

    if (job->running) {
        job->again = 1;
        return;
    }

    ngx_http_ims_member_job_run(job);
}


/* a run: retention first, on its own, then claims until none is left */

static void
ngx_http_ims_member_job_run(ngx_http_ims_member_job_t *job)
{
    job->running = 1;
    ngx_str_null(&job->job);

    ngx_http_ims_member_job_step(job, NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE);
}


static void
ngx_http_ims_member_job_notify(void *data)
{
    ngx_http_ims_member_job_t  *job = data;

    if (ngx_terminate || ngx_exiting) {
        return;
    }

    if (job->running) {
        job->again = 1;
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, job->log, 0,
                   "ims_member: a new job was announced");

    if (job->timer.timer_set) {
        ngx_del_timer(&job->timer);
    }

    ngx_post_event(&job->timer, &ngx_posted_events);
}


static void
ngx_http_ims_member_job_step(ngx_http_ims_member_job_t *job, ngx_uint_t stmt)
{
    ngx_str_t                    *params;
    ngx_http_ims_member_pg_op_t  *op;

    /* a pool per statement: a run of many steps does not grow */

    job->pool = ngx_create_pool(1024, job->log);
    if (job->pool == NULL) {
        ngx_http_ims_member_job_end(job);
        return;
    }

    op = ngx_pcalloc(job->pool, sizeof(ngx_http_ims_member_pg_op_t));
    params = ngx_pcalloc(job->pool, NGX_HTTP_IMS_MEMBER_JOB_MAX_PARAMS
                                    * sizeof(ngx_str_t));

    if (op == NULL || params == NULL) {
        ngx_http_ims_member_job_end(job);
        return;
    }

    params[0] = job->worker;
    params[1] = job->job;

    switch (stmt) {

    case NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP:
        params[2] = job->lease;
        params[3] = job->slice;
        params[4] = job->codes;
        op->nparams = NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP_NPARAMS;
        break;

    case NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED:
        params[2] = job->failures;
        params[3] = job->backoff;
        params[4] = ngx_http_ims_member_cause(
                        NGX_HTTP_IMS_MEMBER_ERR_JOB_FAILED)->code->code;
        op->nparams = NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED_NPARAMS;
        break;

    case NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE:
        params[0] = job->retention;
        params[1] = job->purge_rows;
        op->nparams = NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE_NPARAMS;
        break;

    default: /* NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE */
        op->nparams = NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE_NPARAMS;
    }

    /*
     * the operation's timer is not cancelable: a started step commits or
     * fails before the worker exits, else its lease lapses
     */

    op->stmt = stmt;
    op->params = params;
    op->pool = job->pool;
    op->log = job->log;
    op->handler = ngx_http_ims_member_job_step_done;
    op->data = job;
    op->ident = job;

    if (ngx_http_ims_member_pg_run(job->pg, op) != NGX_OK) {
        ngx_http_ims_member_job_end(job);
        return;
    }

    job->op = op;
}


static void
ngx_http_ims_member_job_step_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_int_t                   age;
    ngx_str_t                  *row;
    ngx_uint_t                  ok;
    ngx_http_ims_member_job_t  *job;

    job = op->data;
    job->op = NULL;

    ok = (op->rc == NGX_OK && op->rows.nrows == 1 && op->rows.ncols >= 1
          && op->rows.values[0].data != NULL);
    row = op->rows.values;

    switch (op->stmt) {

    case NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE:

        /* the oldest job not finished, read once a run (NULL: none) */

        if (ok && op->rows.ncols == 3) {
            age = row[2].data ? ngx_atoi(row[2].data, row[2].len) : 0;

            ngx_http_ims_member_metrics_set(job->metrics,
                                            NGX_HTTP_IMS_MEMBER_M_JOB_OLDEST_MS,
                                            age > 0 ? age : 0);
        }

        /* retention failing is no reason not to run jobs */

        if (ok && op->rows.ncols >= 2 && row[1].data
            && !(row[0].len == 1 && row[0].data[0] == '0'
                 && row[1].len == 1 && row[1].data[0] == '0'))
        {
            ngx_log_error(NGX_LOG_INFO, job->log, 0,
                          "ims_member: retention removed %V jobs and %V "
                          "results", &row[0], &row[1]);
        }

        ngx_http_ims_member_job_next(job);
        return;

    case NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED:
        if (ok && row[0].len == sizeof("failed") - 1) {
            ngx_log_error(NGX_LOG_WARN, job->log, 0,
                          "ims_member: job %V: failed too often, it ends "
                          "FAIL (%V)", &job->job,
                          &ngx_http_ims_member_cause(
                              NGX_HTTP_IMS_MEMBER_ERR_JOB_FAILED)->code->code);

        } else if (ok) {
            ngx_log_error(NGX_LOG_WARN, job->log, 0,
                          "ims_member: job %V: tried again later", &job->job);
        }

        ngx_http_ims_member_job_next(job);
        return;

    case NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP:

        /* a step of a job held is a slice; without one, a claim */

        if (job->job.len) {
            ngx_http_ims_member_metrics_add(job->metrics,
                                            NGX_HTTP_IMS_MEMBER_M_JOB_SLICES,
                                            1);
        }

        if (ok && op->rows.ncols == 2) {
            break;
        }

        if (job->job.len && !op->unreached) {
            ngx_http_ims_member_metrics_add(job->metrics,
                                      NGX_HTTP_IMS_MEMBER_M_JOB_SLICE_FAILURES,
                                      1);
        }

        /*
         * A slice that failed in the server is recorded apart (its own
         * transaction rolled back): the job waits while others run, and
         * ends FAIL if it keeps failing.  Without a server, the next tick
         * tries again.
         */

        if (job->job.len && !op->unreached) {
            ngx_log_error(NGX_LOG_ERR, job->log, 0,
                          "ims_member: a slice of job %V failed",
                          &job->job);
            ngx_destroy_pool(job->pool);
            job->pool = NULL;
            ngx_http_ims_member_job_step(job,
                                         NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED);
            return;
        }

        ngx_http_ims_member_job_end(job);
        return;

    default: /* NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE */
        if (ok) {
            ngx_log_error(NGX_LOG_INFO, job->log, 0,
                          "ims_member: released job %V on shutdown",
                          &job->job);
        }

        ngx_http_ims_member_job_end(job);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, job->log, 0,
                   "ims_member: job step: %V %V", &row[0], &row[1]);

    if (row[0].len == sizeof("idle") - 1
        && ngx_strncmp(row[0].data, "idle", row[0].len) == 0)
    {
        ngx_http_ims_member_job_end(job);
        return;
    }

    if (row[0].len == sizeof("more") - 1
        && ngx_strncmp(row[0].data, "more", row[0].len) == 0
        && row[1].len == NGX_HTTP_IMS_MEMBER_JOB_ID_LEN)
    {
        ngx_memcpy(job->job_id, row[1].data, row[1].len);
        job->job.data = job->job_id;
        job->job.len = row[1].len;

        ngx_destroy_pool(job->pool);
        job->pool = NULL;

        /* a worker that stops lets go of what it has not done */

        ngx_http_ims_member_job_step(job,
                                     (ngx_terminate || ngx_exiting)
                                     ? NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE
                                     : NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP);
        return;
    }

    if (row[0].len == sizeof("finished") - 1
        && ngx_strncmp(row[0].data, "finished", row[0].len) == 0)
    {
        ngx_log_error(NGX_LOG_INFO, job->log, 0,
                      "ims_member: job %V finished", &row[1]);
    }

    /* finished or lost: look for another job, unless stopping */

    ngx_http_ims_member_job_next(job);
}


/* the next claim of a run, unless the worker stops */

static void
ngx_http_ims_member_job_next(ngx_http_ims_member_job_t *job)
{
    if (job->pool) {
        ngx_destroy_pool(job->pool);
        job->pool = NULL;
    }

    if (ngx_terminate || ngx_exiting) {
        ngx_http_ims_member_job_end(job);
        return;
    }

    ngx_str_null(&job->job);
    ngx_http_ims_member_job_step(job, NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP);
}


static void
ngx_http_ims_member_job_end(ngx_http_ims_member_job_t *job)
{
    if (job->pool) {
        ngx_destroy_pool(job->pool);
        job->pool = NULL;
    }

    job->running = 0;

    /* a notification came during the run: there may be a new job */

    if (job->again && !ngx_terminate && !ngx_exiting) {
        job->again = 0;
        ngx_http_ims_member_job_run(job);
    }
}


/* a step in flight when the process exits: its pool goes with it */

void
ngx_http_ims_member_job_exit(ngx_http_ims_member_job_t *job)
{
    if (job->timer.timer_set) {
        ngx_del_timer(&job->timer);
    }

    if (job->timer.posted) {
        ngx_delete_posted_event(&job->timer);
    }

    if (job->listen) {
        ngx_http_ims_member_pg_listen_close(job->listen);
    }

    if (job->op) {
        ngx_http_ims_member_pg_cancel(job->op);
        job->op = NULL;
    }

    if (job->pool) {
        ngx_destroy_pool(job->pool);
        job->pool = NULL;
    }
}


static ngx_int_t
ngx_http_ims_member_job_number(ngx_pool_t *pool, ngx_str_t *s, ngx_uint_t n)
{
    u_char  *p;

    p = ngx_pnalloc(pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    s->data = p;
    s->len = ngx_sprintf(p, "%ui", n) - p;

    return NGX_OK;
}
