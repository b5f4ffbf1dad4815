"""engine.conv_explain (POST /api/conv) and the lecture's conv examples: shapes, formulas,
parameter counts, and values/gradients checked against loops and centered differences."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import conv_reference
from engine.conv_examples import CONV_EXAMPLES
from engine.conv_explain import conv_explain
from engine.errors import EngineError
from engine.settings import Limits
from tests.engine.test_layers import numeric_grad, rel_error

EXAMPLES = {e["id"]: e for e in CONV_EXAMPLES}
LECTURE_MAXPOOL = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]


def loop_forward(xp, w, b, stride, relu, pool):
    """Conv on an already padded input, then relu and max pool, with the loop references."""
    out = conv_reference.conv2d_reference(xp, w, b, stride, 0)
    act = np.maximum(out, 0) if relu else out
    return conv_reference.maxpool2d_reference(act, pool["size"], pool["stride"]) if pool else act


# ---------------------------------------------------------------- the lecture's examples

@pytest.mark.parametrize("example_id, shape, text, total", [
    ("conv-one-filter", [1, 28, 28], "28×28×1", 76),
    ("conv-six-filters", [6, 28, 28], "28×28×6", 6 * 76),
    ("conv-second-layer", [10, 24, 24], "24×24×10", 10 * (5 * 5 * 6 + 1)),
    ("conv-7x7-stride-1", [1, 5, 5], "5×5×1", 10),
    ("conv-7x7-stride-2", [1, 3, 3], "3×3×1", 10),
    ("conv-7x7-pad-1", [1, 7, 7], "7×7×1", 10),
    ("conv-pad-2-760-params", [10, 32, 32], "32×32×10", 760),
    ("conv-1x1", [32, 56, 56], "56×56×32", 64 * 32 + 32),
])
def test_lecture_conv_examples_give_the_lecture_shapes(example_id, shape, text, total):
    ex = EXAMPLES[example_id]
    assert ex["kind"] == "conv" and ex["section"] == "7"
    result = conv_explain(**ex["conv"])
    assert result["output_shape"] == shape
    assert result["shape_text"] == text
    assert result["params"]["total"] == total
    assert result["output"].shape == tuple(shape)


def test_760_parameter_example_formula_and_per_filter_count():
    result = conv_explain(**EXAMPLES["conv-pad-2-760-params"]["conv"])
    assert result["params"] == {"weights": 750, "biases": 10, "total": 760, "per_filter": 76}
    assert result["formula"] == {"height": "(32 - 5 + 2*2)/1 + 1 = 32",
                                 "width": "(32 - 5 + 2*2)/1 + 1 = 32"}
    assert result["padded_input"].shape == (3, 36, 36)


def test_stride_3_example_is_refused_with_the_formula():
    with pytest.raises(EngineError) as info:
        conv_explain(**EXAMPLES["conv-7x7-stride-3"]["conv"])
    err = info.value
    assert err.kind == "shape"
    assert err.message == ("conv2d: 3x3 filter does not fit a 7x7 input with stride 3: "
                           "(7 - 3)/3 + 1 = 2.33")
    assert err.extra["formula"] == "(7 - 3 + 2*0)/3 + 1 = 2.33"
    assert err.to_dict()["suggestions"] == err.extra["suggestions"]


def test_lecture_max_pool_example_without_a_conv_layer():
    result = conv_explain(**EXAMPLES["maxpool-4x4"]["conv"])
    pool = result["pool"]
    assert pool["output"].tolist() == [[[6, 8], [3, 4]]]
    assert pool["argmax"].tolist() == [[[[1, 1], [1, 3]], [[2, 0], [3, 3]]]]
    assert result["params"]["total"] == 0 and result["weights"] == []
    routed = np.zeros((1, 4, 4))
    for r, c in ((1, 1), (1, 3), (2, 0), (3, 3)):
        routed[0, r, c] = 1.0
    assert result["grad_input"].tolist() == routed.tolist()
    assert pool["formula"]["height"] == "(4 - 2 + 2*0)/2 + 1 = 2"


def test_small_convnet_example_runs_and_passes_the_gradient_check():
    ex = EXAMPLES["small-convnet"]
    assert ex["kind"] == "graph" and ex["id"] in engine.EXAMPLES_BY_ID
    trace = engine.evaluate(ex["expression"], ex["inputs"], gradcheck=True)
    assert trace.gradcheck["passed"] is True
    assert [n.op.name for n in trace.nodes if n.op] == [
        "conv2d", "relu", "maxpool2d", "flatten", "linear", "cross_entropy"]
    assert trace.value.shape == () and float(trace.value) > 0


def test_every_conv_example_has_the_registry_keys():
    for ex in CONV_EXAMPLES:
        assert {"id", "title", "section", "expression", "inputs", "explanation",
                "kind"} <= set(ex)
        assert ex["kind"] in ("conv", "graph")
        assert ("conv" in ex) == (ex["kind"] == "conv")


# ---------------------------------------------------------------- values and gradients

@pytest.mark.parametrize("shape, stride, pad, relu, pool", [
    ((2, 6, 7), 1, 0, False, None),
    ((2, 7, 9), 2, 1, True, None),
    ((2, 6, 8), 1, 1, True, {"size": 2, "stride": 2}),
    ((2, 6, 5), (1, 2), (2, 0), False, {"size": 2, "stride": 1}),
])
def test_values_and_gradients_against_loops_and_centered_differences(shape, stride, pad, relu,
                                                                      pool):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    result = conv_explain(x.tolist(), filters=3, size=3, stride=stride, pad=pad,
                          weights=w.tolist(), bias=b.tolist(), relu=relu, pool=pool,
                          upstream="random", seed=5)
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    ph, pw = (pad, pad) if np.ndim(pad) == 0 else pad
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    assert np.array_equal(result["padded_input"], xp)
    final = loop_forward(xp, w, b, (sh, sw), relu, pool)
    got = result["pool"]["output"] if pool else (result["relu"] if relu else result["output"])
    assert np.max(np.abs(got - final)) < 1e-10
    up = result["upstream"]
    assert up.shape == final.shape

    def loss():
        return float(np.sum(loop_forward(xp, w, b, (sh, sw), relu, pool) * up))

    # relu kinks and max-pool ties are not straddled for these random values and h
    assert rel_error(result["grad_weights"], numeric_grad(loss, w)) < 1e-6
    assert rel_error(result["grad_bias"], numeric_grad(loss, b)) < 1e-6
    grad_xp = numeric_grad(loss, xp)
    assert rel_error(result["grad_padded_input"], grad_xp) < 1e-6
    h, wd = x.shape[1:]
    assert np.array_equal(result["grad_input"],
                          result["grad_padded_input"][:, ph:ph + h, pw:pw + wd])


def test_receptive_fields_locate_each_dot_product():
    """output[k, i, j] = sum(padded_input[:, window at receptive_fields[i, j]] * w[k]) + b[k]."""
    result = conv_explain({"shape": [2, 7, 9], "init": "randn", "seed": 4}, filters=2,
                          size=(3, 2), stride=(2, 3), pad=1)
    xp, w, b = result["padded_input"], result["weights"], result["bias"]
    fields = result["receptive_fields"]
    k_count, h2, w2 = result["output"].shape
    assert fields.shape == (h2, w2, 2)
    for k in range(k_count):
        for i in range(h2):
            for j in range(w2):
                r, c = fields[i, j]
                window = xp[:, r:r + 3, c:c + 2]
                assert result["output"][k, i, j] == pytest.approx(
                    float(np.sum(window * w[k]) + b[k]), abs=1e-12)


def test_pool_argmax_points_at_each_window_maximum():
    result = conv_explain({"shape": [1, 9, 9], "init": "randn", "seed": 9}, filters=2,
                          size=3, pad=1, relu=True, pool={"size": 3, "stride": 2})
    act, pool = result["relu"], result["pool"]
    k_count, h3, w3 = pool["output"].shape
    for k in range(k_count):
        for i in range(h3):
            for j in range(w3):
                r, c = pool["argmax"][k, i, j]
                assert i * 2 <= r < i * 2 + 3 and j * 2 <= c < j * 2 + 3
                assert act[k, r, c] == pool["output"][k, i, j] == act[
                    k, i * 2:i * 2 + 3, j * 2:j * 2 + 3].max()


def test_random_weights_are_small_whole_numbers_and_follow_the_seed():
    a = conv_explain({"shape": [3, 5, 5]}, filters=4, size=3, seed=1)
    b = conv_explain({"shape": [3, 5, 5]}, filters=4, size=3, seed=1)
    c = conv_explain({"shape": [3, 5, 5]}, filters=4, size=3, seed=2)
    assert np.array_equal(a["weights"], b["weights"])
    assert not np.array_equal(a["weights"], c["weights"])
    assert set(np.unique(a["weights"])) <= {-1.0, 0.0, 1.0}
    assert a["weights"].shape == (4, 3, 3, 3) and a["bias"].shape == (4,)


def test_two_d_input_is_one_channel_and_ones_is_the_default_upstream():
    result = conv_explain([[1, 2, 3], [4, 5, 6], [7, 8, 9]], size=2, weights=[[[[1, 0], [0, -1]]]],
                          bias=[0.5])
    assert result["input_shape"] == [1, 3, 3]
    # each output is top-left minus bottom-right plus 0.5: 1 - 5 + 0.5 = -3.5, ...
    assert result["output"].tolist() == [[[-3.5, -3.5], [-3.5, -3.5]]]
    assert result["upstream"].tolist() == [[[1, 1], [1, 1]]]
    assert result["grad_bias"].tolist() == [4.0]
    assert result["grad_weights"].tolist() == [[[[12, 16], [24, 28]]]]


@pytest.mark.parametrize("kwargs, kind, text", [
    ({"filters": 0}, "value", "filters must be at least 1"),
    ({"filters": True}, "value", "filters must be a whole number"),
    ({"relu": "yes"}, "value", "relu must be true or false"),
    ({"pool": {"size": 2, "shape": 3}}, "value", "unknown pool keys"),
    ({"pool": {"size": 3, "stride": 2}, "size": 1}, "shape", "does not fit"),
    ({"weights": [[[[1.0]]]]}, "shape", "weights must have shape (1, 1, 3, 3)"),
    ({"bias": [1.0, 2.0]}, "shape", "bias must have shape (1,)"),
    ({"upstream": "twos"}, "value", "upstream must be"),
    ({"upstream": [[1.0]]}, "shape", "upstream must have shape (1, 4, 4)"),
    ({"size": 7}, "shape", "7x7 filter does not fit a 6x6 input"),
    ({"seed": -1}, "value", "seed must be at least 0"),
])
def test_bad_requests_are_refused_with_a_clear_error(kwargs, kind, text):
    args = {"filters": 1, "size": 3} | kwargs
    with pytest.raises(EngineError) as info:
        conv_explain({"shape": [1, 6, 6]}, **args)
    assert info.value.kind == kind
    assert text in info.value.message


def test_limits_refuse_large_work_before_it_runs():
    small = Limits(max_input_elements=1000, max_total_elements=5000)
    with pytest.raises(EngineError) as info:
        conv_explain({"shape": [3, 32, 32]}, limits=small)
    assert info.value.kind == "limit"
    with pytest.raises(EngineError) as info:
        conv_explain({"shape": [1, 10, 10]}, filters=10**9, limits=small)
    assert info.value.kind == "limit"
    with pytest.raises(EngineError) as info:
        conv_explain({"shape": [1, 30, 30]}, filters=20, size=1, limits=small)
    assert info.value.kind == "limit"


def test_input_with_a_wrong_number_of_axes_is_refused():
    with pytest.raises(EngineError) as info:
        conv_explain([1.0, 2.0, 3.0])
    assert info.value.kind == "shape" and "(C, H, W)" in info.value.message


def test_pool_windows_are_stride_steps_of_the_pooled_map():
    from engine import conv_explain
    x = np.arange(36.0).reshape(1, 6, 6)
    pool = conv_explain(x, conv=False, pool={"size": 2, "stride": 2})["pool"]
    assert pool["windows"].tolist() == [[[r, c] for c in (0, 2, 4)] for r in (0, 2, 4)]
    pool = conv_explain(x, conv=False, pool={"size": 3, "stride": 3})["pool"]
    assert pool["windows"].tolist() == [[[0, 0], [0, 3]], [[3, 0], [3, 3]]]


# ---------------------------------------------------------------- typed stages and terms

def test_stages_are_conv_relu_pool_with_values_and_gradients_from_loops():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 6))
    r = conv_explain(x.tolist(), filters=2, size=3, stride=1, pad=0, relu=True,
                     pool={"size": 2, "stride": 2}, upstream="random", seed=5)
    assert [s["kind"] for s in r["stages"]] == ["conv", "relu", "pool"]
    conv_out = conv_reference.conv2d_reference(x, r["weights"], r["bias"], (1, 1), 0)
    relu_out = np.maximum(conv_out, 0)
    pool_out = conv_reference.maxpool2d_reference(relu_out, (2, 2), (2, 2))
    for stage, expected in zip(r["stages"], [conv_out, relu_out, pool_out], strict=True):
        np.testing.assert_allclose(stage["value"], expected)
    # gradient of each stage's output, by centered differences of L = sum(upstream * pooled)
    up = np.asarray(r["upstream"])
    dpool = up
    a, c = relu_out.copy(), conv_out.copy()
    pool = conv_reference.maxpool2d_reference
    drelu = numeric_grad(lambda: np.sum(up * pool(a, (2, 2), (2, 2))), a)
    dconv = numeric_grad(lambda: np.sum(up * conv_reference.maxpool2d_reference(
        np.maximum(c, 0), (2, 2), (2, 2))), c)
    for stage, expected in zip(r["stages"], [dconv, drelu, dpool], strict=True):
        np.testing.assert_allclose(stage["grad"], expected, atol=1e-6)


def test_terms_are_every_window_product_summed_by_channel():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 7, 7))
    r = conv_explain(x.tolist(), filters=2, size=3, stride=2, pad=1)
    xp, w, b = np.asarray(r["padded_input"]), np.asarray(r["weights"]), np.asarray(r["bias"])
    terms = r["terms"]
    for k in range(2):
        for i in range(4):
            for j in range(4):
                window = xp[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
                products = w[k] * window                       # (C, 3, 3), by hand
                np.testing.assert_allclose(terms["products"][k][i][j], products)
                np.testing.assert_allclose(terms["channel_sums"][k][i][j],
                                           products.sum(axis=(1, 2)))
                assert terms["dot"][k][i][j] + b[k] == pytest.approx(r["output"][k][i][j])


def test_middle_layers_send_channel_sums_and_large_ones_none():
    r = conv_explain({"shape": [3, 12, 12], "init": "randn", "seed": 0}, filters=2, size=5)
    assert r["terms"]["products"] is None                       # 2*8*8*3*25 products: too many
    assert np.shape(r["terms"]["channel_sums"]) == (2, 8, 8, 3)
    big = conv_explain({"shape": [3, 32, 32], "init": "randn", "seed": 0}, filters=6, size=5)
    assert big["terms"] is None


def test_arithmetic_is_written_out_with_the_lecture_numbers():
    r = conv_explain({"shape": [3, 32, 32], "init": "zeros"}, filters=10, size=5, pad=2)
    a = r["arithmetic"]
    assert a["input_text"] == "32×32×3"
    assert a["width"] == "(32 - 5 + 2*2)/1 + 1 = 32"
    # LECTURE.md: 10 filters of 5x5x3 have 5*5*3*10 + 10 = 760 parameters
    assert a["params_text"] == "F·F·C·K + K = 5·5·3·10 + 10 = 760 (750 weights + 10 biases)"
    assert a["per_filter_text"] == "each filter 5·5·3 + 1 = 76"


def test_a_filter_that_does_not_fit_is_described_for_the_picture():
    # LECTURE.md: 7x7 input, 3x3 filter, stride 3: (7 - 3)/3 + 1 = 2.33 does not fit
    with pytest.raises(EngineError) as info:
        conv_explain({"shape": [1, 7, 7], "init": "zeros"}, size=3, stride=3)
    extra = info.value.extra
    assert extra["stage"] == "conv" and extra["value"] == pytest.approx(2.3333, abs=1e-4)
    geo = extra["geometry"]
    assert geo["cols"] == [0, 3, 6] and geo["rows"] == [0, 3, 6]
    assert geo["overhang"] == [2, 2]   # the third window covers columns 6..8 of 0..6
    assert "hang over the edge by 2" in extra["why"]


def test_a_pool_that_does_not_fit_names_the_pool_stage():
    with pytest.raises(EngineError) as info:
        conv_explain({"shape": [1, 5, 5], "init": "zeros"}, conv=False,
                     pool={"size": 2, "stride": 2})
    assert info.value.extra["stage"] == "pool"
    assert info.value.extra["geometry"]["cols"] == [0, 2, 4]


def test_gradcheck_reports_a_verdict_per_input():
    trace = engine.evaluate("f = x * y", {"x": 3.0, "y": -2.0}, gradcheck=True).to_dict()
    check = trace["gradcheck"]
    assert all(r["passed"] is True for r in check["inputs"].values())
    assert check["threshold"] > 0
