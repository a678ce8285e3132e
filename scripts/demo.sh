#!/usr/bin/env bash
# Installs what is missing, builds the module, starts a local PostgreSQL
# with the schema and demo data, and nginx with the module on 127.0.0.1:8080;
# prints a request to try.  Run it again to rebuild and reload.
#
#     bash scripts/demo.sh --keystone    the same, and a local Keystone
#                                        (127.0.0.1:5000) validates tokens
#     bash scripts/demo.sh stop

set -euo pipefail
cd "$(dirname "$0")/.."

top=$(pwd)
dir=/var/tmp/ims-member-demo
port=54329
http=8080
keystone_port=5000
keystone=no
[ "${1:-}" = --keystone ] && keystone=yes
demo_password=demo-password
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg() { runuser -u postgres -- "$@"; }
psql_ims() {
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

if [ "${1:-}" = stop ]; then
    [ -f "$dir/nginx/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx/nginx.pid")"
    [ -f "$dir/keystone/uwsgi.pid" ] \
        && kill -INT "$(cat "$dir/keystone/uwsgi.pid")" 2>/dev/null || true
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

# Keystone (python3-keystone under uwsgi), its database on the same cluster
manage() {
    keystone-manage --config-file "$dir/keystone/keystone.conf" "$@" \
        >>"$dir/keystone/manage.log" 2>&1 \
        || { echo "keystone-manage $1 failed: see $dir/keystone/manage.log"
             exit 1; }
}

start_keystone() {
    local k=$dir/keystone

    mkdir -p "$k"
    cat > "$k/keystone.conf" <<EOC
[DEFAULT]
log_file = $k/keystone.log

[database]
connection = postgresql://postgres@127.0.0.1:$port/keystone

[token]
provider = fernet

[fernet_tokens]
key_repository = $k/fernet-keys

[fernet_receipts]
key_repository = $k/fernet-receipts

[credential]
key_repository = $k/credential-keys
EOC

    if [ ! -e "$k/bootstrapped" ]; then
        psql_ims -d postgres -tc \
            "SELECT 1 FROM pg_database WHERE datname = 'keystone'" \
            | grep -q 1 || psql_ims -d postgres -c "CREATE DATABASE keystone"
        manage db_sync
        manage fernet_setup --keystone-user root --keystone-group root
        manage credential_setup --keystone-user root --keystone-group root
        manage bootstrap \
            --bootstrap-password "$demo_password" \
            --bootstrap-region-id RegionOne \
            --bootstrap-public-url "http://127.0.0.1:$keystone_port/v3"
        touch "$k/bootstrapped"
    fi

    if ! { [ -f "$k/uwsgi.pid" ] && kill -0 "$(cat "$k/uwsgi.pid")" 2>/dev/null; }
    then
        OS_KEYSTONE_CONFIG_FILES="$k/keystone.conf" uwsgi --plugin python3 \
            --http-socket "127.0.0.1:$keystone_port" \
            --wsgi-file /usr/bin/keystone-wsgi-public --master \
            --processes 2 --need-app --lazy-apps \
            --add-header 'Connection: close' \
            --pidfile "$k/uwsgi.pid" --daemonize "$k/uwsgi.log"
    fi

    for _ in $(seq 120); do
        curl -sf "http://127.0.0.1:$keystone_port/v3" >/dev/null && break
        sleep 0.5
    done

    # the demo image, shared by the Keystone project demo-owner with
    # demo-member (Keystone chooses project ids)
    local owner member
    eval "$(/usr/bin/python3 scripts/keystone_demo.py \
        "http://127.0.0.1:$keystone_port" "$demo_password" "$demo_password" \
        | sed 's/^demo-\(owner\|member\) /\1=/')"
    keystone_member=$member
    psql_ims -d ims -v owner="$owner" -v member="$member" <<'EOS'
INSERT INTO images (id, name, status, created_at, updated_at, deleted,
                    owner, visibility)
VALUES ('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'demo-keystone-shared',
        'active', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false,
        :'owner', 'shared')
ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner;
DELETE FROM image_members
 WHERE image_id = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
INSERT INTO image_members (image_id, member, can_share, status, created_at,
                           updated_at, deleted)
VALUES ('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', :'member', false, 'pending',
        now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', false);
EOS
}

keystone_http=
keystone_server=
if [ "$keystone" = yes ]; then
    start_keystone
    keystone_http="ims_member_keystone_cache zone=keystone:1m valid=5m;
    upstream keystone { server 127.0.0.1:$keystone_port; keepalive 8; }"
    keystone_server="ims_member_keystone /_keystone;

        location = /_keystone {
            internal;
            proxy_pass http://keystone/v3/auth/tokens;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_connect_timeout 2s;
            proxy_read_timeout 5s;
            subrequest_output_buffer_size 16k;
        }"
fi

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
    $keystone_http

    server {
        listen 127.0.0.1:$http;
        $keystone_server

        location /v2/images/                   { ims_member_api; }
        location = /v1/cloudimages/members     { ims_member_batch; }
        location ~ ^/v1/[^/]+/jobs/[^/]+\$      { ims_member_jobs; }
        location ^~ /v1/cloudimages/job/       { ims_member_jobs; }
        location ^~ /v2/schemas/               { ims_member_schemas; }
        location = /versions                   { ims_member_versions; }
        location = /                           { ims_member_versions; }
        location = /metrics {
            ims_member_status;
            allow 127.0.0.1;
            deny all;
        }
    }
}
EOC

