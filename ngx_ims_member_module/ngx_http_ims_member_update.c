
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"
#include "ngx_http_ims_member_update.h"


/* Glance's column sizes: images.id, image_members.member */
#define NGX_HTTP_IMS_MEMBER_IMAGE_ID_MAX   36
#define NGX_HTTP_IMS_MEMBER_MEMBER_ID_MAX  255


typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  err;
} ngx_http_ims_member_result_t;


static void ngx_http_ims_member_update_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_update_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static void ngx_http_ims_member_update_done(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_update_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_str_t  ngx_http_ims_member_put = ngx_string("PUT");

static ngx_str_t  ngx_http_ims_member_statuses[] = {
    ngx_string("accepted"),
    ngx_string("rejected"),
    ngx_string("pending"),
    ngx_null_string
};


/* the "result" column of ims_member_update() (sql/ims.sql) */

static ngx_http_ims_member_result_t  ngx_http_ims_member_results[] = {
    { ngx_string("ok"), NGX_HTTP_IMS_MEMBER_OK },
    { ngx_string("image_not_found"), NGX_HTTP_IMS_MEMBER_ERR_IMAGE },
    { ngx_string("not_shared"), NGX_HTTP_IMS_MEMBER_ERR_NOT_SHARED },
    { ngx_string("owner"), NGX_HTTP_IMS_MEMBER_ERR_OWNER },
    { ngx_string("member_not_found"), NGX_HTTP_IMS_MEMBER_ERR_MEMBER },
    { ngx_string("vault_required"),
      NGX_HTTP_IMS_MEMBER_ERR_VAULT_REQUIRED },
    { ngx_null_string, 0 }
};


ngx_int_t
ngx_http_ims_member_update_handler(ngx_http_request_t *r)
{
    ngx_http_ims_member_ctx_t  *ctx;

    if (!(r->method & NGX_HTTP_PUT)) {
        return ngx_http_ims_member_not_allowed(r, &ngx_http_ims_member_put);
    }

    ctx = ngx_http_ims_member_ctx_create(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_ims_member_read_body(r, ctx,
                                         ngx_http_ims_member_update_body);
}


static void
ngx_http_ims_member_update_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t   rc;
    ngx_str_t  *params;
    ngx_uint_t  err;

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

    err = ngx_http_ims_member_update_parse(r, ctx);

    if (err != NGX_HTTP_IMS_MEMBER_OK
        && ctx->identity.token_sha256.len == 0)
    {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    /*
     * One round trip: ims_member_update() checks the token and, unless
     * the request was already found wrong here, does the whole update.
     */

    ctx->error = err;

    params = ngx_pcalloc(r->pool, NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS
                                  * sizeof(ngx_str_t));
    if (params == NULL) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_identity_params(ctx, params);

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        params[3] = ctx->image_id;
        params[4] = ctx->member_id;
        params[5] = ctx->status;
        params[6] = ctx->vault_id;
    }

    if (ngx_http_ims_member_query(r, ctx, NGX_HTTP_IMS_MEMBER_SQL_UPDATE,
                                  params,
                                  NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS,
                                  ngx_http_ims_member_update_done)
        != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
    }
}


/*
 * What nginx can tell without the database, in the contract's order after
 * identity: the URL, then the body, then ids the database cannot hold.
 */

static ngx_uint_t
ngx_http_ims_member_update_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t                    rc;
    ngx_str_t                    parts[5], *s;
    ngx_http_ims_member_json_t  *doc;

    /* /v2/images/{image_id}/members/{member_id} */

    if (ngx_http_ims_member_split_path(&r->uri, parts, 5) != NGX_OK
        || parts[0].len != 2 || ngx_strncmp(parts[0].data, "v2", 2) != 0
        || parts[1].len != 6 || ngx_strncmp(parts[1].data, "images", 6) != 0
        || parts[3].len != 7 || ngx_strncmp(parts[3].data, "members", 7) != 0)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND;
    }

    ctx->image_id = parts[2];
    ctx->member_id = parts[4];

    rc = ngx_http_ims_member_json_parse(r->pool, ctx->body.data,
                                        ctx->body.len, &doc);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY;
    }

    if (ngx_http_ims_member_json_string(doc, "status", &ctx->status)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_STATUS;
    }

    for (s = ngx_http_ims_member_statuses; s->len; s++) {
        if (s->len == ctx->status.len
            && ngx_strncmp(s->data, ctx->status.data, s->len) == 0)
        {
            break;
        }
    }

    if (s->len == 0) {
        return NGX_HTTP_IMS_MEMBER_ERR_STATUS;
    }

    rc = ngx_http_ims_member_json_string(doc, "vault_id", &ctx->vault_id);

    if (rc == NGX_ABORT || (rc == NGX_OK && ctx->vault_id.len == 0)) {
        return NGX_HTTP_IMS_MEMBER_ERR_VAULT;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&ctx->vault_id);
    }

    /* such ids name no row: the same answer the database would give */

    if (ngx_http_ims_member_valid_id(&ctx->image_id,
                                     NGX_HTTP_IMS_MEMBER_IMAGE_ID_MAX)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_IMAGE;
    }

    if (ngx_http_ims_member_valid_id(&ctx->member_id,
                                     NGX_HTTP_IMS_MEMBER_MEMBER_ID_MAX)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_MEMBER;
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static void
ngx_http_ims_member_update_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_str_t                     *row;
    ngx_http_request_t            *r;
    ngx_http_ims_member_ctx_t     *ctx;
    ngx_http_ims_member_result_t  *res;

    if (ngx_http_ims_member_query_row(op, 4, &row) != NGX_OK) {
        return;
    }

    r = op->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    for (res = ngx_http_ims_member_results; res->name.len; res++) {
        if (res->name.len == row[0].len
            && ngx_strncmp(res->name.data, row[0].data, row[0].len) == 0)
        {
            break;
        }
    }

    if (res->name.len == 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: ims_member_update() returned unknown "
                      "result \"%V\"", &row[0]);
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    if (res->err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, res->err);
        return;
    }

    ngx_http_ims_member_update_answer(r, ctx, row);
}


static void
ngx_http_ims_member_update_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t  body, kv[12];

    /* the member as Glance shows it */

    ngx_str_set(&kv[0], "status");
    kv[1] = row[1];
    ngx_str_set(&kv[2], "created_at");
    kv[3] = row[2];
    ngx_str_set(&kv[4], "updated_at");
    kv[5] = row[3];
    ngx_str_set(&kv[6], "image_id");
    kv[7] = ctx->image_id;
    ngx_str_set(&kv[8], "member_id");
    kv[9] = ctx->member_id;
    ngx_str_set(&kv[10], "schema");
    ngx_str_set(&kv[11], "/v2/schemas/member");

    if (ngx_http_ims_member_json_object(r->pool, kv, 6, &body) != NGX_OK) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}
