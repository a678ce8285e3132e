#!/usr/bin/env bash
# The Debian package as an administrator meets it, as root ("make test-deb"):
# installs build/deb/libnginx-mod-http-ims-member_*.deb with apt (offline:
# its dependencies are installed), checks that the module is enabled, loads
# the packaged schema into a PostgreSQL cluster of its own, serves a member
# update through Debian's nginx with the packaged example configuration and
# the module loaded from /etc/nginx/modules-enabled, installs the relay's
# package (build/deb/ims-member-relay_*.deb) and runs it on that schema,
# then removes and purges the packages and checks that nothing remains.
#
# Debian's nginx runs with a configuration of the script's own, in a
# temporary directory, on loopback ports of its own: /etc/nginx/nginx.conf
# and port 80 are not touched.  Whatever happens, the machine is left as it
# was found: the servers stopped, the package purged, a policy-rc.d this
# script made removed.

set -euo pipefail
cd "$(dirname "$0")/../.."

pkg=libnginx-mod-http-ims-member
so=/usr/lib/nginx/modules/ngx_http_ims_member_module.so
available=/usr/share/nginx/modules-available/mod-http-ims-member.conf
enabled=/etc/nginx/modules-enabled/50-mod-http-ims-member.conf
share=/usr/share/$pkg
example=/usr/share/doc/$pkg/examples/ims-member.conf
policy=/usr/sbin/policy-rc.d

image=1bea47ed-f6a9-463b-b423-14b9cca9ad27
started=$(date +%s)
failed=0
tests=0

ok() {
    tests=$((tests + 1))
    echo "ok $tests - $1"
}

not_ok() {
    tests=$((tests + 1))
    failed=$((failed + 1))
    echo "not ok $tests - $1"
}

# check DESCRIPTION COMMAND...: one test, the command's status
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

die() {
    echo "Bail out! $*" >&2
    exit 1
}

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" \
      != not-installed ] && dpkg-query -W "$pkg" >/dev/null 2>&1
}

# nothing of the package on the machine: not known to dpkg, none of its
# files, no link in modules-enabled (nor the one "apt remove" leaves)
nothing_left() {
    ! installed && [ ! -e "$so" ] && [ ! -e "$available" ] \
        && [ ! -e "$share" ] && [ ! -e "/usr/share/doc/$pkg" ] \
        && [ ! -L "$enabled" ] && [ ! -L "$enabled.removed" ]
}

apt() {
    DEBIAN_FRONTEND=noninteractive apt-get -y -q \
        -o DPkg::Lock::Timeout=120 "$@"
}

[ "$(id -u)" = 0 ] || die "run as root (it installs the package with apt)"
[ -x /usr/sbin/nginx ] || die "Debian's nginx is not installed"
installed && die "$pkg is already installed: remove it first"
nothing_left || die "files of $pkg are on the machine: purge them first"

deb=$(ls build/deb/${pkg}_*.deb 2>/dev/null || true)
if [ -z "$deb" ]; then
    make deb
    deb=$(ls build/deb/${pkg}_*.deb)
fi
[ "$(echo "$deb" | wc -l)" = 1 ] || die "more than one package: $deb"

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ims-member-test-deb.XXXXXX")
relay_deb=$(ls build/deb/ims-member-relay_*.deb)
relay=ims-member-relay

relay_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$relay" 2>/dev/null)" \
      != not-installed ] && dpkg-query -W "$relay" >/dev/null 2>&1
}

relay_installed && die "$relay is already installed: remove it first"

# the workers (nobody) and PostgreSQL (postgres) go through it
chmod 755 "$tmp"
made_policy=no
nginx_pid=
pg_started=no

cleanup() {
    local status=$?

    set +e
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -QUIT "$nginx_pid"
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$nginx_pid" 2>/dev/null && kill -KILL "$nginx_pid"
    fi
    if [ "$pg_started" = yes ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg/data" \
            -m immediate -w stop >/dev/null
    fi
    if installed; then
        echo "# purging $pkg"
        apt purge "$pkg" >/dev/null
    fi
    if relay_installed; then
        echo "# purging $relay"
        apt purge "$relay" >/dev/null
    fi
    [ "$made_policy" = yes ] && rm -f "$policy"
    rm -rf "$tmp"
    exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# nginx's postinst, triggered by the module's, would reload the system's
# nginx; Debian's invoke-rc.d asks policy-rc.d first (101: not now)
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    made_policy=yes
fi

free_port() {
    perl -MIO::Socket::INET -e '
        for (1 .. 50) {
            my $p = 12000 + int(rand(20000));
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                LocalPort => $p, Proto => "tcp", ReuseAddr => 1, Listen => 1)
                or next;
            print "$p\n";
            exit 0;
        }
        exit 1;'
}

psql_ims() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" \
        -U postgres -d ims "$@"
}

