"""A real `chainrule serve` process on a free loopback port, for tests that need the real
event loop, worker pool and HTTP limits rather than an in-process client."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def live_server(env: dict[str, str] | None = None) -> Iterator[tuple[int, str]]:
    """Start the server with `env` added to this process's environment; yield (port, url)
    once /api/health answers; stop it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/api/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port, url
    finally:
        proc.terminate()
        proc.wait(10)
