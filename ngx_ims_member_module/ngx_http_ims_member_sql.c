
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

    /*
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE: token hash, project, admin, image,
     * member, status (NULL: identity only), vault, Glance's rules.
     *
     * "ok" finds the member row, by index probes, only when every rule
     * holds; "upd" writes it once, and not at all when it already has the
     * status (no lock, no transaction id, nothing to flush at commit);
     * "vault" keeps a new vault of an acceptance.  Without a row, the
     * same statement asks ims_member_update_failure() (sql/ims.sql) which
     * rule failed.
     */
    ngx_string("WITH c AS ("
               "SELECT project, admin"
               " FROM ims_member_identify($1::text, $2::text, $3::boolean)"
               "), ok AS ("
               "SELECT m.id, m.created_at, m.updated_at"
               " FROM c, images i, image_members m"
               " WHERE $6::text IN ('pending', 'accepted', 'rejected')"
               " AND i.id = $4::text AND NOT i.deleted"
               " AND i.visibility = 'shared'"
               " AND m.image_id = $4::text AND m.member = $5::text"
               " AND NOT m.deleted"
               " AND (c.admin OR (m.member = c.project"
               " AND i.owner IS DISTINCT FROM c.project"
               " AND NOT ($8::boolean AND i.owner IS NULL"
               " AND c.project = '')))"
               " AND NOT ($6::text = 'accepted' AND $7::text IS NULL"
               " AND EXISTS (SELECT 1 FROM image_properties p"
               " WHERE p.image_id = $4::text AND NOT p.deleted"
               " AND p.name = '__whole_image' AND p.value = 'true')"
               " AND EXISTS (SELECT 1 FROM image_properties p"
               " WHERE p.image_id = $4::text AND NOT p.deleted"
               " AND p.name = '__backup_id' AND p.value <> ''))"
               " LIMIT 1"
               "), upd AS ("
               "UPDATE image_members m"
               " SET status = $6::text, updated_at = now() AT TIME ZONE 'UTC'"
               " FROM ok WHERE m.id = ok.id AND NOT m.deleted"
               " AND m.status IS DISTINCT FROM $6::text"
               " RETURNING m.updated_at"
               "), vault AS ("
               "INSERT INTO ims_member_vaults AS v"
               " (image_id, member, vault_id, created_at, updated_at)"
               " SELECT $4::text, $5::text, $7::text,"
               " now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'"
               " FROM ok WHERE $6::text = 'accepted' AND $7::text IS NOT NULL"
               " AND NOT EXISTS (SELECT 1 FROM ims_member_vaults w"
               " WHERE w.image_id = $4::text AND w.member = $5::text"
               " AND w.vault_id = $7::text)"
               " ON CONFLICT (image_id, member) DO UPDATE"
               " SET vault_id = EXCLUDED.vault_id,"
               " updated_at = EXCLUDED.updated_at"
               ") SELECT CASE WHEN ok.id IS NULL"
               " THEN ims_member_update_failure($1::text, $2::text,"
               " $3::boolean, $4::text, $5::text, $6::text, $7::text,"
               " $8::boolean) ELSE 'ok' END,"
               " CASE WHEN ok.id IS NULL THEN NULL ELSE $6::text END,"
               " to_char(ok.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
               " to_char(coalesce(upd.updated_at, ok.updated_at,"
               " ok.created_at), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
               " FROM (SELECT 1) AS one"
               " LEFT JOIN ok ON true LEFT JOIN upd ON true"),

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
