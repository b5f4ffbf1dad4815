"""Quiz mode on the server: answers stay here until a student answers or reveals them.

`hide(graph, kinds)` takes the /api/graph body of one evaluation and leaves out the
quantities a student is asked to find, everywhere they appear:
- "grad": every node's gradient and copy-gate parts, the backward steps' upstream, local
  and downstream gradients and any worked text, the groups' local gradients, the
  input-gradient map, the gradient check and the flat code. The output's own gradient
  stays: it is the upstream the request gave (1 by default), the base case the student
  starts from.
- "value": every computed value (gate outputs and the output value). Inputs and
  constants stay, they are the question. Gradients give values away (the mul gate's local
  gradient is the other input), so hiding values hides gradients too.
The structure (nodes, edges, patterns, both passes' order) stays, so the page can draw
the graph and ask gate by gate; a reveal is a POST /api/grade for one quantity.
"""
from __future__ import annotations

import numpy as np

import engine

KINDS = ("grad", "value")
# Keys of a backward step that carry no number: which gate, which inputs, and the
# symbolic local-gradient formula (a hint, not an answer).
STEP_KEYS_KEPT = ("node", "inputs", "formula", "pattern", "display")


def hidden_kinds(requested) -> list[str]:
    """What a hide request leaves out, in a fixed order (values imply gradients)."""
    kinds = set(requested)
    if "value" in kinds:
        kinds.add("grad")
    return [k for k in KINDS if k in kinds]


def hide(graph: dict, requested) -> dict:
    """The /api/graph body `graph` without the hidden quantities (a new dict)."""
    kinds = hidden_kinds(requested)
    if not kinds:
        return graph
    out = dict(graph, hidden=kinds)
    output = graph["output"]
    if "grad" in kinds:
        out["gradients"] = {name: None for name in graph["gradients"]}
        out["backward"] = [_hide_step(step) for step in graph["backward"]]
        out.pop("gradcheck", None)
        out.pop("code", None)
        if graph.get("groups"):  # a folded group's own local gradient (the sigmoid gate's)
            out["groups"] = [dict(group, local=None) for group in graph["groups"]]
    if "value" in kinds:
        out["value"] = None
    out["nodes"] = [_hide_node(node, kinds, node["id"] == output) for node in graph["nodes"]]
    return out


def _hide_step(step: dict) -> dict:
    """A backward step with its numbers left out; the number fields stay, as nulls, so a
    reader sees "unknown" (one null per input) rather than a step of another shape."""
    kept = {k: step[k] for k in STEP_KEYS_KEPT if k in step}
    return {**kept, "upstream": None, "local": None,
            "downstream": [None] * len(step.get("downstream", []))}


def _hide_node(node: dict, kinds: list[str], is_output: bool) -> dict:
    node = dict(node)
    if "grad" in kinds:
        if not is_output:
            node["grad"] = None
        if node.get("grad_parts"):
            node["grad_parts"] = [{"from": part["from"], "value": None}
                                  for part in node["grad_parts"]]
    if "value" in kinds and node["kind"] == "op":
        node["value"] = None
        node["data"] = None  # what a gate records about its forward pass (the max's winner)
    return node


CONV_SIZE_ANSWERS = (("width", -1), ("height", -2), ("depth", -3))
SIZE_HINTS = {"width": "W2 = (W1 - F + 2P)/S + 1", "height": "H2 = (H1 - F + 2P)/S + 1",
              "depth": "one activation map per filter"}


def grade_conv(body, limits) -> dict:
    """POST /api/conv/grade: the predicted output size (W2, H2, depth) and one activation
    of the conv layer in body, each judged like a /api/grade answer."""
    from server import grading  # here: grading imports server.compute, which imports us

    params = body.model_dump(exclude={"input", "answers", "rtol", "atol", "reveal"})
    layer = engine.conv_explain(body.input, limits=limits, **params)
    shape = layer["output_shape"]  # (K, H2, W2): the conv layer's maps, before any pool
    answers = body.answers
    results = {}
    for name, axis in CONV_SIZE_ANSWERS:
        given = getattr(answers, name)
        if given is not None:
            verdict = grading.judge(given, np.asarray(float(shape[axis])), name, rtol=0.0,
                                    atol=0.0, reveal=body.reveal)
            if not verdict["correct"] and verdict["message"].startswith("not within"):
                verdict["message"] = f"not the output's {name}: {SIZE_HINTS[name]}"
            results[name] = verdict
    if answers.activation is not None:
        results["activation"] = _judge_activation(answers.activation, layer["output"], body)
    correct = sum(v["correct"] for v in results.values())
    return {"score": correct / len(results) if results else 0.0, "correct": correct,
            "total": len(results), "results": results}


def _judge_activation(asked, maps: np.ndarray, body) -> dict:
    from server import grading

    where = (asked.filter, asked.row, asked.col)
    name = f"activation[{asked.filter}, {asked.row}, {asked.col}]"
    if any(i >= n for i, n in zip(where, maps.shape, strict=True)):
        k, h, w = maps.shape
        return {"correct": False, "given": asked.value,
                "message": f"{name} is outside the output: it has {k} map(s) of {h}x{w}"}
    return grading.judge(asked.value, np.asarray(maps[where]), name, rtol=body.rtol,
                         atol=body.atol, reveal=body.reveal)
