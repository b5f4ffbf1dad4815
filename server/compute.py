"""Engine calls made on behalf of a request: in a worker process, within a deadline.

Every engine call of the server (graph, grade, conv) goes through `answer()`: the job
runs in the app's worker pool (server/pool.py), which caps its memory and kills it at
its deadline; a client that hangs up cancels it. Light requests (short programs, few
input numbers: `is_light`) may use the pool's fast lane, so they never queue behind heavy
ones. Finished /api/graph and /api/conv answers go through the app's answer cache
(server/cache.py) as JSON bytes, keyed by the canonical request body.

`CHAINRULE_ISOLATION=threads` runs the same work on a thread pool in the server process
instead (the design the worker pool replaced): no memory cap and no kill, kept only so
the benchmark can measure both side by side.
"""
from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from server import pool, worker
from server.errors import error_body
from server.settings import Settings

GRACE_SECONDS = 0.5  # thread mode: head start the engine's own time check gets
CLIENT_GONE = 499    # status logged for a request whose client hung up (nobody reads it)

LIGHT_CHARS = 2_000       # program text of a light request
LIGHT_NUMBERS = 5_000     # input numbers of a light request
LIGHT_SUBMISSIONS = 100   # submissions of a light batch


def count_numbers(value, budget: int) -> int:
    """Numbers in an input value (a generator counts its shape), stopping past budget."""
    if isinstance(value, dict):
        shape = value.get("shape", [])
        if isinstance(shape, int):
            return shape
        n = 1
        for d in shape if isinstance(shape, list) else ():
            n *= d if isinstance(d, int) else 1
            if n > budget:
                return n
        return n
    if not isinstance(value, list):
        return 1
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            total += not item
        else:
            total += 1
        if total > budget or len(stack) > budget:
            return budget + 1
    return total


def is_light(task: str, body) -> bool:
    """A cheap request by its looks: short text, few input numbers, a small batch."""
    budget = LIGHT_NUMBERS
    if task.startswith("conv"):
        return (count_numbers(body.input, budget) <= budget // 4 and body.filters <= 16
                and body.weights is None)
    if len(body.expression) > LIGHT_CHARS:
        return False
    if task == "grade_batch" and len(body.submissions) > LIGHT_SUBMISSIONS:
        return False
    for value in body.inputs.values():
        budget -= count_numbers(value, budget)
        if budget < 0:
            return False
    return body.upstream is None or count_numbers(body.upstream, budget) <= budget


# -- thread mode (the previous design, for the benchmark) ----------------------------------

_executors: dict[int, ThreadPoolExecutor] = {}


def executor(threads: int) -> ThreadPoolExecutor:
    """The process's pool of engine threads (thread mode only)."""
    if threads not in _executors:
        _executors[threads] = ThreadPoolExecutor(threads, thread_name_prefix="chainrule-engine")
    return _executors[threads]


async def run_in_thread(settings: Settings, fn, *args, **kwargs):
    """Run fn(*args, **kwargs) in an engine thread, refusing it once the time budget is spent
    (the thread itself runs on: threads cannot be killed)."""
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(executor(settings.compute_threads),
                                partial(worker.guarded, fn, *args, **kwargs))
    try:
        return await asyncio.wait_for(work, settings.max_seconds + GRACE_SECONDS)
    except asyncio.TimeoutError:
        raise worker.time_error(settings.max_seconds) from None


# -- the request path ----------------------------------------------------------------------

async def client_gone(request: Request) -> None:
    """Returns when the client disconnects (the body has been read by then). A server that
    answers receive() with something else once the body is read cannot tell: wait forever."""
    message = await request.receive()
    if message["type"] == "http.disconnect":
        return
    await asyncio.Event().wait()


async def compute(request: Request, settings: Settings, task: str, body) -> bytes:
    """The JSON answer of one engine job, in a worker (or a thread in thread mode)."""
    if settings.isolation == "threads":
        return await run_in_thread(settings, worker.execute, task, body, settings)
    return await request.app.state.pool.run(task, body, light=is_light(task, body),
                                            cancel=client_gone(request))


def cache_key(path: str, body) -> str:
    """The canonical text of a request: JSON with 1e400, -1e400 and NaN spelled Infinity,
    -Infinity and NaN (pydantic's JSON writes all three as null)."""
    return f"{path} {json.dumps(body.model_dump(), allow_nan=True, separators=(',', ':'))}"


async def answer(request: Request, settings: Settings, task: str, body, *,
                 cache: bool = False) -> Response:
    """The HTTP answer of one engine job: JSON bytes, through the cache when asked."""
    store = request.app.state.cache if cache else None
    key = cache_key(request.url.path, body) if store is not None else None
    payload = store.get(key) if store is not None else None
    if payload is None:
        try:
            payload = await compute(request, settings, task, body)
        except pool.PoolBusy as err:
            return JSONResponse(error_body("busy", str(err), loc=[]), status_code=503,
                                headers={"Retry-After": "1"})
        except pool.Cancelled:
            return Response(status_code=CLIENT_GONE)
        if store is not None:
            store.put(key, payload)
    return Response(payload, media_type="application/json")
