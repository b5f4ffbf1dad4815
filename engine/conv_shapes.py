"""Shape arithmetic of convolution and pooling, and the teaching text that goes with it.

The lecture's output size (N + 2P - F)/S + 1, worked out as text; a window that does not
fit is refused with the formula and nearby strides/pads that do fit. ``conv_geometry`` and
``pool_geometry`` check a layer's shapes and parameters once and hold everything that
follows from them; the receptive-field helpers say which input window an output sees.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import EngineError
from engine.registry import shape_error, value_error
from engine.settings import DEFAULT_LIMITS

# How far from the given stride and pad fit_suggestions looks.
NEAR = 6

# ---------------------------------------------------------------- shape arithmetic

def _number(v: float) -> str:
    """2.333 -> '2.33', 5.0 -> '5', 2.5 -> '2.5'; never a whole number for one that is not
    (1.004 -> '1.004')."""
    if float(v).is_integer():
        return str(int(v))
    text = f"{v:.2f}"
    if float(text).is_integer():
        text = f"{v:.6f}"
    return text.rstrip("0").rstrip(".")


def output_size(n: int, f: int, stride: int = 1, pad: int = 0) -> tuple[float, str]:
    """The lecture's (N + 2P - F)/S + 1: its value and the worked formula.

    output_size(7, 3, 3) -> (2.333..., "(7 - 3 + 2*0)/3 + 1 = 2.33")
    """
    value = (n + 2 * pad - f) / stride + 1
    return value, f"({n} - {f} + 2*{pad})/{stride} + 1 = {_number(value)}"


def _short_formula(n: int, f: int, stride: int, pad: int) -> str:
    """The formula as a sentence shows it: the padding term only when there is padding."""
    value = (n + 2 * pad - f) / stride + 1
    inner = f"{n} - {f}" + (f" + 2*{pad}" if pad else "")
    return f"({inner})/{stride} + 1 = {_number(value)}"


def _fits(n: int, f: int, stride: int, pad: int) -> bool:
    span = n + 2 * pad - f
    return span >= 0 and span % stride == 0


def fit_suggestions(hw: tuple, f: tuple, stride: tuple, pad: tuple, max_pad: int,
                    count: int = 4) -> list[dict]:
    """Up to ``count`` (stride, pad) pairs near the given ones for which the window fits.

    One stride and one pad for both axes, nearest first (then less padding, then smaller
    stride); "output" is the output size (a pair when height and width differ).
    """
    found = []
    # Search a small neighbourhood only: the nearest fits are close, and the cost stays
    # bounded whatever sizes the user typed.
    for s in range(max(1, min(stride) - NEAR), max(stride) + NEAR + 1):
        for p in range(max(0, min(pad) - NEAR), min(max_pad, max(pad) + NEAR) + 1):
            if all(_fits(n, k, s, p) for n, k in zip(hw, f, strict=True)):
                sizes = [(n + 2 * p - k) // s + 1 for n, k in zip(hw, f, strict=True)]
                distance = abs(s - stride[0]) + abs(s - stride[1]) + abs(p - pad[0]) + abs(
                    p - pad[1])
                found.append((distance, p, s, sizes))
    found.sort(key=lambda t: t[:3])
    return [{"stride": s, "pad": p, "output": sz[0] if sz[0] == sz[1] else sz}
            for _, p, s, sz in found[:count]]


def check_fit(op: str, what: str, hw: tuple, f: tuple, stride: tuple, pad: tuple,
              max_pad: int = 0) -> tuple[tuple[int, int], dict]:
    """Output (H2, W2) and the worked formulas {"height", "width"}; refuse a window that
    does not fit with a shape error showing the formula and fitting alternatives."""
    formulas, sizes = {}, []
    for axis, n, k, s, p in zip(("height", "width"), hw, f, stride, pad, strict=True):
        value, formula = output_size(n, k, s, p)
        formulas[axis] = formula
        if not _fits(n, k, s, p):
            where = f"{axis} " if (hw[0] != hw[1] or f[0] != f[1]) else ""
            with_pad = f" and pad {p}" if p else ""
            raise shape_error(
                f"{op}: {f[0]}x{f[1]} {what} does not fit a {hw[0]}x{hw[1]} input with "
                f"stride {s}{with_pad}: {where}{_short_formula(n, k, s, p)}",
                formula=formula, value=round(value, 4),
                suggestions=fit_suggestions(hw, f, stride, pad, max_pad))
        sizes.append(int(value))
    return (sizes[0], sizes[1]), formulas


def receptive_field(n: int, k: int, i: int, j: int, *, size=3, stride=1, pad=0,
                    input_hw: tuple | None = None) -> dict:
    """The input window that output position (n, k, i, j) of a conv or pool layer sees.

    The rule: rows i*SH .. i*SH + FH - 1 and columns j*SW .. j*SW + FW - 1 of image n's
    padded input, across every input channel (a conv filter spans the full depth; a pool
    window stays in channel k). Ranges are half-open [start, stop). "input_rows"/"input_cols"
    subtract the padding and clip to the real input when ``input_hw`` is given.
    """
    fh, fw = _pair_value(size)
    sh, sw = _pair_value(stride)
    ph, pw = _pair_value(pad)
    r0, c0 = i * sh, j * sw
    field = {"n": n, "k": k, "top_left": [r0, c0], "rows": [r0, r0 + fh],
             "cols": [c0, c0 + fw]}
    if input_hw is not None:
        h, w = input_hw
        field["input_rows"] = [max(r0 - ph, 0), min(r0 + fh - ph, h)]
        field["input_cols"] = [max(c0 - pw, 0), min(c0 + fw - pw, w)]
    return field


def receptive_field_rule(size: tuple, stride: tuple, pad: tuple) -> dict:
    """The receptive-field rule as data, for the page (positions are computed on demand)."""
    return {"size": list(size), "stride": list(stride), "pad": list(pad),
            "rule": (f"output (n, k, i, j) sees rows i*{stride[0]} .. i*{stride[0]} + "
                     f"{size[0] - 1} and columns j*{stride[1]} .. j*{stride[1]} + {size[1] - 1} "
                     "of image n's padded input")}


def receptive_fields(out_hw: tuple, stride: tuple) -> np.ndarray:
    """(H2, W2, 2) int array: top-left [row, col] of every output's window (padded coords)."""
    rows, cols = np.indices(out_hw)
    return np.stack([rows * stride[0], cols * stride[1]], axis=-1)


