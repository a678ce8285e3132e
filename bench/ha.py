"""The benchmark's failover manager part (bench/bench.py imports it).

  j. a pg_auto_failover formation (Debian's postgresql-15-auto-failover and
     pg-auto-failover-cli: a monitor and two data nodes, synchronous
     replication as it sets it up, the monitor's health checks made quick
     as in t/140-auto-failover.t), seeded as the benchmark's cluster, and an
     nginx whose conninfo names both nodes (target_session_attrs=read-write,
     ims_member_timeout 3s); clients update pairs, each update repeated
     until it is acknowledged, through (1) a planned switchover ("pg_autoctl
     perform switchover") and (2) the primary killed, its keeper's processes
     and its postgres (SIGKILL).  For each: how long the formation took to
     have a new primary (as its monitor assigned and the node reported),
     the longest time without a 200 from the event on, the first 200
     after the formation had settled, the answers (200, 503, other), and
     the acknowledged updates missing from the new primary (must be 0).
"""

import os
import pwd
import signal
import subprocess
import threading
import time

import bench
import scale

# the monitor's health checks, as t/lib/ImsMember/AutoFailover.pm sets them
GUCS = ("health_check_period = 1000", "health_check_timeout = 1000",
        "health_check_retry_delay = 500", "health_check_max_retries = 1",
        "node_considered_unhealthy_timeout = 3000",
        "primary_demote_timeout = 3000")

CLIENTS = 8


