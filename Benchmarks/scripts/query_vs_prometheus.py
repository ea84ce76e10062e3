#!/usr/bin/env python3
"""`hearth query` over one Prometheus against that Prometheus answering itself, same run.

Loads ../shared/bench's data set (remote_write.py's generator: node-exporter-like hosts) into
Debian's Prometheus through its remote-write receiver, starts `hearth query --endpoint` at it
twice (reading through remote read, and with `--query.pushdown`), then runs ../shared/bench's
queries (instant at the end of the data, range from start + 5 min to the end at a 60 s step)
against all three in turn, and reports medians of wall time until the whole JSON body is read,
and whether each answered the same series and values as the Prometheus.

    Benchmarks/ $ python3 scripts/query_vs_prometheus.py --series 100000 --runs 7

Needs `prometheus` (Debian), `pip install cramjam`, ../shared/bench, and a release build of
hearth (`swift build -c release` at the top of the repository).
"""
import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(REPO), "shared", "bench"))
import remote_write  # noqa: E402
from run_peers import QUERIES  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit("not ready: " + url)


def query(base, promql, t=None, rng=None):
    if rng:
        path = "/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": promql, "start": "%.3f" % rng[0], "end": "%.3f" % rng[1], "step": "%g" % rng[2]})
    else:
        path = "/api/v1/query?" + urllib.parse.urlencode({"query": promql, "time": "%.3f" % t})
    t0 = time.perf_counter()
    with urllib.request.urlopen(base + path, timeout=600) as r:
        body = r.read()
    return time.perf_counter() - t0, json.loads(body)


def digest(js):
    """Series labels and values, for comparing answers (values to 12 significant digits)."""
    out = {}
    for s in js["data"]["result"]:
        key = tuple(sorted(s["metric"].items()))
        points = s.get("values") or [s.get("value")]
        out[key] = [(p[0], "%.12g" % float(p[1]) if p[1] not in ("NaN", "+Inf", "-Inf") else p[1]) for p in points]
    return out


def compare(a, b):
    """How two answers differ: in their series, or by at most this relative difference."""
    if set(a) != set(b):
        return "series differ: %d vs %d, e.g. %s" % (len(a), len(b), sorted(set(a) ^ set(b))[:1])
    worst = 0.0
    for k in a:
        if len(a[k]) != len(b[k]):
            return "points differ for %s" % (k,)
        for (t1, v1), (t2, v2) in zip(a[k], b[k]):
            if t1 != t2:
                return "timestamps differ for %s" % (k,)
            x, y = float(v1), float(v2)
            if x != y and not (math.isnan(x) and math.isnan(y)):
                worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return "same series, values within %.1e" % worst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=100000)
    ap.add_argument("--samples-per-series", type=int, default=240, help="default 240 = 1 h at 15 s")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--hearth", default=os.path.join(REPO, ".build", "release", "hearth"))
    ap.add_argument("--hold", action="store_true", help="after loading, print both URLs and wait (for profiling)")
    ap.add_argument("--only", choices=["remote-read", "pushdown"],
                    help="compare the Prometheus with one of the two queriers only (alternating, a tighter comparison)")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="hearth-query-bench-")
    procs = []
    try:
        prom_port, query_port, pushdown_port = free_port(), free_port(), free_port()
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 15s\n  external_labels: {cluster: bench}\n")
        procs.append(subprocess.Popen(
            ["/usr/bin/prometheus", "--config.file=" + os.path.join(tmp, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(tmp, "prom"), "--web.listen-address=127.0.0.1:%d" % prom_port,
             "--web.enable-remote-write-receiver", "--query.max-samples=200000000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        prom = "http://127.0.0.1:%d" % prom_port
        wait_ready(prom)
        cfg = remote_write.GenConfig(a.series, a.samples_per_series)
        shards, info = remote_write.generate(cfg)
        stats = remote_write.send(prom + "/api/v1/write", shards)
        print("loaded %d series x %d samples into Prometheus: %s" % (a.series, a.samples_per_series,
                                                                      {k: stats[k] for k in stats if k in ("samples", "errors", "wall_s")}))
        # The same querier twice: reading through remote read, and with --query.pushdown.
        for port, extra in ((query_port, []), (pushdown_port, ["--query.pushdown"])):
            procs.append(subprocess.Popen(
                [a.hearth, "query", "--endpoint=127.0.0.1:%d" % prom_port, "--web.listen-address=127.0.0.1:%d" % port,
                 "--query.max-samples=200000000", "--endpoint.max-response-size=4GB", "--endpoint.timeout=5m"] + extra,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        hq, hqp = "http://127.0.0.1:%d" % query_port, "http://127.0.0.1:%d" % pushdown_port
        wait_ready(hq)
        wait_ready(hqp)
        time.sleep(2)  # the first endpoint check (external labels)

        start_s, end_s = cfg.start_ms / 1000.0, cfg.end_ms / 1000.0
        if a.hold:
            print("prometheus %s  hearth query %s (pid %d)  with pushdown %s  end of data %.3f" % (prom, hq, procs[1].pid, hqp, end_s), flush=True)
            while True:
                time.sleep(60)
        step = 60.0
        rng = ((start_s + 300) // step * step + step, end_s // step * step, step)
        print("| query | kind | Prometheus (ms) | hearth query (ms) | Prometheus / hearth query | same answer "
              "| with --query.pushdown (ms) | Prometheus / pushdown | same answer |")
        print("|---|---|---|---|---|---|---|---|---|")
        who_all = (("prom", prom), ("hq", hq), ("hqp", hqp))
        if a.only:
            who_all = (("prom", prom), ("hq", hq) if a.only == "remote-read" else ("hqp", hqp))
        for name, promql in QUERIES:
            for kind in ("instant", "range"):
                times = {"prom": [], "hq": [], "hqp": []}
                answers = {}
                for run in range(a.runs + 1):
                    # Each run starts with a different one of the three, so none is always first.
                    order = who_all[run % len(who_all):] + who_all[:run % len(who_all)]
                    for who, base in order:
                        dt, js = query(base, promql, t=end_s, rng=rng if kind == "range" else None)
                        if js.get("status") != "success":
                            raise SystemExit("%s %s: %s" % (who, promql, js))
                        if run > 0:  # the first run warms all three up
                            times[who].append(dt)
                        answers[who] = digest(js)
                # Prometheus's answer carries no external labels; hearth query's adds them.
                expected = {tuple(sorted(dict(k, cluster="bench").items())) if not promql.startswith("count") else k: v
                            for k, v in answers["prom"].items()}

                def same(who):
                    if expected == answers[who] or answers["prom"] == answers[who]:
                        return "yes"
                    return compare(expected, answers[who])
                p = statistics.median(times["prom"]) * 1000
                cells = []
                for who in ("hq", "hqp"):
                    if times[who]:
                        ms = statistics.median(times[who]) * 1000
                        cells.append("%.1f | %.2fx | %s" % (ms, p / ms, same(who)))
                    else:
                        cells.append("– | – | –")
                print("| `%s` | %s | %.1f | %s |" % (promql, kind, p, " | ".join(cells)), flush=True)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except Exception:
                p.kill()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
