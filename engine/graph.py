"""The computational graph: nodes in creation (topological) order, built by the parser."""
from __future__ import annotations

import numpy as np

from engine.errors import EngineError
from engine.settings import Limits


class Node:
    """One value of the graph: an input, a constant, or the output of a gate."""

    __slots__ = ("id", "kind", "op", "name", "inputs", "params", "line", "col",
                 "value", "grad", "ctx", "parts", "users", "_label", "groups", "display")

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
        self.groups = ()          # the Groups it belongs to, outermost first
        self.display = ""         # unique name for the page: q, w0·x0, +₂

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
        label_of = getattr(self.op, "label_of", None)
        if label_of is not None:
            return label_of(self.params, [i.name or i.label for i in self.inputs[1:]])
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


class Group:
    """Gates that belong together: one call of a function, one built-in composite traced
    as its primitive gates, one loop or one iteration of it. The page can fold a group
    into one gate; ``inputs`` and ``output`` are filled in once the graph is pruned."""

    __slots__ = ("id", "name", "kind", "parent", "iteration", "line", "local", "inputs",
                 "output", "op", "nodes")

    def __init__(self, name: str, kind: str, parent: Group | None, iteration: int | None,
                 line: int | None, op=None):
        self.id = ""
        self.name = name
        self.kind = kind              # "function" | "composite" | "loop"
        self.parent = parent
        self.iteration = iteration    # t of a loop's iteration; None otherwise
        self.line = line
        self.op = op                  # the composite's Op class
        self.output: Node | None = None
        self.inputs: list[Node] = []
        self.nodes: list[Node] = []
        self.local = None

    def chain(self) -> tuple:
        """This group and its ancestors, outermost first."""
        out, g = [], self
        while g is not None:
            out.append(g)
            g = g.parent
        return tuple(reversed(out))


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MAX_TEXT = 14     # longest expression text used as a display name


INFIX = {"add": "{} + {}", "sub": "{} − {}", "mul": "{}·{}", "div": "{}/{}", "pow": "{}^{}",
         "matmul": "{}@{}", "neg": "−{}", "transpose": "{}ᵀ"}


def _token(node: Node) -> str | None:
    if node.name:
        return node.name
    if node.kind == "const" and np.ndim(node.value) == 0:
        return node.label
    return None


def expression_text(node: Node) -> str | None:
    """``w0·x0``, ``exp(a)``: a gate over named values or numbers written out; None when
    an operand is itself an unnamed gate."""
    tokens = [_token(i) for i in node.inputs]
    if node.op is None or None in tokens or node.params:
        return None
    template = INFIX.get(node.op.name)
    if template is not None and template.count("{}") == len(tokens):
        return template.format(*tokens)
    return f"{node.op.name}({', '.join(tokens)})"


def _display_base(node: Node) -> str:
    if node.name:
        return node.name
    if node.kind == "const":
        return node.label
    text = expression_text(node)
    if text is not None and len(text) <= MAX_TEXT:
        return text
    return node.label


def assign_displays(nodes: list[Node]) -> None:
    """Unique display names: a node's variable name, else its short expression text
    (``w0·x0``), else its symbol; a name or symbol met again gets a subscript (``+₂``).
    A symbol used by several gates is numbered from the first (``+₁``, ``+₂``)."""
    bases = [_display_base(n) for n in nodes]
    count: dict[str, int] = {}
    for b in bases:
        count[b] = count.get(b, 0) + 1
    seen: dict[str, int] = {}
    used: set[str] = set()
    for node, base in zip(nodes, bases, strict=True):
        k = seen.get(base, 0) + 1
        seen[base] = k
        symbolic = not node.name and node.kind == "op" and base == node.label
        if k == 1 and not (symbolic and count[base] > 1):
            name = base
        else:
            name = base + str(k).translate(SUBSCRIPTS)
        while name in used:
            k += 1
            seen[base] = k
            name = base + str(k).translate(SUBSCRIPTS)
        used.add(name)
        node.display = name


class Graph:
    """Nodes in the order they were made, which is a topological order, plus the names."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.nodes: list[Node] = []
        self.names: dict[str, Node] = {}
        self.inputs: dict[str, Node] = {}
        self.last: Node | None = None
        self.groups: list[Group] = []

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
