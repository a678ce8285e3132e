#!/usr/bin/env python3
"""Benchmark of ngx_http_ims_member_module, side by side with its limits.

One run, on one machine, one load at a time; a. to c. in two interleaved
rounds, each load after a CHECKPOINT, medians reported:

  a. the single member update through the module (wrk), at 1, 8, 32, 64
     connections, with ims_member_group_commit on (the default); a'. the
     same with it off;
  p. the physical limit: pgbench -M prepared running the plain UPDATE of a
     member's status by its key on the same random pairs (bench/plain.sql);
     module/plain is the headline;
  b. pgbench -M prepared running the module's own statement with the same
     parameters' spread (what the statement costs without nginx);
  c. the HTTP ceiling: the same wrk load on a "return 200" location of the
     same nginx;
  d. batch jobs: submit-to-SUCCESS of a 1,000- and a 10,000-image job, and
     submit-to-RUNNING of 1-image jobs; d'. sharing: an owner's add job of
     100 images x 10 projects and the delete job of the same 1,000 pairs,
     submit to SUCCESS, and single shares and unshares one after another
     (p50 of each);
  e. memory: each worker's RSS before and after 1,000,000 updates;
  f. identity: the update of a. with a trusted project (ims_member_project
     from a header) and with a cached Keystone identity (ims_member_keystone
     with ims_member_keystone_cache), in alternating rounds: req/s and the
     workers' CPU time per request;
  g. tokens: the single-connection p50 of a. with the 1,001 tokens of the
     seed, then with 100,000 more live tokens in ims_tokens;
  h. and i. (bench/scale.py): the update of a. through PgBouncer in
     transaction mode (ims_member_prepare off) beside pgbench's plain
     UPDATE through the same PgBouncer, and u. the module straight to
     PostgreSQL with ims_member_prepare off (what unnamed statements cost
     alone), in a.'s rounds; a failover to a synchronous standby under
     updates, last;
  j. (bench/ha.py): a failover manager, pg_auto_failover, under updates:
     a planned switchover and the primary killed.
  s. (bench/watch.py): the update of a. on an nginx whose status page
     (ims_member_status) is read every second meanwhile, in a.'s rounds.
  e. the update of a. with ims_member_events off (a. writes an event for
     each update that changes its row, about half of them), in a.'s
     rounds; --only events runs a., e. and p. alone.

It starts its own PostgreSQL cluster (durable commits, as shipped) and nginx
on 127.0.0.1, prints one table and writes it as JSON in bench/results/.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import pwd
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
MODULE = os.path.join(ROOT, "build", "ngx_http_ims_member_module.so")

WORKERS = 2
POOL = 16
CONCURRENCY = [1, 8, 32, 64]
ROUNDS = 2


def pg_bindir():
    dirs = sorted(
        (d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()),
        key=int)
    return os.path.join("/usr/lib/postgresql", dirs[-1], "bin")


_given_ports = set()


def free_port():
    """A free loopback port, never one given before: the kernel may hand
    the same ephemeral port to two binds in a row once the first closed."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _given_ports:
            _given_ports.add(port)
            return port


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s"
                           % (cmd[0], p.returncode, p.stdout[-2000:],
                              p.stderr[-2000:]))
    return p


def as_postgres(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class Cluster:
    """A PostgreSQL cluster of the benchmark's own, with durable commits."""

    def __init__(self, base):
        self.dir = os.path.join(base, "pg")
        self.port = free_port()
        self.bin = pg_bindir()
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(base, pw.pw_uid, pw.pw_gid)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        run(as_postgres([self.bin + "/initdb", "-D", self.dir + "/data",
                         "-A", "trust", "-U", "postgres", "-E", "UTF8",
                         "--locale=C"]))
        with open(self.dir + "/data/postgresql.conf", "a") as f:
            f.write("listen_addresses = '127.0.0.1'\n"
                    "port = %d\n"
                    "unix_socket_directories = '%s'\n"
                    "max_connections = 200\n"
                    "shared_buffers = 512MB\n" % (self.port, self.dir))
        run(as_postgres([self.bin + "/pg_ctl", "-D", self.dir + "/data",
                         "-w", "-l", self.dir + "/log", "start"]))
        self.psql("postgres", "-c", "CREATE DATABASE ims")

    def psql(self, db, *args):
        return run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                    "-h", "127.0.0.1", "-p", str(self.port), "-U",
                    "postgres", "-d", db] + list(args)).stdout.strip()

    def dsn(self):
        return ("hostaddr=127.0.0.1 port=%d dbname=ims user=postgres "
                "sslmode=disable" % self.port)

    def stop(self):
        subprocess.run(as_postgres([self.bin + "/pg_ctl", "-D",
                                    self.dir + "/data", "-m", "fast",
                                    "stop"]), capture_output=True)


