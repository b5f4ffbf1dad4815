"""Conv view, max pooling: the lecture's 4x4 example pools to 6, 8, 3, 4, and the backward
pass routes each upstream value to the cell that held its window's maximum."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conv_pages import ConvPage

LECTURE_INPUT = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
LECTURE_POOLED = [[6, 8], [3, 4]]


def lecture_argmax():
    """Position of each 2x2 window's maximum in the lecture's input, found by hand-rolled search."""
    spots = {}
    for i in range(2):
        for j in range(2):
            window = [(LECTURE_INPUT[r][c], (r, c))
                      for r in (2 * i, 2 * i + 1) for c in (2 * j, 2 * j + 1)]
            spots[(i, j)] = max(window, key=lambda item: item[0])[1]
    return spots


def open_pool_example(page, server_url) -> ConvPage:
    conv = ConvPage(page, server_url).open()
    example = next(ex for ex in conv.conv_examples() if ex["conv"].get("conv") is False)
    conv.pick_example(example["id"])
    return conv


def test_four_by_four_max_pool_gives_six_eight_three_four(page, server_url):
    conv = open_pool_example(page, server_url)
    expect(page.get_by_test_id("conv-pool-shape")).to_have_text("2×2×1")
    conv.step_end()
    values = {c["cell"]: c["value"] for c in conv.cells()}
    assert values == {(0, i, j): LECTURE_POOLED[i][j] for i in range(2) for j in range(2)}
    assert conv.params == "0"


def test_max_pool_routes_gradients_to_the_argmax_cells(page, server_url, screenshot_dir):
    conv = open_pool_example(page, server_url)
    assert conv.routed() == {}
    page.get_by_test_id("pool-step-forward").click()
    spots = lecture_argmax()
    assert conv.routed() == {spots[(0, 0)]: 1.0}
    # Half-way through the next step the gradient is travelling: the screenshot shows it.
    page.get_by_test_id("pool-step-forward").click()
    page.get_by_test_id("pool-speed").select_option("1")
    page.get_by_test_id("pool-play").click()
    page.wait_for_timeout(450)
    conv.screenshot(screenshot_dir / "conv_pool_backward.png", "conv-pool-routing")
    conv.pool_step_end()
    expect(page.get_by_test_id("pool-position")).to_have_text("step 4 of 4")
    # Upstream ones: each arg-max cell (1,1), (1,3), (2,0), (3,3) gets 1, no other cell anything.
    assert conv.routed() == {spot: 1.0 for spot in spots.values()}
    assert set(spots.values()) == {(1, 1), (1, 3), (2, 0), (3, 3)}
