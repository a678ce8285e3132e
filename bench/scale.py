"""The benchmark's scale-out parts (bench/bench.py imports them).

  h. PgBouncer (Debian's, transaction pooling) between nginx and
     PostgreSQL: the single update through it with ims_member_prepare off
     (unnamed statements), and its limit, pgbench -M extended running the
     plain UPDATE through the same PgBouncer;
  i. failover: a synchronous streaming standby of the cluster, nginx's
     conninfo naming both (target_session_attrs=read-write), clients
     updating pairs and repeating each update until it is acknowledged;
     the primary stops as a crash would and the standby is promoted: the
     time without a 200, the first 200 after the promotion began, the
     503s, and the acknowledged updates missing from the promoted database
     (must be 0).  Its limit: how long pg_ctl promote itself takes.
"""

import http.client
import os
import pwd
import socket
import subprocess
import threading
import time

import bench


class Bouncer:
    """PgBouncer in transaction pooling mode in front of a cluster."""

    def __init__(self, base, cluster, pool):
        self.dir = os.path.join(base, "pgbouncer")
        self.port = bench.free_port()
        os.makedirs(self.dir)
        with open(self.dir + "/pgbouncer.ini", "w") as f:
            f.write("[databases]\n"
                    "ims = host=127.0.0.1 port=%d dbname=ims\n\n"
                    "[pgbouncer]\n"
                    "listen_addr = 127.0.0.1\n"
                    "listen_port = %d\n"
                    "unix_socket_dir =\n"
                    "auth_type = trust\n"
                    "auth_file = %s/users\n"
                    "pool_mode = transaction\n"
                    "default_pool_size = %d\n"
                    "max_client_conn = 1000\n"
                    "server_login_retry = 1\n"
                    "logfile = %s/log\n"
                    % (cluster.port, self.port, self.dir, pool, self.dir))
        with open(self.dir + "/users", "w") as f:
            f.write('"postgres" ""\n')
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for p in (self.dir, self.dir + "/pgbouncer.ini",
                      self.dir + "/users"):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self.proc = subprocess.Popen(
            bench.as_postgres(["/usr/sbin/pgbouncer",
                               self.dir + "/pgbouncer.ini"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("PgBouncer did not start")
                time.sleep(0.05)

    def dsn(self):
        return ("hostaddr=127.0.0.1 port=%d dbname=ims user=postgres "
                "sslmode=disable" % self.port)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Standby:
    """A synchronous streaming standby of the cluster (pg_basebackup -R)."""

    def __init__(self, base, cluster):
        self.cluster = cluster
        self.dir = os.path.join(base, "pg", "standby")
        self.port = bench.free_port()
        self.bin = cluster.bin
        cluster.psql("ims", "-c",
                     "ALTER SYSTEM SET synchronous_standby_names = '*'")
        cluster.psql("ims", "-c", "SELECT pg_reload_conf()")
        bench.run(bench.as_postgres([
            self.bin + "/pg_basebackup", "-h", "127.0.0.1", "-p",
            str(cluster.port), "-U", "postgres", "-D", self.dir, "-R",
            "-X", "stream", "-c", "fast"]))
        with open(self.dir + "/postgresql.auto.conf", "a") as f:
            f.write("port = %d\n" % self.port)
        bench.run(bench.as_postgres([self.bin + "/pg_ctl", "-D", self.dir,
                                     "-w", "-l", self.dir + "/log",
                                     "start"]))
        deadline = time.time() + 30
        while cluster.psql("ims", "-c",
                           "SELECT count(*) FROM pg_stat_replication"
                           " WHERE sync_state = 'sync'") != "1":
            if time.time() > deadline:
                raise RuntimeError("the standby did not become synchronous")
            time.sleep(0.1)

    def psql(self, *args):
        return bench.run(["psql", "-X", "-q", "-A", "-t", "-v",
                          "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                          str(self.port), "-U", "postgres", "-d", "ims"]
                         + list(args)).stdout.strip()

    def promote(self):
        """As a failover tool does: promote, and stop waiting for a
        synchronous standby of its own (it has none)."""
        bench.run(bench.as_postgres([self.bin + "/pg_ctl", "-D", self.dir,
                                     "-w", "promote"]))
        self.psql("-c", "ALTER SYSTEM RESET synchronous_standby_names")
        self.psql("-c", "SELECT pg_reload_conf()")

    def stop(self):
        subprocess.run(bench.as_postgres([self.bin + "/pg_ctl", "-D",
                                          self.dir, "-m", "immediate",
                                          "stop"]), capture_output=True)


def client(port, k, clients, done, log, patience=30):
    """Updates pairs k, k + clients, ... of the seed in turn, each until it
    is acknowledged (or for "patience" seconds), until done() is true;
    every answer goes to log as (time, code, image, member, status)."""
    conn = None
    n = k
    want = {}
    while not done():
        i = 1 + n % 600
        m = (i + 333 * (n // 600 % 3)) % 1000
        status = ("rejected" if want.get((i, m)) == "accepted"
                  else "accepted")
        path = "/v2/images/%s/members/m-%d" % (bench.image_id(i), m)
        body = '{"status": "%s", "vault_id": "vault-bench"}' % status
        deadline = time.time() + patience
        while True:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port,
                                                      timeout=30)
                conn.request("PUT", path, body,
                             {"X-Auth-Token": "tok-%d" % m,
                              "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                code = r.status
            except (OSError, http.client.HTTPException):
                conn = None
                code = 0
            log.append((time.time(), code, i, m, status))
            if code == 200 or time.time() > deadline:
                break
            time.sleep(0.02)
        want[(i, m)] = status
        n += clients


def losses(log, rows):
    """The pairs client() saw acknowledged, and how many of them "rows"
    (lines of image id, member and status, as the database has them) do
    not hold with the status last acknowledged."""
    acked = {}
    for e in log:
        if e[1] == 200:
            acked[(e[2], e[3])] = e[4]
    have = {}
    for line in rows.splitlines():
        img, member, status = line.split()
        have[(img, member)] = status
    lost = sum(1 for (i, m), s in acked.items()
               if have.get((bench.image_id(i), "m-%d" % m)) != s)
    return len(acked), lost


def failover(base, cluster, clients=8):
    standby = Standby(base, cluster)
    dsn = ("hostaddr=127.0.0.1,127.0.0.1 port=%d,%d dbname=ims "
           "user=postgres sslmode=disable target_session_attrs=read-write"
           % (cluster.port, standby.port))
    nginx = bench.Nginx(base, dsn, name="nginx-failover")
    try:
        log = []
        start = time.time()
        until = start + 8
        threads = [threading.Thread(target=client,
                                    args=(nginx.port, k, clients,
                                          lambda: time.time() >= until,
                                          log))
                   for k in range(clients)]
        for t in threads:
            t.start()
        time.sleep(3)
        t_crash = time.time()
        bench.run(bench.as_postgres([cluster.bin + "/pg_ctl", "-D",
                                     cluster.dir + "/data", "-m",
                                     "immediate", "stop"]))
        t_promote = time.time()
        standby.promote()
        t_promoted = time.time()
        for t in threads:
            t.join()

        log.sort()
        before = [e for e in log if e[0] < t_crash]
        after = [e for e in log if e[0] >= t_promote and e[1] == 200]
        last_ok = max(e[0] for e in before if e[1] == 200)
        first_ok = min(e[0] for e in after)
        acked, lost = losses(log, standby.psql(
            "-F", " ", "-c",
            "SELECT image_id, member, status FROM image_members"
            " WHERE image_id IN (SELECT bench_image_id(i)"
            " FROM generate_series(1, 600) i)"))
        return {
            "clients": clients,
            "answers": len(log),
            "ok": sum(1 for e in log if e[1] == 200),
            "unavailable": sum(1 for e in log if e[1] == 503),
            "other": sum(1 for e in log if e[1] not in (200, 503)),
            "no_200_ms": (first_ok - last_ok) * 1000,
            "first_200_after_promote_ms": (first_ok - t_promote) * 1000,
            "promote_ms": (t_promoted - t_promote) * 1000,
            "acknowledged_pairs": acked,
            "lost": lost}
    finally:
        nginx.stop()
        standby.stop()
