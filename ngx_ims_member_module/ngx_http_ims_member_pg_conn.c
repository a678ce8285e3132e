
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <libpq-fe.h>

#include "ngx_http_ims_member_pg_conn.h"


/* an idle connection's socket is read until EAGAIN, within reason */
#define NGX_HTTP_IMS_MEMBER_PG_WATCH_READS  16


static ngx_int_t ngx_http_ims_member_pg_conn_wrap(
    ngx_http_ims_member_pg_conn_t *conn, ngx_event_handler_pt handler);
static void ngx_http_ims_member_pg_conn_unwrap(
    ngx_http_ims_member_pg_conn_t *conn);
static ngx_int_t ngx_http_ims_member_pg_conn_socket_changed(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_conn_connect_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_conn_idle_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_ims_member_pg_conn_watch(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_conn_notice(void *arg,
    const PGresult *res);


char *
ngx_http_ims_member_pg_conn_check(ngx_conf_t *cf, ngx_str_t *conninfo)
{
    char                *err;
    u_char              *p;
    ngx_str_t            host, one;
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

    /* a list of hosts (a failover manager's URI names every node) */

    while (!hostaddr && host.len) {
        one.data = host.data;
        p = ngx_strlchr(host.data, host.data + host.len, ',');
        one.len = (p ? p : host.data + host.len) - host.data;

        host.len -= one.len + (p ? 1 : 0);
        host.data = p ? p + 1 : host.data + one.len;

        if (one.len && one.data[0] != '/'
            && ngx_inet_addr(one.data, one.len) == INADDR_NONE
#if (NGX_HAVE_INET6)
            && ngx_inet6_addr(one.data, one.len, NULL) != NGX_OK
#endif
            )
        {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "host \"%V\" is a name: libpq resolves it "
                               "with a blocking call in the worker, use an "
                               "address (\"hostaddr\") or a socket "
                               "directory", &one);
        }
    }

    PQconninfoFree(opts);

    return NGX_CONF_OK;
}


ngx_http_ims_member_pg_conn_t *
ngx_http_ims_member_pg_conn_open(char *conninfo, ngx_msec_t timeout,
    ngx_log_t *log)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    PGconn                         *pgconn;
    ngx_pool_t                     *pool;
    ngx_http_ims_member_pg_conn_t  *conn;

    pgconn = PQconnectStart(conninfo);

    if (pgconn == NULL) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "ims_member: PQconnectStart() failed: out of memory");
        return NULL;
    }

    if (PQstatus(pgconn) == CONNECTION_BAD) {
        (void) ngx_http_ims_member_pg_message(PQerrorMessage(pgconn), msg,
                                              sizeof(msg));
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "ims_member: could not connect to PostgreSQL: %s", msg);
        PQfinish(pgconn);
        return NULL;
    }

    pool = ngx_create_pool(512, log);
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
     *     conn->rows = NULL;
     *     conn->prepared = 0;
     *     conn->preparing = 0;
     *     conn->goodbye = 0;
     */

    conn->pool = pool;
    conn->pgconn = pgconn;
    conn->log = *log;
    conn->log.action = "connecting to PostgreSQL";

    if (ngx_http_ims_member_pg_conn_wrap(conn,
                                   ngx_http_ims_member_pg_conn_connect_handler)
        != NGX_OK)
    {
        PQfinish(pgconn);
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, log, 0,
                   "ims_member: new PostgreSQL connection %p, fd:%d",
                   conn, conn->connection->fd);

    /*
     * libpq ignores connect_timeout under PQconnectPoll(): the whole
     * handshake is under this timer
     */

    ngx_add_timer(conn->connection->read, timeout);

    /* libpq: behave as if PQconnectPoll() had asked for a writable socket */

    if (ngx_http_ims_member_pg_conn_want_write(conn, 1) != NGX_OK) {
        ngx_http_ims_member_pg_conn_close(conn);
        return NULL;
    }

    return conn;
}


static ngx_int_t
ngx_http_ims_member_pg_conn_wrap(ngx_http_ims_member_pg_conn_t *conn,
    ngx_event_handler_pt handler)
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
    c->read->handler = handler;
    c->write->handler = handler;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

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

    ngx_http_ims_member_pg_conn_unwrap(conn);
    return NGX_ERROR;
}


static void
ngx_http_ims_member_pg_conn_unwrap(ngx_http_ims_member_pg_conn_t *conn)
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
ngx_http_ims_member_pg_conn_socket_changed(ngx_http_ims_member_pg_conn_t *conn)
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


