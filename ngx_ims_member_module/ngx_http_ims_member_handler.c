
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_sha256.h"
#include "ngx_http_ims_member_util.h"


#define NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX  128

#define ngx_http_ims_member_error(status, code, message)                     \
    { status, ngx_string(code), ngx_string(message) }


typedef struct {
    ngx_uint_t                  status;
    ngx_str_t                   code;
    ngx_str_t                   message;
} ngx_http_ims_member_error_t;


static ngx_table_elt_t *ngx_http_ims_member_header_in(ngx_http_request_t *r,
    ngx_str_t *name);
static ngx_int_t ngx_http_ims_member_header_out(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_ims_member_request_id(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static u_char *ngx_http_ims_member_log_error(ngx_http_request_t *r,
    ngx_http_request_t *sr, u_char *buf, size_t len);
static void ngx_http_ims_member_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_member_flatten_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_ims_member_check_broken(ngx_http_request_t *r);
static void ngx_http_ims_member_cleanup(void *data);


/* indexed by NGX_HTTP_IMS_MEMBER_ERR_* */

static ngx_http_ims_member_error_t  ngx_http_ims_member_errors[] = {

    ngx_http_ims_member_error(NGX_HTTP_OK, "", ""),

    ngx_http_ims_member_error(NGX_HTTP_UNAUTHORIZED, "IMG.0001",
        "Authentication required: send a valid, unexpired X-Auth-Token."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0002",
        "The request body must be a JSON object."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0003",
        "Field \"status\" is required and must be one of"
        " \"accepted\", \"rejected\" or \"pending\"."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0004",
        "Field \"vault_id\", when given, must be a non-empty string."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0005",
        "No image with this id is visible to your project."),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0006",
        "Only shared images have members: this image's visibility"
        " is not \"shared\"."),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0007",
        "The image owner shares an image; only the member can accept or"
        " reject it."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0008",
        "Your project is not a member of this image: a member can only"
        " update its own membership."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0009",
        "This full-ECS image was created from a CBR backup: accepting it"
        " requires \"vault_id\", the vault to store its backup in."),

    ngx_http_ims_member_error(NGX_HTTP_SERVICE_UNAVAILABLE, "IMG.0010",
        "The image database is unavailable; retry later."),

    ngx_http_ims_member_error(NGX_HTTP_INTERNAL_SERVER_ERROR, "IMG.0011",
        "The server failed to process the request."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0012",
        "No such resource: check the URL."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0013",
        "Field \"images\" is required and must be a non-empty array of"
        " image ids (strings)."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0014",
        "Field \"images\" holds more images than one request may carry;"
        " split the request."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0015",
        "Field \"project_id\" is required: the project whose memberships"
        " change."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0016",
        "Field \"status\" is required and must be \"accepted\" or"
        " \"rejected\"."),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0017",
        "Field \"project_id\" must be your own project; only an"
        " administrator may act for another."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0018",
        "No such job of your project."),
};


static ngx_str_t  ngx_http_ims_member_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_ims_member_token_header =
    ngx_string("X-Auth-Token");
static ngx_str_t  ngx_http_ims_member_request_id_header =
    ngx_string("X-Openstack-Request-Id");
static ngx_str_t  ngx_http_ims_member_admin_role = ngx_string("admin");


