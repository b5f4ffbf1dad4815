"""The core gates: arithmetic, elementwise functions, reductions, matrices and losses.

One class per op, registered under the name the JSON's ``op`` field carries. forward
stashes what backward needs; backward returns one gradient per input, summed back to the
input's shape where numpy broadcast it. ``code``/``code_backward`` give the same maths as
numpy source for the lecture's "flat" code. Overflow and 0/0 are results here, not
errors: evaluate() silences numpy's floating-point warnings once around both passes and
lists non-finite values in the trace's warnings.
"""
from __future__ import annotations

import math

import numpy as np

from engine.errors import EngineError
from engine.limits import check_matmul_backward
from engine.registry import Context, Op, register, shape_error, unbroadcast, value_error


def _fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:g}"


def _check_result_size(op: str, sa: tuple, sb: tuple, limits) -> None:
    try:
        shape = np.broadcast_shapes(sa, sb)
    except ValueError:
        raise shape_error(f"{op}: shapes {sa} and {sb} cannot be broadcast together") from None
    size = math.prod(shape)
    if size > limits.max_input_elements:
        raise EngineError(f"{op}: the result would have shape {shape}, {size:,} elements, more "
                          f"than the limit of {limits.max_input_elements:,}", kind="limit")


def _short(v) -> str:
    """A number as a worked formula shows it: two decimals, more only when needed."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = f"{v:.2f}"
    return text if float(text) != 0 else f"{v:.3g}"


def _scalar_const(c):
    return c is not None and np.ndim(c) == 0


class Elementwise(Op):
    """An op applied elementwise with numpy broadcasting; backward unbroadcasts."""

    broadcasts = True

    @classmethod
    def precheck(cls, xs, params, limits) -> None:
        """Refuse a broadcast that would make too large a result, before making it."""
        if len(xs) == 2 and (np.ndim(xs[0]) or np.ndim(xs[1])):
            _check_result_size(cls.name, np.shape(xs[0]), np.shape(xs[1]), limits)


# ---------------------------------------------------------------- binary arithmetic

@register
class Add(Elementwise):
    formula = 'd/da (a + b) = 1, d/db (a + b) = 1'
    labelled = True
    name, symbol, inputs, pattern = "add", "+", ("a", "b"), "distributor"
    doc = "a + b; the add gate distributes the upstream gradient unchanged to both inputs."

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return a + b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)

    @classmethod
    def label(cls, consts):
        a, b = consts
        if _scalar_const(b) and a is None:
            return ("+" if b >= 0 else "-") + _fmt(abs(b))
        if _scalar_const(a) and b is None:
            return ("+" if a >= 0 else "-") + _fmt(abs(a))
        return cls.symbol

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} + {args[1]}"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [grad, grad]


@register
class Sub(Elementwise):
    formula = 'd/da (a − b) = 1, d/db (a − b) = −1'
    labelled = True
    name, symbol, inputs = "sub", "−", ("a", "b")
    doc = "a - b; the upstream gradient goes to a as is and to b negated."

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        return a - b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)

    @classmethod
    def label(cls, consts):
        a, b = consts
        if _scalar_const(b) and a is None:
            return "-" + _fmt(b)
        return cls.symbol

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} - {args[1]}"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [grad, f"-{grad}"]


@register
class Mul(Elementwise):
    formula = 'd/da (a·b) = b, d/db (a·b) = a'
    labelled = True
    name, symbol, inputs, pattern = "mul", "×", ("a", "b"), "swap"
    doc = "a * b; the mul gate swaps: a's gradient is b times upstream, b's is a times upstream."

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return unbroadcast(b * grad, np.shape(a)), unbroadcast(a * grad, np.shape(b))

    @classmethod
    def label(cls, consts):
        a, b = consts
        if _scalar_const(b) and a is None:
            return "*" + _fmt(b)
        if _scalar_const(a) and b is None:
            return "*" + _fmt(a)
        return cls.symbol

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} * {args[1]}"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"{args[1]} * {grad}", f"{args[0]} * {grad}"]


@register
class Div(Elementwise):
    formula = 'd/da (a/b) = 1/b, d/db (a/b) = −a/b²'
    labelled = True
    name, symbol, inputs = "div", "÷", ("a", "b")
    doc = "a / b; local gradients 1/b and -a/b²."

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (unbroadcast(grad / b, np.shape(a)),
                unbroadcast(-grad * a / (b * b), np.shape(b)))

    @classmethod
    def label(cls, consts):
        a, b = consts
        if _scalar_const(a) and b is None:
            return _fmt(a) + "/x"
        if _scalar_const(b) and a is None:
            return "/" + _fmt(b)
        return cls.symbol

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} / {args[1]}"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        a, b = args
        return [f"{grad} / {b}", f"-{grad} * {a} / {b}**2"]


@register
class Pow(Elementwise):
    formula = 'd/da aᵖ = p·aᵖ⁻¹, d/dp aᵖ = aᵖ·ln a'
    labelled = True
    check_scalars = True
    name, symbol, inputs = "pow", "^", ("a", "p")
    doc = "a ** p; local gradient p·a^(p-1) (and a^p·ln a for the exponent, where a > 0)."

    @classmethod
    def precheck(cls, xs, params, limits) -> None:
        super().precheck(xs, params, limits)
        p = xs[1]
        biggest = abs(p) if np.ndim(p) == 0 else np.max(np.abs(p), initial=0.0)
        if not biggest <= limits.max_exponent:
            shown = _fmt(biggest) if np.isfinite(biggest) else str(biggest)
            raise EngineError(f"pow: the exponent {shown} is larger than the limit of "
                              f"{_fmt(limits.max_exponent)}", kind="limit")

    @staticmethod
    def forward(ctx, a, p):
        out = np.power(a, p)
        ctx.save_for_backward(a, p, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, p, out = ctx.saved_tensors
        da = grad * p * np.power(a, p - 1)
        positive = np.asarray(a) > 0
        dp = grad * np.where(positive, out * np.log(np.where(positive, a, 1.0)), 0.0)
        return unbroadcast(da, np.shape(a)), unbroadcast(dp, np.shape(p))

    @classmethod
    def label(cls, consts):
        a, p = consts
        if _scalar_const(p) and a is None:
            return "^" + _fmt(p)
        return cls.symbol

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} ** {args[1]}"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        a, p = args
        return [f"{grad} * {p} * {a} ** ({p} - 1)",
                f"{grad} * np.where({a} > 0, {out} * np.log(np.where({a} > 0, {a}, 1.0)), 0.0)"]


# ---------------------------------------------------------------- elementwise functions

class Unary(Elementwise):
    inputs = ("x",)

    @classmethod
    def code(cls, args, params):
        return cls.code_template.format(x=args[0])


@register
class Neg(Unary):
    formula = 'd/dx (−x) = −1'
    name, symbol = "neg", "*-1"
    doc = "-x; local gradient -1."
    code_template = "-{x}"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return (-grad,)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"-{grad}"]


@register
class Exp(Unary):
    formula = 'd/dx exp(x) = exp(x)'
    name, symbol = "exp", "exp"
    doc = "e^x; local gradient e^x, the output itself."
    code_template = "np.exp({x})"

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * out,)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"{out} * {grad}"]


@register
class Log(Unary):
    formula = 'd/dx log(x) = 1/x'
    name, symbol = "log", "log"
    doc = "Natural logarithm; local gradient 1/x."
    code_template = "np.log({x})"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad / x,)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"{grad} / {args[0]}"]


@register
class Sqrt(Unary):
    formula = 'd/dx √x = 1/(2√x)'
    name, symbol = "sqrt", "√"
    doc = "Square root; local gradient 1/(2√x)."
    code_template = "np.sqrt({x})"

    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad / (2.0 * out),)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"{grad} / (2.0 * {out})"]


@register
class Abs(Unary):
    formula = 'd/dx |x| = sign(x)'
    name, symbol = "abs", "|x|"
    doc = "Absolute value; local gradient sign(x) (0 at 0)."
    code_template = "np.abs({x})"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * np.sign(x),)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"np.sign({args[0]}) * {grad}"]


@register
class Sigmoid(Unary):
    formula = 'd/dx σ(x) = (1 - σ(x))·σ(x)'
    name, symbol = "sigmoid", "σ"
    local_formula = "(1 - σ(x))·σ(x)"
    doc = "1 / (1 + e^-x); local gradient (1 - σ(x)) σ(x)."
    code_template = "1.0 / (1.0 + np.exp(-{x}))"

    @staticmethod
    def forward(ctx, x):
        out = 1.0 / (1.0 + np.exp(-x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * (1.0 - out) * out,)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"(1.0 - {out}) * {out} * {grad}"]

    @staticmethod
    def expand(b, args, params, line, col):
        """1/(1 + exp(-x)) as the lecture draws it: *-1, exp, +1, 1/x."""
        e = b.gate("exp", [b.gate("neg", args, {}, line, col)], {}, line, col)
        d = b.gate("add", [e, b.const(1.0, line, col)], {}, line, col)
        return b.gate("div", [b.const(1.0, line, col), d], {}, line, col)

    @staticmethod
    def local_text(x, out, value) -> str:
        """The folded gate's local gradient, filled in: (1 - 0.73)·0.73 = 0.20."""
        s = _short(out)
        return f"(1 - {s})·{s} = {_short(value)}"


