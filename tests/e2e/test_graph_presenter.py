"""Presenter mode: only the graph and the explanation, large type, keyboard driven; and the
page never reaches past this machine."""
from __future__ import annotations

from tests.e2e.pages import GraphPage


def test_presenter_mode_toggles(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    sidebar = page.locator(".sidebar")
    graph.testid("tab-inspector").click()  # the side panel opens on demand
    assert sidebar.is_visible() and graph.testid("inspector").is_visible()
    normal_size = graph.font_size("explanation")
    graph.testid("presenter").click()
    assert "presenter" in page.evaluate("document.body.className")
    assert not sidebar.is_visible() and not graph.testid("inspector").is_visible()
    assert graph.testid("graph").is_visible() and graph.testid("explanation").is_visible()
    big_size = graph.font_size("explanation")
    assert big_size >= 1.5 * normal_size
    # keyboard driven
    graph.press("End")
    assert graph.grad("x") == -4
    graph.press("Home")
    graph.press("ArrowRight")
    assert graph.value("q") == 3
    graph.press("Escape")
    assert "presenter" not in page.evaluate("document.body.className")
    graph.press("p")
    assert "presenter" in page.evaluate("document.body.className")
    graph.press("p")
    assert sidebar.is_visible()


def test_no_request_leaves_localhost(page, server_url, outside_requests, page_errors):
    graph = GraphPage(page, server_url).open()
    # One example of each kind (scalars, a group, tensors, a loop): every example is walked
    # by the design test, which watches the same page errors.
    for example in ("simple", "sigmoid-gate", "two-layer-net", "rnn-unrolled"):
        assert example in graph.example_ids()
        graph.choose_example(example)
        graph.click("step-end")
    graph.testid("tab-code").click()
    page.wait_for_selector("[data-testid=code-tab] pre")
    graph.testid("tab-gradcheck").click()
    page.wait_for_selector("[data-testid=gradcheck-verdict]")
    assert outside_requests == []
    assert page_errors == []


def test_code_and_gradcheck_tabs(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("sigmoid-neuron")
    graph.testid("tab-code").click()
    page.wait_for_selector("[data-testid=code-tab] pre")
    code = graph.testid("code-tab").inner_text()
    assert "Forward pass" in code and "Backward pass" in code and "w0" in code
    graph.testid("tab-gradcheck").click()
    page.wait_for_selector("[data-testid=gradcheck-verdict]")
    assert graph.testid("gradcheck-verdict").inner_text().startswith("passed")
    rows = page.eval_on_selector_all("[data-testid=gradcheck-tab] tr[data-input]",
                                     "rs => rs.map(r => r.dataset.input)")
    assert set(rows) == {"w0", "x0", "w1", "x1", "w2"}


def test_side_panel_opens_on_a_node_and_closes(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    assert not graph.testid("inspector").is_visible()
    text = graph.inspect("q")
    assert graph.testid("inspector").is_visible()
    assert "add gate" in text and "not yet known" in text  # step 0: nothing computed yet
    graph.click("step-end")
    text = graph.testid("inspector").inner_text()
    assert "3" in text.split() and "−4" in text.split()
    graph.testid("side-collapse").click()
    assert not graph.testid("inspector").is_visible()
