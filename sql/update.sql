-- The single member update, the module's hottest statement, in its three
-- forms: alone, a group of updates that waited together (group commit),
-- and a group of one.  Server-side functions, so that PostgreSQL keeps
-- their plans per session however the module sends the call: prepared,
-- or unnamed through a pooler in transaction mode (ims_member_prepare
-- off), where the statement itself would be planned on every call.
-- Loaded by ims.sql (\ir) after ims_member_update_failure(): safe to run
-- twice.
--
-- The rules are ims_member_update_failure()'s (sql/ims.sql), in index
-- probes: a live row of the member is found only when every one holds;
-- without it, ims_member_update_failure() says which failed.  The answer
-- is one row: the result ("ok", or a rule's name), the status set, the
-- membership's first creation and last update (UTC, ISO 8601); a group's
-- rows come first with whether the update was skipped (another
-- transaction holds its row: it runs again alone).

SET client_min_messages = warning;

BEGIN;

-- ims_member_update_row: the live row of the pair the update writes, when
-- every rule holds; none otherwise.  One, however many the pair has
-- (Glance's own schema lets it have several): a row, not an aggregate of
-- them, keeps the update as cheap as it is for one.  Inlined where it is
-- called (a single SELECT of a SQL function): its index probes are planned
-- with the statement; a scalar SQL function with a subquery would not be,
-- and would be planned again on every call.  actor: the caller's project,
-- for the event.
DROP FUNCTION IF EXISTS ims_member_update_row(text, text, boolean, text,
    text, text, text, boolean);

CREATE FUNCTION ims_member_update_row(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text, p_glance boolean,
    OUT id integer, OUT status text, OUT created_at timestamp,
    OUT updated_at timestamp, OUT actor text)
RETURNS SETOF record
LANGUAGE sql STABLE
AS $$
    SELECT m.id, m.status::text, m.created_at, m.updated_at, c.project
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c,
           images i, image_members m
     WHERE p_status IN ('pending', 'accepted', 'rejected')
       AND i.id = p_image AND NOT i.deleted AND i.visibility = 'shared'
       AND m.image_id = p_image AND m.member = p_member AND NOT m.deleted
       AND (c.admin OR (m.member = c.project
                        AND i.owner IS DISTINCT FROM c.project
                        AND NOT (p_glance AND i.owner IS NULL
                                 AND c.project = '')))
       -- accepting a full-ECS image made from a CBR backup names a vault
       AND NOT (p_status = 'accepted' AND p_vault IS NULL
                AND EXISTS (SELECT 1 FROM image_properties p
                             WHERE p.image_id = p_image AND NOT p.deleted
                               AND p.name = '__whole_image'
                               AND p.value = 'true')
                AND EXISTS (SELECT 1 FROM image_properties p
                             WHERE p.image_id = p_image AND NOT p.deleted
                               AND p.name = '__backup_id'
                               AND p.value <> ''))
     LIMIT 1
$$;


-- The update alone and the group of one are procedures, called with CALL:
-- a CALL is not planned, where "SELECT ... FROM f(...)" is planned again
-- on every unnamed call (ims_member_prepare off); their answer is their
-- OUT parameters, one row.  They were set-returning functions before.
DO $$
BEGIN
    DROP FUNCTION IF EXISTS ims_member_set_status(text, text, boolean, text,
        text, text, text, boolean);
    DROP FUNCTION IF EXISTS ims_member_set_status_try(text, text, boolean,
        text, text, text, text, boolean);
EXCEPTION WHEN wrong_object_type THEN
    NULL;
END;
$$;


-- ims_member_set_status: the update alone.  One statement: "ok" is the
-- row, "upd" writes each live row of the pair that has another status,
-- once, all at the same time, and none when all have it already (no
-- lock, no transaction id, nothing to flush at commit); "ev" writes the
-- event of a change (p_events; NULL: yes), after "upd" (it reads it: the
-- write gives the transaction its id before the event takes its own, see
-- ims_member_events_next()), with the caller's project, p_user and
-- p_request; "vault" keeps a new vault of an acceptance.  Without a row,
-- it asks ims_member_update_failure() which rule failed.
CREATE OR REPLACE PROCEDURE ims_member_set_status(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text, p_glance boolean, p_events boolean,
    p_user text, p_request text, OUT o_result text, OUT o_status text,
    OUT o_created_at text, OUT o_updated_at text)
LANGUAGE plpgsql
AS $$
BEGIN
    WITH ok AS (
        SELECT * FROM ims_member_update_row(p_token_sha256, p_project,
                          p_admin, p_image, p_member, p_status, p_vault,
                          p_glance)
    ), upd AS (
        UPDATE image_members m
           SET status = p_status, updated_at = now() AT TIME ZONE 'UTC'
          FROM ok
         WHERE m.image_id = p_image AND m.member = p_member
           AND NOT m.deleted AND m.status IS DISTINCT FROM p_status
        RETURNING m.updated_at
    ), ev AS (
        INSERT INTO ims_member_events (event_type, image_id, member,
                                       status, member_created_at,
                                       member_updated_at, project_id,
                                       user_id, request_id, created_at)
        SELECT 'image.member.update', p_image, p_member, p_status,
               ok.created_at, u.updated_at, ok.actor, p_user, p_request,
               now() AT TIME ZONE 'UTC'
          FROM ok, (SELECT upd.updated_at FROM upd LIMIT 1) u
         WHERE coalesce(p_events, true)
        RETURNING ims_member_events_wake()
    ), vault AS (
        INSERT INTO ims_member_vaults AS v
               (image_id, member, vault_id, created_at, updated_at)
        SELECT p_image, p_member, p_vault, now() AT TIME ZONE 'UTC',
               now() AT TIME ZONE 'UTC'
          FROM ok
         WHERE p_status = 'accepted' AND p_vault IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ims_member_vaults w
                            WHERE w.image_id = p_image
                              AND w.member = p_member
                              AND w.vault_id = p_vault)
        ON CONFLICT (image_id, member) DO UPDATE
           SET vault_id = EXCLUDED.vault_id,
               updated_at = EXCLUDED.updated_at
    )
    SELECT CASE WHEN ok.id IS NULL
                THEN ims_member_update_failure(p_token_sha256, p_project,
                         p_admin, p_image, p_member, p_status, p_vault,
                         p_glance)
                ELSE 'ok' END,
           CASE WHEN ok.id IS NULL THEN NULL ELSE p_status END,
           to_char(ok.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(coalesce((SELECT upd.updated_at FROM upd LIMIT 1),
                            ok.updated_at, ok.created_at),
                   'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      INTO o_result, o_status, o_created_at, o_updated_at
      FROM (SELECT 1) AS one LEFT JOIN ok ON true;
END;
$$;


-- ims_member_set_status_try: a group of one.  As ims_member_set_status(),
-- but a member row another transaction holds is left, not waited for
-- (o_skip; "lk" finds it locked): a lone update must not keep the next
-- group waiting behind it.  Other live rows of the member (Glance's own
-- schema lets it have several) are written too, waiting for them if
-- another transaction holds one.
CREATE OR REPLACE PROCEDURE ims_member_set_status_try(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text, p_glance boolean, p_events boolean,
    p_user text, p_request text, OUT o_skip boolean, OUT o_result text,
    OUT o_status text, OUT o_created_at text, OUT o_updated_at text)
LANGUAGE plpgsql
AS $$
BEGIN
    WITH ok AS (
        SELECT * FROM ims_member_update_row(p_token_sha256, p_project,
                          p_admin, p_image, p_member, p_status, p_vault,
                          p_glance)
    ), lk AS (
        SELECT m.id FROM ok, image_members m
         WHERE m.id = ok.id AND NOT m.deleted
           AND ok.status IS DISTINCT FROM p_status
           FOR UPDATE OF m SKIP LOCKED
    ), skip AS (
        SELECT ok.status IS DISTINCT FROM p_status
               AND NOT EXISTS (SELECT 1 FROM lk) AS skip
          FROM ok
    ), upd AS (
        UPDATE image_members m
           SET status = p_status, updated_at = now() AT TIME ZONE 'UTC'
          FROM skip
         WHERE m.image_id = p_image AND m.member = p_member
           AND NOT m.deleted AND m.status IS DISTINCT FROM p_status
           AND NOT skip.skip
        RETURNING m.updated_at
    ), ev AS (
        INSERT INTO ims_member_events (event_type, image_id, member,
                                       status, member_created_at,
                                       member_updated_at, project_id,
                                       user_id, request_id, created_at)
        SELECT 'image.member.update', p_image, p_member, p_status,
               ok.created_at, u.updated_at, ok.actor, p_user, p_request,
               now() AT TIME ZONE 'UTC'
          FROM ok, (SELECT upd.updated_at FROM upd LIMIT 1) u
         WHERE coalesce(p_events, true)
        RETURNING ims_member_events_wake()
    ), vault AS (
        INSERT INTO ims_member_vaults AS v
               (image_id, member, vault_id, created_at, updated_at)
        SELECT p_image, p_member, p_vault, now() AT TIME ZONE 'UTC',
               now() AT TIME ZONE 'UTC'
          FROM skip
         WHERE NOT skip.skip AND p_status = 'accepted'
           AND p_vault IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ims_member_vaults w
                            WHERE w.image_id = p_image
                              AND w.member = p_member
                              AND w.vault_id = p_vault)
        ON CONFLICT (image_id, member) DO UPDATE
           SET vault_id = EXCLUDED.vault_id,
               updated_at = EXCLUDED.updated_at
    )
    SELECT coalesce(skip.skip, false),
           CASE WHEN ok.id IS NULL
                THEN ims_member_update_failure(p_token_sha256, p_project,
                         p_admin, p_image, p_member, p_status, p_vault,
                         p_glance)
                WHEN skip.skip THEN 'skip' ELSE 'ok' END,
           CASE WHEN ok.id IS NULL THEN NULL ELSE p_status END,
           to_char(ok.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(coalesce((SELECT upd.updated_at FROM upd LIMIT 1),
                            ok.updated_at, ok.created_at),
                   'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      INTO o_skip, o_result, o_status, o_created_at, o_updated_at
      FROM (SELECT 1) AS one LEFT JOIN ok ON true LEFT JOIN skip ON true;
END;
$$;


-- ims_member_set_status_group: a group (ims_member_group_commit): one
-- array per parameter of ims_member_set_status(), one element per update
-- in arrival order, one transaction for all.  One row per update, in that
-- order: whether its member row was left to run again alone (o_skip:
-- another transaction holds it), then the row the update alone gives.
--
-- The arrays reach unnest() through a subquery the planner keeps: it
-- cannot count them then, neither in a plan for the values at hand nor in
-- the generic one, so that after five calls the generic plan wins and the
-- statement is no longer planned each time (about 2 ms).
--
-- "c" holds the updates whose rules hold, with every live row of their
-- pair (Glance's own schema lets a pair have several); "l" locks, in id
-- order (so two groups never deadlock), only rows some update of the group
-- changes, and "k" are the updates one of whose rows it had to leave (so
-- every update of that pair).  In arrival order on a row, an update
-- changed it if it or one before it asked for another status than the row
-- had ("t"): each answers as if it had run alone after those before it,
-- and "upd" writes the row once, with the last status.  "vault" keeps the
-- last vault of each pair.  "ca" is each update's pair's first creation
-- and last update, "ta" whether it changed any row and whether it changed
-- the status before it ("changed": the one before it on the row, or the
-- row's, was another): "ev" writes an event for each such update, in
-- arrival order, after "upd", as ims_member_set_status() does; a repeat
-- writes none.
CREATE OR REPLACE FUNCTION ims_member_set_status_group(
    p_token_sha256 text[], p_project text[], p_admin boolean[],
    p_image text[], p_member text[], p_status text[], p_vault text[],
    p_glance boolean[], p_events boolean[], p_user text[],
    p_request text[])
RETURNS TABLE (o_skip boolean, o_result text, o_status text,
               o_created_at text, o_updated_at text)
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY
    WITH r AS (
        SELECT r.*
          FROM (SELECT p_token_sha256, p_project, p_admin, p_image,
                       p_member, p_status, p_vault, p_glance, p_events,
                       p_user, p_request OFFSET 0)
               AS a (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11),
               unnest(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
               WITH ORDINALITY
               AS r (token, project, admin, image, member, status, vault,
                     glance, events, usr, request, n)
    ), c AS (
        SELECT r.n, r.status, m.id, m.status AS was, m.created_at,
               m.updated_at, c.project AS actor
          FROM r CROSS JOIN LATERAL ims_member_identify(r.token, r.project,
                                                        r.admin) c,
               images i, image_members m
         WHERE r.status IN ('pending', 'accepted', 'rejected')
           AND i.id = r.image AND NOT i.deleted
           AND i.visibility = 'shared'
           AND m.image_id = r.image AND m.member = r.member
           AND NOT m.deleted
           AND (c.admin OR (m.member = c.project
                            AND i.owner IS DISTINCT FROM c.project
                            AND NOT (r.glance AND i.owner IS NULL
                                     AND c.project = '')))
           AND NOT (r.status = 'accepted' AND r.vault IS NULL
                    AND EXISTS (SELECT 1 FROM image_properties p
                                 WHERE p.image_id = r.image
                                   AND NOT p.deleted
                                   AND p.name = '__whole_image'
                                   AND p.value = 'true')
                    AND EXISTS (SELECT 1 FROM image_properties p
                                 WHERE p.image_id = r.image
                                   AND NOT p.deleted
                                   AND p.name = '__backup_id'
                                   AND p.value <> ''))
    ), l AS (
        SELECT m.id, m.status FROM image_members m
         WHERE m.id IN (SELECT c.id FROM c WHERE c.status <> c.was)
           AND NOT m.deleted
         ORDER BY m.id
           FOR UPDATE SKIP LOCKED
    ), k AS (
        SELECT DISTINCT c.n FROM c
         WHERE c.id IN (SELECT c.id FROM c WHERE c.status <> c.was)
           AND c.id NOT IN (SELECT l.id FROM l)
    ), t AS (
        SELECT c.n, c.id, c.status,
               bool_or(c.status <> l.status)
                   OVER (PARTITION BY c.id ORDER BY c.n) AS touched,
               c.status <> coalesce(lag(c.status)
                                        OVER (PARTITION BY c.id
                                              ORDER BY c.n),
                                    l.status) AS changed
          FROM c JOIN l ON l.id = c.id
         WHERE c.n NOT IN (SELECT k.n FROM k)
    ), upd AS (
        UPDATE image_members m
           SET status = f.status, updated_at = now() AT TIME ZONE 'UTC'
          FROM (SELECT DISTINCT ON (t.id) t.id, t.status, t.touched
                  FROM t ORDER BY t.id, t.n DESC) AS f
         WHERE m.id = f.id AND f.touched
        RETURNING m.id
    ), vault AS (
        INSERT INTO ims_member_vaults AS v
               (image_id, member, vault_id, created_at, updated_at)
        SELECT z.image, z.member, z.vault,
               now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
          FROM (SELECT DISTINCT ON (r.image, r.member)
                       r.image, r.member, r.vault
                  FROM c JOIN r ON r.n = c.n
                 WHERE r.status = 'accepted' AND r.vault IS NOT NULL
                   AND c.n NOT IN (SELECT k.n FROM k)
                 ORDER BY r.image, r.member, c.n DESC) AS z
         WHERE NOT EXISTS (SELECT 1 FROM ims_member_vaults w
                            WHERE w.image_id = z.image
                              AND w.member = z.member
                              AND w.vault_id = z.vault)
        ON CONFLICT (image_id, member) DO UPDATE
           SET vault_id = EXCLUDED.vault_id,
               updated_at = EXCLUDED.updated_at
    ), ca AS (
        SELECT c.n, min(c.created_at) AS created_at,
               max(coalesce(c.updated_at, c.created_at)) AS updated_at,
               min(c.actor) AS actor
          FROM c GROUP BY c.n
    ), ta AS (
        SELECT t.n, bool_or(t.touched) AS touched,
               bool_or(t.changed) AS changed
          FROM t GROUP BY t.n
    ), ev AS (
        INSERT INTO ims_member_events (event_type, image_id, member,
                                       status, member_created_at,
                                       member_updated_at, project_id,
                                       user_id, request_id, created_at)
        SELECT 'image.member.update', r.image, r.member, r.status,
               ca.created_at, now() AT TIME ZONE 'UTC', ca.actor, r.usr,
               r.request, now() AT TIME ZONE 'UTC'
          FROM ta JOIN r ON r.n = ta.n JOIN ca ON ca.n = ta.n
         WHERE ta.changed AND coalesce(r.events, true)
           AND EXISTS (SELECT 1 FROM upd)
         ORDER BY ta.n
        RETURNING ims_member_events_wake()
    )
    SELECT k.n IS NOT NULL,
           CASE WHEN ca.n IS NULL
                THEN ims_member_update_failure(r.token, r.project, r.admin,
                         r.image, r.member, r.status, r.vault, r.glance)
                WHEN k.n IS NOT NULL THEN 'skip' ELSE 'ok' END,
           CASE WHEN ca.n IS NULL THEN NULL ELSE r.status END,
           to_char(ca.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(CASE WHEN ta.touched THEN now() AT TIME ZONE 'UTC'
                        ELSE ca.updated_at END,
                   'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      FROM r LEFT JOIN ca ON ca.n = r.n LEFT JOIN ta ON ta.n = r.n
             LEFT JOIN k ON k.n = r.n
     ORDER BY r.n;
END;
$$;

COMMIT;
