#!/usr/bin/env bash
# Installs, from Debian's archive, what building, running and testing the
# module needs and this machine lacks.  Run as root on Debian bookworm.

set -euo pipefail

packages=(
    build-essential nginx nginx-dev libpq-dev libjansson-dev
    postgresql postgresql-client ssl-cert valgrind
    clang libclang-rt-14-dev python3
    libtest-base-perl libtext-diff-perl libtest-longstring-perl
    liblist-moreutils-perl libwww-perl libipc-run-perl liburi-perl
    curl procps
    python3-keystone uwsgi-core uwsgi-plugin-python3 python3-psycopg2
    python3-glanceclient python3-openstacksdk glance-api glance-common
    pgbouncer postgresql-15-auto-failover pg-auto-failover-cli
    debhelper dpkg-dev lintian prometheus
    rabbitmq-server python3-oslo.messaging
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages' own services (nginx on port 80, the
    # default PostgreSQL cluster) from being started by the install
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod +x "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    # without recommends: no prometheus-node-exporter service either
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

    # the tests start their own Prometheus on loopback; the package's
    # service (all interfaces, port 9090) stays stopped, even where a
    # policy-rc.d of the machine let the install start it
    if [[ " ${missing[*]} " == *" prometheus "* ]] \
        && /etc/init.d/prometheus status >/dev/null 2>&1
    then
        /etc/init.d/prometheus stop
    fi

    # the same for RabbitMQ (all interfaces, port 5672) and for the epmd
    # its start, or the install's own rabbitmqctl, may have left on
    # 0.0.0.0:4369: the tests start both on loopback, on ports of their own
    if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
        if /etc/init.d/rabbitmq-server status >/dev/null 2>&1; then
            /etc/init.d/rabbitmq-server stop
        fi
        if command -v systemctl >/dev/null && [ -d /run/systemd/system ]
        then
            systemctl stop epmd.socket epmd.service 2>/dev/null || true
        fi
        if epmd -names >/dev/null 2>&1; then
            epmd -kill >/dev/null
        fi
    fi
fi

# the SSL test cluster uses Debian's snakeoil certificate, which the
# package makes only where it can at install time
if [ ! -e /etc/ssl/private/ssl-cert-snakeoil.key ]; then
    make-ssl-cert generate-default-snakeoil --force-overwrite
fi
