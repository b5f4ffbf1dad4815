"""The network view trains the default ConvNet live: the loss curve gains points and
falls, the test accuracy shown passes 0.9, and pausing stops the stream and the worker."""
from __future__ import annotations

import time

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
