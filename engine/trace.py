"""evaluate(): parse, forward pass, backward pass, and the Trace that records them.

One backward driver for every op: reverse topological order, gradients accumulated with
``+`` so that a value used twice (the lecture's copy gate) just works; each consumer's
contribution is kept so the page can show "4 + 2 = 6".
"""
from __future__ import annotations

import time

import numpy as np

from engine.errors import EngineError
from engine.explain import finish_groups, group_dict, worked
from engine.graph import Node, assign_displays
from engine.inputs import make_input
from engine.limits import AnswerBudget, objects
from engine.parser import parse
from engine.registry import Context
from engine.settings import DEFAULT_LIMITS, Limits
from engine.shortcuts import all_finite, finite

MAX_LOCAL_ENTRIES = 64      # largest explicit Jacobian a backward step shows
MAX_WARNINGS = 10


def evaluate(expression: str, inputs: dict | None = None, *, output: str | None = None,
             upstream=None, gradcheck: bool = False, limits: Limits | None = None,
             expand: bool = False) -> Trace:
    """Evaluate a program: every node's value and gradient, recorded step by step.

    ``expand`` traces the built-in composites (sigmoid, softmax, cross_entropy, svm_loss,
    linear) as their primitive gates, each call a group of kind "composite", instead of
    one gate with its own local gradient; values and gradients are the same either way.

    Raises EngineError (kinds parse, name, shape, value, limit) for bad programs or inputs;
    non-finite results are kept and listed in the trace's warnings instead.
    """
    limits = limits or DEFAULT_LIMITS
    inputs = _check_inputs(inputs)
    deadline = time.perf_counter() + limits.max_seconds if limits.max_seconds else None
    graph = parse(expression, inputs, limits, expand)
    out = _output_node(graph, output)
    nodes = _needed(graph.nodes, out)
    graph.assign_ids(nodes)
    warnings = [f"input '{n}' is not used by the program" for n in graph.unused_inputs]
    warnings += unused_statements(graph, out)
    # Overflow and 0/0 are results, reported in the trace's warnings, not numpy noise.
    with np.errstate(all="ignore"):
        run_forward(nodes, limits, deadline)
        seed = _upstream(out, upstream, warnings, limits)
        steps = run_backward(nodes, out, seed, deadline, limits)
        trace = Trace(nodes, out, graph, steps, seed, warnings)
        trace.groups = finish_groups(graph.groups, nodes, out) if graph.groups else []
        trace.given_inputs = inputs
        trace.check_finite()
        if gradcheck:
            from engine.gradcheck import check_gradients
            trace.gradcheck = check_gradients(trace, limits, deadline)
    return trace


def _check_inputs(inputs) -> dict:
    if inputs is None:
        return {}
    if not isinstance(inputs, dict) or not all(isinstance(k, str) for k in inputs):
        raise EngineError("inputs must map names to values", kind="value")
    return inputs


def _output_node(graph, output: str | None) -> Node:
    if output is None:
        return graph.last
    node = graph.names.get(output)
    if node is None:
        raise EngineError(f"output '{output}' is not a variable of the program; it has "
                          f"{', '.join(sorted(graph.names)) or 'none'}", kind="name")
    return node


def _needed(nodes: list[Node], out: Node) -> list[Node]:
    """The output's ancestors, in topological order; each counts its kept consumers.

    One reverse pass: a node is needed when it is the output or a needed node consumed it,
    and every consumer comes after its inputs."""
    kept = []
    for node in reversed(nodes):
        if node.users or node is out:
            kept.append(node)
            for i in node.inputs:
                i.users += 1
    kept.reverse()
    return kept


def unused_statements(graph, out: Node) -> list[str]:
    """"line 2: p is computed but the output L does not use it", once per line and name
    whose every value (one per call or loop iteration) the output leaves unused."""
    used: dict[tuple, bool] = {}
    for line, name, node in graph.records:
        key = (line, name)
        used[key] = used.get(key, False) or node.users > 0 or node is out
    return [f"line {line}: {name} is computed but the output {out.id} does not use it"
            for (line, name), ok in used.items()
            if not ok and name not in graph.static_used]


def _too_slow(limits: Limits) -> EngineError:
    return EngineError(f"the computation took longer than {limits.max_seconds:g} s, the time "
                       f"limit", kind="limit", limit="max_seconds", allowed=limits.max_seconds)


