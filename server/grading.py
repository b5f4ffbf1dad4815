"""Grading: compare submitted values and gradients with one evaluation of the program.

A submission's answers are {"grad": {name: value}, "value": {name: value}}. Gradient
answers name inputs or named intermediates; value answers name any named variable; a
gate without a name is named by its node id in /api/graph (add1). An
answer is correct when its shape matches exactly and every entry is within tolerance
(numpy.isclose semantics: |given - expected| <= atol + rtol * |expected|, NaN == NaN).
Anything wrong with an answer (wrong shape, unknown name, not a number) makes it a wrong
answer with a message, never an error.
"""
from __future__ import annotations

import math

import numpy as np

import engine
from server import serialize

KINDS = ("grad", "value")


class Expected:
    """The right answers of one evaluated program, looked up once per name and kept."""

    def __init__(self, trace):
        self.trace = trace
        self._cache: dict[tuple[str, str], np.ndarray | None] = {}

    def get(self, kind: str, name: str) -> np.ndarray | None:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = self._lookup(kind, name)
        return self._cache[key]

    def _node_ids(self) -> dict:
        """Node id -> node: a gate without a variable name (add1) is asked by its id."""
        if not hasattr(self, "_ids"):
            self._ids = {node.id: node for node in self.trace.nodes}
        return self._ids

    def _lookup(self, kind: str, name: str) -> np.ndarray | None:
        node = self.trace.variables.get(name) or self._node_ids().get(name)
        if kind == "grad" and name in self.trace.gradients:
            return np.asarray(self.trace.gradients[name], dtype=np.float64)
        if node is None:
            return None
        if kind == "value":
            return np.asarray(node.value, dtype=np.float64)
        if node.grad is None:  # a variable the output does not depend on
            return np.zeros(np.shape(node.value))
        return np.asarray(node.grad, dtype=np.float64)


def read_answer(given) -> np.ndarray | str:
    """A submitted answer as a float array, or a message saying why it cannot be read."""
    if given is None:
        return "no answer given"
    if isinstance(given, str):
        if given.strip().lower() in serialize.NON_FINITE:
            return np.asarray(serialize.NON_FINITE[given.strip().lower()])
        return f"{given!r} is not a number"
    if isinstance(given, (bool, dict)):
        return "expected a number or a nested list of numbers"
    try:
        return np.asarray(given, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return "expected a number or a rectangular nested list of numbers"


def shape_text(shape: tuple) -> str:
    return "a scalar" if shape == () else "shape (" + ", ".join(map(str, shape)) + ")"


def judge(given, expected: np.ndarray | None, name: str, *, rtol: float, atol: float,
          reveal: bool) -> dict:
    """The verdict on one answer: {"correct", "given", "expected" (reveal only), "message"}."""
    read = read_answer(given)
    verdict = {"correct": False,
               "given": serialize.to_json(read if isinstance(read, np.ndarray) else given)}
    if expected is None:
        verdict["message"] = f"unknown name {name!r}: not a variable of this program"
        return verdict
    if reveal:
        verdict["expected"] = serialize.array(expected)
    if isinstance(read, str):
        verdict["message"] = read
    elif read.shape != expected.shape:
        verdict["message"] = (f"wrong shape: expected {shape_text(expected.shape)}, "
                              f"got {shape_text(read.shape)}")
    else:
        close = _close(read, expected, rtol, atol)
        verdict["correct"] = bool(close.all())
        verdict["message"] = _closeness_message(close, rtol, atol)
    return verdict


def _close(given: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """numpy.isclose(given, expected, equal_nan=True); scalars without numpy's overhead
    (a batch of a thousand submissions compares thousands of them)."""
    if given.ndim or expected.ndim:
        return np.isclose(given, expected, rtol=rtol, atol=atol, equal_nan=True)
    a, b = float(given), float(expected)
    if a == b or (math.isnan(a) and math.isnan(b)):
        return np.bool_(True)
    if not (math.isfinite(a) and math.isfinite(b)):
        return np.bool_(False)
    return np.bool_(abs(a - b) <= atol + rtol * abs(b))


def _closeness_message(close: np.ndarray, rtol: float, atol: float) -> str:
    if close.all():
        return "correct"
    tol = f"(rtol={rtol:g}, atol={atol:g})"
    if close.ndim == 0:
        return f"not within tolerance of the expected value {tol}"
    return f"{close.size - int(close.sum())} of {close.size} entries are not within tolerance {tol}"


def grade(expected: Expected, answers, *, rtol: float, atol: float, reveal: bool,
          require=None, max_answers: int | None = None) -> dict:
    """Grade one submission. answers and require are schemas.Answers / schemas.Required."""
    results = {kind: {} for kind in KINDS}
    for kind in KINDS:
        given_all = getattr(answers, kind)
        if max_answers is not None and len(given_all) > max_answers:
            raise engine.EngineError(f"too many {kind} answers: {len(given_all)} (this server "
                                     f"grades at most {max_answers})", kind="limit")
        names = list(given_all) + [n for n in (getattr(require, kind) if require else [])
                                   if n not in given_all]
        for name in names:
            results[kind][name] = judge(given_all.get(name), expected.get(kind, name), name,
                                        rtol=rtol, atol=atol, reveal=reveal)
    total = sum(len(r) for r in results.values())
    correct = sum(v["correct"] for r in results.values() for v in r.values())
    return {"score": correct / total if total else 0.0, "correct": correct, "total": total,
            "results": results}


def evaluate(body, limits: engine.Limits):
    """One engine evaluation of a grading request's program."""
    return engine.evaluate(body.expression, body.inputs, output=body.output,
                           upstream=body.upstream, limits=limits)


def grade_one(body, limits: engine.Limits, max_answers: int | None = None) -> dict:
    """POST /api/grade: evaluate, then grade body.answers."""
    expected = Expected(evaluate(body, limits))
    return grade(expected, body.answers, rtol=body.rtol, atol=body.atol, reveal=body.reveal,
                 require=body.require, max_answers=max_answers)


def grade_batch(body, limits: engine.Limits, max_submissions: int | None = None,
                max_answers: int | None = None) -> dict:
    """POST /api/grade/batch: evaluate once, grade every submission, keyed by id in order."""
    if max_submissions is not None and len(body.submissions) > max_submissions:
        raise engine.EngineError(f"too many submissions: {len(body.submissions)} (this server "
                                 f"grades at most {max_submissions} per call)", kind="limit")
    trace = evaluate(body, limits)
    expected = Expected(trace)
    results = {str(s.id): grade(expected, s.answers, rtol=body.rtol, atol=body.atol,
                                reveal=body.reveal, require=body.require, max_answers=max_answers)
               for s in body.submissions}
    scores = [r["score"] for r in results.values()]
    return {"count": len(results), "mean_score": sum(scores) / len(scores) if scores else 0.0,
            "results": results, "warnings": list(trace.warnings)}