ngx_int_t
ngx_http_ims_member_pg_conn_want_write(ngx_http_ims_member_pg_conn_t *conn,
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
ngx_http_ims_member_pg_conn_connect_handler(ngx_event_t *ev)
{
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_uint_t                      n;
    ngx_msec_t                      left;
    ngx_connection_t               *c;
    PostgresPollingStatusType       status;
    ngx_http_ims_member_pg_conn_t  *conn;

    c = ev->data;
    conn = c->data;

    if (c->close) {
        conn->connected(conn, NGX_ERROR);
        return;
    }

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, &conn->log, NGX_ETIMEDOUT,
                      "ims_member: PostgreSQL did not accept the connection "
                      "in time");
        conn->connected(conn, NGX_ERROR);
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
        (void) ngx_http_ims_member_pg_conn_error(conn, msg, sizeof(msg));
        ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                      "ims_member: could not connect to PostgreSQL: %s", msg);
        conn->connected(conn, NGX_ERROR);
        return;
    }

    /* libpq opens a new socket for the next address or an SSL retry */

    if (ngx_http_ims_member_pg_conn_socket_changed(conn)) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: libpq switched to socket %d",
                       PQsocket(conn->pgconn));

        /* the new socket keeps what is left of the handshake's time */

        left = c->read->timer_set ? c->read->timer.key - ngx_current_msec : 1;

        if ((ngx_msec_int_t) left <= 0) {
            left = 1;
        }

        ngx_http_ims_member_pg_conn_unwrap(conn);

        if (ngx_http_ims_member_pg_conn_wrap(conn,
                                   ngx_http_ims_member_pg_conn_connect_handler)
            != NGX_OK)
        {
            conn->connected(conn, NGX_ERROR);
            return;
        }

        c = conn->connection;
        ngx_add_timer(c->read, left);
    }

    if (status != PGRES_POLLING_OK) {
        if (ngx_http_ims_member_pg_conn_want_write(conn,
                                              status == PGRES_POLLING_WRITING)
            != NGX_OK
            || ngx_handle_read_event(c->read, 0) != NGX_OK)
        {
            conn->connected(conn, NGX_ERROR);
        }

        return;
    }

    if (PQsetnonblocking(conn->pgconn, 1) != 0) {
        (void) ngx_http_ims_member_pg_conn_error(conn, msg, sizeof(msg));
        ngx_log_error(NGX_LOG_ERR, &conn->log, 0,
                      "ims_member: PQsetnonblocking() failed: %s", msg);
        conn->connected(conn, NGX_ERROR);
        return;
    }

    (void) PQsetNoticeReceiver(conn->pgconn,
                               ngx_http_ims_member_pg_conn_notice, conn);

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: PostgreSQL connection %p ready", conn);

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    conn->log.action = NULL;

    conn->connected(conn, NGX_OK);
}


/* a connection may go back to a pool: its exchange is complete and clean */

ngx_int_t
ngx_http_ims_member_pg_conn_clean(ngx_http_ims_member_pg_conn_t *conn)
{
    return PQstatus(conn->pgconn) == CONNECTION_OK
           && PQtransactionStatus(conn->pgconn) == PQTRANS_IDLE
           && !conn->goodbye;
}


/*
 * A parked connection expects nothing but, when it listens, notifications:
 * anything else, or the end of the stream, is the server leaving.  It is
 * checked at once (FATAL and FIN may have come with the last result, in an
 * edge already consumed) and on every event.  NGX_OK: parked; NGX_AGAIN:
 * parked, with notifications; NGX_DONE: the owner must close it.
 */

ngx_int_t
ngx_http_ims_member_pg_conn_park(ngx_http_ims_member_pg_conn_t *conn,
    ngx_msec_t timeout)
{
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = conn->connection;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (ngx_http_ims_member_pg_conn_want_write(conn, 0) != NGX_OK) {
        return NGX_DONE;
    }

    c->read->handler = ngx_http_ims_member_pg_conn_idle_handler;
    c->write->handler = ngx_http_ims_member_pg_conn_idle_handler;

    /* a graceful shutdown closes it (ngx_close_idle_connections()) */

    c->idle = 1;

    if (timeout) {
        ngx_add_timer(c->read, timeout);
    }

    rc = ngx_http_ims_member_pg_conn_watch(conn);

    if (rc != NGX_DONE && ngx_handle_read_event(c->read, 0) != NGX_OK) {
        return NGX_DONE;
    }

    return rc;
}


void
ngx_http_ims_member_pg_conn_unpark(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_connection_t  *c;

    c = conn->connection;

    c->idle = 0;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }
}


static void
ngx_http_ims_member_pg_conn_idle_handler(ngx_event_t *ev)
{
    ngx_int_t                       rc;
    ngx_connection_t               *c;
    ngx_http_ims_member_pg_conn_t  *conn;

    c = ev->data;
    conn = c->data;

    if (c->close) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: closing idle PostgreSQL connection %p "
                       "on shutdown", conn);
        conn->idle(conn, NGX_DONE);
        return;
    }

    if (ev->write) {
        return;
    }

    if (ev->timedout) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                       "ims_member: closing PostgreSQL connection %p, "
                       "unused for ims_member_idle_timeout", conn);
        conn->idle(conn, NGX_DONE);
        return;
    }

    rc = ngx_http_ims_member_pg_conn_watch(conn);

    if (rc == NGX_OK && ngx_handle_read_event(c->read, 0) != NGX_OK) {
        rc = NGX_DONE;
    }

    if (rc != NGX_OK) {
        conn->idle(conn, rc);
    }
}


