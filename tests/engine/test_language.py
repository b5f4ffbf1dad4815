"""The language of assignments: indexing, reductions over axes, shapes, def and for, and the
words for mistakes. Expected values come from numpy written out here or by hand."""
from __future__ import annotations

import numpy as np
import pytest

from engine import EngineError, Limits, evaluate
from tests.engine.helpers import numeric_gradients, rel_error

rng = np.random.default_rng(11)


def error_of(program, inputs=None, **kw) -> EngineError:
    with pytest.raises(EngineError) as info:
        evaluate(program, inputs or {}, **kw)
    return info.value


# ---------------------------------------------------------------- parser regressions

def test_a_long_chain_of_unary_minus_parses():
    t = evaluate("x = 2\nf = -----------------x")      # 17 signs
    assert float(t.value) == -2.0 and float(t.gradients["x"]) == -1.0
    assert float(evaluate("f = -----------------3").value) == -3.0


def test_one_flat_expression_of_3000_terms_parses():
    t = evaluate("x = 0.5\nf = " + " + ".join(["x"] * 3000))
    assert float(t.value) == 1500.0 and float(t.gradients["x"]) == 3000.0
    w = evaluate("f = " + " + ".join(f"a * {i}" for i in range(3000)), {"a": 2.0})
    assert float(w.gradients["a"]) == sum(range(3000))


def test_the_line_fast_path_normalises_names_as_python_does():
    # NFKC turns the ligature 'ﬁ' into 'fi', as ast (and Python) read names.
    program = "x = 2\nxﬁ = x * 3\nf = xfi + 1"
    assert float(evaluate(program).value) == 7.0
    assert float(evaluate("ｘ = 2\nf = x * 3").value) == 6.0      # fullwidth x is x


# ---------------------------------------------------------------- indexing

@pytest.mark.parametrize("key", ["[0]", "[:, 1]", "[:, 1:3]", "[-1]", "[::-1]", "[::-2, 1:]",
                                 "[1:, ::2]", "[..., 0]", "[:, None, 2]", "[-2:, -3:-1]"])
def test_indexing_follows_numpy(key):
    x = np.arange(12.0).reshape(3, 4)
    numpy_values = {"[0]": x[0], "[:, 1]": x[:, 1], "[:, 1:3]": x[:, 1:3], "[-1]": x[-1],
                    "[::-1]": x[::-1], "[::-2, 1:]": x[::-2, 1:], "[1:, ::2]": x[1:, ::2],
                    "[..., 0]": x[..., 0], "[:, None, 2]": x[:, None, 2],
                    "[-2:, -3:-1]": x[-2:, -3:-1]}
    t = evaluate(f"f = x{key}", {"x": x})
    assert np.array_equal(t.value, numpy_values[key])


def test_slices_with_names_and_loop_arithmetic():
    a = rng.standard_normal((2, 8))
    t = evaluate("H = 2\nf = sum(a[:, H:2*H] * a[:, 3*H:])", {"a": a})
    assert np.isclose(float(t.value), np.sum(a[:, 2:4] * a[:, 6:]))
    assert not [w for w in t.warnings if "H" in w]        # H is read, not unused


def test_repeated_indices_add_up_like_the_copy_gate():
    W = np.arange(15.0).reshape(5, 3)
    t = evaluate("f = sum(W[idx])", {"W": W, "idx": [1, 3, 1, 1]})
    expected = np.zeros((5, 3))
    expected[1], expected[3] = 3.0, 1.0               # row 1 picked three times
    assert np.array_equal(t.gradients["W"], expected)
    index = next(n for n in t.to_dict()["nodes"] if n["op"] == "index")
    assert index["pattern"] == "adder"
    once = evaluate("f = sum(W[idx])", {"W": W, "idx": [0, 2]}).to_dict()
    assert next(n for n in once["nodes"] if n["op"] == "index")["pattern"] is None


