
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_auth.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"


/*
 * The request prologue every endpoint shares: the method, the body, the
 * caller (perhaps after asking Keystone), the endpoint's own checks, then
 * one statement whose row the endpoint answers from.  A client that
 * leaves, or a request nginx ends, lets go of the statement through the
 * cleanup handler.
 */

static ngx_http_ims_member_ctx_t *ngx_http_ims_member_ctx_create(
    ngx_http_request_t *r, ngx_http_ims_member_endpoint_t *endpoint);
static void ngx_http_ims_member_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_member_flatten_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_ims_member_begin(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static void ngx_http_ims_member_identified(ngx_http_request_t *r,
    ngx_uint_t err);
static ngx_int_t ngx_http_ims_member_query(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
static void ngx_http_ims_member_query_done(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_check_broken(ngx_http_request_t *r);
static void ngx_http_ims_member_cleanup(void *data);


ngx_int_t
ngx_http_ims_member_handle(ngx_http_request_t *r,
    ngx_http_ims_member_endpoint_t *endpoint)
{
    ngx_int_t                   rc;
    ngx_uint_t                  allowed;
    ngx_http_ims_member_ctx_t  *ctx;

    allowed = (r->method & endpoint->methods) ? 1 : 0;

    /* Glance refuses a method only once it knows the caller */

    if (!allowed && !ngx_http_ims_member_glance_not_allowed(r, endpoint)) {
        return ngx_http_ims_member_not_allowed(r, &endpoint->allow);
    }

    if (!endpoint->body && allowed) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    ctx = ngx_http_ims_member_ctx_create(r, endpoint);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!allowed) {
        /* Glance's 405 comes after the identity and after the body's parse */
        ctx->error = NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED;
    }

    if (endpoint->body || !allowed) {
        rc = ngx_http_read_client_request_body(r,
                                             ngx_http_ims_member_body_handler);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    /* as reading a body does: one reference, one finalization later */

    r->main->count++;

    ngx_http_ims_member_begin(r, ctx);

    return NGX_DONE;
}


static ngx_http_ims_member_ctx_t *
ngx_http_ims_member_ctx_create(ngx_http_request_t *r,
    ngx_http_ims_member_endpoint_t *endpoint)
{
    ngx_http_cleanup_t         *cln;
    ngx_http_ims_member_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_ims_member_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ctx->op = NULL;
     *     ctx->error = NGX_HTTP_IMS_MEMBER_OK;
     *     ctx->identity = { 0 };
     */

    ctx->request = r;
    ctx->endpoint = endpoint;
    ctx->start = ngx_http_ims_member_metrics_now();

    ctx->data = ngx_pcalloc(r->pool, endpoint->ctx_size);
    if (ctx->data == NULL) {
        return NULL;
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_ims_member_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_ims_member_module);

    if (ngx_http_ims_member_answer_init(r, &ctx->request_id) != NGX_OK) {
        return NULL;
    }

    return ctx;
}


static void
ngx_http_ims_member_body_handler(ngx_http_request_t *r)
{
    ngx_http_ims_member_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (ctx == NULL || r->request_body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_http_ims_member_flatten_body(r, &ctx->body) != NGX_OK) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_begin(r, ctx);
}


static ngx_int_t
ngx_http_ims_member_flatten_body(ngx_http_request_t *r, ngx_str_t *body)
{
    off_t         len;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    /* the body may span memory buffers and a temporary file */

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    ngx_str_null(body);

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);

            if (n != b->file_last - b->file_pos) {
                ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                              "ims_member: could not read the request body "
                              "from \"%V\"", &b->file->name);
                return NGX_ERROR;
            }

            p += n;
            continue;
        }

        /* the last buffer of a chunked body may have no memory at all */

        if (b->last != b->pos) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    return NGX_OK;
}


/*
 * In the contract's order: identity, then what nginx can tell alone.  A
 * token is known only to the database, so with a token even a request
 * found wrong here asks the database, which then checks the token alone:
 * 401 still comes before 400.  Keystone may be asked first.
 */

static void
ngx_http_ims_member_begin(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_uint_t  err;

    ctx->identity.identified = ngx_http_ims_member_identified;

    if (ngx_http_ims_member_identify(r, &ctx->identity, &err) == NGX_AGAIN) {
        return;
    }

    ngx_http_ims_member_identified(r, err);
}


