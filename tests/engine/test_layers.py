"""Conv and pool layers: gradients against centered differences, the fast path against the
loop reference, and every spatial-arithmetic example of LECTURE.md section 7."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import engine
from engine import conv_fast, conv_reference, layers
from engine.errors import EngineError
from engine.layers import AvgPool2d, Conv2d, MaxPool2d
from engine.registry import REGISTRY, Context

H = 1e-6
_rng = np.random.default_rng(11)

# Cases for tests/engine/test_op_gradients.py, which checks every registered op through
# engine.evaluate: op name -> [(program, inputs, inputs without a gradient)].
GRADIENT_CASES = {
    "conv2d": [
        ("f = conv2d(x, w, b, stride=2, pad=1)",
         {"x": _rng.standard_normal((2, 3, 7, 5)), "w": _rng.standard_normal((4, 3, 3, 3)),
          "b": _rng.standard_normal(4)}, ()),
        ("f = conv2d(x, w, stride=(1, 2), pad=(0, 1))",
         {"x": _rng.standard_normal((3, 6, 5)), "w": _rng.standard_normal((2, 3, 2, 3))}, ())],
    "maxpool2d": [
        ("f = maxpool2d(x)", {"x": _rng.standard_normal((2, 3, 4, 6))}, ()),
        ("f = maxpool2d(x, size=3, stride=2)", {"x": _rng.standard_normal((2, 7, 5))}, ())],
    "avgpool2d": [
        ("f = avgpool2d(x)", {"x": _rng.standard_normal((1, 2, 6, 4))}, ()),
        ("f = avgpool2d(x, size=(2, 3), stride=1)", {"x": _rng.standard_normal((2, 4, 5))}, ())],
}


# ---------------------------------------------------------------- helpers

def numeric_grad(f, x: np.ndarray, h: float = H) -> np.ndarray:
    """Centered differences of the scalar function f at x, one element at a time."""
    grad = np.zeros_like(x)
    for k in range(x.size):
        old = x.flat[k]
        x.flat[k] = old + h
        plus = f()
        x.flat[k] = old - h
        minus = f()
        x.flat[k] = old
        grad.flat[k] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def run_op(op, tensors: list, params: dict, upstream=None):
    """Forward then backward through an Op class, as the trace driver calls it."""
    ctx = Context()
    out = op.forward(ctx, *tensors, **params)
    if upstream is None:
        return out, None
    return out, op.backward(ctx, upstream)


def check_op_gradients(op, tensors: list, params: dict, seed: int = 0) -> None:
    """Every analytic input gradient of the op equals centered differences of
    sum(out * upstream) for a random upstream."""
    out, _ = run_op(op, tensors, params)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    _, grads = run_op(op, tensors, params, upstream)
    assert len(grads) == len(tensors)
    for t, g in zip(tensors, grads, strict=True):
        assert g.shape == t.shape
        numeric = numeric_grad(lambda: np.sum(run_op(op, tensors, params)[0] * upstream), t)
        assert rel_error(g, numeric) < 1e-6


def conv_case(rng, n, c, k, fh, fw, sh, sw, ph, pw, three_d=False):
    """Random x, w, b whose shapes fit: the input size is chosen from the output size."""
    h2, w2 = rng.integers(1, 4, size=2)
    h = (h2 - 1) * sh + fh - 2 * ph
    w = (w2 - 1) * sw + fw - 2 * pw
    h, w = max(h, 1), max(w, 1)
    h += (-(h + 2 * ph - fh)) % sh          # round up so the stride divides evenly
    w += (-(w + 2 * pw - fw)) % sw
    x = rng.standard_normal((c, h, w) if three_d else (n, c, h, w))
    return x, rng.standard_normal((k, c, fh, fw)), rng.standard_normal(k)


def conv_cases(count: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(count):
        fh, fw = rng.integers(1, 5, size=2)
        sh, sw = rng.integers(1, 4, size=2)
        ph, pw = rng.integers(0, min(fh, fw, 3), size=2)
        n, c, k = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 4)
        three_d = i % 5 == 4
        x, w, b = conv_case(rng, n, c, k, fh, fw, sh, sw, ph, pw, three_d)
        stride = int(sh) if (sh == sw and i % 2) else (int(sh), int(sw))
        pad = int(ph) if (ph == pw and i % 3) else (int(ph), int(pw))
        yield pytest.param(x, w, b, stride, pad, id=f"x{x.shape}-w{w.shape}-s{stride}-p{pad}")


def pool_cases(count: int, seed: int, integer: bool = False):
    rng = np.random.default_rng(seed)
    for i in range(count):
        fh, fw = rng.integers(1, 4, size=2)
        sh, sw = rng.integers(1, 4, size=2)
        if i % 3 == 0:
            sh, sw = fh, fw                  # the tiled case: windows side by side
        h3, w3 = rng.integers(1, 4, size=2)
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                 int((h3 - 1) * sh + fh), int((w3 - 1) * sw + fw))
        if i % 4 == 3:
            shape = shape[1:]
        x = rng.integers(0, 3, size=shape).astype(float) if integer \
            else rng.standard_normal(shape)
        size = int(fh) if fh == fw else (int(fh), int(fw))
        stride = int(sh) if sh == sw else (int(sh), int(sw))
        yield pytest.param(x, size, stride, id=f"x{shape}-size{size}-stride{stride}")


# ---------------------------------------------------------------- gradient checks

@pytest.mark.parametrize("x, w, b, stride, pad", list(conv_cases(24, seed=1)))
def test_conv2d_gradients_match_centered_differences(x, w, b, stride, pad):
    check_op_gradients(Conv2d, [x, w, b], {"stride": stride, "pad": pad})


def test_conv2d_without_bias_returns_two_gradients():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    check_op_gradients(Conv2d, [x, w], {"stride": (1, 1), "pad": (1, 0)})


@pytest.mark.parametrize("x, size, stride", list(pool_cases(18, seed=3)))
def test_maxpool2d_gradients_match_centered_differences(x, size, stride):
    check_op_gradients(MaxPool2d, [x], {"size": size, "stride": stride})


@pytest.mark.parametrize("x, size, stride", list(pool_cases(18, seed=4)))
def test_avgpool2d_gradients_match_centered_differences(x, size, stride):
    check_op_gradients(AvgPool2d, [x], {"size": size, "stride": stride})


# ---------------------------------------------------------------- fast path == reference

@pytest.fixture(params=[(conv_fast.CHUNK_ELEMENTS, conv_fast.TRANSPOSED_MAX_ELEMENTS, False),
                        (conv_fast.CHUNK_ELEMENTS, 0, False), (64, 0, False), (64, 0, True)],
                ids=["default", "col2im", "col2im-tiny-chunks", "batch-parallel"])
def chunking(request, monkeypatch):
    """Run the conv fast path as configured (small layers take dx from a transposed
    convolution), with col2im for dx, with col2im and one image per batch step, and with
    the batch split over three worker threads."""
    chunk, transposed, parallel = request.param
    monkeypatch.setattr(conv_fast, "CHUNK_ELEMENTS", chunk)
    monkeypatch.setattr(conv_fast, "TRANSPOSED_MAX_ELEMENTS", transposed)
    force_parallel(monkeypatch, parallel)


def force_parallel(monkeypatch, on: bool = True) -> None:
    """Split every batch over three workers (or never), whatever the layer's size."""
    monkeypatch.setattr(conv_fast, "PARALLEL", on)
    monkeypatch.setattr(conv_fast, "WORKERS", 3)
    monkeypatch.setattr(conv_fast, "PARALLEL_MIN_ELEMENTS", 0 if on else 1 << 62)


