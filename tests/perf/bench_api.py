"""Throughput and latency of POST /api/graph against a bare FastAPI echo endpoint.

Run: python tests/perf/bench_api.py [--requests 6000] [--clients 4] [--load wrk|python]

Each server runs under uvicorn in its own process on loopback; the load comes from another
process: Debian's wrk (installed with apt-get when missing; little CPU per request, which
matters on a 2-CPU machine) with --clients keep-alive connections, or --clients Python
processes on raw keep-alive sockets. Either way a fixed number of requests is sent and the
run stops by itself. The body is the lecture's sigmoid neuron.
Reported per server: requests/s, p50 and p99 latency; then the ratios the goals are about:
  /api/graph (1 worker) >= 50% of the bare endpoint's throughput, p99 < 20 ms,
  /api/graph with 2 workers >= 1.6x its 1-worker throughput.
Every configuration is measured in the same run, --repeat times round-robin (the median
run is reported, with every run's throughput). Both stacks are measured: uvicorn's default
asyncio + h11 and the uvloop + httptools stack that uvicorn[standard] installs; and
/api/graph both with the server's answer cache (the same body every time: after the
first request a cache hit) and with the cache off (every request parsed, evaluated and
serialised).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"expression": "w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3; "
                   "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "inputs": {}}).encode()

APP, BARE = "server.app:app", "tests.perf.bench_api:bare_app"
STACKS = ("uvloop+httptools", "asyncio+h11")

bare_app = FastAPI()


@bare_app.post("/echo")
async def echo(request: Request) -> Response:
    """The reference: read the JSON body and send it back, no work in between."""
    return Response(await request.body(), media_type="application/json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(target: str, workers: int, stack: str,
                 env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """uvicorn serving target on a free port; returns once it accepts connections."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if stack == "asyncio+h11":
        cmd += ["--loop", "asyncio", "--http", "h11"]
    else:
        cmd += ["--loop", "uvloop", "--http", "httptools"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})})
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


# Each wrk thread counts answers; at the limit it prints how long the load took (LuaJIT's
# ffi reads the monotonic clock) and stops. wrk itself would idle until -d runs out, so the
# Python side interrupts it then, and wrk's done() prints the latency percentiles.
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end
local limit, count, t0 = 0, 0, 0
function init(args)
  limit = tonumber(os.getenv("BENCH_REQUESTS"))
  t0 = now()
end
function response(status, headers, body)
  if status ~= 200 then error("status " .. status) end
  count = count + 1
  if count == limit then
    io.write(string.format("DONE %d %.6f\n", count, now() - t0))
    io.flush()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  io.write(string.format('{"p50_us": %d, "p99_us": %d, "mean_us": %f, "errors": %d}\n',
    latency:percentile(50), latency:percentile(99), latency.mean,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def ensure_wrk() -> str | None:
    """Debian's wrk (a C load generator: far less CPU per request than Python clients),
    installed with apt-get when missing; None if that is not possible here."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("wrk")
    return found


def measure_wrk(wrk: str, port: int, path: str, requests: int, clients: int) -> dict:
    """The same measurement with wrk: one thread, `clients` keep-alive connections, a fixed
    number of answers; a short first run warms the server up."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(f"wrk.method = 'POST'\nwrk.body = {json.dumps(BODY.decode())}\n"
                          f"wrk.headers['Content-Type'] = 'application/json'\n" + WRK_SCRIPT)
        url = f"http://127.0.0.1:{port}{path}"
        for count in (min(500, requests), requests):  # warm-up, then the timed run
            done, elapsed, stats = _wrk_run(wrk, script, url, count, clients)
    if stats["errors"]:
        raise RuntimeError(f"wrk saw {stats['errors']} errors on {path}")
    return {"requests": done, "rps": done / elapsed, "p50_ms": stats["p50_us"] / 1000,
            "p99_ms": stats["p99_us"] / 1000, "mean_ms": stats["mean_us"] / 1000}


def _wrk_run(wrk: str, script: Path, url: str, count: int, clients: int):
    """One wrk run of `count` answers: (answers, seconds, wrk's latency summary)."""
    proc = subprocess.Popen([wrk, "-t1", f"-c{clients}", "-d300s", "-s", str(script), url],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "BENCH_REQUESTS": str(count)})
    for line in proc.stdout:
        if line.startswith("DONE"):
            _, done, elapsed = line.split()
            break
    else:
        raise RuntimeError(f"wrk ended before {count} answers")
    proc.send_signal(signal.SIGINT)  # wrk then prints its summary through done()
    rest, _ = proc.communicate(timeout=30)
    stats = json.loads(next(ln for ln in rest.splitlines() if ln.startswith("{")))
    return int(done), float(elapsed), stats


