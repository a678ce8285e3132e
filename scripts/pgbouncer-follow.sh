#!/bin/sh
# Keeps a PgBouncer pointed at the writable node of a replicated cluster
# under a failover manager (pg_auto_failover, Patroni, repmgr, or a manual
# promotion): PgBouncer 1.18 has one address per database and does not look
# for the primary itself.
#
# Every INTERVAL seconds it asks libpq for the node that takes writes
# (target_session_attrs=read-write over the list of nodes, straight to
# PostgreSQL: a node a failover manager is still promoting, kept
# default_transaction_read_only, is not taken); when that node changed, it
# writes the database's entry pointing at it into FILE, which PgBouncer's
# configuration includes (%include FILE), and tells PgBouncer to RELOAD:
# the server sessions to the old node are closed as they come back to the
# pool, the next ones go to the new primary, and the server parameters
# PgBouncer gives new clients are read again.  While no node takes writes
# nothing changes (PgBouncer's clients get errors from the old address).
#
# usage: pgbouncer-follow.sh NODES ENTRY FILE CONSOLE [INTERVAL]
#
#   NODES    libpq conninfo naming every node, e.g. "host=10.0.0.5,10.0.0.6
#            port=5432,5432 dbname=glance user=ims_member connect_timeout=2"
#   ENTRY    the [databases] entry less its host and port, e.g.
#            "glance = dbname=glance"
#   FILE     the file PgBouncer's configuration includes, e.g.
#            /etc/pgbouncer/primary.ini
#   CONSOLE  conninfo of PgBouncer's console as one of its admin_users, e.g.
#            "host=127.0.0.1 port=6432 dbname=pgbouncer user=pgbouncer"
#   INTERVAL seconds between checks (default 1)

set -u

if [ $# -lt 4 ]; then
    echo "usage: $0 NODES ENTRY FILE CONSOLE [INTERVAL]" >&2
    exit 2
fi

nodes=$1
entry=$2
file=$3
console=$4
interval=${5:-1}
last=

while :; do
    # psql's HOST and PORT: the node libpq chose
    now=$(psql -X -A -t -q -d "$nodes target_session_attrs=read-write" \
          -c '\echo host=:HOST port=:PORT' 2>/dev/null) || now=
    if [ -n "$now" ] && [ "$now" != "$last" ]; then
        printf '[databases]\n%s %s\n' "$entry" "$now" > "$file.tmp" \
            && mv -f "$file.tmp" "$file" \
            && psql -X -q -d "$console" -c RELOAD >/dev/null 2>&1 \
            && echo "$(date -u '+%F %T') primary $now: PgBouncer reloaded" \
            && last=$now
    fi
    sleep "$interval"
done