@register
class Tanh(Unary):
    formula = 'd/dx tanh(x) = 1 - tanh²(x)'
    name, symbol = "tanh", "tanh"
    doc = "Hyperbolic tangent; local gradient 1 - tanh²(x)."
    code_template = "np.tanh({x})"

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad * (1.0 - out * out),)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"(1.0 - {out}**2) * {grad}"]


@register
class Relu(Unary):
    formula = 'd/dx max(0, x) = 1 if x > 0 else 0'
    name, symbol, pattern = "relu", "ReLU", "router"
    doc = "max(0, x) elementwise; routes the gradient where x > 0 and blocks it elsewhere."
    code_template = "np.maximum({x}, 0.0)"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0.0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (grad * (x > 0),)

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"({args[0]} > 0) * {grad}"]


@register
class Max(Elementwise):
    formula = 'd/da max(a, b) = 1 if a ≥ b else 0, d/db max(a, b) = 1 if b > a else 0'
    name, symbol, inputs, pattern = "max", "max", ("a", "b"), "router"
    doc = ("max(a, b) elementwise; the max gate routes the whole upstream gradient to the "
           "larger input and 0 to the other.")

    # NOTE: on a tie the gradient goes to the first argument, as a subgradient must pick one.
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        first = a >= b
        return (unbroadcast(grad * first, np.shape(a)),
                unbroadcast(grad * ~first, np.shape(b)))

    @classmethod
    def code(cls, args, params):
        return f"np.maximum({args[0]}, {args[1]})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        a, b = args
        return [f"({a} >= {b}) * {grad}", f"({a} < {b}) * {grad}"]


