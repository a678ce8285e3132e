-- The batch jobs of /v1/cloudimages/members and their queries, loaded by
-- ims.sql (\ir): safe to run twice.

SET client_min_messages = warning;


-- Batch member updates (PUT /v1/cloudimages/members) are jobs: written in
-- one transaction when submitted, then run by the timer of whichever nginx
-- worker claims them first.  A claim is a lease: a job whose worker died
-- is taken up again once its lease ends.

BEGIN;

CREATE TABLE IF NOT EXISTS ims_jobs (
    id             char(32)     PRIMARY KEY,
    project_id     varchar(255) NOT NULL,
    submitter      varchar(255) NOT NULL,
    is_admin       boolean      NOT NULL,
    member_status  varchar(20)  NOT NULL
                   CHECK (member_status IN ('accepted', 'rejected')),
    vault_id       text,
    status         varchar(10)  NOT NULL DEFAULT 'INIT'
                   CHECK (status IN ('INIT', 'RUNNING', 'SUCCESS', 'FAIL')),
    total          integer      NOT NULL,
    done           integer      NOT NULL DEFAULT 0,
    failed         integer      NOT NULL DEFAULT 0,
    error_code     varchar(16),
    created_at     timestamp without time zone NOT NULL,
    begin_time     timestamp without time zone,
    end_time       timestamp without time zone,
    worker         text,
    lease_until    timestamptz,
    claims         integer      NOT NULL DEFAULT 0,
    images         text[]       NOT NULL
) WITH (fillfactor = 50);

-- a job whose step failed waits until retry_at; after a few failures it
-- ends FAIL (ims_job_failed())
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS failures integer NOT NULL
    DEFAULT 0;
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS retry_at timestamptz;

-- what a job does: "update" the project_id's memberships of the images
-- (PUT), or "add" / "delete" the members "projects" of the images (POST,
-- DELETE; one result per image and project, images first, at most "quota"
-- live members an image, NULL: no limit); their submitter owns the images
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS kind varchar(10) NOT NULL
    DEFAULT 'update' CHECK (kind IN ('update', 'add', 'delete'));
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS projects text[];
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS quota integer;
ALTER TABLE ims_jobs ALTER COLUMN member_status DROP NOT NULL;

-- the limits of IMS's sharing rules an add job shares with (see
-- ims_member_share()): {system or data disk image, full-ECS image}, an
-- element NULL: no such limit; NULL (a job submitted before the column
-- existed): neither limit
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS ims_quota integer[];

-- what the job's changes record as their events (sql/events.sql): whether
-- to write them (NULL, a job submitted before the column existed: yes),
-- the Keystone user and the request that submitted it
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS events boolean;
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS submitter_user varchar(255);
ALTER TABLE ims_jobs ADD COLUMN IF NOT EXISTS request_id varchar(128);

CREATE INDEX IF NOT EXISTS ims_jobs_todo
    ON ims_jobs (created_at) WHERE status IN ('INIT', 'RUNNING');
CREATE INDEX IF NOT EXISTS ims_jobs_finished
    ON ims_jobs (end_time) WHERE status IN ('SUCCESS', 'FAIL');

-- The result of each image of a job, written when its slice runs; the
-- images themselves are the array ims_jobs.images, in the request's order.
CREATE TABLE IF NOT EXISTS ims_job_images (
    job_id      char(32)     NOT NULL REFERENCES ims_jobs (id)
                             ON DELETE CASCADE,
    seq         integer      NOT NULL,
    image_id    text         NOT NULL,
    status      varchar(10)  NOT NULL CHECK (status IN ('SUCCESS', 'FAIL')),
    error_code  varchar(16),
    PRIMARY KEY (job_id, seq)
);

-- the member project of an image's result in an add or delete job
ALTER TABLE ims_job_images ADD COLUMN IF NOT EXISTS project_id text;


