"""Scalar-graph speed: a chain of alternating mul / add / relu gates through evaluate(),
side by side with micrograd (a pure-Python scalar engine) building the same chain.

Run: python tests/perf/bench_engine.py   (installs micrograd from PyPI when missing)
Goals: 10,000 gates at most 2x micrograd; 20,000 gates at most 2.2x the 10,000.
"""
from __future__ import annotations

import gc
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.setrecursionlimit(200_000)     # micrograd's topological sort recurses once per node

if importlib.util.find_spec("micrograd") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "micrograd==0.1.0"], check=True)

from micrograd.engine import Value  # noqa: E402

from engine import evaluate  # noqa: E402

MUL, ADD = 1.0001, 0.01


def chain_program(gates: int) -> str:
    """h1 = x * 1.0001, h2 = h1 + 0.01, h3 = relu(h2), ... : `gates` gates in all."""
    lines, prev = ["x = 0.5"], "x"
    for i in range(1, gates + 1):
        kind = (i - 1) % 3
        rhs = (f"{prev} * {MUL}", f"{prev} + {ADD}", f"relu({prev})")[kind]
        lines.append(f"h{i} = {rhs}")
        prev = f"h{i}"
    return "\n".join(lines)


def micrograd_chain(gates: int) -> float:
    x = Value(0.5)
    h = x
    for i in range(gates):
        kind = i % 3
        h = h * MUL if kind == 0 else h + ADD if kind == 1 else h.relu()
    h.backward()
    return x.grad


def best_of(fn, repeat: int = 7) -> tuple[float, float]:
    """(min, median) seconds of fn(); each run starts with no garbage left by the last
    (the same for both engines; the collector stays on, as a user's program has it)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> int:
    results = {}
    for gates in (10_000, 20_000):
        src = chain_program(gates)
        trace = evaluate(src)
        assert abs(trace.gradients["x"] - micrograd_chain(gates)) < 1e-9, "engines disagree"
        ours = best_of(lambda s=src: evaluate(s))
        ref = best_of(lambda g=gates: micrograd_chain(g))
        results[gates] = ours
        print(f"{gates:>6} gates: evaluate min {ours[0]*1e3:7.1f} ms (median {ours[1]*1e3:.1f})"
              f"  micrograd min {ref[0]*1e3:7.1f} ms (median {ref[1]*1e3:.1f})"
              f"  ratio {ours[0]/ref[0]:.2f}x (median {ours[1]/ref[1]:.2f}x)")
        if gates == 10_000:
            ratio10 = ours[0] / ref[0]
    linear = results[20_000][0] / results[10_000][0]
    print(f"20,000 / 10,000 gates: {linear:.2f}x  (goal <= 2.2)")
    print(f"10,000 gates vs micrograd: {ratio10:.2f}x  (goal <= 2.0)")
    return 0 if ratio10 <= 2.0 and linear <= 2.2 else 1


if __name__ == "__main__":
    sys.exit(main())
