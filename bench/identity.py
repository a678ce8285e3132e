"""The benchmark's identity part (bench/bench.py imports it).

  f. the member update with a trusted project (ims_member_project from a
     header) and with a cached Keystone identity (ims_member_keystone with
     ims_member_keystone_cache), in alternating rounds: req/s and the CPU
     time per request of the nginx workers and of the whole machine less
     wrk.
"""

import os
import resource
import statistics

import bench


def busy_ms():
    """CPU time, all processes, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy * 1000.0 / os.sysconf("SC_CLK_TCK")


def children_ms():
    """CPU time of this script's finished children (wrk)."""
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (u.ru_utime + u.ru_stime) * 1000.0


def run(cluster, nginx, duration, rounds=5):
    """f. trusted project against cached Keystone identity, alternating."""
    # every token validated once, so that the runs see the cache only
    bench.wrk(nginx.keystone_port, 8, 3)
    out = []
    for c in (8, 32):
        runs = {"trusted": [], "keystone": []}
        for _ in range(rounds):
            for mode, port, env in (
                    ("trusted", nginx.trusted_port,
                     {"BENCH_PROJECT_HEADER": "1"}),
                    ("keystone", nginx.keystone_port, None)):
                cluster.psql("ims", "-c", "CHECKPOINT")
                cpu0, busy0, wrk0 = nginx.cpu_ms(), busy_ms(), children_ms()
                r = bench.wrk(port, c, duration, env)
                cpu1, busy1, wrk1 = nginx.cpu_ms(), busy_ms(), children_ms()
                n = max(r["requests"], 1)
                r["worker_cpu_us_per_request"] = (cpu1 - cpu0) * 1000.0 / n
                # nginx and PostgreSQL: the machine less wrk itself
                r["server_cpu_us_per_request"] = \
                    ((busy1 - busy0) - (wrk1 - wrk0)) * 1000.0 / n
                runs[mode].append(r)
        row = {"concurrency": c}
        for mode in runs:
            row[mode] = {
                "rps": statistics.median(x["rps"] for x in runs[mode]),
                "p50_ms": statistics.median(x["p50_ms"]
                                            for x in runs[mode]),
                "worker_cpu_us_per_request": statistics.median(
                    x["worker_cpu_us_per_request"] for x in runs[mode]),
                "server_cpu_us_per_request": statistics.median(
                    x["server_cpu_us_per_request"] for x in runs[mode]),
                "errors": sum(x["errors"] for x in runs[mode]),
                "runs": [x["rps"] for x in runs[mode]],
                "runs_cpu_us": [x["worker_cpu_us_per_request"]
                                for x in runs[mode]]}
        row["keystone_over_trusted"] = (row["keystone"]["rps"]
                                        / row["trusted"]["rps"])
        row["keystone_server_cpu_over_trusted"] = (
            row["keystone"]["server_cpu_us_per_request"]
            / row["trusted"]["server_cpu_us_per_request"])
        out.append(row)
    return out


def tokens(cluster, nginx, duration):
    """Single-connection p50 of the update with the seed's tokens, then with
    100,000 more live ones (other projects'); the extra ones are removed."""
    out = {}
    for n in (1001, 101001):
        if n > 1001:
            cluster.psql("ims", "-c",
                         "INSERT INTO ims_tokens (token_sha256, project_id,"
                         " expires_at, is_admin) SELECT encode(sha256("
                         "convert_to('tok-x-' || i, 'UTF8')), 'hex'),"
                         " 'x-' || i, now() + interval '1 day', false"
                         " FROM generate_series(1, 100000) AS i;"
                         " ANALYZE ims_tokens")
        cluster.psql("ims", "-c", "CHECKPOINT")
        out[str(n)] = bench.wrk(nginx.port, 1, duration)
    cluster.psql("ims", "-c", "DELETE FROM ims_tokens WHERE project_id"
                 " LIKE 'x-%'")
    cluster.psql("ims", "-c", "VACUUM ANALYZE ims_tokens")
    out["p50_ratio"] = out["101001"]["p50_ms"] / out["1001"]["p50_ms"]
    return out
