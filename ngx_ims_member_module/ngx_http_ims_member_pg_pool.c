
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_conn.h"
#include "ngx_http_ims_member_pg_exec.h"
#include "ngx_http_ims_member_pg_pool.h"
#include "ngx_http_ims_member_pg_pool_int.h"
#include "ngx_http_ims_member_pg_session.h"


/*
 * after failed connects: one attempt at a time, 100 ms doubling to 0.8 s;
 * no longer: while a failover manager promotes a standby, every attempt
 * fails until it takes writes, and a longer wait is time without a 200
 */
#define NGX_HTTP_IMS_MEMBER_PG_BACKOFF      100
#define NGX_HTTP_IMS_MEMBER_PG_BACKOFF_MAX  4


static ngx_int_t ngx_http_ims_member_pg_open(
    ngx_http_ims_member_pg_pool_t *pg, ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_connected(
    ngx_http_ims_member_pg_conn_t *conn, ngx_int_t rc);
static void ngx_http_ims_member_pg_done(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc);
static void ngx_http_ims_member_pg_ready(ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_start(ngx_http_ims_member_pg_conn_t *conn,
    ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_detach(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_idle(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc);
static void ngx_http_ims_member_pg_lost(ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_release(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_park(ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_close(ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_connect_error(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_connect_failed(
    ngx_http_ims_member_pg_pool_t *pg);
static void ngx_http_ims_member_pg_backoff_handler(ngx_event_t *ev);


ngx_http_ims_member_pg_pool_t *
ngx_http_ims_member_pg_pool_create(ngx_cycle_t *cycle,
    ngx_http_ims_member_pg_conf_t *conf)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    if (conf->nstmts > NGX_HTTP_IMS_MEMBER_PG_MAX_STMTS) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "ims_member: too many statements: %ui", conf->nstmts);
        return NULL;
    }

    pg = ngx_pcalloc(cycle->pool, sizeof(ngx_http_ims_member_pg_pool_t));
    if (pg == NULL) {
        return NULL;
    }

    pg->fd = (ngx_socket_t) -1;
    pg->conf = *conf;
    pg->log = cycle->log;

    pg->w = conf->worker;

    pg->conninfo = ngx_pnalloc(cycle->pool, conf->conninfo.len + 1);
    if (pg->conninfo == NULL) {
        return NULL;
    }

    (void) ngx_cpystrn((u_char *) pg->conninfo, conf->conninfo.data,
                       conf->conninfo.len + 1);

    pg->names = ngx_http_ims_member_pg_session_names(cycle->pool,
                                                     conf->nstmts);
    if (pg->names == NULL) {
        return NULL;
    }

    pg->setup = ngx_http_ims_member_pg_session_setup(cycle->pool,
                                                     conf->prepare,
                                                     conf->timeout);
    if (pg->setup == NULL) {
        return NULL;
    }

    pg->detach = ngx_http_ims_member_pg_detach;

    pg->backoff.handler = ngx_http_ims_member_pg_backoff_handler;
    pg->backoff.data = pg;
    pg->backoff.log = cycle->log;
    pg->backoff.cancelable = 1;

    ngx_queue_init(&pg->busy);
    ngx_queue_init(&pg->idle);
    ngx_queue_init(&pg->ops);

    return pg;
}


void
ngx_http_ims_member_pg_pool_close(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_queue_t                    *q;
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_conn_t  *conn;

    if (pg->backoff.timer_set) {
        ngx_del_timer(&pg->backoff);
    }

    while (!ngx_queue_empty(&pg->idle) || !ngx_queue_empty(&pg->busy)) {
        q = ngx_queue_empty(&pg->idle) ? ngx_queue_head(&pg->busy)
                                       : ngx_queue_head(&pg->idle);
        conn = ngx_queue_data(q, ngx_http_ims_member_pg_conn_t, queue);

        op = conn->data;

        if (op) {
            op->conn = NULL;
            conn->data = NULL;
        }

        ngx_http_ims_member_pg_close(conn);
    }
}


ngx_int_t
ngx_http_ims_member_pg_run(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op)
{
    ngx_queue_t                    *q;
    ngx_http_ims_member_pg_conn_t  *conn;

    if (op->stmt >= pg->conf.nstmts) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "ims_member: unknown statement %ui", op->stmt);
        return NGX_ERROR;
    }

    if (ngx_http_ims_member_pg_op_args(op) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_ims_member_pg_op_init(pg, op);

    /* a room above the pool may hold it back */

    if (pg->room.admit && pg->room.admit(op, pg->room.data) == NGX_OK) {
        return NGX_OK;
    }

    if (!ngx_queue_empty(&pg->idle)) {
        q = ngx_queue_head(&pg->idle);
        conn = ngx_queue_data(q, ngx_http_ims_member_pg_conn_t, queue);

        ngx_http_ims_member_pg_start(conn, op);
        return NGX_OK;
    }

    /*
     * A bounded queue: a slow database must not become memory and late
     * 503s.  What connections being opened, or still to open, will take
     * does not count.
     */

    if (pg->w->waiting
        >= pg->conf.queue + (pg->conf.max - pg->w->open)
           + (pg->w->connecting - pg->reserved))
    {
        ngx_log_error(NGX_LOG_WARN, op->log, 0,
                      "ims_member: %ui statements already wait for a "
                      "database connection (ims_member_queue)", pg->w->waiting);
        op->unreached = 1;
        ngx_http_ims_member_pg_finish(op, NGX_BUSY);
        return NGX_OK;
    }

    ngx_http_ims_member_pg_queue(op);

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "ims_member: statement waits for a connection, "
                   "%ui waiting, %ui open", pg->w->waiting, pg->w->open);

    ngx_http_ims_member_pg_dispatch(pg);

    return NGX_OK;
}


/* a new connection; "op", if any, is the one it is opened for */

static ngx_int_t
ngx_http_ims_member_pg_open(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_conn_t  *conn;

    conn = ngx_http_ims_member_pg_conn_open(pg->conninfo, pg->conf.timeout,
                                            pg->log);
    if (conn == NULL) {
        return NGX_ERROR;
    }

    conn->unnamed = !pg->conf.prepare;
    conn->connected = ngx_http_ims_member_pg_connected;
    conn->done = ngx_http_ims_member_pg_done;
    conn->idle = ngx_http_ims_member_pg_idle;
    conn->owner = pg;
    conn->data = op;
    conn->state = NGX_HTTP_IMS_MEMBER_PG_CONNECTING;

    if (op) {
        op->conn = conn;
        pg->reserved++;
    }

    ngx_queue_insert_tail(&pg->busy, &conn->queue);
    pg->w->open++;
    pg->w->connecting++;

    return NGX_OK;
}


static void
ngx_http_ims_member_pg_connected(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;

    if (rc != NGX_OK) {
        ngx_http_ims_member_pg_connect_error(conn);
        return;
    }

    /* without session settings, the role's are checked once a worker */

    if (conn->unnamed && pg->checked) {
        ngx_http_ims_member_pg_ready(conn);
        return;
    }

    conn->state = NGX_HTTP_IMS_MEMBER_PG_SETUP;

    /* the session settings are under a timer of their own */

    ngx_add_timer(conn->connection->read, pg->conf.timeout);

    if (conn->unnamed) {
        conn->rows = ngx_pcalloc(conn->pool,
                                 sizeof(ngx_http_ims_member_pg_rows_t));
        if (conn->rows == NULL) {
            ngx_http_ims_member_pg_connect_error(conn);
            return;
        }

        conn->rows->pool = conn->pool;
    }

    if (ngx_http_ims_member_pg_exec_query(conn, pg->setup) != NGX_OK) {
        ngx_http_ims_member_pg_connect_error(conn);
    }
}


/* a new connection takes its first statement, or waits in the pool */

static void
ngx_http_ims_member_pg_ready(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;
    op = conn->data;

    pg->w->connecting--;
    pg->w->failures = 0;

    conn->state = NGX_HTTP_IMS_MEMBER_PG_BUSY;

    if (conn->connection->read->timer_set) {
        ngx_del_timer(conn->connection->read);
    }

    if (op) {

        /* opened for a statement that lost its first connection */

        conn->data = NULL;
        op->conn = NULL;
        pg->reserved--;
        ngx_http_ims_member_pg_start(conn, op);
        return;
    }

    ngx_http_ims_member_pg_release(conn);
}


/* the exec room reports the end of a statement */

static void
ngx_http_ims_member_pg_done(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;
    op = conn->data;

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_SETUP) {

        /*
         * the settings must hold; a check that failed only goes unsaid
         * (the exec room logged why), on a connection that still works
         */

        if (rc == NGX_AGAIN || rc == NGX_ABORT
            || (rc != NGX_OK && !conn->unnamed))
        {
            if (rc == NGX_AGAIN || rc == NGX_ABORT) {
                ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                              "ims_member: could not connect to PostgreSQL: "
                              "the session settings %s",
                              rc == NGX_AGAIN ? "took too long"
                                              : "lost the connection");
            }

            ngx_http_ims_member_pg_connect_error(conn);
            return;
        }

        /* a role without the timeouts the module would have set */

        if (conn->unnamed) {
            if (!pg->checked && rc == NGX_OK) {
                ngx_http_ims_member_pg_session_check(conn->rows, &conn->log,
                                                     pg->conf.timeout);
            }

            pg->checked = 1;
            conn->rows = NULL;
        }

        ngx_http_ims_member_pg_ready(conn);
        return;
    }

    if (rc == NGX_AGAIN) {

        /* the timer of a draining connection */

        ngx_log_error(NGX_LOG_WARN, &conn->log, 0,
                      "ims_member: closing a PostgreSQL connection that did "
                      "not finish an abandoned statement within %M ms",
                      pg->conf.timeout);
        ngx_http_ims_member_pg_close(conn);
        ngx_http_ims_member_pg_dispatch(pg);
        return;
    }

    if (rc == NGX_ABORT) {
        ngx_http_ims_member_pg_lost(conn);
        return;
    }

    if (op) {
        conn->data = NULL;
        op->conn = NULL;
        ngx_http_ims_member_pg_finish(op, rc);
    }

    conn->reused = 1;

    ngx_http_ims_member_pg_release(conn);
}


static void
ngx_http_ims_member_pg_idle(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc)
{
    /* a pooled connection listens to nothing: whatever came ends it */

    ngx_http_ims_member_pg_close(conn);
}


static void
ngx_http_ims_member_pg_start(ngx_http_ims_member_pg_conn_t *conn,
    ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;
    ngx_http_ims_member_pg_sent(op);

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_IDLE) {
        ngx_http_ims_member_pg_conn_unpark(conn);

        pg->w->idle--;
        ngx_queue_remove(&conn->queue);
        ngx_queue_insert_tail(&pg->busy, &conn->queue);

        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, op->log, 0,
                       "ims_member: reusing PostgreSQL connection %p", conn);
    }

    /* a draining connection's timer, if it drained in time */

    if (conn->connection->read->timer_set) {
        ngx_del_timer(conn->connection->read);
    }

    conn->state = NGX_HTTP_IMS_MEMBER_PG_BUSY;
    conn->data = op;
    conn->rows = &op->rows;
    conn->caller_log = op->log;
    op->conn = conn;

    if (ngx_http_ims_member_pg_exec_statement(conn, op->stmt,
                                              pg->names[op->stmt],
                                              &pg->conf.stmts[op->stmt],
                                              op->nparams, op->args)
        != NGX_OK)
    {
        ngx_http_ims_member_pg_lost(conn);
    }
}


