"""Convolution and pooling layers: the ops, their shape arithmetic, fast and reference maths.

Data is (N, C, H, W) or (C, H, W); filters are (K, C, FH, FW), as in PyTorch. Each layer
has a vectorised fast path (strided window views and matmuls; no Python loop over output
positions) that the ops use, and a plain-loop reference (``*_reference``) that only the
tests use, to hold the fast path to account. The public functions ``conv2d``,
``conv2d_backward_input``, ... are what the generated "flat" code calls.

Output size, the lecture's formula: (N + 2P - F)/S + 1. When it is not a whole number the
layer "doesn't fit" and is refused with the formula worked out and nearby strides/pads
that do fit.
"""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from engine.errors import EngineError
from engine.registry import Context, Op, register, shape_error, value_error
from engine.settings import DEFAULT_LIMITS

try:    # optional: lets the batch-parallel path hold BLAS to one thread per worker
    from threadpoolctl import ThreadpoolController
except ImportError:
    ThreadpoolController = None

# Elements of the im2col buffer filled per step: small enough to stay in the L2 cache, so
# the gather, the matmul and the scatter reuse memory instead of touching fresh pages.
CHUNK_ELEMENTS = 1 << 18
# Describe a node's padded input / arg-max positions only up to this many elements.
DESCRIBE_MAX_ELEMENTS = 20_000
# Below this many gathered elements, dx comes from one transposed convolution (one gather,
# one matmul) instead of col2im's FH*FW strided adds, whose per-call cost dominates there.
TRANSPOSED_MAX_ELEMENTS = 1 << 18
# Work buffers up to this many elements are kept per thread and reused by the next call.
SCRATCH_MAX_ELEMENTS = 1 << 21
# Layers that touch at least this many elements split their batch over WORKERS threads
# (numpy releases the GIL in copies, ufuncs and matmuls). Only when threadpoolctl can hold
# BLAS to one thread per worker meanwhile: each worker's matmuls are small, and letting each
# of them use every core oversubscribes the machine and is slower than one thread.
PARALLEL_MIN_ELEMENTS = 1 << 20
WORKERS = min(4, os.cpu_count() or 1)
PARALLEL = ThreadpoolController is not None and WORKERS > 1
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


# ---------------------------------------------------------------- convolution, fast path

