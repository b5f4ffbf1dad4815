"""Convolution and pooling gates: the op classes the registry and the parser know.

One class per layer, PyTorch-Function style. The work is done elsewhere, one job a file:
``engine.conv_shapes`` (shape arithmetic and its teaching text), ``engine.conv_fast``
(the vectorised kernels, each saying what it buys) and ``engine.conv_reference`` (the
plain loops the tests hold the kernels to). The kernels' public functions are re-exported
here, since generated flat code imports them from ``engine.layers``.
"""
from __future__ import annotations

import numpy as np

from engine.conv_fast import (
    MaxRoute,
    _as4,
    _avgpool_backward,
    _avgpool_forward,
    _conv_backward,
    _conv_forward,
    _maxpool_backward,
    _maxpool_forward,
    _pad,
    avgpool2d,
    avgpool2d_backward,
    conv2d,
    conv2d_backward_bias,
    conv2d_backward_input,
    conv2d_backward_weight,
    maxpool2d,
    maxpool2d_backward,
)
from engine.conv_shapes import (
    PoolGeometry,
    _check_size,
    as_pair,
    check_fit,
    conv_geometry,
    fit_suggestions,
    output_size,
    pool_geometry,
    receptive_field,
    receptive_field_rule,
    receptive_fields,
    shape_text,
)
from engine.limits import check_conv_buffers, check_pool
from engine.registry import Context, Op, register

# Describe a node's padded input / arg-max positions only up to this many elements.
DESCRIBE_MAX_ELEMENTS = 20_000


def _call(name: str, args: list[str], params: dict) -> str:
    return f"{name}({', '.join(args + [f'{k}={v!r}' for k, v in params.items()])})"


