"""Conv view, sliding filter: stepping fills the activation maps with the API's numbers, and
an output cell's receptive field sits where stride arithmetic (done here) says it must."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conv_pages import ConvPage, post_json


def api_layer(server_url, *, size, depth=1, filters=1, f=3, stride=1, pad=0, seed=0):
    """The layer the page shows for a random input, asked of the server directly."""
    body = {"input": {"shape": [depth, size, size], "init": "randn", "seed": seed, "scale": 1.0},
            "filters": filters, "size": f, "stride": stride, "pad": pad, "seed": seed}
    return post_json(server_url + "/api/conv", body)


def test_stepping_fills_cells_in_order(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3&s=1")
    assert all(c["value"] is None for c in conv.cells())
    conv.step_forward(3)
    filled = [c["cell"] for c in conv.cells() if c["value"] is not None]
    assert filled == [(0, 0, 0), (0, 0, 1), (0, 0, 2)]
    expect(page.get_by_test_id("conv-position")).to_have_text("step 3 of 25")


def test_step_to_end_fills_every_cell_with_the_api_value(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&k=2&f=3&s=2&p=1")
    conv.step_end()
    cells = conv.cells()
    api = api_layer(server_url, size=7, filters=2, f=3, stride=2, pad=1)
    # (7 - 3 + 2)/2 + 1 = 4: two 4x4 maps.
    assert len(cells) == 2 * 4 * 4
    for c in cells:
        k, i, j = c["cell"]
        assert c["value"] == pytest.approx(api["output"][k][i][j], rel=1e-12, abs=1e-12)
    # The written-out sum for the last position ends in that same number, as printed
    # (two decimals, a minus sign for negatives).
    shown = page.get_by_test_id("conv-term-result").inner_text()
    assert float(shown.replace("−", "-")) == pytest.approx(api["output"][1][3][3], abs=0.005)


@pytest.mark.parametrize(("stride", "pad", "cell"), [(1, 0, (0, 2, 3)), (2, 1, (0, 3, 1)),
                                                     (2, 0, (1, 1, 2))])
def test_clicking_an_output_cell_shows_its_receptive_field(page, server_url, stride, pad, cell):
    conv = ConvPage(page, server_url).open(f"&n=7&k=2&f=3&s={stride}&p={pad}")
    k, i, j = cell
    conv.click_cell(k, i, j)
    field = conv.receptive_field()
    # Output (i, j) reads the window starting at (i*S, j*S) of the padded input.
    assert (field["row"], field["col"]) == (i * stride, j * stride)
    assert (field["rows"], field["cols"]) == (3, 3)
    # And the outline is drawn there on the input grid.
    assert field["box_row"] == pytest.approx(i * stride, abs=0.1)
    assert field["box_col"] == pytest.approx(j * stride, abs=0.1)
    assert field["box_rows"] == pytest.approx(3, abs=0.1)


def test_sliding_filter_screenshots(page, server_url, screenshot_dir):
    conv = ConvPage(page, server_url).open("&n=32&c=3&k=6&f=5&in=image%3Aseven")
    assert conv.output_shape == "28×28×6"
    # Pin one receptive field, then let the window run half-way through the first map.
    conv.click_cell(0, 20, 6)
    page.get_by_test_id("conv-speed").select_option("256")
    page.get_by_test_id("conv-play").click()
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=activation-map] [data-value]').length >= 350")
    page.get_by_test_id("conv-play").click()
    filled = sum(c["value"] is not None for c in conv.cells())
    assert 350 <= filled < 28 * 28
    conv.screenshot(screenshot_dir / "conv_sliding_midway.png", "conv-slide")

    conv.step_end()
    assert all(c["value"] is not None for c in conv.cells())
    conv.screenshot(screenshot_dir / "conv_stacked_maps.png", "conv-slide")
    conv.screenshot(screenshot_dir / "conv_heatmaps.png", "conv-maps")
    conv.screenshot(screenshot_dir / "conv_backward.png", "conv-backward")


def test_hovering_a_cell_shows_its_field_until_the_pointer_leaves(page, server_url):
    conv = ConvPage(page, server_url).open("&n=9&f=3&s=2")
    page.locator('[data-testid=activation-map] [data-cell="0,1,3"]').hover()
    field = conv.receptive_field()
    assert (field["row"], field["col"]) == (1 * 2, 3 * 2)
    page.get_by_test_id("conv-arithmetic").hover()
    expect(page.get_by_test_id("receptive-field")).to_have_count(0)


def test_arrow_keys_step_the_filter(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3")
    page.get_by_test_id("conv-arithmetic").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("conv-position")).to_have_text("step 2 of 25")
    page.keyboard.press("End")
    assert all(c["value"] is not None for c in conv.cells())
    page.keyboard.press("ArrowLeft")
    assert sum(c["value"] is None for c in conv.cells()) == 1
