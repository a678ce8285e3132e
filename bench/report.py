"""The benchmark's printed table (bench/bench.py writes the same as JSON);
also: python3 bench/report.py bench/results/FILE.json prints a saved run."""

import json
import sys


def events(r):
    rows = [row for row in r["single_update"] if "module_quiet" in row]
    if not rows:
        return
    print("\nevents (req/s, p50/p99 ms: medians of %d rounds): a. events "
          "on (the default), e. ims_member_events off, p. plain UPDATE"
          % r.get("rounds", 2))
    print("%5s | %-24s | %-24s | %-24s | %5s | %5s | %5s"
          % ("conns", "a. events on", "e. events off",
             "p. plain UPDATE (limit)", "a/e", "a/p", "e/p"))
    for row in rows:
        cells = ["%8.0f %6.2f/%7.2f" % (row[k]["rps"], row[k]["p50_ms"],
                                        row[k]["p99_ms"])
                 for k in ("module", "module_quiet", "plain")]
        print("%5d | %-24s | %-24s | %-24s | %5.2f | %5.2f | %5.2f"
              % (row["concurrency"], cells[0], cells[1], cells[2],
                 row["events_over_quiet"], row["module_over_plain"],
                 row["quiet_over_plain"]))


def report(r):
    print("\n%s, %d cores, %d workers x %d connections; %s; %s"
          % (r["date"], r["cores"], r["workers"], r["pool"],
             r["versions"]["nginx"], r["versions"]["postgresql"]))
    if "identity" in r:
        print("\nidentity (medians of rounds: req/s, p50 ms, CPU us a "
              "request of the nginx workers and of nginx + PostgreSQL)")
        for row in r["identity"]:
            t, k = row["trusted"], row["keystone"]
            print("%5d | trusted %6.0f %5.2f %5.1f %6.1f | keystone, cached "
                  "%6.0f %5.2f %5.1f %6.1f | keystone/trusted req/s %.3f, "
                  "CPU %.3f"
                  % (row["concurrency"], t["rps"], t["p50_ms"],
                     t["worker_cpu_us_per_request"],
                     t["server_cpu_us_per_request"], k["rps"], k["p50_ms"],
                     k["worker_cpu_us_per_request"],
                     k["server_cpu_us_per_request"],
                     row["keystone_over_trusted"],
                     row["keystone_server_cpu_over_trusted"]))
            if t["errors"] or k["errors"]:
                print("      (answers other than 200: trusted %d, keystone "
                      "%d)" % (t["errors"], k["errors"]))
    ha(r)
    if "single_update" not in r:
        return
    events(r)
    if "module_single" not in r["single_update"][0]:
        return
    print("\nsingle update (req/s, p50/p99 ms: medians of %d rounds; "
          "ratios: the median of each round's)"
          % r.get("rounds", 2))
    print("%5s | %-24s | %-24s | %-24s | %-24s | %-24s | %5s | %5s | %5s "
          "| %5s"
          % ("conns", "a. module", "a'. group commit off",
             "p. plain UPDATE (limit)", "b. module's statement",
             "c. return 200", "a/p", "a'/p", "a/b", "a/c"))
    for row in r["single_update"]:
        cells = []
        for k in ("module", "module_single", "plain", "pgbench",
                  "return200"):
            x = row[k]
            cells.append("%8.0f %6.2f/%7.2f" % (x["rps"], x["p50_ms"],
                                                x["p99_ms"]))
        print("%5d | %-24s | %-24s | %-24s | %-24s | %-24s | %5.2f | %5.2f "
              "| %5.2f | %5.3f"
              % (row["concurrency"], cells[0], cells[1], cells[2], cells[3],
                 cells[4], row["module_over_plain"],
                 row["single_over_plain"], row["module_over_pgbench"],
                 row["module_over_return200"]))
        if "baseline" in row:
            x = row["baseline"]
            print("      a0. baseline %8.0f %6.2f/%7.2f; a/a0 %.3f"
                  % (x["rps"], x["p50_ms"], x["p99_ms"],
                     row["module_over_baseline"]))
        if "module_watched" in row:
            x = row["module_watched"]
            print("      s. status location scraped each second %8.0f "
                  "%6.2f/%7.2f; s/a %.3f"
                  % (x["rps"], x["p50_ms"], x["p99_ms"],
                     row["watched_over_module"]))
        if "module_unnamed" in row and "module_bouncer" not in row:
            x = row["module_unnamed"]
            print("      u. ims_member_prepare off %8.0f %6.2f/%7.2f; u/a "
                  "%.3f" % (x["rps"], x["p50_ms"], x["p99_ms"],
                            row["unnamed_over_module"]))
        for k in ("module", "module_single", "module_bouncer",
                  "module_unnamed", "module_watched", "module_quiet",
                  "baseline"):
            if k in row and row[k].get("errors"):
                print("      (%s: %d answers other than 200)"
                      % (k, row[k]["errors"]))
    if "module_bouncer" in r["single_update"][0]:
        print("\nh. through PgBouncer, transaction mode (req/s, p50/p99 "
              "ms): a''. the module with ims_member_prepare off, p''. "
              "pgbench -M extended running the plain UPDATE; u. the module "
              "with ims_member_prepare off straight to PostgreSQL")
        print("%5s | %-24s | %-24s | %-24s | %7s | %7s | %7s"
              % ("conns", "a''. module", "p''. plain UPDATE",
                 "u. unnamed, direct", "a''/p''", "a''/a", "u/a"))
        for row in r["single_update"]:
            cells = ["%8.0f %6.2f/%7.2f" % (row[k]["rps"], row[k]["p50_ms"],
                                            row[k]["p99_ms"])
                     for k in ("module_bouncer", "plain_bouncer",
                               "module_unnamed")]
            print("%5d | %-24s | %-24s | %-24s | %7.2f | %7.2f | %7.2f"
                  % (row["concurrency"], cells[0], cells[1], cells[2],
                     row["bouncer_over_plain_bouncer"],
                     row["bouncer_over_module"],
                     row["unnamed_over_module"]))
    if "tokens" not in r:
        return
    t = r["tokens"]
    print("\ntokens: single-connection p50 %.3f ms with 1,001 live tokens, "
          "%.3f ms with 101,001 (ratio %.3f)"
          % (t["1001"]["p50_ms"], t["101001"]["p50_ms"], t["p50_ratio"]))
    b = r["batch"]
    print("\nbatch jobs: 1,000 images %.0f ms (%s), 10,000 images %.0f ms "
          "(%s), submit to RUNNING p50 %.1f ms (max %.1f)"
          % (b["job_1000_ms"], b["job_1000_status"], b["job_10000_ms"],
             b["job_10000_status"], b["submit_to_running_p50_ms"],
             b["submit_to_running_max_ms"]))
    sh = r["sharing"]
    print("sharing: add job of 1,000 pairs %.0f ms (%s), delete job %.0f ms "
          "(%s); one by one: share p50 %.2f ms, unshare p50 %.2f ms"
          % (sh["add_1000_pairs_ms"], sh["add_status"],
             sh["delete_1000_pairs_ms"], sh["delete_status"],
             sh["share_p50_ms"], sh["unshare_p50_ms"]))
    j = r["job_answer"]
    print("job answer: %d images, %d bytes, p50 %.0f ms, worker CPU %.1f ms "
          "a GET, worker RSS %s -> %s KiB (largest growth %d KiB)"
          % (j["images"], j["bytes"], j["p50_ms"],
             j["worker_cpu_ms_per_get"], sorted(j["rss_before_kib"].values()),
             sorted(j["rss_after_kib"].values()), j["max_growth_kib"]))
    m = r["memory"]
    print("memory: %d updates, worker RSS %s -> %s KiB, largest growth "
          "%d KiB" % (m["updates"], sorted(m["rss_before_kib"].values()),
                      sorted(m["rss_after_kib"].values()),
                      m["max_growth_kib"]))
    f = r.get("failover")
    if f:
        print("i. failover: %d clients, %d answers (%d x 200, %d x 503, %d "
              "other); no 200 for %.0f ms; first 200 %.0f ms after the "
              "promotion began (pg_ctl promote itself: %.0f ms); %d pairs "
              "acknowledged, %d lost"
              % (f["clients"], f["answers"], f["ok"], f["unavailable"],
                 f["other"], f["no_200_ms"], f["first_200_after_promote_ms"],
                 f["promote_ms"], f["acknowledged_pairs"], f["lost"]))


def ha(r):
    j = r.get("ha")
    if not j:
        return
    print("\nj. failover manager (pg_auto_failover, a monitor and two "
          "synchronous nodes; health checks every 1 s, a node unhealthy "
          "after 3 s): %d clients, each update repeated until acknowledged"
          % j["switchover"]["clients"])
    print("%-11s | %14s | %11s | %18s | %7s | %5s | %5s | %5s | %4s"
          % ("event", "formation (ms)", "no 200 (ms)",
             "1st 200 after (ms)", "answers", "200", "503", "other",
             "lost"))
    for k in ("switchover", "crash"):
        e = j[k]
        first = e["first_200_after_settled_ms"]
        print("%-11s | %14.0f | %11.0f | %18s | %7d | %5d | %5d | %5d | "
              "%4d of %d"
              % (k, e["settled_ms"], e["no_200_ms"],
                 "-" if first is None else "%.0f" % first, e["answers"],
                 e["ok"], e["unavailable"], e["other"], e["lost"],
                 e["acknowledged_pairs"]))


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        report(json.load(f))