/* the operation's caller let go of it while it held a connection */

static void
ngx_http_ims_member_pg_detach(ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_conn_t  *conn;
    ngx_http_ims_member_pg_pool_t  *pg;

    conn = op->conn;
    pg = conn->owner;

    op->conn = NULL;
    conn->data = NULL;

    /* a connection being opened for it serves the pool instead */

    if (conn->state != NGX_HTTP_IMS_MEMBER_PG_BUSY) {
        pg->reserved--;
        return;
    }

    /* a worker that stops does not wait for it */

    if (ngx_terminate || ngx_exiting) {
        ngx_http_ims_member_pg_close(conn);
        return;
    }

    /*
     * the statement runs on, until the server's statement_timeout at the
     * latest: discard its results, then park the connection, unless it
     * lingers
     */

    ngx_http_ims_member_pg_exec_detach(conn);

    conn->state = NGX_HTTP_IMS_MEMBER_PG_DRAINING;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: draining PostgreSQL connection %p", conn);

    if (!conn->connection->read->timer_set) {
        ngx_add_timer(conn->connection->read, pg->conf.timeout);
    }
}


/*
 * The link broke under a statement.  It goes again, once, on a fresh
 * connection if running it twice is harmless and either it never left or
 * the connection was a reused one that gave no result for it (the server
 * had ended the session while it was parked); otherwise the caller gets
 * 503.
 */

