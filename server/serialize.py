"""The one place where engine results (numpy arrays and scalars) become JSON-safe data.

JSON has no NaN or infinity, so non-finite numbers become the strings "nan", "inf" and
"-inf"; everything this module returns passes `json.dumps(..., allow_nan=False)`.
"""
from __future__ import annotations

import json
import math

import numpy as np

NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def number(x: float) -> float | str:
    """A float, or its string name when it is not finite."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "nan"
    return "inf" if x > 0 else "-inf"


def array(a: np.ndarray):
    """An array as (nested) lists of numbers; a 0-d array as a bare number. Shape (...)."""
    if a.dtype.kind in "biu":
        return a.tolist()
    if a.dtype.kind == "f":
        if a.ndim == 0:
            return number(float(a))
        if np.isfinite(a).all():
            return a.tolist()  # fast path: no per-element work in Python
        return _non_finite_array(a)
    return to_json(a.tolist())


def _non_finite_array(a: np.ndarray):
    """Slow path for float arrays holding NaN or infinities."""
    out = a.astype(object)
    out[np.isnan(a)] = "nan"
    out[np.isposinf(a)] = "inf"
    out[np.isneginf(a)] = "-inf"
    return out.tolist()


def to_json(obj):
    """Recursively convert dicts, lists, tuples, numpy values and floats to JSON-safe data."""
    kind = type(obj)
    if kind is str or kind is int or kind is bool or obj is None:
        return obj  # the common leaves first: checked by identity, the fastest test
    if kind is dict:
        return {k if type(k) is str else str(k): to_json(v) for k, v in obj.items()}
    if kind is list or kind is tuple:
        return [to_json(v) for v in obj]
    if kind is float or kind is np.float64:
        return float(obj) if math.isfinite(obj) else number(float(obj))
    if kind is np.ndarray:
        return array(obj)
    return _other(obj)


def _other(obj):
    """Subclasses and numpy scalars: the rare cases, by isinstance."""
    if isinstance(obj, dict):
        return to_json(dict(obj))
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, np.ndarray):
        return array(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return number(float(obj))
    if isinstance(obj, np.bool_):
        return bool(obj)
    raise TypeError(f"cannot turn {type(obj).__name__} into JSON")


def count_numbers(obj) -> int:
    """How many numbers a result holds in its arrays and lists (for size limits)."""
    if isinstance(obj, np.ndarray):
        return obj.size
    if isinstance(obj, dict):
        return sum(count_numbers(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(count_numbers(v) for v in obj)
    return 1


def dumps(obj, indent: int | None = None) -> str:
    """Strict JSON text of any engine result."""
    return json.dumps(to_json(obj), allow_nan=False, indent=indent, ensure_ascii=False)