class Nginx:
    """nginx with the module: the member endpoints, and a return 200."""

    def __init__(self, base, dsn, group_commit="on", name="nginx",
                 prepare="on", module=MODULE, extra=""):
        self.prefix = os.path.join(base, name)
        self.port = free_port()
        self.ceiling_port = free_port()
        self.trusted_port = free_port()
        self.keystone_port = free_port()
        self.standin_port = free_port()
        os.makedirs(self.prefix + "/logs")
        os.makedirs(self.prefix + "/conf")
        with open(self.prefix + "/conf/nginx.conf", "w") as f:
            f.write("""
load_module %(module)s;
worker_processes %(workers)d;
worker_rlimit_nofile 8192;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path %(prefix)s/body;
    ims_member_database "%(dsn)s";
    ims_member_pool %(pool)d;
    ims_member_group_commit %(group_commit)s;
    ims_member_prepare %(prepare)s;
    ims_member_batch_max 10000;
    %(extra)s
    # every tenth seeded image is full-ECS, with more members than IMS's
    # 10 after the sharing job: the job measures shares, limits counted
    ims_member_share_quota 256 256;
    server {
        listen 127.0.0.1:%(port)d backlog=4096;
        # d'. shares and unshares (of the project s-one)
        location ~ ^/v2/images/[^/]+/members(/s-one)?$ { ims_member_api; }
        location ~ ^/v2/images/[^/]+/members/[^/]+$ { ims_member_update; }
        location = /v1/cloudimages/members { ims_member_batch; }
        location ~ ^/v1/[^/]+/jobs/[^/]+$ { ims_member_jobs; }
    }
    server {
        listen 127.0.0.1:%(ceiling)d backlog=4096;
        location / {
            default_type application/json;
            return 200 '{"status": "accepted"}';
        }
    }

    # f. the same update, the project from a trusted header
    server {
        listen 127.0.0.1:%(trusted)d backlog=4096;
        location ~ ^/v2/images/[^/]+/members/[^/]+$ {
            ims_member_project $http_x_project_id;
            ims_member_update;
        }
    }

    # f. the same update, the token validated by Keystone, then cached;
    # what answers for Keystone here gives token tok-N the project m-N in
    # Keystone's format, and is asked once per token (valid=1h): the runs
    # measure the cached identity, as a busy cloud sees it
    ims_member_keystone_cache zone=keystone:10m valid=1h;
    upstream bench_keystone {
        server 127.0.0.1:%(standin)d;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:%(keystone)d backlog=4096;
        ims_member_keystone /_keystone;
        location = /_keystone {
            internal;
            proxy_pass http://bench_keystone/v3/auth/tokens;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location ~ ^/v2/images/[^/]+/members/[^/]+$ { ims_member_update; }
    }
    map $http_x_subject_token $bench_project {
        ~^tok-(?<n>[0-9]+)$  m-$n;
        default              "";
    }
    server {
        listen 127.0.0.1:%(standin)d;
        location = /v3/auth/tokens {
            default_type application/json;
            return 200 '{"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "project": {"id": "$bench_project", "name": "$bench_project"}, "roles": [{"id": "r1", "name": "reader"}, {"id": "r2", "name": "member"}]}}';
        }
    }
}
""" % {"module": module, "workers": WORKERS, "prefix": self.prefix,
       "dsn": dsn, "pool": POOL, "group_commit": group_commit,
       "prepare": prepare, "extra": extra,
       "port": self.port,
       "ceiling": self.ceiling_port, "trusted": self.trusted_port,
       "keystone": self.keystone_port, "standin": self.standin_port})
        run(["nginx", "-p", self.prefix + "/", "-c",
             self.prefix + "/conf/nginx.conf"])
        time.sleep(0.5)

    def master(self):
        with open(self.prefix + "/logs/nginx.pid") as f:
            return int(f.read())

    def workers(self):
        master = self.master()
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master:
                pids.append(int(d))
        return sorted(pids)

    def cpu_ms(self):
        """CPU time, user and system, of the workers so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.workers():
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total * 1000.0 / tick

    def rss_kib(self):
        out = {}
        for pid in self.workers():
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out[pid] = int(line.split()[1])
        return out

    def stop(self):
        try:
            os.kill(self.master(), 3)
        except OSError:
            pass


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port, conns, duration, env=None):
    """wrk with the update script; req/s, p50 and p99 in ms, errors."""
    threads = min(2, conns)
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration,
           "--latency", "-s", os.path.join(BENCH, "update.lua"),
           "http://127.0.0.1:%d" % port]
    out = run(cmd, env=dict(os.environ, **(env or {}))).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p = {}
    for k, v in lat.items():
        m = re.match(r"([\d.]+)(\w+)", v)
        p[k] = to_ms(m.group(1), m.group(2))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": p.get("50"), "p99_ms": p.get("99"),
            "requests": total, "errors": int(bad.group(1)) if bad else 0}


# the parameters of the module's update, as bench/pgbench.sql spreads them
UPDATE_PARAMS = {
    "1": "(encode(sha256(convert_to('tok-' || :m, 'UTF8')), 'hex'))",
    "2": "NULL",
    "3": "NULL",
    # bench_image_id()'s body, written out: a CALL's arguments are not
    # planned, and a SQL function in them would be parsed on every call
    "4": "(lpad(to_hex(:i::integer), 8, '0') || '-0000-4000-8000-'"
         " || lpad(to_hex(:i::integer), 12, '0'))",
    "5": "('m-' || :m)",
    "6": "(CASE WHEN :s::integer = 0 THEN 'accepted' ELSE 'rejected' END)",
    "7": "'vault-bench'",
    "8": "false",
    # the event's: written, no Keystone user, a request id
    "9": "true",
    "10": "NULL",
    "11": "('req-bench-' || :i)",
}


def update_statement():
    """The module's update statement, from its C source, with pgbench's
    variables for its parameters: the benchmark runs what the module runs."""
    with open(os.path.join(ROOT, "ngx_ims_member_module",
                           "ngx_http_ims_member_sql.c")) as f:
        src = f.read()
    start = src.index("NGX_HTTP_IMS_MEMBER_SQL_UPDATE:")
    start = src.index("ngx_string(", start) + len("ngx_string(")
    end = src.index("),\n", start)
    text = src[start:end]
    sql = "".join(json.loads(lit) for lit in
                  re.findall(r'"(?:[^"\\]|\\.)*"', text))
    return re.sub(r"\$(\d+)\b", lambda m: UPDATE_PARAMS[m.group(1)], sql)


def pgbench(cluster, clients, duration, base, script="pgbench.sql",
            port=None, mode="prepared"):
    """pgbench -M prepared (or "mode") with a script of bench/, on the
    cluster (or "port": PgBouncer); req/s, p50, p99."""
    logdir = tempfile.mkdtemp(prefix="%s-%d-" % (script.split(".")[0],
                                                 clients), dir=base)
    os.chmod(logdir, 0o777)
    path = os.path.join(BENCH, script)
    if script == "pgbench.sql":
        with open(path) as f:
            text = f.read()
        path = os.path.join(base, script)
        with open(path, "w") as f:
            f.write(text + update_statement() + ";\n")
        os.chmod(path, 0o644)
    cmd = [cluster.bin + "/pgbench", "-n", "-M", mode, "-c",
           str(clients), "-j", str(min(2, clients)), "-T", str(duration),
           "-f", path, "-l",
           "--log-prefix", logdir + "/tx", "-h", "127.0.0.1", "-p",
           str(port or cluster.port), "-U", "postgres", "ims"]
    out = run(cmd, cwd=logdir).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    lat = []
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as f:
            for line in f:
                lat.append(int(line.split()[2]) / 1000.0)
    lat.sort()
    return {"rps": tps, "p50_ms": percentile(lat, 50),
            "p99_ms": percentile(lat, 99), "requests": len(lat),
            "errors": 0}


def median_run(runs):
    """Each figure's median over rounds (for two: their mean)."""
    out = {}
    for k in runs[0]:
        vals = [r[k] for r in runs if r[k] is not None]
        out[k] = statistics.median(vals) if vals else None
    out["rounds"] = [r["rps"] for r in runs]
    return out


