"""The header's two tabs: the convolution view opens from "Convolution" (hash #conv) and
the graph view comes back as it was, same graph and same step."""
from __future__ import annotations

from tests.e2e.pages import GraphPage


def test_conv_tab_and_back_keeps_the_graph(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    graph.go_to(3)
    graph.testid("tab-conv").click()
    page.wait_for_function("location.hash === '#conv'")
    graph.wait_ready()
    assert page.locator("#conv-root").is_visible()
    assert not page.locator("#graph-view").is_visible()
    graph.testid("tab-graph").click()
    assert page.locator("#graph-view").is_visible() and not page.locator("#conv-root").is_visible()
    assert page.evaluate("location.hash").startswith("#g=")
    assert graph.step() == 3 and graph.grad("f") == 1 and graph.grad("x") is None
    page.reload()  # the restored address holds the same graph and step
    graph.wait_ready()
    assert graph.step() == 3 and graph.grad("f") == 1 and graph.grad("x") is None
    graph.press("ArrowRight")
    assert graph.grad("q") == -4
