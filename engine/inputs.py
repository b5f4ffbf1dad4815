"""Input values: numbers, nested lists, numpy arrays, or a generator dict, as float64 arrays.

A generator ``{"shape": [1, 3, 32, 32], "init": "randn", "seed": 0, "scale": 1.0}`` saves
typing 3072 numbers. Every input is checked against the limits before it is built.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from engine.errors import EngineError
from engine.limits import check_objects
from engine.settings import DEFAULT_LIMITS, Limits

INITS = ("randn", "uniform", "zeros", "ones", "arange")
GENERATOR_KEYS = {"shape", "init", "seed", "scale"}


def _limit(msg: str) -> EngineError:
    return EngineError(msg, kind="limit")


def _value(msg: str) -> EngineError:
    return EngineError(msg, kind="value")


def _check_nesting(value, name: str, limits: Limits) -> None:
    """Refuse lists nested deeper than the limit before numpy walks them."""
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > limits.max_depth:
            raise _limit(f"input '{name}': lists nested deeper than {limits.max_depth} levels")
        nxt = []
        for item in level:
            if isinstance(item, (list, tuple)):
                nxt.extend(x for x in item if isinstance(x, (list, tuple)))
        level = nxt


def _from_generator(spec: Mapping, name: str, limits: Limits) -> np.ndarray:
    unknown = set(spec) - GENERATOR_KEYS
    if unknown:
        raise _value(f"input '{name}': unknown generator keys {sorted(unknown)}; "
                     f"use {sorted(GENERATOR_KEYS)}")
    shape = spec.get("shape", [])
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = [shape]
    if not isinstance(shape, (list, tuple)) or len(shape) > 8 or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise _value(f"input '{name}': shape must be a list of at most 8 whole numbers")
    if any(n < 0 for n in shape):
        raise _value(f"input '{name}': shape {list(shape)} has a negative size")
    size = math.prod(shape)
    if size > limits.max_input_elements:
        raise _limit(f"input '{name}': shape {list(shape)} has {size:,} elements, more than "
                     f"the limit of {limits.max_input_elements:,}")
    if size == 0:  # no numbers, but perhaps millions of empty lists
        check_objects(f"input '{name}'", tuple(shape), limits.max_input_elements)
    init = spec.get("init", "randn")
    if init not in INITS:
        raise _value(f"input '{name}': init must be one of {', '.join(INITS)}, got {init!r}")
    seed = spec.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise _value(f"input '{name}': seed must be a whole number from 0 to 2**32 - 1")
    scale = spec.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale):
        raise _value(f"input '{name}': scale must be a finite number")
    rng = np.random.default_rng(seed)
    shape = tuple(shape)
    if init == "randn":
        out = rng.standard_normal(shape)
    elif init == "uniform":
        out = rng.uniform(-1.0, 1.0, shape)
    elif init == "zeros":
        out = np.zeros(shape)
    elif init == "ones":
        out = np.ones(shape)
    else:
        out = np.arange(size, dtype=np.float64).reshape(shape)
    return out * float(scale) if scale != 1 else out


def make_input(value, name: str = "input", limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Turn a user's input value into a float64 array, or raise EngineError."""
    if isinstance(value, Mapping):
        return _from_generator(value, name, limits)
    if isinstance(value, np.ndarray):
        if value.size > limits.max_input_elements:
            raise _limit(f"input '{name}': {value.size:,} elements, more than the limit of "
                         f"{limits.max_input_elements:,}")
        if value.dtype.kind not in "biuf":
            raise _value(f"input '{name}': values must be numbers")
        return np.asarray(value, dtype=np.float64)    # no copy when already float64
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        raise _value(f"input '{name}': expected a number, a (nested) list of numbers or a "
                     f"generator, got {type(value).__name__}")
    if isinstance(value, (int, float)):
        try:
            return np.array(float(value))
        except OverflowError:       # a Python int beyond float64's range
            raise _value(f"input '{name}': the number is too large for float64") from None
    if isinstance(value, (list, tuple)):
        _check_nesting(value, name, limits)
        try:
            arr = np.array(value, dtype=np.float64)
        except (ValueError, TypeError, OverflowError):
            raise _value(f"input '{name}': a list must be rectangular and hold only numbers "
                         "(rows of equal length)") from None
        if arr.size > limits.max_input_elements:
            raise _limit(f"input '{name}': {arr.size:,} elements, more than the limit of "
                         f"{limits.max_input_elements:,}")
        if any(isinstance(v, bool) for v in _flat_items(value)):
            raise _value(f"input '{name}': true/false are not numbers")
        return arr
    raise _value(f"input '{name}': expected a number, a list or a generator, "
                 f"got {type(value).__name__}")


def _flat_items(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item
