
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_POOL_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_POOL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_conn.h"


typedef struct ngx_http_ims_member_pg_pool_s  ngx_http_ims_member_pg_pool_t;
typedef struct ngx_http_ims_member_pg_op_s    ngx_http_ims_member_pg_op_t;
typedef struct ngx_http_ims_member_pg_group_s ngx_http_ims_member_pg_group_t;

typedef void (*ngx_http_ims_member_pg_handler_pt)(
    ngx_http_ims_member_pg_op_t *op);


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

    /*
     * Group commit: operations of statement "grouped" that wait together
     * go as one statement "group", whose parameters are arrays of theirs
     * and whose rows are one per operation: a "skipped" flag (its row
     * another transaction held: it goes again alone, as "grouped"), then
     * the row the operation's own statement gives.  One alone goes as
     * "group_one", with its own parameters and a row of the same kind.
     */
    ngx_uint_t                          group_commit;  /* unsigned  :1 */
    ngx_uint_t                          grouped;
    ngx_uint_t                          group;
    ngx_uint_t                          group_one;
} ngx_http_ims_member_pg_conf_t;


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

    /* private */
    ngx_queue_t                         queue;
    ngx_event_t                         timer;
    ngx_event_t                         done;
    char                              **args;
    ngx_http_ims_member_pg_pool_t      *pg;
    ngx_http_ims_member_pg_conn_t      *conn;
    ngx_http_ims_member_pg_group_t     *group;

    unsigned                            queued:1;
    /* in the queue of operations that wait to go as a group */
    unsigned                            gqueued:1;
    /* a group under way: it holds one of the worker's places for groups */
    unsigned                            counted:1;
    unsigned                            retried:1;

    /* NGX_DECLINED with no working server reached: nothing to blame on
     * the statement itself */
    unsigned                            unreached:1;
};


ngx_http_ims_member_pg_pool_t *ngx_http_ims_member_pg_pool_create(
    ngx_cycle_t *cycle, ngx_http_ims_member_pg_conf_t *conf);
void ngx_http_ims_member_pg_pool_close(ngx_http_ims_member_pg_pool_t *pg);
ngx_int_t ngx_http_ims_member_pg_run(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op);
void ngx_http_ims_member_pg_cancel(ngx_http_ims_member_pg_op_t *op);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_POOL_H_INCLUDED_ */
