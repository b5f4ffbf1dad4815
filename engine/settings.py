"""Limits on what one evaluation may ask for; all of them in one place.

The engine's defaults admit large programs (20,000 gates and more) so that library users
and benchmarks are not cut short; the server passes tighter ones from its own settings.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_expression_chars: int = 1_000_000   # length of the program text
    max_nodes: int = 200_000                # nodes in the graph (inputs, constants, gates)
    max_depth: int = 32                     # nesting depth of a literal list (numpy: 32 dims)
    max_input_elements: int = 20_000_000    # elements in any one input tensor
    max_total_elements: int = 200_000_000   # elements over all values of the graph
    max_exponent: float = 1_000.0           # |p| in x ** p
    max_gradcheck_elements: int = 5_000     # input elements a gradient check may perturb
    max_seconds: float | None = None        # wall-clock budget for one evaluation
    max_response_numbers: int | None = None  # numbers and lists of the trace's answer


DEFAULT_LIMITS = Limits()
