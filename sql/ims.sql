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


-- The single member update runs as functions of sql/update.sql (alone, a
-- group, a group of one): index probes that find the member row when every
-- rule holds, and one UPDATE of it (none when the status is already the
-- one asked).  When they find no row, they ask ims_member_update_failure()
-- which rule failed, in the order Glance applies them; an update job asks
-- it of each of its images (ims_job_update_slice()), and updates those
-- that pass:
--
--   unauthorized      token unknown or expired
--   identified        p_status is NULL: identity was all that was asked
--   image_not_found   image missing, deleted or not visible to the caller
--   public, private, community
--                     the image's visibility, when it is not "shared"
--   owner             the caller owns the image and is not an administrator
--   owner_no_member   the same, and p_member is no live member either
--   member_not_found  no live membership, or another project's membership
--   bad_status        p_status is not pending, accepted or rejected
--   vault_required    accepting a full-ECS image from a CBR backup, no vault
--   ok                every rule holds (to the single update: a row
--                     changed under its statement)
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
    v_sees     boolean;
    v_member   boolean;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN 'unauthorized';
    END IF;

    IF p_status IS NULL THEN
        RETURN 'identified';
    END IF;

    /*
     * What the rules read, in one statement (an update job asks this of
     * each of its images): the image, whether the caller is a live member
     * of it and whether p_member is.  No parameter the planner could fold
     * into a constant: one cached plan serves every call.
     */

    SELECT i.visibility::text, i.owner,
           EXISTS (SELECT 1 FROM image_members m
                    WHERE m.image_id = p_image AND m.member = v_project
                      AND NOT m.deleted),
           EXISTS (SELECT 1 FROM image_members m
                    WHERE m.image_id = p_image AND m.member = p_member
                      AND NOT m.deleted)
      INTO v_vis, v_owner, v_sees, v_member
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted;

    IF NOT FOUND
       OR NOT (v_admin
               OR v_owner IS NOT DISTINCT FROM v_project
               OR (p_glance AND v_owner IS NULL)
               OR v_vis IN ('public', 'community')
               OR (v_vis = 'shared' AND v_sees))
    THEN
        RETURN 'image_not_found';
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN v_vis;
    END IF;

    -- To Glance a caller without a project ('') owns what has no owner.
    -- Glance's new default policies look the member up (an owner finds
    -- any) before they refuse the owner: "owner_no_member" tells them.
    IF (v_owner IS NOT DISTINCT FROM v_project
        OR (p_glance AND v_owner IS NULL AND v_project = ''))
       AND NOT v_admin
    THEN
        IF NOT v_member THEN
            RETURN 'owner_no_member';
        END IF;

        RETURN 'owner';
    END IF;

    IF (NOT v_admin AND p_member <> v_project) OR NOT v_member THEN
        RETURN 'member_not_found';
    END IF;

    -- Glance sets the status only once it has found the member.
    IF p_status NOT IN ('pending', 'accepted', 'rejected') THEN
        RETURN 'bad_status';
    END IF;

    IF p_status = 'accepted' AND p_vault IS NULL THEN
        IF EXISTS (SELECT 1 FROM image_properties p
                    WHERE p.image_id = p_image AND NOT p.deleted
                      AND p.name = '__whole_image' AND p.value = 'true')
           AND EXISTS (SELECT 1 FROM image_properties p
                        WHERE p.image_id = p_image AND NOT p.deleted
                          AND p.name = '__backup_id' AND p.value <> '')
        THEN
            RETURN 'vault_required';
        END IF;
    END IF;

    RETURN 'ok';
END;
$$;

COMMIT;


-- The member events, then what writes them: the member update, the member
-- API's writes and reads, the batch jobs.
\ir events.sql
\ir update.sql
\ir members.sql
\ir jobs.sql
\ir upgrade.sql
