
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
 * Group commit.  Operations of the groupable statement go as groups, at
 * most NGX_HTTP_IMS_MEMBER_PG_GROUPS under way at once; while one is,
 * those that come wait here, and when it ends, all that wait go together:
 * one statement, one transaction, one commit.  A group never waits for
 * company: it is made of what already waits, and one alone goes at once.
 *
 * Each operation of a group gets its own row and is finished, like any
 * operation, only once the group's statement (and so its transaction) has
 * ended.  Those whose rows another transaction held, those of a group
 * that failed, or whose rows do not match its operations, run again
 * alone (a held row then keeps only its own update waiting): one
 * operation never fails another.
 */

struct ngx_http_ims_member_pg_group_s {
    ngx_http_ims_member_pg_op_t         op;
    ngx_pool_t                         *pool;
    ngx_http_ims_member_pg_pool_t      *pg;
    ngx_uint_t                          n;
    ngx_uint_t                          left;
    ngx_http_ims_member_pg_op_t       **members;
};


static ngx_http_ims_member_pg_group_t *ngx_http_ims_member_pg_group_create(
    ngx_http_ims_member_pg_pool_t *pg, ngx_http_ims_member_pg_op_t **ops,
    ngx_uint_t n, ngx_uint_t stmt);
static char *ngx_http_ims_member_pg_group_array(ngx_pool_t *pool,
    ngx_http_ims_member_pg_op_t **ops, ngx_uint_t n, ngx_uint_t param);
static void ngx_http_ims_member_pg_group_queue(
    ngx_http_ims_member_pg_pool_t *pg, ngx_http_ims_member_pg_op_t *op);
static ngx_int_t ngx_http_ims_member_pg_group_row(
    ngx_http_ims_member_pg_op_t *op, ngx_str_t *v, ngx_uint_t ncols);


/* the operation waits for the next group, or is refused: the queue is full */

void
ngx_http_ims_member_pg_group_add(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op)
{
    if (pg->counted >= NGX_HTTP_IMS_MEMBER_PG_GROUPS
        && pg->waiting + pg->gwaiting >= pg->conf.queue)
    {
        ngx_log_error(NGX_LOG_WARN, op->log, 0,
                      "ims_member: %ui statements already wait for a "
                      "database connection (ims_member_queue)",
                      pg->waiting + pg->gwaiting);
        op->unreached = 1;
        ngx_http_ims_member_pg_finish(op, NGX_BUSY);
        return;
    }

    ngx_queue_insert_tail(&pg->gops, &op->queue);
    op->gqueued = 1;
    pg->gwaiting++;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "ims_member: statement waits for a group, "
                   "%ui waiting, %ui under way", pg->gwaiting, pg->counted);

    ngx_http_ims_member_pg_dispatch(pg);
}


/*
 * What waits goes, as one group, once the group before has ended.  Even
 * one operation alone goes as a group: a row another transaction holds
 * must not keep the next group waiting behind it.
 */

void
ngx_http_ims_member_pg_group_next(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_uint_t                       i, n;
    ngx_queue_t                     *q;
    ngx_http_ims_member_pg_op_t     *op, *ops[NGX_HTTP_IMS_MEMBER_PG_GROUP_MAX];
    ngx_http_ims_member_pg_group_t  *g;

    while (!ngx_queue_empty(&pg->gops)
           && pg->counted < NGX_HTTP_IMS_MEMBER_PG_GROUPS)
    {
        for (n = 0; n < NGX_HTTP_IMS_MEMBER_PG_GROUP_MAX
                    && !ngx_queue_empty(&pg->gops);
             n++)
        {
            q = ngx_queue_head(&pg->gops);
            op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

            ngx_queue_remove(q);
            op->gqueued = 0;
            pg->gwaiting--;

            ops[n] = op;
        }

        g = ngx_http_ims_member_pg_group_create(pg, ops, n,
                                                n == 1 ? pg->conf.group_one
                                                       : pg->conf.group);

        if (g == NULL) {
            for (i = 0; i < n; i++) {
                ngx_http_ims_member_pg_finish(ops[i], NGX_ERROR);
            }

            continue;
        }

        g->op.counted = 1;
        pg->counted++;

        ngx_http_ims_member_pg_group_queue(pg, &g->op);
    }
}