def ratio(x, y):
    """x over y, the median of each round's ratio: a round's loads run back
    to back, so each pair shares the machine's drift between rounds."""
    return statistics.median(u / v for u, v in zip(x["rounds"], y["rounds"]))


def percentile(values, p):
    if not values:
        return None
    i = min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))
    return values[i]


def http_json(port, method, path, body=None, token="tok-batch"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body,
              headers={"X-Auth-Token": token,
                       "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data)


def image_id(n):
    return "%08x-0000-4000-8000-%012x" % (n, n)


def batch(port, n, status, until):
    """Seconds from submit until the job's status is in "until"."""
    body = json.dumps({"images": [image_id(i) for i in range(1, n + 1)],
                       "project_id": "m-batch", "status": status,
                       "vault_id": "vault-bench"})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    conn.request("PUT", "/v1/cloudimages/members", body=body,
                 headers={"X-Auth-Token": "tok-batch"})
    r = conn.getresponse()
    job = json.loads(r.read())["job_id"]
    path = "/v1/m-batch/jobs/" + job
    while True:
        conn.request("GET", path, headers={"X-Auth-Token": "tok-batch"})
        r = conn.getresponse()
        data = r.read()
        state = re.match(rb'\{"status": "(\w+)"', data).group(1).decode()
        if state in until:
            elapsed = time.monotonic() - start
            conn.close()
            return elapsed, state
        if time.monotonic() - start > 60:
            raise RuntimeError("job %s still %s after 60 s" % (job, state))
        time.sleep(0.002)


def sharing_job(port, method, images, projects):
    """Seconds from submit until the owner's add or delete job ends."""
    body = json.dumps({"images": images, "projects": projects})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    conn.request(method, "/v1/cloudimages/members", body=body,
                 headers={"X-Auth-Token": "tok-owner-0"})
    job = json.loads(conn.getresponse().read())["job_id"]
    while True:
        conn.request("GET", "/v1/owner-0/jobs/" + job,
                     headers={"X-Auth-Token": "tok-owner-0"})
        data = conn.getresponse().read()
        state = re.match(rb'\{"status": "(\w+)"', data).group(1).decode()
        if state in ("SUCCESS", "FAIL"):
            conn.close()
            return time.monotonic() - start, state
        if time.monotonic() - start > 60:
            raise RuntimeError("job %s still %s after 60 s" % (job, state))
        time.sleep(0.002)


def sharing(port, n=500):
    """d'. the owner-0's images (every hundredth): jobs, then one by one."""
    images = [image_id(i) for i in range(100, 10001, 100)]
    projects = ["s-%d" % k for k in range(10)]
    t_add, s_add = sharing_job(port, "POST", images, projects)
    t_del, s_del = sharing_job(port, "DELETE", images, projects)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    share, unshare = [], []
    for i in range(n):
        path = "/v2/images/%s/members" % image_id(100 * (1 + i % 1000))
        for method, url, body, times in (
                ("POST", path, '{"member": "s-one"}', share),
                ("DELETE", path + "/s-one", None, unshare)):
            start = time.monotonic()
            conn.request(method, url, body=body,
                         headers={"X-Auth-Token": "tok-owner-0"})
            r = conn.getresponse()
            r.read()
            times.append(time.monotonic() - start)
            if r.status not in (200, 204):
                raise RuntimeError("%s %s: %d" % (method, url, r.status))
    conn.close()
    return {"add_1000_pairs_ms": t_add * 1000, "add_status": s_add,
            "delete_1000_pairs_ms": t_del * 1000, "delete_status": s_del,
            "share_p50_ms": statistics.median(share) * 1000,
            "unshare_p50_ms": statistics.median(unshare) * 1000,
            "one_by_one": n}


def job_answer(cluster, nginx, n=100000, gets=10):
    """A finished job of n images: what its GET costs the worker."""
    job = "f" * 32
    cluster.psql("ims", "-c", """
        INSERT INTO ims_jobs (id, project_id, submitter, is_admin,
                              member_status, status, total, done,
                              created_at, begin_time, end_time, images)
        SELECT '%(job)s', 'm-batch', 'm-batch', false, 'accepted',
               'SUCCESS', %(n)d, %(n)d, now() AT TIME ZONE 'UTC',
               now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC',
               ARRAY(SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-8000-'
                            || lpad(to_hex(i), 12, '0')
                       FROM generate_series(1, %(n)d) i);
        INSERT INTO ims_job_images (job_id, seq, image_id, status)
        SELECT '%(job)s', i, lpad(to_hex(i), 8, '0') || '-0000-4000-8000-'
                             || lpad(to_hex(i), 12, '0'), 'SUCCESS'
          FROM generate_series(1, %(n)d) i;""" % {"job": job, "n": n})
    time.sleep(1)
    rss0, cpu0 = nginx.rss_kib(), nginx.cpu_ms()
    times, size = [], 0
    for _ in range(gets):
        conn = http.client.HTTPConnection("127.0.0.1", nginx.port,
                                          timeout=60)
        start = time.monotonic()
        conn.request("GET", "/v1/m-batch/jobs/" + job,
                     headers={"X-Auth-Token": "tok-batch"})
        r = conn.getresponse()
        data = r.read()
        times.append(time.monotonic() - start)
        conn.close()
        if r.status != 200:
            raise RuntimeError("job GET answered %d" % r.status)
        size = len(data)
    time.sleep(1)
    cpu1, rss1 = nginx.cpu_ms(), nginx.rss_kib()
    cluster.psql("ims", "-c", "DELETE FROM ims_jobs WHERE id = '%s'" % job)
    return {"images": n, "bytes": size, "gets": gets,
            "p50_ms": statistics.median(times) * 1000,
            "worker_cpu_ms_per_get": (cpu1 - cpu0) / gets,
            "rss_before_kib": rss0, "rss_after_kib": rss1,
            "max_growth_kib": max(rss1.get(p, 0) - rss0.get(p, 0)
                                  for p in rss0)}


def versions():
    def first(cmd):
        p = subprocess.run(cmd, capture_output=True, text=True)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    return {"nginx": first(["nginx", "-v"]),
            "postgresql": first([pg_bindir() + "/postgres", "--version"]),
            "wrk": first(["wrk", "-v"]),
            "pgbench": first([pg_bindir() + "/pgbench", "--version"]),
            "kernel": platform.release()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10,
                    help="seconds of each wrk and pgbench run")
    ap.add_argument("--updates", type=int, default=1000000,
                    help="updates of the memory run")
    ap.add_argument("--quick", action="store_true",
                    help="3-second runs and 100,000 updates: a smoke test")
    ap.add_argument("--only", choices=["identity", "update", "events",
                                       "ha"],
                    help="run one part alone (f. identity, a. to c. "
                         "without PgBouncer, a. e. and p., or j. the "
                         "failover manager)")
    ap.add_argument("--rounds", type=int, default=ROUNDS,
                    help="interleaved rounds of the single update's loads "
                         "(their medians are printed)")
    ap.add_argument("--baseline", metavar="SO",
                    help="another build of the module: its update (a0.) "
                         "runs in a.'s rounds, beside a.")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.updates = 3, 100000

    base = tempfile.mkdtemp(prefix="ims-bench-")
    os.chmod(base, 0o755)
    import ha
    import identity
    import scale
    import watch

    cluster = nginx = single = bouncer = bnginx = unnamed = watched = None
    quiet = None
    baseline = None
    done_ok = False
    result = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
              "cores": os.cpu_count(), "versions": versions(),
              "workers": WORKERS, "pool": POOL, "rounds": args.rounds,
              "db_connections": WORKERS * POOL, "duration_s": args.duration}
    try:
        if args.only == "ha":
            print("failover manager: a switchover and a crash under "
                  "updates ...", flush=True)
            result["ha"] = ha.run(base)
            done_ok = True
            return

        print("starting PostgreSQL and seeding 100,000 images ...",
              flush=True)
        cluster = Cluster(base)
        for f in ("sql/glance.sql", "sql/ims.sql", "bench/seed.sql"):
            cluster.psql("ims", "-f", os.path.join(ROOT, f))
        nginx = Nginx(base, cluster.dsn())
        single = Nginx(base, cluster.dsn(), "off", "nginx-single")
        if args.baseline:
            baseline = Nginx(base, cluster.dsn(), name="nginx-baseline",
                             module=os.path.abspath(args.baseline))
            wrk(baseline.port, 32, 2)
        quiet = Nginx(base, cluster.dsn(), name="nginx-quiet",
                      extra="ims_member_events off;")
        wrk(quiet.port, 32, 2)
        if args.only not in ("update", "events"):
            bouncer = scale.Bouncer(base, cluster, WORKERS * POOL)
            bnginx = Nginx(base, bouncer.dsn(), name="nginx-bouncer",
                           prepare="off")
            wrk(bnginx.port, 32, 2)
        if args.only != "events":
            unnamed = Nginx(base, cluster.dsn(), name="nginx-unnamed",
                            prepare="off")
            wrk(unnamed.port, 32, 2)
            watched = watch.Watched(base, cluster.dsn())
            wrk(watched.port, 32, 2)

        # warm up: connections opened, statements prepared, caches filled;
        # then statistics as a running cloud has them: the sessions keep
        # their plans, and one made while the vault table was still empty
        # would scan it until autovacuum's first ANALYZE of it
        wrk(nginx.port, 32, 2)
        wrk(single.port, 32, 2)
        cluster.psql("ims", "-c", "ANALYZE")
        cluster.psql("ims", "-c", "CHECKPOINT")

        if args.only == "identity":
            print("identity: trusted project, cached Keystone ...",
                  flush=True)
            result["identity"] = identity.run(cluster, nginx, args.duration)
            done_ok = True
            return

        # interleaved rounds, each load after a checkpoint; medians
        rows = []
        for c in CONCURRENCY if args.only != "events" else [8, 32, 64]:
            print("concurrency %d ..." % c, flush=True)
            loads = {
                "module": lambda: wrk(nginx.port, c, args.duration),
                "module_single": lambda: wrk(single.port, c, args.duration),
                "plain": lambda: pgbench(cluster, c, args.duration, base,
                                         "plain.sql"),
                "pgbench": lambda: pgbench(cluster, c, args.duration, base),
                "return200": lambda: wrk(nginx.ceiling_port, c,
                                         args.duration)}
            if bouncer:
                loads.update({
                    "module_bouncer": lambda: wrk(bnginx.port, c,
                                                  args.duration),
                    "plain_bouncer": lambda: pgbench(cluster, c,
                                                     args.duration, base,
                                                     "plain.sql",
                                                     bouncer.port,
                                                     "extended")})
            if unnamed:
                loads["module_unnamed"] = lambda: wrk(unnamed.port, c,
                                                      args.duration)
            if baseline:
                loads["baseline"] = lambda: wrk(baseline.port, c,
                                                args.duration)
            if watched:
                loads["module_watched"] = lambda: watched.load(
                    c, args.duration)
            loads["module_quiet"] = lambda: wrk(quiet.port, c,
                                                args.duration)
            if args.only == "events":
                loads = {k: loads[k]
                         for k in ("module", "module_quiet", "plain")}
            runs = {k: [] for k in loads}
            for _ in range(args.rounds):
                for k, load in loads.items():
                    cluster.psql("ims", "-c", "CHECKPOINT")
                    runs[k].append(load())
            row = {"concurrency": c}
            for k, v in runs.items():
                row[k] = median_run(v)
            a, p = row["module"], row["plain"]
            row["module_over_plain"] = ratio(a, p)
            row["events_over_quiet"] = ratio(a, row["module_quiet"])
            row["quiet_over_plain"] = ratio(row["module_quiet"], p)
            rows.append(row)
            if args.only == "events":
                continue
            row["single_over_plain"] = ratio(row["module_single"], p)
            row["module_over_pgbench"] = ratio(a, row["pgbench"])
            row["module_over_return200"] = ratio(a, row["return200"])
            if bouncer:
                row["bouncer_over_plain_bouncer"] = ratio(
                    row["module_bouncer"], row["plain_bouncer"])
                row["bouncer_over_module"] = ratio(row["module_bouncer"], a)
            if unnamed:
                row["unnamed_over_module"] = ratio(row["module_unnamed"], a)
            if baseline:
                row["module_over_baseline"] = ratio(a, row["baseline"])
            row["watched_over_module"] = ratio(row["module_watched"], a)
        result["single_update"] = rows
        if args.baseline:
            result["baseline"] = os.path.abspath(args.baseline)

        if args.only in ("update", "events"):
            done_ok = True
            return

        print("tokens: 1,001, then 101,001 ...", flush=True)
        result["tokens"] = identity.tokens(cluster, nginx, args.duration)

        print("batch jobs ...", flush=True)
        t1000, s1000 = batch(nginx.port, 1000, "accepted",
                             ("SUCCESS", "FAIL"))
        t10000, s10000 = batch(nginx.port, 10000, "rejected",
                               ("SUCCESS", "FAIL"))
        running = []
        for i in range(20):
            t, _ = batch(nginx.port, 1, ("accepted", "rejected")[i % 2],
                         ("RUNNING", "SUCCESS", "FAIL"))
            running.append(t)
        result["batch"] = {
            "job_1000_ms": t1000 * 1000, "job_1000_status": s1000,
            "job_10000_ms": t10000 * 1000, "job_10000_status": s10000,
            "submit_to_running_p50_ms": statistics.median(running) * 1000,
            "submit_to_running_max_ms": max(running) * 1000}

        print("sharing: jobs of 1,000 pairs, shares one by one ...",
              flush=True)
        result["sharing"] = sharing(nginx.port)

        print("job answer: 100,000 images ...", flush=True)
        result["job_answer"] = job_answer(cluster, nginx)

        print("identity: trusted project, cached Keystone ...", flush=True)
        result["identity"] = identity.run(cluster, nginx, args.duration)

        print("memory: %d updates ..." % args.updates, flush=True)
        before = nginx.rss_kib()
        done = errors = 0
        while done < args.updates:
            m = wrk(nginx.port, 32, 20)
            done += m["requests"]
            errors += m["errors"]
        after = nginx.rss_kib()
        result["memory"] = {
            "updates": done, "errors": errors,
            "rss_before_kib": before, "rss_after_kib": after,
            "max_growth_kib": max(after.get(p, 0) - before.get(p, 0)
                                  for p in before)}

        # last: it crashes the cluster
        print("failover: a crash under updates, the standby promoted ...",
              flush=True)
        nginx.stop()
        single.stop()
        bnginx.stop()
        unnamed.stop()
        watched.stop()
        quiet.stop()
        nginx = single = bnginx = unnamed = watched = quiet = None
        result["failover"] = scale.failover(base, cluster)

        print("failover manager: a switchover and a crash under "
              "updates ...", flush=True)
        result["ha"] = ha.run(base)
        done_ok = True
    finally:
        if nginx:
            nginx.stop()
        if single:
            single.stop()
        if bnginx:
            bnginx.stop()
        if unnamed:
            unnamed.stop()
        if watched:
            watched.stop()
        if quiet:
            quiet.stop()
        if baseline:
            baseline.stop()
        if bouncer:
            bouncer.stop()
        if cluster:
            cluster.stop()
        if done_ok:
            save(result)
        shutil.rmtree(base, ignore_errors=True)


def save(result):
    import report
    report.report(result)

    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    name = os.path.join(BENCH, "results",
                        result["date"].replace(":", "") + ".json")
    with open(name, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    print("\nwritten to %s" % os.path.relpath(name, ROOT))


if __name__ == "__main__":
    sys.exit(main())