def check_answer(port: int) -> None:
    """The benchmarked endpoint must really compute the neuron (f = 0.73)."""
    status, body = Connection(port, "/api/graph", BODY).roundtrip()
    assert status == 200 and abs(json.loads(body)["value"] - 0.7310585786) < 1e-9, body[:200]


def run_once(target: str, path: str, workers: int, stack: str, args,
             env: dict | None = None) -> dict:
    """One server started, checked, loaded and stopped. The asyncio + h11 stack is only the
    reference for the choice of stack, and with 2 workers it runs at ~85 requests/s, so it
    gets a quarter of the requests."""
    requests = args.requests if stack == STACKS[0] else args.requests // 4
    proc, port = start_server(target, workers, stack, env)
    try:
        if path == "/api/graph":
            check_answer(port)
        if args.wrk:
            return measure_wrk(args.wrk, port, path, requests, args.clients)
        return measure(port, path, requests, args.clients)
    finally:
        stop_server(proc)


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (its own latencies kept), plus every rps seen."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return {**ordered[len(ordered) // 2], "all_rps": [round(r["rps"]) for r in runs]}


def configurations() -> list[tuple]:
    """(key, label, target, path, workers, stack, env) for every server measured."""
    no_cache = {"CHAINRULE_CACHE_ENTRIES": "0"}
    out = []
    for stack in STACKS:
        out.append(((stack, "bare"), f"bare echo, 1 worker [{stack}]", BARE, "/echo", 1,
                    stack, None))
        for workers in (1, 2):
            out.append(((stack, workers), f"/api/graph, {workers} worker(s) [{stack}]", APP,
                        "/api/graph", workers, stack, None))
            out.append(((stack, workers, "computed"),
                        f"/api/graph, no cache, {workers} worker(s) [{stack}]", APP,
                        "/api/graph", workers, stack, no_cache))
    return out


def report(results: dict) -> None:
    for r in results.values():
        print(f"{r['name']:<48} {r['rps']:7.0f} req/s   p50 {r['p50_ms']:6.2f} ms   "
              f"p99 {r['p99_ms']:6.2f} ms   (runs: {r['all_rps']} req/s)")
    print()
    for stack in STACKS:
        bare = results[stack, "bare"]
        for label, one, two in (("answer cache on", results[stack, 1], results[stack, 2]),
                                ("no cache, every request computed",
                                 results[stack, 1, "computed"], results[stack, 2, "computed"])):
            print(f"[{stack}, {label}] /api/graph vs bare: {one['rps'] / bare['rps']:.2f}x "
                  f"(goal >= 0.50), p99 {one['p99_ms']:.2f} ms (goal < 20), 2 workers / 1: "
                  f"{two['rps'] / one['rps']:.2f}x (goal >= 1.6)")
    fast, slow = STACKS
    for key, label in (((1,), "cache on"), ((1, "computed"), "no cache")):
        ratio = results[(fast, *key)]["rps"] / results[(slow, *key)]["rps"]
        print(f"{fast} / {slow}, /api/graph 1 worker, {label}: {ratio:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="timed requests per run")
    parser.add_argument("--clients", type=int, default=4, help="load processes (connections)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server (median kept)")
    parser.add_argument("--load", choices=["wrk", "python"], default="wrk",
                        help="load generator: Debian's wrk (default; installed with apt-get "
                        "if missing) or Python processes with raw keep-alive sockets")
    parser.add_argument("--json", action="store_true", help="also print all results as JSON")
    args = parser.parse_args()
    args.wrk = ensure_wrk() if args.load == "wrk" else None
    if args.load == "wrk" and args.wrk is None:
        print("wrk is not available: falling back to Python load processes", flush=True)
    load = (f"wrk, 1 thread, {args.clients} connections" if args.wrk
            else f"{args.clients} Python client processes")
    print(f"{os.cpu_count()} CPUs, load: {load}, {args.requests} requests per run, "
          f"body {len(BODY)} bytes; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    runs: dict = {}
    for round_ in range(args.repeat):  # round-robin, so background load hits every server
        for key, label, target, path, workers, stack, env in configurations():
            r = run_once(target, path, workers, stack, args, env)
            runs.setdefault(key, []).append({**r, "name": label})
            print(f"round {round_ + 1}: {label:<48} {r['rps']:7.0f} req/s   "
                  f"p99 {r['p99_ms']:6.2f} ms", flush=True)
    print()
    results = {key: median_run(rs) for key, rs in runs.items()}
    report(results)
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine skews "
          f"every figure; compare runs of one round)")
    if args.json:
        print(json.dumps(list(results.values()), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
