
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <libpq-fe.h>

#include "ngx_http_ims_member_pg.h"


#define NGX_HTTP_IMS_MEMBER_PG_CONNECTING  0
#define NGX_HTTP_IMS_MEMBER_PG_IDLE        1
#define NGX_HTTP_IMS_MEMBER_PG_BUSY        2
#define NGX_HTTP_IMS_MEMBER_PG_DRAINING    3
#define NGX_HTTP_IMS_MEMBER_PG_LISTENING   4

/* prepared statements are tracked in a 64-bit mask per connection */
#define NGX_HTTP_IMS_MEMBER_PG_MAX_STMTS   64


struct ngx_http_ims_member_pg_pool_s {
    char                               *conninfo;
    ngx_uint_t                          max;
    ngx_uint_t                          n;
    ngx_uint_t                          connecting;
    ngx_uint_t                          waiting;
    ngx_msec_t                          timeout;
    ngx_str_t                          *stmts;
    char                              **names;
    ngx_uint_t                          nstmts;
    ngx_queue_t                         conns;
    ngx_queue_t                         idle;
    ngx_queue_t                         ops;
    ngx_log_t                          *log;

    /* one more connection, outside the pool, waits for notifications */
    ngx_http_ims_member_pg_conn_t      *listener;
    char                               *listen_sql;
    ngx_http_ims_member_pg_notify_pt    notify;
    void                               *notify_data;
};


struct ngx_http_ims_member_pg_conn_s {
    ngx_queue_t                         queue;
    ngx_queue_t                         idle;
    ngx_http_ims_member_pg_pool_t      *pg;
    ngx_pool_t                         *pool;
    ngx_log_t                           log;
    PGconn                             *pgconn;
    ngx_connection_t                   *connection;
    ngx_http_ims_member_pg_op_t        *op;
    ngx_int_t                           rc;
    ngx_uint_t                          stmt;
    uint64_t                            prepared;
    dev_t                               dev;
    ino_t                               ino;
    ngx_uint_t                          state;
    unsigned                            preparing:1;
    unsigned                            listen:1;
};


static ngx_http_ims_member_pg_conn_t *ngx_http_ims_member_pg_open(
    ngx_http_ims_member_pg_pool_t *pg);
