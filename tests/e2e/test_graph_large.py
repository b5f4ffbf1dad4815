"""A generated graph of about 300 nodes: it draws in well under a second, no two nodes
overlap, and stepping to the end shows the API's gradients."""
from __future__ import annotations

import httpx

from tests.e2e.pages import GraphPage
from tests.perf.bench_render import generated_program

OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('[data-testid=graph] .node')]
    .map((g) => g.querySelector('circle, rect').getBoundingClientRect());
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps++;
  }
  return [boxes.length, overlaps];
}"""


def test_300_node_graph(page, server_url):
    program = generated_program(300)
    graph = GraphPage(page, server_url).open()
    graph.set_program(program)
    graph.run()
    assert graph.error_text() == ""
    svg = graph.testid("graph")
    assert int(svg.get_attribute("data-nodes")) >= 280
    assert float(svg.get_attribute("data-render-ms")) < 1000
    count, overlaps = page.evaluate(OVERLAPS)
    assert count >= 280 and overlaps == 0
    graph.testid("zoom-fit").click()
    assert page.evaluate(OVERLAPS)[1] == 0
    graph.click("step-end")
    api = httpx.post(server_url + "/api/graph", json={"expression": program}).json()
    shown = graph.shown_nodes()
    for name, grad in api["gradients"].items():
        node = next(n for n in shown.values() if n["name"] == name)
        assert abs(node["grad"] - grad) <= 1e-12 * max(1.0, abs(grad)), name
