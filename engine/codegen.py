"""The lecture's "flat" code: a trace rendered as staged numpy, forward then backward.

Every intermediate gets a variable; the backward pass computes one gradient per
intermediate in reverse order from the base case ``grad_f = 1.0``, with ``+=`` where a
value feeds more than one gate. The text runs as is (with numpy and the engine installed).
"""
from __future__ import annotations

import numpy as np

from engine.graph import Node

RESERVED = {"np", "unbroadcast", "matmul_backward", "softmax", "cross_entropy",
            "cross_entropy_backward", "svm_loss", "svm_loss_backward", "expand_reduced",
            "amax_backward", "amin_backward", "scatter_add", "pick", "pick_backward"}
MAX_INLINE = 400    # largest input written out number by number

UNBROADCAST = '''def unbroadcast(grad, shape):
    """Sum a gradient over the axes numpy broadcast, back to the input's shape."""
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad
'''

GENERATORS = {"randn": "np.random.default_rng({seed}).standard_normal({shape})",
              "uniform": "np.random.default_rng({seed}).uniform(-1.0, 1.0, {shape})",
              "zeros": "np.zeros({shape})", "ones": "np.ones({shape})",
              "arange": "np.arange({size}, dtype=np.float64).reshape({shape})"}


def _literal(value) -> str:
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":      # labels and indices stay whole numbers
        return repr(int(arr)) if arr.ndim == 0 else f"np.array({arr.tolist()!r})"
    arr = arr.astype(float)
    if arr.ndim == 0:
        return repr(float(arr))
    return f"np.array({arr.tolist()!r})"


def _input_source(node: Node, spec) -> str:
    if isinstance(spec, dict) and node.value.size > MAX_INLINE:
        shape = tuple(np.shape(node.value))
        src = GENERATORS[spec.get("init", "randn")].format(
            seed=spec.get("seed", 0), shape=shape, size=node.value.size)
        scale = spec.get("scale", 1.0)
        return src if scale == 1 else f"{src} * {float(scale)!r}"
    return _literal(node.value)


def flat_code(trace, given_inputs: dict | None = None) -> dict:
    """{"forward": source, "backward": source} for a trace."""
    given = given_inputs if given_inputs is not None else getattr(trace, "given_inputs", {})
    names: dict[Node, str] = {}
    for node in trace.nodes:
        names[node] = node.id + "_" if node.id in RESERVED else node.id

    def ref(node: Node) -> str:
        return _literal(node.value) if node.kind == "const" and node.value.ndim == 0 \
            else names[node]

    imports = {}
    for node in trace.nodes:
        for module, name in getattr(node.op, "code_imports", ()):
            imports.setdefault(module, set()).add(name)
    head = ["import numpy as np"] + [f"from {m} import {', '.join(sorted(ns))}"
                                     for m, ns in sorted(imports.items())]
    forward = head + ["", UNBROADCAST, "# forward pass"]
    for node in trace.nodes:
        if node.kind == "input":
            forward.append(f"{names[node]} = {_input_source(node, given.get(node.name))}")
        elif node.kind == "const":
            if node.value.ndim:
                forward.append(f"{names[node]} = {_literal(node.value)}")
        else:
            args = [ref(i) for i in node.inputs]
            forward.append(f"{names[node]} = {node.op.code(args, node.params)}")

    out = trace.out
    backward = ["# backward pass", f"grad_{names[out]} = {_literal(trace.upstream)}"]
    assigned = {out}
    for node, _, downs in trace._steps:
        args = [ref(i) for i in node.inputs]
        exprs = node.op.code_backward(names[node], f"grad_{names[node]}", args, node.params)
        for inp, expr, d in zip(node.inputs, exprs, downs, strict=False):
            if expr is None or d is None or inp.kind == "const":
                continue
            shape = tuple(np.shape(inp.value))
            if getattr(node.op, "broadcasts", False) and shape != tuple(np.shape(node.value)):
                expr = f"unbroadcast({expr}, {shape!r})"
            elif expr == f"grad_{names[node]}" and shape:
                expr = f"np.copy({expr})"
            target = f"grad_{names[inp]}"
            forward_or_add = "+=" if inp in assigned else "="
            backward.append(f"{target} {forward_or_add} {expr}")
            assigned.add(inp)
    return {"forward": "\n".join(forward) + "\n", "backward": "\n".join(backward) + "\n"}
