
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_conn.h"
#include "ngx_http_ims_member_pg_pool.h"
#include "ngx_http_ims_member_pg_pool_int.h"


/*
 * An operation's life in the pool: its parameters, its place in the wait
 * queue, its timer, its end, which reaches the caller from a posted event;
 * a caller that leaves lets go of it here.  Of the connections it knows
 * only the pool's detach handler, which frees the one an operation holds.
 */

static void ngx_http_ims_member_pg_unqueue(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_timed(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_timeout_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_done_handler(ngx_event_t *ev);


/* the parameters as libpq takes them: NUL-terminated strings */

ngx_int_t
ngx_http_ims_member_pg_op_args(ngx_http_ims_member_pg_op_t *op)
{
    u_char      *p;
    ngx_uint_t   i;

    op->args = ngx_palloc(op->pool, (op->nparams + 1) * sizeof(char *));
    if (op->args == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < op->nparams; i++) {
        if (op->params[i].data == NULL) {
            op->args[i] = NULL;
            continue;
        }

        p = ngx_pnalloc(op->pool, op->params[i].len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(p, op->params[i].data, op->params[i].len) = '\0';
        op->args[i] = (char *) p;
    }

    return NGX_OK;
}


void
ngx_http_ims_member_pg_pool_room(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_room_t *room)
{
    pg->room = *room;
}


/* the fields of a new operation, and its timer */

void
ngx_http_ims_member_pg_op_init(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op)
{
    op->pg = pg;
    op->conn = NULL;
    op->leave = NULL;
    op->room = NULL;
    op->carrier = NULL;
    op->waits = NULL;
    op->rc = NGX_OK;
    op->rows.pool = op->pool;
    op->rows.nrows = 0;
    op->rows.ncols = 0;
    op->rows.values = NULL;
    op->queued = 0;
    op->retried = 0;
    op->unreached = 0;
    op->sent = 0;
    op->db_time = 0;
    op->group = 0;

    op->timer.handler = ngx_http_ims_member_pg_timeout_handler;
    op->timer.data = op->ident;
    op->timer.log = op->log;

    op->done.handler = ngx_http_ims_member_pg_done_handler;
    op->done.data = op->ident;
    op->done.log = op->log;

    ngx_add_timer(&op->timer, pg->conf.timeout);
}


/* last in the wait queue, whatever waits; the caller dispatches */

void
ngx_http_ims_member_pg_queue(ngx_http_ims_member_pg_op_t *op)
{
    op->conn = NULL;
    op->rc = NGX_OK;
    op->rows.nrows = 0;
    op->rows.ncols = 0;
    op->rows.values = NULL;

    ngx_queue_insert_tail(&op->pg->ops, &op->queue);
    op->queued = 1;
    op->pg->w->waiting++;
}


/* the first in the wait queue, out of it; NULL if none waits */

ngx_http_ims_member_pg_op_t *
ngx_http_ims_member_pg_next(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_queue_t                  *q;
    ngx_http_ims_member_pg_op_t  *op;

    if (ngx_queue_empty(&pg->ops)) {
        return NULL;
    }

    q = ngx_queue_head(&pg->ops);
    op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

    ngx_queue_remove(q);
    op->queued = 0;
    pg->w->waiting--;

    return op;
}


ngx_uint_t
ngx_http_ims_member_pg_waiting(ngx_http_ims_member_pg_pool_t *pg)
{
    return pg->w->waiting;
}


void
ngx_http_ims_member_pg_cancel(ngx_http_ims_member_pg_op_t *op)
{
    if (op->pg == NULL) {
        return;
    }

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (op->done.posted) {
        ngx_delete_posted_event(&op->done);
    }

    ngx_http_ims_member_pg_unqueue(op);
    ngx_http_ims_member_pg_timed(op);

    if (op->conn) {
        op->pg->detach(op);
    }
}


/* a connection takes the statement: a try before it ended too */

void
ngx_http_ims_member_pg_sent(ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_timed(op);

    op->sent = ngx_http_ims_member_metrics_now();
}


/* a statement sent ended (its result, a timeout, a loss, a cancel) */

static void
ngx_http_ims_member_pg_timed(ngx_http_ims_member_pg_op_t *op)
{
    uint64_t  usec;

    if (op->sent == 0) {
        return;
    }

    usec = ngx_http_ims_member_metrics_now() - op->sent;
    op->db_time += usec;
    op->sent = 0;

    ngx_http_ims_member_metrics_statement(op->pg->conf.metrics, op->stmt,
                                          usec);
}


/* out of the queue, and out of the hands of a room above that held it */

static void
ngx_http_ims_member_pg_unqueue(ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_handler_pt  leave;

    if (op->queued) {
        ngx_queue_remove(&op->queue);
        op->queued = 0;
        op->pg->w->waiting--;
    }

    if (op->leave) {
        leave = op->leave;
        op->leave = NULL;
        leave(op);
    }
}


void
ngx_http_ims_member_pg_finish(ngx_http_ims_member_pg_op_t *op, ngx_int_t rc)
{
    op->rc = rc;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    ngx_http_ims_member_pg_timed(op);

    if (rc == NGX_BUSY) {
        ngx_http_ims_member_metrics_add(op->pg->conf.metrics,
                                        NGX_HTTP_IMS_MEMBER_M_QUEUE_REFUSED,
                                        1);
    }

    ngx_http_ims_member_pg_unqueue(op);

    ngx_post_event(&op->done, &ngx_posted_events);
}


static void
ngx_http_ims_member_pg_timeout_handler(ngx_event_t *ev)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_conn_t  *conn;

    op = (ngx_http_ims_member_pg_op_t *)
             ((u_char *) ev - offsetof(ngx_http_ims_member_pg_op_t, timer));

    ngx_log_error(NGX_LOG_ERR, op->log, NGX_ETIMEDOUT,
                  "ims_member: PostgreSQL did not answer within %M ms%s",
                  op->pg->conf.timeout,
                  op->queued ? " (all connections busy)"
                  : op->waits ? op->waits : "");

    /*
     * a statement that never started is not the one that took too long;
     * one a room made carries it, if any
     */

    conn = op->carrier ? op->carrier->conn : op->conn;

    op->unreached = (conn == NULL
                     || conn->state != NGX_HTTP_IMS_MEMBER_PG_BUSY);

    if (op->conn) {
        op->pg->detach(op);
    }

    ngx_http_ims_member_pg_finish(op, NGX_DECLINED);
}


static void
ngx_http_ims_member_pg_done_handler(ngx_event_t *ev)
{
    ngx_http_ims_member_pg_op_t  *op;

    op = (ngx_http_ims_member_pg_op_t *)
             ((u_char *) ev - offsetof(ngx_http_ims_member_pg_op_t, done));

    op->handler(op);
}
