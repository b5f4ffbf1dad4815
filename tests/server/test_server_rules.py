"""Holes closed in the server's plumbing: cache keys, coercion, settings, the cyclic
collector, and the HTTP read timeout and header size limit (a live uvicorn)."""
from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import engine
from server.settings import from_env
from tests.server.conftest import detail, strict_json
from tests.server.live import live_server

ROOT = Path(__file__).resolve().parents[2]


def post_raw(client, text: str):
    return client.post("/api/graph", content=text, headers={"content-type": "application/json"})


def test_cache_keys_tell_infinities_nan_and_null_apart(client):
    program = '{"expression": "f = x * 2", "inputs": {"x": %s}}'
    answers = {}
    for token in ("1e400", "-1e400", "NaN"):
        r = post_raw(client, program % token)
        assert r.status_code == 200, r.text
        answers[token] = strict_json(r)["value"]
    assert answers == {"1e400": "inf", "-1e400": "-inf", "NaN": "nan"}
    # null is not a value: refused by the schema, never answered from the cache
    item = detail(post_raw(client, program % "null"))
    assert item["loc"][:3] == ["body", "inputs", "x"]


def test_booleans_and_numbers_are_not_coerced(client):
    base = {"expression": "f = x * 2", "inputs": {"x": 3}}
    for extra in ({"gradcheck": "yes"}, {"code": 1}, {"inputs": {"x": True}},
                  {"inputs": {"x": "3"}}):
        detail(client.post("/api/graph", json={**base, **extra}))
    grade = {**base, "answers": {"grad": {"x": 2}}}
    detail(client.post("/api/grade", json={**grade, "reveal": 0}))
    detail(client.post("/api/grade", json={**grade, "rtol": "0.1"}))
    batch = {**base, "submissions": [{"id": False, "answers": {"grad": {"x": 2}}},
                                     {"id": "ok", "answers": {"grad": {"x": 2}}}]}
    g = strict_json(client.post("/api/grade/batch", json=batch))
    assert "detail" in g["results"]["#0"] and g["results"]["ok"]["score"] == 1.0


@pytest.mark.parametrize("name, text", [("MAX_SECONDS", "-1"), ("WORKERS", "0"),
                                        ("CACHE_ENTRIES", "-5"), ("WORKER_MEMORY_MB", "-1"),
                                        ("READ_TIMEOUT", "nan"), ("ISOLATION", "fork")])
def test_bad_settings_are_refused_naming_the_variable(name, text):
    with pytest.raises(ValueError, match=f"CHAINRULE_{name}="):
        from_env({f"CHAINRULE_{name}": text})


def test_the_server_does_not_start_with_a_negative_setting():
    env = {**os.environ, "CHAINRULE_MAX_BODY_BYTES": "-1"}
    r = subprocess.run([sys.executable, "-c", "import server.app"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "CHAINRULE_MAX_BODY_BYTES=-1" in r.stderr


def test_evaluation_never_switches_the_collector_off_for_other_threads():
    program = "f = " + " + ".join(f"x * {i}" for i in range(400))
    stop = threading.Event()

    def evaluate_often():
        while not stop.is_set():
            engine.evaluate(program, {"x": 2.0})

    seen_off = 0
    threads = [threading.Thread(target=evaluate_often) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline:
        seen_off += not gc.isenabled()
        time.sleep(0.0005)
    stop.set()
    for t in threads:
        t.join()
    assert seen_off == 0 and gc.isenabled()
    assert float(engine.evaluate(program, {"x": 2.0}).value) == 2.0 * sum(range(400))


# -- a live server -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live():
    with live_server({"CHAINRULE_READ_TIMEOUT": "1.5",
                      "CHAINRULE_MAX_HEADER_BYTES": "4096"}) as server:
        yield server


def _closed(sock: socket.socket) -> bytes | None:
    """What the server sent before closing, or None while the connection is still open."""
    sock.setblocking(False)
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""
    return data


def test_slow_clients_are_dropped_after_the_read_timeout_and_others_served(live):
    port, url = live
    socks = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /api/graph HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        socks.append(s)
    start = time.perf_counter()
    times = []
    while time.perf_counter() - start < 1.0:  # meanwhile others are served
        t = time.perf_counter()
        with urllib.request.urlopen(url + "/api/health", timeout=5) as r:
            assert r.status == 200
        times.append(time.perf_counter() - t)
    assert max(times) < 0.5, max(times)
    assert all(_closed(s) is None for s in socks[:20])  # still open before the timeout
    time.sleep(1.5 + 1.0 - (time.perf_counter() - start))
    replies = [_closed(s) for s in socks]
    for s in socks:
        s.close()
    assert all(r is not None for r in replies), "some slow connections were kept open"
    assert sum(r.startswith(b"HTTP/1.1 408") for r in replies) >= 190


def test_oversize_headers_get_431(live):
    port, _ = live
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n")
        s.settimeout(5)
        reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 431")
    assert b'"type": "too_large"' in reply and b'"loc": ["header"]' in reply

