"""The server's settings and limits, in one object, each overridable by a CHAINRULE_* variable.

The engine's own defaults admit very large programs (for library users and benchmarks);
a public server refuses work much earlier, so every limit below is tighter. The names are
those of `engine.Limits` where one exists, so `Settings.engine_limits()` is a plain copy.
Environment: CHAINRULE_<FIELD NAME IN CAPITALS>, e.g. CHAINRULE_MAX_NODES=10000,
CHAINRULE_CORS_ORIGINS="https://grader.example.org,https://lms.example.org".
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

import engine

ENV_PREFIX = "CHAINRULE_"
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Every knob of the server. Field docs are listed in /docs and in the README."""

    max_expression_chars: int = 20_000      # characters of program text
    max_nodes: int = 5_000                  # graph nodes (inputs, constants, gates)
    max_depth: int = 16                     # nesting depth of list literals and inputs (rank)
    max_input_elements: int = 1_000_000     # elements of any one input tensor
    max_total_elements: int = 10_000_000    # elements over all values of one graph
    max_exponent: float = 1_000.0           # |p| in x ** p
    max_gradcheck_elements: int = 2_000     # input elements a gradient check perturbs
    max_seconds: float = 1.0                # compute time of one request
    workers: int = 2                        # engine worker processes (every request)
    fast_workers: int = 1                   # more workers kept for light requests only
    worker_memory_mb: int = 1024            # address space of one worker (RLIMIT_AS)
    max_queue_seconds: float = 10.0         # wait for a free worker before a 503
    isolation: str = "processes"            # "threads": the old in-process mode (benchmarks)
    compute_threads: int = 4                # engine threads in "threads" mode
    max_body_bytes: int = 2_000_000         # request body size; larger gets 413
    max_response_numbers: int = 2_000_000   # numbers in one answer (10-40 MB of JSON)
    max_submissions: int = 5_000            # submissions in one /api/grade/batch call
    max_answers: int = 1_000                # answers in one submission
    cache_entries: int = 512                # finished answers kept (0 = no cache)
    cache_bytes: int = 64_000_000           # total size of the kept answers
    cors_origins: tuple[str, ...] = ()      # origins allowed by CORS; empty = CORS off
    net_max_runs: int = 4                   # training runs (worker processes) at once
    net_run_seconds: float = 900.0          # lifetime of one training run
    net_run_cpu_seconds: int = 300          # CPU time of one training run
    net_run_memory_mb: int = 1024           # address space of one training run's process
    read_timeout: float = 10.0              # seconds to send a request's headers and body
    max_header_bytes: int = 16_384          # request line and headers; larger gets 431
    frame_ancestors: str = "'self'"         # who may embed the page (CSP frame-ancestors)
    web_dir: Path = field(default=REPO_ROOT / "web")  # the browser app served at /

    def __post_init__(self):
        for f in fields(self):
            problem = _problem(f.name, getattr(self, f.name))
            if problem:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={getattr(self, f.name)!r}: "
                                 f"{problem}")

    def engine_limits(self) -> engine.Limits:
        """The engine limits this server passes to every evaluation."""
        names = {f.name for f in fields(engine.Limits)}
        return engine.Limits(**{k: getattr(self, k) for k in names if hasattr(self, k)})

    def public(self) -> dict:
        """The limits as plain data, for the docs."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "web_dir"}


# Settings that must be above zero; every other number may be zero but not negative.
POSITIVE = {"max_expression_chars", "max_nodes", "max_depth", "max_seconds", "workers",
            "max_body_bytes", "max_queue_seconds", "compute_threads", "read_timeout",
            "max_header_bytes", "net_max_runs", "net_run_seconds", "net_run_cpu_seconds"}
CHOICES = {"isolation": ("processes", "threads")}


def _problem(name: str, value) -> str | None:
    """What is wrong with one setting's value, or None."""
    if name in CHOICES:
        return None if value in CHOICES[name] else f"must be one of {', '.join(CHOICES[name])}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return "must be a finite number"
    if name in POSITIVE and value <= 0:
        return "must be greater than 0"
    if value < 0:
        return "must not be negative"
    return None


def _parse(kind: type, text: str):
    """Turn one environment variable's text into the field's type."""
    if kind is tuple[str, ...] or kind == "tuple[str, ...]":
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind in (Path, "Path"):
        return Path(text)
    if kind in (str, "str"):
        return text
    if kind in (float, "float"):
        return float(text)
    return int(text.replace("_", ""))


def from_env(environ: dict | None = None) -> Settings:
    """Settings with every CHAINRULE_* variable of `environ` (default os.environ) applied."""
    environ = os.environ if environ is None else environ
    overrides = {}
    for f in fields(Settings):
        text = environ.get(ENV_PREFIX + f.name.upper())
        if text is not None:
            try:
                overrides[f.name] = _parse(f.type, text)
            except ValueError as err:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={text!r}: {err}") from None
    return Settings(**overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return from_env()
