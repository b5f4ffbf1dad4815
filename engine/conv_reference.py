"""Plain-loop references for convolution and pooling: one output position at a time.

The way the lecture describes the layers (CS231n's ``layers.py``), slow and obvious. Only
the tests use them, to hold the fast kernels of ``engine.conv_fast`` to account.
"""
from __future__ import annotations

import numpy as np

from engine.conv_fast import _as4, _conv_inputs, _pad
from engine.conv_shapes import pool_geometry


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
