"""Page object of the network view (#net): its controls, curves and maps, and the
training run behind it."""
from __future__ import annotations

import json

from playwright.sync_api import Page

from tests.e2e.pages import READY


class NetPage:
    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    def open(self) -> NetPage:
        self.page.goto(self.base_url + "/#net")
        self.page.wait_for_function(READY + " && !!document.querySelector('#net-root[data-run]')",
                                    timeout=60_000)
        self.wait_maps()
        return self

    def testid(self, name: str):
        return self.page.get_by_test_id(name)

    @property
    def run(self) -> str:
        return self.page.locator("#net-root").get_attribute("data-run")

    def status(self) -> dict:
        answer = self.page.request.get(f"{self.base_url}/api/net/runs/{self.run}")
        return json.loads(answer.text())

    def curve(self, testid: str, trace: int = 0) -> list:
        """The y values of one trace of a Plotly curve (0: train, 1: test), as drawn."""
        return self.page.evaluate(
            "([id, t]) => document.querySelector(`[data-testid=${id}]`).data[t].y",
            [testid, trace])

    def points(self) -> int:
        return int(self.testid("loss-curve").get_attribute("data-points") or 0)

    def test_accuracy(self) -> float:
        return float(self.testid("test-accuracy").inner_text())

    def wait_maps(self, source: str | None = None) -> None:
        """Until the maps show an image (a given one, when named)."""
        check = ("s => { const m = document.querySelector('[data-testid=layer-maps]');"
                 " return m && m.dataset.source && (!s || m.dataset.source === s); }")
        self.page.wait_for_function(check, arg=source, timeout=30_000)

    def start(self) -> None:
        self.testid("train-start").click()
        self.page.wait_for_function(
            "document.querySelector('#net-root').dataset.training === 'running'")

    def pause(self) -> None:
        self.testid("train-pause").click()
        self.page.wait_for_function(
            "document.querySelector('#net-root').dataset.training === 'paused'")