ngx_int_t
ngx_http_ims_member_not_allowed(ngx_http_request_t *r, ngx_str_t *allow)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    static ngx_str_t  name = ngx_string("Allow");

    /*
     * nginx's own 405, so that error_page can hand the request to a Glance
     * behind nginx; that answer must not carry our Allow header
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages) {
        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == NGX_HTTP_NOT_ALLOWED) {
                return NGX_HTTP_NOT_ALLOWED;
            }
        }
    }

    if (ngx_http_ims_member_header_out(r, &name, allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_NOT_ALLOWED;
}


ngx_http_ims_member_ctx_t *
ngx_http_ims_member_ctx_create(ngx_http_request_t *r)
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

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_ims_member_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_ims_member_module);

    if (ngx_http_ims_member_request_id(r, ctx) != NGX_OK) {
        return NULL;
    }

    return ctx;
}


ngx_int_t
ngx_http_ims_member_read_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_http_ims_member_body_pt handler)
{
    ngx_int_t  rc;

    ctx->body_handler = handler;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_ims_member_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_ims_member_identify(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    u_char                          *p;
    ngx_str_t                        roles;
    ngx_table_elt_t                 *h;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    if (imlcf->project) {

        /* a trusted layer in front has authenticated the caller */

        if (ngx_http_complex_value(r, imlcf->project, &ctx->identity.project)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ctx->identity.project.len == 0) {
            return NGX_DECLINED;
        }

        if (ngx_http_ims_member_valid_id(&ctx->identity.project, 255)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "ims_member: the project given by "
                          "\"ims_member_project\" is not a valid project id");
            return NGX_DECLINED;
        }

        if (imlcf->roles) {
            if (ngx_http_complex_value(r, imlcf->roles, &roles) != NGX_OK) {
                return NGX_ERROR;
            }

            ctx->identity.admin =
                ngx_http_ims_member_has_word(&roles,
                                             &ngx_http_ims_member_admin_role);
        }

        return NGX_OK;
    }

    h = ngx_http_ims_member_header_in(r, &ngx_http_ims_member_token_header);

    if (h == NULL || h->value.len == 0) {
        return NGX_DECLINED;
    }

    /* only the hash of a token leaves nginx */

    p = ngx_pnalloc(r->pool, NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->identity.token_sha256.data = p;
    ctx->identity.token_sha256.len =
        ngx_http_ims_member_sha256_hex(p, h->value.data, h->value.len) - p;

    return NGX_OK;
}


/* the first three parameters of every statement: token hash, project, admin */

void
ngx_http_ims_member_identity_params(ngx_http_ims_member_ctx_t *ctx,
    ngx_str_t *params)
{
    if (ctx->identity.token_sha256.len) {
        params[0] = ctx->identity.token_sha256;
        return;
    }

    params[1] = ctx->identity.project;

    if (ctx->identity.admin) {
        ngx_str_set(&params[2], "t");

    } else {
        ngx_str_set(&params[2], "f");
    }
}


ngx_int_t
ngx_http_ims_member_query(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t stmt, ngx_str_t *params,
    ngx_uint_t nparams, ngx_http_ims_member_pg_handler_pt handler)
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

    op->stmt = stmt;
    op->nparams = nparams;
    op->params = params;
    op->pool = r->pool;
    op->log = r->connection->log;
    op->handler = handler;
    op->data = r;
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
 * The start of every query's handler.  It finalizes the request itself when
 * the database failed, when the answer is not one row of "ncols" columns
 * (sql/ims.sql not loaded, say), when the first column says the caller is
 * unknown ("unauthorized"), or when the request was found wrong before the
 * database was asked (which then only checked the identity).  NGX_OK: *row
 * is the row; NGX_DONE: the request is finalized.
 */

ngx_int_t
ngx_http_ims_member_query_row(ngx_http_ims_member_pg_op_t *op,
    ngx_uint_t ncols, ngx_str_t **row)
{
    ngx_str_t                  *v;
    ngx_uint_t                  err;
    ngx_http_request_t         *r;
    ngx_http_ims_member_ctx_t  *ctx;

    r = op->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);
    ctx->op = NULL;

    err = ngx_http_ims_member_query_error(op);

    if (err == NGX_HTTP_IMS_MEMBER_OK
        && (op->nrows != 1 || op->ncols != ncols
            || op->values[0].data == NULL))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: statement %ui returned %ui rows of %ui "
                      "columns; is sql/ims.sql of this version loaded?",
                      op->stmt, op->nrows, op->ncols);
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        v = op->values;

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
        return NGX_DONE;
    }

    *row = op->values;

    return NGX_OK;
}


/* the result column says "word" */

ngx_int_t
ngx_http_ims_member_result_is(ngx_str_t *result, char *word)
{
    size_t  len;

    len = ngx_strlen(word);

    return result->len == len && ngx_strncmp(result->data, word, len) == 0;
}


ngx_uint_t
ngx_http_ims_member_query_error(ngx_http_ims_member_pg_op_t *op)
{
    switch (op->rc) {

    case NGX_OK:
        return NGX_HTTP_IMS_MEMBER_OK;

    case NGX_DECLINED:
        return NGX_HTTP_IMS_MEMBER_ERR_UNAVAILABLE;

    default:
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }
}


