#!/usr/bin/env bash
# The benchmark: installs what it needs, builds the module, then runs
# bench/bench.py (its own PostgreSQL and nginx on 127.0.0.1).  Options are
# bench.py's: --duration SECONDS, --updates N (for the memory run), --quick.

set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
for p in wrk python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
make
exec /usr/bin/python3 bench/bench.py "$@"
