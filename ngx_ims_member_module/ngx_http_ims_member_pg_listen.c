
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_conn.h"
#include "ngx_http_ims_member_pg_exec.h"
#include "ngx_http_ims_member_pg_listen.h"


/* reopening a lost LISTEN connection: 100 ms doubling to 3.2 s */
#define NGX_HTTP_IMS_MEMBER_PG_LISTEN_BACKOFF      100
#define NGX_HTTP_IMS_MEMBER_PG_LISTEN_BACKOFF_MAX  6


/*
 * One connection per worker, outside the pool, that only waits for
 * notifications.  It is watched like a parked one; when it dies it is
 * opened again, later after each failure, and a graceful shutdown closes
 * it as an idle connection.
 */

struct ngx_http_ims_member_pg_listen_s {
    /* what ngx_event_ident() reads of an event's data, as in a connection */
    void                               *data;
    ngx_event_t                        *read;
    ngx_event_t                        *write;
    ngx_socket_t                        fd;

    char                               *conninfo;
    char                               *sql;
    ngx_msec_t                          timeout;
    ngx_log_t                          *log;
    ngx_http_ims_member_pg_notify_pt    notify;
    void                               *notify_data;

    ngx_http_ims_member_pg_conn_t      *conn;
    ngx_event_t                         reopen;
    ngx_uint_t                          failures;

    /* 1 while a connection listens: the worker's gauge */
    ngx_atomic_t                       *up;
};


static void ngx_http_ims_member_pg_listen_open(ngx_event_t *ev);
static void ngx_http_ims_member_pg_listen_connected(
    ngx_http_ims_member_pg_conn_t *conn, ngx_int_t rc);
static void ngx_http_ims_member_pg_listen_done(
    ngx_http_ims_member_pg_conn_t *conn, ngx_int_t rc);
static void ngx_http_ims_member_pg_listen_idle(
    ngx_http_ims_member_pg_conn_t *conn, ngx_int_t rc);
static void ngx_http_ims_member_pg_listen_lost(
    ngx_http_ims_member_pg_listen_t *ls);


ngx_http_ims_member_pg_listen_t *
ngx_http_ims_member_pg_listen_create(ngx_cycle_t *cycle, ngx_str_t *conninfo,
    ngx_msec_t timeout, char *sql, ngx_http_ims_member_pg_notify_pt handler,
    void *data, ngx_atomic_t *up)
{
    ngx_http_ims_member_pg_listen_t  *ls;

    ls = ngx_pcalloc(cycle->pool, sizeof(ngx_http_ims_member_pg_listen_t));
    if (ls == NULL) {
        return NULL;
    }

    ls->conninfo = ngx_pnalloc(cycle->pool, conninfo->len + 1);
    if (ls->conninfo == NULL) {
        return NULL;
    }

    (void) ngx_cpystrn((u_char *) ls->conninfo, conninfo->data,
                       conninfo->len + 1);

    ls->sql = sql;
    ls->timeout = timeout;
    ls->log = cycle->log;
    ls->fd = (ngx_socket_t) -1;
    ls->notify = handler;
    ls->notify_data = data;
    ls->up = up;

    ls->reopen.handler = ngx_http_ims_member_pg_listen_open;
    ls->reopen.data = ls;
    ls->reopen.log = cycle->log;
    ls->reopen.cancelable = 1;

    /* connect from the event loop, never inside init_process */

    ngx_add_timer(&ls->reopen, 1);

    return ls;
}


void
ngx_http_ims_member_pg_listen_close(ngx_http_ims_member_pg_listen_t *ls)
{
    if (ls->reopen.timer_set) {
        ngx_del_timer(&ls->reopen);
    }

    if (ls->conn) {
        ngx_http_ims_member_pg_conn_close(ls->conn);
        ls->conn = NULL;
    }

    *ls->up = 0;
}


static void
ngx_http_ims_member_pg_listen_open(ngx_event_t *ev)
{
    ngx_http_ims_member_pg_conn_t    *conn;
    ngx_http_ims_member_pg_listen_t  *ls;

    ls = ev->data;

    if (ngx_terminate || ngx_exiting || ls->conn) {
        return;
    }

    conn = ngx_http_ims_member_pg_conn_open(ls->conninfo, ls->timeout,
                                            ls->log);
    if (conn == NULL) {
        ngx_http_ims_member_pg_listen_lost(ls);
        return;
    }

    conn->connected = ngx_http_ims_member_pg_listen_connected;
    conn->done = ngx_http_ims_member_pg_listen_done;
    conn->idle = ngx_http_ims_member_pg_listen_idle;
    conn->owner = ls;
    conn->listening = 1;

    ls->conn = conn;
}


static void
ngx_http_ims_member_pg_listen_connected(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc)
{
    ngx_http_ims_member_pg_listen_t  *ls;

    ls = conn->owner;

    if (rc != NGX_OK) {
        ngx_http_ims_member_pg_listen_lost(ls);
        return;
    }

    ngx_add_timer(conn->connection->read, ls->timeout);

    if (ngx_http_ims_member_pg_exec_query(conn, ls->sql) != NGX_OK) {
        ngx_http_ims_member_pg_listen_lost(ls);
    }
}


static void
ngx_http_ims_member_pg_listen_done(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc)
{
    ngx_http_ims_member_pg_listen_t  *ls;

    ls = conn->owner;

    if (rc != NGX_OK || !ngx_http_ims_member_pg_conn_clean(conn)
        || ngx_terminate || ngx_exiting)
    {
        ngx_http_ims_member_pg_listen_lost(ls);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ls->log, 0,
                   "ims_member: listening on PostgreSQL connection %p", conn);

    *ls->up = 1;

    if (ls->failures) {
        ngx_log_error(NGX_LOG_NOTICE, ls->log, 0,
                      "ims_member: listening for new jobs again");
        ls->failures = 0;
    }

    /* what was announced while nobody listened is looked for now */

    ngx_http_ims_member_pg_listen_idle(conn,
                                   ngx_http_ims_member_pg_conn_park(conn, 0));
}


static void
ngx_http_ims_member_pg_listen_idle(ngx_http_ims_member_pg_conn_t *conn,
    ngx_int_t rc)
{
    ngx_http_ims_member_pg_listen_t  *ls;

    ls = conn->owner;

    if (rc == NGX_DONE) {
        ngx_http_ims_member_pg_listen_lost(ls);
        return;
    }

    /* many notifications, one wake-up */

    conn->notified = 0;
    ls->notify(ls->notify_data);
}


static void
ngx_http_ims_member_pg_listen_lost(ngx_http_ims_member_pg_listen_t *ls)
{
    ngx_msec_t  delay;

    *ls->up = 0;

    if (ls->conn) {
        ngx_http_ims_member_pg_conn_close(ls->conn);
        ls->conn = NULL;
    }

    if (ngx_terminate || ngx_exiting) {
        return;
    }

    if (ls->failures < NGX_HTTP_IMS_MEMBER_PG_LISTEN_BACKOFF_MAX) {
        ls->failures++;
    }

    delay = NGX_HTTP_IMS_MEMBER_PG_LISTEN_BACKOFF << (ls->failures - 1);

    ngx_log_error(NGX_LOG_WARN, ls->log, 0,
                  "ims_member: no connection listens for new jobs, "
                  "opening one in %M ms", delay);

    ngx_add_timer(&ls->reopen, delay);
}
