"""Engine calls made on behalf of a request: in a worker thread, within a time budget.

The engine is CPU-bound numpy; running it on the event loop would stall every other
client while one slow request computes. Each call runs in a thread with the server's
engine limits (the engine stops itself once it runs past `max_seconds`); if a call still
has not returned a moment after that, the request is answered with a limit error and the
thread is left to finish on its own. Finished /api/graph and /api/conv answers go through
the app's answer cache (server/cache.py) as JSON bytes.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
from fastapi import Response
from pydantic import TypeAdapter

import engine
from server import quiz, schemas, serialize
from server.settings import Settings

log = logging.getLogger("chainrule.server")

GRACE_SECONDS = 0.5  # head start the engine's own time check gets before we stop waiting
GRAPH_RESPONSE = TypeAdapter(schemas.GraphResponse)
CONV_RESPONSE = TypeAdapter(schemas.ConvResponse)


def guarded(fn, *args, **kwargs):
    """Call fn and turn every failure into an EngineError a user can read."""
    try:
        return fn(*args, **kwargs)
    except engine.EngineError:
        raise
    except RecursionError:
        raise engine.EngineError("the input is nested too deeply to evaluate",
                                 kind="limit") from None
    except MemoryError:
        raise engine.EngineError("the input needs more memory than this server allows",
                                 kind="limit") from None
    except Exception as err:  # a bug, but the user still gets a clear 422, never a 500
        log.exception("unexpected error while evaluating a request")
        raise engine.EngineError(f"chainrule could not evaluate this input "
                                 f"({type(err).__name__}: {err})", kind="value",
                                 unexpected=True) from None


_executors: dict[int, ThreadPoolExecutor] = {}


def executor(threads: int) -> ThreadPoolExecutor:
    """The process's pool of engine threads (one pool per size; threads start on demand).

    A plain executor hands work over in about half the time anyio's to_thread takes, and
    its fixed size caps how many computations (overrunning ones included) share the CPU."""
    if threads not in _executors:
        _executors[threads] = ThreadPoolExecutor(threads, thread_name_prefix="chainrule-engine")
    return _executors[threads]


async def run(settings: Settings, fn, *args, **kwargs):
    """Run fn(*args, **kwargs) in an engine thread, refusing it once the time budget is spent
    (queueing for a free thread counts against the budget too)."""
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(executor(settings.compute_threads),
                                partial(guarded, fn, *args, **kwargs))
    try:
        return await asyncio.wait_for(work, settings.max_seconds + GRACE_SECONDS)
    except asyncio.TimeoutError:
        raise time_limit_error(settings) from None


def evaluate(body, limits: engine.Limits):
    """One engine evaluation of a request that carries a program (GraphRequest and friends)."""
    return engine.evaluate(body.expression, body.inputs, output=body.output,
                           upstream=body.upstream,
                           gradcheck=bool(getattr(body, "gradcheck", False))
                           and not getattr(body, "hide", None), limits=limits,
                           expand=bool(getattr(body, "expand", False)))


def as_json_bytes(adapter: TypeAdapter, data) -> bytes:
    """data checked against a response model and written as JSON, keys the model leaves
    unset (gradcheck, code, expected ...) left out."""
    return adapter.dump_json(adapter.validate_python(data), by_alias=True, exclude_unset=True)


def graph(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/graph answer."""
    start = time.monotonic()
    trace = evaluate(body, settings.engine_limits())
    # About four numbers per element of every node: value, grad, and the backward step's
    # upstream and downstream. Checked before any of it is turned into JSON.
    check_answer(4 * sum(np.size(node.value) for node in trace.nodes), start, settings)
    answer = trace.to_dict(code=body.code)
    if body.hide:
        answer = quiz.hide(answer, body.hide)
    return as_json_bytes(GRAPH_RESPONSE, serialize.to_json(answer))


def conv(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/conv answer."""
    start = time.monotonic()
    params = body.model_dump(exclude={"input"})
    result = engine.conv_explain(body.input, limits=settings.engine_limits(), **params)
    check_answer(serialize.count_numbers(result), start, settings)
    return as_json_bytes(CONV_RESPONSE, serialize.to_json(result))


def check_answer(numbers: int, start: float, settings: Settings) -> None:
    """Refuse an answer too big to send, or one whose time is already up.

    Turning tens of millions of numbers into JSON holds the interpreter lock for seconds,
    which would stall every other request; and a computation that overran its budget has
    had its request answered already, so its thread should stop here."""
    if numbers > settings.max_response_numbers:
        raise engine.EngineError(
            f"the answer would hold about {numbers:,} numbers (every node's value and "
            f"gradient), more than this server sends ({settings.max_response_numbers:,}); "
            f"use smaller inputs", kind="limit", limit="max_response_numbers",
            allowed=settings.max_response_numbers)
    if time.monotonic() - start > settings.max_seconds:
        raise time_limit_error(settings)


def time_limit_error(settings: Settings) -> engine.EngineError:
    return engine.EngineError(f"the computation ran past this server's time limit of "
                              f"{settings.max_seconds:g} s", kind="limit", limit="max_seconds",
                              allowed=settings.max_seconds)


async def cached(request, settings: Settings, fn, body) -> Response:
    """fn(body, settings) (JSON bytes) through the app's answer cache and the worker thread."""
    cache = request.app.state.cache
    key = f"{request.url.path} {body.model_dump_json()}"
    payload = cache.get(key)
    if payload is None:
        payload = await run(settings, fn, body, settings)
        cache.put(key, payload)
    return Response(payload, media_type="application/json")
