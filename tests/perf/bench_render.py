"""Benchmark of the graph view in Chromium: generated programs of about 300 and 2,000 nodes.

Measures (1) the time from the answer of POST /api/graph to the drawn graph (layout, SVG,
first step; goal under 1 s) and the whole round trip, against the 5-node simple example
measured in the same run; (2) the time of one timeline step (keyboard → next frame painted)
walking forward through the whole graph, against the same for the simple example; (3) for
the 2,000-node program, the frame deltas (requestAnimationFrame to requestAnimationFrame)
while stepping one step per frame, and how many frames took longer than 17 ms.
Run: python tests/perf/bench_render.py   (starts its own server; needs /usr/bin/chromium)
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

if __package__ in (None, ""):     # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.live import open_page, start_server  # noqa: E402

RUNS = 5
TARGET_NODES = 300
BIG_NODES = 2000
FRAME_STEPS = 400     # steps taken one per frame on the 2,000-node graph
LONG_FRAME_MS = 17
MAX_TIMED_STEPS = 600  # steps timed one by one on each graph (the whole walk of the smaller ones)
SIMPLE = "x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z"

LAST_MEASURES = """() => {
  const mark = (name) => performance.getEntriesByName(name).at(-1).startTime;
  return {render: mark("graph:drawn") - mark("graph:response"),
          total: mark("graph:drawn") - mark("graph:request")};
}"""

# One step = a keydown on the page, then the next painted frame; resolved with the delays.
STEP_TIMES = """async (count) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
    await frame();
    times.push(performance.now() - t0);
  }
  return times;
}"""


# One step per frame: a keydown, then the next frame; resolved with the frame deltas.
STEP_FRAMES = """async (count) => {
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  let last = await frame();
  const deltas = [];
  for (let i = 0; i < count; i++) {
    document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
    const now = await frame();
    deltas.push(now - last);
    last = now;
  }
  return deltas;
}"""


def wait_ready(page, timeout_s: float = 60) -> None:
    """Poll the page's state from here (the page's CSP forbids Playwright's string polling)."""
    deadline = time.monotonic() + timeout_s
    while page.evaluate("() => document.body.dataset.state") != "ready":
        if time.monotonic() > deadline:
            raise SystemExit("the page did not get ready")
        time.sleep(0.02)


def generated_program(target_nodes: int, width: int = 12, seed: int = 0) -> str:
    """A layered network-like program: `width` inputs, then layers of `width` gates, each
    mixing two values of the layer before (so values fan out), summed into one output."""
    rng = random.Random(seed)
    lines = [f"a{i} = {rng.uniform(-1, 1):.3f}" for i in range(width)]
    prev = [f"a{i}" for i in range(width)]
    count, layer = width, 0
    while count + width + width - 1 <= target_nodes:
        layer += 1
        names = []
        for j in range(width):
            u, w = prev[j], prev[(j + rng.randint(1, 3)) % width]
            kind = rng.random()
            if kind < 0.6:
                expr = f"{u} {rng.choice(['+', '*', '-'])} {w}"
            elif kind < 0.8:
                expr = f"max({u}, {w})"
            else:
                expr = f"{rng.choice(['tanh', 'sigmoid'])}({u} + {w})"
                count += 1
            names.append(f"h{layer}_{j}")
            lines.append(f"{names[-1]} = {expr}")
            count += 1
        prev = names
    lines.append("out = " + " + ".join(prev))
    return "\n".join(lines)


def compact_program(target_nodes: int, width: int = 8, seed: int = 0) -> str:
    """A program of about `target_nodes` nodes in few characters (the server takes 20,000):
    `width` inputs, then lines of three gates each (`tanh(u * v + w)`, `max(u, v) - w`...)
    reading values of the last few lines, so the graph is deep and fans out."""
    rng = random.Random(seed)
    lines = [f"v{i} = {rng.uniform(-1, 1):.2f}" for i in range(width)]
    names = [f"v{i}" for i in range(width)]
    forms = [("tanh({}*{}+{})", 3), ("max({},{})-{}", 2), ("{}*{}+{}", 2), ("relu({}-{})*{}", 3)]
    nodes = width
    while nodes + 4 < target_nodes:
        picks = rng.sample(names[-2 * width:], 3)
        name = f"v{len(names)}"
        form, gates = rng.choice(forms)
        lines.append(f"{name}={form.format(*picks)}")
        names.append(name)
        nodes += gates
    lines.append("L=" + "+".join(names[-3:]))
    return "\n".join(lines)


