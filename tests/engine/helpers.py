"""Test helpers: a centered-difference gradient written independently of the engine's own."""
from __future__ import annotations

import numpy as np

from engine import evaluate


def numeric_gradients(program: str, inputs: dict, upstream=None, h: float = 1e-5,
                      skip: tuple = ()) -> dict:
    """d sum(output * upstream) / d input, by centered differences over evaluate()'s forward
    value, for every input given as an array in `inputs`."""
    base = {k: np.array(v, dtype=float) for k, v in inputs.items()}
    out = np.asarray(evaluate(program, base).value)
    seed = np.ones_like(out) if upstream is None else np.asarray(upstream, dtype=float)
    grads = {}
    for name, value in base.items():
        if name in skip:
            continue
        g = np.zeros_like(value)
        for k in range(value.size):
            probe = {**base, name: value.copy()}
            probe[name].flat[k] += h
            plus = np.sum(np.asarray(evaluate(program, probe).value) * seed)
            probe[name].flat[k] -= 2 * h
            minus = np.sum(np.asarray(evaluate(program, probe).value) * seed)
            g.flat[k] = (plus - minus) / (2 * h)
        grads[name] = g
    return grads


def rel_error(a, b, floor: float = 1e-4) -> float:
    """max |a - b| / max(|a|, |b|, floor), elementwise: the CS231n notes' relative error,
    measured absolutely for entries near zero, where finite differences leave ~1e-10 noise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor),
                        initial=0.0))
