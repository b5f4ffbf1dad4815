"""One conv layer (optionally ReLU and max pool) worked out for the sliding-filter view.

``conv_explain`` is the engine side of POST /api/conv: it takes one image volume (C, H, W),
runs conv -> relu? -> maxpool? forward and backward through the registry's ops, and
returns everything the view animates as plain data (numpy arrays, numbers, strings).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.errors import EngineError
from engine.inputs import make_input
from engine.layers import (
    Conv2d,
    MaxPool2d,
    argmax_positions,
    as_pair,
    conv_geometry,
    receptive_fields,
    shape_text,
)
from engine.limits import check_conv_buffers
from engine.registry import Context, shape_error, value_error
from engine.settings import DEFAULT_LIMITS, Limits

POOL_KEYS = {"size", "stride"}
# The products w * x of every window are sent only up to this many numbers (a 7x7 input
# with a few 3x3 filters); larger layers send each window's per-channel sums instead.
MAX_PRODUCTS = 4096
MAX_CHANNEL_SUMS = 4_000   # and per-channel sums up to this many; larger layers send none
CONV_RULE = "W2 = (W1 − F + 2P)/S + 1,  H2 = (H1 − F + 2P)/S + 1,  depth K"
POOL_RULE = "W3 = (W2 − F)/S + 1,  H3 = (H2 − F)/S + 1,  depth unchanged"


def _whole(value, key: str, minimum: int, maximum: int | None = None) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise value_error(f"conv: {key} must be a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        top = f" and at most {maximum:,}" if maximum is not None else ""
        raise value_error(f"conv: {key} must be at least {minimum}{top}, got {value}")
    return int(value)


def _flag(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise value_error(f"conv: {key} must be true or false, got {value!r}")
    return value


def _volume(value, limits: Limits) -> np.ndarray:
    """The input as (C, H, W); a 2-D (H, W) input is one channel."""
    x = make_input(value, "input", limits)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or min(x.shape) < 1:
        raise shape_error(f"conv: input must be (C, H, W) or (H, W), got shape {x.shape}")
    return x


def _given(value, name: str, shape: tuple, limits: Limits) -> np.ndarray:
    arr = make_input(value, name, limits)
    if arr.shape != shape:
        raise shape_error(f"conv: {name} must have shape {shape}, got {arr.shape}")
    return arr


def _parameters(x, filters, size, weights, bias, seed, limits):
    """Weights (K, C, FH, FW) and bias (K,): given, or small random whole numbers (-1, 0, 1
    and 0, 1) so that every dot product can be followed by hand."""
    c = x.shape[0]
    fh, fw = as_pair(size, "conv", "size", 1)
    k = _whole(filters, "filters", 1)
    if k * c * fh * fw > limits.max_input_elements:
        raise EngineError(f"conv: {k} filters of {fh}x{fw}x{c} hold {k * c * fh * fw:,} "
                          f"weights, more than the limit of {limits.max_input_elements:,}",
                          kind="limit")
    rng = np.random.default_rng(seed)
    w = _given(weights, "weights", (k, c, fh, fw), limits) if weights is not None \
        else rng.integers(-1, 2, size=(k, c, fh, fw)).astype(np.float64)
    b = _given(bias, "bias", (k,), limits) if bias is not None \
        else rng.integers(0, 2, size=k).astype(np.float64)
    return w, b


def _pool_params(pool) -> tuple | None:
    if pool is None:
        return None
    if not isinstance(pool, Mapping):
        raise value_error("conv: pool must be an object like {\"size\": 2, \"stride\": 2}")
    unknown = set(pool) - POOL_KEYS
    if unknown:
        raise value_error(f"conv: unknown pool keys {sorted(unknown)}; use size and stride")
    return pool.get("size", 2), pool.get("stride", 2)


def _upstream(upstream, shape: tuple, seed: int, limits: Limits) -> np.ndarray:
    if isinstance(upstream, str):
        if upstream == "ones":
            return np.ones(shape)
        if upstream == "random":
            return np.round(np.random.default_rng((seed, 1)).standard_normal(shape), 2)
        raise value_error(f"conv: upstream must be \"ones\", \"random\" or a nested list, "
                          f"got {upstream!r}")
    return _given(upstream, "upstream", shape, limits)


def _check_total(total: int, limits: Limits) -> None:
    if total > limits.max_total_elements:
        raise EngineError(f"conv: the layer's values hold {total:,} numbers, more than the "
                          f"limit of {limits.max_total_elements:,}", kind="limit")


def _conv_stage(x: np.ndarray, filters, size, stride, pad, weights, bias, seed,
                limits: Limits) -> tuple[dict, Context]:
    """The conv layer on x (C, H, W), run through the registry's op on the padded input so
    that its backward also gives the gradient of the padding."""
    c, h, w_in = x.shape
    w, b = _parameters(x, filters, size, weights, bias, seed, limits)
    geo = conv_geometry(x.shape, w.shape, b.shape, stride, pad)
    # input, padded input and their gradients; weights and theirs; maps, ReLU and gradients
    padded = c * geo.padded_hw[0] * geo.padded_hw[1]
    _check_total(2 * (x.size + padded) + 2 * w.size
                 + 4 * geo.k * geo.out_hw[0] * geo.out_hw[1], limits)
    check_conv_buffers(1, c, geo.size, geo.out_hw, limits)
    ph, pw = geo.pad
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    ctx = Context()
    out = Conv2d.forward(ctx, xp, w, b, stride=geo.stride, pad=0)
    params = geo.params(True)
    return {"size": list(geo.size), "stride": list(geo.stride), "pad": list(geo.pad),
            "output_shape": list(out.shape), "shape_text": shape_text(out.shape),
            "formula": geo.formula, "params": params, "padded_input": xp,
            "weights": w, "bias": b, "output": out,
            "receptive_fields": receptive_fields(geo.out_hw, geo.stride),
            "arithmetic": _conv_arithmetic(x.shape, geo, params),
            "terms": _terms(xp, w, geo.stride, out.shape[1:])}, ctx


def _conv_arithmetic(x_shape: tuple, geo, params: dict) -> dict:
    """The size rule and the parameter count written out with this layer's numbers."""
    c, h, w = x_shape
    (fh, fw), k = geo.size, geo.k
    return {"rule": CONV_RULE,
            "input_text": f"{w}×{h}×{c}",
            "input_note": f"the API writes (C, H, W) = ({c}, {h}, {w})",
            "width": geo.formula["width"], "height": geo.formula["height"],
            "params_text": f"F·F·C·K + K = {fh}·{fw}·{c}·{k} + {k} = {params['total']} "
                           f"({params['weights']} weights + {params['biases']} "
                           f"bias{'es' if params['biases'] != 1 else ''})",
            "per_filter_text": f"each filter {fh}·{fw}·{c} + 1 = {params['per_filter']}"}


