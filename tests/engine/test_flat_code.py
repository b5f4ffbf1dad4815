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


def _op_cases():
    from tests.engine.test_op_gradients import all_cases
    return [(op, i, case) for op, cases in sorted(all_cases().items())
            for i, case in enumerate(cases)]


OP_CASES = _op_cases()


@pytest.mark.parametrize("op, index, case", OP_CASES,
                         ids=[f"{op}-{i}" for op, i, _ in OP_CASES])
@pytest.mark.parametrize("expand", [False, True], ids=["gates", "expanded"])
def test_every_ops_flat_code_agrees_with_its_backward(op, index, case, expand):
    """Every registered op (each gradient case of test_op_gradients): the generated flat
    code, run as is, gives the trace's values and the gradients its backward computed,
    for a random upstream."""
    program, inputs, _ = case
    first = evaluate(program, inputs, expand=expand)
    upstream = np.random.default_rng(index).standard_normal(np.shape(first.value))
    trace = evaluate(program, inputs, upstream=upstream if np.ndim(first.value) else None,
                     expand=expand)
    ns = run_flat(trace.flat_code())
    assert np.allclose(ns[_var(trace.out)], trace.out.value, rtol=1e-12, atol=1e-12)
    for name, grad in trace.gradients.items():
        if f"grad_{name}" in ns:
            assert np.allclose(ns[f"grad_{name}"], grad, rtol=1e-10, atol=1e-12), name
        else:       # a label or an index: no gradient flows to it
            assert not np.any(grad), name


def _var(node) -> str:
    from engine.codegen import RESERVED
    return node.id + "_" if node.id in RESERVED else node.id
