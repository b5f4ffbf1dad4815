"""HTTP as a client expects it: 405 with Allow, OPTIONS, list-shaped errors, and the
security headers on every answer."""
from __future__ import annotations

from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.conftest import detail


def test_a_wrong_method_is_405_with_the_methods_the_path_takes(client):
    for method, path, allow in (("GET", "/api/graph", "OPTIONS, POST"),
                                ("DELETE", "/api/health", "GET, OPTIONS"),
                                ("PUT", "/api/grade/batch", "OPTIONS, POST"),
                                ("POST", "/", "GET, HEAD, OPTIONS")):
        r = client.request(method, path)
        item = detail(r, 405)
        assert r.headers["allow"] == allow and item["type"] == "method_not_allowed"


def test_options_is_answered_with_allow(client):
    for path, allow in (("/api/graph", "OPTIONS, POST"), ("/api/examples", "GET, OPTIONS"),
                        ("/", "GET, HEAD, OPTIONS")):
        r = client.options(path)
        assert r.status_code == 204 and r.headers["allow"] == allow and not r.content


def test_not_found_has_a_list_detail(client):
    item = detail(client.get("/api/nothing-here"), 404)
    assert item["type"] == "not_found"
    assert detail(client.get("/vendor/docs/nothing.js"), 404)["loc"] == ["path"]


def test_every_answer_carries_the_security_headers(client):
    for r in (client.get("/"), client.get("/api/health"), client.get("/app.js"),
              client.post("/api/graph", json={"expression": "f = x", "inputs": {"x": 1}}),
              client.post("/api/graph", json={"expression": "f = ("}), client.get("/nope")):
        policy = r.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert "frame-ancestors 'self'" in policy and "unsafe-eval" not in policy
        assert r.headers["x-content-type-options"] == "nosniff"


def test_frame_ancestors_is_a_setting():
    app = create_app(Settings(frame_ancestors="'self' https://lms.example.org"))
    with TestClient(app) as c:
        policy = c.get("/api/health").headers["content-security-policy"]
    assert policy.endswith("frame-ancestors 'self' https://lms.example.org")
