"""The last lines of defence: engine failures of every kind become engine errors, and the
catch-all turns anything unexpected into a 4xx instead of a 500 (the deadline and the
memory cap are in test_pool.py)."""
from __future__ import annotations

from fastapi.testclient import TestClient

import engine
from server import worker
from server.app import create_app
from server.settings import Settings
from tests.server.conftest import detail


def test_engine_failures_of_other_kinds_become_engine_errors():
    def deep():
        return deep()

    for fn, kind in ((deep, "limit"), (lambda: [0] * (1 << 62), "limit"),
                     (lambda: 1 / 0, "value")):
        try:
            worker.guarded(fn)
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
