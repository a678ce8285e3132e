-- Test fixtures; loading them again puts every row back as it was.
--
-- Projects: p-owner shares images; p-member and p-other are members;
-- p-admin is an administrator.  Tokens are "tok-<name>" (see ims_tokens).
-- Timestamps are fixed, so answers can be compared byte for byte.

BEGIN;

TRUNCATE image_members, image_properties, ims_member_vaults, ims_tokens;
DELETE FROM images;

INSERT INTO ims_tokens (token_sha256, project_id, expires_at, is_admin)
VALUES
    (encode(sha256('tok-owner'), 'hex'), 'p-owner', 'infinity', false),
    (encode(sha256('tok-member'), 'hex'), 'p-member', 'infinity', false),
    (encode(sha256('tok-other'), 'hex'), 'p-other', 'infinity', false),
    (encode(sha256('tok-admin'), 'hex'), 'p-admin', 'infinity', true),
    (encode(sha256('tok-expired'), 'hex'), 'p-member',
     now() - interval '1 second', false);

INSERT INTO images (id, name, status, created_at, deleted, owner, visibility)
VALUES
    ('11111111-1111-1111-1111-111111111111', 'shared', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared'),
    ('22222222-2222-2222-2222-222222222222', 'private', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'private'),
    ('33333333-3333-3333-3333-333333333333', 'public', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'public'),
    ('44444444-4444-4444-4444-444444444444', 'deleted', 'deleted',
     '2020-01-01 00:00:00', true, 'p-owner', 'shared'),
    ('55555555-5555-5555-5555-555555555555', 'cbr full-ECS', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared'),
    ('66666666-6666-6666-6666-666666666666', 'locked', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared'),
    ('77777777-7777-7777-7777-777777777777', 'free', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared'),
    ('88888888-8888-8888-8888-888888888888', 'community', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'community'),
    ('99999999-9999-9999-9999-999999999999', 'whole, no backup', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared'),
    ('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'two members', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared'),
    ('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'repeat', 'active',
     '2020-01-01 00:00:00', false, 'p-owner', 'shared');

INSERT INTO image_properties (image_id, name, value, created_at, deleted)
VALUES
    ('55555555-5555-5555-5555-555555555555', '__whole_image', 'true',
     '2020-01-01 00:00:00', false),
    ('55555555-5555-5555-5555-555555555555', '__backup_id', 'backup-1',
     '2020-01-01 00:00:00', false),
    ('99999999-9999-9999-9999-999999999999', '__whole_image', 'true',
     '2020-01-01 00:00:00', false),
    ('99999999-9999-9999-9999-999999999999', '__backup_id', '',
     '2020-01-01 00:00:00', false);

INSERT INTO image_members (image_id, member, can_share, status, created_at,
                           updated_at, deleted_at, deleted)
VALUES
    ('11111111-1111-1111-1111-111111111111', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', '2020-01-02 03:04:05.678901', NULL, false),
    ('11111111-1111-1111-1111-111111111111', 'p-gone', false, 'pending',
     '2020-01-01 00:00:00', NULL, '2020-01-03 00:00:00', true),
    ('22222222-2222-2222-2222-222222222222', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('33333333-3333-3333-3333-333333333333', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('44444444-4444-4444-4444-444444444444', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('55555555-5555-5555-5555-555555555555', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('66666666-6666-6666-6666-666666666666', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('77777777-7777-7777-7777-777777777777', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('88888888-8888-8888-8888-888888888888', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('99999999-9999-9999-9999-999999999999', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'p-member', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'p-other', false, 'pending',
     '2020-01-01 00:00:00', NULL, NULL, false),
    ('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'p-member', false, 'accepted',
     '2020-01-01 00:00:00', '2021-02-03 04:05:06.789', NULL, false);

COMMIT;
