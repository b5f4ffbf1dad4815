"""Exact bounds on the work an op is about to do, checked before it does it.

A result's size is not the whole cost of an op: the backward pass of a broadcast matmul,
the im2col buffer of a convolution, the window copies of an overlapping pool and the
Python loops over a pool window's positions can each be far larger than the result, and
a value with a zero in its shape holds no numbers but may still need millions of Python
lists to be written out. The functions here compute those costs from shapes alone (no
array is made) and raise a limit error when one is over the evaluation's limits; the ops,
the trace driver and the input reader call them.
"""
from __future__ import annotations

import math

from engine.errors import EngineError
from engine.settings import Limits

# Window positions a pooling layer may loop over in Python (one numpy call each): a
# 64x64 window. A 1000x1000 window would be a million calls, seconds of CPU.
MAX_WINDOW_POSITIONS = 4096


def _limit(message: str, **extra) -> EngineError:
    return EngineError(message, kind="limit", **extra)


def objects(shape: tuple) -> int:
    """Python objects a value of this shape becomes as nested lists: its numbers plus
    every list. (2000000, 0) holds no number but two million empty lists."""
    lists, prefix = 1, 1
    for n in shape[:-1]:
        prefix *= n
        lists += prefix
    return math.prod(shape) + (lists if shape else 0)


def check_objects(what: str, shape: tuple, limit: int) -> None:
    """Refuse a shape whose lists and numbers are more than `limit` objects."""
    count = objects(tuple(shape))
    if count > limit:
        raise _limit(f"{what}: shape {list(shape)} would take {count:,} numbers and lists "
                     f"to write out, more than the limit of {limit:,}")


def _matmul_shapes(sa: tuple, sb: tuple) -> tuple[tuple, int, int, int, bool, bool]:
    """(batch, m, k, n, a_batched, b_batched) of a @ b, vectors promoted as numpy does."""
    a2 = (1,) + sa if len(sa) == 1 else sa
    b2 = sb + (1,) if len(sb) == 1 else sb
    batch = tuple(max(x, y) for x, y in _padded(a2[:-2], b2[:-2]))
    return batch, a2[-2], a2[-1], b2[-1], len(a2) > 2, len(b2) > 2


def _padded(sa: tuple, sb: tuple):
    n = max(len(sa), len(sb))
    return zip((1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb, strict=True)


def check_matmul_backward(sa: tuple, sb: tuple, limits: Limits) -> None:
    """The backward pass of a @ b makes dL/da before it sums over broadcast batch axes:
    batch x m x k numbers (and batch x k x n for dL/db). A (1000, 1, 1000) @ (1000, 1000)
    product has a million elements, its dL/db a thousand million before the sum.

    An operand without batch axes gets its gradient from one reshaped matmul instead
    (ops.matmul_backward), so only a partly broadcast batch is costly."""
    batch, m, k, n, a_batched, b_batched = _matmul_shapes(sa, sb)
    count = math.prod(batch)
    if not count:
        return
    costs = []
    if a_batched and math.prod(sa[:-2]) != count:
        costs.append(count * m * k)
    if b_batched and math.prod(sb[:-2]) != count:
        costs.append(count * k * n)
    worst = max(costs, default=0)
    if worst > limits.max_total_elements:
        raise _limit(f"matmul: the gradient of {tuple(sa)} @ {tuple(sb)} needs {worst:,} "
                     f"numbers before it is summed over the broadcast batch, more than the "
                     f"limit of {limits.max_total_elements:,}")


def check_conv_buffers(n: int, c: int, size: tuple, out_hw: tuple, limits: Limits) -> None:
    """im2col holds C*FH*FW numbers per output position of one image at least: a
    1000x1000 image under a 24x24 filter needs 550 million (4.4 GB)."""
    per_image = c * size[0] * size[1] * out_hw[0] * out_hw[1]
    if per_image > limits.max_total_elements:
        raise _limit(f"conv2d: a {size[0]}x{size[1]} filter over {out_hw[0]}x{out_hw[1]} "
                     f"output positions needs {per_image:,} numbers of work buffer per image, "
                     f"more than the limit of {limits.max_total_elements:,}")


def check_pool(op: str, n: int, c: int, size: tuple, stride: tuple, out_hw: tuple,
               limits: Limits) -> None:
    """Overlapping windows are copied out (every window's numbers, once per window), and
    tiled ones loop over the window's positions in Python."""
    positions = size[0] * size[1]
    if positions > MAX_WINDOW_POSITIONS:
        raise _limit(f"{op}: a {size[0]}x{size[1]} window has {positions:,} positions, more "
                     f"than the limit of {MAX_WINDOW_POSITIONS:,} (64x64)")
    if tuple(size) != tuple(stride):
        copies = n * c * out_hw[0] * out_hw[1] * positions
        if copies > limits.max_total_elements:
            raise _limit(f"{op}: {out_hw[0]}x{out_hw[1]} overlapping {size[0]}x{size[1]} "
                         f"windows per channel need {copies:,} numbers of work buffer, more "
                         f"than the limit of {limits.max_total_elements:,}")


class AnswerBudget:
    """Counts, node by node during the forward pass, the numbers and lists the trace's
    answer will carry: each value and gradient, each copy gate's gradient parts, each
    backward step's upstream and downstream gradients (a reduction's downstream is its
    input's size, not its output's). Raises once it is over `limit`."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.total = 0

    def add(self, shape: tuple, users: int, input_shapes=()) -> None:
        if self.limit is None:
            return
        own = objects(shape)
        parts = users if users > 1 else 0
        cost = own * (2 + parts)                    # value, grad, grad_parts
        if input_shapes is not None and len(input_shapes):
            cost += own + sum(objects(s) for s in input_shapes)   # upstream, downstream
        self.total += cost
        if self.total > self.limit:
            raise _limit(f"the answer would hold about {self.total:,} numbers (every node's "
                         f"value and gradient, both passes' steps), more than this server "
                         f"sends ({self.limit:,}); use smaller inputs",
                         limit="max_response_numbers", allowed=self.limit)
