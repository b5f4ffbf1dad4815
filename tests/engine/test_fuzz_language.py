"""Fuzzing the assignment syntax (indexing, slices, reductions over axes, def, for): nothing
but EngineError escapes, what runs agrees with numpy, and unrolled loops keep the limits."""
from __future__ import annotations

import contextlib
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import EngineError, Limits, evaluate
from tests.engine.test_fuzz import assert_only_engine_errors, input_maps

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

TOKENS = ["x", "y", "W", "t", "h", "[", "]", ":", "::", "-1", "0", "2", "...", "None", ",",
          "(", ")", "arange(", "range(", "max(", "min(", "sum(", "mean(", "transpose(",
          "reshape(", "concat([", "stack([", "axis=", "keepdims=", "True", "False", "1",
          "(0, 1)", "+", "*", "@", "-", "\n", "\n    ", "for t in range(3):", "def g(a):",
          "return", "g(", "=", "f =", "h =", "x[:, t]", "y[arange(2), y]", "W[y]", "2*t",
          "sigmoid(", "softmax(", "cross_entropy(", "pick(", "1e9", "range(10**9)"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join), input_maps)
def test_assignment_token_soup(program, inputs):
    assert_only_engine_errors(program, inputs)
    assert_only_engine_errors("f = " + program, inputs)


def _index_item(draw, n: int):
    kind = draw(st.sampled_from(["int", "slice", "slice", "ellipsis", "none", "array"]))
    if kind == "int":
        return str(draw(st.integers(-n - 1, n)))
    if kind == "slice":
        parts = [draw(st.none() | st.integers(-n - 1, n + 1)) for _ in range(2)]
        step = draw(st.none() | st.sampled_from([-2, -1, 1, 2, 3]))
        text = ":".join("" if p is None else str(p) for p in parts)
        return text + ("" if step is None else f":{step}")
    if kind == "ellipsis":
        return "..."
    if kind == "none":
        return "None"
    return str(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))


@st.composite
def indexing_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    items = [_index_item(draw, shape[min(i, len(shape) - 1)])
             for i in range(draw(st.integers(1, 3)))]
    return shape, ", ".join(items)


@FUZZ
@given(indexing_cases())
def test_indexing_agrees_with_numpy_or_says_why_not(case):
    shape, key = case
    x = np.arange(float(np.prod(shape))).reshape(shape)
    expected = None
    with contextlib.suppress(IndexError, ValueError, TypeError):
        expected = x[_numpy_key(key)]       # numpy's own answer, from a key built by hand
    try:
        t = evaluate(f"f = sum(x[{key}] * 1.0)", {"x": x})
    except EngineError as err:
        assert err.kind in ("parse", "name", "shape", "value", "limit")
        return
    assert expected is not None, f"x[{key}] runs in the engine but not in numpy"
    assert float(t.value) == float(np.sum(expected))
    counts = np.zeros(shape)
    np.add.at(counts, _numpy_key(key), 1.0)          # how often each entry was picked
    assert np.array_equal(t.gradients["x"], counts)


def _numpy_key(text: str) -> tuple:
    items = []
    for part in _split_top(text):
        part = part.strip()
        if part == "...":
            items.append(Ellipsis)
        elif part == "None":
            items.append(None)
        elif part.startswith("["):
            items.append(np.array([int(v) for v in part[1:-1].split(",")]))
        elif ":" in part:
            items.append(slice(*[int(p) if p else None for p in part.split(":")]))
        else:
            items.append(int(part))
    return tuple(items)


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


@FUZZ
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4),
       st.sampled_from(["sum", "mean", "max", "min"]),
       st.lists(st.integers(-4, 3), max_size=3), st.booleans())
def test_reductions_over_axes_agree_with_numpy(shape, op, axes, keepdims):
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    axis = "None" if not axes else f"({', '.join(map(str, axes))},)"
    try:
        expected = getattr(np, op)(x, axis=None if not axes else tuple(axes),
                                   keepdims=keepdims)
    except (ValueError, np.exceptions.AxisError):
        expected = None
    try:
        t = evaluate(f"f = {op}(x, axis={axis}, keepdims={keepdims})", {"x": x})
    except EngineError as err:
        assert err.kind in ("shape", "value") and expected is None
        return
    assert expected is not None and np.allclose(t.value, expected)
    assert t.gradients["x"].shape == x.shape


@FUZZ
@given(st.integers(0, 5000), st.integers(1, 6), st.integers(50, 3000))
def test_unrolled_loops_hold_the_node_limit(steps, width, max_nodes):
    body = "\n".join(f"    h = h * {i + 1} + x" for i in range(width))
    program = f"h = x\nfor t in range({steps}):\n{body}\nf = h"
    limits = Limits(max_nodes=max_nodes, max_seconds=2.0)
    start = time.perf_counter()
    try:
        t = evaluate(program, {"x": 0.001}, limits=limits)
    except EngineError as err:
        assert err.kind == "limit"
        if "unrolls" in err.message:        # refused before anything was built
            assert time.perf_counter() - start < 1.0
        return
    assert len(t.nodes) <= max_nodes


@FUZZ
@given(st.integers(1, 4), st.integers(0, 3))
def test_functions_in_loops_keep_values_and_groups(calls, steps):
    program = ("def sq(a):\n    b = a * a\n    return b\nh = x\n"
               f"for t in range({steps}):\n" + "".join(
                   "    h = sq(h) * 0.5\n" for _ in range(calls)) + "f = h + 0")
    t = evaluate(program, {"x": 0.9})
    expected = 0.9
    for _ in range(steps * calls):
        expected = expected * expected * 0.5
    assert np.isclose(float(t.value), expected)
    groups = t.to_dict()["groups"]
    functions = [g for g in groups if g["kind"] == "function"]
    assert len(functions) == steps * calls
    assert all(g["parent"] is not None for g in functions)
