
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_glance_page.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_send.h"
#include "ngx_http_ims_member_share.h"


/*
 * "ims_member_errors glance": the answers of Glance's own endpoints as
 * glance-api 25.1 gives them, each cause with Glance's status and words
 * (the cause table, ngx_http_ims_member_cause.c), in the format the
 * request's Accept headers ask for.
 */


static ngx_int_t ngx_http_ims_member_glance_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *explanation, ngx_str_t *tail);
static ngx_int_t ngx_http_ims_member_glance_accept(ngx_http_request_t *r,
    ngx_str_t *accept);


/* webob's titles of the statuses Glance answers with */

static ngx_str_t  ngx_http_ims_member_glance_titles[] = {
    ngx_string("Bad Request"),                  /* 400 */
    ngx_string("Unauthorized"),                 /* 401 */
    ngx_null_string,
    ngx_string("Forbidden"),                    /* 403 */
    ngx_string("Not Found"),                    /* 404 */
    ngx_string("Method Not Allowed"),           /* 405 */
    ngx_null_string,
    ngx_null_string,
    ngx_null_string,
    ngx_string("Conflict"),                     /* 409 */
    ngx_null_string,
    ngx_null_string,
    ngx_null_string,
    ngx_string("Request Entity Too Large"),     /* 413 */
};

static ngx_str_t  ngx_http_ims_member_glance_title_500 =
    ngx_string("Internal Server Error");


/* ims_member_errors ims | glance */

char *
ngx_http_ims_member_errors(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    ngx_str_t  *value;

    if (imlcf->errors != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "ims", 3) == 0) {
        imlcf->errors = NGX_HTTP_IMS_MEMBER_ERRORS_IMS;
        return NGX_CONF_OK;
    }

    if (value[1].len == 6 && ngx_strncmp(value[1].data, "glance", 6) == 0) {
        imlcf->errors = NGX_HTTP_IMS_MEMBER_ERRORS_GLANCE;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\": \"ims\" (JSON IMG.xxxx errors) "
                       "or \"glance\" (Glance's own answers)", &value[1]);

    return NGX_CONF_ERROR;
}


/*
 * Whether a method the endpoint does not serve gets Glance's own 405, which
 * Glance gives only once it knows the caller: not when error_page takes it
 */

ngx_uint_t
ngx_http_ims_member_glance_not_allowed(ngx_http_request_t *r,
    ngx_http_ims_member_endpoint_t *endpoint)
{
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    return endpoint->glance
           && imlcf->errors == NGX_HTTP_IMS_MEMBER_ERRORS_GLANCE
           && !ngx_http_ims_member_error_page(r, NGX_HTTP_NOT_ALLOWED);
}


/* Glance's words for a cause, with the URL's ids where it names them */

ngx_int_t
ngx_http_ims_member_glance_send_error(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t err)
{
    u_char                          *p;
    size_t                           len;
    ngx_str_t                        explanation;
    ngx_uint_t                       level;
    ngx_http_ims_member_cause_t     *g;

    g = ngx_http_ims_member_cause(err);

    /* the IMG code names the cause in the log, whatever Glance says */

    level = (g->glance_status >= NGX_HTTP_INTERNAL_SERVER_ERROR)
            ? NGX_LOG_ERR : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0,
                  "ims_member: answered %ui as Glance does (%V)",
                  g->glance_status, &g->code->code);

    if (g->glance.len == 0) {
        return ngx_http_ims_member_glance_send(r, g->glance_status,
                                               &g->code->message, NULL);
    }

    len = g->glance.len + ctx->image_id.len + ctx->member_id.len
          + 2 * NGX_INT_T_LEN;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    explanation.data = p;

    switch (g->glance_args) {

    case NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE:
        p = ngx_snprintf(p, len, (char *) g->glance.data,
                         &ctx->image_id);
        break;

    case NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER:
        p = ngx_snprintf(p, len, (char *) g->glance.data,
                         &ctx->member_id, &ctx->image_id);
        break;

    case NGX_HTTP_IMS_MEMBER_GLANCE_QUOTA:
        p = ngx_snprintf(p, len, (char *) g->glance.data,
                         &ctx->image_id, ctx->attempted,
                         (ngx_uint_t) ngx_http_ims_member_quota_glance(r));
        break;

    default: /* NGX_HTTP_IMS_MEMBER_GLANCE_NONE */
        p = ngx_cpymem(p, g->glance.data, g->glance.len);
    }

    explanation.len = p - explanation.data;

    return ngx_http_ims_member_glance_send(r, g->glance_status, &explanation,
                                           NULL);
}


