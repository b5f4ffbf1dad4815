"""Browser test fixtures: a live chainrule server and Debian's Chromium driven by Playwright.

The server is a real uvicorn process on a free port, started once per session. Chromium is
Debian's (installed with apt-get when missing: a test run never downloads a browser of its
own); a missing browser fails the run loudly. Every page is watched for console errors and
for requests that leave this machine; either fails the test that caused it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"
LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Chromium itself reports a fetch that answered 4xx as a console error; the page handles
# those answers (a 422 is how a student's typo comes back), so they are not page errors.
BROWSER_NETWORK_NOTE = "Failed to load resource: the server responded with a status of 4"


def _find_chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return ""


def _install_chromium() -> str:
    """Install Debian's chromium with apt-get (as the README's test command promises)."""
    apt = shutil.which("apt-get")
    if apt:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=False, env=env)
        subprocess.run([apt, "install", "-y", "-qq", "chromium"], check=False, env=env)
    return _find_chromium()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _find_chromium() or _install_chromium()
    if not path:
        pytest.fail("No Chromium found and apt-get could not install Debian's 'chromium': "
                    "browser tests cannot run.", pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    return {**browser_type_launch_args, "executable_path": chromium_path,
            "args": LAUNCH_FLAGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp: Playwright's string predicates (wait_for_function) are evaluated in the
    # page, which the server's Content-Security-Policy forbids; test_csp.py loads the page
    # under the policy.
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900},
            "accept_downloads": True, "bypass_csp": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    """A live uvicorn serving server.app:app on a free loopback port."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning",
         "--http", "server.protocol:GuardedHttp"], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the chainrule server did not start on {url}", pytrace=False)
        time.sleep(0.1)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def page_errors(page):
    """Console errors and uncaught exceptions of `page`, collected as text."""
    errors: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not msg.text.startswith(BROWSER_NETWORK_NOTE):
            errors.append(f"console: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return errors


@pytest.fixture
def outside_requests(page):
    """Requests from `page` to any host other than this machine's loopback."""
    seen: list[str] = []

    def on_request(request):
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            seen.append(request.url)

    page.on("request", on_request)
    return seen


@pytest.fixture(autouse=True)
def _page_stays_clean(request):
    """Fail any browser test whose page logged an error or reached past localhost."""
    if "page" not in request.fixturenames:
        yield
        return
    errors = request.getfixturevalue("page_errors")
    outside = request.getfixturevalue("outside_requests")
    yield
    assert not errors, f"console errors on the page: {errors}"
    assert not outside, f"requests left localhost: {outside}"


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


def wait_ready(page, timeout: float = 15_000) -> None:
    """Wait until the page says it has rendered (document.body.dataset.state == 'ready')."""
    page.wait_for_function("document.body && document.body.dataset.state === 'ready'",
                           timeout=timeout)


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOT_DIR.exists() and any(SCREENSHOT_DIR.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOT_DIR}")
