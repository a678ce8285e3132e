
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
#include "ngx_http_ims_member_object.h"
#include "ngx_http_ims_member_results.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"
#include "ngx_http_ims_member_update.h"


/* PUT /v2/images/{image_id}/members/{member_id} */

typedef struct {
    ngx_str_t                   member;         /* as the database sees it */
    ngx_str_t                   status;
    ngx_str_t                   vault_id;
    ngx_uint_t                  glance;         /* unsigned  glance:1 */
    ngx_uint_t                  policy;
} ngx_http_ims_member_update_ctx_t;


/*
 * The rules of an update: the legacy ones; Glance's new default policies
 * for a caller whose roles allow an update (the statement's own rules
 * then differ only in what it tells the owner); and for callers they
 * refuse, the statement asked without a status, which changes nothing,
 * only to learn where Glance refuses: after the image's checks, at
 * get_image ("hide": no project scope, no reader role) or, the member
 * looked up, at modify_member ("refuse": no member role).
 */

#define NGX_HTTP_IMS_MEMBER_UPDATE_LEGACY  0
#define NGX_HTTP_IMS_MEMBER_UPDATE_NEW     1
#define NGX_HTTP_IMS_MEMBER_UPDATE_HIDE    2
#define NGX_HTTP_IMS_MEMBER_UPDATE_REFUSE  3


static ngx_uint_t ngx_http_ims_member_update_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_update_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_update_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
static ngx_uint_t ngx_http_ims_member_update_policy(
    ngx_http_ims_member_identity_t *identity);
static ngx_uint_t ngx_http_ims_member_update_refusal(ngx_uint_t policy,
    ngx_uint_t err, ngx_str_t *result);
static void ngx_http_ims_member_update_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_update = {
    NGX_HTTP_IMS_MEMBER_EP_UPDATE,
    NGX_HTTP_PUT,
    ngx_string("PUT"),
    1,
    sizeof(ngx_http_ims_member_update_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_UPDATE,
    NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS,
    4,
    0,
    1,
    ngx_http_ims_member_update_parse,
    ngx_http_ims_member_update_params,
    ngx_http_ims_member_update_answer
};

/* the same, as one method of ims_member_api's member URL */

static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_update_api = {
    NGX_HTTP_IMS_MEMBER_EP_UPDATE,
    NGX_HTTP_PUT,
    ngx_string("GET, PUT, DELETE"),
    1,
    sizeof(ngx_http_ims_member_update_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_UPDATE,
    NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS,
    4,
    0,
    1,
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


ngx_int_t
ngx_http_ims_member_update_handler(ngx_http_request_t *r)
{
    return ngx_http_ims_member_handle(r, &ngx_http_ims_member_update);
}


ngx_int_t
ngx_http_ims_member_update_api_handler(ngx_http_request_t *r)
{
    return ngx_http_ims_member_handle(r, &ngx_http_ims_member_update_api);
}


/*
 * What nginx can tell without the database, in the contract's order after
 * identity: the URL, then the body, then ids the database cannot hold.
 * With Glance's errors, Glance's order: a status value outside the three
 * and a member id that names no member are found wrong only after the
 * image checks, by the database.
 */

static ngx_uint_t
ngx_http_ims_member_update_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_uint_t                         err;
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;
    uc->glance = ngx_http_ims_member_glance_errors(r);

    err = ngx_http_ims_member_member_url(r, ctx, 5);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    uc->member = ctx->member_id;

    err = ngx_http_ims_member_update_body(r, ctx);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    return ngx_http_ims_member_member_ids(ctx, uc->glance, &uc->member);
}


/* in Glance's order: no body, not JSON, not an object, no status */

static ngx_uint_t
ngx_http_ims_member_update_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t                          rc;
    ngx_str_t                         *s;
    ngx_uint_t                         err;
    ngx_http_ims_member_json_t        *doc;
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;

    err = ngx_http_ims_member_body_object(r, ctx,
                                          NGX_HTTP_IMS_MEMBER_ERR_BODY_LIST,
                                          &doc);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    rc = ngx_http_ims_member_json_string(doc, "status", &uc->status);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_STATUS;
    }

    for (s = ngx_http_ims_member_statuses; rc == NGX_OK && s->len; s++) {
        if (s->len == uc->status.len
            && ngx_strncmp(s->data, uc->status.data, s->len) == 0)
        {
            break;
        }
    }

    if (rc != NGX_OK || s->len == 0) {
        if (!uc->glance) {
            return NGX_HTTP_IMS_MEMBER_ERR_STATUS_VALUE;
        }

        /* refused by the database once it has found the member */
        ngx_str_set(&uc->status, "");
    }

    rc = ngx_http_ims_member_json_string(doc, "vault_id", &uc->vault_id);

    if (rc == NGX_ABORT || (rc == NGX_OK && uc->vault_id.len == 0)) {

        /* Glance reads "status" alone: no other field makes it refuse */

        if (!uc->glance) {
            return NGX_HTTP_IMS_MEMBER_ERR_VAULT;
        }

        rc = NGX_DECLINED;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&uc->vault_id);
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static ngx_int_t
ngx_http_ims_member_update_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;

    params[3] = ctx->image_id;
    params[4] = uc->member;
    params[5] = uc->status;
    params[6] = uc->vault_id;

    if (ngx_http_ims_member_policy_new(r, &ctx->identity)) {
        uc->policy = ngx_http_ims_member_update_policy(&ctx->identity);

        if (uc->policy >= NGX_HTTP_IMS_MEMBER_UPDATE_HIDE) {
            /* no status is one: the statement changes nothing */
            ngx_str_set(&params[5], "");
        }
    }

    if (uc->glance) {
        ngx_str_set(&params[7], "t");

    } else {
        ngx_str_set(&params[7], "f");
    }

    return NGX_OK;
}