static ngx_int_t ngx_http_ims_member_pg_wrap(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_unwrap(
    ngx_http_ims_member_pg_conn_t *conn);
static ngx_int_t ngx_http_ims_member_pg_socket_changed(
    ngx_http_ims_member_pg_conn_t *conn);
static ngx_int_t ngx_http_ims_member_pg_want_write(
    ngx_http_ims_member_pg_conn_t *conn, ngx_uint_t on);
static void ngx_http_ims_member_pg_connect_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_io_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_idle_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_start(ngx_http_ims_member_pg_conn_t *conn,
    ngx_http_ims_member_pg_op_t *op);
static ngx_int_t ngx_http_ims_member_pg_prepare(
    ngx_http_ims_member_pg_conn_t *conn);
static ngx_int_t ngx_http_ims_member_pg_exec(
    ngx_http_ims_member_pg_conn_t *conn);
static ngx_int_t ngx_http_ims_member_pg_flush(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_receive(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_result(ngx_http_ims_member_pg_conn_t *conn,
    PGresult *res);
static ngx_int_t ngx_http_ims_member_pg_copy_rows(
    ngx_http_ims_member_pg_op_t *op, PGresult *res);
static void ngx_http_ims_member_pg_complete(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_release(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_park(ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_notifies(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_broken(ngx_http_ims_member_pg_conn_t *conn,
    const char *what);
static void ngx_http_ims_member_pg_close(ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_dispatch(ngx_http_ims_member_pg_pool_t *pg);
static void ngx_http_ims_member_pg_connect_failed(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_fail_waiting(
    ngx_http_ims_member_pg_pool_t *pg);
static void ngx_http_ims_member_pg_detach(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_pg_finish(ngx_http_ims_member_pg_op_t *op,
    ngx_int_t rc);
static void ngx_http_ims_member_pg_timeout_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_done_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_notice(void *arg, const char *message);
static u_char *ngx_http_ims_member_pg_message(const char *msg, u_char *buf,
    size_t size);


char *
ngx_http_ims_member_pg_check_conninfo(ngx_conf_t *cf, ngx_str_t *conninfo)
{
    char                *err;
    u_char              *p;
    ngx_str_t            host;
    ngx_uint_t           hostaddr;
    PQconninfoOption    *opts, *o;

    p = ngx_pnalloc(cf->pool, conninfo->len + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn(p, conninfo->data, conninfo->len + 1);

    err = NULL;
    opts = PQconninfoParse((char *) p, &err);

    if (opts == NULL) {
        if (err == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_pnalloc(cf->pool, ngx_strlen(err) + 1);
        if (p != NULL) {
            (void) ngx_http_ims_member_pg_message(err, p, ngx_strlen(err) + 1);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid connection string: %s", p);
        }

        PQfreemem(err);
        return NGX_CONF_ERROR;
    }

    /*
     * PQconnectStart() resolves a host name with a blocking call inside the
     * worker: point out names, a numeric address or a socket path is safe
     */

    hostaddr = 0;
    ngx_str_null(&host);

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL || o->val[0] == '\0') {
            continue;
        }

        if (ngx_strcmp(o->keyword, "hostaddr") == 0) {
            hostaddr = 1;

        } else if (ngx_strcmp(o->keyword, "host") == 0) {
            host.data = (u_char *) o->val;
            host.len = ngx_strlen(o->val);
        }
    }

    if (!hostaddr && host.len && host.data[0] != '/'
        && ngx_inet_addr(host.data, host.len) == INADDR_NONE
#if (NGX_HAVE_INET6)
        && ngx_inet6_addr(host.data, host.len, NULL) != NGX_OK
#endif
        )
    {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "host \"%V\" is a name: libpq resolves it with a "
                           "blocking call in the worker, use an address "
                           "(\"hostaddr\") or a socket directory", &host);
    }

    PQconninfoFree(opts);

    return NGX_CONF_OK;
}


ngx_http_ims_member_pg_pool_t *
ngx_http_ims_member_pg_pool_create(ngx_cycle_t *cycle, ngx_str_t *conninfo,
    ngx_uint_t max, ngx_msec_t timeout, ngx_str_t *stmts, ngx_uint_t nstmts)
{
    u_char                         *p;
    ngx_uint_t                      i;
    ngx_http_ims_member_pg_pool_t  *pg;

    if (nstmts > NGX_HTTP_IMS_MEMBER_PG_MAX_STMTS) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "ims_member: too many statements: %ui", nstmts);
        return NULL;
    }

    pg = ngx_pcalloc(cycle->pool, sizeof(ngx_http_ims_member_pg_pool_t));
    if (pg == NULL) {
        return NULL;
    }

    pg->conninfo = ngx_pnalloc(cycle->pool, conninfo->len + 1);
    if (pg->conninfo == NULL) {
        return NULL;
    }

    (void) ngx_cpystrn((u_char *) pg->conninfo, conninfo->data,
                       conninfo->len + 1);

    pg->names = ngx_palloc(cycle->pool, nstmts * sizeof(char *));
    if (pg->names == NULL) {
        return NULL;
    }

    for (i = 0; i < nstmts; i++) {
        p = ngx_pnalloc(cycle->pool, sizeof("ims_member_") + NGX_INT_T_LEN);
        if (p == NULL) {
            return NULL;
        }

        *ngx_sprintf(p, "ims_member_%ui", i) = '\0';
        pg->names[i] = (char *) p;
    }

    pg->max = max;
    pg->timeout = timeout;
    pg->stmts = stmts;
    pg->nstmts = nstmts;
    pg->log = cycle->log;

    ngx_queue_init(&pg->conns);
    ngx_queue_init(&pg->idle);
    ngx_queue_init(&pg->ops);

    return pg;
}


void
ngx_http_ims_member_pg_pool_close(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_queue_t                    *q;
    ngx_http_ims_member_pg_conn_t  *conn;

    while (!ngx_queue_empty(&pg->conns)) {
        q = ngx_queue_head(&pg->conns);
        conn = ngx_queue_data(q, ngx_http_ims_member_pg_conn_t, queue);

        if (conn->op) {
            conn->op->conn = NULL;
            conn->op = NULL;
        }

        ngx_http_ims_member_pg_close(conn);
    }
}


ngx_int_t
ngx_http_ims_member_pg_run(ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_op_t *op)
{
    u_char                         *p;
    ngx_uint_t                      i;
    ngx_queue_t                    *q;
    ngx_http_ims_member_pg_conn_t  *conn;

    if (op->stmt >= pg->nstmts) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "ims_member: unknown statement %ui", op->stmt);
        return NGX_ERROR;
    }

    /* libpq takes text parameters as NUL-terminated strings */

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

    op->pg = pg;
    op->conn = NULL;
    op->rc = NGX_OK;
    op->nrows = 0;
    op->ncols = 0;
    op->values = NULL;
    op->sent = 0;
    op->queued = 0;

    op->timer.handler = ngx_http_ims_member_pg_timeout_handler;
    op->timer.data = op->ident;
    op->timer.log = op->log;

    op->done.handler = ngx_http_ims_member_pg_done_handler;
    op->done.data = op->ident;
    op->done.log = op->log;

    ngx_add_timer(&op->timer, pg->timeout);

    if (!ngx_queue_empty(&pg->idle)) {
        q = ngx_queue_head(&pg->idle);
        conn = ngx_queue_data(q, ngx_http_ims_member_pg_conn_t, idle);

        ngx_http_ims_member_pg_start(conn, op);
        return NGX_OK;
    }

    ngx_queue_insert_tail(&pg->ops, &op->queue);
    op->queued = 1;
    pg->waiting++;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "ims_member: statement waits for a connection, "
                   "%ui waiting, %ui open", pg->waiting, pg->n);

    ngx_http_ims_member_pg_dispatch(pg);

    return NGX_OK;
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

    if (op->queued) {
        ngx_queue_remove(&op->queue);
        op->queued = 0;
        op->pg->waiting--;
    }

    if (op->conn) {
        ngx_http_ims_member_pg_detach(op);
    }
}


ngx_int_t
ngx_http_ims_member_pg_listen(ngx_http_ims_member_pg_pool_t *pg,
    char *sql, ngx_http_ims_member_pg_notify_pt handler, void *data)
{
    ngx_http_ims_member_pg_conn_t  *conn;

    if (pg->listener) {
        return NGX_OK;
    }

    pg->listen_sql = sql;
    pg->notify = handler;
    pg->notify_data = data;

    conn = ngx_http_ims_member_pg_open(pg);
    if (conn == NULL) {
        return NGX_ERROR;
    }

    /* not one of the pool's: it never serves statements */

    pg->n--;
    pg->connecting--;

    conn->listen = 1;
    pg->listener = conn;

    return NGX_OK;
}


static ngx_http_ims_member_pg_conn_t *
ngx_http_ims_member_pg_open(ngx_http_ims_member_pg_pool_t *pg)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    PGconn                         *pgconn;
    ngx_pool_t                     *pool;
    ngx_http_ims_member_pg_conn_t  *conn;

    pgconn = PQconnectStart(pg->conninfo);

    if (pgconn == NULL) {
        ngx_log_error(NGX_LOG_CRIT, pg->log, 0,
                      "ims_member: PQconnectStart() failed: out of memory");
        return NULL;
    }

    if (PQstatus(pgconn) == CONNECTION_BAD) {
        (void) ngx_http_ims_member_pg_message(PQerrorMessage(pgconn), msg,
                                              sizeof(msg));
        ngx_log_error(NGX_LOG_ERR, pg->log, 0,
                      "ims_member: could not connect to PostgreSQL: %s", msg);
        PQfinish(pgconn);
        return NULL;
    }

    pool = ngx_create_pool(512, pg->log);
    if (pool == NULL) {
        PQfinish(pgconn);
        return NULL;
    }

    conn = ngx_pcalloc(pool, sizeof(ngx_http_ims_member_pg_conn_t));
    if (conn == NULL) {
        ngx_destroy_pool(pool);
        PQfinish(pgconn);
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conn->op = NULL;
     *     conn->prepared = 0;
     *     conn->preparing = 0;
     */

    conn->pg = pg;
    conn->pool = pool;
    conn->pgconn = pgconn;
    conn->log = *pg->log;
    conn->log.action = "connecting to PostgreSQL";
    conn->state = NGX_HTTP_IMS_MEMBER_PG_CONNECTING;

    if (ngx_http_ims_member_pg_wrap(conn) != NGX_OK) {
        PQfinish(pgconn);
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_queue_insert_tail(&pg->conns, &conn->queue);
    pg->n++;
    pg->connecting++;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, pg->log, 0,
                   "ims_member: new PostgreSQL connection %p, fd:%d",
                   conn, conn->connection->fd);

    /* libpq: behave as if PQconnectPoll() had asked for a writable socket */

    ngx_add_timer(conn->connection->read, pg->timeout);

    if (ngx_http_ims_member_pg_want_write(conn, 1) != NGX_OK) {
        ngx_http_ims_member_pg_close(conn);
        return NULL;
    }

    return conn;
}


static ngx_int_t
ngx_http_ims_member_pg_wrap(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_int_t          event;
    ngx_socket_t       fd;
    ngx_file_info_t    fi;
    ngx_connection_t  *c;

    fd = PQsocket(conn->pgconn);

    if (fd == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                      "ims_member: libpq has no socket");
        return NGX_ERROR;
    }

    /* a socket is told from its successor by its inode, not its number */

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, &conn->log, ngx_errno,
                      "ims_member: fstat() of the PostgreSQL socket failed");
        return NGX_ERROR;
    }

    conn->dev = fi.st_dev;
    conn->ino = fi.st_ino;

    c = ngx_get_connection(fd, &conn->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = conn;
    c->log = &conn->log;
    c->read->log = c->log;
    c->write->log = c->log;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_CONNECTING) {
        c->read->handler = ngx_http_ims_member_pg_connect_handler;
        c->write->handler = ngx_http_ims_member_pg_connect_handler;

    } else {
        c->read->handler = ngx_http_ims_member_pg_io_handler;
        c->write->handler = ngx_http_ims_member_pg_io_handler;
    }

    conn->connection = c;

    if (ngx_add_conn) {
        if (ngx_add_conn(c) == NGX_ERROR) {
            goto failed;
        }

        return NGX_OK;
    }

    event = (ngx_event_flags & NGX_USE_CLEAR_EVENT) ? NGX_CLEAR_EVENT
                                                    : NGX_LEVEL_EVENT;

    if (ngx_add_event(c->read, NGX_READ_EVENT, event) != NGX_OK) {
        goto failed;
    }

    if (event == NGX_CLEAR_EVENT
        && ngx_add_event(c->write, NGX_WRITE_EVENT, event) != NGX_OK)
    {
        goto failed;
    }

    return NGX_OK;

failed:

    ngx_http_ims_member_pg_unwrap(conn);
    return NGX_ERROR;
}


static void
ngx_http_ims_member_pg_unwrap(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_connection_t  *c;

    c = conn->connection;

    if (c == NULL) {
        return;
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    /* libpq closes the socket itself: only forget it here */

    if (ngx_del_conn) {
        ngx_del_conn(c, NGX_CLOSE_EVENT);

    } else {
        if (c->read->active || c->read->disabled) {
            ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active || c->write->disabled) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }
    }

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
    conn->connection = NULL;
}


static ngx_int_t
ngx_http_ims_member_pg_socket_changed(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_socket_t     fd;
    ngx_file_info_t  fi;

    fd = PQsocket(conn->pgconn);

    if (fd != conn->connection->fd) {
        return 1;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        return 1;
    }

    return fi.st_dev != conn->dev || fi.st_ino != conn->ino;
}


static ngx_int_t
ngx_http_ims_member_pg_want_write(ngx_http_ims_member_pg_conn_t *conn,
    ngx_uint_t on)
{
    ngx_event_t  *wev;

    /* edge-triggered methods keep the write event registered for good */

    if (ngx_event_flags & NGX_USE_CLEAR_EVENT) {
        return NGX_OK;
    }

    wev = conn->connection->write;

    if (on && !wev->active) {
        return ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }

    if (!on && wev->active) {
        return ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }

    return NGX_OK;
}


static void
ngx_http_ims_member_pg_connect_handler(ngx_event_t *ev)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_uint_t                      n;
    ngx_connection_t               *c;
    PostgresPollingStatusType       status;
    ngx_http_ims_member_pg_pool_t  *pg;
    ngx_http_ims_member_pg_conn_t  *conn;

    c = ev->data;
    conn = c->data;
    pg = conn->pg;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, &conn->log, NGX_ETIMEDOUT,
                      "ims_member: PostgreSQL did not accept the connection "
                      "within %M ms", pg->timeout);
        ngx_http_ims_member_pg_connect_failed(conn);
        return;
    }

    /*
     * Once the TCP connection is made, PQconnectPoll() asks for a writable
     * socket again before it sends the startup packet; an edge-triggered
     * method will not report a socket that already is writable, so go on.
     */

    c->read->ready = 0;

    for (n = 0; n < 4; n++) {
        status = PQconnectPoll(conn->pgconn);

        if (status != PGRES_POLLING_WRITING
            || PQstatus(conn->pgconn) != CONNECTION_MADE)
        {
            break;
        }
    }

    if (status == PGRES_POLLING_FAILED) {
        (void) ngx_http_ims_member_pg_message(PQerrorMessage(conn->pgconn),
                                              msg, sizeof(msg));
        ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                      "ims_member: could not connect to PostgreSQL: %s", msg);
        ngx_http_ims_member_pg_connect_failed(conn);
        return;
    }

    /* libpq opens a new socket for the next address or an SSL retry */

    if (ngx_http_ims_member_pg_socket_changed(conn)) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: libpq switched to socket %d",
                       PQsocket(conn->pgconn));

        ngx_http_ims_member_pg_unwrap(conn);

        if (ngx_http_ims_member_pg_wrap(conn) != NGX_OK) {
            ngx_http_ims_member_pg_connect_failed(conn);
            return;
        }

        ngx_add_timer(conn->connection->read, pg->timeout);
        c = conn->connection;
    }

    if (status != PGRES_POLLING_OK) {
        if (ngx_http_ims_member_pg_want_write(conn,
                                              status == PGRES_POLLING_WRITING)
            != NGX_OK
            || ngx_handle_read_event(c->read, 0) != NGX_OK)
        {
            ngx_http_ims_member_pg_connect_failed(conn);
        }

        return;
    }

    if (PQsetnonblocking(conn->pgconn, 1) != 0) {
        (void) ngx_http_ims_member_pg_message(PQerrorMessage(conn->pgconn),
                                              msg, sizeof(msg));
        ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                      "ims_member: PQsetnonblocking() failed: %s", msg);
        ngx_http_ims_member_pg_connect_failed(conn);
        return;
    }

    (void) PQsetNoticeProcessor(conn->pgconn, ngx_http_ims_member_pg_notice,
                                conn);

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: PostgreSQL connection %p ready", conn);

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    conn->log.action = NULL;
    conn->state = NGX_HTTP_IMS_MEMBER_PG_BUSY;

    c->read->handler = ngx_http_ims_member_pg_io_handler;
    c->write->handler = ngx_http_ims_member_pg_io_handler;

    if (conn->listen) {

        /* a constant of the module (LISTEN channel), never input */

        conn->rc = NGX_OK;

        if (PQsendQuery(conn->pgconn, pg->listen_sql) == 0
            || ngx_http_ims_member_pg_flush(conn) != NGX_OK)
        {
            ngx_http_ims_member_pg_broken(conn, "sending to");
        }

        return;
    }

    pg->connecting--;

    ngx_http_ims_member_pg_release(conn);
}


