-- The module's own objects.  They never alter Glance's tables, so this file
-- can be loaded into an existing Glance database as it is (after glance.sql
-- in a standalone one).  Safe to run twice.

-- the notices of IF EXISTS and IF NOT EXISTS say nothing to act on
SET client_min_messages = warning;

BEGIN;

-- Tokens the module authenticates X-Auth-Token against, when nginx is not
-- given the caller's project by a trusted layer in front.  Only the
-- lower-case hex SHA-256 of a token is stored.
CREATE TABLE IF NOT EXISTS ims_tokens (
    token_sha256  char(64)     PRIMARY KEY
                  CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    project_id    varchar(255) NOT NULL,
    expires_at    timestamptz  NOT NULL,
    is_admin      boolean      NOT NULL DEFAULT false
);

-- The vault a member named when it accepted a shared image (Huawei Cloud's
-- full-ECS images made from a CBR backup need one).  Glance has no column
-- for it, so it lives beside image_members, one row per live membership.
CREATE TABLE IF NOT EXISTS ims_member_vaults (
    image_id    varchar(36)  NOT NULL,
    member      varchar(255) NOT NULL,
    vault_id    text         NOT NULL,
    created_at  timestamp without time zone NOT NULL,
    updated_at  timestamp without time zone NOT NULL,
    PRIMARY KEY (image_id, member)
);


-- ims_member_identify: the caller, from a token hash (looked up in
-- ims_tokens; no row when it is unknown or expired) or, when that is NULL,
-- from the project and administrator flag a trusted layer gave nginx.
-- The hash is compared as the key's own type (char(64)), so that the
-- lookup is one probe of the primary key however many tokens there are
-- (as text, the column would be cast and every row read); the function is
-- inlined into the statements that call it.
CREATE OR REPLACE FUNCTION ims_member_identify(p_token_sha256 text,
    p_project text, p_admin boolean,
    OUT project text, OUT admin boolean)
RETURNS SETOF record
LANGUAGE sql STABLE
AS $$
    SELECT t.project_id::text, t.is_admin
      FROM ims_tokens t
     WHERE p_token_sha256 IS NOT NULL
       AND t.token_sha256 = p_token_sha256::bpchar
       AND t.expires_at > now()
    UNION ALL
    SELECT p_project, coalesce(p_admin, false)
     WHERE p_token_sha256 IS NULL AND p_project IS NOT NULL
$$;


-- The single member update is one statement of the module's own (see
-- ngx_http_ims_member_sql.c): index probes that find the member row when
-- every rule holds, and one UPDATE of it (none when the status is already
-- the one asked).  When it finds no row, the same statement asks
-- ims_member_update_failure() which rule failed, in the order Glance
-- applies them:
--
--   unauthorized      token unknown or expired
--   identified        p_status is NULL: identity was all that was asked
--   image_not_found   image missing, deleted or not visible to the caller
--   not_shared        image visibility is not "shared"
--   owner             the caller owns the image and is not an administrator
--   member_not_found  no live membership, or another project's membership
--   bad_status        p_status is not pending, accepted or rejected
--   vault_required    accepting a full-ECS image from a CBR backup, no vault
--   ok                every rule holds (a row changed under the statement)
--
-- The caller is either a token hash (looked up in ims_tokens) or, when that
-- is NULL, a project and an administrator flag from a trusted layer.
-- p_glance: Glance's own rules where the contract differs, for nginx's
-- "ims_member_errors glance": an image without an owner is visible to all,
-- and a caller whose token has no project (p_project '') owns it.
-- Read-only: it takes no lock and writes nothing.
DROP FUNCTION IF EXISTS ims_member_update(text, text, boolean, text, text,
                                          text, text);
DROP FUNCTION IF EXISTS ims_member_update(text, text, boolean, text, text,
                                          text, text, boolean);

