
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_POOL_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_POOL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_metrics.h"
#include "ngx_http_ims_member_pg_conn.h"


typedef struct ngx_http_ims_member_pg_pool_s  ngx_http_ims_member_pg_pool_t;
typedef struct ngx_http_ims_member_pg_op_s    ngx_http_ims_member_pg_op_t;

typedef void (*ngx_http_ims_member_pg_handler_pt)(
    ngx_http_ims_member_pg_op_t *op);
typedef ngx_int_t (*ngx_http_ims_member_pg_admit_pt)(
    ngx_http_ims_member_pg_op_t *op, void *data);
typedef void (*ngx_http_ims_member_pg_room_handler_pt)(void *data);


typedef struct {
    ngx_str_t                           conninfo;
    ngx_uint_t                          max;
    ngx_uint_t                          queue;
    ngx_msec_t                          timeout;
    ngx_msec_t                          idle_timeout;
    /* statements prepared per session; off: unnamed, for a pooler */
    ngx_uint_t                          prepare;       /* unsigned  :1 */

    /* the statement catalogue; a set bit: safe to run twice */
    ngx_str_t                          *stmts;
    ngx_uint_t                          nstmts;
    uint64_t                            idempotent;
    /* the counters, and this worker's gauges */
    ngx_http_ims_member_metrics_t      *metrics;
    ngx_http_ims_member_metrics_worker_t  *worker;
} ngx_http_ims_member_pg_conf_t;


/*
 * A room above the pool (group commit is one) that holds some operations
 * before they wait for a connection gives the pool these handlers, with
 * "data" its own pointer; the pool knows nothing else of it.
 *
 * admit(op, data): asked of every operation ngx_http_ims_member_pg_run()
 *     starts, once its fields and timer are set: NGX_OK, the room took it
 *     (it will queue or finish it), NGX_DECLINED, it waits for a
 *     connection as any other;
 * gather(data): connections may take work (the pool dispatches, or a
 *     connection is free again): the room queues what it lets go now,
 *     before the pool serves its queue;
 * unreachable(data): nothing is open or opening: the room finishes what
 *     it holds with NGX_DECLINED, before the pool does so with its queue.
 */

typedef struct {
    ngx_http_ims_member_pg_admit_pt         admit;
    ngx_http_ims_member_pg_room_handler_pt  gather;
    ngx_http_ims_member_pg_room_handler_pt  unreachable;
    void                                   *data;
} ngx_http_ims_member_pg_room_t;


/*
 * One statement run on a pooled connection.  The caller fills the first
 * group, ngx_http_ims_member_pg_run() the rest; the handler is called from
 * a posted event, never from inside the call that started the operation.
 *
 * rc: NGX_OK (rows are in "rows"), NGX_DECLINED (the database is
 * unreachable, busy, or did not answer in time), NGX_BUSY (refused at
 * once: ims_member_queue statements wait already), NGX_ERROR (the
 * statement failed).
 */

struct ngx_http_ims_member_pg_op_s {
    ngx_uint_t                          stmt;
    ngx_uint_t                          nparams;
    ngx_str_t                          *params;
    ngx_pool_t                         *pool;
    ngx_log_t                          *log;
    ngx_http_ims_member_pg_handler_pt   handler;
    void                               *data;

    /* the connection-like object debug logs name the timer events after */
    void                               *ident;

    ngx_int_t                           rc;
    ngx_http_ims_member_pg_rows_t       rows;

    /*
     * The pool's: "queue" links the operation into the pool's wait queue,
     * or a room's while the room holds it; "args" are the parameters as
     * libpq takes them, NUL-terminated (NULL for SQL NULL), which a room
     * reads.
     */
    ngx_queue_t                         queue;
    ngx_event_t                         timer;
    ngx_event_t                         done;
    char                              **args;
    ngx_http_ims_member_pg_pool_t      *pg;
    ngx_http_ims_member_pg_conn_t      *conn;

    /*
     * Set by a room above the pool on an operation it holds, with "room"
     * its own pointer.  "leave" is called once, when the pool is done with
     * the operation: it ended (ngx_http_ims_member_pg_finish()), or its
     * caller let go of it (ngx_http_ims_member_pg_cancel(), its time ran
     * out); the pool clears it first.  "carrier" is the operation whose
     * statement carries this one's, if the room made one; "waits" says,
     * for the log line of a timeout, what it waits for while held.
     */
    ngx_http_ims_member_pg_handler_pt   leave;
    void                               *room;
    ngx_http_ims_member_pg_op_t        *carrier;
    char                               *waits;

    unsigned                            queued:1;
    unsigned                            retried:1;

    /* NGX_DECLINED with no working server reached: nothing to blame on
     * the statement itself */
    unsigned                            unreached:1;

    /*
     * When the statement was sent (ngx_http_ims_member_metrics_now()),
     * and how long it took to its end, in microseconds; a room's
     * operation carried by another takes its carrier's time, and "group"
     * is how many updates went in that statement (0: none made).
     */
    uint64_t                            sent;
    uint64_t                            db_time;
    ngx_uint_t                          group;
};


ngx_http_ims_member_pg_pool_t *ngx_http_ims_member_pg_pool_create(
    ngx_cycle_t *cycle, ngx_http_ims_member_pg_conf_t *conf);
void ngx_http_ims_member_pg_pool_close(ngx_http_ims_member_pg_pool_t *pg);
ngx_int_t ngx_http_ims_member_pg_run(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op);
void ngx_http_ims_member_pg_cancel(ngx_http_ims_member_pg_op_t *op);

/*
 * For a room above the pool:
 *
 * pool_room(): the room's handlers, copied; set once, after creation;
 * waiting(): how many operations wait for a connection;
 * op_init(): an operation whose "args" the room built gets the fields and
 *     timer ngx_http_ims_member_pg_run() gives, and nothing else: it is
 *     neither admitted nor queued;
 * queue(): an operation waits for a connection, last, whatever waits
 *     already (the room bounds what it holds); it is not dispatched: the
 *     room calls dispatch(), unless it is in its gather handler;
 * dispatch(): what waits goes to free connections, and connections open;
 * finish(): the operation ends with "rc" (its handler is called from a
 *     posted event), out of the pool's hands.
 */
void ngx_http_ims_member_pg_pool_room(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_room_t *room);
ngx_uint_t ngx_http_ims_member_pg_waiting(ngx_http_ims_member_pg_pool_t *pg);
void ngx_http_ims_member_pg_op_init(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op);
void ngx_http_ims_member_pg_queue(ngx_http_ims_member_pg_op_t *op);
void ngx_http_ims_member_pg_dispatch(ngx_http_ims_member_pg_pool_t *pg);
void ngx_http_ims_member_pg_finish(ngx_http_ims_member_pg_op_t *op,
    ngx_int_t rc);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_POOL_H_INCLUDED_ */