def _op_error(node: Node, exc: Exception) -> EngineError:
    if isinstance(exc, EngineError):
        return exc.at(node.line, node.col)
    if isinstance(exc, MemoryError):
        return EngineError(f"{node.op.name}: the result would not fit in memory", kind="limit",
                           line=node.line, col=node.col)
    return EngineError(f"{node.op.name}: {exc}", kind="value", line=node.line, col=node.col)


def run_forward(nodes: list[Node], limits: Limits, deadline: float | None) -> None:
    """Compute every op node's value in topological order."""
    total = 0
    cap = limits.max_total_elements
    answer = AnswerBudget(limits.max_response_numbers)
    for node in nodes:
        op = node.op
        if op is None:
            total += node.value.size or objects(node.value.shape)
            answer.add(node.value.shape, node.users)
            continue
        if deadline is not None and time.perf_counter() > deadline:
            raise _too_slow(limits)
        ctx = node.ctx = Context()
        xs = [i.value for i in node.inputs]
        try:
            # Scalars cannot blow up a result's size; only some ops check them anyway.
            if op.precheck is not None and (op.check_scalars or xs[0].ndim or xs[-1].ndim):
                op.precheck(xs, node.params, limits)
            value = op.forward(ctx, *xs, **node.params) if node.params else op.forward(ctx, *xs)
        except (EngineError, ArithmeticError, ValueError, TypeError, IndexError,
                MemoryError) as exc:
            raise _op_error(node, exc) from None
        if type(value) is not np.float64 and type(value) is not np.ndarray:
            value = np.asarray(value)
            if value.dtype.kind not in "iu":     # labels and indices stay integers
                value = value.astype(np.float64)
        node.value = value
        total += value.size or objects(value.shape)  # a zero-size value still has lists
        answer.add(value.shape, node.users, [x.shape for x in xs])
        if total > cap:
            raise EngineError(f"the values of the graph hold more than {cap:,} numbers",
                              kind="limit", line=node.line, col=node.col)


def _upstream(out: Node, upstream, warnings: list, limits: Limits):
    shape = np.shape(out.value)
    if upstream is None:
        if shape == ():
            return np.float64(1.0)
        warnings.append(f"the output '{out.id}' has shape {shape}, not a scalar: the backward "
                        "pass starts from an upstream gradient of ones")
        return np.ones(shape)
    seed = make_input(upstream, "upstream", limits)
    if seed.shape != shape:
        if seed.shape == ():
            return np.broadcast_to(seed, shape).copy() if shape else seed
        raise EngineError(f"upstream gradient of shape {seed.shape} does not match the output "
                          f"'{out.id}' of shape {shape}", kind="shape")
    return seed


def run_backward(nodes: list[Node], out: Node, seed, deadline, limits) -> list:
    """Reverse topological order; returns the steps as (node, upstream, downstreams)."""
    out.grad = seed
    steps = []
    for node in reversed(nodes):
        op = node.op
        g = node.grad
        if op is None or g is None:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            raise _too_slow(limits)
        try:
            downs = op.backward(node.ctx, g)
        except (EngineError, ArithmeticError, ValueError, TypeError, IndexError,
                MemoryError) as exc:
            raise _op_error(node, exc) from None
        steps.append((node, g, downs))
        for inp, d in zip(node.inputs, downs, strict=True):
            if d is None:
                continue
            if inp.users > 1:
                if inp.parts is None:
                    inp.parts = []
                inp.parts.append((node, d))
            inp.grad = d if inp.grad is None else inp.grad + d
    return steps


def _local_gradients(node: Node, downs) -> list | None:
    """d output / d input for each input, as a number or a small Jacobian (rows: output
    elements); None for an input that takes no gradient or whose Jacobian is too large.

    Row k is the backward pass of a one-hot upstream at output element k, so one call of
    backward per output element serves every input."""
    n_out = np.size(node.value)
    wanted = [d is not None and n_out * np.size(i.value) <= MAX_LOCAL_ENTRIES
              for i, d in zip(node.inputs, downs, strict=True)]
    if not any(wanted):
        return None
    shape = np.shape(node.value)
    if n_out == 1:
        ones = node.op.backward(node.ctx, np.ones(shape) if shape else np.float64(1.0))
        return [np.asarray(g, dtype=np.float64).reshape(()) if w and np.size(g) == 1
                else np.asarray(g, dtype=np.float64).reshape(1, -1) if w else None
                for g, w in zip(ones, wanted, strict=True)]
    rows: list[list] = [[] for _ in wanted]
    for k in range(n_out):
        e = np.zeros(shape)
        e.flat[k] = 1.0
        for i, g in enumerate(node.op.backward(node.ctx, e)):
            if wanted[i]:
                rows[i].append(np.asarray(g, dtype=np.float64).reshape(-1))
    return [np.array(r) if w else None for r, w in zip(rows, wanted, strict=True)]