CREATE OR REPLACE FUNCTION ims_member_update_failure(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text, p_glance boolean)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    v_vis      text;
    v_owner    text;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN 'unauthorized';
    END IF;

    IF p_status IS NULL THEN
        RETURN 'identified';
    END IF;

    SELECT i.visibility::text, i.owner INTO v_vis, v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted;

    IF NOT FOUND
       OR NOT (v_admin
               OR v_owner IS NOT DISTINCT FROM v_project
               OR (p_glance AND v_owner IS NULL)
               OR v_vis IN ('public', 'community')
               OR (v_vis = 'shared'
                   AND EXISTS (SELECT 1 FROM image_members m
                                WHERE m.image_id = p_image
                                  AND m.member = v_project
                                  AND NOT m.deleted)))
    THEN
        RETURN 'image_not_found';
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN 'not_shared';
    END IF;

    -- To Glance a caller without a project ('') owns what has no owner.
    IF (v_owner IS NOT DISTINCT FROM v_project
        OR (p_glance AND v_owner IS NULL AND v_project = ''))
       AND NOT v_admin
    THEN
        RETURN 'owner';
    END IF;

    IF (NOT v_admin AND p_member <> v_project)
       OR NOT EXISTS (SELECT 1 FROM image_members m
                       WHERE m.image_id = p_image AND m.member = p_member
                         AND NOT m.deleted)
    THEN
        RETURN 'member_not_found';
    END IF;

    -- Glance sets the status only once it has found the member.
    IF p_status NOT IN ('pending', 'accepted', 'rejected') THEN
        RETURN 'bad_status';
    END IF;

    IF p_status = 'accepted' AND p_vault IS NULL
       AND EXISTS (SELECT 1 FROM image_properties p
                    WHERE p.image_id = p_image AND NOT p.deleted
                      AND p.name = '__whole_image' AND p.value = 'true')
       AND EXISTS (SELECT 1 FROM image_properties p
                    WHERE p.image_id = p_image AND NOT p.deleted
                      AND p.name = '__backup_id' AND p.value <> '')
    THEN
        RETURN 'vault_required';
    END IF;

    RETURN 'ok';
END;
$$;

COMMIT;


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


-- ims_job_submit: identity, the 403 rule, and the job with its images in
-- one transaction; workers listening on "ims_member_jobs" wake up at its
-- commit.  result: unauthorized, identified (p_for_project is NULL:
-- identity only), forbidden, ok.
CREATE OR REPLACE FUNCTION ims_job_submit(p_token_sha256 text,
    p_project text, p_admin boolean, p_job text, p_for_project text,
    p_status text, p_vault text, p_images json)
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
                          vault_id, total, created_at, images)
    VALUES (p_job, p_for_project, v_project, v_admin, p_status, p_vault,
            json_array_length(p_images), v_now,
            ARRAY(SELECT json_array_elements_text(p_images)));

    PERFORM pg_notify('ims_member_jobs', p_job);

    RETURN QUERY SELECT 'ok';
END;
$$;