@pytest.mark.parametrize("x, w, b, stride, pad", list(conv_cases(30, seed=5)))
def test_conv2d_fast_path_equals_loop_reference(x, w, b, stride, pad, chunking):
    out, (dx, dw, db) = _conv_both(x, w, b, stride, pad)
    ref = conv_reference.conv2d_reference(x, w, b, stride, pad)
    upstream = np.random.default_rng(0).standard_normal(ref.shape)
    rdx, rdw, rdb = conv_reference.conv2d_backward_reference(upstream, x, w, stride, pad)
    assert np.max(np.abs(out - ref)) < 1e-10
    assert np.max(np.abs(dx - rdx)) < 1e-10
    assert np.max(np.abs(dw - rdw)) < 1e-10
    assert np.max(np.abs(db - rdb)) < 1e-10


def _conv_both(x, w, b, stride, pad):
    out = layers.conv2d(x, w, b, stride, pad)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    return out, run_op(Conv2d, [x, w, b], {"stride": stride, "pad": pad}, upstream)[1]


def test_conv2d_fast_path_on_a_larger_batch_equals_reference(monkeypatch):
    """Several batch steps with a shorter last one."""
    monkeypatch.setattr(conv_fast, "CHUNK_ELEMENTS", 2000)
    monkeypatch.setattr(conv_fast, "TRANSPOSED_MAX_ELEMENTS", 0)
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((7, 3, 9, 7)), rng.standard_normal((5, 3, 3, 3)), \
        rng.standard_normal(5)
    out, (dx, dw, db) = _conv_both(x, w, b, 2, 1)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    rdx, rdw, rdb = conv_reference.conv2d_backward_reference(upstream, x, w, 2, 1)
    assert np.max(np.abs(out - conv_reference.conv2d_reference(x, w, b, 2, 1))) < 1e-10
    assert np.max(np.abs(dx - rdx)) < 1e-10 and np.max(np.abs(dw - rdw)) < 1e-10
    assert np.max(np.abs(db - rdb)) < 1e-10


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "batch-parallel"])
@pytest.mark.parametrize("integer", [False, True], ids=["random", "many-ties"])
@pytest.mark.parametrize("x, size, stride", list(pool_cases(24, seed=7)))
def test_maxpool2d_fast_path_equals_loop_reference(x, size, stride, integer, parallel,
                                                   monkeypatch):
    force_parallel(monkeypatch, parallel)
    if integer:
        x = np.round(x)                      # small whole numbers: windows with ties
    upstream = np.random.default_rng(1).standard_normal(
        conv_reference.maxpool2d_reference(x, size, stride).shape)
    out, (dx,) = run_op(MaxPool2d, [x], {"size": size, "stride": stride}, upstream)
    assert np.max(np.abs(out - conv_reference.maxpool2d_reference(x, size, stride))) < 1e-10
    ref = conv_reference.maxpool2d_backward_reference(upstream, x, size, stride)
    assert np.max(np.abs(dx - ref)) < 1e-10