static void
ngx_http_ims_member_pg_lost(ngx_http_ims_member_pg_conn_t *conn)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_uint_t                      retry, level;
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;
    op = conn->data;

    (void) ngx_http_ims_member_pg_conn_error(conn, msg, sizeof(msg));

    retry = op && !op->retried && !ngx_terminate && !ngx_exiting
            && (pg->conf.idempotent & ((uint64_t) 1 << op->stmt))
            && (!conn->sent || (conn->reused && !conn->answered));

    level = retry ? NGX_LOG_WARN : NGX_LOG_ERR;

    ngx_log_error(level, op ? op->log : &conn->log, 0,
                  "ims_member: lost the connection to PostgreSQL%s: %s",
                  retry ? ", trying a new one" : "", msg);

    if (op) {
        conn->data = NULL;
        op->conn = NULL;
    }

    ngx_http_ims_member_pg_close(conn);

    if (op) {
        if (retry) {
            op->retried = 1;

            if (ngx_http_ims_member_pg_open(pg, op) == NGX_OK) {
                return;
            }

            ngx_http_ims_member_pg_connect_failed(pg);
        }

        if (op->conn == NULL) {
            op->unreached = 1;
            ngx_http_ims_member_pg_finish(op, NGX_DECLINED);
        }
    }

    ngx_http_ims_member_pg_dispatch(pg);
}


