"""Accessibility of both views in both themes: axe-core (shipped inside the
axe-playwright-python package, nothing downloaded) finds no serious or critical
violation, WCAG AA colour contrast included; every control can be reached with Tab and
used with the keyboard; the theme toggle sticks."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import wait_ready
from tests.e2e.pages import GraphPage

AXE = Axe()
# WCAG 2 A and AA rules (colour contrast included) and axe's best practices.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "best-practice"]}}


def serious(page) -> list[str]:
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:4])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def set_theme(page, theme: str) -> None:
    if page.evaluate("document.documentElement.dataset.theme") != theme:
        page.get_by_test_id("theme-toggle").click()
    page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")
    wait_ready(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_either_view(page, server_url, theme):
    graph = GraphPage(page, server_url).open()
    set_theme(page, theme)
    graph.choose_example("sigmoid-neuron")
    graph.click("step-end")
    graph.testid("tab-inspector").click()
    found = [f"graph: {v}" for v in serious(page)]
    page.goto(server_url + "/#conv&relu=1&pool=1&ps=3&pst=1&in=image%3Aseven&wt=vertical")
    page.get_by_test_id("conv-view").wait_for()
    wait_ready(page)
    page.get_by_test_id("conv-step-forward").click()
    found += [f"conv: {v}" for v in serious(page)]
    assert not found, "\n".join(found)


def tab_through(page, presses: int) -> list[str]:
    """Press Tab `presses` times; the test ids (or tags) of the elements focused in turn."""
    seen = []
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(
            "() => { const e = document.activeElement; if (!e) return '';"
            " const t = e.closest('[data-testid]'); return t ? t.dataset.testid : e.tagName; }"))
    return seen


def test_every_graph_control_is_reached_by_tab_and_works_by_keyboard(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.go_to(2)  # mid-way, so that neither end of the timeline is disabled
    reached = set(tab_through(page, 60))
    for control in ["tab-graph", "tab-conv", "docs-link", "theme-toggle", "copy-link",
                    "export-menu", "presenter", "examples", "expression-input", "run-button",
                    "zoom-in", "zoom-fit", "step-start", "step-back", "play", "step-forward",
                    "step-end", "scrubber", "speed", "tab-inspector", "tab-code", "tab-gradcheck"]:
        assert control in reached, f"{control} cannot be reached with Tab"
    # used by keyboard: Enter on the focused step button steps, Enter on the toggle switches
    graph.click("step-start")
    graph.testid("step-forward").focus()
    page.keyboard.press("Enter")
    assert graph.step() == 1
    theme = page.evaluate("document.documentElement.dataset.theme")
    graph.testid("theme-toggle").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.dataset.theme") != theme


def test_every_conv_control_is_reached_by_tab(page, server_url):
    page.goto(server_url + "/#conv")
    page.get_by_test_id("conv-view").wait_for()
    wait_ready(page)
    page.get_by_test_id("conv-step-forward").click()
    reached = set(tab_through(page, 70))
    for control in ["conv-example", "conv-input-size", "conv-filters", "conv-stride", "conv-pad",
                    "conv-relu", "conv-pool", "conv-weights", "conv-play", "conv-step-forward",
                    "conv-step-end", "conv-speed"]:
        assert control in reached, f"{control} cannot be reached with Tab"
    page.get_by_test_id("conv-step-forward").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert page.get_by_test_id("conv-position").inner_text() == "step 3 of 25"


def test_theme_follows_the_system_and_the_toggle_sticks(browser, server_url):
    context = browser.new_context(color_scheme="dark", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(server_url + "/")
        wait_ready(page)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.get_by_test_id("theme-toggle").click()
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.reload()
        wait_ready(page)
        assert page.evaluate("document.documentElement.dataset.theme") == "light"  # it sticks
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
    finally:
        context.close()
