"""Program text to graph: Python syntax read by ``ast`` through a strict whitelist.

A program is statements ``name = expr`` (one a line, or separated by ``;``). A statement
whose right side is a bare literal (a number or a nested list) declares an input. Besides
expressions there are ``def name(args):`` functions (``name = expr`` lines and one
``return expr``; each call's gates form a group) and ``for t in range(K):`` loops with a
whole-number K known before the program runs (unrolled, one group per iteration). Nothing
is ever evaluated as Python: the tree is walked and only known node types become gates.

Programs made only of the simplest lines (``a = b * 2``, ``h = relu(a)``, ``x = -2``) take
a line-by-line fast path (``engine.shortcuts``) that builds the very same graph; ``ast``
reads everything else.
"""
from __future__ import annotations

import ast
import operator
import sys
import threading

import numpy as np

from engine.builder import Builder, check_name, suggestion
from engine.errors import EngineError
from engine.graph import Graph, Node
from engine.registry import REGISTRY
from engine.settings import Limits
from engine.shortcuts import fast_parse

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
          ast.MatMult: "matmul"}
# Arithmetic on whole numbers known before the program runs (slice bounds, loop counts).
STATIC_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                 ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
# Words that are neither gates nor the user's functions.
BUILTIN_WORDS = ("arange", "range")
# Python nodes that make (about) one gate each, for sizing a loop before unrolling it.
GATE_NODES = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Subscript, ast.Attribute)
STATIC_DEPTH = 64           # deepest arithmetic read as a whole number
MAX_CALL_DEPTH = 32         # functions calling functions, at most this deep
PARSE_STACK = 64 << 20      # C stack of the thread that reads very long expressions
PARSE_RECURSION = 400_000   # Python's recursion limit meanwhile

# Words a student may write, for clearer messages than "Lambda is not allowed".
FRIENDLY = {"Lambda": "lambda", "Attribute": "attribute access (only x.T is allowed)",
            "Compare": "comparisons", "BoolOp": "and/or",
            "IfExp": "if/else", "ListComp": "comprehensions", "GeneratorExp": "comprehensions",
            "DictComp": "comprehensions", "SetComp": "comprehensions", "Dict": "dicts",
            "Set": "sets", "JoinedStr": "strings", "Starred": "*args", "NamedExpr": ":=",
            "Await": "await", "Yield": "yield", "YieldFrom": "yield", "Slice": "slices",
            "Import": "import", "ImportFrom": "import", "FunctionDef": "def inside a def or a loop",
            "ClassDef": "class", "While": "while loops", "If": "if statements",
            "With": "with", "Try": "try", "Raise": "raise", "Delete": "del",
            "Global": "global", "Nonlocal": "nonlocal", "Return": "return outside a def",
            "AugAssign": "augmented assignment (write x = x + 1)", "AnnAssign": "annotations",
            "Assert": "assert", "Pass": "pass", "Break": "break", "Continue": "continue",
            "AsyncFunctionDef": "async def", "AsyncFor": "async for"}


def _err(kind: str, msg: str, node=None) -> EngineError:
    if node is not None and hasattr(node, "lineno"):
        return EngineError(msg, kind=kind, line=node.lineno, col=node.col_offset + 1)
    return EngineError(msg, kind=kind)


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
        negative = False        # a chain of signs, read in a loop: ------x is no recursion
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            negative ^= isinstance(node.op, ast.USub)
            node = node.operand
        v = _literal(node, limits, depth + 1)
        if v is None or isinstance(v, list):
            return None
        return -v if negative else v
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e, limits, depth + 1) for e in node.elts]
        return None if any(i is None for i in items) else items
    return None


def _maybe_literal(node: ast.AST) -> bool:
    """Cheap test before _literal: a constant, a list, or a sign before a constant."""
    return isinstance(node, (ast.Constant, ast.List, ast.Tuple)) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant))


def _not_allowed(node: ast.AST) -> EngineError:
    what = FRIENDLY.get(type(node).__name__, type(node).__name__)
    return _err("parse", f"{what} is not allowed here", node)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and \
        isinstance(stmt.value.value, str)


