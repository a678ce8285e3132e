
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_api.h"
#include "ngx_http_ims_member_auth.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_object.h"
#include "ngx_http_ims_member_results.h"
#include "ngx_http_ims_member_share.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_update.h"
#include "ngx_http_ims_member_util.h"


/*
 * ims_member_api: Glance's v2 member API on its two URLs,
 *
 *     /v2/images/{image_id}/members              GET (list), POST (create)
 *     /v2/images/{image_id}/members/{member_id}  GET (show), PUT (update),
 *                                                DELETE (remove)
 *
 * each method an endpoint of the common prologue; the update is
 * ims_member_update's own.
 */

typedef struct {
    ngx_str_t                   member;         /* as the database sees it */
    ngx_uint_t                  glance;         /* unsigned  glance:1 */
} ngx_http_ims_member_api_ctx_t;


static ngx_uint_t ngx_http_ims_member_api_path(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t n);
static ngx_uint_t ngx_http_ims_member_api_ids(ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_api_read(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_api_list_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_api_one_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_api_create_parse(
    ngx_http_request_t *r, ngx_http_ims_member_ctx_t *ctx);
static ngx_uint_t ngx_http_ims_member_api_create_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_api_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
static ngx_int_t ngx_http_ims_member_api_create_params(
    ngx_http_request_t *r, ngx_http_ims_member_ctx_t *ctx,
    ngx_str_t *params);
static ngx_uint_t ngx_http_ims_member_api_result(ngx_http_request_t *r,
    ngx_str_t *result, ngx_uint_t call);
static void ngx_http_ims_member_api_list_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);
static void ngx_http_ims_member_api_show_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);
static void ngx_http_ims_member_api_create_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);
static void ngx_http_ims_member_api_remove_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_api_list = {
    NGX_HTTP_IMS_MEMBER_EP_MEMBER_LIST,
    NGX_HTTP_GET,
    ngx_string("GET, POST"),
    0,
    sizeof(ngx_http_ims_member_api_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST,
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST_NPARAMS,
    5,
    1,
    1,
    ngx_http_ims_member_api_list_parse,
    ngx_http_ims_member_api_params,
    ngx_http_ims_member_api_list_answer
};

static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_api_create = {
    NGX_HTTP_IMS_MEMBER_EP_MEMBER_CREATE,
    NGX_HTTP_POST,
    ngx_string("GET, POST"),
    1,
    sizeof(ngx_http_ims_member_api_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE,
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE_NPARAMS,
    5,
    0,
    1,
    ngx_http_ims_member_api_create_parse,
    ngx_http_ims_member_api_create_params,
    ngx_http_ims_member_api_create_answer
};

static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_api_show = {
    NGX_HTTP_IMS_MEMBER_EP_MEMBER_SHOW,
    NGX_HTTP_GET,
    ngx_string("GET, PUT, DELETE"),
    0,
    sizeof(ngx_http_ims_member_api_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST,
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST_NPARAMS,
    5,
    1,
    1,
    ngx_http_ims_member_api_one_parse,
    ngx_http_ims_member_api_params,
    ngx_http_ims_member_api_show_answer
};

static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_api_remove = {
    NGX_HTTP_IMS_MEMBER_EP_MEMBER_DELETE,
    NGX_HTTP_DELETE,
    ngx_string("GET, PUT, DELETE"),
    0,
    sizeof(ngx_http_ims_member_api_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE,
    NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE_NPARAMS,
    1,
    0,
    1,
    ngx_http_ims_member_api_one_parse,
    ngx_http_ims_member_api_params,
    ngx_http_ims_member_api_remove_answer
};


/* the collection has four parts, a member five */

ngx_int_t
ngx_http_ims_member_api_handler(ngx_http_request_t *r)
{
    ngx_str_t                        parts[5];
    ngx_http_ims_member_endpoint_t  *ep;

    if (ngx_http_ims_member_split_path(&r->uri, parts, 5) == NGX_OK) {

        switch (r->method) {

        case NGX_HTTP_PUT:
            return ngx_http_ims_member_update_api_handler(r);

        case NGX_HTTP_DELETE:
            ep = &ngx_http_ims_member_api_remove;
            break;

        default:
            ep = &ngx_http_ims_member_api_show;
        }

    } else {
        ep = (r->method == NGX_HTTP_POST) ? &ngx_http_ims_member_api_create
                                          : &ngx_http_ims_member_api_list;
    }

    return ngx_http_ims_member_handle(r, ep);
}


/* the URL's ids, and the database's copy of a member's */

static ngx_uint_t
ngx_http_ims_member_api_path(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t n)
{
    ngx_uint_t                      err;
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;
    ac->glance = ngx_http_ims_member_glance_errors(r);

    err = ngx_http_ims_member_member_url(r, ctx, n);
    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    ac->member = ctx->member_id;

    return NGX_HTTP_IMS_MEMBER_OK;
}


static ngx_uint_t
ngx_http_ims_member_api_ids(ngx_http_ims_member_ctx_t *ctx)
{
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    return ngx_http_ims_member_member_ids(ctx, ac->glance,
                                          ctx->member_id.len ? &ac->member
                                                             : NULL);
}


/*
 * GET and DELETE: Glance refuses a body with a length (the header, as
 * nginx has discarded the body and its count by now)
 */

static ngx_uint_t
ngx_http_ims_member_api_read(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    h = r->headers_in.content_length;

    if (h && ngx_atoof(h->value.data, h->value.len) > 0) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY_REJECT;
    }

    return ngx_http_ims_member_api_ids(ctx);
}


static ngx_uint_t
ngx_http_ims_member_api_list_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_uint_t  err;

    err = ngx_http_ims_member_api_path(r, ctx, 4);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    return ngx_http_ims_member_api_read(r, ctx);
}


static ngx_uint_t
ngx_http_ims_member_api_one_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_uint_t  err;

    err = ngx_http_ims_member_api_path(r, ctx, 5);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    return ngx_http_ims_member_api_read(r, ctx);
}


static ngx_uint_t
ngx_http_ims_member_api_create_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_uint_t                      err;
    ngx_http_ims_member_api_ctx_t  *ac;

    err = ngx_http_ims_member_api_path(r, ctx, 4);

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        err = ngx_http_ims_member_api_create_body(r, ctx);
    }

    /* the image alone: the body's member is no URL, and was checked */

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        ac = ctx->data;
        err = ngx_http_ims_member_member_ids(ctx, ac->glance, NULL);
    }

    return err;
}


