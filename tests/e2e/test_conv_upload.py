"""Conv view, inputs and filters: an uploaded PNG becomes the layer's input (grey or RGB),
the built-in pictures are arrays of pixel intensities in [0, 1], and a filter preset is an
explicit edge detector that responds where the picture has an edge."""
from __future__ import annotations

import json
import struct
import zlib

import pytest

from tests.e2e.conftest import wait_ready
from tests.e2e.conv_pages import ConvPage, post_json


def png(width: int, height: int, rows: list[list[tuple[int, ...]]]) -> bytes:
    """A minimal 8-bit PNG (grey when pixels are 1-tuples, RGB when 3-tuples), built by hand."""
    colour = 0 if len(rows[0][0]) == 1 else 2
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def upload_and_capture(conv: ConvPage, name: str, data: bytes) -> dict:
    """Upload a PNG and return the /api/conv body the page sent for it."""
    def is_conv(request) -> bool:
        return request.url.endswith("/api/conv") and request.method == "POST"

    with conv.page.expect_request(is_conv) as info:
        conv.upload(name, data)
    wait_ready(conv.page)
    return json.loads(info.value.post_data)


def test_uploaded_grey_png_becomes_the_input(page, server_url):
    conv = ConvPage(page, server_url).open("&n=7&f=3")
    levels = [[(r * 7 + c) * 5] for r in range(7) for c in range(7)]
    rows = [[tuple(levels[r * 7 + c]) for c in range(7)] for r in range(7)]
    body = upload_and_capture(conv, "strokes.png", png(7, 7, rows))
    expected = [[[round((r * 7 + c) * 5 / 255, 3) for c in range(7)] for r in range(7)]]
    assert body["input"] == expected
    assert page.get_by_test_id("conv-input-source").input_value() == "upload"
    # The maps are the server's answer for exactly that input.
    conv.step_end()
    body = {"input": expected, "filters": 1, "size": 3, "seed": 0}
    api = post_json(server_url + "/api/conv", body)
    for c in conv.cells():
        k, i, j = c["cell"]
        assert c["value"] == pytest.approx(api["output"][k][i][j], rel=1e-12, abs=1e-12)


def test_uploaded_rgb_png_gives_three_channels(page, server_url):
    conv = ConvPage(page, server_url).open("&n=4&c=3&f=3")
    rows = [[(60 * c, 60 * r, 200) for c in range(4)] for r in range(4)]
    body = upload_and_capture(conv, "colour.png", png(4, 4, rows))
    red = [[round(60 * c / 255, 3) for c in range(4)] for r in range(4)]
    green = [[round(60 * r / 255, 3) for c in range(4)] for r in range(4)]
    blue = [[round(200 / 255, 3)] * 4 for _ in range(4)]
    assert body["input"] == [red, green, blue]
    assert conv.output_shape == "2×2×1"


def test_built_in_picture_is_an_image_in_unit_range(page, server_url):
    conv = ConvPage(page, server_url).open("&n=9&f=3")
    with page.expect_request(lambda r: r.url.endswith("/api/conv")) as info:
        page.get_by_test_id("conv-input-source").select_option("image:vedge")
    wait_ready(page)
    picture = json.loads(info.value.post_data)["input"]
    assert len(picture) == 1 and len(picture[0]) == 9 and len(picture[0][0]) == 9
    flat = [v for row in picture[0] for v in row]
    assert min(flat) == 0.0 and max(flat) == 1.0
    # A vertical edge: dark on the left, bright on the right, the same in every row.
    assert picture[0][0][0] == 0.0 and picture[0][0][8] == 1.0
    assert all(row == picture[0][0] for row in picture[0])
    assert conv.output_shape == "7×7×1"


def test_vertical_edge_filter_finds_the_vertical_edge(page, server_url):
    conv = ConvPage(page, server_url).open("&n=9&f=3&in=image%3Avedge")
    with page.expect_request(lambda r: r.url.endswith("/api/conv")) as info:
        page.get_by_test_id("conv-weights").select_option("vertical")
    wait_ready(page)
    body = json.loads(info.value.post_data)
    # An explicit edge detector: +1 left column, 0 middle, -1 right column, no bias.
    assert body["weights"] == [[[[1, 0, -1], [1, 0, -1], [1, 0, -1]]]]
    assert body["bias"] == [0]
    conv.step_end()
    values = {c["cell"][1:]: c["value"] for c in conv.cells()}
    picture = body["input"][0]
    # Worked out here: each output is sum over the 3x3 window of weight * pixel.
    for (i, j), value in values.items():
        expected = sum(picture[i + a][j + b] * (1, 0, -1)[b] for a in range(3) for b in range(3))
        assert value == pytest.approx(expected, abs=1e-9)
    # Dark left half, bright right half: only windows over the edge respond.
    edge_columns = {j for (i, j), v in values.items() if abs(v) > 1e-9}
    assert edge_columns and all(2 <= j <= 4 for j in edge_columns)