@register
class Min(Elementwise):
    formula = 'd/da min(a, b) = 1 if a ≤ b else 0, d/db min(a, b) = 1 if b < a else 0'
    name, symbol, inputs, pattern = "min", "min", ("a", "b"), "router"
    doc = "min(a, b) elementwise; routes the upstream gradient to the smaller input."

    # NOTE: on a tie the gradient goes to the first argument.
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        first = a <= b
        return (unbroadcast(grad * first, np.shape(a)),
                unbroadcast(grad * ~first, np.shape(b)))

    @classmethod
    def code(cls, args, params):
        return f"np.minimum({args[0]}, {args[1]})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        a, b = args
        return [f"({a} <= {b}) * {grad}", f"({a} > {b}) * {grad}"]


# ---------------------------------------------------------------- reductions

def _axis(axis, ndim: int, op: str):
    """Normalise an axis parameter (None, int or tuple) against ndim."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise shape_error(f"{op}: axis {a} is out of range for a {ndim}-d value")
    return tuple(sorted(a % max(ndim, 1) for a in axes))


def _expand(grad, shape, axes, keepdims):
    """Broadcast a reduced gradient back over the reduced axes."""
    if axes is not None and not keepdims:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape).copy()


@register
class Sum(Op):
    formula = 'd/dx Σx = 1 for every element'
    name, symbol, pattern = "sum", "Σ", "distributor"
    params = {"axis": None, "keepdims": False}
    doc = "Sum over all elements (or over axis=); every element gets the upstream gradient."

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape = np.shape(x)
        ctx.axes = _axis(axis, np.ndim(x), "sum")
        ctx.keepdims = keepdims
        return np.sum(x, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return (_expand(grad, ctx.shape, ctx.axes, ctx.keepdims),)

    @classmethod
    def code(cls, args, params):
        return f"np.sum({args[0]}, axis={params.get('axis')!r}, keepdims=True)" \
            if params.get("keepdims") else f"np.sum({args[0]}, axis={params.get('axis')!r})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"expand_reduced({grad}, np.shape({args[0]}), {params.get('axis')!r}, "
                f"{bool(params.get('keepdims'))})"]


@register
class Mean(Op):
    formula = 'd/dx mean(x) = 1/n for every element'
    name, symbol = "mean", "mean"
    params = {"axis": None, "keepdims": False}
    doc = "Mean over all elements (or over axis=); each element gets upstream / count."

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape = np.shape(x)
        ctx.axes = _axis(axis, np.ndim(x), "mean")
        ctx.keepdims = keepdims
        out = np.sum(x, axis=ctx.axes, keepdims=keepdims)
        ctx.count = max(np.size(x) // max(np.size(out), 1), 1)
        return out / ctx.count

    @staticmethod
    def backward(ctx, grad):
        return (_expand(grad / ctx.count, ctx.shape, ctx.axes, ctx.keepdims),)

    @classmethod
    def code(cls, args, params):
        kd = ", keepdims=True" if params.get("keepdims") else ""
        return f"np.mean({args[0]}, axis={params.get('axis')!r}{kd})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        x = args[0]
        return [f"expand_reduced({grad}, np.shape({x}), {params.get('axis')!r}, "
                f"{bool(params.get('keepdims'))}) * (np.size({out}) / np.size({x}))"]


def _route_reduce(x, axis, keepdims, op: str, pick):
    """x reduced over ``axis`` by picking one entry (max or min), and where it is.

    The reduced axes are moved to the end and flattened, so ``where`` is the position in
    row-major order over them. NOTE: ties. argmax/argmin return the first extreme in that
    order, and only that entry receives the gradient (as in max pooling).
    """
    x = np.asarray(x)
    if x.size == 0:
        raise shape_error(f"{op}: cannot reduce an empty value")
    axes = _axis(axis, x.ndim, op)
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = tuple(a for a in range(x.ndim) if a not in axes)
    moved = np.transpose(x, kept + axes).reshape(tuple(x.shape[a] for a in kept) + (-1,))
    where = pick(moved, axis=-1)
    out = np.take_along_axis(moved, where[..., None], axis=-1)[..., 0]
    if keepdims:
        out = np.reshape(out, tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
    return out, (x.shape, kept, axes, where)


def _route_back(grad, route):
    """The upstream gradient of each reduced group to its chosen entry; 0 elsewhere."""
    shape, kept, axes, where = route
    grad = np.reshape(grad, where.shape)
    moved = np.zeros(where.shape + (math.prod(shape[a] for a in axes),))
    np.put_along_axis(moved, where[..., None], grad[..., None], axis=-1)
    moved = moved.reshape(tuple(shape[a] for a in kept) + tuple(shape[a] for a in axes))
    return np.transpose(moved, np.argsort(kept + axes))


class _RouteReduce(Op):
    pattern = "router"
    params = {"axis": None, "keepdims": False}

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False):
        out, ctx.route = _route_reduce(x, axis, keepdims, cls.call, cls.pick)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (_route_back(grad, ctx.route),)

    @classmethod
    def code(cls, args, params):
        kd = ", keepdims=True" if params.get("keepdims") else ""
        return f"np.{cls.name}({args[0]}, axis={params.get('axis')!r}{kd})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"{cls.name}_backward({grad}, {args[0]}, {params.get('axis')!r})"]


@register
class AMax(_RouteReduce):
    formula = "d/dx max(x) = 1 at the first maximum of each reduced group, 0 elsewhere"
    name, symbol, call, pick = "amax", "max", "max", staticmethod(np.argmax)
    doc = ("max(x, axis=..., keepdims=...): the largest entry over the axes (all when "
           "axis is left out); a router: the gradient goes to the first maximum in "
           "row-major order over the reduced axes, on a tie too. max(a, b) with two "
           "arguments is the elementwise gate.")


@register
class AMin(_RouteReduce):
    formula = "d/dx min(x) = 1 at the first minimum of each reduced group, 0 elsewhere"
    name, symbol, call, pick = "amin", "min", "min", staticmethod(np.argmin)
    doc = ("min(x, axis=..., keepdims=...): the smallest entry over the axes; the gradient "
           "goes to the first minimum (row-major order over the reduced axes).")


def amax_backward(grad, x, axis=None):
    """Flat code: the gradient of np.max(x, axis) routed to the first maximum."""
    return _route_back(grad, _route_reduce(x, axis, False, "max", np.argmax)[1])


def amin_backward(grad, x, axis=None):
    """Flat code: the gradient of np.min(x, axis) routed to the first minimum."""
    return _route_back(grad, _route_reduce(x, axis, False, "min", np.argmin)[1])


# ---------------------------------------------------------------- matrices and shapes

@register
class Transpose(Op):
    formula = 'dL/dx = (dL/dout) with the axes put back'
    name, symbol = "transpose", "ᵀ"
    params = {"axes": None}
    doc = ("Reverse the axes (x.T), or put them in the order axes= gives, as in "
           "transpose(x, (0, 2, 1)); the gradient is transposed back.")

    @staticmethod
    def forward(ctx, x, axes=None):
        x = np.asarray(x)
        if axes is not None:
            axes = (axes,) if isinstance(axes, int) else tuple(axes)
            if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)) or any(
                    not -x.ndim <= a < x.ndim for a in axes):
                raise shape_error(f"transpose: axes {axes} are not an order of the "
                                  f"{x.ndim} axes of a value of shape {x.shape}")
            axes = tuple(a % x.ndim for a in axes)
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        back = None if ctx.axes is None else tuple(np.argsort(ctx.axes))
        return (np.transpose(grad, back),)

    @classmethod
    def code(cls, args, params):
        axes = params.get("axes")
        return f"np.transpose({args[0]})" if axes is None else \
            f"np.transpose({args[0]}, {axes!r})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        axes = params.get("axes")
        if axes is None:
            return [f"np.transpose({grad})"]
        return [f"np.transpose({grad}, np.argsort({axes!r}))"]


def _check_matmul(op: str, sa: tuple, sb: tuple) -> None:
    if len(sa) == 0 or len(sb) == 0:
        raise shape_error(f"{op}: needs vectors or matrices, got shapes {sa} and {sb}; "
                          "use * for scalars")
    inner_a = sa[-1]
    inner_b = sb[-2] if len(sb) > 1 else sb[0]
    if inner_a != inner_b:
        raise shape_error(f"{op}: shapes {sa} and {sb} do not line up: {inner_a} != {inner_b}")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise shape_error(f"{op}: batch shapes of {sa} and {sb} do not broadcast") from None


def matmul_backward(a, b, grad):
    """Gradients of a @ b: dL/da = grad @ bᵀ and dL/db = aᵀ @ grad."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.reshape(grad, np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
                    + (a2.shape[-2], b2.shape[-1]))
    if g2.ndim > 2 and a2.ndim == 2:
        # a is shared by every batch entry: its gradient sums g_i b_iᵀ over the batch, one
        # matmul of (m, batch*n) by (batch*n, k), never a (batch, m, k) stack.
        b3 = np.broadcast_to(b2, g2.shape[:-2] + b2.shape[-2:])
        da = (np.moveaxis(g2, -2, 0).reshape(g2.shape[-2], -1)
              @ np.swapaxes(b3, -1, -2).reshape(-1, b2.shape[-2]))
    else:
        da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape)
    if g2.ndim > 2 and b2.ndim == 2:
        # likewise for a shared b: the sum of a_iᵀ g_i is Aᵀ G over the stacked rows.
        a3 = np.broadcast_to(a2, g2.shape[:-1] + a2.shape[-1:])
        db = a3.reshape(-1, a2.shape[-1]).T @ g2.reshape(-1, g2.shape[-1])
    else:
        db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
    return da.reshape(a.shape), db.reshape(b.shape)


