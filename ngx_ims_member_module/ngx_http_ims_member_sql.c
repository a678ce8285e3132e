
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_sql.h"


/*
 * Every statement the module runs; each is prepared once per connection
 * (unnamed with ims_member_prepare off) and takes every value as a
 * parameter.  The logic lives in server-side functions and procedures
 * (sql/ims.sql and the files it loads): one request is one round trip,
 * and PostgreSQL keeps the plans of what they run per session, however
 * the call itself is sent; a CALL, unlike a SELECT, is not planned itself.
 */

ngx_str_t  ngx_http_ims_member_sql[] = {

    /*
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE: token hash, project, admin, image,
     * member, status (NULL: identity only), vault, Glance's rules, and the
     * event's (NGX_HTTP_IMS_MEMBER_SQL_EVENTS); the result ("ok" or the
     * rule that failed), the status, the membership's creation and last
     * update (sql/update.sql)
     */
    ngx_string("CALL ims_member_set_status($1, $2, $3::boolean, $4, $5, $6,"
               " $7, $8::boolean, $9::boolean, $10, $11,"
               " NULL, NULL, NULL, NULL)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT: token hash, project, admin,
     * job id, project_id (NULL: identity only), status, vault, images,
     * the events' */
    ngx_string("SELECT result FROM ims_job_submit($1, $2, $3::boolean, $4,"
               " $5, $6, $7, $8::json, $9::boolean, $10, $11)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP: worker, job (NULL: claim one),
     * lease in ms, slice, the codes of failures */
    ngx_string("SELECT result, job_id FROM ims_job_step($1, $2,"
               " $3::integer, $4::integer, $5::json)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE: worker, job */
    ngx_string("SELECT result FROM ims_job_release($1, $2)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_GET: token hash, project, admin, job,
     * the project of the URL (NULL: any of the caller's) */
    ngx_string("SELECT result, status, error_code, total, done, head,"
               " results FROM ims_job_get($1, $2, $3::boolean, $4, $5)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED: worker, job, most failures,
     * first back-off in ms, the code of a job that failed too often */
    ngx_string("SELECT result FROM ims_job_failed($1, $2, $3::integer,"
               " $4::integer, $5)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE: retention in seconds, most
     * result rows; and the age in ms of the oldest job not finished, for
     * the metrics (ims_jobs_todo finds it) */
    ngx_string("SELECT purged, rows, (SELECT (extract(epoch FROM"
               " (now() AT TIME ZONE 'UTC') - min(t.created_at)) * 1000)"
               "::bigint FROM ims_jobs t"
               " WHERE t.status IN ('INIT', 'RUNNING'))"
               " FROM ims_job_purge($1::integer, $2::integer)"),

    /*
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE_GROUP: a group, the parameters of
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE as arrays, one element per update;
     * a row per update: whether it was skipped (another transaction holds
     * its row: it goes again alone), then the row it gets alone
     */
    ngx_string("SELECT o_skip, o_result, o_status, o_created_at,"
               " o_updated_at FROM ims_member_set_status_group($1::text[],"
               " $2::text[], $3::boolean[], $4::text[], $5::text[],"
               " $6::text[], $7::text[], $8::boolean[], $9::boolean[],"
               " $10::text[], $11::text[])"),

    /*
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE_ONE: a group of one, the parameters
     * and the row of a group's, its held row left rather than waited for
     */
    ngx_string("CALL ims_member_set_status_try($1, $2, $3::boolean, $4, $5,"
               " $6, $7, $8::boolean, $9::boolean, $10, $11,"
               " NULL, NULL, NULL, NULL, NULL)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE: token hash, project, admin,
     * image (NULL: identity only), member, quota (NULL: none), Glance's
     * rules, the roles of its new policies (NULL: the legacy rules), IMS's
     * limits by kind of image (NULL: IMS's sharing rules do not apply),
     * the events' */
    ngx_string("SELECT result, status, created_at, updated_at, attempted"
               " FROM ims_member_create($1, $2, $3::boolean, $4, $5,"
               " $6::integer, $7::boolean, $8::boolean, $9::boolean,"
               " $10::integer[], $11::boolean, $12, $13)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST: token hash, project, admin,
     * image (NULL: identity only), member (NULL: all), Glance's rules,
     * the roles of its new policies (NULL: the legacy rules) */
    ngx_string("SELECT result, member, status, created_at, updated_at"
               " FROM ims_member_list($1, $2, $3::boolean, $4, $5,"
               " $6::boolean, $7::boolean, $8::boolean)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE: token hash, project, admin,
     * image (NULL: identity only), member, Glance's rules, the roles of
     * its new policies (NULL: the legacy rules), the events' */
    ngx_string("SELECT result FROM ims_member_remove($1, $2, $3::boolean,"
               " $4, $5, $6::boolean, $7::boolean, $8::boolean,"
               " $9::boolean, $10, $11)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS: token hash, project, admin,
     * job id, kind ("add", "delete"; NULL: identity only), images,
     * projects, quota (NULL: none), IMS's limits by kind of image, the
     * events' */
    ngx_string("SELECT result FROM ims_job_submit_members($1, $2,"
               " $3::boolean, $4, $5, $6::json, $7::json, $8::integer,"
               " $9::integer[], $10::boolean, $11, $12)"),
};
