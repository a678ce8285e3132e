-- The member API: an owner shares an image with a project (adds a member)
-- and stops sharing it; the owner and the members list and show
-- memberships (POST, GET and DELETE on /v2/images/{image_id}/members[/...]).
-- Loaded by ims.sql (\ir): safe to run twice.

SET client_min_messages = warning;

BEGIN;

-- ims_member_sees: whether a caller sees an image: it owns it, the image
-- is public or community, or shared with the caller as a live member; an
-- administrator sees every image.  p_glance: to Glance an image without an
-- owner is visible to all.
CREATE OR REPLACE FUNCTION ims_member_sees(p_project text, p_admin boolean,
    p_glance boolean, p_image text, p_visibility text, p_owner text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT p_admin
        OR p_owner IS NOT DISTINCT FROM p_project
        OR (p_glance AND p_owner IS NULL)
        OR p_visibility IN ('public', 'community')
        OR (p_visibility = 'shared'
            AND EXISTS (SELECT 1 FROM image_members m
                         WHERE m.image_id = p_image AND m.member = p_project
                           AND NOT m.deleted))
$$;


-- ims_member_policy: Glance's new default policies for a member call of
-- p_project (glance/policies/image.py, glance/api/v2/image_members.py), in
-- Glance's order, or NULL when they let it through.  p_action: "list" (a
-- list or a show: get_image, get_members), "add" (get_image, add_member)
-- or "delete" (get_image, get_member, the member's lookup, delete_member).
--
--   image_not_found   image missing, deleted or not visible to the caller
--   public, private, community
--                     the image's visibility, when it is not "shared"
--   hidden            no project scope (p_project ''), or neither the
--                     reader role nor an administrator's: get_image fails
--                     (to Glance's "shared" images every reader passes it)
--   member_not_found  (delete) no live membership the caller sees: an
--                     owner or an administrator sees all, a member its own
--   add_refused, delete_refused
--                     neither an administrator nor the member role on the
--                     image's own project
--
-- Read-only: the callers that write lock the image's row first.
CREATE OR REPLACE FUNCTION ims_member_policy(p_project text, p_admin boolean,
    p_glance boolean, p_image text, p_member text, p_action text,
    p_reader boolean, p_member_role boolean)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_vis    text;
    v_owner  text;
BEGIN
    SELECT i.visibility::text, i.owner INTO v_vis, v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted;

    IF NOT FOUND
       OR NOT ims_member_sees(p_project, p_admin, p_glance, p_image, v_vis,
                              v_owner)
    THEN
        RETURN 'image_not_found';
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN v_vis;
    END IF;

    IF p_project = '' OR NOT (p_admin OR p_reader) THEN
        RETURN 'hidden';
    END IF;

    IF p_action = 'delete'
       AND NOT EXISTS (SELECT 1 FROM image_members m
                        WHERE m.image_id = p_image AND m.member = p_member
                          AND NOT m.deleted
                          AND (p_admin OR v_owner = p_project
                               OR m.member = p_project))
    THEN
        RETURN 'member_not_found';
    END IF;

    IF p_action <> 'list'
       AND NOT (p_admin
                OR (p_member_role AND v_owner IS NOT DISTINCT FROM p_project))
    THEN
        RETURN p_action || '_refused';
    END IF;

    RETURN NULL;
END;
$$;


-- ims_member_share: p_project (the caller) shares p_image with p_member.
-- p_ims_quota NULL: Glance's rules; otherwise IMS's sharing rules, with
-- p_ims_quota[1] the most live members of a system or data disk image and
-- p_ims_quota[2] of a full-ECS image (property "__whole_image" "true"); an
-- element NULL: no such limit.  p_quota (NULL: none) limits every image,
-- under either rules.  The checks, in this order:
--
--   image_not_found  image missing, deleted or not visible to the caller
--   public, private, community
--                    the image's visibility, when it is not "shared"; under
--                    IMS's rules "public" too for a gold image (property
--                    "__imagetype" "gold"), which IMS never shares
--   forbidden        the caller neither owns the image nor is an
--                    administrator
--   own_project      (IMS) p_member is the project that owns the image
--   whole_image      (IMS) a full-ECS image without a non-empty
--                    "__backup_id": IMS shares only those made from a
--                    backup
--   quota            the image has as many live members as its limit, the
--                    least of p_quota and (IMS) its kind's p_ims_quota,
--                    already (a member with several live rows counts
--                    once); "attempted" is their number plus one
--   duplicate        p_member is a live member already
--   ok               the member is added: a row deleted earlier is reused
--                    (created_at kept, the vault it once gave dropped),
--                    else a new one
--
-- Image properties are Glance's image_properties rows that are not
-- deleted, their values compared exactly.
--
-- The image's row is locked first (FOR NO KEY UPDATE, which foreign key
-- checks do not wait for): the writers of one image's members go one at a
-- time, and each later statement of this function, with a snapshot of
-- its own, sees every member added or removed before.  So concurrent
-- shares never exceed the quota, and never leave two live rows for a pair
-- even on Glance's own schema, which has no unique index on live rows.
DROP FUNCTION IF EXISTS ims_member_share(text, boolean, boolean, text, text,
                                         integer, boolean);
