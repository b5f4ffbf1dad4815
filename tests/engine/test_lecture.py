"""Every worked example of LECTURE.md sections 2-6 gives the lecture's numbers."""
from __future__ import annotations

import numpy as np
import pytest

from engine import EXAMPLES_BY_ID, evaluate


def run(example_id: str, **kw):
    ex = EXAMPLES_BY_ID[example_id]
    return evaluate(ex["expression"], ex.get("inputs"), upstream=ex.get("upstream"), **kw)


def by_label(trace, label):
    return [n for n in trace.nodes if n.label == label]


def test_simple_example_values_and_gradients():
    t = run("simple")
    assert float(t.variables["q"].value) == 3.0
    assert float(t.value) == -12.0
    assert {k: float(v) for k, v in t.gradients.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert float(t.variables["q"].grad) == -4.0      # df/dq = z
    steps = t.backward_steps
    assert steps[0]["node"] == "f" and float(steps[0]["upstream"]) == 1.0
    # the mul gate: upstream 1 x local (z, q) = downstream (-4, 3)
    assert [float(v) for v in steps[0]["local"]] == [-4.0, 3.0]
    assert [float(v) for v in steps[0]["downstream"]] == [-4.0, 3.0]
    # the add gate: upstream -4 x local 1 = -4 to both
    assert [float(v) for v in steps[1]["local"]] == [1.0, 1.0]
    assert [float(v) for v in steps[1]["downstream"]] == [-4.0, -4.0]


def test_simple_example_one_line_program():
    t = evaluate("x = -2; y = 5; z = -4; f = (x + y) * z")
    assert float(t.value) == -12.0 and float(t.gradients["z"]) == 3.0


SIGMOID_FORWARD = {"*": None, "+": None, "*-1": -1.0, "exp": 0.37, "+1": 1.37, "1/x": 0.73}


def test_sigmoid_neuron_gate_values_as_printed():
    t = run("sigmoid-neuron")
    muls = [round(float(n.value)) for n in t.nodes if n.op and n.op.name == "mul"]
    assert muls == [-2, 6]
    adds = [round(float(n.value), 2) for n in t.nodes if n.op and n.op.name == "add"
            and n.label == "+"]
    assert adds == [4.0, 1.0]
    assert round(float(by_label(t, "*-1")[0].value), 2) == -1.0
    assert round(float(by_label(t, "exp")[0].value), 2) == 0.37
    assert round(float(by_label(t, "+1")[0].value), 2) == 1.37
    assert round(float(by_label(t, "1/x")[0].value), 2) == 0.73


def test_sigmoid_neuron_backward_as_printed():
    t = run("sigmoid-neuron")
    grad = {lab: round(float(by_label(t, lab)[0].grad), 2) for lab in ("1/x", "+1", "exp", "*-1")}
    # gradient arriving at each gate's output (i.e. flowing out of the next gate)
    assert grad == {"1/x": 1.0, "+1": -0.53, "exp": -0.53, "*-1": -0.2}
    inv = next(s for s in t.backward_steps if s["node"] == by_label(t, "1/x")[0].id)
    assert round(float(inv["local"][1]), 2) == -0.53        # -1/x^2 at x = 1.37
    neg = next(s for s in t.backward_steps if s["node"] == by_label(t, "*-1")[0].id)
    assert round(float(neg["downstream"][0]), 2) == 0.2
    for add in (n for n in t.nodes if n.label == "+"):
        step = next(s for s in t.backward_steps if s["node"] == add.id)
        assert [round(float(d), 1) for d in step["downstream"]] == [0.2, 0.2]  # both inputs!
    printed = {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}
    assert {k: round(float(v), 1) for k, v in t.gradients.items()} == printed


def test_sigmoid_gate_gives_the_same_gradients():
    gates, one = run("sigmoid-neuron"), run("sigmoid-gate")
    for name in gates.gradients:
        assert abs(float(gates.gradients[name]) - float(one.gradients[name])) < 1e-12
    step = one.backward_steps[0]
    s = 1 / (1 + np.exp(-1.0))
    assert abs(float(step["local"][0]) - (1 - s) * s) < 1e-12
    assert round(float(step["local"][0]), 1) == 0.2
    exact = {"w0": -1.0, "x0": 2.0, "w1": -2.0, "x1": -3.0, "w2": 1.0}
    for name, factor in exact.items():
        assert abs(float(one.gradients[name]) - factor * (1 - s) * s) < 1e-12


def test_add_gate_distributes():
    t = run("add-gate")
    assert float(t.value) == 7.0
    assert [float(t.gradients[k]) for k in "xy"] == [2.0, 2.0]
    assert t.nodes[-1].op.pattern == "distributor"


def test_mul_gate_swaps():
    t = run("mul-gate")
    assert float(t.value) == 6.0
    assert float(t.gradients["x"]) == 15.0 and float(t.gradients["y"]) == 10.0
    assert t.nodes[-1].op.pattern == "swap"


def test_copy_gate_adds():
    t = run("copy-gate")
    c = t.inputs["c"]
    assert float(c.value) == 7.0
    assert sorted(float(v) for _, v in c.parts) == [2.0, 4.0]
    assert float(t.gradients["c"]) == 6.0
    node = next(n for n in t.to_dict()["nodes"] if n["id"] == "c")
    assert node["pattern"] == "adder" and len(node["grad_parts"]) == 2


def test_max_gate_routes():
    t = run("max-gate")
    assert float(t.value) == 5.0
    assert float(t.gradients["y"]) == 9.0 and float(t.gradients["x"]) == 0.0
    assert t.nodes[-1].op.pattern == "router"


def test_patterns_example():
    t = run("patterns")
    assert float(t.value) == 2 * (3 * -4 + 2) + 3
    assert {k: float(v) for k, v in t.gradients.items()} == {"x": -7.0, "y": 6.0, "z": 2.0,
                                                             "w": 0.0}


def test_relu_vector_and_its_sparse_jacobian():
    t = run("relu-vector")
    assert t.value.tolist() == [1, 0, 3, 0]
    assert t.gradients["x"].tolist() == [4, 0, 5, 0]
    jac = np.asarray(t.backward_steps[0]["local"][0])
    assert jac.tolist() == np.diag([1, 0, 1, 0]).tolist()


def test_matrix_multiply_with_the_corrected_entry():
    t = run("matmul")
    assert t.value.tolist() == [[-1, -1, 2, 6], [5, 2, 11, 7]]   # 7, not the slide's 1
    x = np.array([[2, 1, -3], [-3, 4, 2]], float)
    w = np.array([[3, 2, 1, -1], [2, 1, 3, 2], [3, 2, 1, -2]], float)
    dy = np.array([[2, 3, -3, 9], [-8, 1, 4, 6]], float)
    # dL/dx = dL/dy w^T and dL/dw = x^T dL/dy, written out by hand
    dx = [[sum(dy[i, k] * w[j, k] for k in range(4)) for j in range(3)] for i in range(2)]
    dw = [[sum(x[i, j] * dy[i, k] for i in range(2)) for k in range(4)] for j in range(3)]
    assert np.allclose(t.gradients["x"], dx, rtol=0, atol=1e-9)
    assert np.allclose(t.gradients["w"], dw, rtol=0, atol=1e-9)
    assert t.gradients["x"].shape == (2, 3) and t.gradients["w"].shape == (3, 4)


def test_linear_classifier_with_hinge_loss():
    ex = EXAMPLES_BY_ID["linear-svm"]
    t = run("linear-svm")
    W, x = np.array(ex["inputs"]["W"]), np.array(ex["inputs"]["x"], float)
    s = [sum(W[i, j] * x[j] for j in range(4)) for i in range(3)]
    y = ex["inputs"]["y"]
    hinge = sum(max(0.0, s[j] - s[y] + 1) for j in range(3) if j != y)
    assert abs(float(t.value) - (hinge + 0.1 * float((W * W).sum()))) < 1e-9
    # d hinge / d W: row j gets x where margin > 0, the label row minus that count
    dW = 0.2 * W
    for j in range(3):
        if j != y and s[j] - s[y] + 1 > 0:
            dW[j] += x
            dW[y] -= x
    assert np.allclose(t.gradients["W"], dW, rtol=0, atol=1e-9)


@pytest.mark.parametrize("example_id", ["two-layer-svm"])
def test_two_layer_net_matches_finite_differences(example_id):
    from tests.engine.helpers import numeric_gradients, rel_error
    ex = EXAMPLES_BY_ID[example_id]
    t = run(example_id)
    inputs = {k: np.asarray(n.value) for k, n in t.inputs.items()}
    numeric = numeric_gradients(ex["expression"], inputs, skip=("y",))
    for name, g in numeric.items():
        assert rel_error(t.gradients[name], g) < 1e-6, name
