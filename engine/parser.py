"""Program text to graph: Python syntax read by ``ast`` through a strict whitelist.

A program is statements ``name = expr`` (one a line, or separated by ``;``). A statement
whose right side is a bare literal (a number or a nested list) declares an input. Nothing
is ever evaluated as Python: the tree is walked and only known node types become gates.

Programs made only of the simplest lines (``a = b * 2``, ``h = relu(a)``, ``x = -2``) take
a line-by-line fast path (``engine.shortcuts``) that builds the very same graph; ``ast``
reads everything else.
"""
from __future__ import annotations

import ast

import numpy as np

from engine.errors import EngineError
from engine.graph import Graph, Node
from engine.inputs import make_input
from engine.registry import REGISTRY
from engine.settings import Limits
from engine.shortcuts import fast_parse

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
          ast.MatMult: "matmul"}

# Words a student may write, for clearer messages than "Lambda is not allowed".
FRIENDLY = {"Lambda": "lambda", "Attribute": "attribute access (only x.T is allowed)",
            "Subscript": "indexing", "Compare": "comparisons", "BoolOp": "and/or",
            "IfExp": "if/else", "ListComp": "comprehensions", "GeneratorExp": "comprehensions",
            "DictComp": "comprehensions", "SetComp": "comprehensions", "Dict": "dicts",
            "Set": "sets", "JoinedStr": "strings", "Starred": "*args", "NamedExpr": ":=",
            "Await": "await", "Yield": "yield", "YieldFrom": "yield", "Slice": "slices",
            "Import": "import", "ImportFrom": "import", "FunctionDef": "def",
            "ClassDef": "class", "For": "loops", "While": "loops", "If": "if statements",
            "With": "with", "Try": "try", "Raise": "raise", "Delete": "del",
            "Global": "global", "Nonlocal": "nonlocal", "Return": "return",
            "AugAssign": "augmented assignment (write x = x + 1)", "AnnAssign": "annotations",
            "Assert": "assert", "Pass": "pass", "Break": "break", "Continue": "continue"}

def _err(kind: str, msg: str, node=None) -> EngineError:
    if node is not None and hasattr(node, "lineno"):
        return EngineError(msg, kind=kind, line=node.lineno, col=node.col_offset + 1)
    return EngineError(msg, kind=kind)


class Builder:
    """Turns statements into graph nodes, resolving names and applying the given inputs."""

    def __init__(self, inputs: dict, limits: Limits):
        self.graph = Graph(limits)
        self.limits = limits
        self.given = inputs
        self.used_given: set[str] = set()

    # ---- leaves
    def input(self, name: str, literal, line: int, col: int) -> Node:
        if name in self.given:
            self.used_given.add(name)
            value = make_input(self.given[name], name, self.limits)
        else:
            value = make_input(literal, name, self.limits)
        node = self.graph.add(Node("input", None, (), None, line, col, name, value))
        self.graph.inputs[name] = node
        self.graph.names[name] = node
        return node

    def declare(self, name: str, literal, line: int, col: int) -> Node:
        """``name = <literal>``: an input (a given value of that name wins)."""
        _check_name(name, line, col)
        node = self.input(name, literal, line, col)
        self.graph.last = node
        return node

    def const(self, value, line: int, col: int) -> Node:
        arr = make_input(value, "constant", self.limits)
        return self.graph.add(Node("const", None, (), None, line, col, None, arr))

    def const_number(self, value: float, line: int, col: int) -> Node:
        """A scalar constant read by the fast path (already a float)."""
        return self.graph.add(Node("const", None, (), None, line, col, None, np.array(value)))

    def name(self, name: str, line: int, col: int) -> Node:
        node = self.graph.names.get(name)
        if node is not None:
            return node
        if name in self.given:
            return self.input(name, None, line, col)
        hint = f" ({name} is a function: call it as {name}(...))" if name in REGISTRY else ""
        raise EngineError(f"unknown name '{name}'{hint}", kind="name", line=line, col=col)

    # ---- gates
    def gate(self, opname: str, args: list[Node], params: dict, line: int, col: int) -> Node:
        return self.graph.add(Node("op", REGISTRY[opname], tuple(args), params, line, col))

    def bind(self, name: str, node: Node, line: int, col: int) -> None:
        _check_name(name, line, col)
        if node.name is None and node.kind != "input":
            node.name = name
        self.graph.names[name] = node
        self.graph.last = node


