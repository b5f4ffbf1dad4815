"""Conv view, heatmaps: the Plotly figures hold exactly the API's activation maps and
gradients (input, filters), with the map, row and column on hover; random upstream works."""
from __future__ import annotations

import json

import pytest

from tests.e2e.conv_pages import ConvPage, post_json


def figure_values(page, testid: str) -> list[float]:
    """Every number drawn in one heatmap figure (its mosaic, gaps left out), sorted."""
    values = page.evaluate(
        """(id) => document.querySelector(`[data-testid=${id}]`).data[0].z.flat()
             .filter((v) => v !== null)""", testid)
    return sorted(values)


def flat(nested) -> list[float]:
    if isinstance(nested, list):
        return [v for item in nested for v in flat(item)]
    return [nested]


@pytest.mark.parametrize("upstream", ["ones", "random"])
def test_heatmaps_hold_the_api_maps_and_gradients(page, server_url, upstream):
    params = "&n=8&c=2&k=3&f=3&p=1" + ("&up=random" if upstream == "random" else "")
    conv = ConvPage(page, server_url).open(params)
    api = post_json(server_url + "/api/conv", {
        "input": {"shape": [2, 8, 8], "init": "randn", "seed": 0, "scale": 1.0},
        "filters": 3, "size": 3, "pad": 1, "seed": 0, "upstream": upstream})
    assert conv.output_shape == "8×8×3"
    expected = {
        "conv-heatmaps": api["output"], "conv-upstream-heatmaps": api["upstream"],
        "conv-grad-input": api["grad_input"], "conv-grad-weights": api["grad_weights"],
    }
    for testid, values in expected.items():
        assert figure_values(page, testid) == pytest.approx(sorted(flat(values))), testid
    if upstream == "random":
        assert len(set(flat(api["upstream"]))) > 1
    bias = page.get_by_test_id("conv-grad-bias").inner_text()
    assert bias.startswith("dL/db = [")


def test_heatmap_hover_names_map_row_and_column(page, server_url):
    ConvPage(page, server_url).open("&n=7&k=2&f=3")
    text = page.evaluate(
        "() => document.querySelector('[data-testid=conv-heatmaps]').data[0].text.flat()")
    labels = [t for t in text if t]
    assert len(labels) == 2 * 5 * 5
    # maps, rows and columns are numbered from 0 everywhere, as the API's arrays index them
    assert any(t.startswith("map 1<br>row 4, col 0<br>") for t in labels)


def test_relu_and_pool_figures_hold_the_api_numbers(page, server_url):
    conv = ConvPage(page, server_url).open()
    example = next(ex for ex in conv.conv_examples()
                   if ex["conv"].get("relu") and ex["conv"].get("pool")
                   and ex["conv"].get("conv", True))
    with page.expect_request(lambda r: r.url.endswith("/api/conv")) as sent:
        conv.pick_example(example["id"])
    # what the page asked for (the preset with its picture), answered again independently
    api = post_json(server_url + "/api/conv", json.loads(sent.value.post_data))
    assert figure_values(page, "conv-relu-heatmaps") == pytest.approx(sorted(flat(api["relu"])))
    shown = min(len(api["relu"]), 6)
    pool_panels = flat(api["relu"][:shown]) + flat(api["pool"]["output"][:shown])
    assert figure_values(page, "conv-pool-heatmaps") == pytest.approx(sorted(pool_panels))
    assert figure_values(page, "conv-grad-output") == pytest.approx(
        sorted(flat(api["grad_conv_output"])))
    # The router: after the last step every arg-max cell of map 1 holds its routed gradient.
    conv.pool_step_end()
    routed = conv.routed()
    for row in api["pool"]["argmax"][0]:
        for r, c in row:
            assert routed[(r, c)] == pytest.approx(api["pool"]["grad_input"][0][r][c])
    assert len(routed) == len({(r, c) for row in api["pool"]["argmax"][0] for r, c in row})