static void
ngx_http_ims_member_pg_io_handler(ngx_event_t *ev)
{
    ngx_connection_t               *c;
    ngx_http_ims_member_pg_pool_t  *pg;
    ngx_http_ims_member_pg_conn_t  *conn;

    c = ev->data;
    conn = c->data;
    pg = conn->pg;

    if (ev->timedout) {

        /* only a draining connection has a timer of its own */

        ngx_log_error(NGX_LOG_WARN, &conn->log, 0,
                      "ims_member: closing a PostgreSQL connection that did "
                      "not finish an abandoned statement within %M ms",
                      pg->timeout);
        ngx_http_ims_member_pg_close(conn);
        ngx_http_ims_member_pg_dispatch(pg);
        return;
    }

    if (ev->write) {
        if (ngx_http_ims_member_pg_flush(conn) != NGX_OK) {
            ngx_http_ims_member_pg_broken(conn, "sending to");
        }

        return;
    }

    ngx_http_ims_member_pg_receive(conn);
}


static void
ngx_http_ims_member_pg_idle_handler(ngx_event_t *ev)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_connection_t               *c;
    ngx_http_ims_member_pg_conn_t  *conn;

    c = ev->data;
    conn = c->data;

    if (ev->write) {
        return;
    }

    if (c->close) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: closing idle PostgreSQL connection %p "
                       "on shutdown", conn);
        ngx_http_ims_member_pg_close(conn);
        return;
    }

    /* an idle connection expects nothing: this is the server leaving */

    c->read->ready = 0;

    if (PQconsumeInput(conn->pgconn) == 0
        || PQstatus(conn->pgconn) != CONNECTION_OK)
    {
        (void) ngx_http_ims_member_pg_message(PQerrorMessage(conn->pgconn),
                                              msg, sizeof(msg));
        ngx_log_error(NGX_LOG_WARN, &conn->log, 0,
                      "ims_member: PostgreSQL closed an idle connection: %s",
                      msg);
        ngx_http_ims_member_pg_close(conn);
        return;
    }

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_LISTENING) {
        ngx_http_ims_member_pg_notifies(conn);
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_ims_member_pg_close(conn);
    }
}


