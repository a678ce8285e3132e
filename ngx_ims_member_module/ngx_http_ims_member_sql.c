
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_sql.h"


/*
 * Every statement the module runs; each is prepared once per connection and
 * takes every value as a parameter.  The logic lives in server-side
 * functions (sql/ims.sql), so that one request is one round trip.
 */

ngx_str_t  ngx_http_ims_member_sql[] = {

    /* NGX_HTTP_IMS_MEMBER_SQL_UPDATE: token hash, project, admin, image,
     * member, status (NULL: identity only), vault, Glance's rules */
    ngx_string("SELECT result, status, created_at, updated_at"
               " FROM ims_member_update($1, $2, $3::boolean, $4, $5, $6, $7,"
               " $8::boolean)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT: token hash, project, admin,
     * job id, project_id (NULL: identity only), status, vault, images */
    ngx_string("SELECT result FROM ims_job_submit($1, $2, $3::boolean, $4,"
               " $5, $6, $7, $8::json)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP: worker, job (NULL: claim one),
     * lease in ms, slice */
    ngx_string("SELECT result, job_id FROM ims_job_step($1, $2,"
               " $3::integer, $4::integer)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE: worker, job */
    ngx_string("SELECT result FROM ims_job_release($1, $2)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_GET: token hash, project, admin, job,
     * the project of the URL (NULL: any of the caller's) */
    ngx_string("SELECT result, status, error_code, total, done, head,"
               " results FROM ims_job_get($1, $2, $3::boolean, $4, $5)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED: worker, job, most failures,
     * first back-off in ms */
    ngx_string("SELECT result FROM ims_job_failed($1, $2, $3::integer,"
               " $4::integer)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE: retention in seconds, most
     * result rows */
    ngx_string("SELECT purged, rows FROM ims_job_purge($1::integer,"
               " $2::integer)"),
};
