
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_sql.h"


/*
 * The rules of the single member update, by index probes: "ok" is a live
 * row of the member when every one holds (see
 * NGX_HTTP_IMS_MEMBER_SQL_UPDATE); one, however many the pair has
 * (Glance's own schema lets it have several): a row, not an aggregate of
 * them, keeps the update as cheap as it is for one.
 */
#define NGX_HTTP_IMS_MEMBER_SQL_RULES                                         \
    "WITH c AS ("                                                             \
    "SELECT project, admin"                                                   \
    " FROM ims_member_identify($1::text, $2::text, $3::boolean)"              \
    "), ok AS ("                                                              \
    "SELECT m.id, m.status, m.created_at, m.updated_at"                       \
    " FROM c, images i, image_members m"                                      \
    " WHERE $6::text IN ('pending', 'accepted', 'rejected')"                  \
    " AND i.id = $4::text AND NOT i.deleted"                                  \
    " AND i.visibility = 'shared'"                                            \
    " AND m.image_id = $4::text AND m.member = $5::text"                      \
    " AND NOT m.deleted"                                                      \
    " AND (c.admin OR (m.member = c.project"                                  \
    " AND i.owner IS DISTINCT FROM c.project"                                 \
    " AND NOT ($8::boolean AND i.owner IS NULL"                               \
    " AND c.project = '')))"                                                  \
    " AND NOT ($6::text = 'accepted' AND $7::text IS NULL"                    \
    " AND EXISTS (SELECT 1 FROM image_properties p"                           \
    " WHERE p.image_id = $4::text AND NOT p.deleted"                          \
    " AND p.name = '__whole_image' AND p.value = 'true')"                     \
    " AND EXISTS (SELECT 1 FROM image_properties p"                           \
    " WHERE p.image_id = $4::text AND NOT p.deleted"                          \
    " AND p.name = '__backup_id' AND p.value <> ''))"                         \
    " LIMIT 1)"


/*
 * The member update of a group (ims_member_group_commit): one array per
 * parameter of NGX_HTTP_IMS_MEMBER_SQL_UPDATE, one element per request in
 * arrival order, one transaction for all.  One row per request, in that
 * order: whether its member row was left to run again alone ("skip":
 * another transaction holds it), then the row the single update gives.
 *
 * The arrays reach unnest() through a subquery the planner keeps: it
 * cannot count them then, neither in a plan for the values at hand nor
 * in the generic one, so that after five executions the generic plan
 * wins and the statement is no longer planned each time (about 2 ms).
 *
 * "c" holds the requests whose rules hold, with every live row of their
 * pair (Glance's own schema lets a pair have several); "l" locks, in id
 * order (so two groups never deadlock), only rows some request of the
 * group changes, and "k" are the requests one of whose rows it had to
 * leave (so every request of that pair).  In arrival order on a row, a
 * request changed it if it or one before it asked for another status than
 * the row had ("t"): each answers as if it had run alone after those
 * before it, and "upd" writes the row once, with the last status.
 * "vault" keeps the last vault of each pair.  The answer is one row per
 * request: its pair's first creation and last update ("ca"), and whether
 * it changed any row ("ta").
 */