static void
ngx_http_ims_member_pg_notifies(ngx_http_ims_member_pg_conn_t *conn)
{
    PGnotify                       *n;
    ngx_uint_t                      got;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->pg;
    got = 0;

    while ((n = PQnotifies(conn->pgconn)) != NULL) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: notification \"%s\"", n->extra);
        PQfreemem(n);
        got = 1;
    }

    /* many notifications, one wake-up */

    if (got && pg->notify) {
        pg->notify(pg->notify_data);
    }
}


static void
ngx_http_ims_member_pg_start(ngx_http_ims_member_pg_conn_t *conn,
    ngx_http_ims_member_pg_op_t *op)
{
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = conn->connection;

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_IDLE) {
        ngx_queue_remove(&conn->idle);
        c->idle = 0;
        c->read->handler = ngx_http_ims_member_pg_io_handler;
        c->write->handler = ngx_http_ims_member_pg_io_handler;

        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, op->log, 0,
                       "ims_member: reusing PostgreSQL connection %p", conn);
    }

    conn->state = NGX_HTTP_IMS_MEMBER_PG_BUSY;
    conn->op = op;
    op->conn = conn;

    if (conn->prepared & ((uint64_t) 1 << op->stmt)) {
        rc = ngx_http_ims_member_pg_exec(conn);

    } else {
        rc = ngx_http_ims_member_pg_prepare(conn);
    }

    if (rc != NGX_OK) {
        ngx_http_ims_member_pg_broken(conn, "sending to");
    }
}


