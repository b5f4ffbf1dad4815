"""Conv view, arithmetic panel: output sizes, "does not fit", padding and parameter counts.

Expected numbers are the lecture's (LECTURE.md section 7), not the code's.
"""
from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.e2e.conftest import wait_ready
from tests.e2e.conv_pages import ConvPage


def test_seven_by_seven_with_three_by_three_at_strides_one_two_three(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3&s=1&p=0")
    assert conv.output_shape == "5×5×1"
    expect(conv.error).to_be_hidden()

    conv.set_number("stride", 2)
    assert conv.output_shape == "3×3×1"
    expect(conv.error).to_be_hidden()

    conv.set_number("stride", 3)
    expect(conv.error).to_be_visible()
    expect(conv.error).to_contain_text("2.33")
    expect(conv.error).to_contain_text("not fit")
    # The animation is off while the layer does not fit.
    expect(page.get_by_test_id("conv-play")).to_be_disabled()
    expect(page.get_by_test_id("conv-step-forward")).to_be_disabled()


def test_a_suggestion_makes_the_layer_fit_again(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3&s=3")
    expect(conv.error).to_be_visible()
    suggestions = page.get_by_test_id("conv-suggestion")
    assert suggestions.count() >= 1
    suggestions.first.click()
    page.wait_for_function("document.body.dataset.state === 'ready'")
    expect(conv.error).to_be_hidden()
    expect(page.get_by_test_id("conv-play")).to_be_enabled()
    # Whatever stride/pad it chose, (7 - 3 + 2P)/S + 1 is now a whole number.
    stride = int(page.get_by_test_id("conv-stride").input_value())
    pad = int(page.get_by_test_id("conv-pad").input_value())
    assert (7 - 3 + 2 * pad) % stride == 0
    side = (7 - 3 + 2 * pad) // stride + 1
    assert conv.output_shape == f"{side}×{side}×1"


def test_pad_one_with_stride_one_keeps_seven_by_seven(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3&s=1&p=0")
    conv.set_number("pad", 1)
    assert conv.output_shape == "7×7×1"
    expect(conv.error).to_be_hidden()


def test_ten_filter_example_has_760_parameters(page, server_url):
    conv = ConvPage(page, server_url).open()
    # The lecture's example: 32x32x3 input, ten 5x5 filters, stride 1, pad 2.
    example = next(ex for ex in conv.conv_examples()
                   if ex["conv"].get("filters") == 10 and ex["conv"].get("pad") == 2)
    conv.pick_example(example["id"])
    assert conv.output_shape == "32×32×10"
    assert conv.params == "760"
    # Each filter 5*5*3 + 1 = 76 parameters, as the lecture counts them.
    expect(page.get_by_test_id("conv-arithmetic")).to_contain_text("76")


def test_controls_change_shape_and_parameters_live(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3")
    conv.set_number("size", 32)
    conv.set_number("depth", 3)
    conv.set_number("filter_size", 5)
    conv.set_number("filters", 6)
    assert conv.output_shape == "28×28×6"
    assert conv.params == str(5 * 5 * 3 * 6 + 6)
    # The settings are in the link: reopening it shows the same layer.
    link = page.url
    assert "n=32" in link and "k=6" in link
    page.goto("about:blank")
    page.goto(link)
    page.get_by_test_id("conv-view").wait_for()
    page.wait_for_function("document.body.dataset.state === 'ready'")
    assert ConvPage(page, server_url).output_shape == "28×28×6"


def test_one_by_one_convolution_keeps_the_spatial_size(page, server_url):
    conv = ConvPage(page, server_url).open("&n=8&c=4&k=2&f=1")
    assert conv.output_shape == "8×8×2"
    assert conv.params == str(1 * 1 * 4 * 2 + 2)


def test_a_pool_that_does_not_fit_suggests_a_pool_stride(page, server_url):
    # 5x5 input, 3x3 filter: a 3x3 map; a 2x2 pool with stride 2 gives (3 - 2)/2 + 1 = 1.5.
    conv = ConvPage(page, server_url).open("&n=5&f=3&pool=1&ps=2&pst=2")
    expect(conv.error).to_be_visible()
    expect(conv.error).to_contain_text("1.5")
    page.get_by_test_id("conv-suggestion").first.click()
    page.wait_for_function("document.body.dataset.state === 'ready'")
    expect(conv.error).to_be_hidden()
    assert page.get_by_test_id("conv-stride").input_value() == "1"
    pool_stride = int(page.get_by_test_id("conv-pool-stride").input_value())
    assert (3 - 2) % pool_stride == 0
    side = (3 - 2) // pool_stride + 1
    expect(page.get_by_test_id("conv-pool-shape")).to_have_text(f"{side}×{side}×1")


def test_a_file_that_is_not_an_image_is_a_readable_message(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3")
    conv.upload("notes.png", b"these are not the bytes of a picture")
    expect(conv.error).to_be_hidden()
    expect(page.get_by_test_id("conv-message")).to_contain_text("notes.png")


def test_every_lecture_example_shows_the_shape_the_api_gives_it(page, server_url):
    conv = ConvPage(page, server_url).open()
    for example in conv.conv_examples():
        body = example["conv"]
        with page.expect_response(lambda r: r.url.endswith("/api/conv")) as info:
            conv.pick_example(example["id"])
        wait_ready(page)
        # The lecture's numbers are sent as written; a generated input becomes a picture of
        # the same (C, H, W), so the preset shows a digit instead of noise.
        sent = json.loads(info.value.request.post_data)["input"]
        if isinstance(body["input"], list) or isinstance(sent, dict):
            assert sent == body["input"], example["id"]
        else:
            shape = body["input"]["shape"][-3:]
            assert [len(sent), len(sent[0]), len(sent[0][0])] == shape, example["id"]
            assert all(0 <= v <= 1 for ch in sent for row in ch for v in row), example["id"]
        # The API asked again with the page's own body: Chromium does not keep a response as
        # large as the 1x1 example's (about 11 MB) for the test to read.
        again = page.request.post(f"{server_url}/api/conv",
                                  data=info.value.request.post_data,
                                  headers={"Content-Type": "application/json"})
        answer = again.json()
        assert again.status == info.value.status, example["id"]
        if again.status == 200:
            assert conv.output_shape == answer["shape_text"], example["id"]
            assert conv.params == str(answer["params"]["total"]), example["id"]
        elif answer["detail"][0]["type"] == "shape":
            expect(conv.error).to_be_visible()
            expect(conv.error).to_contain_text(f"{answer['detail'][0]['value']:.2f}")
        else:
            # A busy server may refuse the 1x1 example (64 channels) for time: said plainly.
            expect(page.get_by_test_id("conv-message")).to_be_visible()