class Formation:
    """A monitor and two data nodes, each "pg_autoctl run" in a process
    group of its own (a node's keeper restarts a killed postgres at once,
    so that a node is killed as a whole)."""

    def __init__(self, base):
        self.dir = os.path.join(base, "paf")
        self.bin = bench.pg_bindir()
        self.port = {n: bench.free_port()
                     for n in ("monitor", "node1", "node2")}
        self.procs = {}
        try:
            self.create(base)
        except BaseException:
            self.stop()
            raise

    def create(self, base):
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(base, pw.pw_uid, pw.pw_gid)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.autoctl("create", "monitor", "--pgdata", self.dir + "/monitor",
                     "--pgport", str(self.port["monitor"]), "--hostname",
                     "127.0.0.1", "--auth", "trust", "--no-ssl")
        self.start("monitor")
        self.wait(lambda: self.state() is not None, 30, "the monitor")
        for guc in GUCS:
            self.monitor("ALTER SYSTEM SET pgautofailover." + guc)
        self.monitor("SELECT pg_reload_conf()")
        uri = ("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover"
               "?sslmode=disable" % self.port["monitor"])
        for name in ("node1", "node2"):
            self.autoctl("create", "postgres", "--pgdata",
                         self.dir + "/" + name, "--pgport",
                         str(self.port[name]), "--hostname", "127.0.0.1",
                         "--monitor", uri, "--auth", "trust", "--no-ssl",
                         "--name", name)
            self.start(name)
            if name == "node1":
                # the first node is primary before the second joins
                self.wait(lambda: any(r == g and r in ("single",
                                                       "wait_primary")
                                      for _, r, g in self.state() or []),
                          30, "node1")
        self.primary = self.settled()

    def env(self):
        return ["env", "PATH=%s:/usr/bin:/bin" % self.bin,
                "XDG_CONFIG_HOME=%s/config" % self.dir,
                "XDG_DATA_HOME=%s/share" % self.dir]

    def autoctl(self, *args):
        return bench.run(bench.as_postgres(self.env() + ["pg_autoctl"]
                                           + list(args)))

    def start(self, name):
        log = open(os.path.join(self.dir, name + ".log"), "a")
        self.procs[name] = subprocess.Popen(
            bench.as_postgres(self.env() + ["pg_autoctl", "run", "--pgdata",
                                            self.dir + "/" + name]),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def psql(self, port, db, sql):
        return bench.run(["psql", "-X", "-q", "-A", "-t", "-v",
                          "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                          str(port), "-U", "postgres", "-d", db, "-c",
                          sql]).stdout.strip()

    def monitor(self, sql):
        return self.psql(self.port["monitor"], "pg_auto_failover", sql)

    def state(self):
        """(port, reported, assigned) of every node, as the monitor has
        them; None while the monitor does not answer."""
        try:
            out = self.monitor("SELECT nodeport, reportedstate, goalstate"
                               " FROM pgautofailover.node")
        except RuntimeError:
            return None
        return [(int(p), r, g) for p, r, g in
                (line.split("|") for line in out.splitlines())]

    def wait(self, cond, limit, what):
        deadline = time.time() + limit
        while not cond():
            if time.time() > deadline:
                raise RuntimeError("pg_auto_failover: %s did not settle"
                                   % what)
            time.sleep(0.1)

    def settled(self, limit=60):
        """The primary's port once there is a primary and a secondary, each
        as assigned."""
        found = []

        def cond():
            s = self.state() or []
            found[:] = [p for p, r, g in s if r == g == "primary"]
            return found and any(r == g == "secondary" for _, r, g in s)
        self.wait(cond, limit, "the formation")
        return found[0]

    def settled_after_kill(self, old, limit=60):
        """The port of the node promoted in place of the one at old (as
        assigned: wait_primary while it has no standby)."""
        found = []

        def cond():
            found[:] = [p for p, r, g in self.state() or []
                        if p != old and r == g
                        and r in ("wait_primary", "primary")]
            return found
        self.wait(cond, limit, "the failover")
        return found[0]

    def name_of(self, port):
        return [n for n in ("node1", "node2") if self.port[n] == port][0]

    def switchover(self):
        """Until the other node is primary (its old primary rejoins as a
        standby afterwards)."""
        old = self.primary
        self.autoctl("perform", "switchover", "--pgdata",
                     self.dir + "/monitor", "--formation", "default")
        self.primary = self.settled_after_kill(old)
        return self.primary

    def kill_primary(self):
        old = self.primary
        name = self.name_of(old)
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        try:
            with open(os.path.join(self.dir, name, "postmaster.pid")) as f:
                os.kill(int(f.readline()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        self.primary = self.settled_after_kill(old)
        return self.primary

    def dsn(self):
        return ("hostaddr=127.0.0.1,127.0.0.1 port=%d,%d dbname=ims "
                "user=postgres sslmode=disable "
                "target_session_attrs=read-write"
                % (self.port["node1"], self.port["node2"]))

    def stop(self):
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.time() + 15
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = {}


def under_load(formation, nginx, event):
    """Clients run 3 s, then event() (until the formation has a new
    primary); they go on 3 s after it.  The figures of the event."""
    log = []
    stop = threading.Event()
    threads = [threading.Thread(target=scale.client,
                                args=(nginx.port, k, CLIENTS, stop.is_set,
                                      log, 60))
               for k in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(3)
    t_event = time.time()
    event()
    t_settled = time.time()
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join()

    log.sort()
    ok = [e[0] for e in log if e[1] == 200]
    gap, prev = 0.0, t_event
    for t in (x for x in ok if x >= t_event):
        gap = max(gap, t - prev)
        prev = t
    after = [t for t in ok if t >= t_settled]
    acked, lost = scale.losses(log, formation.psql(
        formation.primary, "ims",
        "SELECT image_id || ' ' || member || ' ' || status"
        " FROM image_members WHERE image_id IN (SELECT"
        " bench_image_id(i) FROM generate_series(1, 600) i)"))
    return {
        "clients": CLIENTS,
        "answers": len(log),
        "ok": len(ok),
        "unavailable": sum(1 for e in log if e[1] == 503),
        "other": sum(1 for e in log if e[1] not in (200, 503)),
        "settled_ms": (t_settled - t_event) * 1000,
        "no_200_ms": gap * 1000,
        "first_200_after_settled_ms": ((after[0] - t_settled) * 1000
                                       if after else None),
        "acknowledged_pairs": acked,
        "lost": lost}


def run(base):
    """j.: the formation, seeded; a switchover, then a crash."""
    formation = nginx = None
    try:
        formation = Formation(base)
        formation.psql(formation.primary, "postgres", "CREATE DATABASE ims")
        for f in ("sql/glance.sql", "sql/ims.sql", "bench/seed.sql"):
            bench.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                       "127.0.0.1", "-p", str(formation.primary), "-U",
                       "postgres", "-d", "ims", "-f",
                       os.path.join(bench.ROOT, f)])
        nginx = bench.Nginx(base, formation.dsn(), name="nginx-ha",
                            extra="ims_member_timeout 3s;")
        # warm up: connections opened, statements prepared
        bench.wrk(nginx.port, 8, 2)
        out = {"gucs": list(GUCS)}
        out["switchover"] = under_load(formation, nginx,
                                       formation.switchover)
        # the old primary a standby again, so that there is one to promote
        formation.settled()
        out["crash"] = under_load(formation, nginx, formation.kill_primary)
        return out
    finally:
        if nginx:
            nginx.stop()
        if formation:
            formation.stop()
