#!/usr/bin/env bash
# Runs the whole suite N times (default 20) in a row on a clean clone of
# this repository's HEAD, while two busy loops load both cores; stops at
# the first failure and keeps its output.  A flaky test is a bug: this is
# how one is found.
#
#     bash scripts/stress.sh [N] [make target, default "test"]

set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-20}
target=${2:-test}
clone=$(mktemp -d /tmp/ims-stress-XXXXXX)
log=$clone.log

git clone -q . "$clone"
echo "clone: $clone, log: $log"

# two busy loops, bounded in time, stopped by pid on the way out
limit=$((runs * 300))
busy=()
for i in 1 2; do
    timeout "$limit" sh -c 'while :; do :; done' &
    busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null || true' EXIT

make -C "$clone" >/dev/null

for i in $(seq 1 "$runs"); do
    start=$(date +%s)
    if ! make -C "$clone" "$target" > "$log" 2>&1; then
        echo "run $i of $runs: FAILED after $(( $(date +%s) - start )) s"
        grep -E "^t/|Failed test|not ok|#   " "$log" | grep -v "ok$" | head -40
        exit 1
    fi
    echo "run $i of $runs: ok in $(( $(date +%s) - start )) s"
done

echo "$runs runs in a row passed"
rm -rf "$clone" "$log"