class AstReader:
    """Walks a parsed module statement by statement; expressions iteratively (no recursion),
    so a long chain like a + b + c + ... cannot exhaust Python's stack."""

    def __init__(self, builder: Builder):
        self.b = builder
        self.limits = builder.limits
        self.functions: dict[str, tuple[ast.FunctionDef, dict]] = {}
        self.active: list[str] = []     # function calls in progress (no recursion)
        self.plans: dict[int, tuple] = {}   # the current expression's calls and indexes
        self.source: str | None = None

    # ---------------------------------------------------------------- statements
    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef):
                self.define(stmt)
            elif isinstance(stmt, ast.Expr) and not _is_docstring(stmt):
                self.b.graph.last = self.expr(stmt.value)
            elif not _is_docstring(stmt):
                self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            self.assign(stmt)
        elif isinstance(stmt, ast.For):
            self.loop(stmt)
        elif not _is_docstring(stmt):
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

    # ---------------------------------------------------------------- functions
    def define(self, stmt: ast.FunctionDef) -> None:
        """Keep a def for its calls, with the names it can see (those defined before it)."""
        check_name(stmt.name, stmt.lineno, stmt.col_offset + 1)
        args = stmt.args
        if stmt.decorator_list or args.vararg or args.kwarg or args.kwonlyargs or \
                args.defaults or args.posonlyargs or stmt.returns:
            raise _err("parse", f"def {stmt.name}: write plain arguments, as in "
                       f"def {stmt.name}(x, w):", stmt)
        body = [s for s in stmt.body if not _is_docstring(s)]
        if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
            raise _err("parse", f"def {stmt.name}: end with one 'return expression'", stmt)
        for s in body[:-1]:
            if not isinstance(s, (ast.Assign, ast.For)):
                raise _not_allowed(s)
        self.functions[stmt.name] = (stmt, dict(self.b.graph.names))

    def call_function(self, fname: str, call: ast.Call, args: list[Node]) -> Node:
        fdef, outer = self.functions[fname]
        if fname in self.active:
            raise _err("parse", f"{fname} calls itself: recursion is not supported", call)
        if len(self.active) >= MAX_CALL_DEPTH:
            raise _err("limit", f"functions call each other more than {MAX_CALL_DEPTH} deep",
                       call)
        params = [a.arg for a in fdef.args.args]
        if len(args) != len(params):
            raise _err("parse", f"{fname} takes {len(params)} argument"
                       f"{'s' if len(params) != 1 else ''} ({', '.join(params)}), got "
                       f"{len(args)}", call)
        b = self.b
        saved = b.scope, b.outer, b.statics, b.loops
        b.scope, b.outer, b.statics, b.loops = dict(zip(params, args, strict=True)), outer, {}, 0
        self.active.append(fname)
        try:
            with b.group(fname, "function", None, call.lineno) as g:
                body = [s for s in fdef.body if not _is_docstring(s)]
                for s in body[:-1]:
                    self.statement(s)
                g.output = self.expr(body[-1].value)
            return g.output
        finally:
            self.active.pop()
            b.scope, b.outer, b.statics, b.loops = saved

    # ---------------------------------------------------------------- loops
    def loop(self, stmt: ast.For) -> None:
        """for t in range(K): the body once per t, each time a group of its own."""
        if not isinstance(stmt.target, ast.Name):
            raise _err("parse", "write one loop variable, as in for t in range(4):", stmt)
        if stmt.orelse:
            raise _err("parse", "for ... else is not allowed", stmt)
        steps = self.range_of(stmt.iter)
        for s in stmt.body:
            if not isinstance(s, (ast.Assign, ast.For)) and not _is_docstring(s):
                raise _not_allowed(s)
        self.check_unrolled(stmt, steps)
        t = stmt.target.id
        check_name(t, stmt.target.lineno, stmt.target.col_offset + 1)
        b = self.b
        text = ast.get_source_segment(self.source, stmt.iter) if self.source else None
        b.loops += 1
        try:
            with b.group(f"for {t} in {text or 'range'}", "loop", None, stmt.lineno) as outer:
                for i in steps:
                    b.statics[t] = i
                    with b.group(f"{t} = {i}", "loop", i, stmt.lineno) as g:
                        mark = len(b.records)
                        for s in stmt.body:
                            self.statement(s)
                        g.output = b.records[-1][2] if len(b.records) > mark else None
                    outer.output = g.output
        finally:
            b.loops -= 1

    def range_of(self, it: ast.AST) -> range:
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and
                it.func.id == "range" and 1 <= len(it.args) <= 3 and not it.keywords):
            raise _err("parse", "loops run over range(K), as in for t in range(4):", it)
        bounds = [self.static(a, "range") for a in it.args]
        if len(bounds) == 3 and bounds[2] == 0:
            raise _err("value", "range: the step cannot be zero", it)
        return range(*bounds)

    def estimate(self, body: list) -> int:
        """About how many gates one pass over ``body`` makes (nested loops multiplied)."""
        total = 0
        for s in body:
            if isinstance(s, ast.For):
                try:
                    count = len(self.range_of(s.iter))
                except EngineError:
                    count = 1
                total += max(count, 1) * self.estimate(s.body)
            else:
                total += sum(isinstance(n, GATE_NODES) for n in ast.walk(s))
        return total

    def check_unrolled(self, stmt: ast.For, steps: range) -> None:
        """The unrolled loop counts against the node limit before anything is built."""
        limit = self.limits.max_nodes
        size = len(steps) * self.estimate(stmt.body)
        have = len(self.b.graph.nodes)
        if len(steps) > limit or have + size > limit:
            raise _err("limit", f"the loop unrolls to about {size:,} gates; with the {have:,} "
                       f"nodes before it that is more than the limit of {limit:,} nodes", stmt)

    # ---------------------------------------------------------------- whole numbers
    def static(self, node: ast.AST, what: str) -> int:
        v = self.static_value(node)
        if v is None:
            raise _err("parse", f"{what}: needs a whole number known before the program runs "
                       "(a number, a loop variable, or a name set to a number)", node)
        return v

    def static_value(self, node: ast.AST, depth: int = 0) -> int | None:
        """A whole number written with literals, loop variables, names of whole-number
        inputs and + - * // %; None for anything else."""
        if depth > STATIC_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return None
            if isinstance(v, float) and not v.is_integer():
                return None
            return int(v) if abs(v) <= 10**12 else None
        if isinstance(node, ast.Name):
            b = self.b
            if node.id in b.statics:
                return b.statics[node.id]
            known = b.lookup(node.id)
            if known is None and node.id in b.given:
                known = b.input(node.id, None, node.lineno, node.col_offset + 1)
            if known is None or known.op is not None or known.value.ndim:
                return None
            v = float(known.value)
            if not v.is_integer() or abs(v) > 10**12:
                return None
            b.static_used.add(node.id)
            return int(v)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.static_value(node.operand, depth + 1)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp) and type(node.op) in STATIC_BINOPS:
            a = self.static_value(node.left, depth + 1)
            c = self.static_value(node.right, depth + 1)
            if a is None or c is None:
                return None
            if c == 0 and isinstance(node.op, (ast.FloorDiv, ast.Mod)):
                raise _err("value", "division by zero in a whole-number expression", node)
            v = STATIC_BINOPS[type(node.op)](a, c)
            return v if abs(v) <= 10**12 else None
        return None

    def param(self, node: ast.AST, opname: str, key: str, default):
        """A gate's parameter: True/False for a flag, else a whole number, a tuple of
        them, or None."""
        if isinstance(default, bool):
            if isinstance(node, ast.Constant) and isinstance(node.value, bool):
                return node.value
            raise _err("parse", f"{opname}: {key} is a flag: write True or False", node)
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, (ast.Tuple, ast.List)):
            if len(node.elts) > 8:
                raise _err("limit", f"{opname}: {key} has more than 8 entries", node)
            values = tuple(self.static_value(e) for e in node.elts)
            if None not in values:
                return self._in_range(values, opname, key, node)
        else:
            v = self.static_value(node)
            if v is not None:
                return self._in_range(v, opname, key, node)
        raise _err("parse", f"{opname}: {key} must be a whole number or a tuple of them", node)

    @staticmethod
    def _in_range(v, opname: str, key: str, node):
        items = v if isinstance(v, tuple) else (v,)
        if any(abs(i) > 10**9 for i in items):
            raise _err("limit", f"{opname}: {key}={v} is out of range", node)
        return v

    # ---------------------------------------------------------------- calls
    def plan(self, node: ast.Call) -> tuple:
        """("function", name, args) | ("arange", range) | ("op", opname, tensors, params)."""
        found = self.plans.get(id(node))
        if found is None:
            found = self.plans[id(node)] = self._plan(node)
        return found

    def _plan(self, node: ast.Call) -> tuple:
        if not isinstance(node.func, ast.Name):
            raise _err("parse", "only calls of gate names like exp(x) are allowed", node)
        fname = node.func.id
        if fname in self.functions:
            fdef = self.functions[fname][0]
            params = [a.arg for a in fdef.args.args]
            args = list(node.args)
            for kw in node.keywords:
                if kw.arg not in params or params.index(kw.arg) != len(args):
                    raise _err("parse", f"{fname}: give the arguments in order "
                               f"({', '.join(params)})", kw.value if kw.arg else node)
                args.append(kw.value)
            for a in args:
                if isinstance(a, ast.Starred):
                    raise _not_allowed(a)
            return ("function", fname, args)
        if fname == "arange":
            if not 1 <= len(node.args) <= 3 or node.keywords:
                raise _err("parse", "arange(N): one to three whole numbers", node)
            bounds = [self.static(a, "arange") for a in node.args]
            if len(bounds) == 3 and bounds[2] == 0:
                raise _err("value", "arange: the step cannot be zero", node)
            steps = range(*bounds)
            if len(steps) > self.limits.max_input_elements:
                raise _err("limit", f"arange: {len(steps):,} numbers are more than the limit "
                           f"of {self.limits.max_input_elements:,}", node)
            return ("arange", steps)
        if fname in ("max", "min") and len(node.args) == 1:
            fname = "amax" if fname == "max" else "amin"     # one tensor: a reduction
        op = REGISTRY.get(fname)
        if op is None or not op.by_name:
            words = list(self.functions) + list(BUILTIN_WORDS) + [
                n for n, o in REGISTRY.items() if o.by_name]
            hint = suggestion(fname, words)
            if not hint:
                hint = f"; available: {', '.join(sorted(words))}"
            raise _err("name", f"unknown function '{fname}'{hint}", node)
        return ("op", fname) + self.call_args(node, fname, op)

    def call_args(self, node: ast.Call, opname: str, op):
        """Split a call into tensor arguments (expressions) and parameters."""
        shown = {"amax": "max", "amin": "min"}.get(opname, opname)
        slots = [n.rstrip("?*") for n in op.inputs]
        required, most = op.arity()
        tensors, params = [], {}
        positional = list(node.args)
        if most is None:            # concat([a, b], axis=1): the list holds the tensors
            if not positional or not isinstance(positional[0], (ast.List, ast.Tuple)):
                raise _err("parse", f"{shown} takes a list of values, as in "
                           f"{shown}([a, b], axis=0)", node)
            tensors = list(positional.pop(0).elts)
            if not tensors:
                raise _err("parse", f"{shown}: the list is empty", node)
            most = 0
        keys = list(op.params)
        for i, arg in enumerate(positional):
            if isinstance(arg, ast.Starred):
                raise _not_allowed(arg)
            if len(tensors) < most:
                tensors.append(arg)
                continue
            extra = i - most
            if extra >= len(keys):
                raise _err("parse", f"{shown} takes at most {most + len(keys)} arguments", arg)
            params[keys[extra]] = self.param(arg, shown, keys[extra], op.params[keys[extra]])
        for kw in node.keywords:
            if kw.arg is None:
                raise _not_allowed(kw.value)
            if kw.arg in op.params:
                params[kw.arg] = self.param(kw.value, shown, kw.arg, op.params[kw.arg])
            elif op.arity()[1] is not None and kw.arg in slots and \
                    slots.index(kw.arg) >= len(tensors):
                if len(tensors) < slots.index(kw.arg):
                    raise _err("parse", f"{shown}: give {slots[len(tensors)]} before "
                               f"{kw.arg}", kw.value)
                tensors.append(kw.value)
            else:
                raise _err("parse", f"{shown} has no parameter '{kw.arg}'; it takes "
                           f"{', '.join(slots + keys)}", kw.value)
        if len(tensors) < required:
            raise _err("parse", f"{shown} needs {required} argument"
                       f"{'s' if required != 1 else ''} ({', '.join(slots[:required])}), "
                       f"got {len(tensors)}", node)
        return tensors, params

    # ---------------------------------------------------------------- indexing
    def index_plan(self, node: ast.Subscript) -> tuple:
        """(key, tensor expressions) of x[...]; whole numbers and slices are read now."""
        found = self.plans.get(id(node))
        if found is not None:
            return found
        if not isinstance(node.ctx, ast.Load):
            raise _err("parse", "write indexing on the right of '=' only", node)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        key, tensors = [], []
        for item in items:
            if isinstance(item, ast.Slice):
                key.append(("slice",) + tuple(
                    None if part is None else self.static(part, "slice")
                    for part in (item.lower, item.upper, item.step)))
            elif isinstance(item, ast.Constant) and item.value is Ellipsis:
                key.append(("ellipsis",))
            elif isinstance(item, ast.Constant) and item.value is None:
                key.append(("newaxis",))
            else:
                v = self.static_value(item)
                if v is not None:
                    key.append(("int", v))
                else:
                    key.append(("array", len(tensors)))
                    tensors.append(item)
        found = self.plans[id(node)] = (tuple(key), tensors)
        return found

    # ---------------------------------------------------------------- expressions
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
        if isinstance(node, ast.Subscript):
            return [node.value] + self.index_plan(node)[1]
        if isinstance(node, ast.Call):
            plan = self.plan(node)
            return plan[2] if plan[0] in ("function", "op") else []
        if isinstance(node, (ast.Name, ast.Constant, ast.List, ast.Tuple)):
            return []
        raise _not_allowed(node)

    def leaf(self, node: ast.AST) -> Node:
        line, col = node.lineno, node.col_offset + 1
        if isinstance(node, ast.Name):
            return self.b.name(node.id, line, col)
        if isinstance(node, ast.Call):
            plan = self.plan(node)
            if plan[0] == "arange":
                return self.b.const_array(np.array(plan[1], dtype=np.int64), line, col)
            return self.combine(node, [])
        literal = _literal(node, self.limits)
        if literal is None:
            if isinstance(node, (ast.List, ast.Tuple)):
                raise _err("parse", "lists may hold only numbers (name inputs separately)",
                           node)
            raise _err("parse", "only numbers are allowed as constants", node)
        return self.b.const(literal, line, col)

    def expr(self, root: ast.AST) -> Node:
        """One expression's node. Plans are kept for this expression only: a loop
        variable in a slice has another value the next time round."""
        saved, self.plans = self.plans, {}
        try:
            return self._expr(root)
        finally:
            self.plans = saved

    def _expr(self, root: ast.AST) -> Node:
        stack: list[tuple[ast.AST, bool]] = [(root, False)]
        results: list[Node] = []
        while stack:
            node, ready = stack.pop()
            if not ready:
                if _maybe_literal(node):
                    literal = _literal(node, self.limits)
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
        b = self.b
        if isinstance(node, ast.BinOp):
            right, left = results.pop(), results.pop()
            return b.gate(BINOPS[type(node.op)], [left, right], {}, line, col)
        if isinstance(node, ast.UnaryOp):
            operand = results.pop()
            return operand if isinstance(node.op, ast.UAdd) else \
                b.gate("neg", [operand], {}, line, col)
        if isinstance(node, ast.Attribute):
            return b.gate("transpose", [results.pop()], {}, line, col)
        if isinstance(node, ast.Subscript):
            key, tensors = self.index_plan(node)
            args = _take(results, 1 + len(tensors))
            return b.gate("index", args, {"key": key}, line, col)
        plan = self.plan(node)
        args = _take(results, len(plan[2]))
        if plan[0] == "function":
            return self.call_function(plan[1], node, args)
        return b.gate(plan[1], args, plan[3], line, col)


