"""chainrule's engine: expressions to computational graphs, forward and backward, in numpy.

    >>> from engine import evaluate
    >>> t = evaluate("x = -2; y = 5; z = -4; f = (x + y) * z")
    >>> float(t.value), {k: float(v) for k, v in t.gradients.items()}
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
"""
from engine import indexing, layers, ops  # noqa: F401  (register the gates)
from engine.conv_explain import conv_explain
from engine.errors import EngineError
from engine.examples import EXAMPLES, EXAMPLES_BY_ID
from engine.inputs import make_input
from engine.registry import REGISTRY, Context, Op, register
from engine.settings import DEFAULT_LIMITS, Limits
from engine.trace import Trace, evaluate

__all__ = ["DEFAULT_LIMITS", "EXAMPLES", "EXAMPLES_BY_ID", "REGISTRY", "Context", "EngineError",
           "Limits", "Op", "Trace", "conv_explain", "evaluate", "make_input", "register"]
