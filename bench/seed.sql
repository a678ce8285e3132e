-- Benchmark data: 100,000 shared images, three member projects each (out
-- of 1,000), a token per member project and one for the owner of every
-- hundredth image (owner-0, for sharing), and a project that is a member of
-- the first 10,000 images (for batch jobs).  Image ids are UUIDs made from
-- the image number, so that wrk and pgbench can pick the same pairs.

CREATE OR REPLACE FUNCTION bench_image_id(n integer) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT lpad(to_hex(n), 8, '0') || '-0000-4000-8000-'
           || lpad(to_hex(n), 12, '0')
$$;

INSERT INTO images (id, name, status, created_at, updated_at, deleted, owner,
                    visibility, size, disk_format, container_format)
SELECT bench_image_id(i), 'image-' || i, 'active',
       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false,
       'owner-' || (i % 100), 'shared', 1073741824, 'qcow2', 'bare'
  FROM generate_series(1, 100000) AS i;

-- one image in ten is a full-ECS image from a CBR backup
INSERT INTO image_properties (image_id, name, value, created_at, deleted)
SELECT bench_image_id(i), p.name, p.value, now() AT TIME ZONE 'UTC', false
  FROM generate_series(10, 100000, 10) AS i,
       (VALUES ('__whole_image', 'true'), ('__backup_id', 'backup-x'))
       AS p(name, value);

INSERT INTO image_members (image_id, member, can_share, status, created_at,
                           updated_at, deleted)
SELECT bench_image_id(i), 'm-' || ((i + 333 * k) % 1000), false, 'pending',
       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false
  FROM generate_series(1, 100000) AS i, generate_series(0, 2) AS k;

INSERT INTO image_members (image_id, member, can_share, status, created_at,
                           updated_at, deleted)
SELECT bench_image_id(i), 'm-batch', false, 'pending',
       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false
  FROM generate_series(1, 10000) AS i;

INSERT INTO ims_tokens (token_sha256, project_id, expires_at, is_admin)
SELECT encode(sha256(convert_to('tok-' || m, 'UTF8')), 'hex'), 'm-' || m,
       now() + interval '1 day', false
  FROM generate_series(0, 999) AS m
UNION ALL
SELECT encode(sha256(convert_to('tok-batch', 'UTF8')), 'hex'), 'm-batch',
       now() + interval '1 day', false
UNION ALL
SELECT encode(sha256(convert_to('tok-owner-0', 'UTF8')), 'hex'), 'owner-0',
       now() + interval '1 day', false;

VACUUM ANALYZE;
