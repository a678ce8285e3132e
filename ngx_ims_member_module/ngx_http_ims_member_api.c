
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
    ngx_str_t                   quota;          /* empty data: no limit */
    ngx_uint_t                  glance;         /* unsigned  glance:1 */
} ngx_http_ims_member_api_ctx_t;


typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  err;
} ngx_http_ims_member_api_result_t;


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
    ngx_str_t *result, ngx_http_ims_member_api_result_t *results);
static void ngx_http_ims_member_api_list_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);
static void ngx_http_ims_member_api_show_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);
static void ngx_http_ims_member_api_create_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);
static void ngx_http_ims_member_api_remove_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_api_list = {
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


/* the first column of each statement, per endpoint */

static ngx_http_ims_member_api_result_t  ngx_http_ims_member_list_results[] = {
    { ngx_string("ok"), NGX_HTTP_IMS_MEMBER_OK },
    { ngx_string("image_not_found"), NGX_HTTP_IMS_MEMBER_ERR_IMAGE },
    { ngx_string("not_shared"), NGX_HTTP_IMS_MEMBER_ERR_LIST_SHARED },
    { ngx_string("hidden"), NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE },
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_api_result_t  ngx_http_ims_member_show_results[] = {
    { ngx_string("ok"), NGX_HTTP_IMS_MEMBER_OK },
    { ngx_string("image_not_found"), NGX_HTTP_IMS_MEMBER_ERR_IMAGE },
    { ngx_string("not_shared"), NGX_HTTP_IMS_MEMBER_ERR_SHOW_SHARED },
    { ngx_string("hidden"), NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE },
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_api_result_t
    ngx_http_ims_member_create_results[] =
{
    { ngx_string("ok"), NGX_HTTP_IMS_MEMBER_OK },
    { ngx_string("image_not_found"), NGX_HTTP_IMS_MEMBER_ERR_IMAGE },
    { ngx_string("not_shared"), NGX_HTTP_IMS_MEMBER_ERR_CREATE_SHARED },
    { ngx_string("forbidden"), NGX_HTTP_IMS_MEMBER_ERR_CREATE_OWNER },
    { ngx_string("quota"), NGX_HTTP_IMS_MEMBER_ERR_QUOTA },
    { ngx_string("duplicate"), NGX_HTTP_IMS_MEMBER_ERR_DUPLICATE },
    { ngx_string("hidden"), NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE },
    { ngx_string("add_refused"), NGX_HTTP_IMS_MEMBER_ERR_POLICY_ADD },
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_api_result_t
    ngx_http_ims_member_remove_results[] =
{
    { ngx_string("ok"), NGX_HTTP_IMS_MEMBER_OK },
    { ngx_string("image_not_found"), NGX_HTTP_IMS_MEMBER_ERR_IMAGE },
    { ngx_string("not_shared"), NGX_HTTP_IMS_MEMBER_ERR_DELETE_SHARED },
    { ngx_string("forbidden"), NGX_HTTP_IMS_MEMBER_ERR_DELETE_OWNER },
    { ngx_string("member_not_found"), NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER },
    { ngx_string("hidden"), NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE },
    { ngx_string("delete_refused"), NGX_HTTP_IMS_MEMBER_ERR_POLICY_DELETE },
    { ngx_null_string, 0 }
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


/* ims_member_quota N | off */

char *
ngx_http_ims_member_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    ngx_str_t  *value;

    if (imlcf->quota != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        imlcf->quota = NGX_HTTP_IMS_MEMBER_QUOTA_OFF;
        return NGX_CONF_OK;
    }

    imlcf->quota = ngx_atoi(value[1].data, value[1].len);

    /* the database counts in 32 bits */

    if (imlcf->quota == NGX_ERROR || imlcf->quota > 2147483647) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": the most live members of "
                           "one image, from 0 to 2147483647, or \"off\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the location's quota as a statement's parameter: NULL for "off" */

ngx_int_t
ngx_http_ims_member_quota_param(ngx_http_request_t *r, ngx_str_t *param)
{
    u_char                          *p;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    if (imlcf->quota == NGX_HTTP_IMS_MEMBER_QUOTA_OFF) {
        ngx_str_null(param);
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    param->data = p;
    param->len = ngx_sprintf(p, "%i", imlcf->quota) - p;

    return NGX_OK;
}


/*
 * A member as Glance shows it: its three columns (status, created_at,
 * updated_at) from "row", in the contract's order, or in Glance's own
 * (keys, and UTF-8 as it is)
 */

ngx_int_t
ngx_http_ims_member_api_member(ngx_pool_t *pool, ngx_uint_t glance,
    ngx_str_t *image_id, ngx_str_t *member_id, ngx_str_t *row,
    ngx_str_t *out)
{
    ngx_str_t  kv[12];

    if (glance) {
        ngx_str_set(&kv[0], "member_id");
        kv[1] = *member_id;
        ngx_str_set(&kv[2], "image_id");
        kv[3] = *image_id;
        ngx_str_set(&kv[4], "status");
        kv[5] = row[0];
        ngx_str_set(&kv[6], "created_at");
        kv[7] = row[1];
        ngx_str_set(&kv[8], "updated_at");
        kv[9] = row[2];

    } else {
        ngx_str_set(&kv[0], "status");
        kv[1] = row[0];
        ngx_str_set(&kv[2], "created_at");
        kv[3] = row[1];
        ngx_str_set(&kv[4], "updated_at");
        kv[5] = row[2];
        ngx_str_set(&kv[6], "image_id");
        kv[7] = *image_id;
        ngx_str_set(&kv[8], "member_id");
        kv[9] = *member_id;
    }

    ngx_str_set(&kv[10], "schema");
    ngx_str_set(&kv[11], "/v2/schemas/member");

    if (glance) {
        return ngx_http_ims_member_json_object_utf8(pool, kv, 6, out);
    }

    return ngx_http_ims_member_json_object(pool, kv, 6, out);
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
                                                             : NULL,
                                          NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER);
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
        err = ngx_http_ims_member_member_ids(ctx, ac->glance, NULL, 0);
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

    if (ngx_http_ims_member_quota_param(r, &params[5]) != NGX_OK) {
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
    ngx_http_ims_member_api_result_t *results)
{
    ngx_http_ims_member_api_result_t  *res;

    for (res = results; res->name.len; res++) {
        if (res->name.len == result->len
            && ngx_strncmp(res->name.data, result->data, result->len) == 0)
        {
            return res->err;
        }
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
                                         ngx_http_ims_member_list_results);

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

        if (ngx_http_ims_member_api_member(r->pool, ac->glance,
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
                                         ngx_http_ims_member_show_results);

    if (err == NGX_HTTP_IMS_MEMBER_OK && ctx->nrows < 2) {
        err = NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER;
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    m = &row[5];

    if (m[2].data == NULL || m[3].data == NULL || m[4].data == NULL
        || ngx_http_ims_member_api_member(r->pool, ac->glance,
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
                                         ngx_http_ims_member_create_results);

    if (err == NGX_HTTP_IMS_MEMBER_ERR_QUOTA) {
        n = row[4].data ? ngx_atoi(row[4].data, row[4].len) : NGX_ERROR;
        ctx->attempted = (n == NGX_ERROR) ? 0 : (ngx_uint_t) n;
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        ngx_http_ims_member_finalize_error(r, err);
        return;
    }

    if (row[1].data == NULL || row[2].data == NULL || row[3].data == NULL
        || ngx_http_ims_member_api_member(r->pool, ac->glance,
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
                                         ngx_http_ims_member_remove_results);

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
