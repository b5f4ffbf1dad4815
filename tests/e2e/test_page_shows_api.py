"""The page computes nothing: what it shows is the API's own answer, laid out. The conv
view's size arithmetic, parameter count, products, sums and "does not fit" picture, and
the gradient check's threshold and verdicts, are compared with the fields of the same
request answered independently. And the bugs a newcomer met stay fixed: the share box and
the Export menu can both be used after Copy link; every kind of mistake clears the old
warnings and dims the last good graph the same way."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.conftest import wait_ready
from tests.e2e.conv_pages import ConvPage, post_json
from tests.e2e.pages import GraphPage

LOOK = ("() => [document.getElementById('graph-view').classList.contains('stale'),"
        " getComputedStyle(document.querySelector('.graph-wrap')).opacity,"
        " getComputedStyle(document.querySelector('svg.graph')).pointerEvents]")


def number(text: str) -> float:
    return float(text.strip().replace("−", "-").strip("()"))


def open_conv(page, server_url, params: str) -> tuple[ConvPage, dict, int]:
    """Open the conv view; the body it sent and the API's answer to that body, asked again."""
    with page.expect_response(lambda r: r.url.endswith("/api/conv")) as info:
        conv = ConvPage(page, server_url).open(params)
    body = json.loads(info.value.request.post_data)
    status = info.value.status
    answer = info.value.json()
    if status == 200:
        assert post_json(server_url + "/api/conv", body)["output"] == answer["output"]
    return conv, answer, status


def test_conv_arithmetic_is_the_api_text(page, server_url):
    conv, api, _ = open_conv(page, server_url, "&n=7&f=3&s=2&p=1&k=2")
    strip = page.get_by_test_id("conv-arithmetic").inner_text()
    a = api["arithmetic"]
    for field in ("width", "height", "params_text", "per_filter_text", "input_text"):
        assert a[field] in strip, field
    assert a["width"] == "(7 - 3 + 2*1)/2 + 1 = 4"   # LECTURE.md: 7x7, F 3, pad 1, stride 2
    assert conv.output_shape == api["shape_text"] == "4×4×2"
    assert conv.params == str(api["params"]["total"]) == "20"


def test_products_and_sums_are_the_api_terms(page, server_url):
    _, api, _ = open_conv(page, server_url, "&n=7&f=3&k=2")
    page.get_by_test_id("conv-step-forward").click()   # output [0, 0, 0] is done
    terms = page.get_by_test_id("conv-terms")
    shown = [number(t) for t in terms.locator(".conv-prod").all_inner_texts()]
    expected = [v for row in api["terms"]["products"][0][0][0][0] for v in row]
    assert shown == pytest.approx(expected, abs=0.005)
    caption = terms.locator("caption").first.inner_text()
    assert number(caption.split("=")[-1]) == pytest.approx(api["terms"]["channel_sums"][0][0][0][0],
                                                          abs=0.005)
    result = number(page.get_by_test_id("conv-term-result").inner_text())
    assert result == pytest.approx(api["output"][0][0][0], abs=0.005)


def test_a_filter_that_does_not_fit_is_drawn_from_the_api_geometry(page, server_url):
    _, api, status = open_conv(page, server_url, "&n=7&f=3&s=3")
    assert status == 422
    detail = api["detail"][0]
    drawing = page.get_by_test_id("conv-misfit")
    # LECTURE.md: at stride 3 the windows start at columns 0, 3, 6; the last hangs 2 over
    assert drawing.get_attribute("data-starts") == ",".join(map(str, detail["geometry"]["cols"]))
    assert drawing.get_attribute("data-starts") == "0,3,6"
    assert drawing.get_attribute("data-overhang") == "2"
    assert detail["why"] in page.get_by_test_id("conv-error").inner_text()


def test_gradient_check_threshold_and_verdicts_are_the_api_fields(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    with page.expect_response(lambda r: r.url.endswith("/api/graph")) as info:
        graph.testid("tab-gradcheck").click()
    check = info.value.json()["gradcheck"]
    verdict = graph.testid("gradcheck-verdict")
    verdict.wait_for()
    threshold = re.search(r"threshold ([0-9.e+-]+)", verdict.inner_text()).group(1)
    assert float(threshold) == check["threshold"]
    for name, row in check["inputs"].items():
        cell = page.locator(f"[data-testid=gradcheck-tab] tr[data-input={name}] td").last
        assert ("✓" in cell.inner_text()) == row["passed"]


def test_share_box_and_export_menu_both_work_after_copy_link(page, server_url, tmp_path):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    link = graph.copy_link()
    assert "#g=" in link and graph.testid("share-box").is_visible()
    path = tmp_path / "graph.svg"
    graph.export("svg").save_as(path)           # the menu's items are clickable over the box
    assert ET.parse(path).getroot().tag.endswith("svg")
    assert graph.testid("share-link").input_value() == link  # and the box still holds the link
    graph.testid("share-close").click()
    assert not graph.testid("share-box").is_visible()


def test_every_kind_of_mistake_clears_warnings_and_dims_the_same(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.set_program("a = 2\nb = 3\nf = a * 4")      # b is never used: a warning
    graph.run()
    warnings = graph.testid("warnings")
    assert "b" in warnings.inner_text()
    looks = []
    mistakes = [
        ("f = a * b", {"a": "[1, 2", "b": "3"}),       # a value the editor cannot read
        ("f = (a * b", {"a": "1", "b": "3"}),          # a syntax error (the server's 422)
        ("f = a @ b", {"a": "[1, 2, 3]", "b": "[[1, 2], [3, 4]]"}),  # shapes that do not fit
    ]
    for program, inputs in mistakes:
        graph.set_program(program)
        for name, value in inputs.items():
            graph.set_input(name, value)
        graph.run()
        assert graph.error_text(), program
        assert warnings.inner_text() == "", program        # the old warnings are gone
        page.wait_for_timeout(400)  # the dimming fades in
        looks.append(page.evaluate(LOOK))
        graph.set_program("a = 2\nb = 3\nf = a * 4")
        graph.run()
        wait_ready(page)
        assert not graph.error_text()
    assert looks[0][0] is True and len({json.dumps(x) for x in looks}) == 1, looks