static ngx_http_ims_member_pg_group_t *
ngx_http_ims_member_pg_group_create(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t **ops, ngx_uint_t n, ngx_uint_t stmt)
{
    size_t                           len;
    ngx_uint_t                       i;
    ngx_pool_t                      *pool;
    ngx_http_ims_member_pg_op_t     *op;
    ngx_http_ims_member_pg_group_t  *g;

    /* the group's memory is its own: its members may leave before it */

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, pg->log);
    if (pool == NULL) {
        return NULL;
    }

    g = ngx_pcalloc(pool, sizeof(ngx_http_ims_member_pg_group_t));
    if (g == NULL) {
        goto failed;
    }

    g->pool = pool;
    g->pg = pg;
    g->n = n;
    g->left = n;

    g->members = ngx_palloc(pool, n * sizeof(ngx_http_ims_member_pg_op_t *));
    if (g->members == NULL) {
        goto failed;
    }

    op = &g->op;

    op->stmt = stmt;
    op->nparams = ops[0]->nparams;
    op->pool = pool;
    op->log = pg->log;
    op->handler = ngx_http_ims_member_pg_group_done;
    op->data = g;
    op->ident = pg;

    op->args = ngx_palloc(pool, (op->nparams + 1) * sizeof(char *));
    if (op->args == NULL) {
        goto failed;
    }

    for (i = 0; i < op->nparams; i++) {

        /* a group of one has a statement of its own, without arrays */

        if (stmt == pg->conf.group_one) {
            if (ops[0]->args[i] == NULL) {
                op->args[i] = NULL;
                continue;
            }

            len = ngx_strlen(ops[0]->args[i]) + 1;

            op->args[i] = ngx_pnalloc(pool, len);
            if (op->args[i] == NULL) {
                goto failed;
            }

            ngx_memcpy(op->args[i], ops[0]->args[i], len);
            continue;
        }

        op->args[i] = ngx_http_ims_member_pg_group_array(pool, ops, n, i);

        if (op->args[i] == NULL) {
            goto failed;
        }
    }

    for (i = 0; i < n; i++) {
        g->members[i] = ops[i];
        ops[i]->group = g;
    }

    ngx_http_ims_member_pg_op_init(pg, op);

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, pg->log, 0,
                   "ims_member: group of %ui, statement %ui", n, stmt);

    return g;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


/* one parameter of every member as an array literal: {"a","b",NULL} */

static char *
ngx_http_ims_member_pg_group_array(ngx_pool_t *pool,
    ngx_http_ims_member_pg_op_t **ops, ngx_uint_t n, ngx_uint_t param)
{
    u_char      *p, *s, *start;
    size_t       size;
    ngx_uint_t   i;

    size = sizeof("{}");

    for (i = 0; i < n; i++) {
        s = (u_char *) ops[i]->args[param];
        size += sizeof(",NULL") + (s ? 2 * ngx_strlen(s) : 0);
    }

    start = ngx_pnalloc(pool, size);
    if (start == NULL) {
        return NULL;
    }

    p = start;
    *p++ = '{';

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ',';
        }

        s = (u_char *) ops[i]->args[param];

        if (s == NULL) {
            p = ngx_cpymem(p, "NULL", 4);
            continue;
        }

        *p++ = '"';

        for ( /* void */ ; *s; s++) {
            if (*s == '"' || *s == '\\') {
                *p++ = '\\';
            }

            *p++ = *s;
        }

        *p++ = '"';
    }

    *p++ = '}';
    *p = '\0';

    return (char *) start;
}


/* an operation (a group, or one that goes alone) waits for a connection */

static void
ngx_http_ims_member_pg_group_queue(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op)
{
    op->conn = NULL;
    op->rc = NGX_OK;
    op->rows.nrows = 0;
    op->rows.ncols = 0;
    op->rows.values = NULL;

    ngx_queue_insert_tail(&pg->ops, &op->queue);
    op->queued = 1;
    pg->waiting++;
}


