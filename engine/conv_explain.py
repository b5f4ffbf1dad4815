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
    return {"size": list(geo.size), "stride": list(geo.stride), "pad": list(geo.pad),
            "output_shape": list(out.shape), "shape_text": shape_text(out.shape),
            "formula": geo.formula, "params": geo.params(True), "padded_input": xp,
            "weights": w, "bias": b, "output": out,
            "receptive_fields": receptive_fields(geo.out_hw, geo.stride)}, ctx


def _no_conv_stage(x: np.ndarray) -> dict:
    """conv=False: the volume passes through unchanged (the lecture's max-pool example)."""
    return {"size": None, "stride": None, "pad": [0, 0], "output_shape": list(x.shape),
            "shape_text": shape_text(x.shape), "formula": None,
            "params": {"weights": 0, "biases": 0, "total": 0, "per_filter": 0},
            "padded_input": x, "weights": [], "bias": [], "output": x,
            "receptive_fields": None}


def _pool_stage(act: np.ndarray, size, stride, limits: Limits) -> tuple[dict, Context]:
    MaxPool2d.precheck([act], {"size": size, "stride": stride}, limits)
    ctx = Context()
    out = MaxPool2d.forward(ctx, act, size=size, stride=stride)
    geo = ctx.geo
    where = argmax_positions(ctx.route.offsets(), geo).reshape(out.shape + (2,))
    return {"size": list(geo.size), "stride": list(geo.stride),
            "output_shape": list(out.shape), "shape_text": shape_text(out.shape),
            "formula": geo.formula, "output": out, "argmax": where,
            "windows": receptive_fields(out.shape[-2:], geo.stride)}, ctx


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
        stage, conv_ctx = _conv_stage(x, filters, size, stride, pad, weights, bias, seed,
                                      limits)
    else:
        stage = _no_conv_stage(x)
    result.update(stage)
    out = result["output"]
    act = np.maximum(out, 0.0) if relu else out
    result["relu"] = act if relu else None
    final, pool_ctx, result["pool"] = act, None, None
    if pool_args is not None:
        result["pool"], pool_ctx = _pool_stage(act, *pool_args, limits)
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
        return result
    dxp, dw, db = Conv2d.backward(conv_ctx, grad_out)
    (ph, pw), (h, w_in) = result["pad"], x.shape[1:]
    result.update({"grad_padded_input": dxp,
                   "grad_input": dxp[:, ph:ph + h, pw:pw + w_in].copy(),
                   "grad_weights": dw, "grad_bias": db})
    return result