static ngx_int_t
ngx_http_ims_member_pg_prepare(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    op = conn->op;
    pg = conn->pg;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "ims_member: preparing statement %s", pg->names[op->stmt]);

    /* the connection, not the operation, learns what it has prepared */

    conn->preparing = 1;
    conn->stmt = op->stmt;
    conn->rc = NGX_OK;

    if (PQsendPrepare(conn->pgconn, pg->names[op->stmt],
                      (char *) pg->stmts[op->stmt].data, (int) op->nparams,
                      NULL)
        == 0)
    {
        return NGX_ERROR;
    }

    return ngx_http_ims_member_pg_flush(conn);
}


static ngx_int_t
ngx_http_ims_member_pg_exec(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    op = conn->op;
    pg = conn->pg;

    conn->rc = NGX_OK;

    if (PQsendQueryPrepared(conn->pgconn, pg->names[op->stmt],
                            (int) op->nparams, (const char * const *) op->args,
                            NULL, NULL, 0)
        == 0)
    {
        return NGX_ERROR;
    }

    /* from here on the server may have run it: never send it again */

    op->sent = 1;

    return ngx_http_ims_member_pg_flush(conn);
}


static ngx_int_t
ngx_http_ims_member_pg_flush(ngx_http_ims_member_pg_conn_t *conn)
{
    int  rc;

    /* a long parameter list may not fit in the socket buffer at once */

    rc = PQflush(conn->pgconn);

    if (rc == -1) {
        return NGX_ERROR;
    }

    return ngx_http_ims_member_pg_want_write(conn, rc == 1);
}


