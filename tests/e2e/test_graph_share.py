"""Share and export: a copied link reopens the same graph at the same step; the graph
exports as a valid SVG and a PNG; the trace downloads as the API's JSON."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx

from tests.e2e.pages import GraphPage

SVG = "{http://www.w3.org/2000/svg}"


def test_copied_link_reopens_graph_and_step(page, server_url, browser):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("sigmoid-neuron")
    graph.go_to(9)
    shown = graph.shown_nodes()
    link = graph.copy_link()
    assert link.startswith(server_url) and "#g=" in link
    other = browser.new_page()
    try:
        other.goto(link)
        again = GraphPage(other, server_url)
        again.wait_ready()
        assert again.step() == 9
        assert again.shown_nodes() == shown
        program = graph.testid("expression-input").input_value()
        assert again.testid("expression-input").input_value() == program
        assert again.testid("examples").input_value() == "sigmoid-neuron"
    finally:
        other.close()


def test_link_keeps_edited_inputs(page, server_url, browser):
    graph = GraphPage(page, server_url).open()
    graph.set_program("f = (a + b) * c")
    for name, value in {"a": "1", "b": "[2, 3]", "c": "4"}.items():
        graph.set_input(name, value)
    graph.run()
    graph.click("step-end")
    link = graph.copy_link()
    other = browser.new_page()
    try:
        other.goto(link)
        again = GraphPage(other, server_url)
        again.wait_ready()
        assert again.step() == again.last_step()
        assert again.testid("input-b").input_value() == "[2,3]"
        # f = (a + b) * c, b = [2, 3]: df/da = sum(c, c) = 8, df/dc = sum(a + b) = 3 + 4 = 7
        assert again.grad("a") == 8 and again.grad("c") == 7 and again.grad("b") == [4, 4]
    finally:
        other.close()


def test_export_svg_is_valid_svg(page, server_url, tmp_path):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    graph.click("step-end")
    path = tmp_path / "graph.svg"
    graph.export("svg").save_as(path)
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    assert float(root.get("width")) > 100 and float(root.get("height")) > 100
    names = {g.get("data-node-name") for g in root.iter(SVG + "g") if g.get("data-node-name")}
    assert names == {"x", "y", "z", "q", "f"}
    texts = [t.text for t in root.iter(SVG + "text") if t.text]
    assert "−12" in texts and "−4" in texts
    assert root.find(SVG + "style") is not None  # the drawing carries its own styles


def test_export_png(page, server_url, tmp_path):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    path = tmp_path / "graph.png"
    graph.export("png").save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_download_trace_json(page, server_url, tmp_path):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    path = tmp_path / "trace.json"
    graph.export("trace").save_as(path)
    trace = json.loads(path.read_text())
    body = {"expression": trace_expression(server_url)}
    api = httpx.post(server_url + "/api/graph", json=body).json()
    assert trace["gradients"] == api["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert trace["value"] == -12.0


def trace_expression(server_url: str) -> str:
    examples = httpx.get(server_url + "/api/examples").json()
    return next(e for e in examples if e["id"] == "simple")["expression"]
