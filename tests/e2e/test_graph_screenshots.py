"""Screenshots of the lecture's drawings as the page shows them, for a person to look at:
the simple example, the sigmoid neuron at the end of the backward pass, and the patterns."""
from __future__ import annotations

from tests.e2e.pages import GraphPage


def shoot(graph: GraphPage, example: str, path) -> None:
    graph.choose_example(example)
    graph.click("step-end")
    graph.page.wait_for_timeout(300)  # let the last gradient finish fading in
    graph.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_screenshots(page, server_url, screenshot_dir):
    graph = GraphPage(page, server_url).open()
    shoot(graph, "simple", screenshot_dir / "graph-simple.png")
    shoot(graph, "sigmoid-neuron", screenshot_dir / "graph-sigmoid-neuron.png")
    shoot(graph, "patterns", screenshot_dir / "graph-patterns.png")
    graph.testid("presenter").click()
    graph.page.wait_for_timeout(200)
    graph.page.screenshot(path=str(screenshot_dir / "graph-patterns-presenter.png"))
