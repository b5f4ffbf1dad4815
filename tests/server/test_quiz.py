"""Quiz mode on the server: POST /api/graph with `hide` leaves the answers out of the whole
response, POST /api/grade reveals one quantity at a time, POST /api/conv/grade checks
predictions about a conv layer. Expected numbers come from the lecture (LECTURE.md) and
from numpy written out here."""
from __future__ import annotations

import math

import numpy as np
import pytest

from tests.server.conftest import detail, strict_json

SIMPLE = "x = -2; y = 5; z = -4; f = (x + y) * z"
NEURON = "w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3; f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
# A program whose gradients and gate values differ from every given number, so a scan of
# the JSON for them cannot be fooled by an input that happens to be equal.
DISTINCT = "a = 1.5; b = 2.25; c = -0.75; p = a * b; q = p + c; f = q * q"


def numbers(doc) -> list[float]:
    """Every number anywhere in a JSON document (keys included, strings read as numbers)."""
    found = []
    if isinstance(doc, bool) or doc is None:
        return found
    if isinstance(doc, (int, float)):
        return [float(doc)]
    if isinstance(doc, str):
        try:
            return [float(doc)]
        except ValueError:
            return found
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, value in items:
        found += numbers(key if isinstance(key, str) else None) + numbers(value)
    return found


def contains(doc, target: float) -> bool:
    return any(math.isclose(n, target, rel_tol=1e-9, abs_tol=1e-12) for n in numbers(doc))


def graph(client, expression, **extra):
    response = client.post("/api/graph", json={"expression": expression, **extra})
    assert response.status_code == 200, response.text
    return strict_json(response)


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def neuron_gradients() -> dict[str, float]:
    """The lecture's neuron gradients, by the closed form of the sigmoid's derivative."""
    w0, x0, w1, x1, w2 = 2, -1, -3, -2, -3
    s = sigmoid(w0 * x0 + w1 * x1 + w2)
    local = (1 - s) * s
    return {"w0": x0 * local, "x0": w0 * local, "w1": x1 * local, "x1": w1 * local,
            "w2": local}


def test_hidden_gradients_appear_nowhere_in_the_answer(client):
    expected = neuron_gradients()
    assert expected["w0"] == pytest.approx(-0.20, abs=0.005)  # LECTURE.md's numbers
    assert expected["x0"] == pytest.approx(0.39, abs=0.005)
    hidden = graph(client, NEURON, hide=["grad"], gradcheck=True, code=True)
    assert hidden["hidden"] == ["grad"]
    for name, g in expected.items():
        assert not contains(hidden, g), f"d f/d {name} = {g} is in the quiz answer"
    # also the local gradient (1 - σ)σ and the 1/x gate's -0.53 (LECTURE.md)
    assert not contains(hidden, -0.5344466914631477)
    assert "gradcheck" not in hidden and "code" not in hidden
    assert all(v is None for v in hidden["gradients"].values())
    for step in hidden["backward"]:
        assert "worked" not in step
        assert step["upstream"] is None and step["local"] is None
        assert step["downstream"] == [None] * len(step["inputs"])
    # the values stay: the neuron's output 0.73
    assert hidden["value"] == pytest.approx(0.73, abs=0.005)


def test_the_sigmoid_gate_keeps_its_local_gradient_secret(client):
    expected = neuron_gradients()
    local = expected["w2"]  # (1 - σ)σ = 0.2 in LECTURE.md
    assert local == pytest.approx(0.2, abs=0.005)
    program = "w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3; f = sigmoid(w0*x0 + w1*x1 + w2)"
    full = graph(client, program)
    assert contains(full, local)  # the unhidden answer does show it
    hidden = graph(client, program, hide=["grad"])
    for g in [*expected.values(), local]:
        assert not contains(hidden, g)


def test_hidden_quantities_are_exactly_the_ones_left_out(client):
    full = graph(client, DISTINCT)
    given = {float(n["value"]) for n in full["nodes"] if n["kind"] != "op"} | {1.0}
    grads = {float(n["grad"]) for n in full["nodes"] if n["id"] != full["output"]}
    values = {float(n["value"]) for n in full["nodes"] if n["kind"] == "op"}
    # independent numpy: p = 3.375, q = 2.625, f = q², df/dq = 2q, df/dp = 2q, ...
    a, b, c = 1.5, 2.25, -0.75
    q = a * b + c
    assert values == {a * b, q, q * q}
    assert grads >= {2 * q, 2 * q * b, 2 * q * a}
    only_grad = graph(client, DISTINCT, hide=["grad"])
    for g in grads - given - values:
        assert not contains(only_grad, g)
    for v in values:
        assert contains(only_grad, v)
    both = graph(client, DISTINCT, hide=["value"])
    assert both["hidden"] == ["grad", "value"]
    for n in (grads | values) - given:
        assert not contains(both, n), n
    assert {float(n["value"]) for n in both["nodes"] if n["kind"] != "op"} == given - {1.0}


