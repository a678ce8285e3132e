"""The benchmark's metrics part (bench/bench.py imports it).

  s. the update of a., on an nginx that also has an ims_member_status
     location, scraped once a second while wrk runs (a Prometheus scrapes
     every 15 s as usually set up: this is fifteen times that); in a.'s
     rounds, s/a beside it.  Every build counts its requests in the shared
     zone whether a status location exists or not: what the counting itself
     costs is a/a0 against a build from before the metrics (--baseline).
"""

import http.client
import threading

import bench


class Watched(bench.Nginx):
    """a.'s nginx, with a status location on a port of its own."""

    def __init__(self, base, dsn):
        self.status_port = bench.free_port()
        extra = ("server { listen 127.0.0.1:%d; "
                 "location = /metrics { ims_member_status; } }"
                 % self.status_port)
        super().__init__(base, dsn, name="nginx-watched", extra=extra)

    def scrape(self):
        c = http.client.HTTPConnection("127.0.0.1", self.status_port,
                                       timeout=10)
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200:
            raise RuntimeError("status page answered %d" % r.status)
        return body

    def load(self, conns, duration):
        """wrk on the update while a scraper reads the page each second."""
        stop = threading.Event()
        scrapes = []

        def scraper():
            while not stop.wait(1.0):
                scrapes.append(len(self.scrape()))

        t = threading.Thread(target=scraper)
        t.start()
        try:
            out = bench.wrk(self.port, conns, duration)
        finally:
            stop.set()
            t.join()
        out["scrapes"] = len(scrapes)
        return out