@register
class Matmul(Op):
    formula = 'dL/da = dL/dout @ bᵀ, dL/db = aᵀ @ dL/dout'
    name, symbol, inputs = "matmul", "@", ("a", "b")
    doc = "Matrix product a @ b; dL/da = upstream @ bᵀ and dL/db = aᵀ @ upstream."

    @classmethod
    def precheck(cls, xs, params, limits) -> None:
        sa, sb = np.shape(xs[0]), np.shape(xs[1])
        _check_matmul("matmul", sa, sb)
        rows = sa[-2] if len(sa) > 1 else 1
        cols = sb[-1] if len(sb) > 1 else 1
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])  # a 2-D a may meet a batched b
        _check_result_size("matmul", batch + (rows, cols), (), limits)
        check_matmul_backward(sa, sb, limits)

    @staticmethod
    def forward(ctx, a, b):
        a, b = np.asarray(a), np.asarray(b)
        _check_matmul("matmul", a.shape, b.shape)
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return matmul_backward(a, b, np.asarray(grad))

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} @ {args[1]}"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"matmul_backward({args[0]}, {args[1]}, {grad})[0]",
                f"matmul_backward({args[0]}, {args[1]}, {grad})[1]"]


@register
class Linear(Op):
    formula = 'dL/dx = dL/dout @ W, dL/dW = (dL/dout)ᵀ @ x, dL/db = Σ dL/dout over the batch'
    name, symbol, inputs = "linear", "FC", ("x", "W", "b?")
    doc = ("Fully connected layer x @ Wᵀ + b with W shaped (out, in), as in PyTorch; "
           "x is (in,) or (N, in).")

    @staticmethod
    def forward(ctx, x, W, b=None):
        x, W = np.asarray(x), np.asarray(W)
        if W.ndim != 2:
            raise shape_error(f"linear: W must be (out, in), got shape {W.shape}")
        if x.ndim not in (1, 2):
            raise shape_error(f"linear: x must be (in,) or (N, in), got shape {x.shape}; "
                              "flatten it first")
        if x.shape[-1] != W.shape[1]:
            raise shape_error(f"linear: x of shape {x.shape} and W of shape {W.shape} do not "
                              f"line up: {x.shape[-1]} inputs != {W.shape[1]}")
        if b is not None and np.shape(b) not in ((W.shape[0],), ()):
            raise shape_error(f"linear: b must have shape ({W.shape[0]},), got {np.shape(b)}")
        ctx.save_for_backward(x, W)
        ctx.has_bias = b is not None
        ctx.b_shape = np.shape(b)
        out = x @ W.T
        return out if b is None else out + b

    @staticmethod
    def backward(ctx, grad):
        x, W = ctx.saved_tensors
        grad = np.asarray(grad)
        dx = grad @ W
        dW = np.outer(grad, x) if x.ndim == 1 else grad.T @ x
        if not ctx.has_bias:
            return dx, dW
        return dx, dW, unbroadcast(grad, ctx.b_shape)

    @classmethod
    def describe(cls, ctx, out):
        x, W = ctx.saved_tensors
        return {"params": {"weights": int(W.size), "biases": int(W.shape[0]) if ctx.has_bias else 0,
                           "total": int(W.size + (W.shape[0] if ctx.has_bias else 0))}}

    @classmethod
    def code(cls, args, params):
        return f"{args[0]} @ {args[1]}.T" + (f" + {args[2]}" if len(args) > 2 else "")

    @classmethod
    def code_backward(cls, out, grad, args, params):
        x, W = args[0], args[1]
        grads = [f"{grad} @ {W}",
                 f"(np.outer({grad}, {x}) if np.ndim({x}) == 1 else {grad}.T @ {x})"]
        if len(args) > 2:
            grads.append(f"unbroadcast({grad}, np.shape({args[2]}))")
        return grads

    @staticmethod
    def expand(b, args, params, line, col):
        """x @ Wᵀ + b."""
        y = b.gate("matmul", [args[0], b.gate("transpose", [args[1]], {}, line, col)], {},
                   line, col)
        return y if len(args) < 3 else b.gate("add", [y, args[2]], {}, line, col)