-- ims_job_submit: identity, the 403 rule, and the job with its images in
-- one transaction; workers listening on "ims_member_jobs" wake up at its
-- commit.  result: unauthorized, identified (p_for_project is NULL:
-- identity only), forbidden, ok.  p_events, p_user, p_request: what the
-- job's events record (see ims_jobs.events).
CREATE OR REPLACE FUNCTION ims_job_submit(p_token_sha256 text,
    p_project text, p_admin boolean, p_job text, p_for_project text,
    p_status text, p_vault text, p_images json, p_events boolean,
    p_user text, p_request text)
RETURNS TABLE (result text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    v_now      timestamp without time zone;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized';
        RETURN;
    END IF;

    IF p_for_project IS NULL THEN
        RETURN QUERY SELECT 'identified';
        RETURN;
    END IF;

    IF p_for_project <> v_project AND NOT v_admin THEN
        RETURN QUERY SELECT 'forbidden';
        RETURN;
    END IF;

    v_now := now() AT TIME ZONE 'UTC';

    INSERT INTO ims_jobs (id, project_id, submitter, is_admin, member_status,
                          vault_id, total, created_at, images, events,
                          submitter_user, request_id)
    VALUES (p_job, p_for_project, v_project, v_admin, p_status, p_vault,
            json_array_length(p_images), v_now,
            ARRAY(SELECT json_array_elements_text(p_images)), p_events,
            p_user, p_request);

    PERFORM pg_notify('ims_member_jobs', p_job);

    RETURN QUERY SELECT 'ok';
END;
$$;



-- ims_job_submit_members: identity and an add (POST) or delete (DELETE)
-- job of the caller's, p_kind "add" or "delete", one transaction; every
-- image-project pair is checked when the job runs.  An add shares with
-- IMS's sharing rules, p_quota (NULL: none) and p_ims_quota the limits of
-- ims_member_share() (NULL: neither of IMS's limits).  result:
-- unauthorized, identified (p_kind is NULL: identity only), ok.
-- p_events, p_user, p_request: as ims_job_submit()'s.
CREATE OR REPLACE FUNCTION ims_job_submit_members(p_token_sha256 text,
    p_project text, p_admin boolean, p_job text, p_kind text,
    p_images json, p_projects json, p_quota integer, p_ims_quota integer[],
    p_events boolean, p_user text, p_request text)
RETURNS TABLE (result text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized';
        RETURN;
    END IF;

    IF p_kind IS NULL THEN
        RETURN QUERY SELECT 'identified';
        RETURN;
    END IF;

    INSERT INTO ims_jobs (id, project_id, submitter, is_admin, kind,
                          total, created_at, images, projects, quota,
                          ims_quota, events, submitter_user, request_id)
    VALUES (p_job, v_project, v_project, v_admin, p_kind,
            json_array_length(p_images) * json_array_length(p_projects),
            now() AT TIME ZONE 'UTC',
            ARRAY(SELECT json_array_elements_text(p_images)),
            ARRAY(SELECT json_array_elements_text(p_projects)), p_quota,
            p_ims_quota, p_events, p_user, p_request);

    PERFORM pg_notify('ims_member_jobs', p_job);

    RETURN QUERY SELECT 'ok';
END;
$$;


-- ims_job_code: the error code of the result p_result of a job of kind
-- p_kind: NULL for "ok", else the code p_codes gives the kind and the
-- result (see ims_job_step()), or its "internal" one when it names none.
CREATE OR REPLACE FUNCTION ims_job_code(p_codes json, p_kind text,
    p_result text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN p_result = 'ok' THEN NULL
                ELSE coalesce(p_codes -> p_kind ->> p_result,
                              p_codes ->> 'internal') END
$$;


-- ims_job_members_slice: pairs p_lo to p_hi of an add or delete job, pair
-- n being image (n - 1) / projects + 1 and project (n - 1) % projects + 1,
-- each shared or unshared as the single calls do, an add always with IMS's
-- sharing rules and the job's limits (ims_member_share(): the owner's own
-- project, gold images and full-ECS images without a backup refused); each
-- failing result recorded with the code p_codes gives it (see
-- ims_job_step()).  The slice's images are
-- locked first, in one order, then the memberships a delete removes, in
-- id order, so that it never deadlocks with another job or an update
-- group.  Returns the number of pairs that failed.
DROP FUNCTION IF EXISTS ims_job_members_slice(ims_jobs, integer, integer);

CREATE OR REPLACE FUNCTION ims_job_members_slice(j ims_jobs, p_lo integer,
    p_hi integer, p_codes json)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_np      integer := cardinality(j.projects);
    v_n       integer;
    v_image   text;
    v_member  text;
    v_result  text;
    v_failed  integer := 0;
BEGIN
    PERFORM 1 FROM images i
      WHERE i.id IN (SELECT j.images[(n - 1) / v_np + 1]
                       FROM generate_series(p_lo, p_hi) AS n)
        AND NOT i.deleted
      ORDER BY i.id
        FOR NO KEY UPDATE;

    -- the memberships a delete removes, locked in id order as update jobs
    -- and update groups lock them, before any is changed
    IF j.kind = 'delete' THEN
        PERFORM 1 FROM image_members m
          WHERE (m.image_id, m.member) IN
                (SELECT j.images[(n - 1) / v_np + 1],
                        j.projects[(n - 1) % v_np + 1]
                   FROM generate_series(p_lo, p_hi) AS n)
            AND NOT m.deleted
          ORDER BY m.id
            FOR UPDATE;
    END IF;

    FOR v_n IN p_lo .. p_hi LOOP
        v_image := j.images[(v_n - 1) / v_np + 1];
        v_member := j.projects[(v_n - 1) % v_np + 1];

        IF j.kind = 'add' THEN
            SELECT s.result INTO v_result
              FROM ims_member_share(j.submitter, j.is_admin, false, v_image,
                                    v_member, j.quota,
                                    coalesce(j.ims_quota,
                                             '{NULL,NULL}'::integer[]),
                                    j.events, j.submitter_user,
                                    j.request_id, j.id) s;
        ELSE
            v_result := ims_member_unshare(j.submitter, j.is_admin, false,
                                           v_image, v_member, j.events,
                                           j.submitter_user, j.request_id,
                                           j.id);
        END IF;

        INSERT INTO ims_job_images (job_id, seq, image_id, project_id,
                                    status, error_code)
        VALUES (j.id, v_n, v_image, v_member,
                CASE WHEN v_result = 'ok' THEN 'SUCCESS' ELSE 'FAIL' END,
                ims_job_code(p_codes, j.kind, v_result));

        IF v_result IS DISTINCT FROM 'ok' THEN
            v_failed := v_failed + 1;
        END IF;
    END LOOP;

    RETURN v_failed;
END;
$$;


-- ims_job_update_slice: images p_lo to p_hi of an update job, each
-- decided as a single update of j.project_id's own membership by the
-- caller j.project_id (an administrator if j.is_admin) would be, by
-- ims_member_update_failure(): those that pass ("ok") have every live row
-- of their membership set to j.member_status (a repeat changes nothing)
-- and the vault of an acceptance kept; each failing result recorded with
-- the code p_codes gives it (see ims_job_step()).  Returns the number of
-- images that failed.
--
-- The memberships the slice may change are locked first, in one order
-- (concurrent jobs never deadlock), and only while live: the checks then
-- read, in a snapshot taken under the locks, the memberships and images as
-- they are now.  A membership deleted or an image made non-shared while
-- this waited for a lock fails its check.
CREATE OR REPLACE FUNCTION ims_job_update_slice(j ims_jobs, p_lo integer,
    p_hi integer, p_codes json)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_now      timestamp without time zone := now() AT TIME ZONE 'UTC';
    v_results  text[];
    v_rows     integer[];
BEGIN
    PERFORM 1 FROM image_members m
      WHERE m.image_id = ANY (j.images[p_lo:p_hi])
        AND m.member = j.project_id AND NOT m.deleted
      ORDER BY m.id
        FOR UPDATE;

    -- one check per image, whatever number of live rows its pair has
    -- (Glance's own schema lets it have several)
    SELECT array_agg(ims_member_update_failure(NULL, j.project_id,
                                               j.is_admin, t.image_id,
                                               j.project_id,
                                               j.member_status, j.vault_id,
                                               false)
                     ORDER BY t.n)
      INTO v_results
      FROM unnest(j.images[p_lo:p_hi]) WITH ORDINALITY AS t(image_id, n);

    -- then every live row of the pairs that passed (each image beside its
    -- result by a zip of the two arrays: a subscript of a text array walks
    -- it from its start)
    SELECT array_agg(m.id ORDER BY m.id) INTO v_rows
      FROM unnest(j.images[p_lo:p_hi], v_results) AS t(image_id, result)
      JOIN image_members m
        ON m.image_id = t.image_id AND m.member = j.project_id
       AND NOT m.deleted
     WHERE t.result = 'ok';

    IF v_rows IS NOT NULL THEN

        -- a repeat of a member's status changes nothing, as in an update;
        -- one event for each pair changed, in the job's order
        WITH upd AS (
            UPDATE image_members m
               SET status = j.member_status, updated_at = v_now
             WHERE m.id = ANY (v_rows)
               AND m.status IS DISTINCT FROM j.member_status
            RETURNING m.image_id, m.created_at
        )
        INSERT INTO ims_member_events (event_type, image_id, member,
                                       status, member_created_at,
                                       member_updated_at, project_id,
                                       user_id, request_id, job_id,
                                       created_at)
        SELECT 'image.member.update', u.image_id, j.project_id,
               j.member_status, u.created_at, v_now, j.submitter,
               j.submitter_user, j.request_id, j.id, v_now
          FROM (SELECT upd.image_id, min(upd.created_at) AS created_at
                  FROM upd GROUP BY upd.image_id) u,
               LATERAL (SELECT min(t.n) AS n
                          FROM unnest(j.images[p_lo:p_hi]) WITH ORDINALITY
                               AS t(image_id, n)
                         WHERE t.image_id = u.image_id) o
         WHERE coalesce(j.events, true)
         ORDER BY o.n;

        IF FOUND THEN
            PERFORM ims_member_events_wake();
        END IF;

        -- the vault of an acceptance is kept, on a repeat too
        IF j.member_status = 'accepted' AND j.vault_id IS NOT NULL THEN
            INSERT INTO ims_member_vaults AS v
                   (image_id, member, vault_id, created_at, updated_at)
            SELECT DISTINCT m.image_id, m.member, j.vault_id, v_now, v_now
              FROM image_members m
             WHERE m.id = ANY (v_rows)
            ON CONFLICT (image_id, member)
            DO UPDATE SET vault_id = EXCLUDED.vault_id,
                          updated_at = EXCLUDED.updated_at
             WHERE v.vault_id IS DISTINCT FROM EXCLUDED.vault_id;
        END IF;
    END IF;

    -- the results, under the job's primary key: a slice cannot be recorded
    -- twice
    INSERT INTO ims_job_images (job_id, seq, image_id, status, error_code)
    SELECT j.id, p_lo + t.n - 1, t.image_id,
           CASE WHEN t.result = 'ok' THEN 'SUCCESS' ELSE 'FAIL' END,
           ims_job_code(p_codes, 'update', t.result)
      FROM unnest(j.images[p_lo:p_hi], v_results) WITH ORDINALITY
           AS t(image_id, result, n);

    RETURN (SELECT count(*) FROM unnest(v_results) AS r(result)
             WHERE r.result IS DISTINCT FROM 'ok');
END;
$$;


-- ims_job_step: one short transaction of a worker's job loop.
--
-- With p_job NULL: claims the oldest job nobody holds (or whose lease
-- ended) and that is not waiting after a failed step; the claim commits on
-- its own, so a slice that fails leaves the worker knowing its job.  With
-- p_job: runs the next slice of a job the worker holds.  A slice of an
-- update job applies to the next p_slice images exactly the checks of the
-- single update (ims_job_update_slice()); a slice of an add or delete job
-- shares or unshares the next p_slice image-project pairs as the single
-- calls do (ims_job_members_slice()).  Either records each result and the
-- job's count done in the same transaction, under the job's row lock, so
-- nothing is done twice and one failure does not undo the others.  A job
-- that ends with failures takes the code of its first failing result.
--
-- p_codes: the error code of each failing result, as the module's single
-- calls answer it, {"add": {"<result>": "<code>", ...}, "delete": {...},
-- "update": {...}, "internal": "<code>"}: a result is looked up under its
-- job's kind, and one the kind does not name takes "internal".
--
-- result: idle (nothing to claim), more (p_job has images left, the lease
-- is extended), finished (p_job is SUCCESS or FAIL), lost (the lease ended
-- and another worker holds p_job).
--
-- A slice looks its images and members up by primary key: the planner,
-- costing for disk, would rather hash whole Glance tables (100,000 images
-- scanned to check 10,000), so hash and merge joins are off in here only.
DROP FUNCTION IF EXISTS ims_job_step(text, text, integer, integer, integer);

CREATE OR REPLACE FUNCTION ims_job_step(p_worker text, p_job text,
    p_lease_ms integer, p_slice integer, p_codes json)
RETURNS TABLE (result text, job_id text)
LANGUAGE plpgsql
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    j          ims_jobs%ROWTYPE;
    v_now      timestamp without time zone;
    v_lo       integer;
    v_hi       integer;
    v_n        integer;
    v_failed   integer;
BEGIN
    v_now := now() AT TIME ZONE 'UTC';

    IF p_job IS NULL THEN
        SELECT * INTO j
          FROM ims_jobs c
         WHERE c.status IN ('INIT', 'RUNNING')
           AND (c.lease_until IS NULL OR c.lease_until < now())
           AND (c.retry_at IS NULL OR c.retry_at <= now())
         ORDER BY c.created_at
         LIMIT 1
           FOR UPDATE SKIP LOCKED;

        IF NOT FOUND THEN
            RETURN QUERY SELECT 'idle', NULL::text;
            RETURN;
        END IF;

        UPDATE ims_jobs c
           SET status = 'RUNNING', begin_time = coalesce(c.begin_time, v_now),
               worker = p_worker, claims = c.claims + 1,
               lease_until = now() + make_interval(secs => p_lease_ms / 1000.0)
         WHERE c.id = j.id;

        RETURN QUERY SELECT 'more', j.id::text;
        RETURN;

    ELSE
        SELECT * INTO j FROM ims_jobs c WHERE c.id = p_job FOR UPDATE;

        IF NOT FOUND OR j.worker IS DISTINCT FROM p_worker
           OR j.status NOT IN ('INIT', 'RUNNING')
        THEN
            RETURN QUERY SELECT 'lost', p_job;
            RETURN;
        END IF;
    END IF;

    -- the images left are those after "done" in the job's array
    v_lo := j.done + 1;
    v_hi := least(j.done + p_slice, j.total);

    /*
     * A pair of an add or delete job is a share or unshare of its own
     * (about 0.1 ms), under its image's lock until the slice commits: at
     * most 1,000 pairs a slice keep single shares of those images from
     * waiting long.
     */

    IF j.kind <> 'update' THEN
        v_hi := least(v_hi, j.done + 1000);
        v_failed := ims_job_members_slice(j, v_lo, v_hi, p_codes);
    ELSE
        v_failed := ims_job_update_slice(j, v_lo, v_hi, p_codes);
    END IF;

    v_n := v_hi - v_lo + 1;

    IF j.done + v_n >= j.total THEN
        UPDATE ims_jobs c
           SET done = c.done + v_n, failed = c.failed + v_failed,
               status = CASE WHEN c.failed + v_failed > 0 THEN 'FAIL'
                             ELSE 'SUCCESS' END,
               error_code = (SELECT r.error_code FROM ims_job_images r
                              WHERE r.job_id = j.id AND r.status = 'FAIL'
                              ORDER BY r.seq LIMIT 1),
               end_time = v_now, lease_until = NULL
         WHERE c.id = j.id;

        RETURN QUERY SELECT 'finished', j.id::text;
        RETURN;
    END IF;

    UPDATE ims_jobs c
       SET done = c.done + v_n, failed = c.failed + v_failed,
           lease_until = now() + make_interval(secs => p_lease_ms / 1000.0)
     WHERE c.id = j.id;

    RETURN QUERY SELECT 'more', j.id::text;
END;
$$;


-- ims_job_failed: a slice of p_job failed as a whole (a statement_timeout,
-- a plan error after a schema change, ...): its transaction rolled back,
-- so this one records it.  The job waits p_backoff_ms, doubling after each
-- failure, while other jobs run; at p_max failures it ends FAIL with the
-- error code p_code (the module's: the server could not run the job).
--
-- result: retry, failed, lost (the worker no longer holds the job: no
-- row).
CREATE OR REPLACE FUNCTION ims_job_failed(p_worker text, p_job text,
    p_max integer, p_backoff_ms integer, p_code text)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    UPDATE ims_jobs c
       SET failures = c.failures + 1, worker = NULL, lease_until = NULL,
           retry_at = now() + make_interval(
               secs => p_backoff_ms / 1000.0 * power(2, least(c.failures, 16))),
           status = CASE WHEN c.failures + 1 >= p_max THEN 'FAIL'
                         ELSE c.status END,
           error_code = CASE WHEN c.failures + 1 >= p_max THEN p_code
                             ELSE c.error_code END,
           end_time = CASE WHEN c.failures + 1 >= p_max
                           THEN now() AT TIME ZONE 'UTC'
                           ELSE c.end_time END
     WHERE c.id = p_job AND c.worker = p_worker
       AND c.status IN ('INIT', 'RUNNING')
    RETURNING CASE WHEN c.status = 'FAIL' THEN 'failed' ELSE 'retry' END
$$;


-- ims_job_purge: retention, a statement of its own and never part of a
-- claim.  Finished jobs past p_retention_s that no other worker is purging
-- (SKIP LOCKED): at most p_rows of their per-image results go, and the
-- jobs that have none left.  result: purged (jobs removed), rows (results
-- removed).
CREATE OR REPLACE FUNCTION ims_job_purge(p_retention_s integer,
    p_rows integer)
RETURNS TABLE (purged integer, rows integer)
LANGUAGE plpgsql
AS $$
DECLARE
    v_ids   text[];
    v_rows  integer;
    v_jobs  integer;
BEGIN
    SELECT array_agg(f.id) INTO v_ids
      FROM (SELECT f.id FROM ims_jobs f
             WHERE f.status IN ('SUCCESS', 'FAIL')
               AND f.end_time < (now() AT TIME ZONE 'UTC')
                                - make_interval(secs => p_retention_s)
             ORDER BY f.end_time
             LIMIT 100
               FOR UPDATE SKIP LOCKED) f;

    IF v_ids IS NULL THEN
        RETURN QUERY SELECT 0, 0;
        RETURN;
    END IF;

    DELETE FROM ims_job_images r
     WHERE (r.job_id, r.seq) IN (SELECT s.job_id, s.seq
                                   FROM ims_job_images s
                                  WHERE s.job_id = ANY (v_ids)
                                  LIMIT p_rows);

    GET DIAGNOSTICS v_rows = ROW_COUNT;

    DELETE FROM ims_jobs d
     WHERE d.id = ANY (v_ids)
       AND NOT EXISTS (SELECT 1 FROM ims_job_images r
                        WHERE r.job_id = d.id);

    GET DIAGNOSTICS v_jobs = ROW_COUNT;

    RETURN QUERY SELECT v_jobs, v_rows;
END;
$$;


-- ims_job_release: a worker that stops (nginx reload or shutdown) lets go
-- of the job it holds, for another worker to go on with it at once.
CREATE OR REPLACE FUNCTION ims_job_release(p_worker text, p_job text)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    UPDATE ims_jobs c SET worker = NULL, lease_until = NULL
     WHERE c.id = p_job AND c.worker = p_worker
       AND c.status IN ('INIT', 'RUNNING')
    RETURNING 'released'::text
$$;


-- ims_json: a JSON string literal, written as the module's own JSON is
-- (jansson with JSON_ENSURE_ASCII): \" \\ \b \f \n \r \t, other controls and
-- every character past ASCII as \uXXXX (a surrogate pair past U+FFFF).
-- The common case, printable ASCII with nothing to escape, is one regex.
CREATE OR REPLACE FUNCTION ims_json(p text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v  text := '"';
    c  text;
    n  integer;
    i  integer;
BEGIN
    IF p ~ '^[\x20-\x21\x23-\x5b\x5d-\x7f]*$' THEN
        RETURN '"' || p || '"';
    END IF;

    FOR i IN 1 .. length(p) LOOP
        c := substr(p, i, 1);
        n := ascii(c);

        v := v || CASE
            WHEN c = '"' THEN '\"'
            WHEN c = '\' THEN '\\'
            WHEN n = 8 THEN '\b'
            WHEN n = 12 THEN '\f'
            WHEN n = 10 THEN '\n'
            WHEN n = 13 THEN '\r'
            WHEN n = 9 THEN '\t'
            WHEN n < 32 OR (n > 127 AND n < 65536)
                THEN '\u' || upper(lpad(to_hex(n), 4, '0'))
            WHEN n >= 65536
                THEN '\u' || upper(to_hex(55296 + ((n - 65536) >> 10)))
                     || '\u' || upper(to_hex(56320 + ((n - 65536) & 1023)))
            ELSE c
        END;
    END LOOP;

    RETURN v || '"';
END;
$$;


-- ims_job_get: a job and its per-image results, for the caller if it may
-- see it: its project is the caller's (an administrator sees every job)
-- and, when p_url_project is given, that of the URL.
--
-- The answer's JSON is written here, as text the module sends as it is
-- (a 100,000-image job is ~10 MB): a first row whose "head" runs up to
-- "fail_reason": , then one row ("results") per 1,000 results, each the
-- elements of the results array; the module puts the reason, the
-- brackets and commas and the progress in between.  Rows of ~100 kB keep
-- libpq's input buffer small.  result: unauthorized, not_found, ok, then
-- results.
DROP FUNCTION IF EXISTS ims_job_get(text, text, boolean, text, text);

CREATE OR REPLACE FUNCTION ims_job_get(p_token_sha256 text, p_project text,
    p_admin boolean, p_job text, p_url_project text)
RETURNS TABLE (result text, status text, error_code text, total integer,
               done integer, head text, results text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    j          ims_jobs%ROWTYPE;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized', NULL::text, NULL::text,
            NULL::integer, NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;

    SELECT * INTO j FROM ims_jobs c WHERE c.id = p_job;

    IF NOT FOUND
       OR (p_url_project IS NOT NULL AND j.project_id <> p_url_project)
       OR (j.project_id <> v_project AND NOT v_admin)
    THEN
        RETURN QUERY SELECT 'not_found', NULL::text, NULL::text,
            NULL::integer, NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;

    RETURN QUERY
        SELECT 'ok', j.status::text, j.error_code::text, j.total, j.done,
               '{"status": ' || ims_json(j.status)
               || ', "job_id": ' || ims_json(j.id)
               || ', "job_type": '
               || CASE j.kind WHEN 'add' THEN '"imsAddImageMembersJob"'
                  WHEN 'delete' THEN '"imsDelImageMembersJob"'
                  ELSE '"imsUpdateImageMembersJob"' END
               || ', "begin_time": '
               || coalesce(ims_json(to_char(j.begin_time,
                                            'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                           'null')
               || ', "end_time": '
               || coalesce(ims_json(to_char(j.end_time,
                                            'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                           'null')
               || ', "error_code": '
               || coalesce(ims_json(j.error_code), 'null')
               || ', "fail_reason": ',
               NULL::text;

    RETURN QUERY
        SELECT 'results', NULL::text, NULL::text, NULL::integer,
               NULL::integer, NULL::text,
               string_agg('{"image_id": ' || ims_json(r.image_id)
                          || ', "project_id": '
                          || ims_json(coalesce(r.project_id, j.project_id))
                          || ', "status": ' || ims_json(r.status)
                          || CASE WHEN r.status = 'FAIL'
                                  THEN ', "error_code": '
                                       || coalesce(ims_json(r.error_code),
                                                   'null')
                                  ELSE '' END
                          || '}', ', ' ORDER BY r.seq)
          FROM ims_job_images r
         WHERE r.job_id = j.id
         GROUP BY (r.seq - 1) / 1000
         ORDER BY (r.seq - 1) / 1000;
END;
$$;

COMMIT;
