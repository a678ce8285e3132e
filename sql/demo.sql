-- Demo data: one owner project shares images with one member project;
-- demo-partner is a project the owner may share them with.  Tokens (their
-- SHA-256 is stored): demo-owner-token, demo-member-token,
-- demo-partner-token, demo-admin-token.  Safe to run twice.

BEGIN;

INSERT INTO images (id, name, status, created_at, updated_at, deleted,
                    owner, visibility)
VALUES
    ('1bea47ed-f6a9-463b-b423-14b9cca9ad27', 'demo-shared', 'active',
     now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false,
     'demo-owner', 'shared'),
    ('5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e', 'demo-cbr-full-ecs', 'active',
     now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false,
     'demo-owner', 'shared')
ON CONFLICT (id) DO NOTHING;

INSERT INTO image_properties (image_id, name, value, created_at, deleted)
VALUES
    ('5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e', '__whole_image', 'true',
     now() AT TIME ZONE 'UTC', false),
    ('5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e', '__backup_id',
     'f2e4c3a0-0b7e-4a53-9d0e-6a4d5e1c2b3a', now() AT TIME ZONE 'UTC', false)
ON CONFLICT (image_id, name) DO NOTHING;

INSERT INTO image_members (image_id, member, can_share, status, created_at,
                           updated_at, deleted)
SELECT i, 'demo-member', false, 'pending', now() AT TIME ZONE 'UTC',
       now() AT TIME ZONE 'UTC', false
  FROM unnest(ARRAY['1bea47ed-f6a9-463b-b423-14b9cca9ad27',
                    '5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e']) AS i
ON CONFLICT DO NOTHING;

INSERT INTO ims_tokens (token_sha256, project_id, expires_at, is_admin)
VALUES
    (encode(sha256('demo-owner-token'), 'hex'), 'demo-owner',
     now() + interval '10 years', false),
    (encode(sha256('demo-member-token'), 'hex'), 'demo-member',
     now() + interval '10 years', false),
    (encode(sha256('demo-partner-token'), 'hex'), 'demo-partner',
     now() + interval '10 years', false),
    (encode(sha256('demo-admin-token'), 'hex'), 'demo-admin',
     now() + interval '10 years', true)
ON CONFLICT (token_sha256) DO NOTHING;

COMMIT;
