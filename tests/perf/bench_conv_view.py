"""Benchmark of the conv view in Chromium: a 32x32x3 input with six 5x5 filters.

Measures (1) the time to render every map after the answer of POST /api/conv arrives and
the whole round trip (goal: all maps drawn in under 1 s), against a 7x7 layer measured in
the same run; (2) frame timing while the filter slides at normal speed (requestAnimationFrame
deltas), against the frame interval of the same page sitting idle; a frame counts as dropped
when its delta exceeds 1.5 idle frame intervals.
Run: python tests/perf/bench_conv_view.py   (starts its own server; needs /usr/bin/chromium)
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

if __package__ in (None, ""):     # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.live import open_page, start_server, wait_ready  # noqa: E402

BIG = "&n=32&c=3&k=6&f=5"
SMALL = "&n=7&f=3"
RUNS = 5
FRAME_SECONDS = 3.0
REPEATS = 3

WATCH_LONG_TASKS = """() => { window.__longTasks = 0;
  new PerformanceObserver((list) => { window.__longTasks += list.getEntries().length; })
    .observe({type: "longtask"}); }"""

COLLECT_FRAMES = """(seconds) => new Promise((done) => {
  const deltas = []; let last = null; const end = performance.now() + seconds * 1000;
  function tick(now) {
    if (last !== null) deltas.push(now - last);
    last = now;
    if (now < end) requestAnimationFrame(tick); else done(deltas);
  }
  requestAnimationFrame(tick);
})"""

LAST_MEASURES = """() => {
  const mark = (name) => performance.getEntriesByName(name).at(-1).startTime;
  return {render: mark("conv:drawn") - mark("conv:response"),
          total: mark("conv:drawn") - mark("conv:request")};
}"""


def render_times(page, url: str, params: str) -> dict:
    """Median render and round-trip times (ms) over RUNS seeds of one layer, and the first
    render after opening the page (every figure built from scratch)."""
    page.goto("about:blank")
    page.goto(f"{url}/#conv{params}")
    page.get_by_test_id("conv-view").wait_for()
    wait_ready(page)
    first = page.evaluate(LAST_MEASURES)
    renders, totals = [], []
    for seed in range(1, RUNS + 1):
        page.get_by_test_id("conv-seed").fill(str(seed))
        page.wait_for_function("document.body.dataset.state === 'busy'", timeout=5_000) \
            if page.evaluate("document.body.dataset.state") != "busy" else None
        wait_ready(page)
        m = page.evaluate(LAST_MEASURES)
        renders.append(m["render"])
        totals.append(m["total"])
    return {"render": statistics.median(renders), "total": statistics.median(totals),
            "worst_total": max(totals + [first["total"]]), "first": first["total"]}


def frame_stats(deltas: list[float], interval: float) -> dict:
    dropped = sum(1 for d in deltas if d > 1.5 * interval)
    return {"frames": len(deltas), "mean": statistics.fmean(deltas),
            "p95": sorted(deltas)[int(0.95 * (len(deltas) - 1))], "max": max(deltas),
            "dropped": dropped}


def frames_while_playing(page, speed: str) -> tuple[list[list[float]], int]:
    """rAF deltas of REPEATS runs while the filter slides at `speed` steps/s, and the
    number of long tasks the page ran meanwhile."""
    page.get_by_test_id("conv-step-start").click()
    page.get_by_test_id("conv-speed").select_option(speed)
    page.evaluate("window.__longTasks = 0")
    page.get_by_test_id("conv-play").click()
    runs = [page.evaluate(COLLECT_FRAMES, FRAME_SECONDS) for _ in range(REPEATS)]
    long_tasks = page.evaluate("window.__longTasks")
    page.get_by_test_id("conv-play").click()
    return runs, long_tasks


def main() -> None:
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            page = open_page(p)
            small = render_times(page, url, SMALL)
            big = render_times(page, url, BIG)
            print("render of all maps after the answer arrives (median of", RUNS, "runs)")
            print(f"  7x7x1, one 3x3 filter    : {small['render']:7.1f} ms "
                  f"(request to drawn {small['total']:.1f} ms)")
            print(f"  32x32x3, six 5x5 filters : {big['render']:7.1f} ms "
                  f"(request to drawn {big['total']:.1f} ms, worst {big['worst_total']:.1f} ms)")
            print(f"  first render on opening  : 7x7 {small['first']:.1f} ms, "
                  f"32x32x3 {big['first']:.1f} ms (request to drawn)")
            print(f"  ratio 32x32x3 / 7x7      : {big['total'] / small['total']:.2f}x")
            print(f"  ratio to the 1 s goal    : {big['worst_total'] / 1000:.2f} "
                  f"({'met' if big['worst_total'] < 1000 else 'MISSED'})")

            page.evaluate(WATCH_LONG_TASKS)
            idle = [page.evaluate(COLLECT_FRAMES, FRAME_SECONDS) for _ in range(REPEATS)]
            interval = statistics.median(idle[0])
            normal = frames_while_playing(page, "4")
            fast = frames_while_playing(page, "256")
            steps = page.get_by_test_id("conv-position").inner_text()
            page.context.browser.close()
        print(f"frame timing, {REPEATS} runs of {FRAME_SECONDS:.0f} s each "
              f"(idle frame interval {interval:.2f} ms)")
        idle_mean = statistics.fmean(d for run in idle for d in run)
        for name, (runs, long_tasks) in (("idle page", (idle, 0)),
                                         ("normal speed (4 steps/s)", normal),
                                         ("fast (256 steps/s)", fast)):
            stats = [frame_stats(run, interval) for run in runs]
            mean = statistics.fmean(d for run in runs for d in run)
            dropped = [st["dropped"] for st in stats]
            ratio = mean / idle_mean
            print(f"  {name:26s}: mean frame {mean:6.2f} ms (ratio to idle {ratio:.2f}), "
                  f"max {max(st['max'] for st in stats):6.1f} ms, dropped per run {dropped} "
                  f"(median {statistics.median(dropped):g}), page long tasks {long_tasks}")
        print(f"  animation reached: {steps}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