@register
class Flatten(Op):
    formula = "dL/dx = dL/dout reshaped to x's shape"
    name, symbol = "flatten", "flatten"
    doc = "Stretch to a vector; 4-D (N, C, H, W) input keeps its batch axis: (N, C·H·W)."

    @staticmethod
    def forward(ctx, x):
        x = np.asarray(x)
        ctx.shape = x.shape
        return x.reshape(x.shape[0], -1) if x.ndim == 4 else x.reshape(-1)

    @staticmethod
    def backward(ctx, grad):
        return (np.reshape(grad, ctx.shape),)

    @classmethod
    def code(cls, args, params):
        x = args[0]
        return f"({x}.reshape({x}.shape[0], -1) if np.ndim({x}) == 4 else np.reshape({x}, -1))"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"np.reshape({grad}, np.shape({args[0]}))"]


@register
class Reshape(Op):
    formula = "dL/dx = dL/dout reshaped to x's shape"
    name, symbol = "reshape", "reshape"
    params = {"shape": None}
    doc = "Reshape to shape= (one entry may be -1); the gradient is reshaped back."

    @staticmethod
    def forward(ctx, x, shape=None):
        if shape is None:
            raise value_error("reshape: give the new shape, e.g. reshape(x, (2, 3))")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        x = np.asarray(x)
        try:
            out = x.reshape(shape)
        except ValueError:
            raise shape_error(f"reshape: cannot reshape {x.shape} ({x.size} elements) "
                              f"into {shape}") from None
        ctx.shape = x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        return (np.reshape(grad, ctx.shape),)

    @classmethod
    def code(cls, args, params):
        return f"np.reshape({args[0]}, {tuple(np.atleast_1d(params['shape']).tolist())!r})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"np.reshape({grad}, np.shape({args[0]}))"]


