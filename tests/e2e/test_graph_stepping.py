"""Stepping through the lecture's examples: the right number appears at each step and goes
away again on the way back; the explanation names the pattern and does the arithmetic.
Expected numbers are the lecture's (shared/LECTURE.md), not the engine's."""
from __future__ import annotations

import pytest

from tests.e2e.conv_pages import get_json, post_json
from tests.e2e.pages import GraphPage


def backward_step(server_url: str, example_id: str, node_name: str) -> tuple[dict, dict]:
    """The API's own trace of a lecture example and its backward step at the named gate."""
    example = next(e for e in get_json(server_url + "/api/examples") if e["id"] == example_id)
    body = {"expression": example["expression"], "inputs": example.get("inputs", {})}
    for key in ("output", "upstream"):
        if example.get(key) is not None:
            body[key] = example[key]
    trace = post_json(server_url + "/api/graph", body)
    node = next(n for n in trace["nodes"] if n["name"] == node_name)
    return trace, next(b for b in trace["backward"] if b["node"] == node["id"])


def last_number(text: str) -> float:
    """The number after the last "=" of a worked-out product ("1 × -4 = -4" -> -4.0)."""
    return float(text.rsplit("=", 1)[1].replace("−", "-"))

# The simple example f = (x + y) * z at x = -2, y = 5, z = -4 (LECTURE.md section 2):
# after each step, the values and gradients that must be shown (None: not yet shown).
SIMPLE_STEPS = [
    # step: ({name: value}, {name: grad})
    ({"x": -2, "y": 5, "z": -4, "q": None, "f": None},
     {"x": None, "y": None, "z": None, "q": None, "f": None}),
    ({"q": 3, "f": None}, {"f": None}),
    ({"q": 3, "f": -12}, {"f": None}),
    ({"f": -12}, {"f": 1, "q": None, "z": None}),
    ({"f": -12}, {"f": 1, "q": -4, "z": 3, "x": None, "y": None}),
    ({"f": -12}, {"f": 1, "q": -4, "z": 3, "x": -4, "y": -4}),
]


def check_step(graph: GraphPage, step: int) -> None:
    values, grads = SIMPLE_STEPS[step]
    for name, want in values.items():
        assert graph.value(name) == want, f"step {step}: value of {name}"
    for name, want in grads.items():
        assert graph.grad(name) == want, f"step {step}: gradient of {name}"


@pytest.fixture
def simple(page, server_url) -> GraphPage:
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    return graph


def test_simple_example_forward_then_back(simple):
    assert simple.last_step() == len(SIMPLE_STEPS) - 1
    simple.click("step-start")
    for step in range(len(SIMPLE_STEPS)):
        assert simple.step() == step
        check_step(simple, step)
        if step < len(SIMPLE_STEPS) - 1:
            simple.click("step-forward")
    for step in reversed(range(len(SIMPLE_STEPS) - 1)):
        simple.click("step-back")
        assert simple.step() == step
        check_step(simple, step)


def test_simple_example_edges_carry_green_values_and_red_gradients(simple):
    simple.click("step-end")
    green = simple.visible_labels("val")
    red = simple.visible_labels("grad")
    # edges x, y, z, q and the output: values -2 5 -4 3 -12; gradients -4 -4 3 -4 1
    assert sorted(green) == sorted(["−2", "5", "−4", "3", "−12"])
    assert sorted(red) == sorted(["−4", "−4", "3", "−4", "1"])


def test_explanation_shows_the_api_worked_products_and_formula(simple, server_url):
    """The page writes what the API worked out; the numbers are the lecture's."""
    _, mul = backward_step(server_url, "simple", "f")
    simple.go_to(4)  # backward through the mul gate
    text = simple.explanation()
    assert "swap multiplier" in text
    assert f"dL/dq = {mul['worked'][0]}" in text and f"dL/dz = {mul['worked'][1]}" in text
    assert last_number(mul["worked"][0]) == -4 and last_number(mul["worked"][1]) == 3  # LECTURE.md
    assert f"local gradient: {mul['formula']}" in text
    _, add = backward_step(server_url, "simple", "q")
    simple.click("step-forward")  # the add gate
    text = simple.explanation()
    assert "gradient distributor" in text
    assert f"dL/dx = {add['worked'][0]}" in text and last_number(add["worked"][0]) == -4


def test_keyboard_stepping(simple):
    simple.page.locator("[data-testid=graph]").click(position={"x": 5, "y": 5})
    simple.press("Home")
    assert simple.step() == 0
    simple.press("ArrowRight")
    simple.press("ArrowRight")
    assert simple.step() == 2 and simple.value("f") == -12
    simple.press("ArrowLeft")
    assert simple.step() == 1 and simple.value("f") is None
    simple.press("End")
    assert simple.step() == simple.last_step() and simple.grad("x") == -4
    simple.press("Home")
    simple.press(" ")  # play
    simple.wait_step(2)
    simple.press(" ")  # pause
    paused_at = simple.step()
    simple.page.wait_for_timeout(1500)
    assert simple.step() == paused_at


def test_play_runs_to_the_end(simple):
    simple.testid("speed").select_option("4")
    simple.click("step-start")
    simple.click("play")
    simple.wait_step("last")
    assert simple.grad("x") == -4 and simple.grad("y") == -4


