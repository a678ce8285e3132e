
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_log.h"
#include "ngx_http_ims_member_metrics.h"


/*
 * What is known of a request of the module once it is answered: the
 * metrics count it in the log phase, and the access log reads it through
 * the $ims_member_* variables.
 */

#define NGX_HTTP_IMS_MEMBER_VAR_CAUSE       0
#define NGX_HTTP_IMS_MEMBER_VAR_PROJECT     1
#define NGX_HTTP_IMS_MEMBER_VAR_DB_TIME     2
#define NGX_HTTP_IMS_MEMBER_VAR_GROUP       3
#define NGX_HTTP_IMS_MEMBER_VAR_REQUEST_ID  4
#define NGX_HTTP_IMS_MEMBER_VAR_ENDPOINT    5


static ngx_int_t ngx_http_ims_member_log_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_ims_member_log_endpoint(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_log_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_ims_member_log_vars[] = {

    { ngx_string("ims_member_cause"), NULL,
      ngx_http_ims_member_log_variable, NGX_HTTP_IMS_MEMBER_VAR_CAUSE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_member_project"), NULL,
      ngx_http_ims_member_log_variable, NGX_HTTP_IMS_MEMBER_VAR_PROJECT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_member_db_time"), NULL,
      ngx_http_ims_member_log_variable, NGX_HTTP_IMS_MEMBER_VAR_DB_TIME,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_member_group_size"), NULL,
      ngx_http_ims_member_log_variable, NGX_HTTP_IMS_MEMBER_VAR_GROUP,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_member_request_id"), NULL,
      ngx_http_ims_member_log_variable, NGX_HTTP_IMS_MEMBER_VAR_REQUEST_ID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ims_member_endpoint"), NULL,
      ngx_http_ims_member_log_variable, NGX_HTTP_IMS_MEMBER_VAR_ENDPOINT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_ims_member_log_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_ims_member_log_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_ims_member_log_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_ims_member_log_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_member_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t                        status;
    ngx_http_ims_member_ctx_t        *ctx;
    ngx_http_ims_member_main_conf_t  *imcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    /* not the module's, or an answer without a statement (schemas) */

    if (ctx == NULL || ctx->endpoint == NULL || r != r->main) {
        return NGX_OK;
    }

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    if (imcf->metrics == NULL) {
        return NGX_OK;
    }

    /* what $status says */

    status = r->err_status ? r->err_status : r->headers_out.status;

    ngx_http_ims_member_metrics_answer(imcf->metrics,
                                 ngx_http_ims_member_log_endpoint(r, ctx),
                                 status, ctx->cause,
                                 ngx_http_ims_member_metrics_now()
                                 - ctx->start);

    if (ctx->endpoint->id >= NGX_HTTP_IMS_MEMBER_EP_BATCH_UPDATE
        && ctx->endpoint->id <= NGX_HTTP_IMS_MEMBER_EP_BATCH_REMOVE
        && status == NGX_HTTP_OK && ctx->cause == NGX_HTTP_IMS_MEMBER_OK)
    {
        ngx_http_ims_member_metrics_add(imcf->metrics,
                                        NGX_HTTP_IMS_MEMBER_M_JOBS_SUBMITTED,
                                        1);
    }

    return NGX_OK;
}


/* POST and DELETE of the batch share an endpoint, not a meaning */

static ngx_uint_t
ngx_http_ims_member_log_endpoint(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    if (ctx->endpoint->id == NGX_HTTP_IMS_MEMBER_EP_BATCH_ADD
        && r->method == NGX_HTTP_DELETE)
    {
        return NGX_HTTP_IMS_MEMBER_EP_BATCH_REMOVE;
    }

    return ctx->endpoint->id;
}


static ngx_int_t
ngx_http_ims_member_log_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                       *p;
    ngx_str_t                     s;
    ngx_uint_t                    ep;
    ngx_http_ims_member_ctx_t    *ctx;
    ngx_http_ims_member_cause_t  *c;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_ims_member_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_str_null(&s);

    switch (data) {

    case NGX_HTTP_IMS_MEMBER_VAR_CAUSE:
        if (ctx->cause != NGX_HTTP_IMS_MEMBER_OK
            && ctx->cause < NGX_HTTP_IMS_MEMBER_ERR_LAST)
        {
            c = ngx_http_ims_member_cause(ctx->cause);
            s = c->code->code;
        }

        break;

    case NGX_HTTP_IMS_MEMBER_VAR_PROJECT:
        s = ctx->identity.project;
        break;

    case NGX_HTTP_IMS_MEMBER_VAR_DB_TIME:
        if (ctx->group == 0) {
            break;
        }

        p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 8);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%uL.%06uL", ctx->db_time / 1000000,
                            ctx->db_time % 1000000)
                - p;
        break;

    case NGX_HTTP_IMS_MEMBER_VAR_GROUP:
        if (ctx->group == 0) {
            break;
        }

        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%ui", ctx->group) - p;
        break;

    case NGX_HTTP_IMS_MEMBER_VAR_REQUEST_ID:
        s = ctx->request_id;
        break;

    default: /* NGX_HTTP_IMS_MEMBER_VAR_ENDPOINT */
        if (ctx->endpoint) {
            ep = ngx_http_ims_member_log_endpoint(r->main, ctx);
            s = ngx_http_ims_member_metrics_endpoints[ep];
        }
    }

    if (s.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s.data;

    return NGX_OK;
}
