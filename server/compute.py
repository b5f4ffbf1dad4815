"""Engine calls made on behalf of a request: in a worker thread, within a time budget.

The engine is CPU-bound numpy; running it on the event loop would stall every other
client while one slow request computes. Each call runs in a thread with the server's
engine limits (the engine stops itself once it runs past `max_seconds`); if a call still
has not returned a moment after that, the request is answered with a limit error and the
thread is left to finish on its own. Finished /api/graph and /api/conv answers go through
the app's answer cache (server/cache.py) as JSON bytes.
"""
from __future__ import annotations

import logging
from functools import partial

import anyio
import anyio.to_thread
from fastapi import Response
from pydantic import TypeAdapter

import engine
from server import schemas, serialize
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


async def run(settings: Settings, fn, *args, **kwargs):
    """Run fn(*args, **kwargs) in a worker thread, refusing it once the time budget is spent."""
    try:
        with anyio.fail_after(settings.max_seconds + GRACE_SECONDS):
            return await anyio.to_thread.run_sync(partial(guarded, fn, *args, **kwargs),
                                                  abandon_on_cancel=True)
    except TimeoutError:
        raise engine.EngineError(f"the computation ran past this server's time limit of "
                                 f"{settings.max_seconds:g} s", kind="limit",
                                 limit="max_seconds", allowed=settings.max_seconds) from None


def evaluate(body, limits: engine.Limits):
    """One engine evaluation of a request that carries a program (GraphRequest and friends)."""
    return engine.evaluate(body.expression, body.inputs, output=body.output,
                           upstream=body.upstream,
                           gradcheck=bool(getattr(body, "gradcheck", False)), limits=limits)


def as_json_bytes(adapter: TypeAdapter, data) -> bytes:
    """data checked against a response model and written as JSON, keys the model leaves
    unset (gradcheck, code, expected ...) left out."""
    return adapter.dump_json(adapter.validate_python(data), by_alias=True, exclude_unset=True)


def graph(body, limits: engine.Limits) -> bytes:
    """The JSON body of a POST /api/graph answer."""
    trace = evaluate(body, limits)
    return as_json_bytes(GRAPH_RESPONSE, serialize.to_json(trace.to_dict(code=body.code)))


def conv(body, limits: engine.Limits) -> bytes:
    """The JSON body of a POST /api/conv answer."""
    params = body.model_dump(exclude={"input"})
    result = engine.conv_explain(body.input, limits=limits, **params)
    return as_json_bytes(CONV_RESPONSE, serialize.to_json(result))


async def cached(request, settings: Settings, fn, body) -> Response:
    """fn(body, limits) (JSON bytes) through the app's answer cache and the worker thread."""
    cache = request.app.state.cache
    key = f"{request.url.path} {body.model_dump_json()}"
    payload = cache.get(key)
    if payload is None:
        payload = await run(settings, fn, body, settings.engine_limits())
        cache.put(key, payload)
    return Response(payload, media_type="application/json")
