-- The module's own objects.  They never alter Glance's tables, so this file
-- can be loaded into an existing Glance database as it is (after glance.sql
-- in a standalone one).  Safe to run twice.

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
CREATE OR REPLACE FUNCTION ims_member_identify(p_token_sha256 text,
    p_project text, p_admin boolean,
    OUT project text, OUT admin boolean)
RETURNS SETOF record
LANGUAGE sql STABLE
AS $$
    SELECT t.project_id::text, t.is_admin
      FROM ims_tokens t
     WHERE p_token_sha256 IS NOT NULL
       AND t.token_sha256 = p_token_sha256 AND t.expires_at > now()
    UNION ALL
    SELECT p_project, coalesce(p_admin, false)
     WHERE p_token_sha256 IS NULL AND p_project IS NOT NULL
$$;


-- ims_member_update: the whole single member update in one call, so that
-- one request costs one round trip.  The checks run in the order Glance
-- applies them and the first that fails names the answer in "result":
--
--   unauthorized      token unknown or expired
--   identified        p_status is NULL: identity was all that was asked
--   image_not_found   image missing, deleted or not visible to the caller
--   not_shared        image visibility is not "shared"
--   owner             the caller owns the image and is not an administrator
--   member_not_found  no live membership, or another project's membership
--   vault_required    accepting a full-ECS image from a CBR backup, no vault
--   ok                status, created_at, updated_at are the member row's
--
-- The caller is either a token hash (looked up in ims_tokens) or, when that
-- is NULL, a project and an administrator flag from a trusted layer.
CREATE OR REPLACE FUNCTION ims_member_update(p_token_sha256 text,
    p_project text, p_admin boolean, p_image text, p_member text,
    p_status text, p_vault text)
RETURNS TABLE (result text, status text, created_at text, updated_at text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_project  text;
    v_admin    boolean;
    v_vis      text;
    v_owner    text;
    v_id       integer;
    v_status   text;
    v_created  timestamp without time zone;
    v_updated  timestamp without time zone;
    v_now      timestamp without time zone;
BEGIN
    SELECT c.project, c.admin INTO v_project, v_admin
      FROM ims_member_identify(p_token_sha256, p_project, p_admin) c;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unauthorized', NULL::text, NULL::text,
                            NULL::text;
        RETURN;
    END IF;

    IF p_status IS NULL THEN
        RETURN QUERY SELECT 'identified', NULL::text, NULL::text, NULL::text;
        RETURN;
    END IF;

    SELECT i.visibility::text, i.owner INTO v_vis, v_owner
      FROM images i
     WHERE i.id = p_image AND NOT i.deleted;

    IF NOT FOUND
       OR NOT (v_admin
               OR v_owner IS NOT DISTINCT FROM v_project
               OR v_vis IN ('public', 'community')
               OR (v_vis = 'shared'
                   AND EXISTS (SELECT 1 FROM image_members m
                                WHERE m.image_id = p_image
                                  AND m.member = v_project
                                  AND NOT m.deleted)))
    THEN
        RETURN QUERY SELECT 'image_not_found', NULL::text, NULL::text,
                            NULL::text;
        RETURN;
    END IF;

    IF v_vis <> 'shared' THEN
        RETURN QUERY SELECT 'not_shared', NULL::text, NULL::text, NULL::text;
        RETURN;
    END IF;

    IF v_owner IS NOT DISTINCT FROM v_project AND NOT v_admin THEN
        RETURN QUERY SELECT 'owner', NULL::text, NULL::text, NULL::text;
        RETURN;
    END IF;

    IF NOT v_admin AND p_member <> v_project THEN
        RETURN QUERY SELECT 'member_not_found', NULL::text, NULL::text,
                            NULL::text;
        RETURN;
    END IF;

    -- The row lock serialises concurrent updates of one membership only.
    SELECT m.id, m.status, m.created_at, m.updated_at
      INTO v_id, v_status, v_created, v_updated
      FROM image_members m
     WHERE m.image_id = p_image AND m.member = p_member AND NOT m.deleted
       FOR UPDATE;

    IF NOT FOUND THEN
        RETURN QUERY SELECT 'member_not_found', NULL::text, NULL::text,
                            NULL::text;
        RETURN;
    END IF;

    IF p_status = 'accepted' AND p_vault IS NULL
       AND EXISTS (SELECT 1 FROM image_properties p
                    WHERE p.image_id = p_image AND NOT p.deleted
                      AND p.name = '__whole_image' AND p.value = 'true')
       AND EXISTS (SELECT 1 FROM image_properties p
                    WHERE p.image_id = p_image AND NOT p.deleted
                      AND p.name = '__backup_id' AND p.value <> '')
    THEN
        RETURN QUERY SELECT 'vault_required', NULL::text, NULL::text,
                            NULL::text;
        RETURN;
    END IF;

    -- A repeat of the status the member already has changes nothing.
    IF v_status IS DISTINCT FROM p_status THEN
        v_now := now() AT TIME ZONE 'UTC';

        UPDATE image_members m
           SET status = p_status, updated_at = v_now
         WHERE m.id = v_id;

        v_status := p_status;
        v_updated := v_now;

        IF p_status = 'accepted' AND p_vault IS NOT NULL THEN
            INSERT INTO ims_member_vaults AS v
                   (image_id, member, vault_id, created_at, updated_at)
            VALUES (p_image, p_member, p_vault, v_now, v_now)
            ON CONFLICT (image_id, member)
            DO UPDATE SET vault_id = EXCLUDED.vault_id,
                          updated_at = EXCLUDED.updated_at;
        END IF;
    END IF;

    RETURN QUERY
        SELECT 'ok', v_status,
               to_char(v_created, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               to_char(coalesce(v_updated, v_created),
                       'YYYY-MM-DD"T"HH24:MI:SS"Z"');
END;
$$;

COMMIT;
