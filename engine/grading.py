"""Grading: compare submitted values and gradients with one evaluation of the program.

    >>> from engine.grading import grade_program
    >>> r = grade_program("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4},
    ...                   {"grad": {"x": -4, "z": 3}})
    >>> r["score"], r["correct"], r["total"]
    (1.0, 2, 2)

A submission's answers are {"grad": {name: value}, "value": {name: value}}. Gradient
answers name inputs or named intermediates; value answers name any named variable; a
gate without a name is named by its node id in the trace (add1). An answer is correct
when its shape matches exactly and every entry is within tolerance (numpy.isclose
semantics: |given - expected| <= atol + rtol * |expected|, NaN == NaN).

Answers are read strictly and alike at every depth: a number, or a (rectangular) nested
list of numbers, where "nan", "inf" and "-inf" name the non-finite values; booleans and
other strings are not numbers, at the top or deep in a list. Anything wrong with an
answer (wrong shape, unknown name, not a number) makes it a wrong answer with a message.

When `require` names the answers asked for, the score is the fraction of them answered
right; other answers are still judged and reported (with "scored": false) but do not
count. Without `require`, every answer given counts.

`grade_batch` evaluates once and grades many submissions; a malformed submission (not an
object with an id and answers) gets an error entry of its own and the others are graded.
The server (server/grading.py) and the `chainrule grade` command both call this module.
"""
from __future__ import annotations

import math

import numpy as np

from engine.errors import EngineError
from engine.settings import Limits
from engine.trace import evaluate

KINDS = ("grad", "value")
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-6
SUBMISSION_KEYS = {"id", "answers"}
MAX_DEPTH = 32  # nesting of an answer's lists (numpy's limit on dimensions)


class Expected:
    """The right answers of one evaluated program, looked up once per name and kept."""

    def __init__(self, trace):
        self.trace = trace
        self._cache: dict[tuple[str, str], np.ndarray | None] = {}
        self._ids: dict | None = None

    def get(self, kind: str, name: str) -> np.ndarray | None:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = self._lookup(kind, name)
        return self._cache[key]

    def _node(self, name: str):
        node = self.trace.variables.get(name)
        if node is None:
            if self._ids is None:  # a gate without a variable name is asked by its id
                self._ids = {n.id: n for n in self.trace.nodes}
            node = self._ids.get(name)
        return node

    def _lookup(self, kind: str, name: str) -> np.ndarray | None:
        if kind == "grad" and name in self.trace.gradients:
            return np.asarray(self.trace.gradients[name], dtype=np.float64)
        node = self._node(name)
        if node is None:
            return None
        if kind == "value":
            return np.asarray(node.value, dtype=np.float64)
        if node.grad is None:  # a variable the output does not depend on
            return np.zeros(np.shape(node.value))
        return np.asarray(node.grad, dtype=np.float64)


# -- reading an answer ------------------------------------------------------------------------

def _number(x) -> float | None:
    """A leaf as a float: int or float (never bool), or a non-finite name; else None."""
    kind = type(x)
    if kind is float or kind is int:
        return float(x)
    if kind is str:
        return NON_FINITE.get(x.strip().lower())
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return float(x)
    return None


def _leaves(given, out: list) -> str | None:
    """Append every leaf of a nested list to out as a float; a message on the first bad
    leaf (with its position, e.g. [1][0])."""
    stack = [(given, "", 0)]
    while stack:
        item, at, depth = stack.pop()
        if isinstance(item, (list, tuple)):
            if depth >= MAX_DEPTH:
                return f"lists nested deeper than {MAX_DEPTH} levels"
            stack.extend((v, f"{at}[{i}]", depth + 1)
                         for i, v in reversed(list(enumerate(item))))
            continue
        value = _number(item)
        if value is None:
            return f"{item!r} at {at} is not a number" if at else f"{item!r} is not a number"
        out.append(value)
    return None


def read_answer(given) -> np.ndarray | float | str:
    """A submitted answer as a float (scalars) or a float array, or a message saying why
    it cannot be read. Strings and booleans are judged alike at every depth."""
    if given is None:
        return "no answer given"
    if isinstance(given, dict):
        return "expected a number or a nested list of numbers"
    if not isinstance(given, (list, tuple, np.ndarray)):
        value = _number(given)
        return value if value is not None else f"{given!r} is not a number"
    if isinstance(given, np.ndarray):
        return given.astype(np.float64)
    flat: list[float] = []
    problem = _leaves(given, flat)
    if problem:
        return problem
    try:
        # The leaves are floats already, so numpy only checks that the lists are rectangular.
        return np.array(_floats_like(given, iter(flat)), dtype=np.float64)
    except ValueError:
        return "expected a number or a rectangular nested list of numbers"


