"""The op registry: one small class per gate, registered with its name, symbol and pattern.

Each op follows PyTorch's autograd.Function: ``forward(ctx, *inputs, **params)`` computes
the output and stashes what backward needs on ``ctx``; ``backward(ctx, grad_out)`` returns
one downstream gradient per input (``None`` for an input that takes no gradient, such as a
class label). The parser, the API (``GET /api/ops``) and the page all read this registry.
"""
from __future__ import annotations

import numpy as np

from engine.errors import EngineError

REGISTRY: dict[str, type[Op]] = {}


class Context:
    """What forward leaves for backward: saved tensors plus plain attributes.

    The common fields are slots, so the elementwise gates of a large scalar graph make no
    attribute dict; any other attribute an op sets lands in the instance dict as usual."""

    __slots__ = ("saved_tensors", "shapes", "shape", "__dict__")

    def __init__(self) -> None:
        self.saved_tensors = ()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors


class Op:
    """Base class of every gate. Subclasses set the class attributes and the two methods.

    inputs   names of the tensor arguments, in order; a trailing "?" marks an optional one,
             a trailing "*" any number of them (concat's list, an index's integer arrays)
    params   keyword parameters (literal numbers or tuples) and their defaults
    symbol   what the graph draws inside the gate's circle
    pattern  the lecture's name for how the gate treats gradients, where it has one
    no_grad  names of inputs that take no gradient (integer labels)
    formula  the local gradient as the lecture writes it: "d/dx exp(x) = exp(x)"
    expand   for a built-in composite (sigmoid, softmax, ...): builds the same function
             from primitive gates, for a trace that shows them as a group
    """

    name: str = ""
    symbol: str = ""
    inputs: tuple[str, ...] = ("x",)
    params: dict = {}
    pattern: str | None = None
    no_grad: tuple[str, ...] = ()
    doc: str = ""
    formula: str = ""
    expand = None
    by_name = True      # False: written another way (x[...]), never called by its name
    # precheck(xs, params, limits), where set, refuses work before it runs (result sizes,
    # exponents); it is skipped when every input is a scalar unless check_scalars is True.
    precheck = None
    check_scalars = False
    labelled = False    # True when label() names the gate after a constant operand ("+1")
    # Names that flat code needs imported besides numpy, as (module, name) pairs.
    code_imports: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, **params) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_out: np.ndarray) -> tuple:
        raise NotImplementedError

    @classmethod
    def label(cls, consts: list) -> str:
        """The gate's text in the graph, given its constant operands (None for others)."""
        return cls.symbol

    @classmethod
    def describe(cls, ctx: Context, out: np.ndarray) -> dict | None:
        """Extra data the page shows for this node (parameter counts, arg-max, ...)."""
        return None

    @classmethod
    def code(cls, args: list[str], params: dict) -> str:
        """The forward pass as a numpy expression over the argument names."""
        call = ", ".join(args + [f"{k}={v!r}" for k, v in params.items()])
        return f"{cls.name}({call})"

    @classmethod
    def code_backward(cls, out: str, grad: str, args: list[str], params: dict) -> list:
        """One numpy expression per input: its downstream gradient (None: no gradient)."""
        raise NotImplementedError(cls.name)

    @classmethod
    def arity(cls) -> tuple[int, int | None]:
        """(required, maximum) number of tensor arguments; maximum None: any number."""
        required = sum(1 for n in cls.inputs if not n.endswith(("?", "*")))
        return required, None if cls.inputs[-1].endswith("*") else len(cls.inputs)

    @classmethod
    def slot(cls, i: int) -> str:
        """The name of the i-th tensor argument (the variadic name repeats)."""
        return cls.inputs[min(i, len(cls.inputs) - 1)].rstrip("?*")

    @classmethod
    def takes_grad(cls, i: int) -> bool:
        """Whether the i-th tensor argument receives a gradient (a label does not)."""
        return cls.slot(i) not in cls.no_grad

    @classmethod
    def node_pattern(cls, ctx) -> str | None:
        """The gradient-flow pattern of one gate (an index with repeated entries adds)."""
        return cls.pattern

    @classmethod
    def params_data(cls, params: dict) -> dict:
        """The gate's parameters as plain data for the trace."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}

    @classmethod
    def info(cls) -> dict:
        """The registry entry as plain data, for GET /api/ops."""
        lo, hi = cls.arity()
        return {"name": cls.name, "symbol": cls.symbol, "arity": lo if lo == hi else [lo, hi],
                "inputs": [n.rstrip("?*") for n in cls.inputs],
                "optional": [n.rstrip("?*") for n in cls.inputs if n.endswith(("?", "*"))],
                "variadic": cls.inputs[-1].endswith("*"),
                "formula": cls.formula, "composite": cls.expand is not None,
                "by_name": cls.by_name,
                "parameters": {k: list(v) if isinstance(v, tuple) else v
                               for k, v in cls.params.items()},
                "pattern": cls.pattern, "doc": cls.doc}


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: add an op to the registry under its name."""
    assert cls.name and cls.name not in REGISTRY, cls.name
    REGISTRY[cls.name] = cls
    return cls


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient over the axes numpy broadcast, back to the input's shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.sum(grad, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = np.sum(grad, axis=axes, keepdims=True)
    return np.reshape(grad, shape)


def shape_error(message: str, **extra) -> EngineError:
    return EngineError(message, kind="shape", **extra)


def value_error(message: str, **extra) -> EngineError:
    return EngineError(message, kind="value", **extra)
