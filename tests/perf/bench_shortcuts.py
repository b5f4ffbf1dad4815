"""What the engine's speed tricks (engine/shortcuts.py) buy, each against the plain way.

Run: python -m tests.perf.bench_shortcuts
- the line fast path: parsing the 10,000-gate chain with it and with ``ast`` alone;
- the finite check: the trace's check against one ``np.isfinite(v).all()`` per value.
"""
from __future__ import annotations

import numpy as np

from engine import evaluate, parser
from engine.settings import DEFAULT_LIMITS
from tests.perf.bench_engine import best_of, chain_program


def _ast_only(text, builder, registry) -> bool:
    return False


def fast_parser_gain(gates: int = 10_000) -> float:
    src = chain_program(gates)
    fast = best_of(lambda: parser.parse(src, {}, DEFAULT_LIMITS))[0]
    original = parser.fast_parse
    parser.fast_parse = _ast_only
    try:
        slow = best_of(lambda: parser.parse(src, {}, DEFAULT_LIMITS))[0]
    finally:
        parser.fast_parse = original
    print(f"parse {gates:,} gates: fast path {fast*1e3:.1f} ms, ast {slow*1e3:.1f} ms, "
          f"gain {slow / fast:.1f}x")
    return slow / fast


def finite_check_gain(gates: int = 10_000) -> float:
    trace = evaluate(chain_program(gates))
    values = [n.value for n in trace.nodes] + [n.grad for n in trace.nodes if n.grad is not None]
    ours = best_of(trace.check_finite, repeat=15)[0]
    plain = best_of(lambda: all(np.isfinite(v).all() for v in values), repeat=15)[0]
    big = np.random.default_rng(0).standard_normal(4_000_000)
    from engine.shortcuts import finite
    tensor = best_of(lambda: finite(big), repeat=15)[0]
    mask = best_of(lambda: bool(np.isfinite(big).all()), repeat=15)[0]
    print(f"finite check, {gates:,} gates: {ours*1e3:.2f} ms vs {plain*1e3:.2f} ms per value, "
          f"gain {plain / ours:.1f}x; one 4M tensor: {tensor*1e3:.2f} ms vs mask "
          f"{mask*1e3:.2f} ms, gain {mask / tensor:.1f}x")
    return plain / ours


if __name__ == "__main__":
    fast_parser_gain()
    finite_check_gain()