class Trace:
    """What one evaluation did: nodes with values and gradients, and the backward steps."""

    def __init__(self, nodes, out, graph, steps, seed, warnings):
        self.nodes: list[Node] = nodes
        self.out = out
        self.output: str = out.id
        self.value = np.asarray(out.value)
        self._steps = steps
        self.upstream = seed
        self.warnings: list[str] = warnings
        self.gradcheck: dict | None = None
        self.groups: list = []
        self._named = False
        def kept(n: Node) -> bool:
            return n.users > 0 or n is out
        self.variables: dict[str, Node] = {k: n for k, n in graph.names.items() if kept(n)}
        self.inputs: dict[str, Node] = {k: n for k, n in graph.inputs.items() if kept(n)}
        self.gradients: dict[str, np.ndarray] = {
            k: np.asarray(n.grad) if n.grad is not None else np.zeros_like(n.value)
            for k, n in self.inputs.items()}

    def check_finite(self) -> None:
        """List non-finite values and gradients among the warnings (never an exception)."""
        values = [n.value for n in self.nodes]
        values += [n.grad for n in self.nodes if n.grad is not None]
        if all_finite(values):
            return
        bad = []
        for node in self.nodes:
            for what, v in (("value", node.value), ("gradient", node.grad)):
                if v is not None and not finite(v):
                    where = f" (line {node.line}, col {node.col})" if node.line else ""
                    bad.append(f"{node.id}{where}: the {what} is not finite")
        self.warnings.extend(bad[:MAX_WARNINGS])
        if len(bad) > MAX_WARNINGS:
            self.warnings.append(f"... and {len(bad) - MAX_WARNINGS} more non-finite results")

    def _displays(self) -> None:
        """Display names, made once, when the trace is first shown (only presentation)."""
        if not self._named:
            assign_displays(self.nodes)
            self._named = True

    @property
    def backward_steps(self) -> list[dict]:
        """One dict per gate, output first: upstream × local = downstream."""
        self._displays()
        with np.errstate(all="ignore"):
            return [self._step_dict(node, g, downs) for node, g, downs in self._steps]

    def _step_dict(self, node: Node, g, downs) -> dict:
        local = _local_gradients(node, downs)
        return {"node": node.id, "inputs": [i.id for i in node.inputs], "upstream": g,
                "local": local, "downstream": list(downs), "formula": node.op.formula,
                "worked": worked(node, g, downs, local)}

    def node_dict(self, node: Node) -> dict:
        self._displays()
        pattern = node.op.node_pattern(node.ctx) if node.op else \
            ("adder" if node.users > 1 else None)
        value = node.value
        d = {"id": node.id, "kind": node.kind, "op": node.op.name if node.op else None,
             "label": node.label, "name": node.name, "display": node.display,
             "groups": [g.id for g in node.groups],
             "dtype": "int" if value.dtype.kind in "iu" else "float",
             "inputs": [i.id for i in node.inputs],
             "shape": list(np.shape(value)), "value": value,
             "grad": node.grad if node.grad is not None else np.zeros(np.shape(value)),
             "pattern": pattern, "users": node.users, "line": node.line, "col": node.col,
             "data": node.op.describe(node.ctx, value) if node.op else None}
        if node.params:
            d["params"] = node.op.params_data(node.params)
        if node.parts:
            d["grad_parts"] = [{"from": c.id, "value": v} for c, v in node.parts]
        return d

    def to_dict(self, code: bool = False) -> dict:
        """The body of POST /api/graph (numpy values left for the server to serialise)."""
        self._displays()
        d = {"output": self.output, "value": self.value,
             "gradients": dict(self.gradients),
             "nodes": [self.node_dict(n) for n in self.nodes],
             "forward": [n.id for n in self.nodes],
             "backward": self.backward_steps,
             "groups": [group_dict(g) for g in self.groups],
             "warnings": list(self.warnings)}
        if self.gradcheck is not None:
            d["gradcheck"] = self.gradcheck
        if code:
            d["code"] = self.flat_code()
        return d

    def flat_code(self) -> dict:
        """The lecture's "flat" code: a staged forward pass and a backward pass, runnable."""
        from engine.codegen import flat_code
        return flat_code(self)
