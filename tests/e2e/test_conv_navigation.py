"""Conv view, navigation: reachable from the Convolution tab, its settings kept in the link
and across tab switches, and a pasted link with other settings shows that layer."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import wait_ready
from tests.e2e.conv_pages import ConvPage


def test_the_tab_opens_the_view_and_keeps_the_layer(page, server_url):
    page.goto(server_url + "/")
    wait_ready(page)
    page.get_by_test_id("tab-conv").click()
    expect(page.get_by_test_id("conv-view")).to_be_visible()
    wait_ready(page)
    conv = ConvPage(page, server_url)
    conv.set_number("stride", 2)
    assert conv.output_shape == "3×3×1"
    assert "s=2" in page.url
    page.get_by_test_id("tab-graph").click()
    expect(page.get_by_test_id("conv-view")).to_be_hidden()
    page.get_by_test_id("tab-conv").click()
    expect(page.get_by_test_id("conv-view")).to_be_visible()
    assert conv.output_shape == "3×3×1"
    assert page.get_by_test_id("conv-stride").input_value() == "2"


def test_a_new_conv_link_in_the_address_bar_shows_that_layer(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3")
    assert conv.output_shape == "5×5×1"
    page.evaluate("location.hash = '#conv&n=9&f=3&s=2&k=4'")
    page.wait_for_function(
        "document.querySelector('[data-testid=conv-output-shape]').textContent === '4×4×4'")
    wait_ready(page)
    assert page.get_by_test_id("conv-filters").input_value() == "4"
    assert conv.params == str(3 * 3 * 1 * 4 + 4)
