
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <libpq-fe.h>

#include "ngx_http_ims_member_pg_exec.h"


static ngx_int_t ngx_http_ims_member_pg_exec_send(
    ngx_http_ims_member_pg_conn_t *conn);
static ngx_int_t ngx_http_ims_member_pg_exec_flush(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_exec_handler(ngx_event_t *ev);
static void ngx_http_ims_member_pg_exec_receive(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_exec_complete(
    ngx_http_ims_member_pg_conn_t *conn);
static void ngx_http_ims_member_pg_exec_result(
    ngx_http_ims_member_pg_conn_t *conn, PGresult *res);
static ngx_int_t ngx_http_ims_member_pg_exec_unavailable(char *state);
static ngx_int_t ngx_http_ims_member_pg_exec_rows(
    ngx_http_ims_member_pg_conn_t *conn, PGresult *res);


/*
 * Runs a statement of the catalogue with text parameters: prepared once per
 * connection as "name", or on an "unnamed" connection sent whole each time
 * as the unnamed statement (a pooler in transaction mode hands each
 * transaction to any server session, where a name prepared in another is
 * unknown); "name" then only names it in the log.
 * NGX_OK: conn->done() reports the end; NGX_ERROR: the connection is
 * unusable ("sent" says if the statement left).
 */

ngx_int_t
ngx_http_ims_member_pg_exec_statement(ngx_http_ims_member_pg_conn_t *conn,
    ngx_uint_t stmt, char *name, ngx_str_t *sql, ngx_uint_t nparams,
    char **args)
{
    conn->stmt = stmt;
    conn->name = name;
    conn->sql = (char *) sql->data;
    conn->nparams = nparams;
    conn->args = args;
    conn->rc = NGX_OK;
    conn->sent = 0;
    conn->answered = 0;

    conn->connection->read->handler = ngx_http_ims_member_pg_exec_handler;
    conn->connection->write->handler = ngx_http_ims_member_pg_exec_handler;

    if (conn->unnamed || (conn->prepared & ((uint64_t) 1 << stmt))) {
        return ngx_http_ims_member_pg_exec_send(conn);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &conn->log, 0,
                   "ims_member: preparing statement %s", name);

    /* the connection, not the caller, learns what it has prepared */

    conn->preparing = 1;

    if (PQsendPrepare(conn->pgconn, name, (char *) sql->data, (int) nparams,
                      NULL)
        == 0)
    {
        return NGX_ERROR;
    }

    return ngx_http_ims_member_pg_exec_flush(conn);
}


/* a constant of the module (session settings, LISTEN), never input */

ngx_int_t
ngx_http_ims_member_pg_exec_query(ngx_http_ims_member_pg_conn_t *conn,
    char *sql)
{
    conn->name = NULL;
    conn->sql = sql;
    conn->args = NULL;
    conn->rc = NGX_OK;
    conn->sent = 0;
    conn->answered = 0;

    conn->connection->read->handler = ngx_http_ims_member_pg_exec_handler;
    conn->connection->write->handler = ngx_http_ims_member_pg_exec_handler;

    if (PQsendQuery(conn->pgconn, sql) == 0) {
        return NGX_ERROR;
    }

    conn->sent = 1;

    return ngx_http_ims_member_pg_exec_flush(conn);
}


/* the caller left: the statement runs on, its results are discarded */

void
ngx_http_ims_member_pg_exec_detach(ngx_http_ims_member_pg_conn_t *conn)
{
    conn->rows = NULL;
    conn->args = NULL;
    conn->caller_log = NULL;
}


static ngx_int_t
ngx_http_ims_member_pg_exec_send(ngx_http_ims_member_pg_conn_t *conn)
{
    int  rc;

    if (conn->unnamed) {
        rc = PQsendQueryParams(conn->pgconn, conn->sql, (int) conn->nparams,
                               NULL, (const char * const *) conn->args, NULL,
                               NULL, 0);

    } else {
        rc = PQsendQueryPrepared(conn->pgconn, conn->name, (int) conn->nparams,
                                 (const char * const *) conn->args, NULL, NULL,
                                 0);
    }

    if (rc == 0) {
        return NGX_ERROR;
    }

    /* from here on the server may run it */

    conn->sent = 1;

    return ngx_http_ims_member_pg_exec_flush(conn);
}


static ngx_int_t
ngx_http_ims_member_pg_exec_flush(ngx_http_ims_member_pg_conn_t *conn)
{
    int  rc;

    /* a long parameter list may not fit in the socket buffer at once */

    rc = PQflush(conn->pgconn);

    if (rc == -1) {
        return NGX_ERROR;
    }

    return ngx_http_ims_member_pg_conn_want_write(conn, rc == 1);
}


static void
ngx_http_ims_member_pg_exec_handler(ngx_event_t *ev)
{
    ngx_connection_t               *c;
    ngx_http_ims_member_pg_conn_t  *conn;

    c = ev->data;
    conn = c->data;

    /* worker_shutdown_timeout: the worker stops waiting for the server */

    if (c->close) {
        conn->done(conn, NGX_ABORT);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        conn->done(conn, NGX_AGAIN);
        return;
    }

    /*
     * A write event flushes, then reads too: when libpq cannot send all,
     * it reads what came meanwhile itself, and that read may have taken
     * the edge an edge-triggered method would report.
     */

    ngx_http_ims_member_pg_exec_receive(conn);
}


static void
ngx_http_ims_member_pg_exec_receive(ngx_http_ims_member_pg_conn_t *conn)
{
    u_char             peek;
    PGresult          *res;
    ngx_connection_t  *c;

    c = conn->connection;

    for ( ;; ) {
        if (ngx_http_ims_member_pg_exec_flush(conn) != NGX_OK
            || PQconsumeInput(conn->pgconn) == 0)
        {
            conn->done(conn, NGX_ABORT);
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
                ngx_http_ims_member_pg_exec_complete(conn);
                return;
            }

            ngx_http_ims_member_pg_exec_result(conn, res);
            PQclear(res);
        }

        /*
         * libpq reads once unless its buffer fills up; what it left in the
         * socket would not raise another edge
         */

        if (!(ngx_event_flags & NGX_USE_CLEAR_EVENT)
            || recv(c->fd, (char *) &peek, 1, MSG_PEEK) == -1)
        {
            break;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        conn->done(conn, NGX_ABORT);
    }
}


static void
ngx_http_ims_member_pg_exec_complete(ngx_http_ims_member_pg_conn_t *conn)
{
    if (conn->preparing) {
        conn->preparing = 0;

        /* a caller still waits: its statement follows its PREPARE */

        if (conn->rc == NGX_OK && conn->args) {
            if (ngx_http_ims_member_pg_exec_send(conn) != NGX_OK) {
                conn->done(conn, NGX_ABORT);
            }

            return;
        }
    }

    conn->done(conn, conn->rc);
}


static void
ngx_http_ims_member_pg_exec_result(ngx_http_ims_member_pg_conn_t *conn,
    PGresult *res)
{
    char            *state;
    u_char           msg[NGX_MAX_ERROR_STR];
    ngx_log_t       *log;
    ngx_uint_t       level;
    ExecStatusType   status;

    status = PQresultStatus(res);

    switch (status) {

    case PGRES_TUPLES_OK:
        conn->answered = 1;

        if (conn->rows && !conn->preparing
            && ngx_http_ims_member_pg_exec_rows(conn, res) != NGX_OK)
        {
            conn->rc = NGX_ERROR;
        }

        return;

    case PGRES_COMMAND_OK:
        if (conn->preparing) {
            conn->prepared |= (uint64_t) 1 << conn->stmt;

        } else {
            conn->answered = 1;
        }

        return;

    default:
        break;
    }

    /*
     * an error is not an answer: a session that ends (FATAL) under a
     * statement rolls it back, so it may run again elsewhere
     */

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    /* the caller's answer (503, or a retry) says the rest */

    level = NGX_LOG_WARN;

    if (state && ngx_strcmp(state, "25006") == 0) {
        conn->read_only = 1;
    }

    if (ngx_http_ims_member_pg_exec_unavailable(state)) {
        if (conn->rc == NGX_OK) {
            conn->rc = NGX_DECLINED;
        }

    } else {
        conn->rc = NGX_ERROR;
        level = NGX_LOG_ERR;
    }

    log = conn->caller_log ? conn->caller_log : &conn->log;

    (void) ngx_http_ims_member_pg_message(PQresultErrorMessage(res), msg,
                                          sizeof(msg));

    ngx_log_error(level, log, 0,
                  "ims_member: PostgreSQL %s %s failed: %s",
                  conn->preparing ? "preparing" : "running",
                  conn->name ? conn->name : "a statement", msg);
}


/*
 * The server could not do it now: a broken link (08), too many
 * connections or out of resources (53), shutting down (57P), a
 * statement_timeout or lock_timeout of ims_member_timeout expired (57014,
 * 55P03), or it takes no writes (25006: a standby, or a primary demoted
 * or made read-only).  The caller says 503.
 */

static ngx_int_t
ngx_http_ims_member_pg_exec_unavailable(char *state)
{
    if (state == NULL) {
        return 0;
    }

    return ngx_strncmp(state, "08", 2) == 0
           || ngx_strncmp(state, "53", 2) == 0
           || ngx_strncmp(state, "57P", 3) == 0
           || ngx_strcmp(state, "57014") == 0
           || ngx_strcmp(state, "55P03") == 0
           || ngx_strcmp(state, "25006") == 0;
}


static ngx_int_t
ngx_http_ims_member_pg_exec_rows(ngx_http_ims_member_pg_conn_t *conn,
    PGresult *res)
{
    int                             row, col, nrows, ncols, len;
    u_char                         *p;
    size_t                          size;
    ngx_str_t                      *v;
    ngx_http_ims_member_pg_rows_t  *rows;

    rows = conn->rows;

    nrows = PQntuples(res);
    ncols = PQnfields(res);

    rows->nrows = nrows;
    rows->ncols = ncols;
    rows->values = NULL;

    if (nrows == 0 || ncols == 0) {
        return NGX_OK;
    }

    v = ngx_palloc(rows->pool, (size_t) nrows * ncols * sizeof(ngx_str_t));
    if (v == NULL) {
        return NGX_ERROR;
    }

    rows->values = v;

    for (row = 0; row < nrows; row++) {
        size = 0;

        for (col = 0; col < ncols; col++, v++) {

            if (PQgetisnull(res, row, col)) {
                ngx_str_null(v);
                continue;
            }

            len = PQgetlength(res, row, col);

            p = ngx_pnalloc(rows->pool, len + 1);
            if (p == NULL) {
                return NGX_ERROR;
            }

            *ngx_cpymem(p, PQgetvalue(res, row, col), len) = '\0';

            v->len = len;
            v->data = p;
            size += len;
        }

        /* libpq's input buffer held this row whole */

        if (size > NGX_HTTP_IMS_MEMBER_PG_LARGE) {
            conn->large = 1;
        }
    }

    return NGX_OK;
}
