
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_pool.h"
#include "ngx_http_ims_member_pg_group.h"


/*
 * Group commit, a room above the pool.  Up to a threshold, operations of
 * the groupable statement go alone, as without it; past it, they go as
 * groups, at most NGX_HTTP_IMS_MEMBER_PG_GROUPS under way at once; while
 * one is, those that come past the threshold wait here, and when it ends,
 * all that wait go together: one statement, one transaction, one commit.
 * A group never waits for company: it is made of what already waits, and
 * one alone goes at once, as a group of one.
 *
 * Each operation of a group gets its own row and is finished, like any
 * operation, only once the group's statement (and so its transaction) has
 * ended.  Those whose rows another transaction held, those of a group
 * that failed, or whose rows do not match its operations, run again
 * alone (a held row then keeps only its own update waiting): one
 * operation never fails another.
 *
 * The room sits on the pool's public interface: the pool asks it through
 * the handlers it gave (admit, gather, unreachable) and tells it through
 * the "leave" hook it sets on the operations it holds (a waiting one, a
 * member, and the group's own operation); it runs a group's statement,
 * queues, finishes and cancels as any caller of the pool does.
 */

/* most groups under way at once in one worker (measured: one beats two) */
#define NGX_HTTP_IMS_MEMBER_PG_GROUPS      1

/* most operations in one group */
#define NGX_HTTP_IMS_MEMBER_PG_GROUP_MAX   128


struct ngx_http_ims_member_pg_groups_s {
    ngx_http_ims_member_pg_group_conf_t  conf;
    ngx_http_ims_member_pg_pool_t       *pg;
    ngx_log_t                           *log;

    /*
     * operations waiting to go together (their number is w->grouping, in
     * the worker's slot of the metrics), and the groups under way
     */
    ngx_queue_t                          ops;
    ngx_http_ims_member_metrics_worker_t  *w;
    ngx_uint_t                           counted;

    /* updates under way alone (below the threshold) */
    ngx_uint_t                           alone;

    /* groups follow each other: lone groups until updates go alone */
    ngx_uint_t                           grouping;

    /* a group ended outside a connection's event: what waits may go */
    ngx_event_t                          kick;
};


typedef struct {
    ngx_http_ims_member_pg_op_t          op;
    ngx_pool_t                          *pool;
    ngx_http_ims_member_pg_groups_t     *gs;
    ngx_uint_t                           n;
    ngx_uint_t                           left;
    ngx_http_ims_member_pg_op_t        **members;
} ngx_http_ims_member_pg_group_t;


