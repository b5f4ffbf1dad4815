"""What each fast kernel of engine/conv_fast.py buys, against the plain alternative.

Run: python -m tests.perf.bench_kernels
Each line times one conv or pool layer (forward and backward) with a trick on and off, in
the same run; the docstrings of engine/conv_fast.py quote these ratios.
"""
from __future__ import annotations

import numpy as np

from engine import conv_fast, conv_reference
from engine.conv_shapes import pool_geometry
from tests.perf.bench_engine import best_of

RNG = np.random.default_rng(0)


def conv_pass(x, w, b, stride=1, pad=1):
    out = conv_fast.conv2d(x, w, b, stride, pad)
    g = np.ones_like(out)
    conv_fast.conv2d_backward_input(g, x, w, stride, pad)
    conv_fast.conv2d_backward_weight(g, x, w, stride, pad)


def toggled(name: str, on, off, fn, repeat: int = 5) -> float:
    """Seconds of fn with the module constant `name` at `on` and at `off`; prints the gain."""
    original = getattr(conv_fast, name)
    try:
        setattr(conv_fast, name, on)
        t_on = best_of(fn, repeat)[0]
        setattr(conv_fast, name, off)
        t_off = best_of(fn, repeat)[0]
    finally:
        setattr(conv_fast, name, original)
    print(f"{name:>24}: {t_on*1e3:8.2f} ms with, {t_off*1e3:8.2f} ms without, "
          f"gain {t_off / t_on:.2f}x")
    return t_off / t_on


def main() -> None:
    small = (RNG.standard_normal((2, 3, 8, 8)), RNG.standard_normal((4, 3, 3, 3)),
             RNG.standard_normal(4))
    mid = (RNG.standard_normal((8, 3, 32, 32)), RNG.standard_normal((16, 3, 5, 5)),
           RNG.standard_normal(16))
    big = (RNG.standard_normal((64, 16, 32, 32)), RNG.standard_normal((32, 16, 3, 3)),
           RNG.standard_normal(32))

    fast = best_of(lambda: conv_pass(*mid, pad=2), 5)[0]
    ref = best_of(lambda: (conv_reference.conv2d_reference(*mid, 1, 2),
                           conv_reference.conv2d_backward_reference(
                               np.ones((8, 16, 32, 32)), mid[0], mid[1], 1, 2)), 1)[0]
    print(f"{'vectorised vs loops':>24}: {fast*1e3:8.2f} ms vs {ref*1e3:8.2f} ms, "
          f"gain {ref / fast:.0f}x  (8x3x32x32, 16 5x5 filters)")
    toggled("CHUNK_ELEMENTS", conv_fast.CHUNK_ELEMENTS, 1 << 40, lambda: conv_pass(*big))
    toggled("TRANSPOSED_MAX_ELEMENTS", conv_fast.TRANSPOSED_MAX_ELEMENTS, 0,
            lambda: conv_pass(*small), repeat=50)
    toggled("SCRATCH_MAX_ELEMENTS", conv_fast.SCRATCH_MAX_ELEMENTS, 0, lambda: conv_pass(*big))
    toggled("PARALLEL", True, False, lambda: conv_pass(*big))

    x4 = RNG.standard_normal((64, 16, 32, 32))
    g = pool_geometry("maxpool2d", x4.shape, 2, 2)
    tiled = best_of(lambda: conv_fast._maxpool_forward(x4, g), 7)[0]

    def generic():
        win = conv_fast._pool_windows(x4, g)
        flat = win.reshape(win.shape[:4] + (4,))
        where = flat.argmax(axis=-1)
        return np.take_along_axis(flat, where[..., None], axis=-1)

    plain = best_of(generic, 7)[0]
    print(f"{'tiled max pool':>24}: {tiled*1e3:8.2f} ms vs argmax over windows "
          f"{plain*1e3:8.2f} ms, gain {plain / tiled:.2f}x")


if __name__ == "__main__":
    main()