def test_the_structure_stays_for_drawing(client):
    full, hidden = graph(client, SIMPLE), graph(client, SIMPLE, hide=["grad"])
    assert [n["id"] for n in hidden["nodes"]] == [n["id"] for n in full["nodes"]]
    assert hidden["forward"] == full["forward"]
    assert [s["node"] for s in hidden["backward"]] == [s["node"] for s in full["backward"]]
    assert [n["pattern"] for n in hidden["nodes"]] == [n["pattern"] for n in full["nodes"]]
    out = next(n for n in hidden["nodes"] if n["id"] == hidden["output"])
    assert out["grad"] == 1.0  # the base case dL/dL, given by the request
    copy = graph(client, "x = 3; f = x * x", hide=["grad"])
    parts = next(n for n in copy["nodes"] if n["id"] == "x")["grad_parts"]
    assert [p["value"] for p in parts] == [None, None]


@pytest.mark.parametrize("hide", [["gradient"], "grad", ["grad", "grad", "value"], [None]])
def test_hide_is_strictly_typed(client, hide):
    item = detail(client.post("/api/graph", json={"expression": SIMPLE, "hide": hide}))
    assert item["loc"][:2] == ["body", "hide"]


def test_a_reveal_answers_only_the_quantity_asked(client):
    body = {"expression": SIMPLE, "answers": {}, "require": {"grad": ["x"]}, "reveal": True}
    response = client.post("/api/grade", json=body)
    doc = strict_json(response)
    verdict = doc["results"]["grad"]["x"]
    assert verdict["expected"] == -4 and not verdict["correct"]  # LECTURE.md: df/dx = -4
    assert set(numbers(doc)) <= {-4.0, 0.0, 1.0}  # expected, score, correct, total


def test_an_unnamed_gate_is_graded_by_its_node_id(client):
    full = graph(client, SIMPLE)
    add = next(n for n in full["nodes"] if n["op"] == "add")
    assert add["name"] is None
    body = {"expression": SIMPLE, "answers": {"grad": {add["id"]: -4}, "value": {add["id"]: 3}}}
    doc = strict_json(client.post("/api/grade", json=body))
    assert doc["score"] == 1.0, doc  # LECTURE.md: q = 3, df/dq = z = -4
    wrong = {"expression": SIMPLE, "answers": {"grad": {add["id"]: 4}}}
    verdict = strict_json(client.post("/api/grade", json=wrong))["results"]["grad"][add["id"]]
    assert not verdict["correct"] and "tolerance" in verdict["message"]


def test_examples_for_a_quiz_come_without_their_notes(client):
    full = strict_json(client.get("/api/examples"))
    simple = next(e for e in full if e["id"] == "simple")
    assert "-4" in simple["explanation"]  # the lecture's note names df/dq = z = -4
    quiz = strict_json(client.get("/api/examples?quiz=true"))
    assert [e["id"] for e in quiz] == [e["id"] for e in full]
    assert all(e["explanation"] is None for e in quiz)
    assert quiz[0]["expression"] == full[0]["expression"]


def conv_grade(client, answers, **layer):
    body = {"input": {"shape": [1, 7, 7], "init": "arange"}, "filters": 1, "size": 3,
            "stride": 2, **layer, "answers": answers}
    return client.post("/api/conv/grade", json=body)


def test_conv_quiz_output_size(client):
    # LECTURE.md: 7x7 input, 3x3 filter, stride 2 -> (7 - 3)/2 + 1 = 3
    doc = strict_json(conv_grade(client, {"width": 3, "height": 3, "depth": 1}))
    assert doc["score"] == 1.0 and doc["total"] == 3
    wrong = strict_json(conv_grade(client, {"width": 5, "height": 3, "depth": 2}))
    assert wrong["correct"] == 1
    assert "W2 = (W1 - F + 2P)/S + 1" in wrong["results"]["width"]["message"]
    assert "5" not in wrong["results"]["width"]["message"].replace("5.0", "")
    assert "expected" not in wrong["results"]["width"]
    revealed = strict_json(conv_grade(client, {"depth": 2}, filters=4, reveal=True))
    assert revealed["results"]["depth"]["expected"] == 4


def test_conv_quiz_one_activation(client):
    x = np.arange(49, dtype=float).reshape(7, 7)
    w = np.array([[1.0, 0.0, -1.0], [2.0, 0.5, 0.0], [0.0, 1.0, 1.0]])
    expected = float((x[2:5, 4:7] * w).sum() + 0.5)  # output row 1, col 2: stride 2
    layer = {"weights": [[w.tolist()]], "bias": [0.5]}
    right = {"activation": {"filter": 0, "row": 1, "col": 2, "value": expected}}
    assert strict_json(conv_grade(client, right, **layer))["score"] == 1.0
    off = {"activation": {"filter": 0, "row": 1, "col": 2, "value": expected + 1}}
    assert strict_json(conv_grade(client, off, **layer))["score"] == 0.0
    outside = {"activation": {"filter": 0, "row": 3, "col": 0, "value": 1}}
    verdict = strict_json(conv_grade(client, outside, **layer))["results"]["activation"]
    assert not verdict["correct"] and "1 map(s) of 3x3" in verdict["message"]


def test_conv_quiz_refuses_a_filter_that_does_not_fit(client):
    item = detail(conv_grade(client, {"width": 2}, stride=3))
    assert "2.33" in item["msg"]
