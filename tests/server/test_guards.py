"""The last lines of defence: the time budget around engine calls and the catch-all that
turns anything unexpected into a 4xx instead of a 500."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import anyio
from fastapi.testclient import TestClient

import engine
from server import compute
from server.app import create_app
from server.settings import Settings
from tests.server.conftest import detail


def test_work_past_the_budget_is_refused_without_waiting_for_it():
    settings = Settings(max_seconds=0.05)

    async def call():
        return await compute.run(settings, time.sleep, 3.0)

    start = time.perf_counter()
    try:
        # A thread of its own: browser tests may leave an event loop running on this one.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(anyio.run, call).result()
    except engine.EngineError as err:
        assert err.kind == "limit" and "0.05" in str(err)
    else:
        raise AssertionError("a 3 s call inside a 0.05 s budget was not refused")
    assert time.perf_counter() - start < 0.05 + compute.GRACE_SECONDS + 0.5


def test_engine_failures_of_other_kinds_become_engine_errors():
    def deep():
        return deep()

    for fn, kind in ((deep, "limit"), (lambda: [0] * (1 << 62), "limit"),
                     (lambda: 1 / 0, "value")):
        try:
            compute.guarded(fn)
        except engine.EngineError as err:
            assert err.kind == kind, (fn, err)
        else:
            raise AssertionError(fn)


def test_an_unexpected_exception_in_a_route_is_not_a_500():
    app = create_app(Settings())

    async def broken():
        raise RuntimeError("a bug")

    app.add_api_route("/api/broken", broken, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the static mount
    with TestClient(app) as c:
        item = detail(c.get("/api/broken"))
        assert item["type"] == "unexpected" and "a bug" not in item["msg"]
        assert c.get("/api/health").status_code == 200
