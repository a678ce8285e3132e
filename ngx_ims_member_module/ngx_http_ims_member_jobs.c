
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
    NGX_HTTP_IMS_MEMBER_EP_JOB,
    NGX_HTTP_GET|NGX_HTTP_HEAD,
    ngx_string("GET, HEAD"),
    0,
    sizeof(ngx_http_ims_member_jobs_ctx_t),
    NGX_HTTP_IMS_MEMBER_SQL_JOB_GET,
    NGX_HTTP_IMS_MEMBER_SQL_JOB_GET_NPARAMS,
    7,
    1,
    0,
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
    double                           percent;
    ngx_str_t                       *parts, reason;
    ngx_int_t                        total, done;
    ngx_uint_t                       i, n;
    ngx_http_ims_member_code_t      *code;
    ngx_http_ims_member_jobs_ctx_t  *jc;

    jc = ctx->data;

    if (row[0].len != sizeof("ok") - 1
        || ngx_strncmp(row[0].data, "ok", row[0].len) != 0)
    {
        ngx_http_ims_member_finalize_error(r, NGX_HTTP_IMS_MEMBER_ERR_JOB);
        return;
    }

    /*
     * result, status, error_code, total, done, head, then a row of results
     * each: PostgreSQL wrote the JSON of the job and of its results; only
     * the reason, the brackets and the progress are the module's to add,
     * and nothing is parsed again
     */

    ngx_str_null(&reason);

    /* a code the table does not know (an older version's): as it is */

    if (row[2].data) {
        code = ngx_http_ims_member_code(&row[2]);
        reason = code ? code->message : row[2];
    }

    n = 0;
    parts = ngx_palloc(r->pool, (2 * ctx->nrows + 6) * sizeof(ngx_str_t));

    if (parts == NULL || row[5].data == NULL
        || ngx_http_ims_member_json_quote(r->pool, &reason, &parts[1])
           != NGX_OK)
    {
        ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
        return;
    }

    parts[n++] = row[5];
    n++;
    ngx_str_set(&parts[n], ", \"entities\": {\"results\": [");
    n++;

    for (i = 1; i < ctx->nrows; i++) {
        if (i > 1) {
            ngx_str_set(&parts[n], ", ");
            n++;
        }

        parts[n++] = row[i * 7 + 6];
    }

    ngx_str_set(&parts[n], "]");
    n++;

    if (jc->progress) {
        total = ngx_atoi(row[3].data, row[3].len);
        done = ngx_atoi(row[4].data, row[4].len);

        if ((row[1].len == sizeof("SUCCESS") - 1
             && ngx_strncmp(row[1].data, "SUCCESS", row[1].len) == 0)
            || (row[1].len == sizeof("FAIL") - 1
                && ngx_strncmp(row[1].data, "FAIL", row[1].len) == 0))
        {
            percent = 1.0;

        } else if (total > 0 && done >= 0 && done <= total) {
            percent = (double) done / total;

        } else {
            percent = 0.0;
        }

        ngx_str_set(&parts[n], ", \"process_percent\": ");
        n++;

        if (ngx_http_ims_member_json_number(r->pool, percent, &parts[n])
            != NGX_OK)
        {
            ngx_http_ims_member_finalize_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_INTERNAL);
            return;
        }

        n++;
    }

    ngx_str_set(&parts[n], "}}");
    n++;

    ngx_http_finalize_request(r,
                              ngx_http_ims_member_send_parts(r, NGX_HTTP_OK,
                                                             parts, n));
}
