"""The computational graph: nodes in creation (topological) order, built by the parser."""
from __future__ import annotations

import numpy as np

from engine.errors import EngineError
from engine.settings import Limits


class Node:
    """One value of the graph: an input, a constant, or the output of a gate."""

    __slots__ = ("id", "kind", "op", "name", "inputs", "params", "line", "col",
                 "value", "grad", "ctx", "parts", "users", "_label")

    def __init__(self, kind, op, inputs, params, line, col, name=None, value=None):
        self.id = ""
        self.kind = kind          # "input" | "const" | "op"
        self.op = op              # the Op class for gates
        self.name = name          # the user's variable name, if any
        self.inputs = inputs      # tuple of Nodes
        self.params = params      # literal keyword parameters of the gate
        self.line, self.col = line, col
        self.value = value
        self.grad = None
        self.ctx = None
        self.parts = None         # [(consumer, contribution)] when used more than once
        self.users = 0
        self._label = None

    @property
    def label(self) -> str:
        """What the graph draws: the gate's symbol ("+1" for a constant operand), an input's
        name, or a constant's value. Made on first use: it is only presentation."""
        if self._label is None:
            self._label = self._make_label()
        return self._label

    def _make_label(self) -> str:
        if self.kind == "input":
            return self.name
        if self.kind == "const":
            return const_label(self.value)
        if self.op.labelled:
            return self.op.label([i.value if i.kind == "const" else None for i in self.inputs])
        return self.op.symbol

    def __repr__(self) -> str:
        return f"Node({self.id or self.label!r}, {self.kind})"


def const_label(value) -> str:
    if np.ndim(value) == 0:
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"
    return "×".join(map(str, np.shape(value)))


class Graph:
    """Nodes in the order they were made, which is a topological order, plus the names."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.nodes: list[Node] = []
        self.names: dict[str, Node] = {}
        self.inputs: dict[str, Node] = {}
        self.last: Node | None = None

    def add(self, node: Node) -> Node:
        if len(self.nodes) >= self.limits.max_nodes:
            raise EngineError(f"the program has more than {self.limits.max_nodes:,} nodes",
                              kind="limit", line=node.line, col=node.col)
        self.nodes.append(node)
        return node

    def assign_ids(self, nodes: list[Node]) -> None:
        """Ids are variable names where they are free, else op name plus a counter."""
        taken = {n.name for n in nodes if n.name}
        used: set[str] = set()
        counters: dict[str, int] = {}
        for node in nodes:
            if node.name and node.name not in used:
                node.id = node.name
            else:
                base = node.op.name if node.op else node.kind
                while True:
                    counters[base] = counters.get(base, 0) + 1
                    candidate = f"{base}{counters[base]}"
                    if candidate not in taken and candidate not in used:
                        break
                node.id = candidate
            used.add(node.id)