# ---------------------------------------------------------------- softmax and losses

def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the max for stability."""
    z = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return z / np.sum(z, axis=-1, keepdims=True)


@register
class Softmax(Op):
    formula = 'dL/dx = s ⊙ (dL/ds − Σ dL/ds ⊙ s), s = softmax(x)'
    name, symbol = "softmax", "softmax"
    doc = "Softmax over the last axis; dx = s ⊙ (upstream - Σ upstream·s)."

    @staticmethod
    def forward(ctx, x):
        x = np.asarray(x)
        if x.ndim == 0:
            raise shape_error("softmax: needs a vector of scores, got a scalar")
        s = softmax(x)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return (s * (grad - np.sum(grad * s, axis=-1, keepdims=True)),)

    @classmethod
    def code(cls, args, params):
        return f"softmax({args[0]})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"{out} * ({grad} - np.sum({grad} * {out}, axis=-1, keepdims=True))"]

    @staticmethod
    def expand(b, args, params, line, col):
        """e = exp(x - max(x)); e / Σe, over the last axis."""
        e = b.gate("exp", [_shifted(b, args[0], line, col)], {}, line, col)
        total = b.gate("sum", [e], {"axis": -1, "keepdims": True}, line, col)
        return b.gate("div", [e, total], {}, line, col)


def _shifted(b, x, line, col):
    """x - max(x, axis=-1, keepdims=True): the softmax's stable shift, as gates."""
    top = b.gate("amax", [x], {"axis": -1, "keepdims": True}, line, col)
    return b.gate("sub", [x, top], {}, line, col)


