"""Every kind of failure answers in FastAPI's error shape with the right status: engine
errors (parse, name, shape, value, limit) and body problems are 422, oversize bodies 413."""
from __future__ import annotations

import json

from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.conftest import detail, strict_json


def graph(client, expression, inputs=None, **extra):
    return client.post("/api/graph", json={"expression": expression, "inputs": inputs or {},
                                           **extra})


def test_parse_error_has_line_and_col(client):
    item = detail(graph(client, "q = x + y\nf = (q *"))
    assert item["type"] == "parse"
    assert item["line"] == 2 and isinstance(item["col"], int)
    assert item["loc"] == ["body", "expression"]
    assert item["msg"].startswith("line 2, col ")


def test_unknown_name_points_at_it(client):
    item = detail(graph(client, "f = x * q", {"x": 1}))
    assert item["type"] == "name"
    assert "'q'" in item["msg"]
    assert (item["line"], item["col"]) == (1, 9)
    assert item["msg"].startswith("line 1, col 9:")


def test_shape_error(client):
    item = detail(graph(client, "y = x @ w", {"x": [[1, 2, 3]], "w": [[1, 2], [3, 4]]}))
    assert item["type"] == "shape"
    assert "3" in item["msg"] and "2" in item["msg"]


def test_value_error_for_a_bad_generator(client):
    item = detail(graph(client, "f = sum(x)", {"x": {"shape": [2], "init": "bogus"}}))
    assert item["type"] in ("value", "value_error")  # the request schema checks generators
    assert "bogus" in item["msg"]


def test_ragged_list_is_a_value_error(client):
    item = detail(graph(client, "f = sum(x)", {"x": [[1, 2], [3]]}))
    assert item["type"] in ("value", "shape")


def test_huge_exponents_are_refused_as_a_limit(client, settings):
    assert detail(graph(client, "f = 9 ** 9 ** 9"))["type"] == "limit"
    big = int(settings.max_exponent) + 1
    assert detail(graph(client, f"f = x ** {big}", {"x": 2}))["type"] == "limit"


