#!/usr/bin/env python3
"""Scale run for scraping agents (not a CI test).

One Python process serves many synthetic targets on loopback (each target is its own
127.0.x.y address, so every target has its own `instance`), and a null remote-write
receiver counts what arrives. Each agent (hearth agent, Debian's Prometheus in agent mode,
vmagent when installed) scrapes the same targets every 15s, pinned to CPU 0 while the
targets and the receiver run on CPU 1. After a warm-up, the agent's CPU time over a window
gives the cores it needs; from that, targets x series it could scrape on one core. RSS is
read at the end of the window.

    swift build -c release && cp .build/release/hearth /tmp/hearth-bin
    python3 scripts/agent-scale.py --hearth /tmp/hearth-bin --targets 1000 --series 200

Agents run one after another against the same targets, so their figures are side by side
in the same run.
"""
import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SCRAPE_INTERVAL = 15


def make_bodies(series, variants=4):
    """Exposition bodies with `series` series: metric families of ten series each."""
    bodies = []
    rng = random.Random(1)
    for v in range(variants):
        lines = []
        families = (series + 9) // 10
        n = 0
        for f in range(families):
            name = f"app_requests_{f}_total"
            lines.append(f"# HELP {name} Requests handled.\n# TYPE {name} counter\n")
            for k in range(10):
                if n == series:
                    break
                value = 1000 * (v + 1) + rng.randint(0, 100000)
                lines.append(f'{name}{{method="GET",path="/api/v1/resource/{k}",code="200"}} {value}\n')
                n += 1
        bodies.append("".join(lines).encode())
    return bodies


class TargetServer:
    """Serves every target from one port; the address the agent connected to names the target."""

    def __init__(self, port, bodies):
        self.port = port
        self.bodies = bodies
        self.scrapes = 0

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                body = self.bodies[self.scrapes % len(self.bodies)]
                self.scrapes += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
                if b"close" in head.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class NullReceiver:
    """Accepts remote write and counts requests and bytes."""

    def __init__(self):
        self.requests = 0
        self.bytes = 0

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                self.bytes += length
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def serve(target_port, receiver_port, bodies, state):
    async def main():
        targets = TargetServer(target_port, bodies)
        receiver = NullReceiver()
        state["targets"], state["receiver"] = targets, receiver
        s1 = await asyncio.start_server(targets.handle, "0.0.0.0", target_port, backlog=4096)
        s2 = await asyncio.start_server(receiver.handle, "127.0.0.1", receiver_port, backlog=1024)
        state["ready"].set()
        async with s1, s2:
            await asyncio.gather(s1.serve_forever(), s2.serve_forever())
    asyncio.run(main())


def target_addresses(n, port):
    return [f"127.0.{1 + i // 250}.{1 + i % 250}:{port}" for i in range(n)]


def write_config(path, targets, receiver_port, with_remote_write=True):
    lines = [f"global:\n  scrape_interval: {SCRAPE_INTERVAL}s\n  scrape_timeout: 10s\n",
             "scrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets:\n"]
    lines += [f"          - '{t}'\n" for t in targets]
    if with_remote_write:
        lines.append(f"remote_write:\n  - url: http://127.0.0.1:{receiver_port}/api/v1/write\n")
    with open(path, "w") as f:
        f.write("".join(lines))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_agent(name, argv, warmup, window):
    print(f"--- {name}: {' '.join(argv[:3])} ...", flush=True)
    proc = subprocess.Popen(["taskset", "-c", "0"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(warmup)
        if proc.poll() is not None:
            return {"name": name, "error": f"exited with {proc.returncode}"}
        c0, t0 = cpu_seconds(proc.pid), time.time()
        time.sleep(window)
        c1, t1 = cpu_seconds(proc.pid), time.time()
        return {"name": name, "cores": (c1 - c0) / (t1 - t0), "rss": rss_mb(proc.pid)}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hearth", required=True, help="a release build of hearth")
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--series", type=int, default=200, help="series per target")
    ap.add_argument("--warmup", type=int, default=50, help="seconds before measuring")
    ap.add_argument("--window", type=int, default=60, help="seconds measured")
    ap.add_argument("--agents", default="hearth,prometheus,vmagent")
    args = ap.parse_args()

    bodies = make_bodies(args.series)
    target_port, receiver_port = free_port(), free_port()
    state = {"ready": threading.Event()}
    os.sched_setaffinity(0, {1})
    threading.Thread(target=serve, args=(target_port, receiver_port, bodies, state), daemon=True).start()
    state["ready"].wait()
    targets = target_addresses(args.targets, target_port)
    work = tempfile.mkdtemp(prefix="agent-scale-")
    config = os.path.join(work, "agent.yml")
    write_config(config, targets, receiver_port)

    results = []
    for name in args.agents.split(","):
        data = os.path.join(work, name)
        port = free_port()
        if name == "hearth":
            argv = [args.hearth, "agent", f"--config.file={config}", f"--storage.agent.path={data}",
                    f"--web.listen-address=127.0.0.1:{port}", "--log.level=error"]
        elif name == "prometheus":
            if not shutil.which("prometheus"):
                continue
            argv = ["prometheus", "--enable-feature=agent", f"--config.file={config}", f"--storage.agent.path={data}",
                    f"--web.listen-address=127.0.0.1:{port}"]
        elif name == "vmagent":
            if not shutil.which("vmagent"):
                continue
            argv = ["vmagent", f"-promscrape.config={config}", f"-remoteWrite.url=http://127.0.0.1:{receiver_port}/api/v1/write",
                    f"-remoteWrite.tmpDataPath={data}", f"-httpListenAddr=127.0.0.1:{port}"]
            # vmagent takes remote write from its flag; drop the section from its copy of the config.
            vm_config = os.path.join(work, "vmagent.yml")
            write_config(vm_config, targets, receiver_port, with_remote_write=False)
            argv[1] = f"-promscrape.config={vm_config}"
        else:
            continue
        scrapes0, bytes0 = state["targets"].scrapes, state["receiver"].bytes
        r = run_agent(name, argv, args.warmup, args.window)
        r["scrapes"] = state["targets"].scrapes - scrapes0
        r["rw_bytes"] = state["receiver"].bytes - bytes0
        results.append(r)
        print(r, flush=True)

    total_series = args.targets * args.series
    expected_scrapes = args.targets * (args.warmup + args.window) / SCRAPE_INTERVAL
    print(f"\n{args.targets} targets x {args.series} series = {total_series} series, scraped every {SCRAPE_INTERVAL}s; "
          f"agent on CPU 0, targets and receiver on CPU 1; {args.window}s measured after {args.warmup}s")
    print(f"{'agent':<12}{'cores':>8}{'series/core':>14}{'targets/core':>14}{'RSS MB':>9}{'scrapes':>9}{'RW MB':>8}")
    for r in results:
        if "error" in r:
            print(f"{r['name']:<12} {r['error']}")
            continue
        per_core = total_series / r["cores"] if r["cores"] > 0 else float("inf")
        print(f"{r['name']:<12}{r['cores']:>8.3f}{per_core:>14,.0f}{args.targets / r['cores']:>14,.0f}{r['rss']:>9.1f}"
              f"{r['scrapes']:>9}{r['rw_bytes'] / 1e6:>8.1f}")
    print(f"(about {expected_scrapes:.0f} scrapes expected per agent while it ran)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