-- ims_job_step: one short transaction of a worker's job loop.
--
-- With p_job NULL: claims the oldest job nobody holds (or whose lease
-- ended) and that is not waiting after a failed step; the claim commits on
-- its own, so a slice that fails leaves the worker knowing its job.  With
-- p_job: runs the next slice of a job the worker holds.  A slice applies to the next p_slice images, set-based, exactly
-- the checks of the single update, and records each image's result and the
-- job's count of images done in the same transaction, under the job's row
-- lock, so an image is never done twice and one failing image does not
-- undo the others.
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
    p_lease_ms integer, p_slice integer)
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
    v_errors   text[];
    v_rows     integer[];
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

    /*
     * The images left are those after "done" in the job's array: their
     * checks go into arrays in one pass, looked up by primary key, so no
     * plan joins two sets row by row, whatever the statistics say.
     */

    v_lo := j.done + 1;
    v_hi := least(j.done + p_slice, j.total);

    /*
     * The memberships the slice may change are locked first, in one order
     * (concurrent jobs never deadlock), and only while live: the checks
     * below then read, in a snapshot taken under the locks, the
     * memberships and images as they are now.  A membership deleted or an
     * image made non-shared while this waited for a lock fails its check.
     */

    PERFORM 1 FROM image_members m
      WHERE m.image_id = ANY (j.images[v_lo:v_hi])
        AND m.member = j.project_id AND NOT m.deleted
      ORDER BY m.id
        FOR UPDATE;

    SELECT array_agg(c.error_code ORDER BY c.seq),
           array_agg(c.member_row ORDER BY c.member_row)
               FILTER (WHERE c.error_code IS NULL)
      INTO v_errors, v_rows
      FROM (SELECT t.n AS seq, m.id AS member_row,
                   CASE
                   WHEN i.id IS NULL
                        OR NOT (j.is_admin
                                OR i.owner IS NOT DISTINCT FROM j.project_id
                                OR i.visibility::text IN ('public',
                                                          'community')
                                OR (i.visibility::text = 'shared'
                                    AND m.id IS NOT NULL))
                       THEN 'IMG.0005'
                   WHEN i.visibility::text <> 'shared'
                       THEN 'IMG.0006'
                   WHEN i.owner IS NOT DISTINCT FROM j.project_id
                        AND NOT j.is_admin
                       THEN 'IMG.0007'
                   WHEN m.id IS NULL
                       THEN 'IMG.0008'
                   WHEN j.member_status = 'accepted' AND j.vault_id IS NULL
                        AND EXISTS (SELECT 1 FROM image_properties p
                                     WHERE p.image_id = i.id
                                       AND NOT p.deleted
                                       AND p.name = '__whole_image'
                                       AND p.value = 'true')
                        AND EXISTS (SELECT 1 FROM image_properties p
                                     WHERE p.image_id = i.id
                                       AND NOT p.deleted
                                       AND p.name = '__backup_id'
                                       AND p.value <> '')
                       THEN 'IMG.0009'
                   END AS error_code
              FROM unnest(j.images[v_lo:v_hi]) WITH ORDINALITY
                   AS t(image_id, n)
              LEFT JOIN images i ON i.id = t.image_id AND NOT i.deleted
              LEFT JOIN image_members m
                     ON m.image_id = t.image_id AND m.member = j.project_id
                    AND NOT m.deleted) c;

    IF v_rows IS NOT NULL THEN

        -- a repeat of a member's status changes nothing, as in an update
        UPDATE image_members m
           SET status = j.member_status, updated_at = v_now
         WHERE m.id = ANY (v_rows)
           AND m.status IS DISTINCT FROM j.member_status;

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
    SELECT j.id, v_lo + t.n - 1, t.image_id,
           CASE WHEN v_errors[t.n] IS NULL THEN 'SUCCESS' ELSE 'FAIL' END,
           v_errors[t.n]
      FROM unnest(j.images[v_lo:v_hi]) WITH ORDINALITY AS t(image_id, n);

    v_n := v_hi - v_lo + 1;

    SELECT count(*) INTO v_failed FROM unnest(v_errors) AS e(code)
     WHERE e.code IS NOT NULL;

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
-- failure, while other jobs run; at p_max failures it ends FAIL with
-- IMG.0011 (the server could not run it).
--
-- result: retry, failed, lost (the worker no longer holds the job).
CREATE OR REPLACE FUNCTION ims_job_failed(p_worker text, p_job text,
    p_max integer, p_backoff_ms integer)
RETURNS TABLE (result text)
LANGUAGE sql
AS $$
    UPDATE ims_jobs c
       SET failures = c.failures + 1, worker = NULL, lease_until = NULL,
           retry_at = now() + make_interval(
               secs => p_backoff_ms / 1000.0 * power(2, least(c.failures, 16))),
           status = CASE WHEN c.failures + 1 >= p_max THEN 'FAIL'
                         ELSE c.status END,
           error_code = CASE WHEN c.failures + 1 >= p_max THEN 'IMG.0011'
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
               || ', "job_type": "imsUpdateImageMembersJob"'
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
                          || ', "project_id": ' || ims_json(j.project_id)
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
