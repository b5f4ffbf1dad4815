"""Selecting and joining: indexing and slicing, picking each row's label, concat and stack.

Indexing follows numpy: ``x[0]``, ``x[:, 1:3]``, ``x[..., -1]``, ``x[::-1]``, integer
arrays ``W[idx]`` and pairs of them ``s[arange(N), y]``. The backward pass scatters the
upstream gradient into zeros of the input's shape, and an entry picked more than once
gets the sum of its gradients: the lecture's copy gate, so such a gate's pattern is
``adder``.
"""
from __future__ import annotations

import math

import numpy as np

from engine.errors import EngineError
from engine.ops import _labels
from engine.registry import Context, Op, register, shape_error, value_error

# ---------------------------------------------------------------- index keys
# A key is a tuple of items, one per position between the brackets:
#   ("int", i)              x[2]            ("slice", start, stop, step)   x[1:3], x[::-1]
#   ("ellipsis",)           x[..., 0]       ("newaxis",)                   x[:, None]
#   ("array", k)            x[idx]: the k-th integer tensor argument of the gate


def key_text(key: tuple, names: list[str] | None = None) -> str:
    """The key as written between brackets: ':, 1:3' (tensor k shown as names[k])."""
    parts = []
    for item in key:
        kind = item[0]
        if kind == "int":
            parts.append(str(item[1]))
        elif kind == "slice":
            start, stop, step = ("" if v is None else str(v) for v in item[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        elif kind == "ellipsis":
            parts.append("...")
        elif kind == "newaxis":
            parts.append("None")
        else:
            parts.append(names[item[1]] if names else f"i{item[1]}")
    return ", ".join(parts)


def as_indices(value, op: str = "index") -> np.ndarray:
    """An integer index array from a tensor of whole numbers."""
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        return arr.astype(np.intp, copy=False)
    if arr.dtype.kind == "b":
        raise value_error(f"{op}: boolean masks are not supported; index with whole numbers")
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise value_error(f"{op}: indices must be whole numbers, got {arr.tolist()!r}"
                          if arr.size <= 8 else f"{op}: indices must be whole numbers")
    return arr.astype(np.intp)


def numpy_key(key: tuple, arrays) -> tuple:
    items = []
    for item in key:
        kind = item[0]
        if kind == "int":
            items.append(item[1])
        elif kind == "slice":
            if item[3] == 0:
                raise value_error("index: a slice step cannot be zero")
            items.append(slice(*item[1:]))
        elif kind == "ellipsis":
            items.append(Ellipsis)
        elif kind == "newaxis":
            items.append(None)
        else:
            items.append(as_indices(arrays[item[1]]))
    return tuple(items)


def scatter_add(shape, key, grad) -> np.ndarray:
    """Zeros of ``shape`` with ``grad`` added at ``key``; repeated entries add up.

    Flat code calls it as scatter_add(np.shape(x), np.s_[:, idx], grad_out)."""
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(as_indices(k) if isinstance(k, (np.ndarray, list)) else k for k in key)
    dx = np.zeros(shape)
    if any(isinstance(k, np.ndarray) for k in key):
        np.add.at(dx, key, grad)
    else:
        dx[key] = grad
    return dx


def _indexed_dims(key: tuple, ndim: int) -> list[int]:
    """The axes of x that integers and integer arrays of the key consume."""
    cut = next((i for i, item in enumerate(key) if item[0] == "ellipsis"), len(key))
    before, after = key[:cut], key[cut + 1:]
    dims, d = [], 0
    for item in before:
        if item[0] in ("int", "array"):
            dims.append(d)
        d += item[0] != "newaxis"
    d = ndim - sum(item[0] != "newaxis" for item in after)
    for item in after:
        if item[0] in ("int", "array"):
            dims.append(d)
        d += item[0] != "newaxis"
    return [d for d in dims if 0 <= d < ndim]


def _has_repeats(key: tuple) -> bool:
    """Whether integer-array indices select some entry more than once."""
    arrays = [k for k in key if isinstance(k, np.ndarray)]
    if not arrays:
        return False
    try:
        flat = np.broadcast_arrays(*arrays)
    except ValueError:
        return False
    pairs = np.stack([a.ravel() for a in flat], axis=-1) if len(flat) > 1 else flat[0].ravel()
    return len(np.unique(pairs, axis=0)) < len(pairs)


@register
class Index(Op):
    name, symbol, inputs = "index", "[ ]", ("x", "indices*")
    no_grad = ("indices",)
    params = {"key": ()}
    by_name = False      # written x[...], never index(...)
    formula = ("dL/dx = dL/dout scattered into zeros of x's shape; an entry picked more "
               "than once gets the sum")
    doc = ("x[...] with numpy's rules: integers, slices (negative, with steps), ..., None, "
           "integer arrays and pairs of them (s[arange(N), y]). The gradient is scattered "
           "back; repeated indices add up (the copy gate, shown as an adder).")

    @classmethod
    def precheck(cls, xs, params, limits) -> None:
        """Integer arrays can make a result far larger than x (W[idx] with a long idx):
        refuse one whose size, from the shapes alone, is over the limit."""
        x, arrays = xs[0], xs[1:]
        if not arrays:
            return          # integers and slices never make a value larger
        try:
            picked = np.broadcast_shapes(*[np.shape(a) for a in arrays])
        except ValueError:
            raise shape_error(f"index: the index arrays' shapes "
                              f"{[np.shape(a) for a in arrays]} do not broadcast") from None
        size = math.prod(picked) * math.prod(np.shape(x)) // max(
            math.prod(np.shape(x)[d] for d in _indexed_dims(params["key"], np.ndim(x))), 1)
        if size > limits.max_input_elements:
            raise EngineError(f"index: the result would have about {size:,} elements, more "
                              f"than the limit of {limits.max_input_elements:,}", kind="limit")

    @staticmethod
    def forward(ctx, x, *arrays, key=()):
        x = np.asarray(x)
        k = numpy_key(key, arrays)
        try:
            out = x[k]
        except IndexError as e:
            raise shape_error(f"index [{key_text(key)}] does not fit shape {x.shape}: {e}") \
                from None
        ctx.shape, ctx.key, ctx.count = x.shape, k, len(arrays)
        ctx.repeated = _has_repeats(k)
        return np.array(out)

    @staticmethod
    def backward(ctx, grad):
        return (scatter_add(ctx.shape, ctx.key, grad),) + (None,) * ctx.count

    @classmethod
    def node_pattern(cls, ctx):
        return "adder" if ctx is not None and getattr(ctx, "repeated", False) else None

    @classmethod
    def params_data(cls, params):
        return {"key": key_text(params["key"])}

    @classmethod
    def label_of(cls, params, names):
        return f"[{key_text(params['key'], names)}]"

    @classmethod
    def code(cls, args, params):
        return f"{args[0]}[{key_text(params['key'], args[1:])}]"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        key = key_text(params["key"], args[1:])
        return [f"scatter_add(np.shape({args[0]}), np.s_[{key}], {grad})"] + \
            [None] * (len(args) - 1)


@register
class Pick(Op):
    name, symbol, inputs, no_grad = "pick", "[y]", ("x", "label"), ("label",)
    formula = "dL/dx[i, y_i] = dL/dout_i, 0 elsewhere"
    doc = ("Each row's entry at its label, as a column: x[arange(N), y] shaped (N, 1) for "
           "scores (N, C), (1,) for scores (C,). The losses use it when traced as gates.")

    @staticmethod
    def forward(ctx, x, label):
        s2, y = _labels(x, label, "pick")
        ctx.shape, ctx.rows, ctx.y = np.shape(x), np.arange(len(y)), y
        out = s2[ctx.rows, y][:, None]
        return out if np.ndim(x) == 2 else out[0]

    @staticmethod
    def backward(ctx, grad):
        dx = np.zeros((len(ctx.y), ctx.shape[-1]))
        dx[ctx.rows, ctx.y] = np.reshape(grad, -1)
        return dx.reshape(ctx.shape), None

    @classmethod
    def code(cls, args, params):
        return f"pick({args[0]}, {args[1]})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        return [f"pick_backward({grad}, {args[0]}, {args[1]})", None]


def pick(x, label):
    """Flat code: each row's entry at its label, as a column."""
    return Pick.forward(Context(), np.asarray(x), label)


def pick_backward(grad, x, label):
    """Flat code: the gradient of pick, scattered to each row's label."""
    s2, y = _labels(x, label, "pick")
    dx = np.zeros(s2.shape)
    dx[np.arange(len(y)), y] = np.reshape(grad, -1)
    return dx.reshape(np.shape(x))


# ---------------------------------------------------------------- joining

def _join_axis(xs, axis: int, op: str, extra: int) -> int:
    ndim = np.ndim(xs[0]) + extra
    if not -ndim <= axis < max(ndim, 1):
        raise shape_error(f"{op}: axis {axis} is out of range for {ndim}-d values")
    return axis % ndim


@register
class Concat(Op):
    name, symbol, inputs = "concat", "concat", ("xs*",)
    params = {"axis": 0}
    formula = "dL/dx_k = the slice of dL/dout that x_k filled"
    doc = ("concat([a, b, ...], axis=0): join along an existing axis; each input gets its "
           "slice of the gradient back.")

    @staticmethod
    def forward(ctx, *xs, axis=0):
        if np.ndim(xs[0]) == 0:
            raise shape_error("concat: needs vectors or larger; use stack for scalars")
        axis = _join_axis(xs, axis, "concat", 0)
        try:
            out = np.concatenate(xs, axis=axis)
        except ValueError as e:
            raise shape_error(f"concat: shapes {[np.shape(x) for x in xs]} do not join "
                              f"along axis {axis}: {e}") from None
        ctx.axis, ctx.sizes = axis, [np.shape(x)[axis] for x in xs]
        return out

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, np.cumsum(ctx.sizes)[:-1], axis=ctx.axis))

    @classmethod
    def code(cls, args, params):
        return f"np.concatenate([{', '.join(args)}], axis={params.get('axis', 0)!r})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        axis = params.get("axis", 0)
        sizes = "np.cumsum([" + ", ".join(f"np.shape({a})[{axis}]" for a in args) + "])[:-1]"
        return [f"np.split({grad}, {sizes}, axis={axis})[{i}]" for i in range(len(args))]


@register
class Stack(Op):
    name, symbol, inputs = "stack", "stack", ("xs*",)
    params = {"axis": 0}
    formula = "dL/dx_k = dL/dout[k] along the new axis"
    doc = "stack([a, b, ...], axis=0): join equal shapes along a new axis."

    @staticmethod
    def forward(ctx, *xs, axis=0):
        axis = _join_axis(xs, axis, "stack", 1)
        if len({np.shape(x) for x in xs}) != 1:
            raise shape_error(f"stack: needs equal shapes, got {[np.shape(x) for x in xs]}")
        ctx.axis, ctx.count = axis, len(xs)
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.take(grad, i, axis=ctx.axis) for i in range(ctx.count))

    @classmethod
    def code(cls, args, params):
        return f"np.stack([{', '.join(args)}], axis={params.get('axis', 0)!r})"

    @classmethod
    def code_backward(cls, out, grad, args, params):
        axis = params.get("axis", 0)
        return [f"np.take({grad}, {i}, axis={axis})" for i in range(len(args))]


Index.code_imports = (("engine.indexing", "scatter_add"),)
Pick.code_imports = (("engine.indexing", "pick"), ("engine.indexing", "pick_backward"))