static void
ngx_http_ims_member_identified(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_str_t                       *params;
    ngx_http_ims_member_ctx_t       *ctx;
    ngx_http_ims_member_endpoint_t  *ep;

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);
    ep = ctx->endpoint;

    /* what was found wrong before the caller was known, or the checks */

    err = ctx->error ? ctx->error : ep->parse(r, ctx);

    if (err != NGX_HTTP_IMS_MEMBER_OK
        && ctx->identity.token_sha256.len == 0)
    {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    ctx->error = err;

    params = ngx_pcalloc(r->pool, ep->nparams * sizeof(ngx_str_t));
    if (params == NULL) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_identity_params(&ctx->identity, params);

    /* a statement that changes members ends with its events' parameters */

    if (err == NGX_HTTP_IMS_MEMBER_OK
        && (NGX_HTTP_IMS_MEMBER_SQL_EVENTS & (1 << ep->stmt)))
    {
        ngx_http_ims_member_event_params(r, &ctx->identity, &ctx->request_id,
                                         &params[ep->nparams - 3]);
    }

    if ((err == NGX_HTTP_IMS_MEMBER_OK
         && ep->params(r, ctx, params) != NGX_OK)
        || ngx_http_ims_member_query(r, ctx, params) != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
    }
}


static ngx_int_t
ngx_http_ims_member_query(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_pg_op_t      *op;
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    if (imcf->pool == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: no database pool in this process");
        return NGX_ERROR;
    }

    op = ngx_pcalloc(r->pool, sizeof(ngx_http_ims_member_pg_op_t));
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->stmt = ctx->endpoint->stmt;
    op->nparams = ctx->endpoint->nparams;
    op->params = params;
    op->pool = r->pool;
    op->log = r->connection->log;
    op->handler = ngx_http_ims_member_query_done;
    op->data = ctx;
    op->ident = r->connection;

    if (ngx_http_ims_member_pg_run(imcf->pool, op) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->op = op;

    /* notice a client that leaves while the database works */

    if (!r->discard_body) {
        r->read_event_handler = ngx_http_ims_member_check_broken;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_OK;
}


/*
 * The statement's end.  The request is answered here when the database
 * failed, when the answer is not one row of the endpoint's columns
 * (sql/ims.sql of another version, say), when the first column says the
 * caller is unknown ("unauthorized"), or when the request was found wrong
 * before the database was asked; else the endpoint answers from the row.
 */

static void
ngx_http_ims_member_query_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_str_t                  *v;
    ngx_uint_t                  err;
    ngx_http_request_t         *r;
    ngx_http_ims_member_ctx_t  *ctx;

    ctx = op->data;
    r = ctx->request;
    ctx->op = NULL;

    /* for the log: the statement that carried it, if one ran */

    if (!op->unreached) {
        ctx->db_time += op->db_time;
        ctx->group = op->group ? op->group : 1;
    }

    switch (op->rc) {

    case NGX_OK:
        err = NGX_HTTP_IMS_MEMBER_OK;
        break;

    case NGX_DECLINED:
        err = NGX_HTTP_IMS_MEMBER_ERR_UNAVAILABLE;
        break;

    case NGX_BUSY:
        err = NGX_HTTP_IMS_MEMBER_ERR_BUSY;
        break;

    default:
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    v = op->rows.values;

    if (err == NGX_HTTP_IMS_MEMBER_OK
        && (op->rows.nrows == 0
            || (op->rows.nrows > 1 && !ctx->endpoint->more_rows)
            || op->rows.ncols != ctx->endpoint->ncols
            || v[0].data == NULL))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: statement %ui returned %ui rows of %ui "
                      "columns; is sql/ims.sql of this version loaded?",
                      op->stmt, op->rows.nrows, op->rows.ncols);
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        if (v[0].len == sizeof("unauthorized") - 1
            && ngx_strncmp(v[0].data, "unauthorized", v[0].len) == 0)
        {
            err = NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED;

        } else {
            err = ctx->error;
        }
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    ctx->nrows = op->rows.nrows;
    ctx->endpoint->answer(r, ctx, v);
}


static void
ngx_http_ims_member_check_broken(ngx_http_request_t *r)
{
    int                n;
    char               buf[1];
    ngx_err_t          err;
    ngx_event_t       *rev;
    ngx_connection_t  *c;

    c = r->connection;
    rev = c->read;

#if (NGX_HTTP_V2)
    if (r->stream) {

        /* a reset stream is marked so; there is no socket to look at */

        if (c->error) {
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "ims_member: client reset the stream while the "
                          "database was working on its request");
            ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        }

        return;
    }
#endif

    n = recv(c->fd, buf, 1, MSG_PEEK);
    err = ngx_socket_errno;

    if (n > 0) {

        /* a pipelined request: the client is still there */

        if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
            if (ngx_del_event(rev, NGX_READ_EVENT, 0) != NGX_OK) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            }
        }

        return;
    }

    if (n == -1 && err == NGX_EAGAIN) {
        rev->ready = 0;
        return;
    }

    rev->eof = 1;
    c->error = 1;

    ngx_log_error(NGX_LOG_INFO, c->log, n == 0 ? 0 : err,
                  "ims_member: client closed the connection while the "
                  "database was working on its request");

    ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
}


