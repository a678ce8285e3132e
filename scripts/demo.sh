#!/usr/bin/env bash
# Installs what is missing, builds the module, starts a local PostgreSQL
# with the schema and demo data, and nginx with the module on 127.0.0.1:8080;
# prints a request to try.  Run it again to rebuild and reload.
# Stop with: bash scripts/demo.sh stop

set -euo pipefail
cd "$(dirname "$0")/.."

top=$(pwd)
dir=/var/tmp/ims-member-demo
port=54329
http=8080
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg() { runuser -u postgres -- "$@"; }
psql_ims() {
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

if [ "${1:-}" = stop ]; then
    [ -f "$dir/nginx/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx/nginx.pid")"
    [ -d "$dir/pg" ] && pg "$pgbin/pg_ctl" -D "$dir/pg" -m fast stop
    exit 0
fi

bash scripts/deps.sh
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
make

mkdir -p "$dir/nginx/logs"
chown postgres "$dir"

if [ ! -d "$dir/pg" ]; then
    pg "$pgbin/initdb" -D "$dir/pg" -A trust -U postgres -E UTF8 >/dev/null
    cat >> "$dir/pg/postgresql.conf" <<EOC
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
EOC
fi

if ! pg "$pgbin/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then
    pg "$pgbin/pg_ctl" -D "$dir/pg" -w -l "$dir/pg.log" start >/dev/null
fi

psql_ims -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'ims'" \
    | grep -q 1 || psql_ims -d postgres -c "CREATE DATABASE ims"
psql_ims -d ims -f sql/glance.sql -f sql/ims.sql -f sql/demo.sql \
    2>&1 | grep -v 'already exists' || true

cat > "$dir/nginx/nginx.conf" <<EOC
load_module $top/build/ngx_http_ims_member_module.so;

worker_processes 2;
error_log $dir/nginx/logs/error.log info;
pid $dir/nginx/nginx.pid;

events {}

http {
    access_log $dir/nginx/logs/access.log;
    client_body_temp_path $dir/nginx/body;

    ims_member_database "hostaddr=127.0.0.1 port=$port dbname=ims user=postgres sslmode=disable";

    server {
        listen 127.0.0.1:$http;

        location ~ ^/v2/images/[^/]+/members/[^/]+\$ { ims_member_update; }
        location = /v1/cloudimages/members           { ims_member_batch; }
        location ~ ^/v1/[^/]+/jobs/[^/]+\$            { ims_member_jobs; }
        location ^~ /v1/cloudimages/job/             { ims_member_jobs; }
        location ^~ /v2/schemas/                     { ims_member_schemas; }
    }
}
EOC

if [ -f "$dir/nginx/nginx.pid" ] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null
then
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s reload
else
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
fi

psql_ims -d ims -c "UPDATE image_members SET status = 'pending'
                     WHERE member = 'demo-member'"

cat <<EOM

ngx_ims_member_module is running on http://127.0.0.1:$http (PostgreSQL on
127.0.0.1:$port, logs in $dir/nginx/logs).  Accept the shared demo image:

curl -i -X PUT -H 'X-Auth-Token: demo-member-token' -H 'Content-Type: application/json' -d '{"status": "accepted"}' http://127.0.0.1:$http/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27/members/demo-member

Or both images at once, as a batch job, then ask for the job:

curl -s -X PUT -H 'X-Auth-Token: demo-member-token' -d '{"images": ["1bea47ed-f6a9-463b-b423-14b9cca9ad27", "5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e"], "project_id": "demo-member", "status": "rejected"}' http://127.0.0.1:$http/v1/cloudimages/members
curl -s -H 'X-Auth-Token: demo-member-token' http://127.0.0.1:$http/v1/demo-member/jobs/JOB_ID

Stop it with: bash scripts/demo.sh stop
EOM