static void
ngx_http_ims_member_pg_receive(ngx_http_ims_member_pg_conn_t *conn)
{
    u_char             peek;
    PGresult          *res;
    ngx_connection_t  *c;

    c = conn->connection;

    for ( ;; ) {
        if (ngx_http_ims_member_pg_flush(conn) != NGX_OK
            || PQconsumeInput(conn->pgconn) == 0)
        {
            ngx_http_ims_member_pg_broken(conn, "reading from");
            return;
        }

        c->read->ready = 0;

        /*
         * with an edge-triggered method, what libpq has already read is
         * never reported again: take every complete result now
         */

        while (!PQisBusy(conn->pgconn)) {
            res = PQgetResult(conn->pgconn);

            if (res == NULL) {
                ngx_http_ims_member_pg_complete(conn);
                return;
            }

            ngx_http_ims_member_pg_result(conn, res);
            PQclear(res);
        }

        /*
         * libpq reads once unless its buffer fills up; what it left in the
         * socket would not raise another edge
         */

        if (!(ngx_event_flags & NGX_USE_CLEAR_EVENT)
            || recv(c->fd, &peek, 1, MSG_PEEK) == -1)
        {
            break;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_ims_member_pg_broken(conn, "waiting for");
    }
}


static void
ngx_http_ims_member_pg_result(ngx_http_ims_member_pg_conn_t *conn,
    PGresult *res)
{
    char                         *state;
    u_char                        msg[NGX_MAX_ERROR_STR];
    ngx_log_t                    *log;
    ExecStatusType                status;
    ngx_http_ims_member_pg_op_t  *op;

    op = conn->op;
    status = PQresultStatus(res);

    switch (status) {

    case PGRES_TUPLES_OK:
        if (op && !conn->preparing
            && ngx_http_ims_member_pg_copy_rows(op, res) != NGX_OK)
        {
            conn->rc = NGX_ERROR;
        }

        return;

    case PGRES_COMMAND_OK:
        if (conn->preparing) {
            conn->prepared |= (uint64_t) 1 << conn->stmt;
        }

        return;

    default:
        break;
    }

    /*
     * the server could not do it now (shutdown, too many connections,
     * a broken link) or it failed the statement
     */

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    if (state
        && (ngx_strncmp(state, "08", 2) == 0
            || ngx_strncmp(state, "53", 2) == 0
            || ngx_strncmp(state, "57P", 3) == 0))
    {
        conn->rc = NGX_DECLINED;

    } else {
        conn->rc = NGX_ERROR;
    }

    log = op ? op->log : &conn->log;

    (void) ngx_http_ims_member_pg_message(PQresultErrorMessage(res), msg,
                                          sizeof(msg));

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "ims_member: PostgreSQL %s %s failed: %s",
                  conn->preparing ? "preparing" : "running",
                  op ? conn->pg->names[op->stmt] : "a statement", msg);
}


static ngx_int_t
ngx_http_ims_member_pg_copy_rows(ngx_http_ims_member_pg_op_t *op,
    PGresult *res)
{
    int         row, col, nrows, ncols, len;
    u_char     *p;
    ngx_str_t  *v;

    nrows = PQntuples(res);
    ncols = PQnfields(res);

    op->nrows = nrows;
    op->ncols = ncols;
    op->values = NULL;

    if (nrows == 0 || ncols == 0) {
        return NGX_OK;
    }

    v = ngx_palloc(op->pool, (size_t) nrows * ncols * sizeof(ngx_str_t));
    if (v == NULL) {
        return NGX_ERROR;
    }

    op->values = v;

    for (row = 0; row < nrows; row++) {
        for (col = 0; col < ncols; col++, v++) {

            if (PQgetisnull(res, row, col)) {
                ngx_str_null(v);
                continue;
            }

            len = PQgetlength(res, row, col);

            p = ngx_pnalloc(op->pool, len + 1);
            if (p == NULL) {
                return NGX_ERROR;
            }

            *ngx_cpymem(p, PQgetvalue(res, row, col), len) = '\0';

            v->len = len;
            v->data = p;
        }
    }

    return NGX_OK;
}


