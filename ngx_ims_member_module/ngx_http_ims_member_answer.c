
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_util.h"


/*
 * What the module answers for a cause of the cause table
 * (ngx_http_ims_member_cause.c): IMS's JSON error, or with
 * "ims_member_errors glance" Glance's answer (ngx_http_ims_member_glance.c);
 * the request id of every answer and of the request's error log lines.
 */

static u_char *ngx_http_ims_member_log_error(ngx_http_request_t *r,
    ngx_http_request_t *sr, u_char *buf, size_t len);


static ngx_str_t  ngx_http_ims_member_request_id_header =
    ngx_string("X-Openstack-Request-Id");


ngx_int_t
ngx_http_ims_member_answer_init(ngx_http_request_t *r, ngx_str_t *request_id)
{
    u_char                           *p;
    ngx_table_elt_t                  *h;
    ngx_http_ims_member_main_conf_t  *imcf;

    h = ngx_http_ims_member_header_in(r,
                                      &ngx_http_ims_member_request_id_header);

    /* echo the caller's id if it is safe to put in a header and a log */

    if (h && ngx_http_ims_member_valid_request_id(&h->value) == NGX_OK) {
        *request_id = h->value;
    }

    if (request_id->len == 0) {
        p = ngx_pnalloc(r->pool, sizeof("req-") - 1
                                 + NGX_HTTP_IMS_MEMBER_UUID_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        request_id->data = p;
        p = ngx_cpymem(p, "req-", sizeof("req-") - 1);
        request_id->len = ngx_http_ims_member_uuid(p) - request_id->data;
    }

    if (ngx_http_ims_member_header_out(r,
                                       &ngx_http_ims_member_request_id_header,
                                       request_id)
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


ngx_int_t
ngx_http_ims_member_not_allowed(ngx_http_request_t *r, ngx_str_t *allow)
{
    static ngx_str_t  name = ngx_string("Allow");

    /*
     * nginx's own 405, so that error_page can hand the request to a Glance
     * behind nginx; that answer must not carry our Allow header
     */

    if (ngx_http_ims_member_error_page(r, NGX_HTTP_NOT_ALLOWED)) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_ims_member_header_out(r, &name, allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_NOT_ALLOWED;
}


ngx_int_t
ngx_http_ims_member_send_error(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_str_t                     body;
    ngx_uint_t                    level;
    ngx_http_ims_member_ctx_t    *ctx;
    ngx_http_ims_member_cause_t  *c;

    if (err == NGX_HTTP_IMS_MEMBER_OK
        || err >= NGX_HTTP_IMS_MEMBER_ERR_LAST)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: unknown error cause %ui", err);
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);
    ctx->cause = err;

    if (ngx_http_ims_member_glance_errors(r)) {
        if (err == NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED) {
            return ngx_http_ims_member_glance_send_not_allowed(r, ctx);
        }

        return ngx_http_ims_member_glance_send_error(r, ctx, err);
    }

    if (err == NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED) {
        return ngx_http_ims_member_not_allowed(r, &ctx->endpoint->allow);
    }

    c = ngx_http_ims_member_cause(err);

    /* the client's own mistakes are answered, and logged only for debug */

    level = (c->status >= NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_ERR
                                                          : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0,
                  "ims_member: answered %ui %V", c->status, &c->code->code);

    if (ngx_http_ims_member_json_error(r->pool, &c->code->code,
                                       &c->code->message, &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_ims_member_send(r, c->status, &body);
}


void
ngx_http_ims_member_finalize_error(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_http_finalize_request(r, ngx_http_ims_member_send_error(r, err));
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