DROP FUNCTION IF EXISTS ims_member_share(text, boolean, boolean, text, text,
                                         integer, integer[]);

CREATE OR REPLACE FUNCTION ims_member_share(p_project text, p_admin boolean,
    p_glance boolean, p_image text, p_member text, p_quota integer,
    p_ims_quota integer[], p_events boolean, p_user text, p_request text,
    p_job text)
RETURNS TABLE (result text, member_row integer, attempted integer)
LANGUAGE plpgsql
AS $$
DECLARE
    v_created timestamp without time zone;
    v_vis     text;
    v_owner   text;
    v_gold    boolean;
    v_whole   boolean;
    v_backup  boolean;
    v_limit   integer := p_quota;
    v_count   integer;
    v_id      integer;
    v_now     timestamp without time zone := now() AT TIME ZONE 'UTC';
BEGIN
    SELECT i.visibility::text, i.owner INTO v_vis, v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted
       FOR NO KEY UPDATE;

    IF NOT FOUND
       OR NOT ims_member_sees(p_project, p_admin, p_glance, p_image, v_vis,
                              v_owner)
    THEN
        RETURN QUERY SELECT 'image_not_found', NULL::integer, NULL::integer;
        RETURN;
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN QUERY SELECT v_vis, NULL::integer, NULL::integer;
        RETURN;
    END IF;

    IF p_ims_quota IS NOT NULL THEN
        SELECT coalesce(bool_or(p.name = '__imagetype' AND p.value = 'gold'),
                        false),
               coalesce(bool_or(p.name = '__whole_image'
                                AND p.value = 'true'), false),
               coalesce(bool_or(p.name = '__backup_id' AND p.value <> ''),
                        false)
          INTO v_gold, v_whole, v_backup
          FROM image_properties p
         WHERE p.image_id = p_image AND NOT p.deleted
           AND p.name IN ('__imagetype', '__whole_image', '__backup_id');

        IF v_gold THEN
            RETURN QUERY SELECT 'public', NULL::integer, NULL::integer;
            RETURN;
        END IF;
    END IF;

    IF NOT p_admin AND (v_owner IS NULL OR v_owner <> p_project) THEN
        RETURN QUERY SELECT 'forbidden', NULL::integer, NULL::integer;
        RETURN;
    END IF;

    IF p_ims_quota IS NOT NULL THEN
        IF p_member = v_owner THEN
            RETURN QUERY SELECT 'own_project', NULL::integer, NULL::integer;
            RETURN;
        END IF;

        IF v_whole AND NOT v_backup THEN
            RETURN QUERY SELECT 'whole_image', NULL::integer, NULL::integer;
            RETURN;
        END IF;

        v_limit := least(p_quota,
                         p_ims_quota[CASE WHEN v_whole THEN 2 ELSE 1 END]);
    END IF;

    IF v_limit IS NOT NULL THEN
        SELECT count(DISTINCT m.member) INTO v_count
          FROM image_members m
         WHERE m.image_id = p_image AND NOT m.deleted;

        IF v_count + 1 > v_limit THEN
            RETURN QUERY SELECT 'quota', NULL::integer, v_count + 1;
            RETURN;
        END IF;
    END IF;

    IF EXISTS (SELECT 1 FROM image_members m
                WHERE m.image_id = p_image AND m.member = p_member
                  AND NOT m.deleted)
    THEN
        RETURN QUERY SELECT 'duplicate', NULL::integer, NULL::integer;
        RETURN;
    END IF;

    UPDATE image_members m
       SET deleted = false, deleted_at = NULL, status = 'pending',
           can_share = false, updated_at = v_now
     WHERE m.id = (SELECT d.id FROM image_members d
                    WHERE d.image_id = p_image AND d.member = p_member
                      AND d.deleted
                    ORDER BY d.deleted_at DESC NULLS LAST, d.id DESC
                    LIMIT 1)
    RETURNING m.id, m.created_at INTO v_id, v_created;

    IF FOUND THEN
        -- A vault belongs to a live membership: the one a member gave
        -- before it was removed goes now, while no update of the pair can
        -- hold it (its rules fail until this commits).  Removing it at the
        -- unshare would wait on an update group that holds the vault and
        -- waits for another member row the unsharing job holds.
        DELETE FROM ims_member_vaults v
         WHERE v.image_id = p_image AND v.member = p_member;

    ELSE
        -- the unique index on live rows (glance.sql), where there is one
        INSERT INTO image_members (image_id, member, can_share, status,
                                   created_at, updated_at, deleted)
        VALUES (p_image, p_member, false, 'pending', v_now, v_now, false)
        ON CONFLICT DO NOTHING
        RETURNING id, created_at INTO v_id, v_created;

        IF NOT FOUND THEN
            RETURN QUERY SELECT 'duplicate', NULL::integer, NULL::integer;
            RETURN;
        END IF;
    END IF;

    PERFORM ims_member_event(p_events, 'image.member.create', p_image,
                             p_member, 'pending', v_created, v_now, NULL,
                             p_project, p_user, p_request, p_job);

    RETURN QUERY SELECT 'ok', v_id, NULL::integer;