def _check_name(name: str, line: int, col: int) -> None:
    if name.startswith("grad_"):
        raise EngineError(f"names starting with 'grad_' are kept for gradients: rename '{name}'",
                          kind="name", line=line, col=col)


# ---------------------------------------------------------------- full parser

def _literal(node: ast.AST, limits: Limits, depth: int = 0):
    """A number or nested list of numbers written in the program, else None."""
    if depth > limits.max_depth:
        raise _err("limit", f"lists nested deeper than {limits.max_depth} levels", node)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        if isinstance(v, int) and abs(v) > 10**308:
            raise _err("value", "this number is too large for float64", node)
        return v
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _literal(node.operand, limits, depth + 1)
        if v is None or isinstance(v, list):
            return None
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e, limits, depth + 1) for e in node.elts]
        return None if any(i is None for i in items) else items
    return None


def _param_value(node: ast.AST, opname: str, key: str, limits: Limits):
    """Parameters (stride=2, axis=0, shape=(2, 3)) must be literal whole numbers."""
    v = _literal(node, limits)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, list):
        if not all(isinstance(i, int) or (isinstance(i, float) and i.is_integer()) for i in v):
            v = None
        else:
            v = tuple(int(i) for i in v)
    if v is None or isinstance(v, float):
        raise _err("parse", f"{opname}: {key} must be a whole number or a tuple of them", node)
    if isinstance(v, int) and abs(v) > 10**9 or isinstance(v, tuple) and (
            len(v) > 8 or any(abs(i) > 10**9 for i in v)):
        raise _err("limit", f"{opname}: {key}={v} is out of range", node)
    return v


def _not_allowed(node: ast.AST) -> EngineError:
    what = FRIENDLY.get(type(node).__name__, type(node).__name__)
    return _err("parse", f"{what} is not allowed here", node)