static void
ngx_http_ims_member_cleanup(void *data)
{
    ngx_http_ims_member_ctx_t  *ctx = data;

    /* a queued statement is forgotten, a running one is drained */

    if (ctx->op) {
        ngx_http_ims_member_pg_cancel(ctx->op);
        ctx->op = NULL;
    }
}


/*
 * What the endpoints of Glance's member URLs share: the URL's parts, the
 * ids, the body's object, in Glance's order.
 *
 * /v2/images/{image_id}/members (n = 4) or .../members/{member_id} (5).
 */

ngx_uint_t
ngx_http_ims_member_member_url(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t n)
{
    ngx_str_t  parts[5];

    if (ngx_http_ims_member_split_path(&r->uri, parts, n) != NGX_OK
        || parts[0].len != 2 || ngx_strncmp(parts[0].data, "v2", 2) != 0
        || parts[1].len != 6 || ngx_strncmp(parts[1].data, "images", 6) != 0
        || parts[3].len != 7 || ngx_strncmp(parts[3].data, "members", 7) != 0)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND;
    }

    ctx->image_id = parts[2];

    if (n == 5) {
        ctx->member_id = parts[4];
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


/*
 * Ids the database cannot hold name no row: IMS's words say the id is
 * wrong, Glance's that nothing was found.  Glance reads the URL as
 * Latin-1, so to it a non-ASCII id names none; and it looks a member up
 * only after the image's checks, so with Glance's errors such a member
 * becomes "" (no project is) for the database to find missing in that
 * order.
 */

ngx_uint_t
ngx_http_ims_member_member_ids(ngx_http_ims_member_ctx_t *ctx,
    ngx_uint_t glance, ngx_str_t *member)
{
    if (ngx_http_ims_member_valid_id(&ctx->image_id,
                                     NGX_HTTP_IMS_MEMBER_IMAGE_ID_MAX)
        != NGX_OK
        || (glance
            && ngx_http_ims_member_valid_ascii(&ctx->image_id) != NGX_OK))
    {
        return NGX_HTTP_IMS_MEMBER_ERR_IMAGE_ID;
    }

    if (member == NULL
        || (ngx_http_ims_member_valid_id(member,
                                         NGX_HTTP_IMS_MEMBER_MEMBER_ID_MAX)
            == NGX_OK
            && (!glance
                || ngx_http_ims_member_valid_ascii(member) == NGX_OK)))
    {
        return NGX_HTTP_IMS_MEMBER_OK;
    }

    if (!glance) {
        return NGX_HTTP_IMS_MEMBER_ERR_MEMBER_ID;
    }

    ngx_str_set(member, "");

    return NGX_HTTP_IMS_MEMBER_OK;
}


/*
 * The body as Glance's deserializer reads it: there, JSON, an object
 * ("list_err" for an array, which Glance's endpoints word each its way)
 */

ngx_uint_t
ngx_http_ims_member_body_object(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t list_err,
    ngx_http_ims_member_json_t **doc)
{
    ngx_int_t  rc;

    if (ctx->body.len == 0 && !r->headers_in.chunked) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY_EMPTY;
    }

    rc = ngx_http_ims_member_json_parse(r->pool, ctx->body.data,
                                        ctx->body.len, doc);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_OK) {
        return NGX_HTTP_IMS_MEMBER_OK;
    }

    switch (ngx_http_ims_member_json_kind(ctx->body.data, ctx->body.len)) {

    case NGX_HTTP_IMS_MEMBER_JSON_ARRAY:
        return list_err;

    case NGX_HTTP_IMS_MEMBER_JSON_SCALAR:
        return NGX_HTTP_IMS_MEMBER_ERR_BODY_TYPE;

    default:
        return NGX_HTTP_IMS_MEMBER_ERR_BODY;
    }
}


/*
 * The prologue of an answer without a statement (the schemas, the
 * versions): GET or HEAD, no body, a request id.  NGX_OK, or the
 * handler's return code.
 */

ngx_int_t
ngx_http_ims_member_handle_static(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_ims_member_ctx_t  *ctx;

    static ngx_str_t  allow = ngx_string("GET, HEAD");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_ims_member_not_allowed(r, &allow);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    /* the context only carries the request id */

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_ims_member_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_ims_member_module);

    if (ngx_http_ims_member_answer_init(r, &ctx->request_id) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}