ngx_int_t
ngx_http_ims_member_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_ims_member_json_type;
    r->headers_out.content_type_len = ngx_http_ims_member_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = body->len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


void
ngx_http_ims_member_finalize(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    ngx_http_finalize_request(r, ngx_http_ims_member_send(r, status, body));
}


void
ngx_http_ims_member_finalize_error(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_http_finalize_request(r, ngx_http_ims_member_send_error(r, err));
}


ngx_int_t
ngx_http_ims_member_send_error(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_str_t                     body;
    ngx_uint_t                    level;
    ngx_http_ims_member_error_t  *e;

    if (err == NGX_HTTP_IMS_MEMBER_OK
        || err >= sizeof(ngx_http_ims_member_errors)
                  / sizeof(ngx_http_ims_member_error_t))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: unknown error cause %ui", err);
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    e = &ngx_http_ims_member_errors[err];

    /* the client's own mistakes are answered, and logged only for debug */

    level = (e->status >= NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_ERR
                                                          : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0,
                  "ims_member: answered %ui %V", e->status, &e->code);

    if (ngx_http_ims_member_json_error(r->pool, &e->code, &e->message, &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_ims_member_send(r, e->status, &body);
}


/* the message of an IMG code, for a job's "fail_reason" */

ngx_int_t
ngx_http_ims_member_error_message(ngx_str_t *code, ngx_str_t *message)
{
    ngx_uint_t  i;

    for (i = 1;
         i < sizeof(ngx_http_ims_member_errors)
             / sizeof(ngx_http_ims_member_error_t);
         i++)
    {
        if (ngx_http_ims_member_errors[i].code.len == code->len
            && ngx_strncmp(ngx_http_ims_member_errors[i].code.data,
                           code->data, code->len)
               == 0)
        {
            *message = ngx_http_ims_member_errors[i].message;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_table_elt_t *
ngx_http_ims_member_header_in(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_ims_member_header_out(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *name;
    h->value = *value;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_member_request_id(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    u_char                           *p, *last;
    ngx_table_elt_t                  *h;
    ngx_http_ims_member_main_conf_t  *imcf;

    h = ngx_http_ims_member_header_in(r,
                                      &ngx_http_ims_member_request_id_header);

    /* echo the caller's id if it is safe to put in a header and a log */

    if (h && h->value.len && h->value.len <= NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX)
    {
        last = h->value.data + h->value.len;

        for (p = h->value.data; p < last; p++) {
            if (*p <= 0x20 || *p >= 0x7f || *p == '"') {
                break;
            }
        }

        if (p == last) {
            ctx->request_id = h->value;
        }
    }

    if (ctx->request_id.len == 0) {
        p = ngx_pnalloc(r->pool, sizeof("req-") - 1
                                 + NGX_HTTP_IMS_MEMBER_UUID_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->request_id.data = p;
        p = ngx_cpymem(p, "req-", sizeof("req-") - 1);
        ctx->request_id.len = ngx_http_ims_member_uuid(p)
                              - ctx->request_id.data;
    }

    if (ngx_http_ims_member_header_out(r,
                                       &ngx_http_ims_member_request_id_header,
                                       &ctx->request_id)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the request's error log lines carry the id, as Glance's do */

    if (r->log_handler != ngx_http_ims_member_log_error) {
        imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);
        imcf->log_handler = r->log_handler;
        r->log_handler = ngx_http_ims_member_log_error;
    }

    return NGX_OK;
}


static u_char *
ngx_http_ims_member_log_error(ngx_http_request_t *r, ngx_http_request_t *sr,
    u_char *buf, size_t len)
{
    u_char                           *p;
    ngx_http_ims_member_ctx_t        *ctx;
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    p = imcf->log_handler(r, sr, buf, len);

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (ctx && ctx->request_id.len) {
        len -= p - buf;
        p = ngx_snprintf(p, len, ", request_id: \"%V\"", &ctx->request_id);
    }

    return p;
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

    ctx->body_handler(r, ctx);
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

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    return NGX_OK;
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
        /* the HTTP/2 layer terminates the request when its stream goes */
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