def shape_text(shape: tuple) -> str:
    """A (C, H, W) volume the lecture's way, width x height x depth: '28×28×6'."""
    c, h, w = shape[-3:]
    return f"{w}×{h}×{c}"


# ---------------------------------------------------------------- parameters and geometry

def _pair_value(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def as_pair(v, op: str, key: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each at least ``minimum``, as a pair."""
    items = (v, v) if not isinstance(v, (tuple, list)) else tuple(v)
    if len(items) != 2 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                                  for i in items):
        raise value_error(f"{op}: {key} must be a whole number or a pair of them, got {v!r}")
    if any(i < minimum for i in items):
        raise value_error(f"{op}: {key} must be at least {minimum}, got {v!r}")
    return int(items[0]), int(items[1])


def _check_size(op: str, elements: int, limits=DEFAULT_LIMITS) -> None:
    if elements > limits.max_total_elements:
        raise EngineError(f"{op}: the output would have {elements:,} elements, more than the "
                          f"limit of {limits.max_total_elements:,}", kind="limit")


@dataclass(frozen=True)
class ConvGeometry:
    """Everything about one conv layer that follows from the shapes and the parameters."""

    x_shape: tuple          # as given: (N, C, H, W) or (C, H, W)
    n: int
    c: int
    k: int
    size: tuple             # (FH, FW)
    stride: tuple           # (SH, SW)
    pad: tuple              # (PH, PW)
    in_hw: tuple            # (H, W)
    out_hw: tuple           # (H2, W2)
    formula: dict           # {"height": "...", "width": "..."}

    @property
    def padded_hw(self) -> tuple:
        return self.in_hw[0] + 2 * self.pad[0], self.in_hw[1] + 2 * self.pad[1]

    @property
    def out_shape(self) -> tuple:
        shape = (self.n, self.k) + self.out_hw
        return shape if len(self.x_shape) == 4 else shape[1:]

    def params(self, has_bias: bool) -> dict:
        per = self.size[0] * self.size[1] * self.c
        weights, biases = per * self.k, self.k if has_bias else 0
        return {"weights": weights, "biases": biases, "total": weights + biases,
                "per_filter": per + (1 if has_bias else 0)}


def conv_geometry(x_shape: tuple, w_shape: tuple, b_shape: tuple | None = None,
                  stride=1, pad=0) -> ConvGeometry:
    """Check a conv layer's shapes and parameters; refuse what does not fit."""
    if len(x_shape) not in (3, 4):
        raise shape_error(f"conv2d: x must be (N, C, H, W) or (C, H, W), got shape {x_shape}")
    if len(w_shape) != 4:
        raise shape_error(f"conv2d: w must be (K, C, FH, FW), got shape {w_shape}")
    n, c, h, w = (1,) * (4 - len(x_shape)) + tuple(x_shape)
    k, wc, fh, fw = w_shape
    if wc != c:
        raise shape_error(f"conv2d: the filters w {tuple(w_shape)} have {wc} channels but the "
                          f"input x {tuple(x_shape)} has {c}; filters always extend the full "
                          "depth of the input")
    if min(k, fh, fw) < 1:
        raise shape_error(f"conv2d: w {tuple(w_shape)} has an empty axis")
    if b_shape is not None and tuple(b_shape) != (k,):
        raise shape_error(f"conv2d: b must have one bias per filter, shape ({k},), "
                          f"got {tuple(b_shape)}")
    stride = as_pair(stride, "conv2d", "stride", 1)
    pad = as_pair(pad, "conv2d", "pad", 0)
    if pad[0] >= fh or pad[1] >= fw:
        raise value_error(f"conv2d: pad {pad[0] if pad[0] == pad[1] else pad} must be smaller "
                          f"than the {fh}x{fw} filter (pad (F-1)/2 keeps the size at stride 1)")
    out_hw, formula = check_fit("conv2d", "filter", (h, w), (fh, fw), stride, pad,
                                max_pad=min(fh, fw) - 1)
    _check_size("conv2d", n * k * out_hw[0] * out_hw[1])
    return ConvGeometry(tuple(x_shape), n, c, k, (fh, fw), stride, pad, (h, w), out_hw,
                        formula)


@dataclass(frozen=True)
class PoolGeometry:
    x_shape: tuple
    size: tuple
    stride: tuple
    in_hw: tuple
    out_hw: tuple
    formula: dict

    @property
    def tiled(self) -> bool:
        """Windows side by side, no overlap and no gap: the common 2x2 stride 2 case."""
        return self.size == self.stride

    @property
    def out_shape(self) -> tuple:
        return tuple(self.x_shape[:-2]) + self.out_hw


def pool_geometry(op: str, x_shape: tuple, size=2, stride=2) -> PoolGeometry:
    if len(x_shape) not in (3, 4):
        raise shape_error(f"{op}: x must be (N, C, H, W) or (C, H, W), got shape {x_shape}")
    size = as_pair(size, op, "size", 1)
    stride = as_pair(stride, op, "stride", 1)
    out_hw, formula = check_fit(op, "window", tuple(x_shape[-2:]), size, stride, (0, 0))
    return PoolGeometry(tuple(x_shape), size, stride, tuple(x_shape[-2:]), out_hw, formula)
