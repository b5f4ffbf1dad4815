"""The reference endpoints, the static app and Plotly, the OpenAPI docs, CORS and settings."""
from __future__ import annotations

from importlib import resources

from fastapi.testclient import TestClient

from server import __version__
from server.app import create_app
from server.settings import Settings, from_env
from tests.server.conftest import strict_json


def test_health(client):
    assert strict_json(client.get("/api/health")) == {"status": "ok", "version": __version__}


def test_ops_lists_the_gates_with_symbols_and_patterns(client):
    ops = {op["name"]: op for op in strict_json(client.get("/api/ops"))}
    for op in ops.values():
        assert {"name", "symbol", "arity", "inputs", "parameters", "pattern", "doc"} <= set(op)
    patterns = {op["pattern"] for op in ops.values()}
    assert {"distributor", "swap", "router"} <= patterns  # add, mul and max, as the lecture
    symbols = {op["symbol"] for op in ops.values()}
    assert {"+", "×", "max"} <= symbols


def test_examples_cover_the_lecture_and_each_one_runs(client):
    examples = strict_json(client.get("/api/examples"))
    assert len(examples) >= 8
    assert len({e["id"] for e in examples}) == len(examples)
    texts = " ".join(e["expression"] or "" for e in examples)
    assert "exp" in texts and "@" in texts
    for e in examples:
        if e["kind"] == "conv":
            r = client.post("/api/conv", json=e["conv"])
            if e["id"] == "conv-7x7-stride-3":  # the lecture's "doesn't fit" case
                item = strict_json(r)["detail"][0]
                assert r.status_code == 422 and item["type"] == "shape" and "2.33" in item["msg"]
                continue
        else:
            body = {k: e[k] for k in ("expression", "inputs", "output", "upstream") if e.get(k)
                    is not None}
            r = client.post("/api/graph", json=body)
        assert r.status_code == 200, (e["id"], r.text)


def test_simple_example_is_in_the_examples(client):
    examples = strict_json(client.get("/api/examples"))
    simple = next(e for e in examples if e["id"] == "simple")
    body = {k: simple[k] for k in ("expression", "inputs")}
    g = strict_json(client.post("/api/graph", json=body))
    assert g["value"] == -12 and g["gradients"] == {"x": -4, "y": -4, "z": 3}


def test_openapi_has_examples_on_every_request_model_and_lists_limits(client, settings):
    spec = strict_json(client.get("/openapi.json"))
    for path in ("/api/graph", "/api/grade", "/api/grade/batch", "/api/conv"):
        content = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert content["examples"], path
    graph_examples = spec["paths"]["/api/graph"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert any(e["value"]["expression"] == "x = -2; y = 5; z = -4; f = (x + y) * z"
               for e in graph_examples.values())
    description = spec["info"]["description"]
    assert "CHAINRULE_MAX_NODES" in description and str(settings.max_nodes) in description
    grade = spec["components"]["schemas"]["GradeRequest"]["properties"]
    assert "isclose" in grade["rtol"]["description"]
    assert client.get("/docs").status_code == 200


def test_every_route_documents_its_responses(client):
    spec = strict_json(client.get("/openapi.json"))
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            assert op.get("summary") and op.get("description"), (path, method)
            assert "200" in op["responses"], (path, method)


def test_web_app_is_served_at_root(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


def test_plotly_comes_from_the_installed_package(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200
    shipped = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    assert r.content == shipped
    assert "max-age" in r.headers["cache-control"]
    assert "javascript" in r.headers["content-type"]


def test_api_routes_win_over_the_static_mount(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "health").write_text("static shadow")
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    with TestClient(create_app(Settings(web_dir=tmp_path))) as c:
        assert strict_json(c.get("/api/health"))["status"] == "ok"
        assert "<title>t</title>" in c.get("/").text


def test_cors_is_off_by_default(client):
    r = client.get("/api/health", headers={"Origin": "https://grader.example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_listed_origins_only():
    app = create_app(Settings(cors_origins=("https://grader.example.org",)))
    with TestClient(app) as c:
        ok = c.options("/api/grade", headers={"Origin": "https://grader.example.org",
                                              "Access-Control-Request-Method": "POST"})
        assert ok.headers["access-control-allow-origin"] == "https://grader.example.org"
        other = c.get("/api/health", headers={"Origin": "https://elsewhere.example.org"})
        assert "access-control-allow-origin" not in other.headers


def test_settings_from_environment():
    s = from_env({"CHAINRULE_MAX_NODES": "123", "CHAINRULE_MAX_SECONDS": "0.5",
                  "CHAINRULE_CORS_ORIGINS": "https://a.example, https://b.example",
                  "CHAINRULE_MAX_BODY_BYTES": "1_000"})
    assert s.max_nodes == 123 and s.max_seconds == 0.5 and s.max_body_bytes == 1000
    assert s.cors_origins == ("https://a.example", "https://b.example")
    limits = s.engine_limits()
    assert limits.max_nodes == 123 and limits.max_seconds == 0.5


def test_server_limits_are_tighter_than_the_engines():
    import engine
    server, lib = Settings().engine_limits(), engine.Limits()
    for name in ("max_expression_chars", "max_nodes", "max_input_elements", "max_total_elements"):
        assert getattr(server, name) < getattr(lib, name), name
    assert server.max_seconds is not None


def test_docs_page_loads_nothing_from_the_internet(client):
    html = client.get("/docs").text
    start = client.get("/vendor/docs/start.js").text  # no inline script: the CSP forbids it
    assert "SwaggerUIBundle" in start and "/openapi.json" in start
    assert "<script>" not in html and "/vendor/docs/start.js" in html
    assert "http://" not in html + start and "https://" not in html + start
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        r = client.get(f"/vendor/docs/{asset}")
        assert r.status_code == 200 and len(r.content) > 1000, asset
    assert client.get("/vendor/docs/../../etc/passwd").status_code == 404
    assert client.get("/redoc").status_code == 404