def _floats_like(given, leaves):
    """given with each leaf replaced by the next float of leaves (same nesting)."""
    if isinstance(given, (list, tuple)):
        return [_floats_like(v, leaves) for v in given]
    return next(leaves)


# -- judging one answer -----------------------------------------------------------------------

def _shape_text(shape: tuple) -> str:
    return "a scalar" if shape == () else "shape (" + ", ".join(map(str, shape)) + ")"


def _plain(value):
    """A float or an array as JSON-ready data (non-finite numbers as their names)."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return _plain(float(arr))
    if np.isfinite(arr).all():
        return arr.tolist()
    out = arr.astype(object)
    out[np.isnan(arr)] = "nan"
    out[np.isposinf(arr)] = "inf"
    out[np.isneginf(arr)] = "-inf"
    return out.tolist()


def _close_scalar(a: float, b: float, rtol: float, atol: float) -> bool:
    """numpy.isclose(a, b, equal_nan=True) for two floats, without numpy."""
    if a == b or (a != a and b != b):
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


def judge(given, expected: np.ndarray | None, name: str, *, rtol: float, atol: float,
          reveal: bool) -> dict:
    """The verdict on one answer: {"correct", "given", "expected" (reveal only), "message"}."""
    read = read_answer(given)
    readable = not isinstance(read, str)
    verdict = {"correct": False, "given": _plain(read) if readable else _echo(given)}
    if expected is None:
        verdict["message"] = f"unknown name {name!r}: not a variable of this program"
        return verdict
    if reveal:
        verdict["expected"] = _plain(expected)
    tol = f"(rtol={rtol:g}, atol={atol:g})"
    if not readable:
        verdict["message"] = read
    elif isinstance(read, float) and expected.ndim == 0:
        ok = _close_scalar(read, float(expected), rtol, atol)
        verdict["correct"] = ok
        verdict["message"] = "correct" if ok else \
            f"not within tolerance of the expected value {tol}"
    elif np.shape(read) != expected.shape:
        verdict["message"] = (f"wrong shape: expected {_shape_text(expected.shape)}, "
                              f"got {_shape_text(np.shape(read))}")
    else:
        close = np.isclose(read, expected, rtol=rtol, atol=atol, equal_nan=True)
        wrong = close.size - int(close.sum())
        verdict["correct"] = wrong == 0
        verdict["message"] = "correct" if wrong == 0 else \
            f"{wrong} of {close.size} entries are not within tolerance {tol}"
    return verdict


def _echo(given):
    """An unreadable answer as it was given, made JSON-safe (floats by name if not finite)."""
    if isinstance(given, float):
        return _plain(given)
    if isinstance(given, (list, tuple)):
        return [_echo(v) for v in given]
    if isinstance(given, dict):
        return {str(k): _echo(v) for k, v in given.items()}
    if given is None or isinstance(given, (str, bool, int)):
        return given
    return repr(given)


# -- grading submissions ----------------------------------------------------------------------

def _answers_of(answers, kind: str) -> dict:
    value = answers.get(kind) if isinstance(answers, dict) else getattr(answers, kind, None)
    return value or {}


def _required(require, kind: str) -> list:
    if require is None:
        return []
    names = require.get(kind) if isinstance(require, dict) else getattr(require, kind, None)
    return list(names or [])


def grade(expected: Expected, answers, *, rtol: float = DEFAULT_RTOL,
          atol: float = DEFAULT_ATOL, reveal: bool = False, require=None,
          max_answers: int | None = None) -> dict:
    """Grade one submission's answers ({"grad": {...}, "value": {...}}, or an object with
    those attributes). require, when given, names the answers that count."""
    results: dict = {kind: {} for kind in KINDS}
    scored = correct = 0
    for kind in KINDS:
        given_all = _answers_of(answers, kind)
        if max_answers is not None and len(given_all) > max_answers:
            raise EngineError(f"too many {kind} answers: {len(given_all)} (at most "
                              f"{max_answers} are graded)", kind="limit")
        asked = _required(require, kind)
        asked_set = set(asked)
        for name in list(given_all) + [n for n in asked if n not in given_all]:
            verdict = judge(given_all.get(name), expected.get(kind, name), name, rtol=rtol,
                            atol=atol, reveal=reveal)
            counts = require is None or name in asked_set
            if require is not None:
                verdict["scored"] = counts
            if counts:
                scored += 1
                correct += verdict["correct"]
            results[kind][name] = verdict
    return {"score": correct / scored if scored else 0.0, "correct": correct,
            "total": scored, "results": results}


def grade_program(expression: str, inputs: dict, answers, *, output: str | None = None,
                  upstream=None, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                  reveal: bool = False, require=None, limits: Limits | None = None,
                  max_answers: int | None = None) -> dict:
    """Evaluate a program and grade one submission's answers against it."""
    trace = evaluate(expression, inputs, output=output, upstream=upstream, limits=limits)
    return grade(Expected(trace), answers, rtol=rtol, atol=atol, reveal=reveal,
                 require=require, max_answers=max_answers)