def _take(results: list, n: int) -> list:
    """The last n results, removed from the list."""
    if n == 0:
        return []
    args = results[len(results) - n:]
    del results[len(results) - n:]
    return args


def parse(text: str, inputs: dict, limits: Limits, expand: bool = False) -> Graph:
    """Read a program into a Graph, or raise EngineError (kind parse, name, value or limit)."""
    if not isinstance(text, str):
        raise EngineError("the expression must be text", kind="parse")
    if len(text) > limits.max_expression_chars:
        raise EngineError(f"the program is {len(text):,} characters long, more than the limit "
                          f"of {limits.max_expression_chars:,}", kind="limit")
    builder = Builder(inputs, limits, expand)
    text = text.replace("\r\n", "\n")
    if not fast_parse(text, builder, REGISTRY):
        builder = Builder(inputs, limits, expand)
        reader = AstReader(builder)
        reader.source = text
        try:
            reader.module(_python_ast(text))
        except RecursionError:
            raise EngineError("the program is nested too deeply: split it into several "
                              "statements or functions", kind="parse") from None
    graph = builder.graph
    if graph.last is None:
        raise EngineError("the program is empty: write an expression such as "
                          "f = (x + y) * z", kind="parse")
    builder.integer_inputs()
    graph.unused_inputs = sorted(set(inputs) - builder.used_given)
    graph.records = builder.records
    graph.static_used = builder.static_used
    return graph