static void
ngx_http_ims_member_pg_complete(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_op_t  *op;

    op = conn->op;

    if (conn->preparing) {
        conn->preparing = 0;

        if (op && conn->rc == NGX_OK) {
            if (ngx_http_ims_member_pg_exec(conn) != NGX_OK) {
                ngx_http_ims_member_pg_broken(conn, "sending to");
            }

            return;
        }
    }

    if (op) {
        conn->op = NULL;
        op->conn = NULL;
        ngx_http_ims_member_pg_finish(op, conn->rc);
    }

    ngx_http_ims_member_pg_release(conn);
}


static void
ngx_http_ims_member_pg_release(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_queue_t                    *q;
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->pg;

    /* cache only a connection whose exchange is complete and clean */

    if (PQstatus(conn->pgconn) != CONNECTION_OK
        || PQtransactionStatus(conn->pgconn) != PQTRANS_IDLE)
    {
        ngx_log_error(NGX_LOG_WARN, &conn->log, 0,
                      "ims_member: closing a PostgreSQL connection left "
                      "in a transaction or broken");
        ngx_http_ims_member_pg_close(conn);
        ngx_http_ims_member_pg_dispatch(pg);
        return;
    }

    if (conn->connection->read->timer_set) {
        ngx_del_timer(conn->connection->read);
    }

    if (conn->listen) {
        if (conn->rc != NGX_OK) {
            ngx_http_ims_member_pg_close(conn);
            return;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: listening on PostgreSQL connection %p",
                       conn);

        conn->state = NGX_HTTP_IMS_MEMBER_PG_LISTENING;
        conn->connection->read->handler = ngx_http_ims_member_pg_idle_handler;
        conn->connection->write->handler =
                                        ngx_http_ims_member_pg_idle_handler;

        if (ngx_http_ims_member_pg_want_write(conn, 0) != NGX_OK) {
            ngx_http_ims_member_pg_close(conn);
        }

        return;
    }

    if (!ngx_queue_empty(&pg->ops)) {
        q = ngx_queue_head(&pg->ops);
        op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

        ngx_queue_remove(q);
        op->queued = 0;
        pg->waiting--;

        ngx_http_ims_member_pg_start(conn, op);
        return;
    }

    ngx_http_ims_member_pg_park(conn);
}


static void
ngx_http_ims_member_pg_park(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_connection_t  *c;

    c = conn->connection;

    if (ngx_terminate || ngx_exiting) {
        ngx_http_ims_member_pg_close(conn);
        return;
    }

    if (ngx_http_ims_member_pg_want_write(conn, 0) != NGX_OK) {
        ngx_http_ims_member_pg_close(conn);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: parking PostgreSQL connection %p", conn);

    conn->state = NGX_HTTP_IMS_MEMBER_PG_IDLE;
    ngx_queue_insert_head(&conn->pg->idle, &conn->idle);

    c->idle = 1;
    c->read->handler = ngx_http_ims_member_pg_idle_handler;
    c->write->handler = ngx_http_ims_member_pg_idle_handler;
}


static void
ngx_http_ims_member_pg_broken(ngx_http_ims_member_pg_conn_t *conn,
    const char *what)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_pool_t  *pg;

    op = conn->op;
    pg = conn->pg;

    (void) ngx_http_ims_member_pg_message(PQerrorMessage(conn->pgconn), msg,
                                          sizeof(msg));
    ngx_log_error(NGX_LOG_ERR, op ? op->log : &conn->log, 0,
                  "ims_member: lost the connection %s PostgreSQL: %s",
                  what, msg);

    if (op) {
        conn->op = NULL;
        op->conn = NULL;
    }

    ngx_http_ims_member_pg_close(conn);

    if (op) {
        if (op->sent) {
            ngx_http_ims_member_pg_finish(op, NGX_DECLINED);

        } else {

            /* the statement never left: it may go on a fresh connection */

            ngx_queue_insert_head(&pg->ops, &op->queue);
            op->queued = 1;
            pg->waiting++;
        }
    }

    ngx_http_ims_member_pg_dispatch(pg);
}


static void
ngx_http_ims_member_pg_close(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->pg;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: closing PostgreSQL connection %p", conn);

    ngx_http_ims_member_pg_unwrap(conn);

    PQfinish(conn->pgconn);

    ngx_queue_remove(&conn->queue);

    if (conn->listen) {
        pg->listener = NULL;
        ngx_destroy_pool(conn->pool);
        return;
    }

    if (conn->state == NGX_HTTP_IMS_MEMBER_PG_IDLE) {
        ngx_queue_remove(&conn->idle);

    } else if (conn->state == NGX_HTTP_IMS_MEMBER_PG_CONNECTING) {
        pg->connecting--;
    }

    pg->n--;

    ngx_destroy_pool(conn->pool);
}


