"""Inside the network for one image: every layer's maps and gradients drawn; a conv map
opens the conv view on that layer (its real input and filters); an output unit opens the
graph view on its dot product, with the numbers of the API."""
from __future__ import annotations

import json

import pytest

from tests.e2e.net_pages import NetPage
from tests.e2e.pages import GraphPage

LAYERS = 5       # conv, relu, pool, flatten, fc (the loss has no maps)


def train_a_little(net: NetPage) -> None:
    for expected in range(1, 4):
        net.testid("train-step").click()
        net.page.wait_for_function(f"document.querySelector('[data-testid=train-status]')"
                                   f".textContent.startsWith('One batch: {expected} ')")


def test_every_layer_has_maps_and_gradients_for_a_chosen_image(page, server_url):
    net = NetPage(page, server_url).open()
    net.testid("net-image-3").click()
    net.wait_maps("test image 3")
    maps = net.testid("layer-maps")
    for i in range(LAYERS):
        row = net.testid(f"net-maps-{i}")
        assert row.is_visible()
        assert row.locator("[data-testid^=layer-grad-]").count() >= 1
    for i in range(3):                                   # 8 maps of 8x8 or 4x4 each
        assert maps.locator(f"canvas[data-testid^=layer-map-{i}-]").count() == 8
        assert maps.locator(f"canvas[data-testid^=layer-grad-{i}-]").count() == 8
    assert maps.locator("[data-testid^=neuron-4-]").count() == 10
    probs = [float(net.testid(f"prob-{k}").inner_text().split()[-1].rstrip("%"))
             for k in range(10)]
    assert sum(probs) == pytest.approx(100, abs=0.5)
    # the drawn canvases are not blank
    assert page.evaluate("""() => { const c = document.querySelector(
        '[data-testid=layer-map-0-0]'); const d = c.getContext('2d')
        .getImageData(0, 0, c.width, c.height).data; return new Set(d).size > 2; }""")


def test_a_drawn_digit_is_classified(page, server_url):
    net = NetPage(page, server_url).open()
    pad = net.testid("draw-pad").bounding_box()
    page.mouse.move(pad["x"] + pad["width"] * 0.55, pad["y"] + pad["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(pad["x"] + pad["width"] * 0.55, pad["y"] + pad["height"] * 0.9, steps=12)
    page.mouse.up()
    net.wait_maps("drawn")
    assert "the network reads it as a" in net.testid("layer-maps").inner_text()


def test_clicking_a_map_opens_the_conv_view_on_that_layer(page, server_url):
    net = NetPage(page, server_url).open()
    train_a_little(net)
    net.testid("net-image-5").click()
    net.wait_maps("test image 5")
    run = net.run
    with page.expect_response(lambda r: r.url.endswith(f"/api/net/runs/{run}/conv")) as got, \
            page.expect_request(lambda r: r.url.endswith("/api/conv")
                                and "weights" in (r.post_data or "")) as sent:
        net.testid("layer-map-1-2").click()
    link = got.value.json()["conv"]
    body = json.loads(sent.value.post_data)
    page.wait_for_function("location.hash.startsWith('#conv') && "
                           "location.hash.includes('ex=net-layer-0')")
    assert page.get_by_test_id("conv-view").is_visible()
    assert body["input"] == link["input"] and body["weights"] == link["weights"]
    assert body["bias"] == link["bias"] and body["relu"] is True
    assert body["pool"]["size"] in (2, [2, 2])
    page.wait_for_function("document.body.dataset.state === 'ready'")
    assert "8×8×8" in page.get_by_test_id("conv-arithmetic").inner_text()


def test_clicking_an_output_unit_opens_the_graph_view_with_the_apis_numbers(page, server_url):
    net = NetPage(page, server_url).open()
    train_a_little(net)
    net.testid("net-image-7").click()
    net.wait_maps("test image 7")
    shown = net.testid("neuron-4-6").get_attribute("title")
    with page.expect_response(lambda r: r.url.endswith(f"/api/net/runs/{net.run}/neuron")) as got:
        net.testid("neuron-4-6").click()
    neuron = got.value.json()
    graph = GraphPage(page, server_url)
    page.wait_for_function("location.hash.startsWith('#g=')")
    graph.wait_ready()
    assert graph.error_text() == ""
    page.wait_for_function("() => !!document.querySelector(\"[data-node-name='s'][data-value]\")")
    assert graph.value("s") == pytest.approx(neuron["value"], rel=1e-12)
    assert graph.value("b") == pytest.approx(neuron["inputs"]["b"], rel=1e-15)
    assert shown.startswith(f"unit 6: {neuron['value']}"[:14])
    inspected = page.request.post(f"{server_url}/api/net/runs/{net.run}/inspect",
                                  data={"image": {"split": "test", "index": 7}}).json()
    assert neuron["value"] == pytest.approx(inspected["scores"][6], rel=1e-12)
