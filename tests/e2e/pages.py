"""Page objects for the browser tests: locators and actions of the graph view, so tests
read as what a student does ("choose the sigmoid example, step to the end")."""
from __future__ import annotations

import json

from playwright.sync_api import Page

READY = "document.body && document.body.dataset.state === 'ready'"


class GraphPage:
    """The graph view of chainrule at `base_url`."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    # ---------------------------------------------------------------- navigation
    def open(self, hash_: str = "") -> GraphPage:
        self.page.goto(self.base_url + "/" + hash_)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 15_000) -> None:
        self.page.wait_for_function(READY, timeout=timeout)

    def testid(self, name: str):
        return self.page.get_by_test_id(name)

    # ---------------------------------------------------------------- editor
    def example_ids(self) -> list[str]:
        return [v for v in self.page.eval_on_selector_all(
            "[data-testid=examples] option", "opts => opts.map(o => o.value)") if v]

    def choose_example(self, example_id: str) -> None:
        self.testid("examples").select_option(example_id)
        self.wait_ready()

    def set_program(self, text: str) -> None:
        self.testid("expression-input").fill(text)

    def set_input(self, name: str, text: str) -> None:
        self.testid(f"input-{name}").fill(text)

    def run(self) -> None:
        self.testid("run-button").click()
        self.wait_ready()

    def error_text(self) -> str:
        box = self.testid("error")
        return box.inner_text() if box.is_visible() else ""

    # ---------------------------------------------------------------- timeline
    def step(self) -> int:
        return int(self.testid("timeline").get_attribute("data-step"))

    def last_step(self) -> int:
        return int(self.testid("scrubber").get_attribute("max"))

    def click(self, control: str) -> None:
        """control: step-start, step-back, play, step-forward or step-end.
        A disabled control (step-start at the start) is a no-op, as for a person."""
        button = self.testid(control)
        if button.is_enabled():
            button.click()

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def go_to(self, step: int) -> None:
        self.click("step-start")
        for _ in range(step):
            self.click("step-forward")
        assert self.step() == step

    # ---------------------------------------------------------------- graph
    def node(self, name: str):
        """A node by variable name (inputs and named gates)."""
        return self.page.locator(f"[data-testid=graph] [data-node-name='{name}']")

    def node_by_id(self, node_id: str):
        return self.page.locator(f"[data-testid=graph] [data-node-id='{node_id}']")

    def _number(self, locator, attr: str):
        text = locator.get_attribute(attr)
        return None if text is None else json.loads(text)

    def value(self, name: str):
        """The forward value the page shows on a named node, or None while not yet shown."""
        return self._number(self.node(name), "data-value")

    def grad(self, name: str):
        """The gradient the page shows on a named node, or None while not yet shown."""
        return self._number(self.node(name), "data-grad")

    def shown_nodes(self) -> dict[str, dict]:
        """Every drawn node: id -> {value, grad, name, op} as the page shows them now."""
        rows = self.page.eval_on_selector_all(
            "[data-testid=graph] [data-node-id]",
            "els => els.map(e => [e.dataset.nodeId, e.dataset.value ?? null,"
            " e.dataset.grad ?? null, e.dataset.nodeName ?? null, e.dataset.op])")
        return {i: {"value": None if v is None else json.loads(v),
                    "grad": None if g is None else json.loads(g), "name": n, "op": op}
                for i, v, g, n, op in rows}

    def copy_sum(self, name: str) -> str:
        """The copy-gate sum drawn next to a node ("4 + 2 = 6"), or "" while hidden."""
        label = self.node(name).locator("text.sum")
        return "" if "hidden" in (label.get_attribute("class") or "") else label.text_content()

    def visible_labels(self, kind: str) -> list[str]:
        """Texts of the edge labels now shown; kind: "val" (green) or "grad" (red)."""
        return self.page.eval_on_selector_all(
            f"[data-testid=graph] text.{kind}:not(.hidden)", "ts => ts.map(t => t.textContent)")

    def font_size(self, testid: str) -> float:
        return float(self.testid(testid).evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))

    def wait_step(self, step) -> None:
        """Wait until the timeline shows `step` (a number, or "last")."""
        last = "document.querySelector('[data-testid=scrubber]').max"
        want = last if step == "last" else f"'{step}'"
        self.page.wait_for_function(
            f"document.querySelector('[data-testid=timeline]').dataset.step === {want}",
            timeout=10_000)

    def explanation(self) -> str:
        return self.testid("explanation").inner_text()

    def graph_text(self) -> str:
        """Text drawn in the SVG that is visible (labels on edges and nodes)."""
        return self.page.eval_on_selector(
            "[data-testid=graph]",
            "svg => [...svg.querySelectorAll('text')].filter(t => t.getClientRects().length)"
            ".map(t => t.textContent).join('\\n')")

    def inspect(self, name: str) -> str:
        self.node(name).locator("circle, rect").first.click()
        return self.testid("inspector").inner_text()

    # ---------------------------------------------------------------- share
    def copy_link(self) -> str:
        self.testid("copy-link").click()
        return self.testid("share-link").input_value()

    def export(self, what: str):
        """what: svg, png or trace; returns the Playwright download."""
        self.page.locator("[data-testid=export-menu] summary").click()
        with self.page.expect_download() as info:
            self.testid(f"export-{what}").click()
        return info.value