def test_pairs_of_integer_arrays_pick_the_correct_class_scores():
    s = rng.standard_normal((4, 3))
    y = [2, 0, 0, 1]
    t = evaluate("N = 4\nf = s[arange(N), y]", {"s": s, "y": y}, upstream=[1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(t.value, s[np.arange(4), y])
    dx = np.zeros((4, 3))
    dx[np.arange(4), y] = [1.0, 2.0, 3.0, 4.0]
    assert np.array_equal(t.gradients["s"], dx)


def test_an_index_out_of_range_is_a_shape_error():
    err = error_of("f = x[5]", {"x": [1.0, 2.0]})
    assert err.kind == "shape" and err.line == 1
    assert error_of("f = x[i]", {"x": [1.0, 2.0], "i": [0.5]}).kind == "value"


# ---------------------------------------------------------------- reductions

def test_max_over_an_axis_routes_to_the_first_maximum_on_a_tie():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    t = evaluate("f = max(x, axis=1)", {"x": x}, upstream=[10.0, 20.0])
    assert np.array_equal(t.value, [3.0, 2.0])
    assert np.array_equal(t.gradients["x"], [[0, 10, 0], [20, 0, 0]])
    t = evaluate("f = max(x)", {"x": [[5.0, 1.0], [5.0, 5.0]]})
    assert np.array_equal(t.gradients["x"], [[1, 0], [0, 0]])
    t = evaluate("f = min(x, axis=0)", {"x": [[1.0, 0.0], [1.0, 4.0]]}, upstream=[2.0, 3.0])
    assert np.array_equal(t.gradients["x"], [[2, 3], [0, 0]])
    assert evaluate("f = max(a, b)", {"a": [1.0, 5.0], "b": [3.0, 2.0]}).nodes[-1].op.name \
        == "max"                                     # two arguments: the elementwise gate


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_reductions_keep_dims_both_ways(op, keepdims):
    x = rng.standard_normal((2, 3, 4))
    t = evaluate(f"f = {op}(x, axis=(0, 2), keepdims={keepdims})", {"x": x})
    expected = getattr(np, op)(x, axis=(0, 2), keepdims=keepdims)
    assert np.allclose(t.value, expected)
    seed = rng.standard_normal(np.shape(expected))
    program = f"f = {op}(x, axis=(0, 2), keepdims={keepdims})"
    t = evaluate(program, {"x": x}, upstream=seed)
    numeric = numeric_gradients(program, {"x": x}, upstream=seed)
    assert rel_error(t.gradients["x"], numeric["x"]) < 1e-6


def test_flags_are_python_booleans():
    err = error_of("f = sum(x, axis=0, keepdims=1)", {"x": [[1.0]]})
    assert "keepdims is a flag: write True or False" in err.message
    from engine import REGISTRY
    assert REGISTRY["sum"].info()["parameters"]["keepdims"] is False


# ---------------------------------------------------------------- shapes

def test_transpose_reshape_concat_stack_follow_numpy():
    x = rng.standard_normal((2, 3, 4))
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    assert np.array_equal(evaluate("f = transpose(x, (0, 2, 1))", {"x": x}).value,
                          np.transpose(x, (0, 2, 1)))
    assert np.array_equal(evaluate("N = 2\nf = reshape(x, (N, -1))", {"x": x}).value,
                          x.reshape(2, -1))
    assert np.array_equal(evaluate("f = concat([a, b], axis=1)", {"a": a, "b": b}).value,
                          np.concatenate([a, b], axis=1))
    assert np.array_equal(evaluate("f = stack([a, a], axis=0)", {"a": a}).value,
                          np.stack([a, a], axis=0))
    assert error_of("f = transpose(x, (0, 0, 1))", {"x": x}).kind == "shape"
    assert error_of("f = concat([a, b], axis=0)", {"a": a, "b": b}).kind == "shape"


def test_arange_is_a_constant_integer_vector():
    t = evaluate("f = arange(4)")
    assert t.value.dtype.kind == "i" and t.value.tolist() == [0, 1, 2, 3]
    assert t.to_dict()["nodes"][-1]["dtype"] == "int"
    assert error_of("f = arange(x)", {"x": [1.0, 2.0]}).kind == "parse"


# ---------------------------------------------------------------- functions

SIGMOID_TWICE = """def sigmoid(z):
    e = exp(-z)
    return 1 / (1 + e)
h = sigmoid(w * x)
f = sigmoid(h * v)"""


def test_a_function_called_twice_makes_two_groups():
    inputs = {"w": 0.5, "x": -1.5, "v": 2.0}
    t = evaluate(SIGMOID_TWICE, inputs)
    s = lambda z: 1 / (1 + np.exp(-z))    # noqa: E731
    h = s(0.5 * -1.5)
    assert np.isclose(float(t.value), s(h * 2.0))
    numeric = numeric_gradients(SIGMOID_TWICE, inputs)
    for name, g in numeric.items():
        assert rel_error(t.gradients[name], g) < 1e-6
    d = t.to_dict()
    groups = d["groups"]
    assert [(g["name"], g["kind"], g["parent"]) for g in groups] == [
        ("sigmoid", "function", None), ("sigmoid", "function", None)]
    assert groups[0]["output"] == "h" and groups[1]["output"] == "f"
    assert groups[0]["local"]["value"] == pytest.approx(s(-0.75) * (1 - s(-0.75)))
    members = [n for n in d["nodes"] if n["groups"]]
    assert {n["groups"][0] for n in members} == {"g1", "g2"}
    assert not any(n["name"] == "e" and not n["groups"] for n in d["nodes"])


def test_functions_refuse_recursion_later_names_and_wrong_arity():
    rec = "def f(x):\n    return f(x)\ny = f(a)"
    assert "recursion" in error_of(rec, {"a": 1.0}).message
    later = "def f(x):\n    return x * w\nw = 2\ny = f(a)"
    err = error_of(later, {"a": 1.0})
    assert err.kind == "name" and "unknown name 'w'" in err.message
    assert "takes 1 argument" in error_of("def f(x):\n    return x\ny = f(a, a)",
                                          {"a": 1.0}).message
    assert "return" in error_of("def f(x):\n    y = x\nz = f(a)", {"a": 1.0}).message


# ---------------------------------------------------------------- loops

RNN = """h = h0
for t in range(T):
    h = tanh(x[:, t] @ Wx + h @ Wh + b)
L = sum(h)"""


def rnn_inputs(T=4, N=2, D=3, H=5):
    return {"h0": rng.standard_normal((N, H)), "x": rng.standard_normal((N, T, D)),
            "Wx": rng.standard_normal((D, H)) * 0.5, "Wh": rng.standard_normal((H, H)) * 0.5,
            "b": rng.standard_normal(H), "T": T}


def test_a_loop_is_unrolled_with_one_group_per_iteration():
    inputs = rnn_inputs()
    t = evaluate(RNN, inputs)
    h = inputs["h0"]
    for step in range(4):
        h = np.tanh(inputs["x"][:, step] @ inputs["Wx"] + h @ inputs["Wh"] + inputs["b"])
    assert np.isclose(float(t.value), h.sum())
    groups = t.to_dict()["groups"]
    assert groups[0]["kind"] == "loop" and groups[0]["iteration"] is None
    assert [g["iteration"] for g in groups[1:]] == [0, 1, 2, 3]
    assert all(g["parent"] == groups[0]["id"] for g in groups[1:])


def test_the_unrolled_size_counts_against_the_node_limit_before_anything_runs():
    program = "h = x\nfor t in range(100000):\n    h = h * 2 + 1\nf = h"
    err = error_of(program, {"x": 1.0}, limits=Limits(max_nodes=5000))
    assert err.kind == "limit" and "unrolls" in err.message and err.line == 2
    nested = "h = x\nfor i in range(300):\n    for j in range(300):\n        h = h + 1\nf = h"
    assert "unrolls" in error_of(nested, {"x": 1.0}, limits=Limits(max_nodes=50_000)).message


def test_loop_variables_are_whole_numbers_and_may_be_used_as_values():
    t = evaluate("s = x * 0\nfor t in range(1, 4):\n    s = s + x * t\nf = s", {"x": 2.0})
    assert float(t.value) == 12.0 and float(t.gradients["x"]) == 6.0
    assert "loop variable" in error_of("for t in range(2):\n    t = x\nf = x",
                                       {"x": 1.0}).message
    assert error_of("for t in range(x):\n    y = x\nf = x", {"x": [1.0]}).kind == "parse"


# ---------------------------------------------------------------- words for mistakes

def test_unknown_names_and_functions_suggest_the_closest_one():
    err = error_of("f = sigmoud(x)", {"x": 1.0})
    assert err.message == "unknown function 'sigmoud': did you mean 'sigmoid'?"
    err = error_of("weights = 2\nf = weight * 3")
    assert err.message == "unknown name 'weight': did you mean 'weights'?"
    assert "did you mean 'mysig'" in error_of(
        "def mysig(z):\n    return z\nf = mysgi(x)", {"x": 1.0}).message


def test_a_statement_the_output_does_not_use_is_a_warning_naming_its_line():
    t = evaluate("s = x * 2\np = exp(s)\nL = s + 1", {"x": 1.0})
    assert "line 2: p is computed but the output L does not use it" in t.warnings
    t = evaluate("a = 3\nb = 4\nf = a * 2")
    assert "line 2: b is computed but the output f does not use it" in t.warnings
    t = evaluate("s = x * 2\nL = s + 1", {"x": 1.0})
    assert t.warnings == []


def test_deeply_chained_functions_are_refused_not_crashed():
    defs = ["def f0(x):\n    return x * 2"] + [
        f"def f{i}(x):\n    return f{i - 1}(x) + 1" for i in range(1, 200)]
    err = error_of("\n".join(defs) + "\ny = f199(a)", {"a": 1.0})
    assert err.kind == "limit" and "deep" in err.message
    ok = "\n".join(defs[:20]) + "\ny = f19(a)"
    assert float(evaluate(ok, {"a": 1.0}).value) == 2.0 + 19


def test_an_index_that_would_make_a_huge_value_is_refused_before_it_runs():
    tight = Limits(max_input_elements=5_000_000)
    err = error_of("f = sum(W[idx])", {"W": np.ones((1000, 300)), "idx": np.zeros(100_000)},
                   limits=tight)
    assert err.kind == "limit" and "30,000,000 elements" in err.message
    t = evaluate("f = sum(W[idx, :])", {"W": np.ones((10_000, 30)), "idx": np.arange(1000.0)},
                 limits=tight)
    assert float(t.value) == 30_000.0
