-- The module's own update statement (bench.py appends it, read from
-- ngx_ims_member_module/ngx_http_ims_member_sql.c), with the module's
-- parameters and their spread: a random image, one of its three members,
-- that member's token hash, a random status.  (The token's SHA-256 is
-- computed here, by PostgreSQL; the module computes it in nginx.)
\set i random(1, 100000)
\set k random(0, 2)
\set m (:i + 333 * :k) % 1000
\set s random(0, 1)
