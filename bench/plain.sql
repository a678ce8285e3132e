-- The physical limit the module is measured against: the plain UPDATE of a
-- member's status by its key, on the same random pairs as bench/update.lua
-- and bench/pgbench.sql, with no identity, no checks and no answer.
\set i random(1, 100000)
\set k random(0, 2)
\set m (:i + 333 * :k) % 1000
\set s random(0, 1)
UPDATE image_members SET status = CASE WHEN :s::integer = 0 THEN 'accepted' ELSE 'rejected' END, updated_at = now() AT TIME ZONE 'UTC' WHERE image_id = bench_image_id(:i::integer) AND member = 'm-' || :m AND NOT deleted;