@register
class Conv2d(Op):
    formula = ("dL/dw = Σ dL/dout ⋆ x (each window), dL/dx = dL/dout convolved with w "
               "turned 180°, dL/db = Σ dL/dout")
    name, symbol, inputs = "conv2d", "conv", ("x", "w", "b?")
    params = {"stride": 1, "pad": 0}
    doc = ("Convolution layer: K filters w (K, C, FH, FW) slide over x (N, C, H, W) or "
           "(C, H, W); each position is a dot product over the full depth plus a bias. "
           "Output size (N + 2P - F)/S + 1.")
    code_imports = (("engine.layers", "conv2d"), ("engine.layers", "conv2d_backward_input"),
                    ("engine.layers", "conv2d_backward_weight"),
                    ("engine.layers", "conv2d_backward_bias"))

    @classmethod
    def precheck(cls, xs, params, limits) -> None:
        """Refuse a layer that does not fit, or whose output is over the limits, before any
        work (the trace driver calls this with the evaluation's limits)."""
        b_shape = np.shape(xs[2]) if len(xs) > 2 else None
        geo = conv_geometry(np.shape(xs[0]), np.shape(xs[1]), b_shape, **params)
        _check_size("conv2d", geo.n * geo.k * geo.out_hw[0] * geo.out_hw[1], limits)
        check_conv_buffers(geo.n, geo.c, geo.size, geo.out_hw, limits)

    @staticmethod
    def forward(ctx: Context, x, w, b=None, stride=1, pad=0):
        geo = conv_geometry(np.shape(x), np.shape(w), None if b is None else np.shape(b),
                            stride, pad)
        xp = _pad(_as4(x), geo.pad)
        ctx.save_for_backward(xp, w)
        ctx.geo, ctx.has_bias = geo, b is not None
        return _conv_forward(xp, w, b, geo).reshape(geo.out_shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        xp, w = ctx.saved_tensors
        geo = ctx.geo
        # A caller that owes x no gradient (a network's input image) says so, PyTorch-style,
        # with ctx.needs_input_grad; the transposed convolution is then skipped.
        need_dx = getattr(ctx, "needs_input_grad", (True,))[0]
        dx, dw, db = _conv_backward(_as4(grad_out), xp, w, geo, need_dx=need_dx,
                                    need_db=ctx.has_bias)
        grads = (None if dx is None else dx.reshape(geo.x_shape), dw)
        return grads + (db,) if ctx.has_bias else grads

    @classmethod
    def describe(cls, ctx: Context, out) -> dict:
        geo = ctx.geo
        xp = ctx.saved_tensors[0]
        return {"params": geo.params(ctx.has_bias), "formula": geo.formula,
                "size": list(geo.size), "stride": list(geo.stride), "pad": list(geo.pad),
                "input_shape": list(geo.x_shape), "output_shape": list(geo.out_shape),
                "shape_text": shape_text(geo.out_shape),
                "receptive_field": receptive_field_rule(geo.size, geo.stride, geo.pad),
                "padded_input": (xp.reshape(geo.x_shape[:-2] + geo.padded_hw)
                                 if xp.size <= DESCRIBE_MAX_ELEMENTS else None)}

    @classmethod
    def code(cls, args, params):
        return _call("conv2d", args, params)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        x, w = args[:2]
        grads = [_call("conv2d_backward_input", [grad, x, w], params),
                 _call("conv2d_backward_weight", [grad, x, w], params)]
        return grads + [f"conv2d_backward_bias({grad})"] if len(args) == 3 else grads


class _Pool(Op):
    params = {"size": 2, "stride": 2}

    @classmethod
    def precheck(cls, xs, params, limits) -> None:
        """Refuse windows whose work buffers or loops are over the limits, before any work."""
        geo = pool_geometry(cls.name, np.shape(xs[0]), **params)
        n, c = ((1,) * (4 - len(geo.x_shape)) + geo.x_shape)[:2]
        check_pool(cls.name, n, c, geo.size, geo.stride, geo.out_hw, limits)

    @classmethod
    def code(cls, args, params):
        return _call(cls.name, args, params)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [_call(f"{cls.name}_backward", [grad, args[0]], params)]

    @staticmethod
    def _data(geo: PoolGeometry) -> dict:
        return {"size": list(geo.size), "stride": list(geo.stride), "formula": geo.formula,
                "input_shape": list(geo.x_shape), "output_shape": list(geo.out_shape),
                "shape_text": shape_text(geo.out_shape), "params": 0,
                "receptive_field": receptive_field_rule(geo.size, geo.stride, (0, 0))}


def argmax_positions(where: np.ndarray, geo: PoolGeometry) -> np.ndarray:
    """(..., H3, W3, 2): [row, col] of each window's maximum in input coordinates."""
    (sh, sw), (h3, w3), fw = geo.stride, geo.out_hw, geo.size[1]
    rows = np.arange(h3)[:, None] * sh + where // fw
    cols = np.arange(w3)[None, :] * sw + where % fw
    return np.stack([rows, cols], axis=-1).astype(np.int64)


@register
class MaxPool2d(_Pool):
    formula = "dL/dx = dL/dout at each window's first maximum, 0 elsewhere"
    name, symbol, pattern = "maxpool2d", "max pool", "router"
    doc = ("Max pooling: the largest value of each size x size window, each channel on its "
           "own; the gradient goes only to that largest input (the router).")
    code_imports = (("engine.layers", "maxpool2d"), ("engine.layers", "maxpool2d_backward"))

    @staticmethod
    def forward(ctx: Context, x, size=2, stride=2):
        geo = pool_geometry("maxpool2d", np.shape(x), size, stride)
        out, route = _maxpool_forward(_as4(x), geo)
        ctx.geo, ctx.route = geo, route
        return out.reshape(geo.out_shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        geo = ctx.geo
        shape4 = (1,) * (4 - len(geo.x_shape)) + geo.x_shape
        return (_maxpool_backward(_as4(grad_out), ctx.route, shape4)
                .reshape(geo.x_shape),)

    @classmethod
    def describe(cls, ctx: Context, out) -> dict:
        geo = ctx.geo
        data = cls._data(geo)
        small = np.prod(out.shape) * 2 <= DESCRIBE_MAX_ELEMENTS
        data["argmax"] = (argmax_positions(ctx.route.offsets(), geo)
                          .reshape(geo.out_shape + (2,))
                          if small else None)
        return data


@register
class AvgPool2d(_Pool):
    formula = 'dL/dx = dL/dout/(FH·FW) to every input of the window'
    name, symbol = "avgpool2d", "avg pool"
    doc = ("Average pooling: the mean of each size x size window, each channel on its own; "
           "every input of a window gets an equal share of the gradient.")
    code_imports = (("engine.layers", "avgpool2d"), ("engine.layers", "avgpool2d_backward"))

    @staticmethod
    def forward(ctx: Context, x, size=2, stride=2):
        geo = pool_geometry("avgpool2d", np.shape(x), size, stride)
        ctx.geo = geo
        return _avgpool_forward(_as4(x), geo).reshape(geo.out_shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        geo = ctx.geo
        shape4 = (1,) * (4 - len(geo.x_shape)) + geo.x_shape
        return (_avgpool_backward(_as4(grad_out), shape4, geo).reshape(geo.x_shape),)

    @classmethod
    def describe(cls, ctx: Context, out) -> dict:
        return cls._data(ctx.geo)


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "MaxRoute", "conv2d", "conv2d_backward_input",
           "conv2d_backward_weight", "conv2d_backward_bias", "maxpool2d", "maxpool2d_backward",
           "avgpool2d", "avgpool2d_backward", "output_size", "check_fit", "fit_suggestions",
           "receptive_field", "receptive_fields", "conv_geometry", "pool_geometry",
           "shape_text", "as_pair", "argmax_positions"]