static ngx_int_t
ngx_http_ims_member_pg_conn_watch(ngx_http_ims_member_pg_conn_t *conn)
{
    u_char             byte, msg[NGX_MAX_ERROR_STR];
    ssize_t            n;
    PGnotify          *note;
    ngx_err_t          err;
    ngx_uint_t         i;
    ngx_connection_t  *c;

    c = conn->connection;
    msg[0] = '\0';

    if (conn->goodbye || PQstatus(conn->pgconn) != CONNECTION_OK) {
        goto gone;
    }

    /*
     * The socket is peeked, not libpq: a FATAL message and the end of the
     * stream often come in one wake-up, and libpq would read only the
     * first.  With SSL the peek sees records, which is as good: an idle
     * connection gets none.
     */

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_PG_WATCH_READS; i++) {
        n = recv(c->fd, (char *) &byte, 1, MSG_PEEK);
        err = ngx_socket_errno;

        if (n == -1 && err == NGX_EAGAIN) {
            c->read->ready = 0;
            break;
        }

        if (n == -1 && err == NGX_EINTR) {
            continue;
        }

        /* bytes, the end, or an error: libpq reads them and tells which */

        if (PQconsumeInput(conn->pgconn) == 0) {
            (void) ngx_http_ims_member_pg_conn_error(conn, msg, sizeof(msg));
            goto gone;
        }

        /* parsing hands an error sent to an idle session to the receiver */

        (void) PQisBusy(conn->pgconn);

        while ((note = PQnotifies(conn->pgconn)) != NULL) {
            ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                           "ims_member: notification \"%s\"", note->extra);
            PQfreemem(note);
            conn->notified = 1;
        }

        if (conn->goodbye || PQstatus(conn->pgconn) != CONNECTION_OK) {
            (void) ngx_http_ims_member_pg_conn_error(conn, msg, sizeof(msg));
            goto gone;
        }

        if (!conn->listening) {
            ngx_cpystrn(msg, (u_char *) "unexpected data", sizeof(msg));
            goto gone;
        }
    }

    /* more than a few reads' worth: the rest on the next turn of the loop */

    if (i == NGX_HTTP_IMS_MEMBER_PG_WATCH_READS) {
        ngx_post_event(c->read, &ngx_posted_events);
    }

    return conn->notified ? NGX_AGAIN : NGX_OK;

gone:

    ngx_log_error(NGX_LOG_WARN, &conn->log, 0,
                  "ims_member: PostgreSQL closed an idle connection%s%s",
                  msg[0] ? ": " : "", msg);

    return NGX_DONE;
}


void
ngx_http_ims_member_pg_conn_close(ngx_http_ims_member_pg_conn_t *conn)
{
    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: closing PostgreSQL connection %p", conn);

    ngx_http_ims_member_pg_conn_unwrap(conn);

    PQfinish(conn->pgconn);
    conn->pgconn = NULL;

    ngx_destroy_pool(conn->pool);
}


u_char *
ngx_http_ims_member_pg_conn_error(ngx_http_ims_member_pg_conn_t *conn,
    u_char *buf, size_t size)
{
    return ngx_http_ims_member_pg_message(PQerrorMessage(conn->pgconn), buf,
                                          size);
}


/*
 * Messages the server sends outside a statement's results.  An error
 * there (a FATAL one: terminated by an administrator, a shutdown, an idle
 * timeout of the server) means the session ends: the connection must not
 * be reused.
 */

static void
ngx_http_ims_member_pg_conn_notice(void *arg, const PGresult *res)
{
    char                           *severity;
    u_char                          msg[NGX_MAX_ERROR_STR];
    ngx_uint_t                      level;
    ngx_http_ims_member_pg_conn_t  *conn;

    conn = arg;

    severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    level = NGX_LOG_NOTICE;

    if (severity
        && (ngx_strcmp(severity, "FATAL") == 0
            || ngx_strcmp(severity, "PANIC") == 0
            || ngx_strcmp(severity, "ERROR") == 0))
    {
        conn->goodbye = 1;
        level = NGX_LOG_WARN;
    }

    (void) ngx_http_ims_member_pg_message(PQresultErrorMessage(res), msg,
                                          sizeof(msg));

    ngx_log_error(level, &conn->log, 0, "ims_member: PostgreSQL says: %s",
                  msg);
}


u_char *
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
