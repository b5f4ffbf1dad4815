"""The expression language: statements, inputs, the whitelist, errors in the user's terms,
and limits refused before any work starts."""
from __future__ import annotations

import numpy as np
import pytest

from engine import EngineError, Limits, evaluate
from engine.shortcuts import FAST_LINE


def error_of(program, inputs=None, **kw) -> EngineError:
    with pytest.raises(EngineError) as info:
        evaluate(program, inputs, **kw)
    return info.value


def test_literal_statements_declare_inputs_and_inputs_override_them():
    t = evaluate("x = -2\ny = 5\nf = x * y", {"y": 3})
    assert float(t.value) == -6.0 and set(t.gradients) == {"x", "y"}


def test_inputs_argument_supplies_undeclared_names_and_generators():
    t = evaluate("f = sum(W @ x)", {"W": {"shape": [2, 3], "init": "ones"}, "x": [1, 2, 3]})
    assert float(t.value) == 12.0
    assert t.gradients["W"].tolist() == [[1, 2, 3], [1, 2, 3]]
    g = evaluate("f = sum(a)", {"a": {"shape": [2, 2], "init": "arange", "scale": 2}})
    assert float(g.value) == 2 * (0 + 1 + 2 + 3)
    r1 = evaluate("f = a * 1", {"a": {"shape": [3], "init": "randn", "seed": 4}}).value
    r2 = np.random.default_rng(4).standard_normal(3)
    assert np.array_equal(r1, r2)


def test_semicolons_newlines_and_a_bare_last_expression():
    assert float(evaluate("a = 2; b = 3\n(a + b) * 2").value) == 10.0


def test_output_names_another_variable():
    t = evaluate("x = 2; q = x * 3; f = q + 1", output="q")
    assert float(t.value) == 6.0 and float(t.gradients["x"]) == 3.0


def test_transpose_attribute_is_the_only_attribute():
    assert evaluate("a = [[1, 2, 3]]; f = a.T").value.shape == (3, 1)
    err = error_of("a = 1; f = a.__class__")
    assert err.kind == "parse" and "attribute" in err.message and err.line == 1


@pytest.mark.parametrize("program, words", [
    ("f = __import__('os')", "unknown function"),
    ("f = (lambda: 1)()", "only calls"),
    ("f = lambda x: x", "lambda is not allowed"),
    ("f = [x for x in y]", "comprehensions"),
    ("import os", "import is not allowed"),
    ("x = 1\nx += 1", "augmented assignment"),
    ("a = [1, 2]\nf = a[a > 0]", "comparisons"),
    ("f = 'text'", "only numbers"),
    ("f = x if y else z", "if/else"),
])
def test_whitelist_rejects_everything_else(program, words):
    err = error_of(program)
    assert err.kind in ("parse", "name") and words in err.message


def test_unknown_name_with_line_and_column():
    err = error_of("x = 1\nf = x + q")
    assert (err.kind, err.line, err.col) == ("name", 2, 9)
    assert str(err) == "line 2, col 9: unknown name 'q'"


def test_syntax_error_has_a_position():
    err = error_of("x = 1\nf = (x + ")
    assert err.kind == "parse" and err.line == 2


def test_shape_error_names_the_shapes():
    err = error_of("a = [[1, 2, 3], [4, 5, 6]]; b = [[1, 2, 3], [4, 5, 6]]; f = a @ b")
    assert err.kind == "shape"
    assert "matmul: shapes (2, 3) and (2, 3) do not line up: 3 != 2" in err.message
    assert err.line == 1 and err.col is not None


def test_value_errors_for_bad_inputs_and_labels():
    assert error_of("f = x * 2", {"x": [[1, 2], [3]]}).kind == "value"          # ragged
    assert error_of("f = x * 2", {"x": "abc"}).kind == "value"
    assert error_of("f = cross_entropy(s, 7)", {"s": [1, 2, 3]}).kind == "value"
    assert error_of("f = x * 2", {"x": {"shape": [-1, 3]}}).kind == "value"


def test_limits_are_refused_before_the_work():
    tight = Limits(max_expression_chars=50, max_nodes=10, max_input_elements=100,
                   max_exponent=100)
    assert error_of("f = " + "+".join(["1"] * 40), limits=tight).kind == "limit"
    assert error_of("x = 1; f = x+x+x+x+x+x+x+x+x+x+x", limits=tight).kind == "limit"
    assert error_of("f = x * 2", {"x": {"shape": [1000]}}, limits=tight).kind == "limit"
    err = error_of("f = 9 ** 9 ** 9")
    assert err.kind == "limit" and "exponent" in err.message
    assert float(evaluate("f = " + "+".join(["x"] * 20000), {"x": 1}).value) == 20000


def test_non_finite_results_are_warnings_not_errors():
    t = evaluate("x = 0; f = log(x)")
    assert np.isneginf(t.value) and any("not finite" in w for w in t.warnings)
    t = evaluate("x = 1000; f = exp(x)")
    assert np.isposinf(t.value) and t.warnings


def test_non_scalar_output_starts_from_ones_with_a_warning():
    t = evaluate("x = [1, 2]; f = x * 3")
    assert t.gradients["x"].tolist() == [3, 3] and "not a scalar" in t.warnings[0]
    err = error_of("x = [1, 2]; f = x * 3", upstream=[1, 2, 3])
    assert err.kind == "shape"


def test_copy_gate_records_each_contribution():
    t = evaluate("x = 3; f = x * x")
    node = t.to_dict()["nodes"][0]
    assert [float(p["value"]) for p in node["grad_parts"]] == [3.0, 3.0]
    assert float(t.gradients["x"]) == 6.0


def test_time_limit():
    program = "\n".join(["x = 1"] + [f"h{i} = x * 2" for i in range(3000)] +
                        ["f = " + " + ".join(f"h{i}" for i in range(0, 3000, 10))])
    err = error_of(program, limits=Limits(max_seconds=1e-9))
    assert err.kind == "limit" and "time limit" in err.message


FAST_PROGRAMS = ["x = -2\ny = 5\nq = x + y\nf = q * 0.5", "a = 2\nb = exp(a)\nc = b ** 2",
                 "x = 1.5e-3\ny = .5\nz = x / y\nw = relu(z)\nv = w - y"]


@pytest.mark.parametrize("program", FAST_PROGRAMS)
def test_fast_path_and_full_parser_build_the_same_graph(program):
    assert all(FAST_LINE.match(line) for line in program.splitlines())
    fast = evaluate(program).to_dict()
    full = evaluate(program + "\n(0)", output=program.splitlines()[-1].split("=")[0].strip())
    full = full.to_dict()
    for a, b in zip(fast["nodes"], full["nodes"], strict=True):
        assert (a["id"], a["label"], a["inputs"], a["line"], a["col"]) == \
            (b["id"], b["label"], b["inputs"], b["line"], b["col"])
        assert np.array_equal(a["value"], b["value"]) and np.array_equal(a["grad"], b["grad"])
