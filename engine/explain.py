"""What the trace says about itself, so that the page only formats: groups with their
local gradients, and each backward step's formula filled in with its numbers.

A group's local gradient is d output / d input when the group has one input and one
output of one element each: the folded sigmoid gate's (1 - σ)σ = 0.20 in the lecture.
It comes from a backward pass over the group's own gates, started from 1 at its output.
A backward step's ``worked`` text has one entry per input: for an elementwise gate of at
most 8 entries "upstream ⊙ local = downstream" entry by entry, for scalars
"upstream × local = downstream", beyond that the shapes.
"""
from __future__ import annotations

import numpy as np

from engine.graph import Group, Node

MAX_WORKED = 8          # entries written out one by one


def number(v) -> str:
    """4 -> '4', 0.19661 -> '0.1966', -1e-07 -> '-1e-07'."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.4g}"


def _item(v) -> float:
    """The one number of a scalar or a one-element array."""
    return v.item() if isinstance(v, np.ndarray) else float(v)


def numbers(v) -> str:
    """A scalar as a number, a small tensor as [a, b, ...] (nested for matrices)."""
    a = np.asarray(v)
    if a.ndim == 0:
        return number(a)
    return "[" + ", ".join(numbers(x) for x in a) + "]"


def shape_of(v) -> str:
    shape = np.shape(v)
    return "scalar" if not shape else "(" + ", ".join(map(str, shape)) + ")"


# ---------------------------------------------------------------- groups

def finish_groups(groups: list[Group], nodes: list[Node], out: Node) -> list[Group]:
    """The groups that kept some node, numbered g1, g2, ... in the order they opened,
    each with its nodes, the nodes feeding it from outside and its output."""
    for g in groups:
        g.nodes, g.inputs = [], []
    for node in nodes:
        for g in node.groups:
            g.nodes.append(node)
    kept = [g for g in groups if g.nodes]
    for i, g in enumerate(kept, start=1):
        g.id = f"g{i}"
        members = set(g.nodes)
        seen = set()
        for node in g.nodes:
            for inp in node.inputs:
                if inp not in members and inp not in seen:
                    seen.add(inp)
                    g.inputs.append(inp)
        if g.output is None or g.output not in members and g.output.users == 0 \
                and g.output is not out:
            g.output = g.nodes[-1]
    return kept


def group_local(g: Group) -> dict | None:
    """{"formula", "text", "value"} of a group, or None when it has no formula."""
    op = g.op
    x = g.inputs[0] if len(g.inputs) == 1 else None
    scalar = x is not None and g.output is not None and np.size(x.value) == 1 and \
        np.size(g.output.value) == 1
    value = _local_value(g, x) if scalar else None
    if op is not None:
        formula = getattr(op, "local_formula", None) or op.formula
        if value is None:
            return {"formula": formula, "text": None, "value": None}
        text_of = getattr(op, "local_text", None)
        text = text_of(x.value, g.output.value, value) if text_of else \
            f"{formula}: {number(value)}"
        return {"formula": formula, "text": text, "value": value}
    if value is None:
        return None
    formula = f"d{g.output.display}/d{x.display}"
    return {"formula": formula, "text": f"{formula} = {number(value)}", "value": value}


def _local_value(g: Group, x: Node) -> float | None:
    """d output / d x through the group's gates alone: a backward pass from 1."""
    out = g.output
    if out.op is None or out.ctx is None:
        return 1.0 if out is x else None
    grads = {out: np.ones(np.shape(out.value))}
    members = set(g.nodes)
    for node in reversed(g.nodes):
        grad = grads.get(node)
        if grad is None or node.op is None:
            continue
        for inp, d in zip(node.inputs, node.op.backward(node.ctx, grad), strict=True):
            if d is None or (inp not in members and inp is not x):
                continue
            grads[inp] = d if inp not in grads else grads[inp] + d
    if x not in grads:
        return 0.0
    return float(np.asarray(grads[x]).reshape(-1)[0])


def group_dict(g: Group) -> dict:
    return {"id": g.id, "name": g.name, "kind": g.kind,
            "parent": g.parent.id if g.parent is not None and g.parent.id else None,
            "iteration": g.iteration, "line": g.line,
            "inputs": [i.id for i in g.inputs],
            "output": g.output.id if g.output is not None else None,
            "nodes": [n.id for n in g.nodes], "local": group_local(g)}


# ---------------------------------------------------------------- worked steps

def worked(node: Node, upstream, downs, local) -> list:
    """Per input: the step's numbers as text (None for an input with no gradient)."""
    texts = []
    elementwise = getattr(node.op, "broadcasts", False)
    for i, (inp, d) in enumerate(zip(node.inputs, downs, strict=True)):
        if d is None:
            texts.append(None)
            continue
        loc = None if local is None else local[i]
        texts.append(_worked_one(node, inp, upstream, d, loc, elementwise))
    return texts


def _worked_one(node: Node, inp: Node, up, down, loc, elementwise: bool) -> str:
    n_up, n_down = np.size(up), np.size(down)
    if n_up == 1 and n_down == 1 and loc is not None and np.size(loc) == 1:
        return f"{number(_item(up))} × {number(_item(loc))} = {number(_item(down))}"
    if n_up <= MAX_WORKED and n_down <= MAX_WORKED:
        same = np.shape(up) == np.shape(down)
        if elementwise and same and loc is not None and np.ndim(loc) == 2 and \
                loc.shape[0] == loc.shape[1]:
            diag = np.reshape(np.diagonal(loc), np.shape(down))
            return f"{numbers(up)} ⊙ {numbers(diag)} = {numbers(down)}"
        return f"upstream {numbers(up)} → dL/d{inp.display} = {numbers(down)}"
    return f"upstream {shape_of(up)} → dL/d{inp.display} {shape_of(down)}"