def measure(page, program: str, runs: int = RUNS) -> dict:
    """Median render and round-trip times (ms) over `runs` runs, node count, step times."""
    renders, totals = [], []
    for _ in range(runs):
        page.evaluate("""(text) => {
          const area = document.querySelector('[data-testid=expression-input]');
          area.value = text;
          area.dispatchEvent(new Event('input', { bubbles: true }));
        }""", program)
        page.get_by_test_id("run-button").click()
        wait_ready(page)
        error = page.get_by_test_id("error")
        if error.is_visible():
            raise SystemExit(f"the program did not run: {error.inner_text()}")
        m = page.evaluate(LAST_MEASURES)
        renders.append(m["render"])
        totals.append(m["total"])
    nodes = int(page.get_by_test_id("graph").get_attribute("data-nodes"))
    last = int(page.get_by_test_id("scrubber").get_attribute("max"))
    page.get_by_test_id("graph").click(position={"x": 3, "y": 3})
    page.keyboard.press("Home")
    steps = page.evaluate(STEP_TIMES, min(last, MAX_TIMED_STEPS))
    return {"render": statistics.median(renders), "total": statistics.median(totals),
            "nodes": nodes, "steps": steps}


def main() -> None:
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            page = open_page(p)
            page.goto(url + "/")
            wait_ready(page)
            small = measure(page, SIMPLE)
            big = measure(page, generated_program(TARGET_NODES))
            huge = measure(page, compact_program(BIG_NODES), runs=3)
            page.get_by_test_id("graph").click(position={"x": 3, "y": 3})
            page.keyboard.press("Home")
            frames = page.evaluate(STEP_FRAMES, FRAME_STEPS)
            page.context.browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    def row(name, d):
        steps = d["steps"]
        p95 = sorted(steps)[int(0.95 * (len(steps) - 1))]
        return (f"{name:>10} {d['nodes']:>6} {d['render']:>10.1f} {d['total']:>10.1f} "
                f"{statistics.median(steps):>10.2f} {p95:>9.2f} {max(steps):>9.2f} {len(steps):>6}")

    print(f"{'graph':>10} {'nodes':>6} {'render ms':>10} {'total ms':>10} "
          f"{'step ms':>10} {'p95 step':>9} {'max step':>9} {'steps':>6}")
    print(row("simple", small))
    print(row("generated", big))
    print(row("2,000", huge))
    step_ratio = statistics.median(big["steps"]) / statistics.median(small["steps"])
    print(f"render ratio generated/simple: {big['render'] / max(small['render'], 0.1):.1f}x; "
          f"median step ratio: {step_ratio:.1f}x")
    for d in (big, huge):
        verdict = "meets" if d["render"] < 1000 else "MISSES"
        ratio = d["render"] / max(small["render"], 0.1)
        print(f"{d['nodes']}-node graph drawn in {d['render']:.0f} ms after the answer "
              f"({d['total']:.0f} ms round trip), {ratio:.0f}x the simple example: "
              f"{verdict} the 1 s goal")
    long = [f for f in frames if f > LONG_FRAME_MS]
    p95 = sorted(frames)[int(0.95 * (len(frames) - 1))]
    print(f"stepping the {huge['nodes']}-node graph one step per frame: median frame delta "
          f"{statistics.median(frames):.1f} ms, p95 {p95:.1f} ms, "
          f"{len(long)} of {len(frames)} frames over {LONG_FRAME_MS} ms")


if __name__ == "__main__":
    main()
