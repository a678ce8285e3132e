
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_batch.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"


#define NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX  255


static void ngx_http_ims_member_batch_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_batch_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static void ngx_http_ims_member_batch_done(ngx_http_ims_member_pg_op_t *op);


static ngx_str_t  ngx_http_ims_member_batch_put = ngx_string("PUT");


ngx_int_t
ngx_http_ims_member_batch_handler(ngx_http_request_t *r)
{
    ngx_http_ims_member_ctx_t  *ctx;

    if (!(r->method & NGX_HTTP_PUT)) {
        return ngx_http_ims_member_not_allowed(r,
                                               &ngx_http_ims_member_batch_put);
    }

    ctx = ngx_http_ims_member_ctx_create(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_ims_member_read_body(r, ctx,
                                         ngx_http_ims_member_batch_body);
}


static void
ngx_http_ims_member_batch_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    u_char      *p;
    ngx_int_t    rc;
    ngx_str_t   *params;
    ngx_uint_t   err;

    rc = ngx_http_ims_member_identify(r, ctx);

    if (rc == NGX_ERROR) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_ims_member_finalize_error(r,
                                       NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED);
        return;
    }

    err = ngx_http_ims_member_batch_parse(r, ctx);

    /* a trusted project is known here: the 403 rule needs no database */

    if (err == NGX_HTTP_IMS_MEMBER_OK
        && ctx->identity.token_sha256.len == 0
        && !ctx->identity.admin
        && (ctx->project_id.len != ctx->identity.project.len
            || ngx_strncmp(ctx->project_id.data, ctx->identity.project.data,
                           ctx->project_id.len)
               != 0))
    {
        err = NGX_HTTP_IMS_MEMBER_ERR_FORBIDDEN;
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK
        && ctx->identity.token_sha256.len == 0)
    {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    ctx->error = err;

    params = ngx_pcalloc(r->pool, NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT_NPARAMS
                                  * sizeof(ngx_str_t));
    p = ngx_pnalloc(r->pool, NGX_HTTP_IMS_MEMBER_JOB_ID_LEN);

    if (params == NULL || p == NULL
        || ngx_http_ims_member_job_id(p, r->connection->log) != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ctx->job_id.data = p;
    ctx->job_id.len = NGX_HTTP_IMS_MEMBER_JOB_ID_LEN;

    ngx_http_ims_member_identity_params(ctx, params);

    /* with a bad body, the token is all the database is asked about */

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        params[3] = ctx->job_id;
        params[4] = ctx->project_id;
        params[5] = ctx->status;
        params[6] = ctx->vault_id;
        params[7] = ctx->images;
    }

    if (ngx_http_ims_member_query(r, ctx, NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT,
                                  params,
                                  NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT_NPARAMS,
                                  ngx_http_ims_member_batch_done)
        != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
    }
}


static ngx_uint_t
ngx_http_ims_member_batch_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    ngx_http_ims_member_json_t       *doc;
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    rc = ngx_http_ims_member_json_parse(r->pool, ctx->body.data,
                                        ctx->body.len, &doc);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY;
    }

    rc = ngx_http_ims_member_json_strings(doc, "images", imcf->batch_max,
                                          r->pool, &ctx->images, &n);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_IMAGES;
    }

    if (rc == NGX_ABORT) {
        return NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY;
    }

    if (ngx_http_ims_member_json_string(doc, "project_id", &ctx->project_id)
        != NGX_OK
        || ngx_http_ims_member_valid_id(&ctx->project_id,
                                        NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX)
           != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_PROJECT;
    }

    if (ngx_http_ims_member_json_string(doc, "status", &ctx->status)
        != NGX_OK
        || !((ctx->status.len == sizeof("accepted") - 1
              && ngx_strncmp(ctx->status.data, "accepted",
                             ctx->status.len) == 0)
             || (ctx->status.len == sizeof("rejected") - 1
                 && ngx_strncmp(ctx->status.data, "rejected",
                                ctx->status.len) == 0)))
    {
        return NGX_HTTP_IMS_MEMBER_ERR_BATCH_STATUS;
    }

    rc = ngx_http_ims_member_json_string(doc, "vault_id", &ctx->vault_id);

    if (rc == NGX_ABORT || (rc == NGX_OK && ctx->vault_id.len == 0)) {
        return NGX_HTTP_IMS_MEMBER_ERR_VAULT;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&ctx->vault_id);
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static void
ngx_http_ims_member_batch_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_str_t                   body, kv[2], *row;
    ngx_http_request_t         *r;
    ngx_http_ims_member_ctx_t  *ctx;

    if (ngx_http_ims_member_query_row(op, 1, &row) != NGX_OK) {
        return;
    }

    r = op->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (ngx_http_ims_member_result_is(&row[0], "forbidden")) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_FORBIDDEN);
        return;
    }

    /* "ok": the job is committed, the caller may rely on it */

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "ims_member: job %V submitted", &ctx->job_id);

    ngx_str_set(&kv[0], "job_id");
    kv[1] = ctx->job_id;

    if (ngx_http_ims_member_json_object(r->pool, kv, 1, &body) != NGX_OK) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}
