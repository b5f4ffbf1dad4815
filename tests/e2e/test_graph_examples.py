"""Every lecture example in the menu runs in the real page, and the numbers the page shows
at the end of the backward pass are the ones the API returns for the same request (fetched
here independently, outside the browser)."""
from __future__ import annotations

import httpx
import pytest

from tests.e2e.pages import GraphPage


def api_examples(server_url: str) -> list[dict]:
    return [e for e in httpx.get(server_url + "/api/examples").json() if e["kind"] == "graph"]


def api_trace(server_url: str, example: dict) -> dict:
    body = {"expression": example["expression"], "inputs": example["inputs"] or {}}
    for key in ("output", "upstream"):
        if example.get(key) is not None:
            body[key] = example[key]
    response = httpx.post(server_url + "/api/graph", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def close(a, b) -> bool:
    """Equal numbers or equal nested lists of numbers (the page passes JSON through)."""
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_menu_lists_every_graph_example(page, server_url):
    graph = GraphPage(page, server_url).open()
    assert graph.example_ids() == [e["id"] for e in api_examples(server_url)]


def test_every_example_ends_with_the_api_gradients(page, server_url):
    graph = GraphPage(page, server_url).open()
    examples = api_examples(server_url)
    assert len(examples) >= 8, "the lecture has at least eight graph examples"
    for example in examples:
        graph.choose_example(example["id"])
        assert graph.error_text() == "", f"{example['id']}: {graph.error_text()}"
        graph.click("step-end")
        trace = api_trace(server_url, example)
        shown = graph.shown_nodes()
        where = example["id"]
        for name, grad in trace["gradients"].items():
            node = next(n for n in shown.values() if n["name"] == name)
            assert close(node["grad"], grad), f"{where}: dL/d{name} {node['grad']} != API {grad}"
        for node in trace["nodes"]:
            if node["id"] in shown:
                assert close(shown[node["id"]]["value"], node["value"]), f"{where}: {node['id']}"
        output = next(n for n in trace["nodes"] if trace["output"] in (n["id"], n["name"]))
        assert close(shown[output["id"]]["value"], trace["value"]), f"{where}: output value"


def test_example_sentence_is_shown(page, server_url):
    graph = GraphPage(page, server_url).open()
    for example in api_examples(server_url)[:3]:
        graph.choose_example(example["id"])
        assert graph.testid("example-note").inner_text() == example["explanation"]
