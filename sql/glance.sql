-- Glance-compatible image tables, for a standalone deployment.
--
-- Names and types follow Glance's own schema, so that the module reads and
-- writes them exactly as Glance would.  An existing Glance database already
-- has these tables: load only ims.sql there.  Safe to run twice.

BEGIN;

CREATE TABLE IF NOT EXISTS images (
    id                varchar(36)  PRIMARY KEY,
    name              varchar(255),
    size              bigint,
    status            varchar(30)  NOT NULL,
    created_at        timestamp without time zone NOT NULL,
    updated_at        timestamp without time zone,
    deleted_at        timestamp without time zone,
    deleted           boolean      NOT NULL DEFAULT false,
    disk_format       varchar(20),
    container_format  varchar(20),
    checksum          varchar(32),
    owner             varchar(255),
    min_disk          integer      NOT NULL DEFAULT 0,
    min_ram           integer      NOT NULL DEFAULT 0,
    protected         boolean      NOT NULL DEFAULT false,
    virtual_size      bigint,
    visibility        varchar(20)  NOT NULL DEFAULT 'shared'
                      CHECK (visibility IN ('private', 'public', 'shared',
                                            'community')),
    os_hidden         boolean      NOT NULL DEFAULT false,
    os_hash_algo      varchar(64),
    os_hash_value     varchar(128)
);

CREATE INDEX IF NOT EXISTS ix_images_deleted ON images (deleted);
CREATE INDEX IF NOT EXISTS ix_images_owner ON images (owner);
CREATE INDEX IF NOT EXISTS visibility_image_idx ON images (visibility);

CREATE TABLE IF NOT EXISTS image_properties (
    id          serial       PRIMARY KEY,
    image_id    varchar(36)  NOT NULL REFERENCES images (id),
    name        varchar(255) NOT NULL,
    value       text,
    created_at  timestamp without time zone NOT NULL,
    updated_at  timestamp without time zone,
    deleted_at  timestamp without time zone,
    deleted     boolean      NOT NULL DEFAULT false,
    CONSTRAINT ix_image_properties_image_id_name UNIQUE (image_id, name)
);

CREATE INDEX IF NOT EXISTS ix_image_properties_deleted
    ON image_properties (deleted);

CREATE TABLE IF NOT EXISTS image_members (
    id          serial       PRIMARY KEY,
    image_id    varchar(36)  NOT NULL REFERENCES images (id),
    member      varchar(255) NOT NULL,
    can_share   boolean      NOT NULL DEFAULT false,
    status      varchar(20)  NOT NULL DEFAULT 'pending',
    created_at  timestamp without time zone NOT NULL,
    updated_at  timestamp without time zone,
    deleted_at  timestamp without time zone,
    deleted     boolean      NOT NULL DEFAULT false,
    CONSTRAINT image_members_image_id_member_deleted_at_key
        UNIQUE (image_id, member, deleted_at)
) WITH (fillfactor = 80);

-- Room in each page lets PostgreSQL update a member's status in place
-- (a HOT update: no index changes); on an existing Glance database,
-- "ALTER TABLE image_members SET (fillfactor = 80)" does the same for new
-- pages.

CREATE INDEX IF NOT EXISTS ix_image_members_deleted
    ON image_members (deleted);
CREATE INDEX IF NOT EXISTS ix_image_members_image_id
    ON image_members (image_id);
CREATE INDEX IF NOT EXISTS ix_image_members_image_id_member
    ON image_members (image_id, member);

-- One live membership per pair: Glance's unique key includes deleted_at,
-- which is NULL for every live row and so never collides by itself.
CREATE UNIQUE INDEX IF NOT EXISTS ims_image_members_live_key
    ON image_members (image_id, member) WHERE deleted = false;

COMMIT;