if [ -f "$dir/nginx/nginx.pid" ] && kill -0 "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null
then
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s reload
else
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
fi

psql_ims -d ims >/dev/null <<'EOS'
UPDATE image_members SET status = 'pending' WHERE member = 'demo-member';
UPDATE image_members
   SET deleted = true, deleted_at = now() AT TIME ZONE 'UTC',
       updated_at = now() AT TIME ZONE 'UTC'
 WHERE member = 'demo-partner' AND NOT deleted;
EOS

if [ "$keystone" = yes ]; then
    cat <<EOM

ngx_ims_member_module is running on http://127.0.0.1:$http, Keystone on
http://127.0.0.1:$keystone_port/v3 (it validates every X-Auth-Token),
PostgreSQL on 127.0.0.1:$port; logs in $dir.  As the Keystone user
demo-member (password $demo_password), accept the image that demo-owner
shares with it:

token=\$(curl -si -H 'Content-Type: application/json' -d '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo-member", "domain": {"id": "default"}, "password": "$demo_password"}}}, "scope": {"project": {"name": "demo-member", "domain": {"id": "default"}}}}}' http://127.0.0.1:$keystone_port/v3/auth/tokens | sed -n 's/^X-Subject-Token: //ip' | tr -d '\r')
curl -i -X PUT -H "X-Auth-Token: \$token" -d '{"status": "accepted"}' http://127.0.0.1:$http/v2/images/0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6/members/$keystone_member

Stop it with: bash scripts/demo.sh stop
EOM
    exit 0
fi

# the whole cycle, as a client sees it: share, accept, list, stop sharing

for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$http/versions" && break
    sleep 0.1
done

image=1bea47ed-f6a9-463b-b423-14b9cca9ad27
url=http://127.0.0.1:$http/v2/images/$image/members

show() {
    local token=$1 method=$2 path=$3 body=${4:-}

    echo "\$ curl -X $method -H 'X-Auth-Token: $token' $path${body:+ -d '$body'}"
    curl -s -X "$method" -H "X-Auth-Token: $token" \
        ${body:+-H 'Content-Type: application/json' -d "$body"} \
        -w ' -> %{http_code}\n' "$path"
}

echo
echo "The owner shares the demo image with demo-partner, which accepts it;"
echo "each lists the members it may see; the owner stops sharing:"
echo
show demo-owner-token POST "$url" '{"member": "demo-partner"}'
show demo-partner-token PUT "$url/demo-partner" '{"status": "accepted"}'
show demo-owner-token GET "$url"
show demo-partner-token GET "$url"
show demo-owner-token DELETE "$url/demo-partner"
show demo-partner-token GET "$url/demo-partner"

cat <<EOM

ngx_ims_member_module is running on http://127.0.0.1:$http (PostgreSQL on
127.0.0.1:$port, logs in $dir/nginx/logs).  Accept the shared demo image:

curl -i -X PUT -H 'X-Auth-Token: demo-member-token' -H 'Content-Type: application/json' -d '{"status": "accepted"}' http://127.0.0.1:$http/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27/members/demo-member

Or both images at once, as a batch job, then ask for the job:

curl -s -X PUT -H 'X-Auth-Token: demo-member-token' -d '{"images": ["1bea47ed-f6a9-463b-b423-14b9cca9ad27", "5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e"], "project_id": "demo-member", "status": "rejected"}' http://127.0.0.1:$http/v1/cloudimages/members
curl -s -H 'X-Auth-Token: demo-member-token' http://127.0.0.1:$http/v1/demo-member/jobs/JOB_ID

Share both images with demo-partner in one job (DELETE stops it):

curl -s -X POST -H 'X-Auth-Token: demo-owner-token' -d '{"images": ["1bea47ed-f6a9-463b-b423-14b9cca9ad27", "5d0a8ee1-6c4f-4cf5-b0f4-86f4e25a3c3e"], "projects": ["demo-partner"]}' http://127.0.0.1:$http/v1/cloudimages/members
curl -s -H 'X-Auth-Token: demo-owner-token' http://127.0.0.1:$http/v1/demo-owner/jobs/JOB_ID

The OpenStack clients find API v2 by themselves:

glance --os-image-url http://127.0.0.1:$http --os-auth-token demo-owner-token member-list --image-id 1bea47ed-f6a9-463b-b423-14b9cca9ad27

The module's metrics, as Prometheus reads them:

curl -s http://127.0.0.1:$http/metrics

Who shared the demo image with whom, when, from which request (the member
events, README.md: Member events):

psql -h 127.0.0.1 -p $port -U postgres ims -c "SELECT created_at, event_type, member, status, project_id, request_id FROM ims_member_events WHERE image_id = '$image' ORDER BY id"

Stop it with: bash scripts/demo.sh stop
EOM
