"""The generated "flat" code, executed as is, reproduces every example's values and gradients."""
from __future__ import annotations

import numpy as np
import pytest

from engine import EXAMPLES, evaluate

GRAPH_EXAMPLES = [e for e in EXAMPLES if "expression" in e and e.get("expression")]


def run_flat(code: dict) -> dict:
    namespace: dict = {}
    # Generated code from our own engine, never user text.
    exec(compile(code["forward"] + "\n" + code["backward"], "<flat>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("example", GRAPH_EXAMPLES, ids=[e["id"] for e in GRAPH_EXAMPLES])
def test_flat_code_reproduces_the_example(example):
    trace = evaluate(example["expression"], example.get("inputs"),
                     upstream=example.get("upstream"), output=example.get("output"))
    ns = run_flat(trace.to_dict(code=True)["code"])
    for node in trace.nodes:
        var = node.id + "_" if node.id in ("np", "softmax") else node.id
        if node.kind == "const":
            continue
        assert np.allclose(ns[var], node.value, rtol=1e-12, atol=1e-12), node.id
    for name, grad in trace.gradients.items():
        if f"grad_{name}" in ns:
            assert np.allclose(ns[f"grad_{name}"], grad, rtol=1e-10, atol=1e-12), name
        else:       # a label: no gradient flows to it
            assert not np.any(grad), name


def test_flat_code_reads_like_the_lecture():
    code = evaluate("x = -2; y = 5; z = -4; q = x + y; f = q * z").flat_code()
    assert "q = x + y" in code["forward"] and "f = q * z" in code["forward"]
    lines = code["backward"].splitlines()
    assert lines[1] == "grad_f = 1.0"
    assert "grad_q = z * grad_f" in lines and "grad_z = q * grad_f" in lines
    assert "grad_x = grad_q" in lines and "grad_y = grad_q" in lines


def test_flat_code_adds_at_a_fork():
    code = evaluate("c = 7\nf = 4 * c + 2 * c").flat_code()["backward"]
    assert code.count("grad_c = ") == 1 and code.count("grad_c += ") == 1
    ns = run_flat(evaluate("c = 7\nf = 4 * c + 2 * c").flat_code())
    assert ns["grad_c"] == 6.0
