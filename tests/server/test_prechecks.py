"""Exact prechecks: hostile programs whose hidden cost (a backward pass, a work buffer, a
Python loop, millions of empty lists) is far above their result's size are refused from
their shapes, in milliseconds, before any of that work starts."""
from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

import engine
from server.app import create_app
from server.settings import Settings
from tests.server.conftest import detail

BIG = {"shape": [1, 1, 1000, 1000], "init": "ones"}
# Each: (endpoint, body, words the refusal must contain). With the default settings the
# answer-size estimate refuses several of them first; `roomy` below lifts that limit so
# that each bound is seen on its own.
HOSTILE = {
    "broadcast matmul backward": (
        "/api/graph", {"expression": "f = sum(a @ b)",
                       "inputs": {"a": {"shape": [1000, 1, 1000]}, "b": {"shape": [1000, 1000]}}},
        None),
    "partly broadcast matmul backward": (
        "/api/graph", {"expression": "f = sum(a @ b)",
                       "inputs": {"a": {"shape": [300, 1, 1, 300]},
                                  "b": {"shape": [1, 300, 300, 1]}}},
        "summed over the broadcast batch"),
    "conv im2col buffer": (
        "/api/graph", {"expression": "f = sum(conv2d(x, w))",
                       "inputs": {"x": BIG, "w": {"shape": [1, 1, 24, 24]}}},
        "work buffer per image"),
    "overlapping pool buffer": (
        "/api/graph", {"expression": "f = sum(maxpool2d(x, size=10, stride=1))",
                       "inputs": {"x": BIG}}, "overlapping 10x10 windows"),
    "huge pool window": (
        "/api/graph", {"expression": "f = sum(maxpool2d(x, size=1000, stride=1000))",
                       "inputs": {"x": BIG}}, "1,000,000 positions"),
    "zero-size reshape with a huge axis": (
        "/api/graph", {"expression": "x = []\nf = reshape(x, (2000000, 0))", "inputs": {}},
        None),
    "zero-size input with a huge axis": (
        "/api/graph", {"expression": "f = x * 2", "inputs": {"x": {"shape": [2000000, 0]}}},
        "numbers and lists"),
    "conv view im2col buffer": (
        "/api/conv", {"input": {"shape": [1, 1000, 1000]}, "size": 24},
        "work buffer per image"),
    "conv view overlapping pool": (
        "/api/conv", {"input": {"shape": [1, 1000, 1000]}, "conv": False,
                      "pool": {"size": 10, "stride": 1}}, "overlapping 10x10 windows"),
}


@pytest.fixture(scope="module")
def roomy():
    """A server that would send very large answers: the other bounds must hold alone."""
    with TestClient(create_app(Settings(max_response_numbers=10**9))) as c:
        yield c


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_shapes_are_refused_before_the_work(client, name):
    path, body, _ = HOSTILE[name]
    start = time.perf_counter()
    item = detail(client.post(path, json=body))
    assert item["type"] == "limit", item
    assert time.perf_counter() - start < 1.0
    if name.startswith("zero-size reshape"):  # no numbers: two million empty lists
        assert "the answer would hold about 6,000,006" in item["msg"], item


@pytest.mark.parametrize("name", [n for n, case in HOSTILE.items() if case[2]])
def test_each_bound_holds_on_its_own(roomy, name):
    path, body, words = HOSTILE[name]
    start = time.perf_counter()
    item = detail(roomy.post(path, json=body))
    assert item["type"] == "limit" and words in item["msg"], item
    assert time.perf_counter() - start < 1.0


def test_the_answer_estimate_counts_copy_gate_parts_and_downstreams():
    # x (300, 300) used by three consumers: value, grad and three parts of 90,000 each, and
    # each gate's upstream and downstream; about 2.7 million numbers in all, though no
    # single value is over 90,000.
    limits = engine.Limits(max_response_numbers=2_000_000)
    program = "a = x * 2; b = x * 3; c = x * 4; f = sum(a + b + c)"
    x = np.ones((300, 300))
    with pytest.raises(engine.EngineError, match="the answer would hold"):
        engine.evaluate(program, {"x": x}, limits=limits)
    assert engine.evaluate(program, {"x": np.ones((100, 100))}, limits=limits).value == 90_000


def test_broadcast_matmul_gradients_match_a_loop_over_the_batch():
    rng = np.random.default_rng(9)
    for sa, sb in (((5, 1, 3, 4), (4, 2)), ((3, 4), (5, 2, 4, 2)), ((2, 1, 3, 4), (1, 3, 4, 2))):
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        up = rng.standard_normal(np.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]))
        trace = engine.evaluate("f = a @ b", {"a": a, "b": b}, upstream=up)
        ab = np.broadcast_to(a, up.shape[:-2] + sa[-2:])
        bb = np.broadcast_to(b, up.shape[:-2] + sb[-2:])
        da, db = np.zeros(ab.shape), np.zeros(bb.shape)
        for i in np.ndindex(up.shape[:-2]):
            da[i] = up[i] @ bb[i].T
            db[i] = ab[i].T @ up[i]

        def summed(g, shape):
            g = g.reshape((-1,) + g.shape[-(len(shape)):]).sum(axis=0) \
                if g.ndim > len(shape) else g
            return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)

        assert np.allclose(trace.gradients["a"], summed(da, sa))
        assert np.allclose(trace.gradients["b"], summed(db, sb))
