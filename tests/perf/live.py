"""What the browser benchmarks share: a chainrule server of their own on a free loopback
port, and the page's "ready" signal."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    """uvicorn serving server.app:app; returns the process and its base URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.app:app", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--http", "server.protocol:GuardedHttp"], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def wait_ready(page) -> None:
    page.wait_for_function("document.body.dataset.state === 'ready'", timeout=30_000)


LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def open_page(playwright):
    """A 1400x900 page in Debian's Chromium, launched the way the browser tests launch it."""
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_FLAGS)
    return browser.new_page(viewport={"width": 1400, "height": 900})
