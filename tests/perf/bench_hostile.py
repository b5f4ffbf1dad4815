"""Hostile requests against one server process with default settings, and the worker pool
against the thread pool it replaced.

Run: python tests/perf/bench_hostile.py [--attack-seconds 20] [--throughput-seconds 8]

1. Each hostile request: its answer must be a 4xx within 3 s; the server's process tree
   (workers included) must stay within 1.5 GB of its idle size; its CPU use must stop
   within 1.5 s of the answer.
2. Four clients loop the worst request (the heaviest computation every precheck admits)
   while a probe sends /api/health and the lecture's (x + y) * z back to back:
   probe p99 < 250 ms (health) and < 300 ms (graph), no probe fails.
3. Uncached /api/graph on the sigmoid neuron (a fresh input each request), 4 keep-alive
   clients: the worker pool's requests/s as a ratio of the thread-pool design's
   (CHAINRULE_ISOLATION=threads, same run) and of a bare echo endpoint's.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.bench_api import BARE, free_port  # noqa: E402

BIG = {"shape": [1, 1, 1000, 1000], "init": "ones"}
HOSTILE = {
    "broadcast matmul backward": {"expression": "f = sum(a @ b)", "inputs": {
        "a": {"shape": [1000, 1, 1000]}, "b": {"shape": [1000, 1000]}}},
    "conv 24x24 on 1000x1000": {"expression": "f = sum(conv2d(x, w))", "inputs": {
        "x": BIG, "w": {"shape": [1, 1, 24, 24]}}},
    "maxpool size 10 stride 1": {"expression": "f = sum(maxpool2d(x, size=10, stride=1))",
                                 "inputs": {"x": BIG}},
    "maxpool size 1000": {"expression": "f = sum(maxpool2d(x, size=1000, stride=1000))",
                          "inputs": {"x": BIG}},
    "zero-size reshape": {"expression": "x = []\nf = reshape(x, (2000000, 0))", "inputs": {}},
    "matmul chain": {"expression": "a = x @ x; b = a @ a; c = b @ b; f = sum(c)",
                     "inputs": {"x": {"shape": [1200, 1200], "init": "ones"}}},
    "memory hog": {"expression": "a = x * 2; b = a * 3; c = b * 4; d = c * 5; f = sum(d)",
                   "inputs": {"x": {"shape": [1000, 1000]}}},
}
# The worst request is the heaviest one every precheck admits: a gradient check that
# reruns a 500,000-weight layer 4,000 times (about 0.7 s of one core, answered 200).
WORST = "gradient check"
WORST_BODY = {"expression": "a = x @ w; b = tanh(a) @ v; f = sum(b)",
              "inputs": {"x": {"shape": [1, 2000]}, "w": {"shape": [2000, 250]},
                         "v": {"shape": [250, 250]}}, "gradcheck": True}
SIMPLE = {"expression": "x = -2; y = 5; z = -4; f = (x + y) * z", "inputs": {}}
SIGMOID = "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"


def start(target: str, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", target, "--port", str(port),
                             "--log-level", "warning", "--http",
                             "server.protocol:GuardedHttp"], cwd=ROOT,
                            env={**os.environ, **(env or {})})
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/health")
            c.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def tree(pid: int) -> list[int]:
    """pid and all its descendants (the engine workers and their zygote)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mb(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total / 2**20


def cpu_seconds(pid: int) -> float:
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def post(port: int, path: str, body: dict, conn=None) -> tuple[int, bytes]:
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", path, json.dumps(body), {"content-type": "application/json"})
    r = c.getresponse()
    return r.status, r.read()


def hostile_requests(port: int, pid: int) -> bool:
    print("1. hostile requests (4xx within 3 s, tree RSS growth < 1.5 GB, CPU stops within "
          "1.5 s)")
    ok = True
    time.sleep(1.0)
    idle = rss_mb(pid)
    for name, body in HOSTILE.items():
        peak = [idle]
        done = threading.Event()

        def sample(done=done, peak=peak):
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t = time.perf_counter()
        status, payload = post(port, "/api/graph", body)
        took = time.perf_counter() - t
        c0 = cpu_seconds(pid)
        time.sleep(1.5)
        c1 = cpu_seconds(pid)
        time.sleep(0.5)
        c2 = cpu_seconds(pid)
        done.set()
        sampler.join()
        growth = peak[0] - idle
        good = 400 <= status < 500 and took < 3 and growth < 1536 and c2 - c1 < 0.1
        ok &= good
        msg = json.loads(payload)["detail"][0]["msg"][:70] if status >= 400 else ""
        print(f"   {'ok ' if good else 'BAD'} {name:28s} {status} in {took:5.2f} s, RSS +"
              f"{growth:6.0f} MB, CPU after answer: {c1 - c0:4.2f} s in 1.5 s, "
              f"{c2 - c1:4.2f} s after  | {msg}")
    return ok


def attack(port: int, seconds: float) -> bool:
    print(f"2. 4 clients loop '{WORST}' for {seconds:g} s; a probe sends /api/health and "
          "(x + y) * z back to back")
    stop = time.perf_counter() + seconds
    statuses: list[int] = []

    def attacker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            statuses.append(post(port, "/api/graph", WORST_BODY, conn)[0])

    threads = [threading.Thread(target=attacker) for _ in range(4)]
    for t in threads:
        t.start()
    health, graph, failures = [], [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    time.sleep(0.5)
    i = 0
    while time.perf_counter() < stop:
        t = time.perf_counter()
        conn.request("GET", "/api/health")
        r = conn.getresponse()
        r.read()
        health.append(time.perf_counter() - t)
        failures += r.status != 200
        body = {**SIMPLE, "expression": SIMPLE["expression"].replace("z = -4", f"z = -{i % 50}")}
        i += 1
        t = time.perf_counter()
        status, _ = post(port, "/api/graph", body, conn)
        graph.append(time.perf_counter() - t)
        failures += status != 200
    for t in threads:
        t.join()

    def p(xs, q):
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000

    good = p(health, 0.99) < 250 and p(graph, 0.99) < 300 and failures == 0
    print(f"   {'ok ' if good else 'BAD'} health p50 {p(health, .5):.1f} ms p99 "
          f"{p(health, .99):.1f} ms; graph p50 {p(graph, .5):.1f} ms p99 {p(graph, .99):.1f} "
          f"ms; {len(health)} + {len(graph)} probes, {failures} failed; attack answers "
          f"{sorted(set(statuses))} ({len(statuses)} requests)")
    return good


def throughput(port: int, path: str, seconds: float, clients: int = 4) -> float:
    """Requests/s of uncached sigmoid graphs (the bare endpoint echoes the same bodies)."""
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def client(k: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.perf_counter() < stop:
            body = {"expression": SIGMOID, "inputs": {"w0": 2, "x0": -1, "w1": -3,
                                                      "x1": -2, "w2": -3 - k * 1e6 - n}}
            status, _ = post(port, path, body, conn)
            assert status == 200, status
            n += 1
        counts[k] = n

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attack-seconds", type=float, default=20)
    ap.add_argument("--throughput-seconds", type=float, default=8)
    args = ap.parse_args()
    proc, port = start("server.app:app")
    try:
        ok = hostile_requests(port, proc.pid)
        ok &= attack(port, args.attack_seconds)
    finally:
        proc.terminate()
        proc.wait(10)
    print("3. uncached /api/graph, sigmoid neuron, 4 keep-alive clients")
    rates = {}
    for label, target, env, path in (
            ("worker pool", "server.app:app", {"CHAINRULE_CACHE_ENTRIES": "0"}, "/api/graph"),
            ("thread pool", "server.app:app", {"CHAINRULE_CACHE_ENTRIES": "0",
                                               "CHAINRULE_ISOLATION": "threads"}, "/api/graph"),
            ("bare echo", BARE, {}, "/echo")):
        proc, port = start(target, env)
        try:
            throughput(port, path, 1.0)  # warm up
            rates[label] = throughput(port, path, args.throughput_seconds)
        finally:
            proc.terminate()
            proc.wait(10)
        print(f"   {label:12s} {rates[label]:7.0f} requests/s")
    vs_threads = rates["worker pool"] / rates["thread pool"]
    vs_bare = rates["worker pool"] / rates["bare echo"]
    good = vs_threads >= 0.75
    ok &= good
    print(f"   {'ok ' if good else 'BAD'} worker pool / thread pool = {vs_threads:.2f} "
          f"(goal >= 0.75); worker pool / bare endpoint = {vs_bare:.2f} (aim 0.5); thread "
          f"pool / bare = {rates['thread pool'] / rates['bare echo']:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