def _labels(scores: np.ndarray, label, op: str) -> tuple[np.ndarray, np.ndarray]:
    """Check (C,) or (N, C) scores against integer labels; return (scores2d, labels1d)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim not in (1, 2):
        raise shape_error(f"{op}: scores must be (C,) or (N, C), got shape {scores.shape}")
    s2 = scores[None, :] if scores.ndim == 1 else scores
    y = np.atleast_1d(np.asarray(label))
    if y.shape != (s2.shape[0],):
        raise shape_error(f"{op}: {s2.shape[0]} score rows need {s2.shape[0]} labels, "
                          f"got label shape {np.shape(label)}")
    if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
        raise value_error(f"{op}: labels must be whole numbers (class indices)")
    y = y.astype(np.int64)
    if np.any(y < 0) or np.any(y >= s2.shape[1]):
        raise value_error(f"{op}: labels must be between 0 and {s2.shape[1] - 1}, got {y.tolist()}")
    return s2, y


def cross_entropy_backward(scores, label, grad):
    """dL/dscores of the mean softmax cross-entropy: (softmax - onehot) / N."""
    s2, y = _labels(scores, label, "cross_entropy")
    d = softmax(s2)
    d[np.arange(len(y)), y] -= 1.0
    return (d / len(y) * grad).reshape(np.shape(scores))


def svm_loss_backward(scores, label, grad):
    """dL/dscores of the mean multiclass hinge loss (margin 1)."""
    s2, y = _labels(scores, label, "svm_loss")
    rows = np.arange(len(y))
    margins = s2 - s2[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    d = (margins > 0).astype(np.float64)
    d[rows, y] = -d.sum(axis=1)
    return (d / len(y) * grad).reshape(np.shape(scores))


@register
class CrossEntropy(Op):
    formula = 'dL/dscores = (softmax(scores) − onehot(y))/N'
    name, symbol, inputs, no_grad = "cross_entropy", "CE", ("scores", "label"), ("label",)
    doc = ("Softmax cross-entropy loss of scores (C,) or (N, C) against integer labels, "
           "averaged over the batch.")

    @staticmethod
    def forward(ctx, scores, label):
        s2, y = _labels(scores, label, "cross_entropy")
        shifted = s2 - np.max(s2, axis=1, keepdims=True)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        ctx.save_for_backward(scores, label)
        return -np.mean(logp[np.arange(len(y)), y])

    @staticmethod
    def backward(ctx, grad):
        scores, label = ctx.saved_tensors
        return cross_entropy_backward(scores, label, grad), None

    @classmethod
    def code(cls, args, params):
        return f"cross_entropy({args[0]}, {args[1]})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"cross_entropy_backward({args[0]}, {args[1]}, {grad})", None]

    @staticmethod
    def expand(b, args, params, line, col):
        """-mean(log softmax(s) at the labels), the shift and the log-sum-exp as gates."""
        z = _shifted(b, args[0], line, col)
        total = b.gate("sum", [b.gate("exp", [z], {}, line, col)],
                       {"axis": -1, "keepdims": True}, line, col)
        logp = b.gate("sub", [z, b.gate("log", [total], {}, line, col)], {}, line, col)
        picked = b.gate("pick", [logp, args[1]], {}, line, col)
        return b.gate("neg", [b.gate("mean", [picked], {}, line, col)], {}, line, col)


@register
class SvmLoss(Op):
    formula = 'dL/ds_j = 1[s_j − s_y + 1 > 0]/N for j ≠ y, dL/ds_y = −Σ_j≠y 1[s_j − s_y + 1 > 0]/N'
    name, symbol, inputs, no_grad = "svm_loss", "SVM", ("scores", "label"), ("label",)
    doc = ("Multiclass hinge loss Σ_j≠y max(0, s_j - s_y + 1) of scores (C,) or (N, C), "
           "averaged over the batch.")

    @staticmethod
    def forward(ctx, scores, label):
        s2, y = _labels(scores, label, "svm_loss")
        rows = np.arange(len(y))
        margins = np.maximum(0.0, s2 - s2[rows, y][:, None] + 1.0)
        margins[rows, y] = 0.0
        ctx.save_for_backward(scores, label)
        return np.sum(margins) / len(y)

    @staticmethod
    def backward(ctx, grad):
        scores, label = ctx.saved_tensors
        return svm_loss_backward(scores, label, grad), None

    @classmethod
    def code(cls, args, params):
        return f"svm_loss({args[0]}, {args[1]})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"svm_loss_backward({args[0]}, {args[1]}, {grad})", None]

    @staticmethod
    def expand(b, args, params, line, col):
        """mean over rows of Σ_j max(0, s_j - s_y + 1), minus the 1 that j = y adds."""
        s, y = args
        margin = b.gate("add", [b.gate("sub", [s, b.gate("pick", [s, y], {}, line, col)], {},
                                       line, col), b.const(1.0, line, col)], {}, line, col)
        hinge = b.gate("max", [b.const(0.0, line, col), margin], {}, line, col)
        rows = b.gate("sum", [hinge], {"axis": -1, "keepdims": False}, line, col)
        loss = b.gate("mean", [rows], {}, line, col)
        return b.gate("sub", [loss, b.const(1.0, line, col)], {}, line, col)


def cross_entropy(scores, label):
    """The loss alone, for flat code."""
    return CrossEntropy.forward(Context(), np.asarray(scores), label)


def svm_loss(scores, label):
    """The loss alone, for flat code."""
    return SvmLoss.forward(Context(), np.asarray(scores), label)


def expand_reduced(grad, shape, axis, keepdims):
    """Broadcast the gradient of a sum/mean back over the axes it reduced (for flat code)."""
    return _expand(grad, shape, _axis(axis, len(shape), "sum"), keepdims)


# Helpers that flat code imports from this module.
for _op, _names in ((Matmul, ("matmul_backward",)), (Softmax, ("softmax",)),
                    (CrossEntropy, ("cross_entropy", "cross_entropy_backward")),
                    (SvmLoss, ("svm_loss", "svm_loss_backward")),
                    (Sum, ("expand_reduced",)), (Mean, ("expand_reduced",)),
                    (AMax, ("amax_backward",)), (AMin, ("amin_backward",))):
    _op.code_imports = tuple(("engine.ops", n) for n in _names)