END;
$$;


-- ims_member_unshare: p_project (the caller) stops sharing p_image with
-- p_member, a soft delete (deleted, deleted_at and updated_at set; the
-- vault the member gave goes when the image is shared with it again).
-- Every live row of the pair goes (Glance's own schema lets a pair have
-- several), each with a deleted_at of its own, later than any the pair's
-- rows hold, one microsecond apart in id order: Glance's unique key
-- (image_id, member, deleted_at) holds.
-- result: image_not_found, public, private or community (the image's
-- visibility, when it is not "shared"),
-- forbidden (the caller neither owns the image nor is an administrator),
-- member_not_found (no live membership), ok.  The image's row is locked
-- as in ims_member_share().
DROP FUNCTION IF EXISTS ims_member_unshare(text, boolean, boolean, text,
                                           text);

CREATE OR REPLACE FUNCTION ims_member_unshare(p_project text,
    p_admin boolean, p_glance boolean, p_image text, p_member text,
    p_events boolean, p_user text, p_request text, p_job text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    v_vis      text;
    v_owner    text;
    v_now      timestamp without time zone := now() AT TIME ZONE 'UTC';
    v_rows     integer;
    v_status   text;
    v_created  timestamp without time zone;
    v_updated  timestamp without time zone;
    v_deleted  timestamp without time zone;
BEGIN
    SELECT i.visibility::text, i.owner INTO v_vis, v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted
       FOR NO KEY UPDATE;

    IF NOT FOUND
       OR NOT ims_member_sees(p_project, p_admin, p_glance, p_image, v_vis,
                              v_owner)
    THEN
        RETURN 'image_not_found';
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN v_vis;
    END IF;

    IF NOT p_admin AND v_owner IS DISTINCT FROM p_project THEN
        RETURN 'forbidden';
    END IF;

    WITH del AS (
        UPDATE image_members m
           SET deleted = true, deleted_at = d.deleted_at, updated_at = v_now
          FROM (SELECT l.id, coalesce(l.updated_at, l.created_at) AS was,
                       greatest(v_now,
                                (SELECT max(x.deleted_at)
                                        + interval '1 microsecond'
                                   FROM image_members x
                                  WHERE x.image_id = p_image
                                    AND x.member = p_member))
                       + (row_number() OVER (ORDER BY l.id) - 1)
                         * interval '1 microsecond' AS deleted_at
                  FROM image_members l
                 WHERE l.image_id = p_image AND l.member = p_member
                   AND NOT l.deleted) d
         WHERE m.id = d.id AND NOT m.deleted
        RETURNING m.status, m.created_at, m.deleted_at, d.was
    )
    SELECT count(*), (array_agg(del.status ORDER BY del.was DESC))[1],
           min(del.created_at), max(del.was), min(del.deleted_at)
      INTO v_rows, v_status, v_created, v_updated, v_deleted
      FROM del;

    IF v_rows = 0 THEN
        RETURN 'member_not_found';
    END IF;

    -- one event for the pair, however many live rows it had; as Glance's,
    -- with the membership as it was before the delete, and when
    PERFORM ims_member_event(p_events, 'image.member.delete', p_image,
                             p_member, v_status, v_created, v_updated,
                             v_deleted, p_project, p_user, p_request, p_job);

    RETURN 'ok';
END;
$$;


-- ims_member_create (POST /v2/images/{image_id}/members): identity, then
-- ims_member_share() with p_quota and p_ims_quota (NULL: Glance's rules,
-- else IMS's and their limits).  result: unauthorized, identified (p_image
-- is NULL: identity only), or ims_member_share()'s; with ok, the new
-- member's status and times; with quota, "attempted".  p_reader,
-- p_member_role: the caller's roles, for Glance's new default policies
-- (ims_member_policy(), whose results come first) before the share; NULL:
-- the legacy rules.
DROP FUNCTION IF EXISTS ims_member_create(text, text, boolean, text, text,
                                          integer, boolean);

CREATE OR REPLACE FUNCTION ims_member_create(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_quota integer, p_glance boolean, p_reader boolean,
    p_member_role boolean, p_ims_quota integer[], p_events boolean,
    p_user text, p_request text)
RETURNS TABLE (result text, status text, created_at text, updated_at text,
               attempted integer)
LANGUAGE plpgsql
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    v_refused  text;
    s          record;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized', NULL::text, NULL::text,
                            NULL::text, NULL::integer;
        RETURN;
    END IF;

    IF p_image IS NULL THEN
        RETURN QUERY SELECT 'identified', NULL::text, NULL::text,
                            NULL::text, NULL::integer;
        RETURN;
    END IF;

    IF p_reader IS NOT NULL THEN
        -- under the image's lock, which ims_member_share() takes again
        PERFORM 1 FROM images i WHERE i.id = p_image FOR NO KEY UPDATE;

        v_refused := ims_member_policy(v_project, v_admin, p_glance, p_image,
                                       p_member, 'add', p_reader,
                                       p_member_role);

        IF v_refused IS NOT NULL THEN
            RETURN QUERY SELECT v_refused, NULL::text, NULL::text,
                                NULL::text, NULL::integer;
            RETURN;
        END IF;

        -- the policy decided who may share: not the legacy owner rule
        v_admin := true;
    END IF;

    SELECT * INTO s
      FROM ims_member_share(v_project, v_admin, p_glance, p_image, p_member,
                            p_quota, p_ims_quota, p_events, p_user,
                            p_request, NULL);

    RETURN QUERY
        SELECT s.result, m.status::text,
               to_char(m.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               to_char(coalesce(m.updated_at, m.created_at),
                       'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               s.attempted
          FROM (SELECT 1) AS one
          LEFT JOIN image_members m ON m.id = s.member_row;
END;
$$;


-- ims_member_remove (DELETE /v2/images/{image_id}/members/{member_id}):
-- identity, then ims_member_unshare(); with p_reader and p_member_role
-- (not NULL), Glance's new default policies first (ims_member_policy()).
-- With Glance's legacy rules a caller without a project ('') owns an
-- image without an owner, as for the update, and so removes its members.
DROP FUNCTION IF EXISTS ims_member_remove(text, text, boolean, text, text,
                                          boolean);

CREATE OR REPLACE FUNCTION ims_member_remove(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_glance boolean, p_reader boolean, p_member_role boolean,
    p_events boolean, p_user text, p_request text)
RETURNS TABLE (result text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    v_owner    text;
    v_refused  text;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized';
        RETURN;
    END IF;

    IF p_image IS NULL THEN
        RETURN QUERY SELECT 'identified';
        RETURN;
    END IF;

    -- under the image's lock, which ims_member_unshare() takes again
    SELECT i.owner INTO v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted
       FOR NO KEY UPDATE;

    IF p_reader IS NOT NULL THEN
        v_refused := ims_member_policy(v_project, v_admin, p_glance, p_image,
                                       p_member, 'delete', p_reader,
                                       p_member_role);

        IF v_refused IS NOT NULL THEN
            RETURN QUERY SELECT v_refused;
            RETURN;
        END IF;

        -- the policy decided who may remove: not the legacy owner rule
        v_admin := true;

    ELSIF FOUND AND p_glance AND v_owner IS NULL AND v_project = '' THEN
        v_admin := true;
    END IF;

    RETURN QUERY SELECT ims_member_unshare(v_project, v_admin, p_glance,
                                           p_image, p_member, p_events,
                                           p_user, p_request, NULL);
END;
$$;


-- ims_member_list (GET /v2/images/{image_id}/members, and with p_member
-- one member's GET): the members the caller may see, as Glance shows
-- them: the owner and administrators see every live member, a member its
-- own membership only.  A first row says the result: unauthorized,
-- identified, image_not_found, the image's visibility when it is not
-- "shared" (public, private or community), or ok; after ok, one "member"
-- row per member, in the order they were first added.  A member with
-- several live rows (Glance's own schema allows it) is shown once: the
-- status of its row written last, its first creation, its last update.
-- Read-only.  With p_reader and p_member_role (not NULL), Glance's new
-- default policies first (ims_member_policy(): "hidden" too).  With
-- Glance's legacy rules a caller without a project ('') sees every member
-- of an image without an owner, as Glance's database layer matches the
-- two.
DROP FUNCTION IF EXISTS ims_member_list(text, text, boolean, text, text,
                                        boolean);

CREATE OR REPLACE FUNCTION ims_member_list(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_glance boolean, p_reader boolean, p_member_role boolean)
RETURNS TABLE (result text, member text, status text, created_at text,
               updated_at text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    v_vis      text;
    v_owner    text;
    v_refused  text;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized', NULL::text, NULL::text,
                            NULL::text, NULL::text;
        RETURN;
    END IF;

    IF p_image IS NULL THEN
        RETURN QUERY SELECT 'identified', NULL::text, NULL::text,
                            NULL::text, NULL::text;
        RETURN;
    END IF;

    IF p_reader IS NOT NULL THEN
        v_refused := ims_member_policy(v_project, v_admin, p_glance, p_image,
                                       p_member, 'list', p_reader,
                                       p_member_role);

        IF v_refused IS NOT NULL THEN
            RETURN QUERY SELECT v_refused, NULL::text, NULL::text,
                                NULL::text, NULL::text;
            RETURN;
        END IF;
    END IF;

    SELECT i.visibility::text, i.owner INTO v_vis, v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted;

    IF NOT FOUND
       OR NOT ims_member_sees(v_project, v_admin, p_glance, p_image, v_vis,
                              v_owner)
    THEN
        RETURN QUERY SELECT 'image_not_found', NULL::text, NULL::text,
                            NULL::text, NULL::text;
        RETURN;
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN QUERY SELECT v_vis, NULL::text, NULL::text, NULL::text,
                            NULL::text;
        RETURN;
    END IF;

    RETURN QUERY SELECT 'ok', NULL::text, NULL::text, NULL::text,
                        NULL::text;

    RETURN QUERY
        SELECT 'member', m.member::text,
               (array_agg(m.status::text
                          ORDER BY coalesce(m.updated_at, m.created_at) DESC,
                                   m.id))[1],
               to_char(min(m.created_at), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               to_char(max(coalesce(m.updated_at, m.created_at)),
                       'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          FROM image_members m
         WHERE m.image_id = p_image AND NOT m.deleted
           AND (p_member IS NULL OR m.member = p_member)
           AND (v_admin OR v_owner IS NOT DISTINCT FROM v_project
                OR m.member = v_project
                OR (p_glance AND v_owner IS NULL AND v_project = ''))
         GROUP BY m.member
         ORDER BY min(m.id);
END;
$$;

COMMIT;
