"""The conv view's quiz: before the layer is shown, the student predicts its output size and
one activation, and POST /api/conv/grade checks them. LECTURE.md: a 7x7 input, a 3x3 filter
and stride 2 give a 3x3 output, (7 - 3)/2 + 1 = 3."""
from __future__ import annotations

import json

from tests.e2e.conftest import wait_ready


def check(page):
    with page.expect_response(lambda r: r.url.endswith("/api/conv/grade")) as info:
        page.get_by_test_id("conv-quiz-check").click()
    page.wait_for_function("document.querySelector('[data-quiz-node=width]').dataset.verdict")
    return info.value


def field(page, name):
    return page.locator(f"[data-quiz-node={name}][data-quiz-kind=value]")


def test_predicting_7x7_3x3_stride_2_as_3x3_is_right(page, server_url):
    page.goto(server_url + "/#conv&n=7&f=3&s=2&k=1&quiz=1")
    wait_ready(page)
    assert page.get_by_test_id("conv-quiz-toggle").is_checked()
    assert not page.get_by_test_id("conv-maps").is_visible()  # the answers wait
    assert not page.get_by_test_id("conv-arithmetic").is_visible()
    for name, text in (("width", "3"), ("height", "3"), ("depth", "2")):
        page.get_by_test_id(f"conv-quiz-{name}").fill(text)
    response = check(page)
    sent = json.loads(response.request.post_data)
    assert sent["answers"] == {"width": 3, "height": 3, "depth": 2}
    assert sent["stride"] == [2, 2] and sent["size"] == [3, 3]
    results = response.json()["results"]
    assert results["width"]["correct"] and results["height"]["correct"]
    assert field(page, "width").get_attribute("data-verdict") == "right"
    assert field(page, "height").get_attribute("data-verdict") == "right"
    assert field(page, "depth").get_attribute("data-verdict") == "wrong"  # one filter: depth 1
    assert "one activation map per filter" in page.get_by_test_id("conv-quiz-messages").inner_text()
    assert not page.get_by_test_id("conv-maps").is_visible()

    page.get_by_test_id("conv-quiz-depth").fill("1")
    check(page)
    page.wait_for_function(
        "document.querySelector('[data-quiz-node=depth]').dataset.verdict === 'right'")
    assert page.get_by_test_id("conv-quiz-score").get_attribute("data-right") == "3"
    with page.expect_response(lambda r: r.url.endswith("/api/conv/grade")) as info:
        page.get_by_test_id("conv-quiz-reveal").click()
    expected = info.value.json()["results"]["activation"]["expected"]
    page.wait_for_function("document.querySelector('[data-quiz-node=activation]').dataset.revealed")
    assert isinstance(expected, float)
    assert page.get_by_test_id("conv-maps").is_visible()  # every prediction done: the layer shows
    assert "3×3×1" in page.get_by_test_id("conv-arithmetic").inner_text()
