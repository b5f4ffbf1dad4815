"""The trace's teaching fields: display names, groups, dtype, formulas, worked steps and
the expand option. Expected numbers come from LECTURE.md or are written out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from engine import REGISTRY, evaluate
from tests.engine.helpers import numeric_gradients, rel_error

NEURON = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
# LECTURE.md section 3, the slides' rounding.
NEURON_GRADS = {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}


def ops_of(d: dict) -> list[str]:
    return [n["label"] for n in d["nodes"] if n["kind"] == "op"]


@pytest.mark.parametrize("program, expand", [
    ("f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", False),
    ("f = sigmoid(w0*x0 + w1*x1 + w2)", True),
    ("f = sigmoid(w0*x0 + w1*x1 + w2)", False)])
def test_sigmoid_neuron_gives_the_lectures_gradients_every_way(program, expand):
    t = evaluate(program, NEURON, expand=expand)
    assert float(t.value) == pytest.approx(0.73, abs=0.005)
    for name, g in NEURON_GRADS.items():
        assert float(t.gradients[name]) == pytest.approx(g, abs=0.015), name  # slide rounding


def test_eight_gates_or_one_sigmoid_gate_whose_local_gradient_is_0_20():
    unfolded = evaluate("f = sigmoid(w0*x0 + w1*x1 + w2)", NEURON, expand=True).to_dict()
    assert ops_of(unfolded) == ["×", "×", "+", "+", "*-1", "exp", "+1", "1/x"]
    (group,) = unfolded["groups"]
    assert group["kind"] == "composite" and group["name"] == "sigmoid"
    assert group["parent"] is None and group["iteration"] is None
    assert group["output"] == "f" and len(group["inputs"]) == 1
    assert group["local"]["formula"] == "(1 - σ(x))·σ(x)"
    assert group["local"]["value"] == pytest.approx(0.2, abs=0.005)
    assert group["local"]["text"] == "(1 - 0.73)·0.73 = 0.20"
    inside = {n["id"] for n in unfolded["nodes"] if n["groups"] == [group["id"]]}
    assert {n["label"] for n in unfolded["nodes"] if n["id"] in inside and n["kind"] == "op"} \
        == {"*-1", "exp", "+1", "1/x"}

    folded = evaluate("f = sigmoid(w0*x0 + w1*x1 + w2)", NEURON).to_dict()
    assert ops_of(folded) == ["×", "×", "+", "+", "σ"] and folded["groups"] == []
    step = folded["backward"][0]
    assert step["formula"] == "d/dx σ(x) = (1 - σ(x))·σ(x)"
    assert float(step["local"][0]) == pytest.approx(0.2, abs=0.005)


def test_display_names_are_unique_and_read_like_the_lecture():
    d = evaluate("f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", NEURON).to_dict()
    displays = [n["display"] for n in d["nodes"]]
    assert len(set(displays)) == len(displays)
    assert "w0·x0" in displays and "w1·x1" in displays
    assert "+₁" in displays and "+₂" in displays      # the two unnamed add gates
    named = evaluate("x = -2; y = 5; z = -4; q = x + y; f = q * z").to_dict()
    assert [n["display"] for n in named["nodes"]] == ["x", "y", "z", "q", "f"]


def test_worked_step_entry_by_entry_and_by_shape():
    t = evaluate("f = relu(x)", {"x": [1, -2, 3, -4]}, upstream=[4, -1, 5, 9]).to_dict()
    (step,) = t["backward"]
    assert step["worked"] == ["[4, -1, 5, 9] ⊙ [1, 0, 1, 0] = [4, 0, 5, 0]"]
    assert step["formula"] == "d/dx max(0, x) = 1 if x > 0 else 0"
    big = evaluate("f = sum(x * y)", {"x": np.ones((3, 4)), "y": np.ones((3, 4))}).to_dict()
    mul = next(s for s in big["backward"] if s["node"].startswith("mul"))
    assert mul["worked"] == ["upstream (3, 4) → dL/dx (3, 4)", "upstream (3, 4) → dL/dy (3, 4)"]
    scalar = evaluate("x = -2; y = 5; z = -4; q = x + y; f = q * z").to_dict()
    assert scalar["backward"][0]["worked"] == ["1 × -4 = -4", "1 × 3 = 3"]


def test_every_registered_op_carries_a_formula():
    for name, op in REGISTRY.items():
        assert op.formula and ("d/d" in op.formula or "dL/d" in op.formula), name
        assert op.info()["formula"] == op.formula


def test_labels_and_indices_stay_integers():
    t = evaluate("f = cross_entropy(s, y)", {"s": [[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]],
                                            "y": [1, 2]})
    d = t.to_dict()
    y = next(n for n in d["nodes"] if n["id"] == "y")
    s = next(n for n in d["nodes"] if n["id"] == "s")
    assert y["dtype"] == "int" and y["value"].dtype.kind == "i" and y["value"].tolist() == [1, 2]
    assert s["dtype"] == "float"
    r = evaluate("r = arange(3)\nf = sum(W[r, y])", {"W": np.ones((3, 4)), "y": [0, 3, 3]})
    assert {n.id: n.value.dtype.kind for n in r.nodes if n.op is None} == \
        {"r": "i", "W": "f", "y": "i"}


EXPANDED = [
    ("f = softmax(a)", {"a": [[1.0, 2.0, 3.0], [3.0, -1.0, 0.5]]}, ()),
    ("f = cross_entropy(s, y)", {"s": [[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], "y": [1, 2]}, ("y",)),
    ("f = cross_entropy(s, y)", {"s": [1.0, 2.0, 0.5], "y": 2}, ("y",)),
    ("f = svm_loss(s, y)", {"s": [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]],
                            "y": [0, 1, 2]}, ("y",)),
    ("f = svm_loss(s, y)", {"s": [3.2, 5.1, -1.7], "y": 0}, ("y",)),
    ("f = linear(x, W, b)", {"x": [[1.0, 2.0], [0.5, -1.0]], "W": [[1.0, -1.0], [2.0, 0.5],
                                                                   [0.0, 1.0]],
                             "b": [0.1, 0.2, 0.3]}, ()),
    ("f = sigmoid(a)", {"a": [[0.5, -1.0], [2.0, 0.0]]}, ()),
]


@pytest.mark.parametrize("program, inputs, no_grad", EXPANDED)
def test_expanded_composites_give_the_same_values_and_gradients(program, inputs, no_grad):
    one = evaluate(program, inputs)
    seed = np.random.default_rng(3).standard_normal(np.shape(one.value))
    upstream = seed if np.ndim(one.value) else None
    one = evaluate(program, inputs, upstream=upstream)
    gates = evaluate(program, inputs, upstream=upstream, expand=True)
    assert np.allclose(one.value, gates.value, atol=1e-12)
    numeric = numeric_gradients(program, inputs, upstream=upstream, skip=no_grad)
    for name, g in numeric.items():
        assert rel_error(one.gradients[name], g) < 1e-6
        assert rel_error(gates.gradients[name], g) < 1e-6
    d = gates.to_dict()
    assert len(d["groups"]) == 1 and d["groups"][0]["kind"] == "composite"
    assert len([n for n in d["nodes"] if n["kind"] == "op"]) > 1


def test_svm_loss_traced_as_gates_matches_the_lectures_example():
    # CS231n's three-example SVM: losses 2.9, 0, 12.9 -> mean 5.27
    scores = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]
    t = evaluate("L = svm_loss(s, y)", {"s": scores, "y": [0, 1, 2]}, expand=True)
    assert float(t.value) == pytest.approx((2.9 + 0 + 12.9) / 3, abs=1e-9)


def test_linear_with_a_scalar_bias_gives_a_scalar_gradient():
    x, W = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    for expand in (False, True):
        t = evaluate("f = sum(linear(x, W, b))", {"x": x, "W": W, "b": 0.5}, expand=expand)
        assert np.shape(t.gradients["b"]) == () and float(t.gradients["b"]) == 6.0
