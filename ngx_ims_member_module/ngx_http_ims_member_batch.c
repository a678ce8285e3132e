
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_batch.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_share.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"


#define NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX  255


/*
 * PUT /v1/cloudimages/members: a job that updates memberships; POST and
 * DELETE: a job that adds or removes members, each image with each
 * project
 */

typedef struct {
    ngx_str_t                   job_id;
    ngx_str_t                   project_id;
    ngx_str_t                   status;
    ngx_str_t                   vault_id;
    ngx_str_t                   images;     /* a JSON array */
    ngx_str_t                   projects;   /* a JSON array */
} ngx_http_ims_member_batch_ctx_t;


static ngx_uint_t ngx_http_ims_member_batch_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_batch_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
static ngx_uint_t ngx_http_ims_member_batch_members_parse(
    ngx_http_request_t *r, ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_batch_members_params(
    ngx_http_request_t *r, ngx_http_ims_member_ctx_t *ctx,
    ngx_str_t *params);
static ngx_uint_t ngx_http_ims_member_batch_array(ngx_http_request_t *r,
    ngx_http_ims_member_json_t *doc, char *key, ngx_str_t *array,
    ngx_uint_t *n, ngx_uint_t invalid, ngx_uint_t too_many);
static ngx_int_t ngx_http_ims_member_batch_ids(ngx_http_ims_member_json_t *doc,
    char *key, ngx_uint_t n, size_t max);
static ngx_int_t ngx_http_ims_member_batch_job_id(ngx_http_request_t *r,
    ngx_http_ims_member_batch_ctx_t *bc);
static void ngx_http_ims_member_batch_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_batch = {
    NGX_HTTP_IMS_MEMBER_EP_BATCH_UPDATE,
    NGX_HTTP_PUT,
    ngx_string("PUT, POST, DELETE"),
    1,
    sizeof(ngx_http_ims_member_batch_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT,
    NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT_NPARAMS,
    1,
    0,
    0,
    ngx_http_ims_member_batch_parse,
    ngx_http_ims_member_batch_params,
    ngx_http_ims_member_batch_answer
};

static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_batch_members = {
    NGX_HTTP_IMS_MEMBER_EP_BATCH_ADD,
    NGX_HTTP_POST|NGX_HTTP_DELETE,
    ngx_string("PUT, POST, DELETE"),
    1,
    sizeof(ngx_http_ims_member_batch_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS,
    NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS_NPARAMS,
    1,
    0,
    0,
    ngx_http_ims_member_batch_members_parse,
    ngx_http_ims_member_batch_members_params,
    ngx_http_ims_member_batch_answer
};


ngx_int_t
ngx_http_ims_member_batch_handler(ngx_http_request_t *r)
{
    if (r->method & (NGX_HTTP_POST|NGX_HTTP_DELETE)) {
        return ngx_http_ims_member_handle(r,
                                          &ngx_http_ims_member_batch_members);
    }

    return ngx_http_ims_member_handle(r, &ngx_http_ims_member_batch);
}


static ngx_uint_t
ngx_http_ims_member_batch_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_uint_t                        n, err;
    ngx_http_ims_member_json_t       *doc;
    ngx_http_ims_member_batch_ctx_t  *bc;

    bc = ctx->data;

    if (ctx->body.len == 0) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY_EMPTY;
    }

    rc = ngx_http_ims_member_json_parse(r->pool, ctx->body.data,
                                        ctx->body.len, &doc);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY;
    }

    err = ngx_http_ims_member_batch_array(r, doc, "images", &bc->images, &n,
                                          NGX_HTTP_IMS_MEMBER_ERR_IMAGES,
                                          NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    if (ngx_http_ims_member_json_string(doc, "project_id", &bc->project_id)
        != NGX_OK
        || ngx_http_ims_member_valid_id(&bc->project_id,
                                        NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX)
           != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_PROJECT;
    }

    if (ngx_http_ims_member_json_string(doc, "status", &bc->status)
        != NGX_OK
        || !((bc->status.len == sizeof("accepted") - 1
              && ngx_strncmp(bc->status.data, "accepted",
                             bc->status.len) == 0)
             || (bc->status.len == sizeof("rejected") - 1
                 && ngx_strncmp(bc->status.data, "rejected",
                                bc->status.len) == 0)))
    {
        return NGX_HTTP_IMS_MEMBER_ERR_BATCH_STATUS;
    }

    rc = ngx_http_ims_member_json_string(doc, "vault_id", &bc->vault_id);

    if (rc == NGX_ABORT || (rc == NGX_OK && bc->vault_id.len == 0)) {
        return NGX_HTTP_IMS_MEMBER_ERR_VAULT;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&bc->vault_id);
    }

    /* a trusted project is known here: the 403 rule needs no database */

    if (ctx->identity.token_sha256.len == 0
        && !ctx->identity.admin
        && (bc->project_id.len != ctx->identity.project.len
            || ngx_strncmp(bc->project_id.data, ctx->identity.project.data,
                           bc->project_id.len)
               != 0))
    {
        return NGX_HTTP_IMS_MEMBER_ERR_FORBIDDEN;
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


/*
 * {"images": [...], "projects": [...]}: every image with every project,
 * at most ims_member_batch_max pairs.  IMS's sharing with accounts
 * ("domains") and organizations has no place in Glance's schema.
 */

static ngx_uint_t
ngx_http_ims_member_batch_members_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_uint_t                        nimages, nprojects, err, too_many;
    ngx_http_ims_member_json_t       *doc;
    ngx_http_ims_member_batch_ctx_t  *bc;
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);
    bc = ctx->data;

    if (ctx->body.len == 0) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY_EMPTY;
    }

    rc = ngx_http_ims_member_json_parse(r->pool, ctx->body.data,
                                        ctx->body.len, &doc);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_IMS_MEMBER_ERR_BODY;
    }

    if (ngx_http_ims_member_json_truth(doc, "domains") == NGX_OK
        || ngx_http_ims_member_json_truth(doc, "organizations") == NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_DOMAINS;
    }

    too_many = NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY_PAIRS;

    err = ngx_http_ims_member_batch_array(r, doc, "images", &bc->images,
                                          &nimages,
                                          NGX_HTTP_IMS_MEMBER_ERR_IMAGES,
                                          too_many);

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        err = ngx_http_ims_member_batch_array(r, doc, "projects",
                                              &bc->projects, &nprojects,
                                              NGX_HTTP_IMS_MEMBER_ERR_PROJECTS,
                                              too_many);
    }

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        return err;
    }

    if (nimages * nprojects > imcf->batch_max) {
        return NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY_PAIRS;
    }

    /*
     * a project Glance's member column cannot hold would fail its slice;
     * an image id that is none names no image: its result says so
     */

    if (ngx_http_ims_member_batch_ids(doc, "projects", nprojects,
                                      NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX)
        != NGX_OK)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_PROJECTS;
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static ngx_int_t
ngx_http_ims_member_batch_ids(ngx_http_ims_member_json_t *doc, char *key,
    ngx_uint_t n, size_t max)
{
    ngx_str_t   id;
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (ngx_http_ims_member_json_element(doc, key, i, &id) != NGX_OK
            || ngx_http_ims_member_valid_id(&id, max) != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* an array of at most ims_member_batch_max strings, as JSON text */

static ngx_uint_t
ngx_http_ims_member_batch_array(ngx_http_request_t *r,
    ngx_http_ims_member_json_t *doc, char *key, ngx_str_t *array,
    ngx_uint_t *n, ngx_uint_t invalid, ngx_uint_t too_many)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    switch (ngx_http_ims_member_json_strings(doc, key, imcf->batch_max,
                                             r->pool, array, n))
    {
    case NGX_OK:
        return NGX_HTTP_IMS_MEMBER_OK;

    case NGX_DECLINED:
        return invalid;

    case NGX_ABORT:
        return too_many;

    default:
        return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }
}


static ngx_int_t
ngx_http_ims_member_batch_job_id(ngx_http_request_t *r,
    ngx_http_ims_member_batch_ctx_t *bc)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_HTTP_IMS_MEMBER_JOB_ID_LEN);

    if (p == NULL
        || ngx_http_ims_member_job_id(p, r->connection->log) != NGX_OK)
    {
        return NGX_ERROR;
    }

    bc->job_id.data = p;
    bc->job_id.len = NGX_HTTP_IMS_MEMBER_JOB_ID_LEN;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_member_batch_members_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_batch_ctx_t  *bc;

    bc = ctx->data;

    if (ngx_http_ims_member_batch_job_id(r, bc) != NGX_OK) {
        return NGX_ERROR;
    }

    params[3] = bc->job_id;

    if (r->method == NGX_HTTP_POST) {
        ngx_str_set(&params[4], "add");

    } else {
        ngx_str_set(&params[4], "delete");
    }

    params[5] = bc->images;
    params[6] = bc->projects;

    /*
     * the location's limits go with the job, which runs in no location;
     * the batch is IMS's API: IMS's sharing rules
     */

    return ngx_http_ims_member_share_params(r, 1, &params[7], &params[8]);
}


static ngx_int_t
ngx_http_ims_member_batch_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_batch_ctx_t  *bc;

    bc = ctx->data;

    if (ngx_http_ims_member_batch_job_id(r, bc) != NGX_OK) {
        return NGX_ERROR;
    }

    params[3] = bc->job_id;
    params[4] = bc->project_id;
    params[5] = bc->status;
    params[6] = bc->vault_id;
    params[7] = bc->images;

    return NGX_OK;
}


static void
ngx_http_ims_member_batch_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_str_t                         body, kv[2];
    ngx_http_ims_member_batch_ctx_t  *bc;

    bc = ctx->data;

    if (row[0].len == sizeof("forbidden") - 1
        && ngx_strncmp(row[0].data, "forbidden", row[0].len) == 0)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_FORBIDDEN);
        return;
    }

    /* "ok": the job is committed, the caller may rely on it */

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "ims_member: job %V submitted", &bc->job_id);

    ngx_str_set(&kv[0], "job_id");
    kv[1] = bc->job_id;

    if (ngx_http_ims_member_json_object(r->pool, kv, 1, &body) != NGX_OK) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}