def test_long_expression_is_refused_as_a_limit(client, settings):
    expression = "f = " + " + ".join(["x"] * (settings.max_expression_chars // 4 + 10))
    item = detail(graph(client, expression, {"x": 1}))
    assert item["type"] == "limit"
    assert str(settings.max_expression_chars) in item["msg"].replace(",", "")


def test_too_many_nodes_is_a_limit():
    settings = Settings(max_nodes=50)
    with TestClient(create_app(settings)) as c:
        ok = graph(c, "f = " + " + ".join(["x"] * 10), {"x": 1})
        assert ok.status_code == 200
        item = detail(graph(c, "f = " + " + ".join(["x"] * 60), {"x": 1}))
    assert item["type"] == "limit"


def test_giant_generator_shape_is_a_limit(client):
    item = detail(graph(client, "f = sum(x)",
                        {"x": {"shape": [100000, 100000], "init": "zeros"}}))
    assert item["type"] == "limit"


def test_negative_shape_is_refused(client):
    item = detail(graph(client, "f = sum(x)", {"x": {"shape": [-3, 2], "init": "zeros"}}))
    assert item["type"] in ("value", "shape", "value_error")  # the request schema refuses it


def test_missing_field_is_a_validation_error(client):
    item = detail(client.post("/api/graph", json={"inputs": {}}))
    assert item["type"] == "missing" and item["loc"] == ["body", "expression"]


def test_unknown_field_is_a_validation_error(client):
    item = detail(client.post("/api/graph", json={"expression": "f = 1", "bogus": 1}))
    assert item["loc"] == ["body", "bogus"]


def test_invalid_json_is_422(client):
    r = client.post("/api/graph", content=b'{"expression": ', headers={
        "content-type": "application/json"})
    assert detail(r)["type"] == "json_invalid"


def test_deeply_nested_json_is_a_clear_4xx(client):
    body = b'{"expression": "f = x", "inputs": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    r = client.post("/api/graph", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    strict_json(r)


def test_oversize_body_by_content_length_is_413():
    with TestClient(create_app(Settings(max_body_bytes=1000))) as c:
        body = json.dumps({"expression": "f = x", "inputs": {"x": [1.0] * 1000}})
        item = detail(c.post("/api/graph", content=body,
                             headers={"content-type": "application/json"}), status=413)
        assert item["type"] == "too_large" and "1000" in item["msg"]
        assert c.get("/api/health").status_code == 200


def test_oversize_streamed_body_without_length_is_413():
    def chunks():
        yield b'{"expression": "f = x", "inputs": {"x": ['
        for _ in range(500):
            yield b"1.0, " * 10
        yield b"1.0]}}"

    with TestClient(create_app(Settings(max_body_bytes=1000))) as c:
        r = c.post("/api/graph", content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in {k.lower() for k in r.request.headers}
        item = detail(r, status=413)
        assert item["type"] == "too_large"


def test_body_just_under_the_limit_is_served():
    body = json.dumps({"expression": "x = -2; y = 5; z = -4; f = (x + y) * z", "inputs": {}})
    with TestClient(create_app(Settings(max_body_bytes=len(body)))) as c:
        r = c.post("/api/graph", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200


def test_unknown_route_is_404_not_500(client):
    assert client.get("/api/nothing-here").status_code == 404
    assert client.post("/api/health").status_code in (404, 405)


def test_time_limit_refuses_long_work():
    settings = Settings(max_seconds=0.05, max_input_elements=10_000_000,
                        max_total_elements=500_000_000, max_response_numbers=10**9)
    with TestClient(create_app(settings)) as c:
        body = {"expression": "y = x @ x; z = y @ x; f = sum(z @ x)",
                "inputs": {"x": {"shape": [1500, 1500], "init": "randn"}}}
        item = detail(c.post("/api/graph", json=body))
        assert item["type"] == "limit"
        assert "time" in item["msg"] or "seconds" in item["msg"] or "0.05" in item["msg"]


def test_engine_error_extras_reach_the_client(client):
    r = client.post("/api/conv", json={"input": {"shape": [1, 7, 7], "init": "ones"},
                                       "filters": 1, "size": 3, "stride": 3})
    item = detail(r)
    assert item["type"] == "shape"
    assert item["msg"] == ("conv2d: 3x3 filter does not fit a 7x7 input with stride 3: "
                           "(7 - 3)/3 + 1 = 2.33")
    assert item["formula"] == "(7 - 3 + 2*0)/3 + 1 = 2.33"
    assert item["suggestions"] and all(
        (7 - 3 + 2 * s["pad"]) % s["stride"] == 0 for s in item["suggestions"])


def test_answer_too_big_to_send_is_a_limit():
    with TestClient(create_app(Settings(max_response_numbers=10_000))) as c:
        ok = graph(c, "f = sum(x * x)", {"x": {"shape": [20, 20], "init": "randn"}})
        assert ok.status_code == 200
        item = detail(graph(c, "f = sum(x * x)", {"x": {"shape": [100, 100], "init": "randn"}}))
        assert item["type"] == "limit" and "10,000" in item["msg"]
        conv = c.post("/api/conv", json={"input": {"shape": [3, 64, 64], "init": "randn"},
                                         "filters": 4, "size": 3})
        assert detail(conv)["type"] == "limit"


def test_skipped_gradient_check_is_still_an_answer(client, settings):
    n = settings.max_gradcheck_elements + 1
    r = graph(client, "f = sum(x * x)", {"x": {"shape": [n], "init": "randn"}}, gradcheck=True)
    g = r.json()
    assert r.status_code == 200, g
    assert g["gradcheck"]["passed"] is None and "skipped" in g["gradcheck"]