class AstReader:
    """Walks a parsed module statement by statement; expressions iteratively (no recursion),
    so a long chain like a + b + c + ... cannot exhaust Python's stack."""

    def __init__(self, builder: Builder):
        self.b = builder
        self.limits = builder.limits

    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                self.assign(stmt)
            elif isinstance(stmt, ast.Expr):
                self.b.graph.last = self.expr(stmt.value)
            else:
                raise _not_allowed(stmt)

    def assign(self, stmt: ast.Assign) -> None:
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise _err("parse", "write one name on the left of '=', as in q = x + y", stmt)
        target = stmt.targets[0]
        literal = _literal(stmt.value, self.limits)
        if literal is not None:
            self.b.declare(target.id, literal, target.lineno, target.col_offset + 1)
            return
        node = self.expr(stmt.value)
        self.b.bind(target.id, node, target.lineno, target.col_offset + 1)

    def children(self, node: ast.AST) -> list:
        if isinstance(node, ast.BinOp):
            if type(node.op) not in BINOPS:
                raise _err("parse", f"the operator {type(node.op).__name__} is not supported; "
                           "use + - * / ** @", node)
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _err("parse", "only unary minus and plus are supported", node)
            return [node.operand]
        if isinstance(node, ast.Attribute):
            if node.attr != "T" or not isinstance(node.ctx, ast.Load):
                raise _err("parse", "attribute access is not allowed (only x.T, the "
                           "transpose)", node)
            return [node.value]
        if isinstance(node, ast.Call):
            return self.call_args(node)[0]
        if isinstance(node, (ast.Name, ast.Constant, ast.List, ast.Tuple)):
            return []
        raise _not_allowed(node)

    def call_args(self, node: ast.Call):
        """Split a call into tensor arguments (expressions) and literal parameters."""
        if not isinstance(node.func, ast.Name):
            raise _err("parse", "only calls of gate names like exp(x) are allowed", node)
        opname = node.func.id
        op = REGISTRY.get(opname)
        if op is None:
            raise _err("name", f"unknown function '{opname}'; available: "
                       f"{', '.join(sorted(REGISTRY))}", node)
        slots = [n.rstrip("?") for n in op.inputs]
        required, most = op.arity()
        tensors, params = [], {}
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                raise _not_allowed(arg)
            if i < most:
                tensors.append(arg)
            else:
                extra = i - most
                keys = list(op.params)
                if extra >= len(keys):
                    raise _err("parse", f"{opname} takes at most {most + len(keys)} arguments",
                               arg)
                params[keys[extra]] = _param_value(arg, opname, keys[extra], self.limits)
        for kw in node.keywords:
            if kw.arg is None:
                raise _not_allowed(kw.value)
            if kw.arg in op.params:
                params[kw.arg] = _param_value(kw.value, opname, kw.arg, self.limits)
            elif kw.arg in slots and slots.index(kw.arg) >= len(tensors):
                if len(tensors) < slots.index(kw.arg):
                    raise _err("parse", f"{opname}: give {slots[len(tensors)]} before "
                               f"{kw.arg}", kw.value)
                tensors.append(kw.value)
            else:
                raise _err("parse", f"{opname} has no parameter '{kw.arg}'; it takes "
                           f"{', '.join(slots + list(op.params))}", kw.value)
        if len(tensors) < required:
            raise _err("parse", f"{opname} needs {required} argument"
                       f"{'s' if required != 1 else ''} ({', '.join(slots[:required])}), "
                       f"got {len(tensors)}", node)
        return tensors, params

    def leaf(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Name):
            return self.b.name(node.id, node.lineno, node.col_offset + 1)
        literal = _literal(node, self.limits)
        if literal is None:
            if isinstance(node, (ast.List, ast.Tuple)):
                raise _err("parse", "lists may hold only numbers (name inputs separately)",
                           node)
            raise _err("parse", "only numbers are allowed as constants", node)
        return self.b.const(literal, node.lineno, node.col_offset + 1)

    def expr(self, root: ast.AST) -> Node:
        stack: list[tuple[ast.AST, bool]] = [(root, False)]
        results: list[Node] = []
        while stack:
            node, ready = stack.pop()
            if not ready:
                literal = None if isinstance(node, ast.Name) else _literal(node, self.limits)
                if literal is not None:
                    results.append(self.b.const(literal, node.lineno, node.col_offset + 1))
                    continue
                kids = self.children(node)
                if not kids:
                    results.append(self.leaf(node))
                    continue
                stack.append((node, True))
                stack.extend((k, False) for k in reversed(kids))
                continue
            results.append(self.combine(node, results))
        return results[-1]

    def combine(self, node: ast.AST, results: list[Node]) -> Node:
        line, col = node.lineno, node.col_offset + 1
        if isinstance(node, ast.BinOp):
            right, left = results.pop(), results.pop()
            return self.b.gate(BINOPS[type(node.op)], [left, right], {}, line, col)
        if isinstance(node, ast.UnaryOp):
            operand = results.pop()
            return operand if isinstance(node.op, ast.UAdd) else \
                self.b.gate("neg", [operand], {}, line, col)
        if isinstance(node, ast.Attribute):
            return self.b.gate("transpose", [results.pop()], {}, line, col)
        tensors, params = self.call_args(node)
        args = results[len(results) - len(tensors):]
        del results[len(results) - len(tensors):]
        return self.b.gate(node.func.id, args, params, line, col)


def parse(text: str, inputs: dict, limits: Limits) -> Graph:
    """Read a program into a Graph, or raise EngineError (kind parse, name, value or limit)."""
    if not isinstance(text, str):
        raise EngineError("the expression must be text", kind="parse")
    if len(text) > limits.max_expression_chars:
        raise EngineError(f"the program is {len(text):,} characters long, more than the limit "
                          f"of {limits.max_expression_chars:,}", kind="limit")
    builder = Builder(inputs, limits)
    text = text.replace("\r\n", "\n")
    if not fast_parse(text, builder, REGISTRY):
        builder = Builder(inputs, limits)
        AstReader(builder).module(_python_ast(text))
    graph = builder.graph
    if graph.last is None:
        raise EngineError("the program is empty: write an expression such as "
                          "f = (x + y) * z", kind="parse")
    graph.unused_inputs = sorted(set(inputs) - builder.used_given)
    return graph


def _python_ast(text: str) -> ast.Module:
    if "\x00" in text:
        raise EngineError("the program contains a NUL character", kind="parse")
    try:
        return ast.parse(text, mode="exec")
    except SyntaxError as e:
        msg = (e.msg or "invalid syntax").replace("'(' was never closed", "a '(' is never closed")
        raise EngineError(msg, kind="parse", line=e.lineno, col=e.offset) from None
    except (RecursionError, MemoryError):
        raise EngineError("the expression is nested too deeply: split it into several "
                          "statements", kind="parse") from None
    except ValueError as e:
        raise EngineError(f"cannot read the program: {e}", kind="parse") from None
