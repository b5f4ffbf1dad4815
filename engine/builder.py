"""The graph builder: names and scopes, groups, constants, inputs and gates.

The parser (``engine.parser``) reads the program's text and calls the builder once per
value: a declared input, a constant, a gate. The builder resolves names (a function
call's own names first, then the names its ``def`` could see), keeps the loop variables
as plain whole numbers, puts every node into the groups open at the time (a function
call, a loop iteration, a built-in composite traced as its primitive gates) and records
what each statement bound, so that the evaluation can warn about unused statements.
"""
from __future__ import annotations

import difflib
from contextlib import contextmanager

import numpy as np

from engine.errors import EngineError
from engine.graph import Graph, Group, Node
from engine.inputs import make_input
from engine.registry import REGISTRY
from engine.settings import Limits


def suggestion(word: str, candidates) -> str:
    """': did you mean 'sigmoid'?' for the closest candidate, else ''."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f": did you mean '{close[0]}'?" if close else ""


def check_name(name: str, line: int, col: int) -> None:
    if name.startswith("grad_"):
        raise EngineError(f"names starting with 'grad_' are kept for gradients: rename '{name}'",
                          kind="name", line=line, col=col)


class Builder:
    """Turns statements into graph nodes, resolving names and applying the given inputs."""

    def __init__(self, inputs: dict, limits: Limits, expand: bool = False):
        self.graph = Graph(limits)
        self.limits = limits
        self.given = inputs
        self.expand = expand            # composites as their primitive gates, in a group
        self.used_given: set[str] = set()
        self.chain: tuple = ()          # the groups open now, outermost first
        self.scope: dict | None = None  # a function call's own names
        self.outer: dict = {}           # the names its def could see
        self.statics: dict[str, int] = {}   # loop variables: whole numbers, not nodes
        self.static_used: set[str] = set()  # inputs read as whole numbers (slice bounds)
        self.loops = 0                  # loops open now
        self.records: list = []         # (line, name, node) for every binding
        self.labels = False             # some gate takes a label or index (no gradient)

    # ---- groups
    @contextmanager
    def group(self, name: str, kind: str, iteration: int | None, line: int, op=None):
        parent = self.chain[-1] if self.chain else None
        g = Group(name, kind, parent, iteration, line, op)
        self.graph.groups.append(g)
        saved = self.chain
        self.chain = saved + (g,)
        try:
            yield g
        finally:
            self.chain = saved

    def _add(self, node: Node) -> Node:
        if self.chain:
            node.groups = self.chain
        return self.graph.add(node)

    # ---- leaves
    def input(self, name: str, literal, line: int, col: int) -> Node:
        if name in self.given:
            self.used_given.add(name)
            value = make_input(self.given[name], name, self.limits)
        else:
            value = make_input(literal, name, self.limits)
        node = self._add(Node("input", None, (), None, line, col, name, value))
        self.graph.inputs[name] = node
        self.graph.names[name] = node
        return node

    def declare(self, name: str, literal, line: int, col: int) -> Node:
        """``name = <literal>``: an input (a given value of that name wins); inside a
        function or a loop, a constant bound to the name."""
        check_name(name, line, col)
        if self.scope is not None or self.loops:
            node = self.const(literal, line, col)
            self.bind(name, node, line, col)
            return node
        node = self.input(name, literal, line, col)
        self.graph.last = node
        self.records.append((line, name, node))
        return node

    def const(self, value, line: int, col: int) -> Node:
        arr = make_input(value, "constant", self.limits)
        return self._add(Node("const", None, (), None, line, col, None, arr))

    def const_number(self, value: float, line: int, col: int) -> Node:
        """A scalar constant read by the fast path (already a float)."""
        node = Node("const", None, (), None, line, col, None, np.array(value))
        if self.chain:
            node.groups = self.chain
        return self.graph.add(node)

    def const_array(self, value: np.ndarray, line: int, col: int) -> Node:
        """A constant made by the program (arange's integers), kept as it is."""
        return self._add(Node("const", None, (), None, line, col, None, value))

    def lookup(self, name: str) -> Node | None:
        if self.scope is None:
            return self.graph.names.get(name)
        node = self.scope.get(name)
        return node if node is not None else self.outer.get(name)

    def visible(self) -> list[str]:
        """Every name the program can use here (for "did you mean")."""
        names = self.graph.names if self.scope is None else {**self.outer, **self.scope}
        return list(names) + list(self.statics) + list(self.given)

    def name(self, name: str, line: int, col: int) -> Node:
        if self.statics and name in self.statics:
            return self.const_number(float(self.statics[name]), line, col)
        node = self.lookup(name) if self.scope is not None else self.graph.names.get(name)
        if node is not None:
            return node
        if name in self.given:
            return self.input(name, None, line, col)
        if name in REGISTRY:
            hint = f" ({name} is a function: call it as {name}(...))"
        else:
            hint = suggestion(name, self.visible())
        raise EngineError(f"unknown name '{name}'{hint}", kind="name", line=line, col=col)

    # ---- gates
    def gate(self, opname: str, args: list[Node], params: dict, line: int, col: int) -> Node:
        op = REGISTRY[opname]
        if op.no_grad:
            self.labels = True
        if self.expand and op.expand is not None:
            with self.group(opname, "composite", None, line, op) as g:
                g.output = op.expand(self, args, params, line, col)
            return g.output
        node = Node("op", op, tuple(args), params, line, col)
        if self.chain:      # (inline: this runs once per gate of a 20,000-gate program)
            node.groups = self.chain
        return self.graph.add(node)

    def bind(self, name: str, node: Node, line: int, col: int) -> None:
        check_name(name, line, col)
        if name in self.statics:
            raise EngineError(f"'{name}' is the loop variable: give the value another name",
                              kind="name", line=line, col=col)
        if node.name is None and node.kind != "input":
            node.name = name
        if self.scope is not None:
            self.scope[name] = node
        else:
            self.graph.names[name] = node
            self.graph.last = node
        self.records.append((line, name, node))

    # ---- after the last statement
    def integer_inputs(self) -> None:
        """Inputs and constants read only as labels or indices stay integers: they take
        no gradient, and the answer shows them as the whole numbers they are."""
        if not self.labels:
            return
        graded, read = set(), set()
        for node in self.graph.nodes:
            if node.op is not None:
                for i, inp in enumerate(node.inputs):
                    (graded if node.op.takes_grad(i) else read).add(inp)
        for node in read - graded:
            if node.op is None and node.value.dtype.kind == "f":
                v = node.value
                if v.size and np.all(np.isfinite(v)) and np.all(v == np.round(v)) and \
                        np.all(np.abs(v) < 2**53):
                    node.value = v.astype(np.int64)