/*
 * {"member": "<project>"}, in Glance's order: no body, not JSON, not an
 * object, no "member", a false one (Python's: "", null, 0, [], {}); then
 * what Glance's database would refuse, a member that is not a string or
 * not an id it can hold.
 */

static ngx_uint_t
ngx_http_ims_member_api_create_body(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_uint_t                      err;
    ngx_http_ims_member_json_t     *doc;
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    err = ngx_http_ims_member_body_object(r, ctx,
                                          NGX_HTTP_IMS_MEMBER_ERR_MEMBER_FORM,
                                          &doc);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    switch (ngx_http_ims_member_json_truth(doc, "member")) {

    case NGX_DECLINED:
        return NGX_HTTP_IMS_MEMBER_ERR_MEMBER_MISSING;

    case NGX_ABORT:
        return NGX_HTTP_IMS_MEMBER_ERR_MEMBER_EMPTY;

    default:
        break;
    }

    if (ngx_http_ims_member_json_string(doc, "member", &ac->member) != NGX_OK
        || ngx_http_ims_member_valid_id(&ac->member,
                                        NGX_HTTP_IMS_MEMBER_MEMBER_ID_MAX)
           != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_MEMBER_FIELD;
    }

    ctx->member_id = ac->member;

    return NGX_HTTP_IMS_MEMBER_OK;
}


/* list, show, remove: image, member (NULL: every one), Glance's rules */

static ngx_int_t
ngx_http_ims_member_api_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    params[3] = ctx->image_id;

    /* the list of an image's members: no member in the URL */

    if (ctx->member_id.len == 0) {
        ngx_str_null(&params[4]);

    } else {
        params[4] = ac->member;
    }

    if (ac->glance) {
        ngx_str_set(&params[5], "t");

    } else {
        ngx_str_set(&params[5], "f");
    }

    ngx_http_ims_member_policy_params(r, &ctx->identity, &params[6]);

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_member_api_create_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    params[3] = ctx->image_id;
    params[4] = ac->member;

    /* IMS's sharing rules come with IMS's errors */

    if (ngx_http_ims_member_share_params(r, !ac->glance, &params[5],
                                         &params[9])
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ac->glance) {
        ngx_str_set(&params[6], "t");

    } else {
        ngx_str_set(&params[6], "f");
    }

    ngx_http_ims_member_policy_params(r, &ctx->identity, &params[7]);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_ims_member_api_result(ngx_http_request_t *r, ngx_str_t *result,
    ngx_uint_t call)
{
    ngx_uint_t  err;

    err = ngx_http_ims_member_cause_of(call, result);

    if (err != NGX_HTTP_IMS_MEMBER_ERR_LAST) {
        return err;
    }

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "ims_member: the member statement returned result "
                  "\"%V\"; is sql/ims.sql of this version loaded?", result);

    return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
}


