-- What a database the previous version loaded needs: the error codes its
-- jobs recorded, in this version's codes, and the signatures its nginx
-- workers call, until they are reloaded.  Loaded by ims.sql (\ir) after
-- members.sql and jobs.sql: safe to run twice.

SET client_min_messages = warning;

BEGIN;

-- ims_jobs.codes: the codes a job and its results carry, NULL those the
-- previous version wrote (the module's own IMG.0005 to IMG.0029), 2 this
-- version's (IMS's published codes, and the module's IMG.9xxx).
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS codes smallint;
ALTER TABLE ims_jobs ALTER COLUMN codes SET DEFAULT 2;


-- ims_job_code_v1: a code the previous version recorded, as this version
-- records its cause (the module's cause table, ngx_http_ims_member_cause.c):
-- p_kind the job's, p_image the result's image (whose visibility names a
-- refusal for an image not shared), p_exhausted whether the job ended
-- because its slices failed too often.
CREATE OR REPLACE FUNCTION ims_job_code_v1(p_code text, p_kind text,
    p_image text, p_exhausted boolean)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE p_code
           WHEN 'IMG.0005' THEN 'IMG.0027'
           WHEN 'IMG.0006' THEN
               CASE (SELECT i.visibility::text FROM images i
                      WHERE i.id = p_image)
               WHEN 'public' THEN CASE p_kind WHEN 'add' THEN 'IMG.0089'
                                  ELSE 'IMG.0083' END
               WHEN 'community' THEN 'IMG.9011'
               ELSE 'IMG.0084' END
           WHEN 'IMG.0007' THEN 'IMG.0161'
           WHEN 'IMG.0008' THEN 'IMG.9005'
           WHEN 'IMG.0009' THEN 'IMG.9007'
           WHEN 'IMG.0011' THEN CASE WHEN p_exhausted THEN 'IMG.9012'
                                ELSE 'IMG.0061' END
           WHEN 'IMG.0023' THEN 'IMG.0047'
           WHEN 'IMG.0024' THEN 'IMG.9006'
           WHEN 'IMG.0025' THEN 'IMG.0088'
           WHEN 'IMG.0028' THEN 'IMG.0076'
           WHEN 'IMG.0029' THEN 'IMG.9005'
           ELSE p_code END
$$;

-- Once: each job (its code is its first failed result's, or the one of
-- its slices failing too often), then each result.  Jobs still running are
-- rewritten with the rest; what they record later is this version's.
UPDATE ims_jobs j
   SET error_code = ims_job_code_v1(j.error_code, j.kind,
                        (SELECT r.image_id FROM ims_job_images r
                          WHERE r.job_id = j.id AND r.error_code IS NOT NULL
                          ORDER BY r.seq LIMIT 1),
                        j.error_code = 'IMG.0011' AND j.failures > 0
                        AND NOT EXISTS (SELECT 1 FROM ims_job_images r
                                         WHERE r.job_id = j.id
                                           AND r.error_code = 'IMG.0011'))
 WHERE j.codes IS NULL AND j.error_code IS NOT NULL;

UPDATE ims_job_images r
   SET error_code = ims_job_code_v1(r.error_code, j.kind, r.image_id, false)
  FROM ims_jobs j
 WHERE j.id = r.job_id AND j.codes IS NULL AND r.error_code IS NOT NULL;

UPDATE ims_jobs SET codes = 2 WHERE codes IS NULL;

DROP FUNCTION ims_job_code_v1(text, text, text, boolean);


-- The previous version's calls without the events' parameters: its
-- workers' changes write their events too (no user, no request id) until
-- nginx is reloaded.
CREATE OR REPLACE PROCEDURE ims_member_set_status(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text, p_glance boolean, OUT o_result text,
    OUT o_status text, OUT o_created_at text, OUT o_updated_at text)
LANGUAGE plpgsql
AS $$
BEGIN
    CALL ims_member_set_status(p_token_sha256, p_project, p_admin, p_image,
                               p_member, p_status, p_vault, p_glance, true,
                               NULL, NULL, o_result, o_status, o_created_at,
                               o_updated_at);
END;
$$;

CREATE OR REPLACE PROCEDURE ims_member_set_status_try(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text, p_glance boolean, OUT o_skip boolean,
    OUT o_result text, OUT o_status text, OUT o_created_at text,
    OUT o_updated_at text)
LANGUAGE plpgsql
AS $$
BEGIN
    CALL ims_member_set_status_try(p_token_sha256, p_project, p_admin,
                                   p_image, p_member, p_status, p_vault,
                                   p_glance, true, NULL, NULL, o_skip,
                                   o_result, o_status, o_created_at,
                                   o_updated_at);
END;
$$;

CREATE OR REPLACE FUNCTION ims_member_set_status_group(
    p_token_sha256 text[], p_project text[], p_admin boolean[],
    p_image text[], p_member text[], p_status text[], p_vault text[],
    p_glance boolean[])
RETURNS TABLE (o_skip boolean, o_result text, o_status text,
               o_created_at text, o_updated_at text)
LANGUAGE sql
AS $$
    SELECT g.*
      FROM ims_member_set_status_group(p_token_sha256, p_project, p_admin,
               p_image, p_member, p_status, p_vault, p_glance,
               array_fill(true, ARRAY[cardinality(p_image)]),
               array_fill(NULL::text, ARRAY[cardinality(p_image)]),
               array_fill(NULL::text, ARRAY[cardinality(p_image)])) g
$$;

CREATE OR REPLACE FUNCTION ims_member_create(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_quota integer, p_glance boolean, p_reader boolean,
    p_member_role boolean, p_ims_quota integer[])
RETURNS TABLE (result text, status text, created_at text, updated_at text,
               attempted integer)
LANGUAGE sql
AS $$
    SELECT c.*
      FROM ims_member_create(p_token_sha256, p_project, p_admin, p_image,
                             p_member, p_quota, p_glance, p_reader,
                             p_member_role, p_ims_quota, true, NULL,
                             NULL) c
$$;

CREATE OR REPLACE FUNCTION ims_member_remove(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_glance boolean, p_reader boolean, p_member_role boolean)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    SELECT r.result
      FROM ims_member_remove(p_token_sha256, p_project, p_admin, p_image,
                             p_member, p_glance, p_reader, p_member_role,
                             true, NULL, NULL) r
$$;

CREATE OR REPLACE FUNCTION ims_job_submit(p_token_sha256 text,
    p_project text, p_admin boolean, p_job text, p_for_project text,
    p_status text, p_vault text, p_images json)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    SELECT s.result
      FROM ims_job_submit(p_token_sha256, p_project, p_admin, p_job,
                          p_for_project, p_status, p_vault, p_images, true,
                          NULL, NULL) s
$$;

CREATE OR REPLACE FUNCTION ims_job_submit_members(p_token_sha256 text,
    p_project text, p_admin boolean, p_job text, p_kind text,
    p_images json, p_projects json, p_quota integer, p_ims_quota integer[])
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    SELECT s.result
      FROM ims_job_submit_members(p_token_sha256, p_project, p_admin, p_job,
                                  p_kind, p_images, p_projects, p_quota,
                                  p_ims_quota, true, NULL, NULL) s
$$;


-- The previous version's signatures, for its workers while they run on:
-- a job goes on (a failure it records then has no code), a share is
-- Glance's, and a refusal for an image not shared is the old result.  Its
-- other calls have this version's signatures; it answers 500 to a
-- visibility it does not know (nothing is changed).  Reload nginx after
-- loading this file.
DROP FUNCTION IF EXISTS ims_job_step(text, text, integer, integer);

CREATE FUNCTION ims_job_step(p_worker text, p_job text,
    p_lease_ms integer, p_slice integer)
RETURNS TABLE (result text, job_id text)
LANGUAGE sql
AS $$
    SELECT s.result, s.job_id
      FROM ims_job_step(p_worker, p_job, p_lease_ms, p_slice, NULL::json) s
$$;

DROP FUNCTION IF EXISTS ims_job_failed(text, text, integer, integer);

CREATE FUNCTION ims_job_failed(p_worker text, p_job text, p_max integer,
    p_backoff_ms integer)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    SELECT f.result
      FROM ims_job_failed(p_worker, p_job, p_max, p_backoff_ms, NULL) f
$$;

DROP FUNCTION IF EXISTS ims_job_submit_members(text, text, boolean, text,
                                               text, json, json, integer);

CREATE FUNCTION ims_job_submit_members(p_token_sha256 text,
    p_project text, p_admin boolean, p_job text, p_kind text,
    p_images json, p_projects json, p_quota integer)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    SELECT s.result
      FROM ims_job_submit_members(p_token_sha256, p_project, p_admin, p_job,
                                  p_kind, p_images, p_projects, p_quota,
                                  NULL::integer[]) s
$$;

DROP FUNCTION IF EXISTS ims_member_create(text, text, boolean, text, text,
                                          integer, boolean, boolean,
                                          boolean);

CREATE FUNCTION ims_member_create(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_quota integer, p_glance boolean, p_reader boolean,
    p_member_role boolean)
RETURNS TABLE (result text, status text, created_at text, updated_at text,
               attempted integer)
LANGUAGE sql
AS $$
    SELECT CASE WHEN c.result IN ('public', 'private', 'community')
                THEN 'not_shared' ELSE c.result END,
           c.status, c.created_at, c.updated_at, c.attempted
      FROM ims_member_create(p_token_sha256, p_project, p_admin, p_image,
                             p_member, p_quota, p_glance, p_reader,
                             p_member_role, NULL::integer[]) c
$$;

COMMIT;
