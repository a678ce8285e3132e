
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_CONN_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_CONN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>


/* libpq's own type, opaque outside the files that include libpq-fe.h */
struct pg_conn;


typedef struct ngx_http_ims_member_pg_conn_s  ngx_http_ims_member_pg_conn_t;

typedef void (*ngx_http_ims_member_pg_conn_handler_pt)(
    ngx_http_ims_member_pg_conn_t *conn, ngx_int_t rc);


/* rows of a result, row after row; a NULL field has data == NULL */

typedef struct {
    ngx_pool_t                             *pool;
    ngx_uint_t                              nrows;
    ngx_uint_t                              ncols;
    ngx_str_t                              *values;
} ngx_http_ims_member_pg_rows_t;


/*
 * One PostgreSQL connection in the event loop.  The layers below the owner
 * (connecting here, statements in the exec room) report up only through
 * the handlers the owner set:
 *
 * connected(conn, rc): NGX_OK, or NGX_ERROR (the owner closes it);
 * done(conn, rc): a statement ended: NGX_OK, NGX_ERROR (it failed),
 *     NGX_DECLINED (the server cannot now: shutdown, full, timed out),
 *     NGX_ABORT (the link is lost; "sent" tells if the statement left),
 *     NGX_AGAIN (a timer the owner set on the connection expired);
 * idle(conn, rc): a parked connection: NGX_DONE (close it: the server
 *     left, the idle timeout, a shutdown), NGX_AGAIN (notifications came).
 */

struct ngx_http_ims_member_pg_conn_s {
    struct pg_conn                         *pgconn;
    ngx_connection_t                       *connection;
    ngx_pool_t                             *pool;
    ngx_log_t                               log;
    dev_t                                   dev;
    ino_t                                   ino;

    /* the statement room's */
    ngx_http_ims_member_pg_rows_t          *rows;
    ngx_log_t                              *caller_log;
    char                                   *name;
    char                                   *sql;
    ngx_uint_t                              nparams;
    char                                  **args;
    ngx_uint_t                              stmt;
    uint64_t                                prepared;
    ngx_int_t                               rc;

    /* the owner's */
    ngx_http_ims_member_pg_conn_handler_pt  connected;
    ngx_http_ims_member_pg_conn_handler_pt  done;
    ngx_http_ims_member_pg_conn_handler_pt  idle;
    void                                   *owner;
    void                                   *data;
    ngx_queue_t                             queue;
    ngx_uint_t                              state;

    /* ims_member_prepare off: statements go unnamed */
    unsigned                                unnamed:1;
    unsigned                                preparing:1;
    unsigned                                sent:1;
    unsigned                                answered:1;
    unsigned                                reused:1;
    unsigned                                listening:1;
    unsigned                                goodbye:1;
    unsigned                                notified:1;

    /* it carried a large result: libpq keeps its buffer at that size */
    unsigned                                large:1;

    /* a write was refused as read-only: a standby, or a demoted primary */
    unsigned                                read_only:1;
};


char *ngx_http_ims_member_pg_conn_check(ngx_conf_t *cf, ngx_str_t *conninfo);
ngx_http_ims_member_pg_conn_t *ngx_http_ims_member_pg_conn_open(
    char *conninfo, ngx_msec_t timeout, ngx_log_t *log);
ngx_int_t ngx_http_ims_member_pg_conn_clean(
    ngx_http_ims_member_pg_conn_t *conn);
ngx_int_t ngx_http_ims_member_pg_conn_park(ngx_http_ims_member_pg_conn_t *conn,
    ngx_msec_t timeout);
void ngx_http_ims_member_pg_conn_unpark(ngx_http_ims_member_pg_conn_t *conn);
ngx_int_t ngx_http_ims_member_pg_conn_want_write(
    ngx_http_ims_member_pg_conn_t *conn, ngx_uint_t on);
void ngx_http_ims_member_pg_conn_close(ngx_http_ims_member_pg_conn_t *conn);
u_char *ngx_http_ims_member_pg_conn_error(ngx_http_ims_member_pg_conn_t *conn,
    u_char *buf, size_t size);
u_char *ngx_http_ims_member_pg_message(const char *msg, u_char *buf,
    size_t size);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_CONN_H_INCLUDED_ */
