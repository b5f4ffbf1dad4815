"""The network view trains the default ConvNet live: the loss curve gains points and
falls, the test accuracy shown passes 0.9, and pausing stops the stream and the worker."""
from __future__ import annotations

import json
import time

import httpx

from tests.e2e.net_pages import NetPage


def test_training_streams_falling_loss_and_passes_90_percent(page, server_url):
    net = NetPage(page, server_url).open()
    assert net.testid("net-view").is_visible()
    shapes = [net.testid(f"net-layer-{i}-shape").inner_text() for i in range(5)]
    assert shapes == ["8×8×8", "8×8×8", "4×4×8", "128", "10"]   # W×H×D by hand: pad 1 keeps 8
    assert net.testid("net-parameters").inner_text().startswith("1,370 parameters")
    before = net.points()
    net.start()
    page.wait_for_function("document.querySelector('[data-testid=loss-curve]').dataset.points"
                           f" >= {before + 6}", timeout=30_000)
    page.wait_for_function("Number(document.querySelector('[data-testid=test-accuracy]')"
                           ".textContent) > 0.9", timeout=60_000)
    accuracy = net.test_accuracy()
    assert 0.9 < accuracy <= 1
    train_loss = [y for y in net.curve("loss-curve", 0) if y is not None]
    test_loss = net.curve("loss-curve", 1)
    assert len(train_loss) >= 5
    assert train_loss[-1] < 0.5 * train_loss[0] and test_loss[-1] < test_loss[0]

    net.pause()
    paused = net.status()
    points = net.points()
    time.sleep(1.0)
    later = net.status()
    assert later["state"] == "paused"
    assert later["batches"] == paused["batches"]                  # the worker stopped
    assert later["cpu_seconds"] - paused["cpu_seconds"] < 0.3
    assert net.points() == points                                 # and so did the stream


def test_one_batch_at_a_time_and_reset(page, server_url):
    net = NetPage(page, server_url).open()
    for expected in (1, 2):
        net.testid("train-step").click()
        page.wait_for_function(f"document.querySelector('[data-testid=train-status]')"
                               f".textContent.startsWith('One batch: {expected} ')")
    assert net.status()["batches"] == 2
    net.testid("train-reset").click()
    page.wait_for_function("document.querySelector('[data-testid=train-status]')"
                           ".textContent.startsWith('Reset')")
    assert net.status()["batches"] == 0


def test_a_stack_that_does_not_fit_is_explained(page, server_url):
    net = NetPage(page, server_url).open()
    # a second conv block, inserted before the flatten: 4x4x8 -> conv 3x3 pad 1 -> 4x4x8
    net.testid("net-layer-3").click()
    net.testid("net-add-type").select_option("conv")
    net.testid("net-add-layer").click()
    page.wait_for_function("document.querySelector('[data-testid=net-layer-3-shape]')"
                           "?.textContent === '4×4×8'")
    assert net.testid("net-layer-4").inner_text().startswith("flatten")
    assert net.testid("net-parameters").inner_text().startswith("1,954 parameters")
    net.testid("net-layer-3-remove").click()
    page.wait_for_function("document.querySelector('[data-testid=net-parameters]')"
                           ".textContent.startsWith('1,370')")
    net.testid("net-layer-0-stride").fill("3")
    net.testid("net-layer-0-stride").dispatch_event("change")
    error = net.testid("net-plan-error")
    error.wait_for(state="visible")
    # (8 - 3 + 2*1)/3 + 1 = 3.33: no whole number of positions
    assert "does not fit a 8x8 input with stride 3 and pad 1" in error.inner_text()
    assert "3.33" in error.inner_text()
    assert net.testid("train-start").is_disabled()
    net.testid("net-layer-0-stride").fill("1")
    net.testid("net-layer-0-stride").dispatch_event("change")
    error.wait_for(state="hidden")
    assert net.testid("train-start").is_enabled()


def test_the_event_stream_carries_progress_and_closing_it_stops_the_run(server_url):
    """Server-Sent Events over a real connection: progress points while training; a page
    that goes away (the stream closes) leaves no run computing."""
    with httpx.Client(base_url=server_url, timeout=30) as client:
        run = client.post("/api/net/runs", json={"seed": 2}).json()["run"]
        points = []
        with client.stream("GET", f"/api/net/runs/{run}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            client.post(f"/api/net/runs/{run}/control", json={"action": "start"})
            event = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "progress":
                    points.append(json.loads(line.split(":", 1)[1]))
                    if len(points) == 3:
                        break
        assert [p["batches"] for p in points] == sorted(p["batches"] for p in points)
        assert all(0 <= p["test_accuracy"] <= 1 and p["loss"] > 0 for p in points)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            gone = client.get(f"/api/net/runs/{run}")
            if gone.status_code == 422:
                break
            time.sleep(0.2)
        assert gone.status_code == 422 and "no training run" in gone.json()["detail"][0]["msg"]


def test_the_network_view_runs_under_the_content_security_policy(browser, server_url):
    """Loaded without Playwright's CSP bypass (waits use locators only): the event stream,
    the curves and the canvases need nothing the server's policy forbids."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.goto(server_url + "/#net")
    page.locator("[data-testid=layer-maps][data-source]").wait_for(timeout=60_000)
    page.get_by_test_id("train-start").click()
    page.locator("#net-root[data-training=running]").wait_for(timeout=60_000)
    page.wait_for_timeout(2_000)
    page.get_by_test_id("train-pause").click(timeout=60_000)
    page.locator("#net-root[data-training=paused]").wait_for(timeout=60_000)
    points = int(page.get_by_test_id("loss-curve").get_attribute("data-points"))
    context.close()
    assert points > 2
    assert violations == []