def _error_entry(msg: str, loc: list, type_: str = "value") -> dict:
    return {"detail": [{"type": type_, "msg": msg, "loc": loc}]}


def _submission_problem(sub, index: int) -> dict | None:
    """An error entry for a malformed submission; None when it is well formed."""
    loc = ["body", "submissions", index]
    if not isinstance(sub, dict):
        return _error_entry("a submission must be an object {\"id\", \"answers\"}", loc)
    unknown = sorted(set(sub) - SUBMISSION_KEYS)
    if unknown:
        return _error_entry(f"unknown keys {unknown}: a submission has only \"id\" and "
                            f"\"answers\"", loc + [unknown[0]], "extra_forbidden")
    sid = sub.get("id")
    if type(sid) not in (str, int):
        return _error_entry("id must be a string or a whole number", loc + ["id"])
    answers = sub.get("answers")
    if not isinstance(answers, dict):
        return _error_entry("answers must be an object {\"grad\": {...}, \"value\": {...}}",
                            loc + ["answers"])
    for key, value in answers.items():
        if key not in KINDS:
            return _error_entry(f"unknown answer kind {key!r}: use \"grad\" or \"value\"",
                                loc + ["answers", key], "extra_forbidden")
        if not isinstance(value, dict):
            return _error_entry(f"answers.{key} must be an object mapping names to values",
                                loc + ["answers", key])
    return None


def _key(sub, index: int) -> str:
    """A submission's key in the results: its id, or its position when it has none."""
    sid = sub.get("id") if isinstance(sub, dict) else None
    return str(sid) if type(sid) in (str, int) else f"#{index}"


def grade_batch(expression: str, inputs: dict, submissions: list, *, output: str | None = None,
                upstream=None, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                reveal: bool = False, require=None, limits: Limits | None = None,
                max_submissions: int | None = None, max_answers: int | None = None) -> dict:
    """Evaluate once and grade every submission ({"id", "answers"} dicts), keyed by id in
    order. A malformed submission gets {"detail": [...]} instead of a grade; mean_score is
    over the graded ones."""
    if max_submissions is not None and len(submissions) > max_submissions:
        raise EngineError(f"too many submissions: {len(submissions)} (at most "
                          f"{max_submissions} are graded per call)", kind="limit")
    trace = evaluate(expression, inputs, output=output, upstream=upstream, limits=limits)
    expected = Expected(trace)
    results, scores = {}, []
    for index, sub in enumerate(submissions):
        key = _key(sub, index)
        if key in results:
            key = f"{key} #{index}"
        problem = _submission_problem(sub, index)
        if problem is None:
            try:
                entry = grade(expected, sub["answers"], rtol=rtol, atol=atol, reveal=reveal,
                              require=require, max_answers=max_answers)
            except EngineError as err:
                problem = _error_entry(str(err), ["body", "submissions", index, "answers"],
                                       err.kind)
        if problem is not None:
            results[key] = problem
            continue
        results[key] = entry
        scores.append(entry["score"])
    return {"count": len(results), "graded": len(scores),
            "mean_score": sum(scores) / len(scores) if scores else 0.0,
            "results": results, "warnings": list(trace.warnings)}