static void
ngx_http_ims_member_pg_release(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;

    /* a connection that held a large result gives its memory back */

    if (conn->large) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: closing PostgreSQL connection %p after "
                       "a large result", conn);
        ngx_http_ims_member_pg_close(conn);
        ngx_http_ims_member_pg_dispatch(pg);
        return;
    }

    /*
     * cache only a connection whose exchange is complete and clean; a
     * server that refused a write as read-only will refuse the next: a new
     * connection finds the primary (target_session_attrs=read-write and
     * several hosts in ims_member_database)
     */

    if (conn->read_only || !ngx_http_ims_member_pg_conn_clean(conn)) {
        ngx_log_error(NGX_LOG_WARN, &conn->log, 0, "ims_member: closing a %s",
                      conn->read_only
                      ? "connection to a read-only PostgreSQL (a standby, "
                        "or a demoted primary)"
                      : "PostgreSQL connection left in a transaction or "
                        "broken");
        ngx_http_ims_member_pg_close(conn);
        ngx_http_ims_member_pg_dispatch(pg);
        return;
    }

    /* what the room above lets go now may take this connection */

    if (pg->room.gather) {
        pg->room.gather(pg->room.data);
    }

    op = ngx_http_ims_member_pg_next(pg);

    if (op) {
        ngx_http_ims_member_pg_start(conn, op);
        return;
    }

    ngx_http_ims_member_pg_park(conn);
}


static void
ngx_http_ims_member_pg_park(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;

    if (ngx_terminate || ngx_exiting) {
        ngx_http_ims_member_pg_close(conn);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: parking PostgreSQL connection %p", conn);

    conn->state = NGX_HTTP_IMS_MEMBER_PG_IDLE;
    conn->rows = NULL;
    conn->caller_log = NULL;

    ngx_queue_remove(&conn->queue);
    ngx_queue_insert_head(&pg->idle, &conn->queue);
    pg->w->idle++;

    if (ngx_http_ims_member_pg_conn_park(conn, pg->conf.idle_timeout)
        != NGX_OK)
    {
        ngx_http_ims_member_pg_close(conn);
    }
}


static void
ngx_http_ims_member_pg_close(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;

    ngx_queue_remove(&conn->queue);

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_CONNECTING
        || conn->state == NGX_HTTP_IMS_MEMBER_PG_SETUP)
    {
        pg->w->connecting--;

    } else if (conn->state == NGX_HTTP_IMS_MEMBER_PG_IDLE) {
        pg->w->idle--;
    }

    pg->w->open--;

    ngx_http_ims_member_pg_conn_close(conn);
}