static ngx_uint_t ngx_http_ims_member_pg_group_joins(
    ngx_http_ims_member_pg_groups_t *gs, ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_group_alone_left(
    ngx_http_ims_member_pg_op_t *op);
static ngx_int_t ngx_http_ims_member_pg_group_admit(
    ngx_http_ims_member_pg_op_t *op, void *data);
static void ngx_http_ims_member_pg_group_add(
    ngx_http_ims_member_pg_groups_t *gs, ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_group_gather(void *data);
static void ngx_http_ims_member_pg_group_unreachable(void *data);
static ngx_http_ims_member_pg_group_t *ngx_http_ims_member_pg_group_create(
    ngx_http_ims_member_pg_groups_t *gs, ngx_http_ims_member_pg_op_t **ops,
    ngx_uint_t n, ngx_uint_t stmt);
static char *ngx_http_ims_member_pg_group_array(ngx_pool_t *pool,
    ngx_http_ims_member_pg_op_t **ops, ngx_uint_t n, ngx_uint_t param);
static void ngx_http_ims_member_pg_group_release(
    ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_group_leave(
    ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_group_ended(
    ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_group_done(ngx_http_ims_member_pg_op_t *op);
static ngx_int_t ngx_http_ims_member_pg_group_row(
    ngx_http_ims_member_pg_op_t *op, ngx_str_t *v, ngx_uint_t ncols);
static void ngx_http_ims_member_pg_group_kick_handler(ngx_event_t *ev);


/* the room of one worker's pool, which gets its handlers */

ngx_http_ims_member_pg_groups_t *
ngx_http_ims_member_pg_group_init(ngx_cycle_t *cycle,
    ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_group_conf_t *conf)
{
    ngx_http_ims_member_pg_room_t     room;
    ngx_http_ims_member_pg_groups_t  *gs;

    gs = ngx_pcalloc(cycle->pool, sizeof(ngx_http_ims_member_pg_groups_t));
    if (gs == NULL) {
        return NULL;
    }

    gs->conf = *conf;
    gs->pg = pg;
    gs->w = conf->worker;
    gs->log = cycle->log;

    ngx_queue_init(&gs->ops);

    gs->kick.handler = ngx_http_ims_member_pg_group_kick_handler;
    gs->kick.data = gs;
    gs->kick.log = cycle->log;

    room.admit = ngx_http_ims_member_pg_group_admit;
    room.gather = ngx_http_ims_member_pg_group_gather;
    room.unreachable = ngx_http_ims_member_pg_group_unreachable;
    room.data = gs;

    ngx_http_ims_member_pg_pool_room(pg, &room);

    return gs;
}


void
ngx_http_ims_member_pg_group_close(ngx_http_ims_member_pg_groups_t *gs)
{
    if (gs->kick.posted) {
        ngx_delete_posted_event(&gs->kick);
    }
}


/*
 * The admission policy, in this one place: whether an operation goes with
 * a group, or alone, as the pool runs any other.  Group commit pays where
 * commits wait for each other.  While no group is under way or waiting,
 * up to "threshold" updates of the worker go alone, each with the single
 * update's statement, as with group commit off: a group would cost a lone
 * update its row lock and the machinery, and a worker with one group
 * under way runs one statement where it could run several.  Past it, and
 * for as long as groups follow each other (the last one had company: the
 * load that made it goes on), updates go with a group.  One that goes
 * alone is counted until the pool is done with it.
 */

static ngx_uint_t
ngx_http_ims_member_pg_group_joins(ngx_http_ims_member_pg_groups_t *gs,
    ngx_http_ims_member_pg_op_t *op)
{
    if (!gs->conf.on || op->stmt != gs->conf.grouped) {
        return 0;
    }

    if (gs->counted || gs->w->grouping || gs->grouping
        || gs->alone >= gs->conf.threshold)
    {
        return 1;
    }

    gs->alone++;

    op->leave = ngx_http_ims_member_pg_group_alone_left;
    op->room = gs;

    return 0;
}


/* the "leave" hook of an update that went alone: its place is free */

static void
ngx_http_ims_member_pg_group_alone_left(ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_groups_t  *gs;

    gs = op->room;
    op->room = NULL;

    gs->alone--;
}


/* the pool asks of each operation it starts: NGX_OK, the room takes it */

static ngx_int_t
ngx_http_ims_member_pg_group_admit(ngx_http_ims_member_pg_op_t *op,
    void *data)
{
    ngx_http_ims_member_pg_groups_t  *gs = data;

    if (!ngx_http_ims_member_pg_group_joins(gs, op)) {
        return NGX_DECLINED;
    }

    ngx_http_ims_member_pg_group_add(gs, op);

    return NGX_OK;
}


/* the operation waits for the next group, or is refused: the queue is full */

static void
ngx_http_ims_member_pg_group_add(ngx_http_ims_member_pg_groups_t *gs,
    ngx_http_ims_member_pg_op_t *op)
{
    ngx_uint_t  waiting;

    waiting = ngx_http_ims_member_pg_waiting(gs->pg) + gs->w->grouping;

    if (gs->counted >= NGX_HTTP_IMS_MEMBER_PG_GROUPS
        && waiting >= gs->conf.queue)
    {
        ngx_log_error(NGX_LOG_WARN, op->log, 0,
                      "ims_member: %ui statements already wait for a "
                      "database connection (ims_member_queue)", waiting);
        op->unreached = 1;
        ngx_http_ims_member_pg_finish(op, NGX_BUSY);
        return;
    }

    ngx_queue_insert_tail(&gs->ops, &op->queue);
    gs->w->grouping++;

    op->leave = ngx_http_ims_member_pg_group_leave;
    op->room = gs;
    op->waits = " (waiting to go with a group)";

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "ims_member: statement waits for a group, "
                   "%ui waiting, %ui under way", gs->w->grouping, gs->counted);

    ngx_http_ims_member_pg_dispatch(gs->pg);
}


/*
 * What waits goes, as one group, once the group before has ended.  Even
 * one operation alone goes as a group: a row another transaction holds
 * must not keep the next group waiting behind it.  The pool calls this
 * before it serves its queue, where the group then waits.
 */

static void
ngx_http_ims_member_pg_group_gather(void *data)
{
    ngx_uint_t                        i, n;
    ngx_queue_t                      *q;
    ngx_http_ims_member_pg_op_t      *op,
                                     *ops[NGX_HTTP_IMS_MEMBER_PG_GROUP_MAX];
    ngx_http_ims_member_pg_group_t   *g;
    ngx_http_ims_member_pg_groups_t  *gs;

    gs = data;

    while (!ngx_queue_empty(&gs->ops)
           && gs->counted < NGX_HTTP_IMS_MEMBER_PG_GROUPS)
    {
        for (n = 0; n < NGX_HTTP_IMS_MEMBER_PG_GROUP_MAX
                    && !ngx_queue_empty(&gs->ops);
             n++)
        {
            q = ngx_queue_head(&gs->ops);
            op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

            ngx_queue_remove(q);
            op->waits = NULL;
            gs->w->grouping--;

            ops[n] = op;
        }

        g = ngx_http_ims_member_pg_group_create(gs, ops, n,
                                                n == 1 ? gs->conf.group_one
                                                       : gs->conf.group);

        if (g == NULL) {
            for (i = 0; i < n; i++) {
                ngx_http_ims_member_pg_group_release(ops[i]);
                ngx_http_ims_member_pg_finish(ops[i], NGX_ERROR);
            }

            continue;
        }

        /* the group holds one of the worker's places for groups */

        g->op.leave = ngx_http_ims_member_pg_group_ended;
        g->op.room = gs;
        gs->counted++;

        ngx_http_ims_member_pg_queue(&g->op);
    }
}


/* nothing is open or opening: what waits here is answered now */

static void
ngx_http_ims_member_pg_group_unreachable(void *data)
{
    ngx_queue_t                      *q;
    ngx_http_ims_member_pg_op_t      *op;
    ngx_http_ims_member_pg_groups_t  *gs;

    gs = data;

    while (!ngx_queue_empty(&gs->ops)) {
        q = ngx_queue_head(&gs->ops);
        op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

        ngx_queue_remove(q);
        gs->w->grouping--;

        ngx_http_ims_member_pg_group_release(op);

        op->unreached = 1;
        ngx_http_ims_member_pg_finish(op, NGX_DECLINED);
    }
}


static ngx_http_ims_member_pg_group_t *
ngx_http_ims_member_pg_group_create(ngx_http_ims_member_pg_groups_t *gs,
    ngx_http_ims_member_pg_op_t **ops, ngx_uint_t n, ngx_uint_t stmt)
{
    size_t                           len;
    ngx_uint_t                       i;
    ngx_pool_t                      *pool;
    ngx_http_ims_member_pg_op_t     *op;
    ngx_http_ims_member_pg_group_t  *g;

    /* the group's memory is its own: its members may leave before it */

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, gs->log);
    if (pool == NULL) {
        return NULL;
    }

    g = ngx_pcalloc(pool, sizeof(ngx_http_ims_member_pg_group_t));
    if (g == NULL) {
        goto failed;
    }

    g->pool = pool;
    g->gs = gs;
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
    op->log = gs->log;
    op->handler = ngx_http_ims_member_pg_group_done;
    op->data = g;
    op->ident = gs->pg;

    op->args = ngx_palloc(pool, (op->nparams + 1) * sizeof(char *));
    if (op->args == NULL) {
        goto failed;
    }

    for (i = 0; i < op->nparams; i++) {

        /* a group of one has a statement of its own, without arrays */

        if (stmt == gs->conf.group_one) {
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
        ops[i]->carrier = op;
    }

    ngx_http_ims_member_pg_op_init(gs->pg, op);
    ngx_http_ims_member_metrics_group(gs->conf.metrics, n);

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, gs->log, 0,
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


/* the room lets go of an operation: the pool alone has it now */

static void
ngx_http_ims_member_pg_group_release(ngx_http_ims_member_pg_op_t *op)
{
    op->leave = NULL;
    op->room = NULL;
    op->carrier = NULL;
    op->waits = NULL;
}


/*
 * The "leave" hook of an operation the room holds: the pool is done with
 * it (its request ended, or its time is up).  One that waited leaves the
 * queue; a member leaves its group, which runs on.
 */

static void
ngx_http_ims_member_pg_group_leave(ngx_http_ims_member_pg_op_t *op)
{
    ngx_uint_t                        i;
    ngx_http_ims_member_pg_group_t   *g;
    ngx_http_ims_member_pg_groups_t  *gs;

    gs = op->room;

    if (op->carrier == NULL) {
        ngx_queue_remove(&op->queue);
        gs->w->grouping--;

        ngx_http_ims_member_pg_group_release(op);
        return;
    }

    g = op->carrier->data;

    ngx_http_ims_member_pg_group_release(op);

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


/*
 * The "leave" hook of a group's own operation: the pool is done with it
 * (it ended, or its members all left), and its place goes to what waits;
 * its members hear of it from its handler.
 */

static void
ngx_http_ims_member_pg_group_ended(ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_group_t   *g;
    ngx_http_ims_member_pg_groups_t  *gs;

    g = op->data;
    gs = op->room;
    op->room = NULL;

    gs->counted--;

    /*
     * A group that had company, or that others waited for, says the load
     * goes on: its answers come back at once, and their clients' next
     * updates go with a group too, not alone (the first of them goes as a
     * group of one, maybe before the others come); two in a row that
     * ended alone, with nobody waiting, let updates go alone again.
     */

    if (g->n > 1 || gs->w->grouping) {
        gs->grouping = 2;

    } else if (gs->grouping) {
        gs->grouping--;
    }

    if (!ngx_queue_empty(&gs->ops) && !gs->kick.posted) {
        ngx_post_event(&gs->kick, &ngx_posted_events);
    }
}


/* the group's statement ended: each member gets its row */

static void
ngx_http_ims_member_pg_group_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_str_t                        *v;
    ngx_uint_t                        i, ncols, rows;
    ngx_http_ims_member_pg_op_t      *m;
    ngx_http_ims_member_pg_group_t   *g;
    ngx_http_ims_member_pg_groups_t  *gs;

    g = op->data;
    gs = g->gs;
    ncols = op->rows.ncols;

    rows = (op->rc == NGX_OK && op->rows.nrows == g->n && ncols > 1);

    if (op->rc == NGX_OK && !rows) {
        ngx_log_error(NGX_LOG_ALERT, gs->log, 0,
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

        ngx_http_ims_member_pg_group_release(m);

        /* the statement that carried it is its own, for its request */

        m->db_time += op->db_time;

        if (op->rc == NGX_ERROR || (op->rc == NGX_OK && !rows)) {

            /*
             * Its own statement will tell whose request failed it, or,
             * when the rows cannot be told apart, answer each for itself:
             * a change the group committed is found made, never failed.
             */

            ngx_http_ims_member_pg_queue(m);
            continue;
        }

        if (!rows) {
            m->unreached = op->unreached;
            m->group = g->n;
            ngx_http_ims_member_pg_finish(m, op->rc);
            continue;
        }

        v = &op->rows.values[i * ncols];

        /*
         * what another transaction held goes again alone, waiting for its
         * own row this time: one held row keeps no other update waiting
         */

        if (v[0].len == 1 && v[0].data[0] == 't') {
            ngx_http_ims_member_pg_queue(m);
            continue;
        }

        m->group = g->n;
        ngx_http_ims_member_pg_finish(m,
                                ngx_http_ims_member_pg_group_row(m, v, ncols));
    }

    ngx_destroy_pool(g->pool);

    ngx_http_ims_member_pg_dispatch(gs->pg);
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


/* a group ended outside a connection's event: what waits may go */

static void
ngx_http_ims_member_pg_group_kick_handler(ngx_event_t *ev)
{
    ngx_http_ims_member_pg_groups_t  *gs = ev->data;

    ngx_http_ims_member_pg_dispatch(gs->pg);
}
