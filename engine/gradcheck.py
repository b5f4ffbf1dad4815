"""Numeric gradient check: centered differences on every input element.

The relative error follows the CS231n notes, |a - n| / max(|a|, |n|), taken per element and
reported as the largest per input. Near zero the denominator is floored at FLOOR: there an
analytic 0 against a numeric 2e-11 (rounding noise of the differences) is agreement, and
the error is measured absolutely.
"""
from __future__ import annotations

import time

import numpy as np

from engine.errors import EngineError
from engine.graph import Node
from engine.registry import Context
from engine.settings import Limits

H = 1e-5
PASS_BELOW = 1e-5
FLOOR = 1e-4


def forward_only(nodes: list[Node], out: Node, overrides: dict) -> np.ndarray:
    """Re-run the forward pass with some input values replaced; touches no node state."""
    values = {}
    for node in nodes:
        if node.op is None:
            values[node] = overrides.get(node, node.value)
        else:
            values[node] = node.op.forward(Context(), *[values[i] for i in node.inputs],
                                           **node.params)
    return values[out]


def _differentiable_inputs(nodes: list[Node]) -> set:
    """Nodes that feed some gate through an argument that takes a gradient."""
    found = set()
    for node in nodes:
        if node.op is not None:
            for i, inp in enumerate(node.inputs):
                if node.op.takes_grad(i):
                    found.add(inp)
    return found


def relative_error(analytic, numeric) -> np.ndarray:
    a, n = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), FLOOR)
    return np.abs(a - n) / scale


def check_gradients(trace, limits: Limits, deadline: float | None, h: float = H) -> dict:
    """Compare every input's analytic gradient with centered differences of
    sum(output * upstream); too many elements to perturb gives a 'skipped' report."""
    inputs = trace.inputs
    count = sum(n.value.size for n in inputs.values())
    if count > limits.max_gradcheck_elements:
        note = (f"gradient check skipped: it would perturb {count:,} input elements, more "
                f"than the limit of {limits.max_gradcheck_elements:,}")
        trace.warnings.append(note)
        return {"h": h, "inputs": {}, "max_rel_error": None, "passed": None, "skipped": note}
    seed = np.asarray(trace.upstream, dtype=float)
    report, worst = {}, 0.0
    differentiable = _differentiable_inputs(trace.nodes)
    for name, node in inputs.items():
        if node not in differentiable:
            continue    # a class label: no gradient to check
        base = np.array(node.value, dtype=float)
        numeric = np.zeros_like(base)
        for k in range(base.size):
            if deadline is not None and time.perf_counter() > deadline:
                raise EngineError(f"the gradient check took longer than "
                                  f"{limits.max_seconds:g} s, the time limit", kind="limit")
            probe = base.copy()
            probe.flat[k] = base.flat[k] + h
            plus = np.sum(forward_only(trace.nodes, trace.out, {node: probe}) * seed)
            probe.flat[k] = base.flat[k] - h
            minus = np.sum(forward_only(trace.nodes, trace.out, {node: probe}) * seed)
            numeric.flat[k] = (plus - minus) / (2 * h)
        analytic = trace.gradients[name]
        err = relative_error(analytic, numeric)
        rel = float(np.max(err)) if err.size else 0.0
        worst = max(worst, rel) if np.isfinite(rel) else float("inf")
        report[name] = {"analytic": analytic, "numeric": numeric, "rel_error": rel,
                        "passed": bool(rel < PASS_BELOW)}
    return {"h": h, "inputs": report, "max_rel_error": worst, "passed": bool(worst < PASS_BELOW),
            "threshold": PASS_BELOW, "floor": FLOOR}