@pytest.mark.parametrize("x, size, stride", list(pool_cases(24, seed=8)))
def test_avgpool2d_fast_path_equals_loop_reference(x, size, stride):
    upstream = np.random.default_rng(1).standard_normal(
        conv_reference.avgpool2d_reference(x, size, stride).shape)
    out, (dx,) = run_op(AvgPool2d, [x], {"size": size, "stride": stride}, upstream)
    assert np.max(np.abs(out - conv_reference.avgpool2d_reference(x, size, stride))) < 1e-10
    ref = conv_reference.avgpool2d_backward_reference(upstream, x, size, stride)
    assert np.max(np.abs(dx - ref)) < 1e-10


def test_maxpool_tie_goes_to_the_first_maximum_in_row_major_order():
    x = np.array([[[[3.0, 3.0], [3.0, 1.0]]]])
    _, (dx,) = run_op(MaxPool2d, [x], {}, np.array([[[[5.0]]]]))
    assert dx.tolist() == [[[[5.0, 0.0], [0.0, 0.0]]]]


def test_conv2d_matches_a_direct_dot_product_at_one_position():
    """Lecture: each position is a 5*5*3 = 75-dimensional dot product plus bias."""
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((3, 32, 32)), rng.standard_normal((1, 3, 5, 5)), \
        np.array([0.5])
    out = layers.conv2d(x, w, b)
    i, j = 10, 17
    assert out[0, i, j] == pytest.approx(float(x[:, i:i + 5, j:j + 5].ravel()
                                                @ w[0].ravel()) + 0.5, abs=1e-12)