# the package

echo "# installing $deb"
apt install --no-install-recommends "./$deb" > "$tmp/apt-install.log" 2>&1 \
    || { cat "$tmp/apt-install.log"; die "apt-get install failed"; }
ok "apt-get install $(basename "$deb")"

check "the module is $so" test -f "$so"
check "the load file is $available" \
    grep -qx "load_module modules/ngx_http_ims_member_module.so;" "$available"
check "the module is enabled: $enabled" \
    test "$(readlink "$enabled")" = "$available"
check "the schema is in $share/sql" test -f "$share/sql/ims.sql"
check "the example is $example" test -f "$example"
for lib in libpq5 libjansson4 libssl3 nginx-abi-; do
    check "the package depends on $lib" \
        grep -q "$lib" <(dpkg-query -W -f='${Depends}' "$pkg")
done

# PostgreSQL, the packaged schema and demo data

pg_port=$(free_port)
mkdir "$tmp/pg"
chown postgres: "$tmp/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg/data" -A trust \
    -U postgres -N -E UTF8 --locale=C > "$tmp/initdb.log" 2>&1 \
    || { cat "$tmp/initdb.log"; die "initdb failed"; }
cat >> "$tmp/pg/data/postgresql.conf" <<EOC
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/pg'
fsync = off
EOC
pg_started=yes
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg/data" -w \
    -l "$tmp/pg/postgresql.log" start >/dev/null \
    || { cat "$tmp/pg/postgresql.log"; die "PostgreSQL did not start"; }
psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    -c "CREATE DATABASE ims"

# ims.sql includes the files beside it (\ir): loaded from where the
# package put them
check "the packaged schema and demo data load" \
    psql_ims -f "$share/sql/glance.sql" -f "$share/sql/ims.sql" \
             -f "$share/sql/demo.sql"

member_status() {
    psql_ims -c "SELECT status FROM image_members
                  WHERE image_id = '$image' AND member = 'demo-member'
                    AND NOT deleted"
}
check "the demo member is pending" test "$(member_status)" = pending

# Debian's nginx, the module from modules-enabled, the packaged example

http_port=${TEST_NGINX_SERVER_PORT:-$(free_port)}
status_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
conninfo="hostaddr=127.0.0.1 port=$pg_port dbname=ims user=postgres"
sed -e "s|\"hostaddr=[^\"]*\"|\"$conninfo sslmode=disable\"|" \
    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 127.0.0.1:9145;|listen 127.0.0.1:$status_port;|" \
    -e "s|/var/log/nginx/ims-member.log|$tmp/nginx/logs/ims-member.log|" \
    "$example" > "$tmp/nginx/ims-member.conf"
grep -q "port=$pg_port " "$tmp/nginx/ims-member.conf" \
    && grep -q "listen 127.0.0.1:$http_port;" "$tmp/nginx/ims-member.conf" \
    && grep -q "listen 127.0.0.1:$status_port;" "$tmp/nginx/ims-member.conf" \
    && grep -q "$tmp/nginx/logs/ims-member.log" "$tmp/nginx/ims-member.conf" \
    || die "the example's database, listen or log lines changed: adapt this test"

