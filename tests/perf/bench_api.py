"""Throughput and latency of POST /api/graph against a bare FastAPI echo endpoint.

Run: python tests/perf/bench_api.py [--requests 6000] [--clients 4]

Each server runs under uvicorn in its own process on loopback; the load comes from
--clients other processes, each holding one keep-alive connection and sending a fixed
number of requests (so the run stops by itself). The body is the lecture's sigmoid neuron.
Reported per server: requests/s, p50 and p99 latency; then the ratios the goals are about:
  /api/graph (1 worker) >= 50% of the bare endpoint's throughput, p99 < 20 ms,
  /api/graph with 2 workers >= 1.6x its 1-worker throughput.
Every configuration is measured in the same run; both stacks are measured: uvicorn's
default asyncio + h11 and the uvloop + httptools stack that uvicorn[standard] installs.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"expression": "w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3; "
                   "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "inputs": {}}).encode()

bare_app = FastAPI()


@bare_app.post("/echo")
async def echo(request: Request) -> Response:
    """The reference: read the JSON body and send it back, no work in between."""
    return Response(await request.body(), media_type="application/json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(target: str, workers: int, stack: str) -> tuple[subprocess.Popen, int]:
    """uvicorn serving target on a free port; returns once it accepts connections."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if stack == "asyncio+h11":
        cmd += ["--loop", "asyncio", "--http", "h11"]
    else:
        cmd += ["--loop", "uvloop", "--http", "httptools"]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(0.5 * workers)  # let every worker process start accepting
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"uvicorn did not start: {cmd}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Connection:
    """A minimal keep-alive HTTP/1.1 client: one pre-built request, responses read by
    Content-Length. Cheap on CPU so the load generator steals little from the server."""

    def __init__(self, port: int, path: str, body: bytes):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                        f"\r\n").encode() + body
        self.buffer = b""

    def roundtrip(self) -> tuple[int, bytes]:
        self.sock.sendall(self.request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        return status, rest[:length]

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk


def client(port: int, path: str, count: int, warmup: int, barrier, out) -> None:
    """One load process: warm up, wait for the others, then time `count` requests."""
    conn = Connection(port, path, BODY)
    for _ in range(warmup):
        conn.roundtrip()
    barrier.wait()
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        status, _ = conn.roundtrip()
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    out.put((start, time.perf_counter(), latencies))


def measure(port: int, path: str, requests: int, clients: int) -> dict:
    """Requests/s over the whole timed window, and latency percentiles in ms."""
    barrier, out = mp.Barrier(clients), mp.Queue()
    per_client = requests // clients
    procs = [mp.Process(target=client, args=(port, path, per_client, 100, barrier, out))
             for _ in range(clients)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    return {"requests": len(lat), "rps": len(lat) / (end - start),
            "p50_ms": 1000 * lat[len(lat) // 2], "p99_ms": 1000 * lat[int(len(lat) * 0.99)],
            "mean_ms": 1000 * statistics.fmean(lat)}


def check_answer(port: int) -> None:
    """The benchmarked endpoint must really compute the neuron (f = 0.73)."""
    status, body = Connection(port, "/api/graph", BODY).roundtrip()
    assert status == 200 and abs(json.loads(body)["value"] - 0.7310585786) < 1e-9, body[:200]


def run(name: str, target: str, path: str, workers: int, stack: str, args) -> dict:
    proc, port = start_server(target, workers, stack)
    try:
        if path == "/api/graph":
            check_answer(port)
        result = measure(port, path, args.requests, args.clients)
    finally:
        stop_server(proc)
    result.update(name=name, workers=workers, stack=stack)
    print(f"{name:<34} {result['rps']:8.0f} req/s   p50 {result['p50_ms']:6.2f} ms   "
          f"p99 {result['p99_ms']:6.2f} ms   ({result['requests']} requests)", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="timed requests per run")
    parser.add_argument("--clients", type=int, default=4, help="load processes (connections)")
    parser.add_argument("--json", action="store_true", help="also print all results as JSON")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, {args.clients} client processes, {args.requests} requests "
          f"per run, body {len(BODY)} bytes", flush=True)
    results = {}
    for stack in ("uvloop+httptools", "asyncio+h11"):
        results[stack, "bare"] = run(f"bare echo, 1 worker [{stack}]",
                                     "tests.perf.bench_api:bare_app", "/echo", 1, stack, args)
        for workers in (1, 2):
            results[stack, workers] = run(f"/api/graph, {workers} worker(s) [{stack}]",
                                          "server.app:app", "/api/graph", workers, stack, args)
    print()
    ok = True
    for stack in ("uvloop+httptools", "asyncio+h11"):
        bare, one, two = (results[stack, k] for k in ("bare", 1, 2))
        vs_bare = one["rps"] / bare["rps"]
        scale = two["rps"] / one["rps"]
        print(f"[{stack}] /api/graph vs bare: {vs_bare:.2f}x (goal >= 0.50)   "
              f"p99 {one['p99_ms']:.2f} ms (goal < 20)   2 workers / 1 worker: {scale:.2f}x "
              f"(goal >= 1.6)")
        if stack == "uvloop+httptools":
            ok = vs_bare >= 0.5 and one["p99_ms"] < 20 and scale >= 1.6
    print(f"uvloop+httptools vs asyncio+h11 (/api/graph, 1 worker): "
          f"{results['uvloop+httptools', 1]['rps'] / results['asyncio+h11', 1]['rps']:.2f}x")
    print("goals met" if ok else "goals NOT met on this machine")
    if args.json:
        print(json.dumps([dict(v) for v in results.values()], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
