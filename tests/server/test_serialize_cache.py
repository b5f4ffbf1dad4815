"""The serialisation module (numpy to strict JSON) and the answer cache."""
from __future__ import annotations

import json
import math

import numpy as np
from fastapi.testclient import TestClient

from server import serialize
from server.app import create_app
from server.cache import ResponseCache
from server.settings import Settings
from tests.server.conftest import strict_json


def test_non_finite_numbers_become_strings():
    data = {"a": np.array([1.0, np.nan, np.inf, -np.inf]), "b": np.float64("nan"),
            "c": float("-inf"), "d": np.array(np.inf), "e": [np.float32(2.5), np.int64(3)],
            "f": (np.bool_(True), None, "text"), 4: np.arange(3)}
    out = serialize.to_json(data)
    assert out == {"a": [1.0, "nan", "inf", "-inf"], "b": "nan", "c": "-inf", "d": "inf",
                   "e": [2.5, 3], "f": [True, None, "text"], "4": [0, 1, 2]}
    json.dumps(out, allow_nan=False)  # raises if anything non-finite slipped through


def test_arrays_keep_their_shape_and_scalars_are_bare_numbers():
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    assert np.array_equal(np.array(serialize.to_json(a)), a)
    assert serialize.to_json(np.array(-12.0)) == -12.0
    nested = np.full((2, 2), np.nan)
    assert serialize.to_json(nested) == [["nan", "nan"], ["nan", "nan"]]


def test_dumps_is_strict_json():
    text = serialize.dumps({"x": np.array([math.nan, 1.0])})
    assert json.loads(text, parse_constant=lambda t: 1 / 0) == {"x": ["nan", 1.0]}


def test_unknown_types_are_refused():
    for bad in (object(), 1j, {1, 2}):
        try:
            serialize.to_json(bad)
        except TypeError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_cache_is_bounded_by_entries_and_bytes():
    cache = ResponseCache(max_entries=2, max_bytes=1600)
    cache.put("a", b"1" * 10)
    cache.put("b", b"2" * 10)
    assert cache.get("a") == b"1" * 10  # a is now the most recent
    cache.put("c", b"3" * 10)
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    cache.put("big", b"x" * 101)  # over 1600 / 16: never kept
    assert cache.get("big") is None and len(cache) == 2


def test_same_body_gets_the_same_answer_from_the_cache():
    body = {"expression": "x = -2; y = 5; z = -4; f = (x + y) * z"}
    with TestClient(create_app(Settings())) as c:
        first = c.post("/api/graph", json=body)
        second = c.post("/api/graph", json=body)
        cache = c.app.state.cache
        assert first.content == second.content and cache.hits == 1 and len(cache) == 1
        other = c.post("/api/graph", json={**body, "gradcheck": True})
        assert "gradcheck" in strict_json(other) and "gradcheck" not in strict_json(first)


def test_cache_can_be_turned_off():
    body = {"expression": "x = -2; y = 5; z = -4; f = (x + y) * z"}
    with TestClient(create_app(Settings(cache_entries=0))) as c:
        for _ in range(3):
            assert strict_json(c.post("/api/graph", json=body))["value"] == -12
        assert len(c.app.state.cache) == 0 and c.app.state.cache.hits == 0


def test_errors_are_not_cached():
    body = {"expression": "f = x * q", "inputs": {"x": 1}}
    with TestClient(create_app(Settings())) as c:
        assert c.post("/api/graph", json=body).status_code == 422
        assert c.post("/api/graph", json=body).status_code == 422
        assert len(c.app.state.cache) == 0
