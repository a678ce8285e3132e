#!/usr/bin/env python3
"""make soak: the module under faults, with its own PostgreSQL and nginx.

1. Concurrent single updates while PostgreSQL restarts (-m fast and
   -m immediate, alternately).  Each client repeats an update until it is
   acknowledged, so every image's last request was acknowledged: the
   database must hold exactly that status (a lost acknowledgement, or a
   wrong row, otherwise).
2. Batch jobs on disjoint images while a worker is killed (SIGKILL), nginx
   reloads, nginx quits and starts again, and PostgreSQL restarts: every
   job must end, each image once, and a SUCCESS job's images must hold its
   status.

Prints requests, acknowledged, lost acknowledgements, wrong rows, 503s,
jobs by final status and the longest recovery; exits 1 on any loss.
--short: 3 restarts and fewer jobs, for CI.
"""

import argparse
import collections
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  the benchmark's cluster and nginx


def restart_pg(cluster, mode):
    subprocess.run(bench.as_postgres([cluster.bin + "/pg_ctl", "-D",
                                      cluster.dir + "/data", "-w", "-m",
                                      mode, "-l", cluster.dir + "/log",
                                      "restart"]),
                   check=True, capture_output=True)


def request(port, method, path, body):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, path, body=body,
                  headers={"X-Auth-Token": "tok-batch",
                           "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data
    except OSError:
        return 0, b""


class Updates:
    """Clients that each own images and repeat an update until acked."""

    def __init__(self, port, clients, per_client):
        self.port = port
        self.stop = False
        self.lock = threading.Lock()
        self.stats = collections.Counter()
        self.acked = {}
        self.recovery = 0.0
        self.threads = [threading.Thread(target=self.client,
                                         args=(range(1 + k * per_client,
                                                     1 + (k + 1) * per_client),))
                        for k in range(clients)]

    def client(self, images):
        n = 0
        while not self.stop:
            for i in images:
                status = ("accepted", "rejected")[n % 2]
                body = json.dumps({"status": status,
                                   "vault_id": "vault-soak"})
                path = "/v2/images/%s/members/m-batch" % bench.image_id(i)
                failed_at = None
                while True:
                    code, _ = request(self.port, "PUT", path, body)
                    with self.lock:
                        self.stats["requests"] += 1
                        self.stats["answer %d" % code] += 1
                    if code == 200:
                        break
                    failed_at = failed_at or time.monotonic()
                    time.sleep(0.05)
                with self.lock:
                    self.stats["acked"] += 1
                    self.acked[i] = status
                    if failed_at:
                        self.recovery = max(self.recovery,
                                            time.monotonic() - failed_at)
                if self.stop:
                    return
            n += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", action="store_true")
    args = ap.parse_args()
    restarts, jobs, images = (3, 6, 300) if args.short else (10, 20, 400)

    base = tempfile.mkdtemp(prefix="ims-soak-")
    os.chmod(base, 0o755)
    cluster = nginx = None
    out = {}
    try:
        print("starting PostgreSQL and seeding ...", flush=True)
        cluster = bench.Cluster(base)
        with open(cluster.dir + "/data/postgresql.conf", "a") as f:
            f.write("synchronous_commit = on\nfsync = on\n")
        restart_pg(cluster, "fast")
        for f in ("sql/glance.sql", "sql/ims.sql", "bench/seed.sql"):
            cluster.psql("ims", "-f", os.path.join(bench.ROOT, f))
        nginx = bench.Nginx(base, cluster.dsn())

        print("updates across %d PostgreSQL restarts ..." % restarts,
              flush=True)
        u = Updates(nginx.port, 8, 50)
        for t in u.threads:
            t.start()
        for k in range(restarts):
            time.sleep(1.5)
            restart_pg(cluster, ("fast", "immediate")[k % 2])
        time.sleep(2)
        u.stop = True
        for t in u.threads:
            t.join()
        rows = dict(line.split("|") for line in cluster.psql("ims", "-c",
            "SELECT bench_image_id_n, status FROM (SELECT"
            " ('x' || substr(image_id, 1, 8))::bit(32)::int"
            " AS bench_image_id_n, status FROM image_members"
            " WHERE member = 'm-batch' AND NOT deleted) s").splitlines())
        lost = sum(1 for i, s in u.acked.items() if rows.get(str(i)) != s)
        out["updates"] = {"requests": u.stats["requests"],
                          "acked": u.stats["acked"], "lost_acks": lost,
                          "answers": {k: v for k, v in u.stats.items()
                                      if k.startswith("answer")},
                          "longest_recovery_s": round(u.recovery, 2)}

        print("batch jobs across a killed worker, a reload, a quit and a "
              "restart of each ...", flush=True)
        ids = []
        faults = [lambda: os.kill(nginx.workers()[0], signal.SIGKILL),
                  lambda: os.kill(nginx.master(), signal.SIGHUP),
                  lambda: restart_nginx(nginx),
                  lambda: restart_pg(cluster, "immediate")]
        for j in range(jobs):
            first = 1001 + j * images
            body = json.dumps({"images": [bench.image_id(i) for i in
                                          range(first, first + images)],
                               "project_id": "m-batch",
                               "status": ("accepted", "rejected")[j % 2],
                               "vault_id": "vault-soak"})
            while True:
                code, data = request(nginx.port, "PUT",
                                     "/v1/cloudimages/members", body)
                if code == 200:
                    ids.append((json.loads(data)["job_id"], first,
                                ("accepted", "rejected")[j % 2]))
                    break
                time.sleep(0.1)
            if j % max(1, jobs // len(faults)) == 0 and faults:
                faults.pop(0)()
        final = collections.Counter()
        wrong = 0
        deadline = time.monotonic() + 180
        for job, first, status in ids:
            while True:
                state = cluster.psql("ims", "-c", "SELECT status || '|' ||"
                                     " done || '|' || total FROM ims_jobs"
                                     " WHERE id = '%s'" % job)
                if state.split("|")[0] in ("SUCCESS", "FAIL") \
                        or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            final[state.split("|")[0]] += 1
            count = cluster.psql("ims", "-c", "SELECT count(*),"
                                 " count(DISTINCT seq) FROM ims_job_images"
                                 " WHERE job_id = '%s'" % job)
            if state.startswith("SUCCESS"):
                wrong += int(cluster.psql("ims", "-c",
                    "SELECT count(*) FROM image_members WHERE member ="
                    " 'm-batch' AND NOT deleted AND status <> '%s' AND"
                    " image_id IN (SELECT bench_image_id(i) FROM"
                    " generate_series(%d, %d) i)"
                    % (status, first, first + images - 1)))
            if count != "%d|%d" % (images, images):
                wrong += 1
        out["jobs"] = {"jobs": len(ids), "images_each": images,
                       "final": dict(final), "wrong_rows": wrong}
    finally:
        if nginx:
            nginx.stop()
        if cluster:
            cluster.stop()

    print(json.dumps(out, indent=2, sort_keys=True))
    shutil.rmtree(base, ignore_errors=True)
    bad = (out.get("updates", {}).get("lost_acks", 1)
           + out.get("jobs", {}).get("wrong_rows", 1)
           + sum(v for k, v in out.get("jobs", {}).get("final", {}).items()
                 if k not in ("SUCCESS", "FAIL")))
    print("soak: %s" % ("FAILED" if bad else "ok"))
    return 1 if bad else 0


def restart_nginx(nginx):
    master = nginx.master()
    nginx.stop()
    for _ in range(300):
        try:
            os.kill(master, 0)
        except OSError:
            break
        time.sleep(0.1)
    bench.run(["nginx", "-p", nginx.prefix + "/", "-c",
               nginx.prefix + "/conf/nginx.conf"])


if __name__ == "__main__":
    sys.exit(main())