#define NGX_HTTP_IMS_MEMBER_SQL_GROUP                                         \
    ngx_string("WITH r AS ("                                                  \
               "SELECT r.* FROM (SELECT $1::text[], $2::text[],"              \
               " $3::boolean[], $4::text[], $5::text[], $6::text[],"          \
               " $7::text[], $8::boolean[] OFFSET 0)"                         \
               " AS a (a1, a2, a3, a4, a5, a6, a7, a8),"                      \
               " unnest(a1, a2, a3, a4, a5, a6, a7, a8) WITH ORDINALITY"      \
               " AS r (token, project, admin, image, member, status, vault,"  \
               " glance, n)"                                                  \
               "), c AS ("                                                    \
               "SELECT r.n, r.status, m.id, m.status AS was, m.created_at,"   \
               " m.updated_at"                                                \
               " FROM r CROSS JOIN LATERAL ims_member_identify(r.token,"      \
               " r.project, r.admin) c, images i, image_members m"            \
               " WHERE r.status IN ('pending', 'accepted', 'rejected')"       \
               " AND i.id = r.image AND NOT i.deleted"                        \
               " AND i.visibility = 'shared'"                                 \
               " AND m.image_id = r.image AND m.member = r.member"            \
               " AND NOT m.deleted"                                           \
               " AND (c.admin OR (m.member = c.project"                       \
               " AND i.owner IS DISTINCT FROM c.project"                      \
               " AND NOT (r.glance AND i.owner IS NULL"                       \
               " AND c.project = '')))"                                       \
               " AND NOT (r.status = 'accepted' AND r.vault IS NULL"          \
               " AND EXISTS (SELECT 1 FROM image_properties p"                \
               " WHERE p.image_id = r.image AND NOT p.deleted"                \
               " AND p.name = '__whole_image' AND p.value = 'true')"          \
               " AND EXISTS (SELECT 1 FROM image_properties p"                \
               " WHERE p.image_id = r.image AND NOT p.deleted"                \
               " AND p.name = '__backup_id' AND p.value <> ''))"              \
               "), l AS ("                                                    \
               "SELECT m.id, m.status FROM image_members m"                   \
               " WHERE m.id IN (SELECT c.id FROM c WHERE c.status <> c.was)"  \
               " AND NOT m.deleted ORDER BY m.id FOR UPDATE SKIP LOCKED"     \
               "), k AS ("                                                    \
               "SELECT DISTINCT c.n FROM c"                                   \
               " WHERE c.id IN (SELECT c.id FROM c WHERE c.status <> c.was)"  \
               " AND c.id NOT IN (SELECT l.id FROM l)"                        \
               "), t AS ("                                                    \
               "SELECT c.n, c.id, c.status,"                                  \
               " bool_or(c.status <> l.status)"                               \
               " OVER (PARTITION BY c.id ORDER BY c.n) AS touched"            \
               " FROM c JOIN l ON l.id = c.id"                                \
               " WHERE c.n NOT IN (SELECT k.n FROM k)"                        \
               "), upd AS ("                                                  \
               "UPDATE image_members m"                                       \
               " SET status = f.status, updated_at = now() AT TIME ZONE 'UTC'"\
               " FROM (SELECT DISTINCT ON (t.id) t.id, t.status, t.touched"   \
               " FROM t ORDER BY t.id, t.n DESC) AS f"                        \
               " WHERE m.id = f.id AND f.touched"                             \
               "), vault AS ("                                                \
               "INSERT INTO ims_member_vaults AS v"                           \
               " (image_id, member, vault_id, created_at, updated_at)"        \
               " SELECT z.image, z.member, z.vault,"                          \
               " now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'"          \
               " FROM (SELECT DISTINCT ON (r.image, r.member)"                \
               " r.image, r.member, r.vault"                                  \
               " FROM c JOIN r ON r.n = c.n"                                  \
               " WHERE r.status = 'accepted' AND r.vault IS NOT NULL"         \
               " AND c.n NOT IN (SELECT k.n FROM k)"                          \
               " ORDER BY r.image, r.member, c.n DESC) AS z"                  \
               " WHERE NOT EXISTS (SELECT 1 FROM ims_member_vaults w"         \
               " WHERE w.image_id = z.image AND w.member = z.member"          \
               " AND w.vault_id = z.vault)"                                   \
               " ON CONFLICT (image_id, member) DO UPDATE"                    \
               " SET vault_id = EXCLUDED.vault_id,"                           \
               " updated_at = EXCLUDED.updated_at"                            \
               "), ca AS ("                                                   \
               "SELECT c.n, min(c.created_at) AS created_at,"                 \
               " max(coalesce(c.updated_at, c.created_at)) AS updated_at"     \
               " FROM c GROUP BY c.n"                                         \
               "), ta AS ("                                                   \
               "SELECT t.n, bool_or(t.touched) AS touched FROM t GROUP BY t.n"\
               ") SELECT k.n IS NOT NULL,"                                    \
               " CASE WHEN ca.n IS NULL"                                      \
               " THEN ims_member_update_failure(r.token, r.project,"          \
               " r.admin, r.image, r.member, r.status, r.vault, r.glance)"    \
               " WHEN k.n IS NOT NULL THEN 'skip' ELSE 'ok' END,"             \
               " CASE WHEN ca.n IS NULL THEN NULL ELSE r.status END,"         \
               " to_char(ca.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"   \
               " to_char(CASE WHEN ta.touched THEN now() AT TIME ZONE 'UTC'"  \
               " ELSE ca.updated_at END, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"   \
               " FROM r LEFT JOIN ca ON ca.n = r.n LEFT JOIN ta ON ta.n = r.n"\
               " LEFT JOIN k ON k.n = r.n ORDER BY r.n")


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
     * "ok" finds the membership, by index probes, only when every rule
     * holds; "upd" writes each of its live rows that has another status,
     * once, all at the same time, and none when all have it already (no
     * lock, no transaction id, nothing to flush at commit); "vault" keeps
     * a new vault of an acceptance.  Without a row, the same statement asks
     * ims_member_update_failure() (sql/ims.sql) which rule failed.
     */
    ngx_string(NGX_HTTP_IMS_MEMBER_SQL_RULES
               ", upd AS ("
               "UPDATE image_members m"
               " SET status = $6::text, updated_at = now() AT TIME ZONE 'UTC'"
               " FROM ok WHERE m.image_id = $4::text AND m.member = $5::text"
               " AND NOT m.deleted AND m.status IS DISTINCT FROM $6::text"
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
               " to_char(coalesce((SELECT upd.updated_at FROM upd LIMIT 1),"
               " ok.updated_at, ok.created_at),"
               " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
               " FROM (SELECT 1) AS one LEFT JOIN ok ON true"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT: token hash, project, admin,
     * job id, project_id (NULL: identity only), status, vault, images */
    ngx_string("SELECT result FROM ims_job_submit($1, $2, $3::boolean, $4,"
               " $5, $6, $7, $8::json)"),

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
     * result rows */
    ngx_string("SELECT purged, rows FROM ims_job_purge($1::integer,"
               " $2::integer)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_UPDATE_GROUP: a group, rows others hold
     * left for later */
    NGX_HTTP_IMS_MEMBER_SQL_GROUP,

    /*
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE_ONE: a group of one, the parameters of
     * NGX_HTTP_IMS_MEMBER_SQL_UPDATE; its row as a group's: whether the
     * member row was left because another transaction holds it ("lk"
     * finds it locked), then the single update's row.  Other live rows of
     * the member (Glance's own schema lets it have several) are written
     * too, waiting for them if another transaction holds one.
     */
    ngx_string(NGX_HTTP_IMS_MEMBER_SQL_RULES
               ", lk AS ("
               "SELECT m.id FROM ok, image_members m"
               " WHERE m.id = ok.id AND NOT m.deleted"
               " AND ok.status IS DISTINCT FROM $6::text"
               " FOR UPDATE OF m SKIP LOCKED"
               "), skip AS ("
               "SELECT ok.status IS DISTINCT FROM $6::text"
               " AND NOT EXISTS (SELECT 1 FROM lk) AS skip FROM ok"
               "), upd AS ("
               "UPDATE image_members m"
               " SET status = $6::text, updated_at = now() AT TIME ZONE 'UTC'"
               " FROM skip WHERE m.image_id = $4::text AND m.member = $5::text"
               " AND NOT m.deleted AND m.status IS DISTINCT FROM $6::text"
               " AND NOT skip.skip"
               " RETURNING m.updated_at"
               "), vault AS ("
               "INSERT INTO ims_member_vaults AS v"
               " (image_id, member, vault_id, created_at, updated_at)"
               " SELECT $4::text, $5::text, $7::text,"
               " now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'"
               " FROM skip WHERE NOT skip.skip"
               " AND $6::text = 'accepted' AND $7::text IS NOT NULL"
               " AND NOT EXISTS (SELECT 1 FROM ims_member_vaults w"
               " WHERE w.image_id = $4::text AND w.member = $5::text"
               " AND w.vault_id = $7::text)"
               " ON CONFLICT (image_id, member) DO UPDATE"
               " SET vault_id = EXCLUDED.vault_id,"
               " updated_at = EXCLUDED.updated_at"
               ") SELECT coalesce(skip.skip, false),"
               " CASE WHEN ok.id IS NULL"
               " THEN ims_member_update_failure($1::text, $2::text,"
               " $3::boolean, $4::text, $5::text, $6::text, $7::text,"
               " $8::boolean) WHEN skip.skip THEN 'skip' ELSE 'ok' END,"
               " CASE WHEN ok.id IS NULL THEN NULL ELSE $6::text END,"
               " to_char(ok.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
               " to_char(coalesce((SELECT upd.updated_at FROM upd LIMIT 1),"
               " ok.updated_at, ok.created_at),"
               " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
               " FROM (SELECT 1) AS one LEFT JOIN ok ON true"
               " LEFT JOIN skip ON true"),

    /* NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE: token hash, project, admin,
     * image (NULL: identity only), member, quota (NULL: none), Glance's
     * rules, the roles of its new policies (NULL: the legacy rules), IMS's
     * limits by kind of image (NULL: IMS's sharing rules do not apply) */
    ngx_string("SELECT result, status, created_at, updated_at, attempted"
               " FROM ims_member_create($1, $2, $3::boolean, $4, $5,"
               " $6::integer, $7::boolean, $8::boolean, $9::boolean,"
               " $10::integer[])"),

    /* NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST: token hash, project, admin,
     * image (NULL: identity only), member (NULL: all), Glance's rules,
     * the roles of its new policies (NULL: the legacy rules) */
    ngx_string("SELECT result, member, status, created_at, updated_at"
               " FROM ims_member_list($1, $2, $3::boolean, $4, $5,"
               " $6::boolean, $7::boolean, $8::boolean)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE: token hash, project, admin,
     * image (NULL: identity only), member, Glance's rules, the roles of
     * its new policies (NULL: the legacy rules) */
    ngx_string("SELECT result FROM ims_member_remove($1, $2, $3::boolean,"
               " $4, $5, $6::boolean, $7::boolean, $8::boolean)"),

    /* NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS: token hash, project, admin,
     * job id, kind ("add", "delete"; NULL: identity only), images,
     * projects, quota (NULL: none), IMS's limits by kind of image */
    ngx_string("SELECT result FROM ims_job_submit_members($1, $2,"
               " $3::boolean, $4, $5, $6::json, $7::json, $8::integer,"
               " $9::integer[])"),
};