/* a member goes (its request ended, or its time is up): the group runs on */

void
ngx_http_ims_member_pg_group_leave(ngx_http_ims_member_pg_op_t *op)
{
    ngx_uint_t                       i;
    ngx_http_ims_member_pg_group_t  *g;

    g = op->group;
    op->group = NULL;

    for (i = 0; i < g->n; i++) {
        if (g->members[i] == op) {
            g->members[i] = NULL;
        }
    }

    if (--g->left) {
        return;
    }

    /* nobody waits for it: the statement is let go as a request's is */

    ngx_http_ims_member_pg_cancel(&g->op);
    ngx_destroy_pool(g->pool);
}


/* where a member's statement runs, if it runs */

ngx_http_ims_member_pg_conn_t *
ngx_http_ims_member_pg_group_conn(ngx_http_ims_member_pg_op_t *op)
{
    return op->group->op.conn;
}


/* the group's statement ended: each member gets its row */

void
ngx_http_ims_member_pg_group_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_str_t                       *v;
    ngx_uint_t                       i, ncols, rows;
    ngx_http_ims_member_pg_op_t     *m;
    ngx_http_ims_member_pg_pool_t   *pg;
    ngx_http_ims_member_pg_group_t  *g;

    g = op->data;
    pg = g->pg;
    ncols = op->rows.ncols;

    rows = (op->rc == NGX_OK && op->rows.nrows == g->n && ncols > 1);

    if (op->rc == NGX_OK && !rows) {
        ngx_log_error(NGX_LOG_ALERT, pg->log, 0,
                      "ims_member: statement %ui returned %ui rows of %ui "
                      "columns for a group of %ui, its updates run again "
                      "alone; is sql/ims.sql of this version loaded?",
                      op->stmt, op->rows.nrows, ncols, g->n);
    }

    for (i = 0; i < g->n; i++) {
        m = g->members[i];

        if (m == NULL) {
            continue;
        }

        m->group = NULL;

        if (op->rc == NGX_ERROR || (op->rc == NGX_OK && !rows)) {

            /*
             * Its own statement will tell whose request failed it, or,
             * when the rows cannot be told apart, answer each for itself:
             * a change the group committed is found made, never failed.
             */

            ngx_http_ims_member_pg_group_queue(pg, m);
            continue;
        }

        if (!rows) {
            m->unreached = op->unreached;
            ngx_http_ims_member_pg_finish(m, op->rc);
            continue;
        }

        v = &op->rows.values[i * ncols];

        /*
         * what another transaction held goes again alone, waiting for its
         * own row this time: one held row keeps no other update waiting
         */

        if (v[0].len == 1 && v[0].data[0] == 't') {
            ngx_http_ims_member_pg_group_queue(pg, m);
            continue;
        }

        ngx_http_ims_member_pg_finish(m,
                                ngx_http_ims_member_pg_group_row(m, v, ncols));
    }

    ngx_destroy_pool(g->pool);

    ngx_http_ims_member_pg_dispatch(pg);
}


/* the member's own row: the group's, without the "skipped" column */

static ngx_int_t
ngx_http_ims_member_pg_group_row(ngx_http_ims_member_pg_op_t *op,
    ngx_str_t *v, ngx_uint_t ncols)
{
    u_char      *p;
    ngx_str_t   *row;
    ngx_uint_t   i;

    row = ngx_palloc(op->pool, (ncols - 1) * sizeof(ngx_str_t));
    if (row == NULL) {
        return NGX_ERROR;
    }

    for (i = 1; i < ncols; i++) {
        if (v[i].data == NULL) {
            ngx_str_null(&row[i - 1]);
            continue;
        }

        p = ngx_pnalloc(op->pool, v[i].len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(p, v[i].data, v[i].len) = '\0';

        row[i - 1].len = v[i].len;
        row[i - 1].data = p;
    }

    op->rows.nrows = 1;
    op->rows.ncols = ncols - 1;
    op->rows.values = row;

    return NGX_OK;
}
