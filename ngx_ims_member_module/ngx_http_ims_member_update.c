
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
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


/* PUT /v2/images/{image_id}/members/{member_id} */

typedef struct {
    ngx_str_t                   image_id;
    ngx_str_t                   member_id;
    ngx_str_t                   status;
    ngx_str_t                   vault_id;
} ngx_http_ims_member_update_ctx_t;


static ngx_uint_t ngx_http_ims_member_update_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_update_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
static void ngx_http_ims_member_update_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_update = {
    NGX_HTTP_PUT,
    ngx_string("PUT"),
    1,
    sizeof(ngx_http_ims_member_update_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_UPDATE,
    NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS,
    4,
    0,
    ngx_http_ims_member_update_parse,
    ngx_http_ims_member_update_params,
    ngx_http_ims_member_update_answer
};

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
    return ngx_http_ims_member_handle(r, &ngx_http_ims_member_update);
}


/*
 * What nginx can tell without the database, in the contract's order after
 * identity: the URL, then the body, then ids the database cannot hold.
 */

static ngx_uint_t
ngx_http_ims_member_update_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t                          rc;
    ngx_str_t                          parts[5], *s;
    ngx_http_ims_member_json_t        *doc;
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;

    /* /v2/images/{image_id}/members/{member_id} */

    if (ngx_http_ims_member_split_path(&r->uri, parts, 5) != NGX_OK
        || parts[0].len != 2 || ngx_strncmp(parts[0].data, "v2", 2) != 0
        || parts[1].len != 6 || ngx_strncmp(parts[1].data, "images", 6) != 0
        || parts[3].len != 7 || ngx_strncmp(parts[3].data, "members", 7) != 0)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND;
    }

    uc->image_id = parts[2];
    uc->member_id = parts[4];

    rc = ngx_http_ims_member_json_parse(r->pool, ctx->body.data,
                                        ctx->body.len, &doc);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY;
    }

    if (ngx_http_ims_member_json_string(doc, "status", &uc->status)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_STATUS;
    }

    for (s = ngx_http_ims_member_statuses; s->len; s++) {
        if (s->len == uc->status.len
            && ngx_strncmp(s->data, uc->status.data, s->len) == 0)
        {
            break;
        }
    }

    if (s->len == 0) {
        return NGX_HTTP_IMS_MEMBER_ERR_STATUS;
    }

    rc = ngx_http_ims_member_json_string(doc, "vault_id", &uc->vault_id);

    if (rc == NGX_ABORT || (rc == NGX_OK && uc->vault_id.len == 0)) {
        return NGX_HTTP_IMS_MEMBER_ERR_VAULT;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&uc->vault_id);
    }

    /* such ids name no row: the same answer the database would give */

    if (ngx_http_ims_member_valid_id(&uc->image_id,
                                     NGX_HTTP_IMS_MEMBER_IMAGE_ID_MAX)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_IMAGE;
    }

    if (ngx_http_ims_member_valid_id(&uc->member_id,
                                     NGX_HTTP_IMS_MEMBER_MEMBER_ID_MAX)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_MEMBER;
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static ngx_int_t
ngx_http_ims_member_update_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;

    params[3] = uc->image_id;
    params[4] = uc->member_id;
    params[5] = uc->status;
    params[6] = uc->vault_id;

    return NGX_OK;
}


static void
ngx_http_ims_member_update_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t                          body, kv[12];
    ngx_http_ims_member_result_t      *res;
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;

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

    /* the member as Glance shows it */

    ngx_str_set(&kv[0], "status");
    kv[1] = row[1];
    ngx_str_set(&kv[2], "created_at");
    kv[3] = row[2];
    ngx_str_set(&kv[4], "updated_at");
    kv[5] = row[3];
    ngx_str_set(&kv[6], "image_id");
    kv[7] = uc->image_id;
    ngx_str_set(&kv[8], "member_id");
    kv[9] = uc->member_id;
    ngx_str_set(&kv[10], "schema");
    ngx_str_set(&kv[11], "/v2/schemas/member");

    if (ngx_http_ims_member_json_object(r->pool, kv, 6, &body) != NGX_OK) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}