def _terms(xp: np.ndarray, w: np.ndarray, stride: tuple, out_hw: tuple) -> dict | None:
    """Every window's arithmetic for a small layer (null for a larger one): per output
    (k, i, j) the sum w·x over each channel ("channel_sums", (K, H2, W2, C)), their total
    before the bias ("dot", (K, H2, W2)) and, up to MAX_PRODUCTS numbers, every product
    w * x ("products", (K, H2, W2, C, FH, FW), else null). Plain broadcasting, no BLAS."""
    k, c, fh, fw = w.shape
    h2, w2 = out_hw
    if k * h2 * w2 * c > MAX_CHANNEL_SUMS:
        return None
    windows = np.lib.stride_tricks.sliding_window_view(xp, (fh, fw), axis=(1, 2))
    windows = windows[:, ::stride[0], ::stride[1]][:, :h2, :w2]      # (C, H2, W2, FH, FW)
    products = w[:, None, None] * windows.transpose(1, 2, 0, 3, 4)[None]  # (K, H2, W2, C, FH, FW)
    channel_sums = products.sum(axis=(4, 5))
    return {"channel_sums": channel_sums, "dot": channel_sums.sum(axis=-1),
            "products": products if products.size <= MAX_PRODUCTS else None}


def _no_conv_stage(x: np.ndarray) -> dict:
    """conv=False: the volume passes through unchanged (the lecture's max-pool example)."""
    return {"size": None, "stride": None, "pad": [0, 0], "output_shape": list(x.shape),
            "shape_text": shape_text(x.shape), "formula": None,
            "params": {"weights": 0, "biases": 0, "total": 0, "per_filter": 0},
            "padded_input": x, "weights": [], "bias": [], "output": x,
            "receptive_fields": None, "arithmetic": None, "terms": None}


def _pool_stage(act: np.ndarray, size, stride, limits: Limits) -> tuple[dict, Context]:
    MaxPool2d.precheck([act], {"size": size, "stride": stride}, limits)
    ctx = Context()
    out = MaxPool2d.forward(ctx, act, size=size, stride=stride)
    geo = ctx.geo
    where = argmax_positions(ctx.route.offsets(), geo).reshape(out.shape + (2,))
    return {"size": list(geo.size), "stride": list(geo.stride),
            "output_shape": list(out.shape), "shape_text": shape_text(out.shape),
            "formula": geo.formula, "output": out, "argmax": where,
            "windows": receptive_fields(out.shape[-2:], geo.stride),
            "arithmetic": {"rule": POOL_RULE, "width": geo.formula["width"],
                           "height": geo.formula["height"]}}, ctx


def _window_starts(n: int, f: int, s: int) -> list[int]:
    """Where a window of f cells starts along n cells at stride s, up to and including the
    first start that hangs over the edge (7 cells, f 3, stride 3: 0, 3, 6)."""
    starts = [0]
    while starts[-1] + f < n and starts[-1] + s < n:
        starts.append(starts[-1] + s)
    return starts


