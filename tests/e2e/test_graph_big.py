"""Big graphs that still teach: after Run every node (or its folded group) is in view, no
visible text is smaller than 10 px and no two labels overlap; stepping to the end shows
the API's gradients. Groups fold: the lecture's sigmoid neuron with one sigmoid gate reads
its local gradient 0.20 folded and shows its eight gates unfolded, with the lecture's
input gradients both ways (LECTURE.md section 3).

Programs: a 100-term weighted sum, a 100-step tanh chain, an RNN over 10 steps with 4
hidden units written with a loop, a two-layer net on vectors, a generated 2,000-node
program. Expected gradients come from the API (the page must show what it answers) and,
for the sigmoid neuron, from the lecture.
"""
from __future__ import annotations

import json
import random

import httpx
import numpy as np
import pytest

from tests.e2e.pages import GraphPage
from tests.perf.bench_render import compact_program


def weighted_sum(n: int = 100) -> str:
    lines = [f"w{i} = {((i * 7) % 11 - 5) / 4}" for i in range(n)]
    lines += [f"x{i} = {((i * 5) % 9 - 4) / 3}" for i in range(n)]
    return "\n".join(lines + ["L = " + " + ".join(f"w{i}*x{i}" for i in range(n))])


def tanh_chain(n: int = 100) -> str:
    lines = ["x = 0.5", "y = 0.1", "a0 = 0.3"]
    return "\n".join(lines + [f"a{t} = tanh(a{t - 1} * x + y)" for t in range(1, n + 1)])


def _matrix(rng: random.Random, rows: int, cols: int, scale: float = 1.0) -> str:
    return json.dumps([[round(rng.gauss(0, scale), 2) for _ in range(cols)] for _ in range(rows)])


def rnn(steps: int = 10, hidden: int = 4) -> str:
    """A vanilla RNN unrolled by a loop: h = tanh(Wx x_t + Wh h + b), loss sum(h^2)."""
    rng = random.Random(7)
    return "\n".join([
        f"x = {_matrix(rng, hidden, steps)}",
        f"Wx = {_matrix(rng, hidden, hidden, 0.5)}",
        f"Wh = {_matrix(rng, hidden, hidden, 0.5)}",
        "b = [0.1, -0.1, 0.0, 0.2]",
        "h = b * 0",
        f"for t in range({steps}):",
        "    h = tanh(Wx @ x[:, t] + Wh @ h + b)",
        "L = sum(h * h)",
    ])


TWO_LAYER = """x = [1.0, -2.0, 0.5]
W1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [0.2, -0.1, 0.05]]
b1 = [0.1, 0.0, -0.1, 0.2]
W2 = [[0.3, -0.5, 0.2, 0.1], [-0.4, 0.6, 0.1, -0.2]]
h = relu(W1 @ x + b1)
s = W2 @ h
L = sum(s * s)"""

PROGRAMS = {
    "weighted-sum": weighted_sum(),
    "tanh-chain": tanh_chain(),
    "rnn": rnn(),
    "two-layer": TWO_LAYER,
    "generated-2000": compact_program(2000),
}

# Every drawn node (folded groups and linked copies too) inside the graph's box.
OUT_OF_VIEW = """() => {
  const box = document.querySelector('[data-testid=graph]').parentElement.getBoundingClientRect();
  const out = [];
  for (const g of document.querySelectorAll('[data-testid=graph] .node')) {
    const r = g.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1 ||
        r.top < box.top - 1 || r.bottom > box.bottom + 1) {
      out.push(g.dataset.nodeId || g.dataset.copyOf);
    }
  }
  return [document.querySelectorAll('[data-testid=graph] .node').length, out];
}"""

# Visible text of the graph: its size on screen, and pairs of boxes that overlap.
TEXT_CHECK = """() => {
  const svg = document.querySelector('[data-testid=graph]');
  const texts = [...svg.querySelectorAll('text')].filter((t) => t.getClientRects().length &&
    getComputedStyle(t).display !== 'none' && t.textContent.trim());
  const small = [];
  const boxes = [];
  for (const t of texts) {
    const px = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
    if (px < 9.95) small.push([t.textContent, px]);
    const r = t.getBoundingClientRect();
    boxes.push({ text: t.textContent, left: r.left + 1, right: r.right - 1,
                 top: r.top + 1, bottom: r.bottom - 1 });
  }
  boxes.sort((a, b) => a.left - b.left);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length && boxes[j].left < boxes[i].right; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.top < b.bottom && b.top < a.bottom) overlaps.push([a.text, b.text]);
    }
  }
  return { count: texts.length, small, overlaps };
}"""


def open_program(graph: GraphPage, program: str) -> None:
    """Type a program (set at once: a 20,000-character program is slow to type) and run it."""
    graph.page.evaluate("""(text) => {
      const area = document.querySelector('[data-testid=expression-input]');
      area.value = text;
      area.dispatchEvent(new Event('input', { bubbles: true }));
    }""", program)
    graph.run()
    assert graph.error_text() == ""


