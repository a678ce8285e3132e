
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_POOL_INT_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_POOL_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_conn.h"
#include "ngx_http_ims_member_pg_pool.h"


/*
 * What the two files of the pool share, and nobody else sees: the
 * connections' side (ngx_http_ims_member_pg_pool.c) and the operations'
 * side (ngx_http_ims_member_pg_op.c).
 */

/* where a pooled connection is (conn->state) */
#define NGX_HTTP_IMS_MEMBER_PG_CONNECTING  0
#define NGX_HTTP_IMS_MEMBER_PG_SETUP       1
#define NGX_HTTP_IMS_MEMBER_PG_IDLE        2
#define NGX_HTTP_IMS_MEMBER_PG_BUSY        3
#define NGX_HTTP_IMS_MEMBER_PG_DRAINING    4

/*
 * The per-worker pool of database connections: a FIFO of operations
 * waiting for a connection, the connections parked idle and those busy.
 * It speaks no libpq: connections come from the connection room and
 * statements go through the exec room, which report back through the
 * handlers set here.
 */

struct ngx_http_ims_member_pg_pool_s {
    /* what ngx_event_ident() reads of an event's data, as in a connection */
    void                               *data;
    ngx_event_t                        *read;
    ngx_event_t                        *write;
    ngx_socket_t                        fd;

    ngx_http_ims_member_pg_conf_t       conf;
    char                               *conninfo;
    char                              **names;
    char                               *setup;
    ngx_log_t                          *log;

    /*
     * The counts of connections and of waiting statements live in the
     * worker's slot of the metrics zone, which the status page reads:
     * open, connecting, idle, waiting, failures.
     */
    ngx_http_ims_member_metrics_worker_t  *w;

    /* connections being opened for one statement each (retries) */
    ngx_uint_t                          reserved;

    /* the role's timeouts were checked (ims_member_prepare off) */
    ngx_uint_t                          checked;   /* unsigned  checked:1 */
    ngx_msec_t                          retry;
    ngx_event_t                         backoff;

    ngx_queue_t                         busy;
    ngx_queue_t                         idle;
    ngx_queue_t                         ops;

    /* the handlers of a room above the pool, if any */
    ngx_http_ims_member_pg_room_t       room;

    /* the connections' side frees the connection an operation holds */
    ngx_http_ims_member_pg_handler_pt   detach;
};


/*
 * The operations' side, which the connections' side calls, never the
 * other way round (besides the public ones in the pool's header):
 *
 * op_args(): an operation's parameters as libpq takes them;
 * next(): the first operation of the wait queue, taken out of it;
 * sent(): a connection takes the operation's statement (for its time).
 */

ngx_int_t ngx_http_ims_member_pg_op_args(ngx_http_ims_member_pg_op_t *op);
ngx_http_ims_member_pg_op_t *ngx_http_ims_member_pg_next(
    ngx_http_ims_member_pg_pool_t *pg);
void ngx_http_ims_member_pg_sent(ngx_http_ims_member_pg_op_t *op);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_POOL_INT_H_INCLUDED_ */