def test_scrubber_jumps_to_a_step(simple):
    simple.testid("scrubber").fill("3")
    assert simple.step() == 3
    check_step(simple, 3)


def test_sigmoid_neuron_explanations(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("sigmoid-neuron")
    graph.click("step-end")
    text = graph.explanation()
    # the last backward step is the first mul gate w0 * x0 (LECTURE.md section 3)
    assert "mul: swap multiplier" in text
    lines = {line.split(" = ", 1)[0]: line for line in text.split("\n") if line.startswith("dL/d")}
    assert last_number(lines["dL/dw0"]) == pytest.approx(-0.20, abs=0.005)
    assert last_number(lines["dL/dx0"]) == pytest.approx(0.39, abs=0.005)
    seen = []
    for _ in range(graph.last_step()):
        seen.append(graph.explanation())
        graph.click("step-back")
    joined = "\n".join(seen)
    assert "add: gradient distributor" in joined
    assert "base case: dL/df = 1" in joined


def test_sigmoid_neuron_lecture_numbers_on_the_graph(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("sigmoid-neuron")
    graph.click("step-end")
    text = graph.graph_text().split("\n")
    # forward values and gradients of the slides, rounded to two decimals
    for label in ["0.73", "1.37", "0.37", "−1.00", "1.00", "4.00", "6.00", "−2.00"]:
        assert label in text, f"forward value {label} missing"
    for label in ["−0.53", "−0.20", "0.20", "0.39", "−0.39", "−0.59"]:
        assert label in text, f"gradient {label} missing"
    assert graph.grad("w0") == pytest.approx(-0.1966, abs=1e-4)
    assert graph.grad("x0") == pytest.approx(0.3932, abs=1e-4)


def test_copy_gate_shows_its_sum(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("copy-gate")
    graph.click("step-end")
    assert graph.grad("c") == 6
    assert graph.copy_sum("c") == "4 + 2 = 6"
    # halfway through the backward pass only one contribution has arrived
    graph.click("step-back")
    assert graph.grad("c") is None
    assert graph.copy_sum("c") == "? + 2"
    graph.click("step-end")
    assert "4 + 2 = 6" in graph.explanation()


def test_max_gate_routes_9_and_0(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("max-gate")
    graph.click("step-end")
    assert graph.grad("y") == 9 and graph.grad("x") == 0
    text = graph.explanation()
    assert "max: gradient router" in text
    lines = {line.split(" = ", 1)[0]: line for line in text.split("\n") if line.startswith("dL/d")}
    assert last_number(lines["dL/dy"]) == 9 and last_number(lines["dL/dx"]) == 0
    red = graph.visible_labels("grad")
    assert "9" in red and "0" in red


def test_add_and_mul_patterns(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("add-gate")
    graph.click("step-end")
    assert graph.grad("x") == 2 and graph.grad("y") == 2
    assert "add: gradient distributor" in graph.explanation()
    graph.choose_example("mul-gate")
    graph.click("step-end")
    assert graph.grad("x") == 15 and graph.grad("y") == 10
    _, mul = backward_step(server_url, "mul-gate", "z")
    assert f"dL/dx = {mul['worked'][0]}" in graph.explanation()
    assert last_number(mul["worked"][0]) == 15


def test_inspector_shows_the_relu_jacobian(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("relu-vector")
    graph.click("step-end")
    text = graph.inspect("z")
    assert "diag(1, 0, 1, 0)" in text
    text = graph.inspect("x")
    assert "gradient" in text


def test_inspector_matmul_tables(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.choose_example("matmul")
    graph.click("step-end")
    text = graph.inspect("y")
    # y = x w from LECTURE.md section 6 (last entry 7, not the slide's 1)
    for number in ["−1", "2", "6", "5", "11", "7"]:
        assert number in text.split()
    assert "Jacobian" in text


def test_space_on_a_focused_button_plays_once(simple):
    simple.click("step-forward")  # focus stays on the step-forward button
    simple.press(" ")
    assert simple.testid("play").get_attribute("aria-pressed") == "true"
    simple.press(" ")
    assert simple.testid("play").get_attribute("aria-pressed") == "false"
    paused_at = simple.step()
    simple.page.wait_for_timeout(1500)
    assert simple.step() == paused_at


def test_every_step_of_a_nested_program_explains_itself(page, server_url):
    """Unnamed gates inside calls and tensors: every step has words, none breaks the page."""
    graph = GraphPage(page, server_url).open()
    for program, phrase in [
        ("a = 2\nb = 3\nc = 1\nf = max(a * b, c)", "max: gradient router"),
        ("a = [1, 2]\nb = [3, 4]\nf = sum(max(a * b, a))", "sum: gradient distributor"),
        ("x = [[1, 2], [3, 4]]\ny = x.T", "local gradient: "),
    ]:
        graph.set_program(program)
        graph.run()
        assert graph.error_text() == ""
        seen = []
        for step in range(graph.last_step() + 1):
            graph.testid("scrubber").fill(str(step))
            seen.append(graph.explanation())
        assert all(text.strip() for text in seen)
        assert any(phrase in text for text in seen), (program, seen)