cat > "$tmp/nginx/nginx.conf" <<EOC
# as Debian's nginx.conf loads modules
include /etc/nginx/modules-enabled/*.conf;

worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log info;

events {}

http {
    access_log $tmp/nginx/logs/access.log;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;

    include $tmp/nginx/ims-member.conf;
}
EOC

# Debian's prefix (/usr/share/nginx, where modules/ leads to the modules):
# every other path of the configuration is in the temporary directory
nginx() {
    /usr/sbin/nginx -e "$tmp/nginx/logs/error.log" \
        -c "$tmp/nginx/nginx.conf" "$@"
}

check "nginx -t accepts the example with the enabled module" \
    nginx -t -q
nginx || { cat "$tmp/nginx/logs/error.log"; die "nginx did not start"; }
nginx_pid=$(cat "$tmp/nginx/nginx.pid")

# the listening socket is open once nginx returns; the request waits in
# its backlog for the worker
code=$(curl -s -o "$tmp/body" -w '%{http_code}' --max-time 20 -X PUT \
            -H 'X-Auth-Token: demo-member-token' \
            -H 'Content-Type: application/json' \
            -d '{"status": "accepted"}' \
            "http://127.0.0.1:$http_port/v2/images/$image/members/demo-member" \
       || true)
check "PUT /v2/images/{id}/members/demo-member: 200 (got $code)" \
    test "$code" = 200
check "the answer says accepted" grep -q '"status": *"accepted"' "$tmp/body"
check "the database row is accepted" test "$(member_status)" = accepted

# the example's metrics page and access log saw it (the access log line
# is written once the answer is out: wait for it, bounded)
for _ in $(seq 100); do
    grep -q ' 200 ' "$tmp/nginx/logs/ims-member.log" 2>/dev/null && break
    sleep 0.05
done
curl -s --max-time 10 "http://127.0.0.1:$status_port/metrics" \
    > "$tmp/metrics" || true
check "the metrics page counts the update" grep -q \
    '^ims_member_requests_total{endpoint="update",status="200",code=""} 1$' \
    "$tmp/metrics"
check "the access log line has the database time and the group size" \
    grep -Eq '" 200 - - 0\.[0-9]{6} 1 ' "$tmp/nginx/logs/ims-member.log"
[ "$failed" = 0 ] || { cat "$tmp/body" "$tmp/nginx/logs/error.log"; echo; }

kill -QUIT "$nginx_pid"
for _ in $(seq 50); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
done
check "nginx stopped" bash -c "! kill -0 $nginx_pid 2>/dev/null"

# the relay's package: installed disabled, it runs on the packaged schema

echo "# installing $relay_deb"
apt install --no-install-recommends "./$relay_deb" \
    > "$tmp/apt-install-relay.log" 2>&1 \
    || { cat "$tmp/apt-install-relay.log"; die "apt-get install failed"; }
ok "apt-get install $(basename "$relay_deb")"
check "the relay is /usr/sbin/$relay" test -x "/usr/sbin/$relay"
check "its configuration is /etc/$relay/relay.conf" \
    test -f "/etc/$relay/relay.conf"
check "its unit is installed" \
    test -f "/lib/systemd/system/$relay.service"
check "its unit is not enabled" bash -c \
    "! ls /etc/systemd/system/*.wants/$relay.service >/dev/null 2>&1"
check "its manual page is installed" \
    test -f "/usr/share/man/man8/$relay.8.gz"

# the packaged relay, on the packaged schema: it claims its name and waits
# for events (no broker needed until one comes); SIGTERM ends it with 0
printf '%s\n' '[DEFAULT]' \
    'transport_url = rabbit://guest:guest@127.0.0.1:1/' \
    '[ims_member_relay]' \
    "database = host=127.0.0.1 port=$pg_port dbname=ims user=postgres" \
    'poll_interval = 0.2' > "$tmp/relay.conf"
"/usr/sbin/$relay" --config-file "$tmp/relay.conf" 2> "$tmp/relay.log" &
relay_pid=$!
for _ in $(seq 100); do
    grep -q 'publishes stream' "$tmp/relay.log" && break
    sleep 0.1
done
kill -TERM "$relay_pid" 2>/dev/null || true
relay_rc=0
wait "$relay_pid" || relay_rc=$?
check "the packaged relay claims its name on the packaged schema" \
    grep -q 'relay "glance" publishes stream' "$tmp/relay.log"
check "it stops on SIGTERM with 0 (got $relay_rc)" test "$relay_rc" = 0
check "its place is recorded" \
    test "$(psql_ims -c "SELECT count(*) FROM ims_member_relay")" = 1

apt purge "$relay" > "$tmp/apt-purge-relay.log" 2>&1 \
    || { cat "$tmp/apt-purge-relay.log"; die "apt-get purge failed"; }
ok "apt-get purge $relay"
check "nothing of the relay's package remains" bash -c \
    "! dpkg -L $relay >/dev/null 2>&1 && [ ! -e /usr/sbin/$relay ] \
     && [ ! -e /etc/$relay ] && [ ! -e /lib/systemd/system/$relay.service ]"

# remove, then purge

apt remove "$pkg" > "$tmp/apt-remove.log" 2>&1 \
    || { cat "$tmp/apt-remove.log"; die "apt-get remove failed"; }
ok "apt-get remove $pkg"
check "the module is gone" test ! -e "$so"
check "the module is no longer enabled" test ! -L "$enabled"
nginx_refuses() {
    ! nginx -t -q > "$tmp/nginx-t.log" 2>&1 \
        && grep -q 'unknown directive "ims_member_database"' "$tmp/nginx-t.log"
}
check "nginx -t now refuses the example (no module loaded)" nginx_refuses

apt purge "$pkg" > "$tmp/apt-purge.log" 2>&1 \
    || { cat "$tmp/apt-purge.log"; die "apt-get purge failed"; }
ok "apt-get purge $pkg"
check "dpkg -L $pkg knows it no more" \
    bash -c "! dpkg -L $pkg >/dev/null 2>&1"
check "nothing of the package remains" nothing_left

echo "1..$tests"
echo "# $((tests - failed))/$tests passed in $(( $(date +%s) - started )) s"
[ "$failed" = 0 ]