def _explain_misfit(err: EngineError, stage: str, hw: tuple, size, stride, pad) -> EngineError:
    """A window that does not fit, told for the picture: where it stands along each axis
    (the last place hanging over the edge), by how much, and in words why."""
    f = as_pair(size, stage, "size", 1)
    s = as_pair(stride, stage, "stride", 1)
    p = as_pair(pad, stage, "pad", 0)
    padded = (hw[0] + 2 * p[0], hw[1] + 2 * p[1])
    starts = [_window_starts(n, k, st) for n, k, st in zip(padded, f, s, strict=True)]
    over = [max(0, st[-1] + k - n) for st, k, n in zip(starts, f, padded, strict=True)]
    value = err.extra.get("value", 1)
    if value < 1:
        why = "The window is bigger than the (padded) input."
    else:
        axis = "row" if over[0] and not over[1] else "column"
        step = s[0] if axis == "row" else s[1]
        why = (f"An output size must be a whole number: at stride {step} the last window "
               f"would hang over the edge by {max(over)} {axis}"
               f"{'s' if max(over) > 1 else ''}.")
    err.extra.update({"stage": stage, "why": why,
                      "geometry": {"input": list(hw), "pad": list(p), "padded": list(padded),
                                   "size": list(f), "stride": list(s), "rows": starts[0],
                                   "cols": starts[1], "overhang": over}})
    return err


def conv_explain(input, *, filters=1, size=3, stride=1, pad=0, weights=None, bias=None,
                 seed=0, relu=False, pool=None, conv=True, upstream="ones",
                 limits: Limits | None = None) -> dict:
    """Conv (K filters FH x FW, stride, pad) -> ReLU? -> max pool? on one (C, H, W) volume,
    forward and backward, for the conv view. See COMMON.md's /api/conv contract.

    Gradients: "grad_output" is dL/d(the conv stage's output: the ReLU output when relu is
    on, else the conv output), "grad_conv_output" is dL/d"output" (before the ReLU),
    "grad_padded_input" is dL/d"padded_input" (the border entries get gradient too; it is
    thrown away), and "grad_input" is its unpadded middle. With conv=False there is no
    conv layer: "output" is the input itself, parameters are 0, weights and bias are [].
    """
    limits = limits or DEFAULT_LIMITS
    seed = _whole(seed, "seed", 0, 2**32 - 1)
    relu, conv = _flag(relu, "relu"), _flag(conv, "conv")
    pool_args = _pool_params(pool)
    x = _volume(input, limits)
    result: dict = {"input_shape": list(x.shape)}
    conv_ctx = None
    if conv:
        try:
            stage, conv_ctx = _conv_stage(x, filters, size, stride, pad, weights, bias,
                                          seed, limits)
        except EngineError as err:
            if err.kind == "shape" and "formula" in err.extra:
                raise _explain_misfit(err, "conv", x.shape[1:], size, stride, pad) from None
            raise
    else:
        stage = _no_conv_stage(x)
    result.update(stage)
    out = result["output"]
    act = np.maximum(out, 0.0) if relu else out
    result["relu"] = act if relu else None
    final, pool_ctx, result["pool"] = act, None, None
    if pool_args is not None:
        try:
            result["pool"], pool_ctx = _pool_stage(act, *pool_args, limits)
        except EngineError as err:
            if err.kind == "shape" and "formula" in err.extra:
                raise _explain_misfit(err, "pool", act.shape[1:], pool_args[0], pool_args[1],
                                      0) from None
            raise
        final = result["pool"]["output"]

    up = result["upstream"] = _upstream(upstream, final.shape, seed, limits)
    grad_act = MaxPool2d.backward(pool_ctx, up)[0] if pool_ctx is not None else up
    if pool_ctx is not None:
        result["pool"]["grad_input"] = grad_act
    grad_out = grad_act * (out > 0) if relu else grad_act
    result["grad_output"], result["grad_conv_output"] = grad_act, grad_out
    if conv_ctx is None:
        result.update({"grad_padded_input": grad_out, "grad_input": grad_out,
                       "grad_weights": [], "grad_bias": []})
        result["stages"] = _stages(result, relu)
        return result
    dxp, dw, db = Conv2d.backward(conv_ctx, grad_out)
    (ph, pw), (h, w_in) = result["pad"], x.shape[1:]
    result.update({"grad_padded_input": dxp,
                   "grad_input": dxp[:, ph:ph + h, pw:pw + w_in].copy(),
                   "grad_weights": dw, "grad_bias": db})
    result["stages"] = _stages(result, relu)
    return result


def _stages(result: dict, relu: bool) -> list[dict]:
    """The layer as typed stages, conv -> ReLU -> max pool, each with its output ("value")
    and the gradient of the loss with respect to that output ("grad")."""
    stages = []
    if result["weights"] is not None and len(result["weights"]):
        stages.append({"kind": "conv", "title": "convolution", "shape": result["output_shape"],
                       "shape_text": result["shape_text"], "value": result["output"],
                       "grad": result["grad_conv_output"]})
    if relu:
        stages.append({"kind": "relu", "title": "ReLU", "shape": result["output_shape"],
                       "shape_text": result["shape_text"], "value": result["relu"],
                       "grad": result["grad_output"]})
    if result["pool"] is not None:
        pool = result["pool"]
        stages.append({"kind": "pool", "title": "max pool", "shape": pool["output_shape"],
                       "shape_text": pool["shape_text"], "value": pool["output"],
                       "grad": result["upstream"]})
    return stages
