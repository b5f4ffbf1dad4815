"""POST /api/graph on the lecture's examples: values and gradients match the lecture and
independent numpy / math computations."""
from __future__ import annotations

import math

import numpy as np

from tests.server.conftest import strict_json

SIMPLE = {"expression": "x = -2; y = 5; z = -4; f = (x + y) * z", "inputs": {}}
NEURON = {"expression": "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
          "inputs": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}}


def post_graph(client, body):
    r = client.post("/api/graph", json=body)
    assert r.status_code == 200, r.text
    return strict_json(r)


def test_simple_example_gives_the_lectures_numbers(client):
    g = post_graph(client, SIMPLE)
    assert g["output"] == "f"
    assert g["value"] == -12
    assert g["gradients"] == {"x": -4, "y": -4, "z": 3}


def test_named_intermediate_carries_value_and_grad(client):
    g = post_graph(client, {"expression": "q = x + y; f = q * z",
                            "inputs": {"x": -2, "y": 5, "z": -4}})
    q = next(n for n in g["nodes"] if n["name"] == "q")
    assert q["value"] == 3 and q["grad"] == -4
    assert q["kind"] == "op" and q["label"] == "+" and q["pattern"] == "distributor"


def test_graph_body_has_the_design_keys(client):
    g = post_graph(client, SIMPLE)
    assert {"output", "value", "gradients", "nodes", "forward", "backward", "warnings"} <= set(g)
    assert "gradcheck" not in g and "code" not in g  # only when asked
    ids = {n["id"] for n in g["nodes"]}
    assert set(g["forward"]) == ids
    for node in g["nodes"]:
        assert {"id", "kind", "op", "label", "name", "inputs", "shape", "value", "grad",
                "pattern"} <= set(node)
        assert set(node["inputs"]) <= ids
    for step in g["backward"]:
        assert step["node"] in ids and len(step["downstream"]) == len(step["inputs"])


def test_sigmoid_neuron_gradients(client):
    g = post_graph(client, NEURON)
    s = 1 / (1 + math.exp(-1.0))  # w0*x0 + w1*x1 + w2 = 1
    ds = s * (1 - s)
    want = {"w0": -1 * ds, "x0": 2 * ds, "w1": -2 * ds, "x1": -3 * ds, "w2": ds}
    assert math.isclose(g["value"], s, rel_tol=1e-12)
    for name, value in want.items():
        assert math.isclose(g["gradients"][name], value, rel_tol=1e-9), name
    # rounded as on the slides
    assert [round(g["gradients"][k], 1) for k in ("w0", "x0", "w1", "x1", "w2")] == \
        [-0.2, 0.4, -0.4, -0.6, 0.2]


def test_matrix_multiply_with_upstream(client):
    x = [[2, 1, -3], [-3, 4, 2]]
    w = [[3, 2, 1, -1], [2, 1, 3, 2], [3, 2, 1, -2]]
    dy = [[2, 3, -3, 9], [-8, 1, 4, 6]]
    g = post_graph(client, {"expression": "y = x @ w", "inputs": {"x": x, "w": w},
                            "upstream": dy})
    assert g["value"] == [[-1, -1, 2, 6], [5, 2, 11, 7]]  # the lecture (last entry corrected)
    np.testing.assert_allclose(g["gradients"]["x"], np.array(dy) @ np.array(w).T)
    np.testing.assert_allclose(g["gradients"]["w"], np.array(x).T @ np.array(dy))


def test_gradcheck_option_agrees_with_finite_differences(client):
    g = post_graph(client, {**NEURON, "gradcheck": True})
    check = g["gradcheck"]
    assert check["passed"] is True
    assert set(check["inputs"]) == set(NEURON["inputs"])
    assert check["max_rel_error"] < 1e-6


def test_code_option_returns_runnable_flat_code(client):
    g = post_graph(client, {**SIMPLE, "code": True})
    assert set(g["code"]) >= {"forward", "backward"}
    assert g["code"]["forward"].strip() and g["code"]["backward"].strip()


def test_output_option_differentiates_another_variable(client):
    g = post_graph(client, {"expression": "q = x + y; f = q * z",
                            "inputs": {"x": -2, "y": 5, "z": -4}, "output": "q"})
    assert g["value"] == 3
    assert g["gradients"]["x"] == 1 and g["gradients"]["y"] == 1


def test_generator_input(client):
    g = post_graph(client, {"expression": "f = sum(x * x)",
                            "inputs": {"x": {"shape": [2, 3], "init": "arange"}}})
    assert g["value"] == sum(i * i for i in range(6))
    assert g["gradients"]["x"] == [[0, 2, 4], [6, 8, 10]]


def test_non_finite_values_are_strings_in_strict_json(client):
    r = client.post("/api/graph", json={"expression": "f = log(x)", "inputs": {"x": 0}})
    g = strict_json(r)
    assert r.status_code == 200, g
    assert g["value"] == "-inf"
    assert g["gradients"]["x"] == "inf"


def test_json_number_1e400_is_read_as_infinity(client):
    r = client.post("/api/graph", content=b'{"expression": "f = x * 2", "inputs": {"x": 1e400}}',
                    headers={"content-type": "application/json"})
    g = strict_json(r)
    assert r.status_code == 200, g
    assert g["value"] == "inf" and g["gradients"]["x"] == 2


def test_expand_traces_the_sigmoid_as_a_group_with_the_lectures_local_gradient(client):
    neuron = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    body = {"expression": "f = sigmoid(w0*x0 + w1*x1 + w2)", "inputs": neuron}
    folded = post_graph(client, body)
    unfolded = post_graph(client, {**body, "expand": True})
    assert folded["groups"] == [] and len(unfolded["groups"]) == 1
    group = unfolded["groups"][0]
    assert group["kind"] == "composite" and abs(group["local"]["value"] - 0.2) < 0.005
    for name, g in folded["gradients"].items():
        assert abs(g - unfolded["gradients"][name]) < 1e-12
    for node in unfolded["nodes"]:
        assert node["dtype"] == "float" and isinstance(node["display"], str)
        assert node["groups"] in ([], [group["id"]])
    step = folded["backward"][0]
    assert step["formula"] == "d/dx σ(x) = (1 - σ(x))·σ(x)" and step["worked"] == [
        "1 × 0.1966 = 0.1966"]
    r = client.post("/api/graph", json={**body, "expand": "sometimes"})
    assert r.status_code == 422


def test_labels_come_back_as_whole_numbers(client):
    d = post_graph(client, {"expression": "L = cross_entropy(s, y)",
                            "inputs": {"s": [[1, 2, 3], [3, 2, 1]], "y": [2, 0]}})
    y = next(n for n in d["nodes"] if n["id"] == "y")
    assert y["dtype"] == "int" and y["value"] == [2, 0]
    assert all(type(v) is int for v in y["value"])