def _python_ast(text: str) -> ast.Module:
    if "\x00" in text:
        raise EngineError("the program contains a NUL character", kind="parse")
    try:
        return _ast_parse(text)
    except SyntaxError as e:
        msg = (e.msg or "invalid syntax").replace("'(' was never closed", "a '(' is never closed")
        raise EngineError(msg, kind="parse", line=e.lineno, col=e.offset) from None
    except (RecursionError, MemoryError):
        raise EngineError("the expression is nested too deeply: split it into several "
                          "statements", kind="parse") from None
    except ValueError as e:
        raise EngineError(f"cannot read the program: {e}", kind="parse") from None


_deep_parse_lock = threading.Lock()
_parse_lock = threading.Lock()


def _ast_parse(text: str) -> ast.Module:
    """ast.parse; a flat expression of thousands of terms (a + b + c + ...) is a tree as
    deep as it is long, which Python's default recursion limit refuses. Such a text is
    read again on a thread with a large stack and a raised limit, one at a time.

    Every parse holds one lock: the raised recursion limit is process-wide, and CPython
    3.11's AST builder fails ("recursion depth mismatch") in a thread whose parse saw the
    limit change under it."""
    with _parse_lock:
        return _ast_parse_locked(text)


def _ast_parse_locked(text: str) -> ast.Module:
    try:
        return ast.parse(text, mode="exec")
    except RecursionError:
        pass
    result: list = []

    def run() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, PARSE_RECURSION))
        try:
            result.append(ast.parse(text, mode="exec"))
        except BaseException as e:      # handed to the caller's thread below
            result.append(e)
        finally:
            sys.setrecursionlimit(old)

    with _deep_parse_lock:
        size = threading.stack_size()
        worker = threading.Thread(target=run, name="chainrule-deep-parse")
        try:
            threading.stack_size(PARSE_STACK)   # read when the thread starts
            worker.start()
        finally:
            threading.stack_size(size)
        worker.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]