static void
ngx_http_ims_member_pg_connect_error(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->owner;
    op = conn->data;

    if (op) {
        conn->data = NULL;
        op->conn = NULL;
        pg->reserved--;
        op->unreached = 1;
        ngx_http_ims_member_pg_finish(op, NGX_DECLINED);
    }

    ngx_http_ims_member_pg_close(conn);
    ngx_http_ims_member_pg_connect_failed(pg);
}


/*
 * A connection could not be made.  The next attempt waits, longer after
 * each failure, and only one is made at a time: a database that refuses
 * connections (down, or at max_connections) is not asked again in a loop.
 * Statements wait for the connections left; if none is left, they are
 * answered now.
 */

static void
ngx_http_ims_member_pg_connect_failed(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_msec_t  delay;

    ngx_http_ims_member_metrics_add(pg->conf.metrics,
                                    NGX_HTTP_IMS_MEMBER_M_CONNECT_FAILURES, 1);

    /* attempts that were already under way do not lengthen the wait */

    if (pg->w->failures == 0
        || (ngx_msec_int_t) (ngx_current_msec - pg->retry) >= 0)
    {
        if (pg->w->failures < NGX_HTTP_IMS_MEMBER_PG_BACKOFF_MAX) {
            pg->w->failures++;
        }

        delay = NGX_HTTP_IMS_MEMBER_PG_BACKOFF << (pg->w->failures - 1);
        pg->retry = ngx_current_msec + delay;

        ngx_log_error(NGX_LOG_WARN, pg->log, 0,
                      "ims_member: next connection attempt in %M ms", delay);
    }

    ngx_http_ims_member_pg_dispatch(pg);
}


void
ngx_http_ims_member_pg_dispatch(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_queue_t                    *q;
    ngx_msec_int_t                  wait;
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_conn_t  *conn;

    if (pg->room.gather) {
        pg->room.gather(pg->room.data);
    }

    while (!ngx_queue_empty(&pg->idle)) {
        op = ngx_http_ims_member_pg_next(pg);

        if (op == NULL) {
            break;
        }

        q = ngx_queue_head(&pg->idle);
        conn = ngx_queue_data(q, ngx_http_ims_member_pg_conn_t, queue);

        ngx_http_ims_member_pg_start(conn, op);
    }

    while (pg->w->waiting > pg->w->connecting - pg->reserved
           && pg->w->open < pg->conf.max)
    {

        if (pg->w->failures) {
            if (pg->w->connecting) {
                break;
            }

            wait = (ngx_msec_int_t) (pg->retry - ngx_current_msec);

            if (wait > 0) {
                if (!pg->backoff.timer_set) {
                    ngx_add_timer(&pg->backoff, (ngx_msec_t) wait);
                }

                break;
            }
        }

        if (ngx_http_ims_member_pg_open(pg, NULL) != NGX_OK) {
            ngx_http_ims_member_pg_connect_failed(pg);
            return;
        }
    }

    /* nothing is open or opening: the database cannot be reached now */

    if (pg->w->open == 0) {
        if (pg->room.unreachable) {
            pg->room.unreachable(pg->room.data);
        }

        while ((op = ngx_http_ims_member_pg_next(pg)) != NULL) {
            op->unreached = 1;
            ngx_http_ims_member_pg_finish(op, NGX_DECLINED);
        }
    }
}


static void
ngx_http_ims_member_pg_backoff_handler(ngx_event_t *ev)
{
    ngx_http_ims_member_pg_pool_t  *pg = ev->data;

    if (ngx_terminate || ngx_exiting) {
        return;
    }

    ngx_http_ims_member_pg_dispatch(pg);
}