/*
 * Glance's new default policies for an update (glance/policies/image.py:
 * get_image, get_member, modify_member): without a project scope every
 * rule fails; get_image and get_member want the reader role, the member
 * role is modify_member's, as the member (not the owner); an
 * administrator passes them all and the legacy rules say the same.
 */

static ngx_uint_t
ngx_http_ims_member_update_policy(ngx_http_ims_member_identity_t *identity)
{
    if (identity->project.len == 0
        || (!identity->admin
            && !(identity->roles & NGX_HTTP_IMS_MEMBER_ROLE_READER)))
    {
        return NGX_HTTP_IMS_MEMBER_UPDATE_HIDE;
    }

    if (identity->admin) {
        return NGX_HTTP_IMS_MEMBER_UPDATE_LEGACY;
    }

    if (!(identity->roles & NGX_HTTP_IMS_MEMBER_ROLE_MEMBER)) {
        return NGX_HTTP_IMS_MEMBER_UPDATE_REFUSE;
    }

    return NGX_HTTP_IMS_MEMBER_UPDATE_NEW;
}


/*
 * The statement's cause as Glance's new policies order it: the image's
 * checks first, then get_image ("hide"); the member found, modify_member
 * refuses the owner, and every caller without the member role
 */

static ngx_uint_t
ngx_http_ims_member_update_refusal(ngx_uint_t policy, ngx_uint_t err,
    ngx_str_t *result)
{
    if (policy == NGX_HTTP_IMS_MEMBER_UPDATE_LEGACY
        || err == NGX_HTTP_IMS_MEMBER_ERR_IMAGE
        || err == NGX_HTTP_IMS_MEMBER_ERR_NOT_SHARED
        || err == NGX_HTTP_IMS_MEMBER_ERR_UPDATE_PUBLIC
        || err == NGX_HTTP_IMS_MEMBER_ERR_UPDATE_COMMUNITY)
    {
        return err;
    }

    if (policy == NGX_HTTP_IMS_MEMBER_UPDATE_HIDE) {
        return NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE;
    }

    if (err == NGX_HTTP_IMS_MEMBER_ERR_OWNER) {
        return (result->len == sizeof("owner") - 1)
               ? NGX_HTTP_IMS_MEMBER_ERR_POLICY_OWNER
               : NGX_HTTP_IMS_MEMBER_ERR_MEMBER;
    }

    if (policy == NGX_HTTP_IMS_MEMBER_UPDATE_REFUSE
        && err != NGX_HTTP_IMS_MEMBER_ERR_MEMBER)
    {
        /* the member found: modify_member refuses before the status */
        return NGX_HTTP_IMS_MEMBER_ERR_POLICY_MODIFY;
    }

    return err;
}


static void
ngx_http_ims_member_update_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t                          body;
    ngx_uint_t                         err;
    ngx_http_ims_member_update_ctx_t  *uc;

    uc = ctx->data;

    err = ngx_http_ims_member_cause_of(NGX_HTTP_IMS_MEMBER_CALL_UPDATE,
                                       &row[0]);

    /* an "ok" without a row: the rules said yes and no at once */

    if (err == NGX_HTTP_IMS_MEMBER_ERR_LAST
        || (err == NGX_HTTP_IMS_MEMBER_OK
            && (row[1].data == NULL || row[2].data == NULL
                || row[3].data == NULL)))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: the member update returned result "
                      "\"%V\" without its row; is sql/ims.sql of this "
                      "version loaded?", &row[0]);
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    err = ngx_http_ims_member_update_refusal(uc->policy, err, &row[0]);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    if (ngx_http_ims_member_object(r->pool, uc->glance, &ctx->image_id,
                                   &ctx->member_id, &row[1], &body)
        != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}
