"""Page object for the convolution view: locators and actions the conv tests share.

Every action that changes the layer waits for the page to say it has rendered again
(document.body.dataset.state goes "busy" while fetching, then "ready").
"""
from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import Locator, Page

from tests.e2e.conftest import wait_ready

NUMBER_IDS = {
    "size": "conv-input-size", "depth": "conv-depth", "filters": "conv-filters",
    "filter_size": "conv-filter-size", "stride": "conv-stride", "pad": "conv-pad",
}


def post_json(url: str, body: dict) -> dict:
    """POST body to the live server, independently of the page; returns the parsed answer."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


class ConvPage:
    def __init__(self, page: Page, server_url: str):
        self.page = page
        self.server_url = server_url

    # -- navigation and settings -------------------------------------------------------
    def open(self, params: str = "") -> ConvPage:
        """Go to /#conv (with optional '&k=v' settings) and wait until it has rendered."""
        self.page.goto(f"{self.server_url}/#conv{params}")
        self.page.get_by_test_id("conv-view").wait_for()
        wait_ready(self.page)
        return self

    def set_number(self, name: str, value: int) -> None:
        """Type a value into a numeric control (size, depth, filters, filter_size, stride, pad)."""
        self.page.get_by_test_id(NUMBER_IDS[name]).fill(str(value))
        wait_ready(self.page)

    def pick_example(self, example_id: str) -> None:
        self.page.get_by_test_id("conv-example").select_option(example_id)
        wait_ready(self.page)

    def conv_examples(self) -> list[dict]:
        """The lecture's conv examples as GET /api/examples lists them."""
        examples = get_json(self.server_url + "/api/examples")
        return [ex for ex in examples if ex.get("kind") == "conv"]

    # -- what the arithmetic panel says -------------------------------------------------
    @property
    def output_shape(self) -> str:
        return self.page.get_by_test_id("conv-output-shape").inner_text().strip()

    @property
    def params(self) -> str:
        return self.page.get_by_test_id("conv-params").inner_text().strip()

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("conv-error")

    # -- the sliding filter -------------------------------------------------------------
    def step_forward(self, times: int = 1) -> None:
        for _ in range(times):
            self.page.get_by_test_id("conv-step-forward").click()

    def step_end(self) -> None:
        self.page.get_by_test_id("conv-step-end").click()

    def cells(self) -> list[dict]:
        """Every activation-map cell: {"cell": (k, i, j), "value": float or None}."""
        raw = self.page.eval_on_selector_all(
            "[data-testid=activation-map] [data-cell]",
            "els => els.map(e => [e.dataset.cell, e.dataset.value ?? null])")
        return [{"cell": tuple(int(p) for p in cell.split(",")),
                 "value": None if value is None else float(value)} for cell, value in raw]

    def click_cell(self, k: int, i: int, j: int) -> None:
        self.page.locator(f'[data-testid=activation-map] [data-cell="{k},{i},{j}"]').click()

    def receptive_field(self) -> dict:
        """The highlighted field: its data (padded-input row/col/rows/cols) and its box
        relative to channel 0 of the input canvas, in cells."""
        field = self.page.get_by_test_id("receptive-field")
        field.wait_for()
        canvas = self.page.get_by_test_id("conv-input-grid")
        data = field.evaluate("e => ({...e.dataset})")
        cdata = canvas.evaluate("e => ({...e.dataset})")
        fbox, cbox = field.bounding_box(), canvas.bounding_box()
        cell = float(cdata["cellPx"])
        return {
            "row": int(data["row"]), "col": int(data["col"]),
            "rows": int(data["rows"]), "cols": int(data["cols"]),
            "box_row": (fbox["y"] - cbox["y"] - float(cdata["originY"])) / cell,
            "box_col": (fbox["x"] - cbox["x"] - float(cdata["originX"])) / cell,
            "box_rows": fbox["height"] / cell, "box_cols": fbox["width"] / cell,
        }

    # -- max-pool routing -----------------------------------------------------------------
    def pool_step_end(self) -> None:
        self.page.get_by_test_id("pool-step-end").click()

    def routed(self) -> dict[tuple[int, int], float]:
        """Cells of the map before pooling that received a gradient: (row, col) -> value."""
        raw = self.page.eval_on_selector_all(
            "[data-testid=pool-routing] [data-cell][data-value]",
            "els => els.map(e => [e.dataset.cell, e.dataset.value])")
        return {tuple(int(p) for p in cell.split(",")[1:]): float(v) for cell, v in raw}

    # -- input ------------------------------------------------------------------------------
    def upload(self, name: str, png: bytes) -> None:
        self.page.get_by_test_id("conv-upload").set_input_files(
            {"name": name, "mimeType": "image/png", "buffer": png})
        wait_ready(self.page)

    def screenshot(self, path, testid: str | None = None) -> None:
        """Screenshot the whole conv view (or one part of it by test id). The view scrolls
        inside #conv-root, so the viewport is made tall enough to hold all of it first."""
        size = self.page.viewport_size
        height = self.page.evaluate(
            "() => document.getElementById('conv-root').scrollHeight + 80")
        self.page.set_viewport_size({"width": size["width"], "height": min(height, 6000)})
        target = self.page.get_by_test_id(testid) if testid else self.page
        target.screenshot(path=str(path))
        self.page.set_viewport_size(size)