/* Glance's 405 page (webob's HTTPMethodNotAllowed) */

ngx_int_t
ngx_http_ims_member_glance_send_not_allowed(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    u_char     *p;
    ngx_str_t   explanation, tail;

    static ngx_str_t  name = ngx_string("Allow");

    /*
     * Glance parses a body before it refuses the method: one with a length,
     * or chunked on a method that may have a body
     */

    if (r->headers_in.content_length_n > 0
        || (r->headers_in.chunked
            && (r->method & (NGX_HTTP_POST|NGX_HTTP_PATCH))))
    {
        switch (ngx_http_ims_member_json_kind(ctx->body.data, ctx->body.len))
        {
        case NGX_HTTP_IMS_MEMBER_JSON_MALFORMED:
            return ngx_http_ims_member_glance_send_error(r, ctx,
                                              NGX_HTTP_IMS_MEMBER_ERR_BODY);

        case NGX_HTTP_IMS_MEMBER_JSON_SCALAR:
            return ngx_http_ims_member_glance_send_error(r, ctx,
                                         NGX_HTTP_IMS_MEMBER_ERR_BODY_TYPE);

        default:
            break;
        }
    }

    if (ngx_http_ims_member_header_out(r, &name, &ctx->endpoint->allow)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("The method  is not allowed for this"
                                    " resource. ") - 1
                             + r->method_name.len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    explanation.data = p;
    explanation.len = ngx_sprintf(p, "The method %V is not allowed for this"
                                  " resource. ", &r->method_name)
                      - p;

    ngx_str_set(&tail, "<br /><br />\n");

    /* webob's reason phrase, not nginx's "Not Allowed" */
    ngx_str_set(&r->headers_out.status_line, "405 Method Not Allowed");

    return ngx_http_ims_member_glance_send(r, NGX_HTTP_NOT_ALLOWED,
                                           &explanation, &tail);
}


/* whether this request's errors are Glance's */

ngx_uint_t
ngx_http_ims_member_glance_errors(ngx_http_request_t *r)
{
    ngx_http_ims_member_ctx_t       *ctx;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    if (imlcf->errors != NGX_HTTP_IMS_MEMBER_ERRORS_GLANCE) {
        return 0;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    /* the schemas and the versions have no endpoint: no Glance errors */

    return (ctx && ctx->endpoint && ctx->endpoint->glance) ? 1 : 0;
}


/* Glance's error page in the format the Accept headers ask for */

static ngx_int_t
ngx_http_ims_member_glance_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *explanation, ngx_str_t *tail)
{
    ngx_str_t                           body, *type;
    ngx_http_ims_member_glance_page_t   page;

    if (ngx_http_ims_member_glance_accept(r, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    page.format = ngx_http_ims_member_glance_format(body.data,
                                                    body.data + body.len);
    page.status = status;
    page.explanation = *explanation;

    if (tail) {
        page.tail = *tail;

    } else {
        ngx_str_null(&page.tail);
    }

    if (status == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        page.title = ngx_http_ims_member_glance_title_500;

    } else if (status >= NGX_HTTP_BAD_REQUEST
               && status <= NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
    {
        page.title = ngx_http_ims_member_glance_titles[status
                                                  - NGX_HTTP_BAD_REQUEST];

    } else {
        page.title.len = 0;
    }

    if (page.title.len == 0
        || ngx_http_ims_member_glance_page(r->pool, &page, &body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    type = ngx_http_ims_member_glance_type(page.format);

    return ngx_http_ims_member_send_typed(r, status, type, &body, 1);
}


/* the Accept headers, joined with commas as Glance's server joins them */

static ngx_int_t
ngx_http_ims_member_glance_accept(ngx_http_request_t *r, ngx_str_t *accept)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        i, n, pass;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    ngx_str_null(accept);
    p = NULL;
    len = 0;
    n = 0;

    for (pass = 0; pass < 2; pass++) {
        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].key.len != sizeof("Accept") - 1
                || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                                   sizeof("Accept") - 1)
                   != 0)
            {
                continue;
            }

            if (pass == 0) {
                *accept = h[i].value;
                len += h[i].value.len + 1;
                n++;
                continue;
            }

            if (p != accept->data) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
        }

        if (n < 2) {
            return NGX_OK;
        }

        if (pass == 0) {
            p = ngx_pnalloc(r->pool, len);
            if (p == NULL) {
                return NGX_ERROR;
            }

            accept->data = p;
        }
    }

    accept->len = p - accept->data;

    return NGX_OK;
}