def _as4(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 4 else x[None]


def _pad(x4: np.ndarray, pad: tuple) -> np.ndarray:
    """Zero-pad H and W. (N, C, H, W) -> (N, C, H + 2PH, W + 2PW), C-contiguous."""
    ph, pw = pad
    if not ph and not pw:
        return np.ascontiguousarray(x4)
    n, c, h, w = x4.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x4
    return xp


def _windows(xp: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Read-only view (no copy) of every filter window: (N, C, FH, FW, H2, W2).

    Entry [n, c, a, b, i, j] is xp[n, c, i*SH + a, j*SW + b]: the same strides as
    sliding_window_view(xp, (FH, FW), axis=(2, 3))[:, :, ::SH, ::SW], built directly
    because this runs on every call and the view's own checks cost more than small layers.
    """
    (fh, fw), (sh, sw), (h2, w2) = g.size, g.stride, g.out_hw
    sn, sc, s_row, s_col = xp.strides
    return as_strided(xp, shape=(xp.shape[0], xp.shape[1], fh, fw, h2, w2),
                      strides=(sn, sc, s_row, s_col, s_row * sh, s_col * sw), writeable=False)


def _batches(lo: int, hi: int, per_image: int):
    """Split images lo..hi so that one step's im2col buffer holds about CHUNK_ELEMENTS."""
    step = max(1, min(hi - lo, CHUNK_ELEMENTS // max(per_image, 1)))
    return step, [(i, min(hi, i + step)) for i in range(lo, hi, step)]


# ---------------------------------------------------------------- batch-parallel runs

_parallel_lock = threading.Lock()
_parallel_state: dict = {"users": 0, "limiter": None, "pool": None, "pid": None,
                         "controller": None}


@contextmanager
def _one_blas_thread():
    """BLAS held to one thread while any batch-parallel run is in progress. Counted, so
    that overlapping runs from several request threads restore the setting only once."""
    state = _parallel_state
    with _parallel_lock:
        if state["users"] == 0 and ThreadpoolController is not None:
            if state["controller"] is None:
                state["controller"] = ThreadpoolController()
            state["limiter"] = state["controller"].limit(limits=1, user_api="blas")
        state["users"] += 1
    try:
        yield
    finally:
        with _parallel_lock:
            state["users"] -= 1
            if state["users"] == 0 and state["limiter"] is not None:
                state["limiter"].restore_original_limits()
                state["limiter"] = None


def _split_batch(run, n: int, work: int) -> list:
    """run(lo, hi) over images 0..n: in one go, or for a big layer in WORKERS contiguous
    parts, the first on this thread and the others on a thread pool. Each part writes its
    own slice of the results (and has its own per-thread work buffers); the return values
    come back in order."""
    if not PARALLEL or n < 2 or work < PARALLEL_MIN_ELEMENTS:
        return [run(0, n)]
    parts = min(WORKERS, n)
    bounds = [n * i // parts for i in range(parts + 1)]
    with _parallel_lock:
        # A forked process (a server worker) inherits the pool but not its threads.
        if _parallel_state["pool"] is None or _parallel_state["pid"] != os.getpid():
            _parallel_state["pool"] = ThreadPoolExecutor(WORKERS - 1, "engine-layers")
            _parallel_state["pid"] = os.getpid()
        pool = _parallel_state["pool"]
    with _one_blas_thread():
        futures = [pool.submit(run, bounds[i], bounds[i + 1]) for i in range(1, parts)]
        try:
            first = run(bounds[0], bounds[1])
        finally:
            wait(futures)           # no part may outlive the one-BLAS-thread setting
        return [first] + [f.result() for f in futures]


_scratch_store = threading.local()


def _scratch(key: str, shape: tuple) -> np.ndarray:
    """A work buffer for this thread, reused from the previous call when it is big enough.

    Fresh memory is slow here: every new page faults on first touch, which cost more than
    the arithmetic for the per-batch-step buffers. Contents are garbage; a buffer never
    leaves the function that asked for it (results are always fresh arrays).
    """
    size = math.prod(shape)
    if size > SCRATCH_MAX_ELEMENTS:
        return np.empty(shape)
    store = _scratch_store.__dict__
    buf = store.get(key)
    if buf is None or buf.size < size:
        buf = store[key] = np.empty(size)
    return buf[:size].reshape(shape)


def _cols_buffer(step: int, g: ConvGeometry, ones_row: bool) -> tuple[np.ndarray, int]:
    """im2col buffer (step, C*FH*FW [+ 1], H2*W2). The optional last row of ones carries
    the bias through the same matmul: w's extra column is b, and in backward the same row
    turns dw's matmul into db as well, saving a pass over the output for each."""
    rows = g.c * g.size[0] * g.size[1]
    cols = _scratch("cols", (step, rows + ones_row, g.out_hw[0] * g.out_hw[1]))
    if ones_row:
        cols[:, rows] = 1.0
    return cols, rows


def _gather(cols: np.ndarray, rows: int, windows: np.ndarray, n0: int, n1: int) -> None:
    """Copy the windows of images n0..n1 into the first rows of the im2col buffer."""
    m = n1 - n0
    np.copyto(cols[:m, :rows].reshape(windows[n0:n1].shape), windows[n0:n1])


def _conv_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                  g: ConvGeometry) -> np.ndarray:
    """im2col + matmul, a few images at a time. xp (N, C, Hp, Wp) -> (N, K, H2, W2)."""
    (h2, w2) = g.out_hw
    rows = g.c * g.size[0] * g.size[1]
    per_image = (rows + 1) * h2 * w2
    wb = w.reshape(g.k, rows) if b is None else np.concatenate(
        [w.reshape(g.k, rows), np.reshape(b, (g.k, 1))], axis=1)   # (K, C*FH*FW [+ 1])
    windows = _windows(xp, g)
    out = np.empty((g.n, g.k, h2 * w2))

    def run(lo: int, hi: int) -> None:
        step, batches = _batches(lo, hi, per_image)
        cols, _ = _cols_buffer(step, g, ones_row=b is not None)
        for n0, n1 in batches:
            _gather(cols, rows, windows, n0, n1)
            np.matmul(wb, cols[:n1 - n0], out=out[n0:n1])         # (m, K, H2*W2)

    _split_batch(run, g.n, g.n * per_image)
    return out.reshape(g.n, g.k, h2, w2)


def _transposed_conv(grad3: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """dx (N, C, H, W) as a convolution of the upstream gradient grad3 (N, K, H2*W2).

    Spread the gradient out by the stride (zeros between), pad it by F - 1, and slide the
    filters over it turned by 180 degrees, with C and K swapped: each padded-input position
    collects grad * w from every output whose window covered it.
    """
    (fh, fw), (sh, sw), (ph, pw), (h2, w2) = g.size, g.stride, g.pad, g.out_hw
    (h, wd), (hp, wp) = g.in_hw, g.padded_hw
    spread = _scratch("spread", (g.n, g.k, hp + fh - 1, wp + fw - 1))
    spread.fill(0.0)
    spread[:, :, fh - 1:fh - 1 + (h2 - 1) * sh + 1:sh, fw - 1:fw - 1 + (w2 - 1) * sw + 1:sw] = \
        grad3.reshape(g.n, g.k, h2, w2)
    sn, sk, s_row, s_col = spread.strides
    windows = as_strided(spread, shape=(g.n, g.k, fh, fw, hp, wp),
                         strides=(sn, sk, s_row, s_col, s_row, s_col), writeable=False)
    cols = _scratch("tcols", windows.shape)
    np.copyto(cols, windows)
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(g.c, g.k * fh * fw)
    dxp = np.matmul(flipped, cols.reshape(g.n, g.k * fh * fw, hp * wp))   # (N, C, Hp*Wp)
    return np.ascontiguousarray(dxp.reshape(g.n, g.c, hp, wp)[:, :, ph:ph + h, pw:pw + wd])


def _conv_backward(grad: np.ndarray, xp: np.ndarray, w: np.ndarray, g: ConvGeometry,
                   need_dx: bool = True, need_dw: bool = True, need_db: bool = False):
    """dx (N, C, H, W), dw (K, C, FH, FW) and db (K,) from grad (N, K, H2, W2).

    dw = sum over images of grad @ cols^T (with the ones row, its last column is db);
    dx = col2im(w^T @ grad): each filter offset's slice is added back into the padded
    input, FH*FW strided adds per batch step (small layers: _transposed_conv instead).
    """
    (fh, fw), (sh, sw), (ph, pw), (h2, w2) = g.size, g.stride, g.pad, g.out_hw
    (h, wd), (hp, wp) = g.in_hw, g.padded_hw
    need_dw = need_dw or need_db
    rows = g.c * fh * fw
    per_image = (rows + 1) * h2 * w2
    grad3 = np.ascontiguousarray(grad).reshape(g.n, g.k, h2 * w2)
    windows = _windows(xp, g)
    dx = None
    if need_dx and g.n * g.k * fh * fw * hp * wp <= TRANSPOSED_MAX_ELEMENTS:
        dx, need_dx = _transposed_conv(grad3, w, g), False
    if need_dx:
        wt = w.reshape(g.k, rows).T                               # (C*FH*FW, K)
        dx = np.empty((g.n, g.c, h, wd))

    def run(lo: int, hi: int) -> np.ndarray | None:
        """Images lo..hi: their dx slice, and their share of [dw | db]."""
        step, batches = _batches(lo, hi, per_image)
        if need_dw:
            cols, _ = _cols_buffer(step, g, ones_row=need_db)
            parts = _scratch("parts", (step, g.k, cols.shape[1]))
            dwb = np.zeros((g.k, cols.shape[1]))                  # [dw | db]
        if need_dx:
            dcols = _scratch("dcols", (step, rows, h2 * w2))
            dcols6 = dcols.reshape(step, g.c, fh, fw, h2, w2)
            dxp = _scratch("dxp", (step, g.c, hp, wp))
        for n0, n1 in batches:
            m = n1 - n0
            gm = grad3[n0:n1]                                     # (m, K, H2*W2)
            if need_dw:
                _gather(cols, rows, windows, n0, n1)
                np.matmul(gm, cols[:m].transpose(0, 2, 1), out=parts[:m])
                dwb += parts[:m].sum(axis=0)
            if need_dx:
                np.matmul(wt, gm, out=dcols[:m])                  # (m, C*FH*FW, H2*W2)
                d = dxp[:m]
                d.fill(0.0)
                for i in range(fh):
                    for j in range(fw):
                        d[:, :, i:i + (h2 - 1) * sh + 1:sh, j:j + (w2 - 1) * sw + 1:sw] += \
                            dcols6[:m, :, i, j]
                dx[n0:n1] = d[:, :, ph:ph + h, pw:pw + wd]
        return dwb if need_dw else None

    if need_dw or need_dx:
        shares = _split_batch(run, g.n, g.n * per_image)
    if not need_dw:
        return dx, None, None
    dwb = shares[0] if len(shares) == 1 else np.sum(shares, axis=0)
    return (dx, dwb[:, :rows].reshape(w.shape),
            dwb[:, rows].copy() if need_db else None)


def _conv_inputs(x, w, b, stride, pad):
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    b = None if b is None else np.asarray(b, dtype=np.float64)
    geo = conv_geometry(x.shape, w.shape, None if b is None else b.shape, stride, pad)
    return x, w, b, geo


def conv2d(x, w, b=None, stride=1, pad=0) -> np.ndarray:
    """Convolution (cross-correlation, as in every deep-learning library).

    x (N, C, H, W) or (C, H, W), w (K, C, FH, FW), b (K,) or None -> (N, K, H2, W2)
    or (K, H2, W2).
    """
    x, w, b, geo = _conv_inputs(x, w, b, stride, pad)
    out = _conv_forward(_pad(_as4(x), geo.pad), w, b, geo)
    return out.reshape(geo.out_shape)


def conv2d_backward_input(grad, x, w, stride=1, pad=0) -> np.ndarray:
    """dL/dx, shaped like x, from dL/dout."""
    x, w, _, geo = _conv_inputs(x, w, None, stride, pad)
    dx, _, _ = _conv_backward(_as4(np.asarray(grad, dtype=np.float64)),
                              _pad(_as4(x), geo.pad), w, geo, need_dw=False)
    return dx.reshape(x.shape)


def conv2d_backward_weight(grad, x, w, stride=1, pad=0) -> np.ndarray:
    """dL/dw (K, C, FH, FW) from dL/dout."""
    x, w, _, geo = _conv_inputs(x, w, None, stride, pad)
    _, dw, _ = _conv_backward(_as4(np.asarray(grad, dtype=np.float64)),
                              _pad(_as4(x), geo.pad), w, geo, need_dx=False)
    return dw


def conv2d_backward_bias(grad) -> np.ndarray:
    """dL/db (K,): the upstream gradient summed over images and positions."""
    grad = _as4(np.asarray(grad, dtype=np.float64))
    return grad.sum(axis=(0, 2, 3))


# ---------------------------------------------------------------- pooling, fast path

def _pool_windows(x4: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """View of every pooling window: (N, C, H3, W3, FH, FW)."""
    (sh, sw), (h3, w3) = g.stride, g.out_hw
    v = sliding_window_view(x4, g.size, axis=(2, 3))
    return v[:, :, :(h3 - 1) * sh + 1:sh, :(w3 - 1) * sw + 1:sw]


def _tiles(x4: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """(N, C, H3, FH, W3, FW) view of input whose windows tile it exactly."""
    n, c = x4.shape[:2]
    return np.ascontiguousarray(x4).reshape(n, c, g.out_hw[0], g.size[0], g.out_hw[1],
                                            g.size[1])


def _index_dtype(count: int):
    """The smallest type for an index over `count` candidates (bool for two)."""
    return bool if count <= 2 else (np.int8 if count < 128 else np.int32)


def _first_max(arrays: list, best: np.ndarray, index: np.ndarray) -> None:
    """best = elementwise maximum of equally shaped arrays; index = the array holding it.

    NOTE: ties. Only a strictly greater value takes over, so among equal maxima the first
    array wins; callers pass window positions in row-major order, so the gradient of a
    tied window goes to its first maximum in row-major order (as argmax picks it).
    """
    if len(arrays) == 1:
        np.copyto(best, arrays[0])
        index.fill(0)
        return
    np.greater(arrays[1], arrays[0], out=index)
    np.maximum(arrays[0], arrays[1], out=best)
    for t, a in enumerate(arrays[2:], 2):
        bigger = np.greater(a, best)
        np.maximum(best, a, out=best)
        np.putmask(index, bigger, t)


@dataclass(frozen=True)
class MaxRoute:
    """Where each pooling window's maximum is, for backward and for the page.

    Tiled windows (size == stride) keep two small index arrays (bool when there are only
    two candidates, else int): ``cols`` (N, C, H3, FH, W3),
    the winning column of every row of every window, and ``row`` (N, C, H3, W3), the row
    whose winner wins the window. Other windows keep ``flat``, the offset a*FW + b.
    """

    geo: PoolGeometry
    row: np.ndarray | None = None
    cols: np.ndarray | None = None
    flat: np.ndarray | None = None

    def offsets(self) -> np.ndarray:
        """(N, C, H3, W3): offset a*FW + b of each window's maximum inside the window."""
        if self.flat is not None:
            return self.flat
        row = self.row.astype(np.intp)
        col = np.take_along_axis(self.cols, row[:, :, :, None, :], axis=3)[:, :, :, 0]
        col = col.astype(np.intp)
        return row * self.geo.size[1] + col


def _is(index: np.ndarray, t: int) -> np.ndarray:
    """Mask of index == t; a bool index (two candidates) needs no comparison."""
    if index.dtype == bool:
        return index if t else ~index
    return index == t


def _maxpool_forward(x4: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, MaxRoute]:
    """Max of each window, (N, C, H3, W3), and where it is."""
    fh, fw = g.size
    if g.tiled:
        # First the maximum of each row of each window (over FW strided column views, a
        # contiguous (N, C, H, W3) result), then the maximum of those over the FH rows.
        n, c, h3, w3 = x4.shape[0], x4.shape[1], g.out_hw[0], g.out_hw[1]
        out = np.empty((n, c, h3, w3))
        row = np.empty((n, c, h3, w3), _index_dtype(fh))
        cols = np.empty((n, c, h3 * fh, w3), _index_dtype(fw))

        def run(lo: int, hi: int) -> None:
            part = x4[lo:hi]
            row_max = _scratch("row_max", part.shape[:3] + (w3,))
            _first_max([part[:, :, :, b::fw] for b in range(fw)], row_max, cols[lo:hi])
            by_row = row_max.reshape(hi - lo, c, h3, fh, w3)
            _first_max([by_row[:, :, :, a] for a in range(fh)], out[lo:hi], row[lo:hi])

        _split_batch(run, n, x4.size)
        return out, MaxRoute(g, row=row, cols=cols.reshape(n, c, h3, fh, w3))
    win = _pool_windows(x4, g)
    flat = win.reshape(win.shape[:4] + (fh * fw,))
    # NOTE: ties. argmax returns the first maximum in row-major window order; only that
    # position receives the gradient.
    where = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, where[..., None], axis=-1)[..., 0]
    return out, MaxRoute(g, flat=where)


def _maxpool_backward(grad4: np.ndarray, route: MaxRoute, x_shape: tuple) -> np.ndarray:
    """Route each upstream gradient to its window's arg-max (the router); 0 elsewhere."""
    g = route.geo
    (fh, fw), (sh, sw), (h3, w3) = g.size, g.stride, g.out_hw
    n, c, h, w = x_shape
    if route.flat is None:
        dx = np.empty(x_shape)              # every entry is written exactly once below
        t = dx.reshape(n, c, h3, fh, w3, fw)

        def run(lo: int, hi: int) -> None:
            for a in range(fh):
                in_row = _is(route.row[lo:hi], a)
                for b in range(fw):
                    np.multiply(grad4[lo:hi], in_row & _is(route.cols[lo:hi, :, :, a], b),
                                out=t[lo:hi, :, :, a, :, b])

        _split_batch(run, n, dx.size)
        return dx
    # Overlapping windows can share an arg-max: bincount adds their gradients.
    where = route.flat
    rows = np.arange(h3)[:, None] * sh + where // fw          # (N, C, H3, W3) input row
    cols = np.arange(w3)[None, :] * sw + where % fw           # input column
    planes = np.arange(n * c).reshape(n, c, 1, 1)
    flat = (planes * h + rows) * w + cols
    return np.bincount(flat.ravel(), weights=grad4.ravel(), minlength=n * c * h * w) \
        .reshape(x_shape)


def _avgpool_forward(x4: np.ndarray, g: PoolGeometry) -> np.ndarray:
    fh, fw = g.size
    if g.tiled:
        t = _tiles(x4, g)
        out = t[:, :, :, 0, :, 0].copy()
        for a in range(fh):
            for b in range(fw):
                if a or b:
                    out += t[:, :, :, a, :, b]
        out *= 1.0 / (fh * fw)
        return out
    return _pool_windows(x4, g).mean(axis=(4, 5))


def _avgpool_backward(grad4: np.ndarray, x_shape: tuple, g: PoolGeometry) -> np.ndarray:
    """Every input of a window gets 1/(FH*FW) of its upstream gradient."""
    (fh, fw), (sh, sw), (h3, w3) = g.size, g.stride, g.out_hw
    share = grad4 * (1.0 / (fh * fw))
    if g.tiled:
        dx = np.empty(x_shape)
        t = dx.reshape(x_shape[0], x_shape[1], h3, fh, w3, fw)
        for a in range(fh):
            for b in range(fw):
                t[:, :, :, a, :, b] = share
        return dx
    dx = np.zeros(x_shape)
    for a in range(fh):
        for b in range(fw):
            dx[:, :, a:a + (h3 - 1) * sh + 1:sh, b:b + (w3 - 1) * sw + 1:sw] += share
    return dx


def maxpool2d(x, size=2, stride=2) -> np.ndarray:
    """Max over each window, every channel on its own. (N, C, H, W) -> (N, C, H3, W3)."""
    x = np.asarray(x, dtype=np.float64)
    geo = pool_geometry("maxpool2d", x.shape, size, stride)
    return _maxpool_forward(_as4(x), geo)[0].reshape(geo.out_shape)


def maxpool2d_backward(grad, x, size=2, stride=2) -> np.ndarray:
    """dL/dx: each upstream gradient routed to its window's arg-max."""
    x = np.asarray(x, dtype=np.float64)
    geo = pool_geometry("maxpool2d", x.shape, size, stride)
    x4 = _as4(x)
    _, route = _maxpool_forward(x4, geo)
    grad4 = _as4(np.asarray(grad, dtype=np.float64))
    return _maxpool_backward(grad4, route, x4.shape).reshape(x.shape)


def avgpool2d(x, size=2, stride=2) -> np.ndarray:
    """Mean over each window, every channel on its own."""
    x = np.asarray(x, dtype=np.float64)
    geo = pool_geometry("avgpool2d", x.shape, size, stride)
    return _avgpool_forward(_as4(x), geo).reshape(geo.out_shape)


def avgpool2d_backward(grad, x, size=2, stride=2) -> np.ndarray:
    """dL/dx: each upstream gradient shared equally by its window."""
    x = np.asarray(x, dtype=np.float64)
    geo = pool_geometry("avgpool2d", x.shape, size, stride)
    grad4 = _as4(np.asarray(grad, dtype=np.float64))
    return _avgpool_backward(grad4, _as4(x).shape, geo).reshape(x.shape)


# ---------------------------------------------------------------- plain-loop references
# One output position at a time, the way the lecture describes the layers. Tests only.

def conv2d_reference(x, w, b=None, stride=1, pad=0) -> np.ndarray:
    x, w, b, geo = _conv_inputs(x, w, b, stride, pad)
    xp = _pad(_as4(x), geo.pad)
    (fh, fw), (sh, sw), (h2, w2) = geo.size, geo.stride, geo.out_hw
    out = np.zeros((geo.n, geo.k, h2, w2))
    for n in range(geo.n):
        for k in range(geo.k):
            for i in range(h2):
                for j in range(w2):
                    window = xp[n, :, i * sh:i * sh + fh, j * sw:j * sw + fw]
                    out[n, k, i, j] = np.sum(window * w[k]) + (0.0 if b is None else b[k])
    return out.reshape(geo.out_shape)


def conv2d_backward_reference(grad, x, w, stride=1, pad=0):
    """(dx, dw, db) by looping over output positions."""
    x, w, _, geo = _conv_inputs(x, w, None, stride, pad)
    xp = _pad(_as4(x), geo.pad)
    grad = _as4(np.asarray(grad, dtype=np.float64))
    (fh, fw), (sh, sw), (ph, pw), (h2, w2) = geo.size, geo.stride, geo.pad, geo.out_hw
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(geo.n):
        for k in range(geo.k):
            for i in range(h2):
                for j in range(w2):
                    rows, cols = slice(i * sh, i * sh + fh), slice(j * sw, j * sw + fw)
                    dw[k] += grad[n, k, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += grad[n, k, i, j] * w[k]
    h, wd = geo.in_hw
    dx = dxp[:, :, ph:ph + h, pw:pw + wd].reshape(x.shape)
    return dx, dw, grad.sum(axis=(0, 2, 3))


def _pool_reference(x, size, stride, op, reduce):
    x = np.asarray(x, dtype=np.float64)
    geo = pool_geometry(op, x.shape, size, stride)
    x4 = _as4(x)
    (fh, fw), (sh, sw), (h3, w3) = geo.size, geo.stride, geo.out_hw
    out = np.zeros(x4.shape[:2] + (h3, w3))
    for n in range(x4.shape[0]):
        for c in range(x4.shape[1]):
            for i in range(h3):
                for j in range(w3):
                    out[n, c, i, j] = reduce(x4[n, c, i * sh:i * sh + fh, j * sw:j * sw + fw])
    return out.reshape(geo.out_shape)


def maxpool2d_reference(x, size=2, stride=2) -> np.ndarray:
    return _pool_reference(x, size, stride, "maxpool2d", np.max)


def avgpool2d_reference(x, size=2, stride=2) -> np.ndarray:
    return _pool_reference(x, size, stride, "avgpool2d", np.mean)


def _pool_backward_reference(grad, x, size, stride, op, local):
    x = np.asarray(x, dtype=np.float64)
    geo = pool_geometry(op, x.shape, size, stride)
    x4, grad4 = _as4(x), _as4(np.asarray(grad, dtype=np.float64))
    (fh, fw), (sh, sw), (h3, w3) = geo.size, geo.stride, geo.out_hw
    dx = np.zeros_like(x4)
    for n in range(x4.shape[0]):
        for c in range(x4.shape[1]):
            for i in range(h3):
                for j in range(w3):
                    rows, cols = slice(i * sh, i * sh + fh), slice(j * sw, j * sw + fw)
                    dx[n, c, rows, cols] += grad4[n, c, i, j] * local(x4[n, c, rows, cols])
    return dx.reshape(x.shape)


def _first_max_mask(window: np.ndarray) -> np.ndarray:
    mask = np.zeros(window.size)
    mask[np.argmax(window)] = 1.0        # first maximum in row-major order
    return mask.reshape(window.shape)


def maxpool2d_backward_reference(grad, x, size=2, stride=2) -> np.ndarray:
    return _pool_backward_reference(grad, x, size, stride, "maxpool2d", _first_max_mask)


def avgpool2d_backward_reference(grad, x, size=2, stride=2) -> np.ndarray:
    return _pool_backward_reference(grad, x, size, stride, "avgpool2d",
                                    lambda win: np.full(win.shape, 1.0 / win.size))


# ---------------------------------------------------------------- the ops

def _call(name: str, args: list[str], params: dict) -> str:
    return f"{name}({', '.join(args + [f'{k}={v!r}' for k, v in params.items()])})"


@register
class Conv2d(Op):
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


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "conv2d", "conv2d_backward_input",
           "conv2d_backward_weight", "conv2d_backward_bias", "maxpool2d", "maxpool2d_backward",
           "avgpool2d", "avgpool2d_backward", "output_size", "check_fit", "fit_suggestions",
           "receptive_field", "receptive_fields", "conv_geometry", "pool_geometry",
           "shape_text"]