def assert_readable(page) -> None:
    count, out = page.evaluate(OUT_OF_VIEW)
    assert count > 0 and out == [], f"{len(out)} of {count} nodes out of view: {out[:5]}"
    text = page.evaluate(TEXT_CHECK)
    assert text["small"] == [], f"text under 10 px: {text['small'][:5]}"
    assert text["overlaps"] == [], f"overlapping labels: {text['overlaps'][:5]}"


def api_gradients(server_url: str, program: str) -> dict:
    answer = httpx.post(server_url + "/api/graph", json={"expression": program}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["gradients"]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_big_graph_opens_readable_and_ends_with_the_api_gradients(page, server_url, name):
    program = PROGRAMS[name]
    graph = GraphPage(page, server_url).open()
    open_program(graph, program)
    assert_readable(page)
    graph.click("step-end")
    graph.wait_step("last")
    text = page.evaluate(TEXT_CHECK)
    assert text["small"] == [] and text["overlaps"] == [], text
    shown = {n["name"]: n for n in graph.shown_nodes().values() if n["name"]}
    for input_name, grad in api_gradients(server_url, program).items():
        np.testing.assert_allclose(shown[input_name]["grad"], grad, rtol=1e-12, atol=1e-12,
                                   err_msg=input_name)


def test_stepping_keeps_the_current_gate_in_view_and_shows_the_minimap(page, server_url):
    graph = GraphPage(page, server_url).open()
    open_program(graph, PROGRAMS["tanh-chain"])
    for _ in range(3):
        graph.press("ArrowRight")
    graph.wait_step(3)
    page.wait_for_timeout(400)  # the view glides to the gate
    current = page.locator("[data-testid=graph] .node.current-fwd").bounding_box()
    box = page.get_by_test_id("graph").bounding_box()
    assert box["x"] <= current["x"] and current["x"] + current["width"] <= box["x"] + box["width"]
    assert box["y"] <= current["y"] and current["y"] + current["height"] <= box["y"] + box["height"]
    text = page.evaluate(TEXT_CHECK)
    assert text["count"] > 0 and text["small"] == [] and text["overlaps"] == []
    assert page.get_by_test_id("minimap").is_visible()


def test_an_input_read_by_every_step_is_drawn_beside_each_reader(page, server_url):
    graph = GraphPage(page, server_url).open()
    open_program(graph, PROGRAMS["tanh-chain"])
    copies = page.locator("[data-testid=graph] [data-copy-of=x]")
    assert copies.count() == 99  # x is read by 100 gates: the original and 99 linked copies
    copies.first.hover()
    assert page.locator("[data-testid=graph] .node.linked").count() == 100


SIGMOID_INPUT_GRADS = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}


def input_grads(graph: GraphPage) -> dict:
    return {name: graph.grad(name) for name in SIGMOID_INPUT_GRADS}


def test_sigmoid_group_folds_into_one_gate_with_local_gradient(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("sigmoid-gate")
    group = page.locator("[data-testid=graph] [data-group-name=sigmoid]")
    assert group.get_attribute("data-folded") == "true"
    graph.click("step-end")
    assert "0.20" in group.locator(".local").text_content()
    assert page.locator("[data-testid=graph] .node.kind-op").count() == 5  # 2 mul, 2 add, σ
    folded = input_grads(graph)
    for name, grad in SIGMOID_INPUT_GRADS.items():
        assert folded[name] == pytest.approx(grad, abs=0.005), name

    group.locator(".group-header").click()
    graph.wait_ready()
    assert group.get_attribute("data-folded") == "false"
    graph.click("step-end")
    gates = page.eval_on_selector_all("[data-testid=graph] .node.kind-op",
                                      "gs => gs.map((g) => g.dataset.op)")
    assert len(gates) == 8, gates  # the slide's eight gates
    assert input_grads(graph) == folded

    group.locator(".group-header").focus()
    page.keyboard.press("Enter")
    graph.wait_ready()
    assert group.get_attribute("data-folded") == "true"


def test_vector_edges_carry_their_numbers(page, server_url):
    graph = GraphPage(page, server_url).open()
    open_program(graph, TWO_LAYER)
    graph.click("step-end")
    values = graph.visible_labels("val")
    grads = graph.visible_labels("grad")
    # x is written out on its edge, integers would stay integers, four entries of h
    assert "[1.00, −2.00, 0.50]" in values
    assert any(v.startswith("[") and v.count(",") == 3 for v in values)
    assert any(g.startswith("[") and g.count(",") == 3 for g in grads)
    # W1 (12 entries) is a heatmap chip with its shape
    assert page.locator("[data-testid=graph] .label.val .chip-frame").count() >= 1


def test_fit_shows_a_readable_stretch_of_a_graph_too_big_to_read_whole(page, server_url):
    graph = GraphPage(page, server_url).open()
    open_program(graph, PROGRAMS["tanh-chain"])
    assert float(graph.testid("graph").get_attribute("data-scale")) < 0.5  # opened whole
    graph.testid("zoom-fit").click()
    page.wait_for_timeout(100)
    assert float(graph.testid("graph").get_attribute("data-scale")) >= 0.8
    text = page.evaluate(TEXT_CHECK)
    assert text["count"] >= 10 and text["small"] == [] and text["overlaps"] == []
    assert page.get_by_test_id("minimap").is_visible()
