"""The page reads cleanly everywhere: every built-in example (graph and conv) walked to its
end state, in both themes, on a laptop (1400×900), a phone (390×844) and a projector in
presenter mode (1920×1080). A state fails when two visible text labels overlap, when text
is cut off by its container, when the page scrolls sideways, or when visible text is
smaller than 11 px (28 px for the graph's labels and the explanation in presenter mode).

One browser, one page per screen size; each state is measured by one page.evaluate
(tests/e2e/layout_checks.py), in the light theme and then, after the toggle, in the dark."""
from __future__ import annotations

import pytest

from tests.e2e.conv_pages import get_json
from tests.e2e.layout_checks import CHECKS_JS

READY = "document.body && document.body.dataset.state === 'ready'"
PRESENTER_BIG = (".explanation, svg.graph .val, svg.graph .grad, svg.graph .symbol, "
                 "svg.graph .name, svg.graph .pill-text, svg.graph .sum, .tl-label")
SCREENS = [("laptop", 1400, 900), ("phone", 390, 844), ("projector", 1920, 1080)]


def measure(page, where: str, presenter: bool) -> list[str]:
    """Problems of the state on screen, in the light and then the dark theme."""
    found = []
    for theme in ("light", "dark"):
        if page.evaluate("document.documentElement.dataset.theme") != theme:
            page.get_by_test_id("theme-toggle").click()
            page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")
            page.wait_for_function(READY)
        result = page.evaluate(CHECKS_JS, {"minPx": 11, "bigPx": 28,
                                           "bigSelector": PRESENTER_BIG if presenter else ""})
        assert result["labels"] > 5, f"{where}: nothing to read"
        found += [f"{where} [{theme}]: {p}" for p in result["problems"]]
    return found


def choose(page, testid: str, value: str) -> None:
    """Pick a menu entry the way a change event does (on a phone the menu is in the drawer)."""
    page.evaluate("([id, v]) => { const s = document.querySelector(`[data-testid=${id}]`);"
                  " s.value = v; s.dispatchEvent(new Event('change', {bubbles: true})); }",
                  [testid, value])
    page.wait_for_function(READY)


def click(page, testid: str) -> None:
    page.evaluate("id => { const b = document.querySelector(`[data-testid=${id}]`);"
                  " if (b && !b.disabled) b.click(); }", testid)
    page.wait_for_function(READY)


@pytest.mark.parametrize(("screen", "width", "height"), SCREENS)
def test_every_example_reads_cleanly(browser, server_url, screen, width, height):
    examples = get_json(server_url + "/api/examples")
    context = browser.new_context(viewport={"width": width, "height": height},
                                  reduced_motion="reduce", color_scheme="light", bypass_csp=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems = []
    try:
        page.goto(server_url + "/")
        page.wait_for_function(READY)
        presenter = screen == "projector"
        if presenter:
            page.keyboard.press("p")
        for ex in (e for e in examples if e.get("kind", "graph") == "graph"):
            choose(page, "examples", ex["id"])
            click(page, "step-end")
            problems += measure(page, f"{screen} graph {ex['id']}", presenter)
        if presenter:
            page.keyboard.press("Escape")
        page.goto(server_url + "/#conv")
        page.get_by_test_id("conv-view").wait_for()
        page.wait_for_function(READY)
        for ex in (e for e in examples if e.get("kind") == "conv"):
            choose(page, "conv-example", ex["id"])
            click(page, "conv-step-end")
            problems += measure(page, f"{screen} conv {ex['id']}", False)
    finally:
        context.close()
    assert not errors, errors
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
