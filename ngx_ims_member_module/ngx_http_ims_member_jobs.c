
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_jobs.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"


static ngx_uint_t ngx_http_ims_member_jobs_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static void ngx_http_ims_member_jobs_done(ngx_http_ims_member_pg_op_t *op);
static void ngx_http_ims_member_jobs_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_str_t  ngx_http_ims_member_jobs_get = ngx_string("GET, HEAD");


ngx_int_t
ngx_http_ims_member_jobs_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                  *params;
    ngx_uint_t                  err;
    ngx_http_ims_member_ctx_t  *ctx;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_ims_member_not_allowed(r,
                                               &ngx_http_ims_member_jobs_get);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_ims_member_ctx_create(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_ims_member_identify(r, ctx);

    if (rc == NGX_ERROR) {
        return ngx_http_ims_member_send_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_ims_member_send_error(r,
                                       NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED);
    }

    err = ngx_http_ims_member_jobs_parse(r, ctx);

    if (err != NGX_HTTP_IMS_MEMBER_OK
        && ctx->identity.token_sha256.len == 0)
    {
        return ngx_http_ims_member_send_error(r, err);
    }

    ctx->error = err;

    params = ngx_pcalloc(r->pool, NGX_HTTP_IMS_MEMBER_SQL_JOB_GET_NPARAMS
                                  * sizeof(ngx_str_t));
    if (params == NULL) {
        return ngx_http_ims_member_send_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
    }

    /* with a bad URL, no job is asked for: the token is checked alone */

    ngx_http_ims_member_identity_params(ctx, params);

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        params[3] = ctx->job_id;
        params[4] = ctx->project_id;
    }

    if (ngx_http_ims_member_query(r, ctx, NGX_HTTP_IMS_MEMBER_SQL_JOB_GET,
                                  params,
                                  NGX_HTTP_IMS_MEMBER_SQL_JOB_GET_NPARAMS,
                                  ngx_http_ims_member_jobs_done)
        != NGX_OK)
    {
        return ngx_http_ims_member_send_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
    }

    /* the database answers later; the query's handler finalizes */

    r->main->count++;

    return NGX_DONE;
}


/*
 * GET /v1/{project_id}/jobs/{job_id}: the job of that project;
 * GET /v1/cloudimages/job/{job_id}: its progress, for the caller's project.
 */

static ngx_uint_t
ngx_http_ims_member_jobs_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_str_t  parts[4];

    if (ngx_http_ims_member_split_path(&r->uri, parts, 4) != NGX_OK
        || parts[0].len != 2 || ngx_strncmp(parts[0].data, "v1", 2) != 0)
    {
        return NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND;
    }

    if (parts[1].len == sizeof("cloudimages") - 1
        && ngx_strncmp(parts[1].data, "cloudimages", parts[1].len) == 0
        && parts[2].len == sizeof("job") - 1
        && ngx_strncmp(parts[2].data, "job", parts[2].len) == 0)
    {
        ctx->progress = 1;
        ngx_str_null(&ctx->project_id);

    } else if (parts[2].len == sizeof("jobs") - 1
               && ngx_strncmp(parts[2].data, "jobs", parts[2].len) == 0)
    {
        ctx->project_id = parts[1];

        if (ngx_http_ims_member_valid_id(&ctx->project_id, 255) != NGX_OK) {
            return NGX_HTTP_IMS_MEMBER_ERR_JOB;
        }

    } else {
        return NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND;
    }

    ctx->job_id = parts[3];

    /* an id the module cannot have made names no job */

    if (ngx_http_ims_member_valid_job_id(&ctx->job_id) != NGX_OK) {
        return NGX_HTTP_IMS_MEMBER_ERR_JOB;
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static void
ngx_http_ims_member_jobs_done(ngx_http_ims_member_pg_op_t *op)
{
    ngx_str_t                  *row;
    ngx_http_request_t         *r;
    ngx_http_ims_member_ctx_t  *ctx;

    if (ngx_http_ims_member_query_row(op, 9, &row) != NGX_OK) {
        return;
    }

    r = op->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (!ngx_http_ims_member_result_is(&row[0], "ok")) {
        ngx_http_ims_member_finalize_error(r, NGX_HTTP_IMS_MEMBER_ERR_JOB);
        return;
    }

    ngx_http_ims_member_jobs_answer(r, ctx, row);
}


static void
ngx_http_ims_member_jobs_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_int_t                       total, done;
    ngx_str_t                       body;
    ngx_http_ims_member_json_job_t  job;

    /* status, job_id, begin_time, end_time, error_code, total, done, results */

    job.status = row[1];
    job.job_id = row[2];
    job.begin_time = row[3];
    job.end_time = row[4];
    job.error_code = row[5];
    job.results = row[8];
    job.percent = -1.0;

    ngx_str_null(&job.fail_reason);

    if (job.error_code.data
        && ngx_http_ims_member_error_message(&job.error_code,
                                             &job.fail_reason)
           != NGX_OK)
    {
        job.fail_reason = job.error_code;
    }

    if (ctx->progress) {
        total = ngx_atoi(row[6].data, row[6].len);
        done = ngx_atoi(row[7].data, row[7].len);

        if ((job.status.len == sizeof("SUCCESS") - 1
             && ngx_strncmp(job.status.data, "SUCCESS", job.status.len) == 0)
            || (job.status.len == sizeof("FAIL") - 1
                && ngx_strncmp(job.status.data, "FAIL", job.status.len) == 0))
        {
            job.percent = 1.0;

        } else if (total > 0 && done >= 0 && done <= total) {
            job.percent = (double) done / total;

        } else {
            job.percent = 0.0;
        }
    }

    if (ngx_http_ims_member_json_job(r->pool, &job, &body) != NGX_OK) {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    ngx_http_ims_member_finalize(r, NGX_HTTP_OK, &body);
}
