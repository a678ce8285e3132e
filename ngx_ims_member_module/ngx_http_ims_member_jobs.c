
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_jobs.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_util.h"


/* GET /v1/{project_id}/jobs/{job_id}, GET /v1/cloudimages/job/{job_id} */

typedef struct {
    ngx_str_t                   job_id;
    ngx_str_t                   project_id;
    ngx_uint_t                  progress;   /* unsigned  progress:1 */
} ngx_http_ims_member_jobs_ctx_t;


static ngx_uint_t ngx_http_ims_member_jobs_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
static ngx_int_t ngx_http_ims_member_jobs_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
static void ngx_http_ims_member_jobs_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


static ngx_http_ims_member_endpoint_t  ngx_http_ims_member_jobs = {
    NGX_HTTP_GET|NGX_HTTP_HEAD,
    ngx_string("GET, HEAD"),
    0,
    sizeof(ngx_http_ims_member_jobs_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_JOB_GET,
    NGX_HTTP_IMS_MEMBER_SQL_JOB_GET_NPARAMS,
    9,
    ngx_http_ims_member_jobs_parse,
    ngx_http_ims_member_jobs_params,
    ngx_http_ims_member_jobs_answer
};


ngx_int_t
ngx_http_ims_member_jobs_handler(ngx_http_request_t *r)
{
    return ngx_http_ims_member_handle(r, &ngx_http_ims_member_jobs);
}


/*
 * GET /v1/{project_id}/jobs/{job_id}: the job of that project;
 * GET /v1/cloudimages/job/{job_id}: its progress, for the caller's project.
 */

static ngx_uint_t
ngx_http_ims_member_jobs_parse(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx)
{
    ngx_str_t                        parts[4];
    ngx_http_ims_member_jobs_ctx_t  *jc;

    jc = ctx->data;

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
        jc->progress = 1;
        ngx_str_null(&jc->project_id);

    } else if (parts[2].len == sizeof("jobs") - 1
               && ngx_strncmp(parts[2].data, "jobs", parts[2].len) == 0)
    {
        jc->project_id = parts[1];

        if (ngx_http_ims_member_valid_id(&jc->project_id, 255) != NGX_OK) {
            return NGX_HTTP_IMS_MEMBER_ERR_JOB;
        }

    } else {
        return NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND;
    }

    jc->job_id = parts[3];

    /* an id the module cannot have made names no job */

    if (ngx_http_ims_member_valid_job_id(&jc->job_id) != NGX_OK) {
        return NGX_HTTP_IMS_MEMBER_ERR_JOB;
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static ngx_int_t
ngx_http_ims_member_jobs_params(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params)
{
    ngx_http_ims_member_jobs_ctx_t  *jc;

    jc = ctx->data;

    params[3] = jc->job_id;
    params[4] = jc->project_id;

    return NGX_OK;
}


static void
ngx_http_ims_member_jobs_answer(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row)
{
    ngx_int_t                        total, done;
    ngx_str_t                        body;
    ngx_http_ims_member_json_job_t   job;
    ngx_http_ims_member_jobs_ctx_t  *jc;

    jc = ctx->data;

    if (row[0].len != sizeof("ok") - 1
        || ngx_strncmp(row[0].data, "ok", row[0].len) != 0)
    {
        ngx_http_ims_member_finalize_error(r, NGX_HTTP_IMS_MEMBER_ERR_JOB);
        return;
    }

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

    if (jc->progress) {
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