# ---------------------------------------------------------------- lecture section 7

def geometry(x_shape, w_shape, stride=1, pad=0):
    k = w_shape[0]
    return layers.conv_geometry(x_shape, w_shape, (k,), stride, pad)


def test_one_5x5_filter_on_32x32x3_gives_28x28x1():
    g = geometry((3, 32, 32), (1, 3, 5, 5))
    assert g.out_shape == (1, 28, 28) and layers.shape_text(g.out_shape) == "28×28×1"
    assert g.params(True)["per_filter"] == 5 * 5 * 3 + 1


def test_six_filters_give_28x28x6_and_ten_5x5x6_give_24x24x10():
    assert geometry((3, 32, 32), (6, 3, 5, 5)).out_shape == (6, 28, 28)
    g = geometry((6, 28, 28), (10, 6, 5, 5))
    assert g.out_shape == (10, 24, 24) and layers.shape_text(g.out_shape) == "24×24×10"


@pytest.mark.parametrize("stride, pad, size", [(1, 0, 5), (2, 0, 3), (1, 1, 7)])
def test_7x7_input_3x3_filter(stride, pad, size):
    g = geometry((1, 7, 7), (1, 1, 3, 3), stride, pad)
    assert g.out_hw == (size, size)


def test_7x7_input_3x3_filter_stride_3_does_not_fit():
    with pytest.raises(EngineError) as info:
        geometry((1, 7, 7), (1, 1, 3, 3), stride=3)
    err = info.value
    assert err.kind == "shape"
    assert err.message == ("conv2d: 3x3 filter does not fit a 7x7 input with stride 3: "
                           "(7 - 3)/3 + 1 = 2.33")
    assert err.extra["formula"] == "(7 - 3 + 2*0)/3 + 1 = 2.33"
    assert err.extra["value"] == pytest.approx(7 / 3, abs=1e-4)
    suggestions = err.extra["suggestions"]
    assert 1 <= len(suggestions) <= 4
    for s in suggestions:   # each suggestion really fits: (7 - 3 + 2P) divisible by S
        assert (7 - 3 + 2 * s["pad"]) % s["stride"] == 0
        assert s["output"] == (7 - 3 + 2 * s["pad"]) // s["stride"] + 1


def test_the_stride_3_case_is_refused_through_evaluate_with_the_formula():
    with pytest.raises(EngineError) as info:
        engine.evaluate("x = 0; w = 0; y = conv2d(x, w, stride=3)",
                        {"x": {"shape": [1, 7, 7]}, "w": {"shape": [1, 1, 3, 3]}})
    assert "(7 - 3)/3 + 1 = 2.33" in str(info.value)
    assert info.value.kind == "shape"


@pytest.mark.parametrize("f", [3, 5, 7])
def test_pad_f_minus_1_over_2_keeps_the_size(f):
    assert geometry((3, 32, 32), (4, 3, f, f), 1, (f - 1) // 2).out_hw == (32, 32)


def test_ten_5x5_filters_pad_2_give_32x32x10_and_760_parameters():
    g = geometry((3, 32, 32), (10, 3, 5, 5), 1, 2)
    assert g.out_shape == (10, 32, 32)
    assert g.params(True) == {"weights": 750, "biases": 10, "total": 760, "per_filter": 76}
    assert g.formula["height"] == "(32 - 5 + 2*2)/1 + 1 = 32"


def test_the_760_parameters_reach_the_conv_node_data():
    trace = engine.evaluate("x = 0; w = 0; b = 0; y = conv2d(x, w, b, stride=1, pad=2)",
                            {"x": {"shape": [1, 3, 32, 32]}, "w": {"shape": [10, 3, 5, 5]},
                             "b": {"shape": [10]}})
    node = next(n for n in trace.to_dict()["nodes"] if n["op"] == "conv2d")
    assert node["data"]["params"]["total"] == 760
    assert node["data"]["shape_text"] == "32×32×10"
    assert node["shape"] == [1, 10, 32, 32]


def test_1x1_convolution_56x56x64_to_56x56x32():
    g = geometry((64, 56, 56), (32, 64, 1, 1))
    assert g.out_shape == (32, 56, 56)
    assert g.params(True)["per_filter"] == 64 + 1      # a 64-dimensional dot product


def test_lecture_max_pool_example_and_its_router_gradient():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None]
    ctx = Context()
    out = MaxPool2d.forward(ctx, x, size=2, stride=2)
    assert out.tolist() == [[[6, 8], [3, 4]]]
    (dx,) = MaxPool2d.backward(ctx, np.array([[[10.0, 20.0], [30.0, 40.0]]]))
    expected = np.zeros((1, 4, 4))
    expected[0, 1, 1], expected[0, 1, 3], expected[0, 2, 0], expected[0, 3, 3] = 10, 20, 30, 40
    assert dx.tolist() == expected.tolist()
    data = MaxPool2d.describe(ctx, out)
    assert data["argmax"].tolist() == [[[[1, 1], [1, 3]], [[2, 0], [3, 3]]]]
    assert data["formula"]["width"] == "(4 - 2 + 2*0)/2 + 1 = 2"
    assert data["params"] == 0