/* {"members": [...], "schema": "/v2/schemas/members"} */

static void
ngx_http_ims_member_api_list_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t                      *parts, *m;
    ngx_uint_t                      i, n, err;
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    err = ngx_http_ims_member_api_result(r, &row[0],
                                         NGX_HTTP_IMS_MEMBER_CALL_LIST);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    parts = ngx_palloc(r->pool, 2 * ctx->nrows * sizeof(ngx_str_t));
    if (parts == NULL) {
        goto failed;
    }

    ngx_str_set(&parts[0], "{\"members\": [");
    n = 1;

    for (i = 1; i < ctx->nrows; i++) {
        m = &row[i * 5];

        if (m[1].data == NULL || m[2].data == NULL || m[3].data == NULL
            || m[4].data == NULL)
        {
            goto failed;
        }

        if (i > 1) {
            ngx_str_set(&parts[n], ", ");
            n++;
        }

        if (ngx_http_ims_member_object(r->pool, ac->glance,
                                       &ctx->image_id, &m[1], &m[2],
                                       &parts[n++])
            != NGX_OK)
        {
            goto failed;
        }
    }

    ngx_str_set(&parts[n], "], \"schema\": \"/v2/schemas/members\"}");
    n++;

    ngx_http_finalize_request(r, ngx_http_ims_member_send_parts(r,
                                                     NGX_HTTP_OK, parts, n));
    return;

failed:

    ngx_http_ims_member_finalize_error(r, NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
}


static void
ngx_http_ims_member_api_show_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t                       body, *m;
    ngx_uint_t                      err;
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    err = ngx_http_ims_member_api_result(r, &row[0],
                                         NGX_HTTP_IMS_MEMBER_CALL_SHOW);

    if (err == NGX_HTTP_IMS_MEMBER_OK && ctx->nrows < 2) {
        err = NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER;
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    m = &row[5];

    if (m[2].data == NULL || m[3].data == NULL || m[4].data == NULL
        || ngx_http_ims_member_object(r->pool, ac->glance,
                                      &ctx->image_id, &ctx->member_id,
                                      &m[2], &body)
           != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}


static void
ngx_http_ims_member_api_create_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_int_t                       n;
    ngx_str_t                       body;
    ngx_uint_t                      err;
    ngx_http_ims_member_api_ctx_t  *ac;

    ac = ctx->data;

    err = ngx_http_ims_member_api_result(r, &row[0],
                                         NGX_HTTP_IMS_MEMBER_CALL_CREATE);

    if (err == NGX_HTTP_IMS_MEMBER_ERR_QUOTA) {
        n = row[4].data ? ngx_atoi(row[4].data, row[4].len) : NGX_ERROR;
        ctx->attempted = (n == NGX_ERROR) ? 0 : (ngx_uint_t) n;
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    if (row[1].data == NULL || row[2].data == NULL || row[3].data == NULL
        || ngx_http_ims_member_object(r->pool, ac->glance,
                                      &ctx->image_id, &ctx->member_id,
                                      &row[1], &body)
           != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ims_member: image %V shared with \"%V\"",
                  &ctx->image_id, &ctx->member_id);

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}


static void
ngx_http_ims_member_api_remove_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t   empty;
    ngx_uint_t  err;

    err = ngx_http_ims_member_api_result(r, &row[0],
                                         NGX_HTTP_IMS_MEMBER_CALL_DELETE);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ims_member: image %V no longer shared with \"%V\"",
                  &ctx->image_id, &ctx->member_id);

    ngx_str_null(&empty);

    ngx_http_ims_member_finalize(r, NGX_HTTP_NO_CONTENT, &empty);
}