static void
ngx_http_ims_member_pg_dispatch(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_queue_t                    *q;
    ngx_http_ims_member_pg_op_t    *op;
    ngx_http_ims_member_pg_conn_t  *conn;

    while (!ngx_queue_empty(&pg->ops) && !ngx_queue_empty(&pg->idle)) {
        q = ngx_queue_head(&pg->ops);
        op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

        ngx_queue_remove(q);
        op->queued = 0;
        pg->waiting--;

        q = ngx_queue_head(&pg->idle);
        conn = ngx_queue_data(q, ngx_http_ims_member_pg_conn_t, idle);

        ngx_http_ims_member_pg_start(conn, op);
    }

    while (pg->waiting > pg->connecting && pg->n < pg->max) {
        if (ngx_http_ims_member_pg_open(pg) == NULL) {
            break;
        }
    }

    /* nothing is open or opening: the database cannot be reached now */

    if (pg->n == 0) {
        ngx_http_ims_member_pg_fail_waiting(pg);
    }
}


/*
 * A connection that could not be made: the statements waiting for one are
 * answered now if no other connection is left, else they wait for those.
 * No new attempt starts from here, or a database that refuses connections
 * would be asked again in a tight loop; the next statement run tries again.
 */

static void
ngx_http_ims_member_pg_connect_failed(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_http_ims_member_pg_pool_t  *pg;

    pg = conn->pg;

    ngx_http_ims_member_pg_close(conn);

    if (pg->n == 0) {
        ngx_http_ims_member_pg_fail_waiting(pg);
    }
}


static void
ngx_http_ims_member_pg_fail_waiting(ngx_http_ims_member_pg_pool_t *pg)
{
    ngx_queue_t                  *q;
    ngx_http_ims_member_pg_op_t  *op;

    while (!ngx_queue_empty(&pg->ops)) {
        q = ngx_queue_head(&pg->ops);
        op = ngx_queue_data(q, ngx_http_ims_member_pg_op_t, queue);

        ngx_http_ims_member_pg_finish(op, NGX_DECLINED);
    }
}


static void
ngx_http_ims_member_pg_detach(ngx_http_ims_member_pg_op_t *op)
{
    ngx_http_ims_member_pg_conn_t  *conn;

    conn = op->conn;

    op->conn = NULL;
    conn->op = NULL;

    /*
     * the statement runs on: discard its results, then park the connection,
     * unless it lingers
     */

    conn->state = NGX_HTTP_IMS_MEMBER_PG_DRAINING;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: draining PostgreSQL connection %p", conn);

    if (!conn->connection->read->timer_set) {
        ngx_add_timer(conn->connection->read, conn->pg->timeout);
    }
}


static void
ngx_http_ims_member_pg_finish(ngx_http_ims_member_pg_op_t *op, ngx_int_t rc)
{
    op->rc = rc;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (op->queued) {
        ngx_queue_remove(&op->queue);
        op->queued = 0;
        op->pg->waiting--;
    }

    ngx_post_event(&op->done, &ngx_posted_events);
}


static void
ngx_http_ims_member_pg_timeout_handler(ngx_event_t *ev)
{
    ngx_http_ims_member_pg_op_t  *op;

    op = (ngx_http_ims_member_pg_op_t *)
             ((u_char *) ev - offsetof(ngx_http_ims_member_pg_op_t, timer));

    ngx_log_error(NGX_LOG_ERR, op->log, NGX_ETIMEDOUT,
                  "ims_member: PostgreSQL did not answer within %M ms%s",
                  op->pg->timeout,
                  op->queued ? " (all connections busy)" : "");

    if (op->conn) {
        ngx_http_ims_member_pg_detach(op);
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


static void
ngx_http_ims_member_pg_notice(void *arg, const char *message)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_http_ims_member_pg_conn_t  *conn;

    conn = arg;

    (void) ngx_http_ims_member_pg_message(message, msg, sizeof(msg));

    ngx_log_error(NGX_LOG_NOTICE, &conn->log, 0,
                  "ims_member: PostgreSQL says: %s", msg);
}


static u_char *
ngx_http_ims_member_pg_message(const char *msg, u_char *buf, size_t size)
{
    u_char  *p, *last;

    /* one log line: libpq's messages end in, and may hold, new lines */

    p = buf;
    last = buf + size - 1;

    if (msg == NULL) {
        msg = "";
    }

    while (*msg && p < last) {
        if (*msg == '\n' || *msg == '\t' || *msg == '\r') {
            if (p > buf && p[-1] != ' ') {
                *p++ = ' ';
            }

            msg++;
            continue;
        }

        *p++ = *msg++;
    }

    while (p > buf && p[-1] == ' ') {
        p--;
    }

    *p = '\0';

    return p;
}
