"""The computational graph: nodes in creation (topological) order, built by the parser."""
from __future__ import annotations

from engine.errors import EngineError
from engine.settings import Limits


class Node:
    """One value of the graph: an input, a constant, or the output of a gate."""

    __slots__ = ("id", "kind", "op", "name", "inputs", "params", "label", "line", "col",
                 "value", "grad", "ctx", "parts", "users")

    def __init__(self, kind, op=None, inputs=(), params=None, label="", line=None, col=None,
                 name=None, value=None):
        self.id = ""
        self.kind = kind          # "input" | "const" | "op"
        self.op = op              # the Op class for gates
        self.name = name          # the user's variable name, if any
        self.inputs = inputs      # tuple of Nodes
        self.params = params or {}
        self.label = label
        self.line, self.col = line, col
        self.value = value
        self.grad = None
        self.ctx = None
        self.parts = None         # [(consumer, contribution)] when used more than once
        self.users = 0

    def __repr__(self) -> str:
        return f"Node({self.id or self.label!r}, {self.kind})"


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