def test_pool_window_that_does_not_fit_is_refused():
    with pytest.raises(EngineError) as info:
        layers.maxpool2d(np.zeros((1, 5, 5)), size=2, stride=2)
    assert info.value.kind == "shape"
    assert info.value.message == ("maxpool2d: 2x2 window does not fit a 5x5 input with "
                                  "stride 2: (5 - 2)/2 + 1 = 2.5")
    assert all(s["pad"] == 0 for s in info.value.extra["suggestions"])


def test_channel_mismatch_names_both_shapes():
    with pytest.raises(EngineError) as info:
        layers.conv2d(np.zeros((1, 3, 8, 8)), np.zeros((2, 4, 3, 3)))
    assert info.value.kind == "shape"
    assert "(2, 4, 3, 3)" in info.value.message and "(1, 3, 8, 8)" in info.value.message


def test_output_size_works_the_formula():
    assert layers.output_size(7, 3, 3, 0) == (pytest.approx(7 / 3), "(7 - 3 + 2*0)/3 + 1 = 2.33")
    assert layers.output_size(32, 5, 1, 2) == (32.0, "(32 - 5 + 2*2)/1 + 1 = 32")


@pytest.mark.parametrize("params, message", [
    ({"stride": 0}, "stride must be at least 1"),
    ({"pad": -1}, "pad must be at least 0"),
    ({"pad": 3}, "pad 3 must be smaller than the 3x3 filter"),
    ({"stride": (1, 2, 3)}, "stride must be a whole number or a pair"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(EngineError) as info:
        layers.conv2d(np.zeros((1, 7, 7)), np.zeros((1, 1, 3, 3)), **params)
    assert message in info.value.message


def test_filter_larger_than_the_input_is_refused():
    with pytest.raises(EngineError) as info:
        layers.conv2d(np.zeros((1, 3, 3)), np.zeros((1, 1, 5, 5)))
    assert "5x5 filter does not fit a 3x3 input" in info.value.message


def test_receptive_field_of_an_output_position():
    """Stride 2, pad 1, 3x3: output (i, j) = (1, 2) sees padded rows 2..4, cols 4..6."""
    field = layers.receptive_field(0, 3, 1, 2, size=3, stride=2, pad=1, input_hw=(6, 6))
    assert field["rows"] == [2, 5] and field["cols"] == [4, 7]
    assert field["input_rows"] == [1, 4] and field["input_cols"] == [3, 6]
    tops = layers.receptive_fields((3, 4), (2, 2))
    assert tops.shape == (3, 4, 2) and tops[1, 2].tolist() == [2, 4]


def test_conv_node_describes_padded_input_and_parameters():
    x = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    w = np.ones((3, 2, 3, 3))
    ctx = Context()
    out = Conv2d.forward(ctx, x, w, np.zeros(3), stride=1, pad=1)
    data = Conv2d.describe(ctx, out)
    assert data["padded_input"].shape == (2, 6, 6)
    assert data["padded_input"][:, 1:5, 1:5].tolist() == x.tolist()
    assert data["padded_input"][:, 0].sum() == 0
    assert data["params"] == {"weights": 54, "biases": 3, "total": 57, "per_filter": 19}
    assert data["output_shape"] == [3, 4, 4]


# ---------------------------------------------------------------- through the engine

CONVNET = ("x = 0; w1 = 0; b1 = 0; W2 = 0; b2 = 0; label = 0\n"
           "h = maxpool2d(relu(conv2d(x, w1, b1, stride=1, pad=1)), size=2, stride=2)\n"
           "scores = linear(flatten(h), W2, b2)\n"
           "loss = cross_entropy(scores, label)")
CONVNET_INPUTS = {"x": {"shape": [2, 1, 8, 8], "seed": 1},
                  "w1": {"shape": [3, 1, 3, 3], "seed": 2, "scale": 0.5},
                  "b1": {"shape": [3], "seed": 3, "scale": 0.1},
                  "W2": {"shape": [4, 48], "seed": 4, "scale": 0.2},
                  "b2": {"shape": [4], "init": "zeros"}, "label": [1, 3]}


def test_registry_holds_the_layers():
    assert REGISTRY["conv2d"] is Conv2d and REGISTRY["maxpool2d"].pattern == "router"
    assert Conv2d.info()["optional"] == ["b"]


def test_small_convnet_gradients_pass_the_gradient_check():
    trace = engine.evaluate(CONVNET, CONVNET_INPUTS, gradcheck=True)
    assert trace.gradcheck["passed"] is True
    assert trace.gradients["w1"].shape == (3, 1, 3, 3)


def test_generated_flat_code_runs_and_gives_the_trace_gradients():
    trace = engine.evaluate(CONVNET, CONVNET_INPUTS)
    code = trace.to_dict(code=True)["code"]
    scope: dict = {}
    exec(code["forward"] + "\n" + code["backward"], scope)  # generated code, not user text
    assert np.allclose(scope["loss"], trace.value, rtol=1e-12)
    for name in ("x", "w1", "b1", "W2", "b2"):
        assert np.allclose(scope[f"grad_{name}"], trace.gradients[name], rtol=1e-10, atol=1e-14)


def test_conv_with_three_d_input_through_the_engine():
    trace = engine.evaluate("x = 0; w = 0; y = avgpool2d(conv2d(x, w, pad=1))",
                            {"x": {"shape": [2, 4, 4]}, "w": {"shape": [3, 2, 3, 3]}},
                            gradcheck=True)
    assert trace.value.shape == (3, 2, 2)
    assert trace.gradcheck["passed"] is True


def test_conv_output_over_the_limits_is_refused_before_it_is_computed():
    with pytest.raises(EngineError) as info:
        engine.evaluate("y = conv2d(x, w)", {"x": {"shape": [1, 1, 30, 30]},
                                             "w": {"shape": [50, 1, 1, 1]}},
                        limits=engine.Limits(max_total_elements=20_000))
    assert info.value.kind == "limit" and "45,000 elements" in info.value.message


def blas_threads() -> list:
    """BLAS thread counts as threadpoolctl sees them ([] without threadpoolctl, which the
    engine then does without: its batch-parallel path stays off)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_batch_parallel_runs_restore_the_blas_thread_setting(monkeypatch):
    """Overlapping parallel runs from two threads give right answers and leave BLAS as
    they found it."""
    force_parallel(monkeypatch)
    before = blas_threads()
    rng = np.random.default_rng(12)
    x, w = rng.standard_normal((4, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: layers.conv2d(x, w, pad=1), range(6)))
    expected = conv_reference.conv2d_reference(x, w, None, 1, 1)
    assert all(np.max(np.abs(r - expected)) < 1e-10 for r in results)
    assert conv_fast._parallel_state["users"] == 0 and conv_fast._parallel_state["limiter"] is None
    assert blas_threads() == before
