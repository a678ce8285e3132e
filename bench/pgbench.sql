-- The module's statement, with the module's parameters and their spread:
-- a random image, one of its three members, that member's token hash, a
-- random status.  (The token's SHA-256 is computed here, by PostgreSQL;
-- the module computes it in nginx.)
\set i random(1, 100000)
\set k random(0, 2)
\set m (:i + 333 * :k) % 1000
\set s random(0, 1)
SELECT result, status, created_at, updated_at FROM ims_member_update(encode(sha256(convert_to('tok-' || :m, 'UTF8')), 'hex'), NULL, NULL::boolean, bench_image_id(:i::integer), 'm-' || :m, CASE WHEN :s::integer = 0 THEN 'accepted' ELSE 'rejected' END, 'vault-bench', false);
