"""What runs inside an engine worker process: one request's engine work, to finished JSON.

`execute(task, body, settings)` turns a validated request body into the bytes of its
answer (or raises EngineError); the worker processes of server/pool.py call it, and so
does the in-process thread mode (`CHAINRULE_ISOLATION=threads`, kept for benchmarks).

`serve(conn, settings)` is a worker's main loop: it caps its own address space
(`RLIMIT_AS`), then answers jobs from its pipe until the pipe closes. Messages are bytes:
a job is a pickled `(task, body)`; an answer is `b"J" + JSON` or `b"E" + pickled error
fields`. `stream(conn, target, args, memory_mb)` runs one streaming job: it sends
`b"M" + pickled message` per message the generator yields, then `b"D"` (done).
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import pickle
import resource
import time

import numpy as np
from pydantic import TypeAdapter

import engine
from server import grading, quiz, schemas, serialize
from server.settings import Settings

log = logging.getLogger("chainrule.worker")

GRAPH_RESPONSE = TypeAdapter(schemas.GraphResponse)
CONV_RESPONSE = TypeAdapter(schemas.ConvResponse)
GRADE_RESPONSE = TypeAdapter(schemas.GradeResponse)
BATCH_RESPONSE = TypeAdapter(schemas.BatchGradeResponse)
CONV_GRADE_RESPONSE = TypeAdapter(schemas.ConvGradeResponse)

OK, ERROR, MESSAGE, DONE = b"J", b"E", b"M", b"D"
GC_EVERY_ALLOCATIONS = 200_000  # net container allocations between collections


def guarded(fn, *args, memory_mb: int | None = None, **kwargs):
    """Call fn and turn every failure into an EngineError a user can read."""
    try:
        return fn(*args, **kwargs)
    except engine.EngineError:
        raise
    except RecursionError:
        raise engine.EngineError("the input is nested too deeply to evaluate",
                                 kind="limit") from None
    except MemoryError:
        raise memory_error(memory_mb) from None
    except Exception as err:  # a bug, but the user still gets a clear 422, never a 500
        log.exception("unexpected error while evaluating a request")
        raise engine.EngineError(f"chainrule could not evaluate this input "
                                 f"({type(err).__name__}: {err})", kind="value",
                                 unexpected=True) from None


def memory_error(memory_mb: int | None) -> engine.EngineError:
    if memory_mb:
        return engine.EngineError(f"the computation needed more than {memory_mb:,} MB of "
                                  f"memory, this server's limit", kind="limit",
                                  limit="worker_memory_mb", allowed=memory_mb)
    return engine.EngineError("the input needs more memory than this server allows",
                              kind="limit")


def time_error(seconds: float) -> engine.EngineError:
    return engine.EngineError(f"the computation took longer than {seconds:g} s, this "
                              f"server's time limit", kind="limit", limit="max_seconds",
                              allowed=seconds)


def as_json_bytes(adapter: TypeAdapter, data) -> bytes:
    """data checked against a response model and written as JSON, keys the model leaves
    unset (gradcheck, code, expected ...) left out."""
    return adapter.dump_json(adapter.validate_python(data), by_alias=True, exclude_unset=True)


def check_answer(numbers: int, start: float, settings: Settings) -> None:
    """Refuse an answer too big to send, or one whose time is already up.

    Turning tens of millions of numbers into JSON takes seconds; and a computation that
    overran its budget is refused here rather than serialised."""
    if numbers > settings.max_response_numbers:
        raise engine.EngineError(
            f"the answer would hold about {numbers:,} numbers (every node's value and "
            f"gradient), more than this server sends ({settings.max_response_numbers:,}); "
            f"use smaller inputs", kind="limit", limit="max_response_numbers",
            allowed=settings.max_response_numbers)
    if time.monotonic() - start > settings.max_seconds:
        raise time_error(settings.max_seconds)


def evaluate(body, limits: engine.Limits):
    """One engine evaluation of a request that carries a program (GraphRequest and friends)."""
    return engine.evaluate(body.expression, body.inputs, output=body.output,
                           upstream=body.upstream,
                           gradcheck=bool(getattr(body, "gradcheck", False))
                           and not getattr(body, "hide", None), limits=limits,
                           expand=bool(getattr(body, "expand", False)))


def graph(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/graph answer."""
    start = time.monotonic()
    trace = evaluate(body, settings.engine_limits())
    check_answer(answer_numbers(trace), start, settings)
    answer = trace.to_dict(code=body.code)
    if body.hide:
        answer = quiz.hide(answer, body.hide)
    return as_json_bytes(GRAPH_RESPONSE, serialize.to_json(answer))


def answer_numbers(trace) -> int:
    """Numbers the /api/graph answer carries: every node's value and gradient, each backward
    step's upstream and downstreams, and every copy gate's gradient parts."""
    total = 0
    for node in trace.nodes:
        size = np.size(node.value)
        total += 2 * size                                   # value, grad
        total += size * (len(node.parts) if node.parts else 0)   # grad_parts
        if node.op is not None:
            total += size + sum(np.size(i.value) for i in node.inputs)  # upstream, downstream
    return total


def conv(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/conv answer."""
    start = time.monotonic()
    params = body.model_dump(exclude={"input"})
    result = engine.conv_explain(body.input, limits=settings.engine_limits(), **params)
    check_answer(serialize.count_numbers(result), start, settings)
    return as_json_bytes(CONV_RESPONSE, serialize.to_json(result))


def grade(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/grade answer."""
    result = grading.grade_one(body, settings.engine_limits(), max_answers=settings.max_answers)
    return as_json_bytes(GRADE_RESPONSE, result)


def grade_batch(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/grade/batch answer."""
    result = grading.grade_batch(body, settings.engine_limits(),
                                 max_submissions=settings.max_submissions,
                                 max_answers=settings.max_answers)
    return as_json_bytes(BATCH_RESPONSE, result)


def conv_grade(body, settings: Settings) -> bytes:
    """The JSON body of a POST /api/conv/grade answer."""
    return as_json_bytes(CONV_GRADE_RESPONSE, quiz.grade_conv(body, settings.engine_limits()))


TASKS = {"graph": graph, "conv": conv, "grade": grade, "grade_batch": grade_batch,
         "conv_grade": conv_grade}


def execute(task: str, body, settings: Settings) -> bytes:
    """The finished JSON answer of one request's engine work; EngineError when refused."""
    return guarded(TASKS[task], body, settings, memory_mb=settings.worker_memory_mb)


def error_fields(err: engine.EngineError) -> tuple:
    return (err.message, err.kind, err.line, err.col, err.extra)


def rebuild_error(fields: tuple) -> engine.EngineError:
    message, kind, line, col, extra = fields
    return engine.EngineError(message, kind=kind, line=line, col=col, **extra)


def cap_memory(memory_mb: int) -> None:
    """Limit this process's address space; past it, allocations fail with MemoryError."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(conn, settings: Settings) -> None:
    """A worker's main loop: answer jobs from conn until the server closes it."""
    cap_memory(settings.worker_memory_mb)
    # A worker runs one job at a time, so the cyclic collector is a setting of the whole
    # process, made once: off (a graph holds no cycles; reference counts free it), with
    # what was imported frozen out of it, and a collection between jobs now and then.
    gc.freeze()
    gc.disable()
    conn.send_bytes(b"ready")
    while True:
        try:
            task, body = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            reply = OK + execute(task, body, settings)
        except engine.EngineError as err:
            reply = ERROR + pickle.dumps(error_fields(err))
        except MemoryError:
            reply = ERROR + pickle.dumps(error_fields(memory_error(settings.worker_memory_mb)))
        del body
        if gc.get_count()[0] > GC_EVERY_ALLOCATIONS or reply[:1] == ERROR:
            gc.collect()
        try:
            conn.send_bytes(reply)
        except MemoryError:
            os._exit(3)  # the pool sees the pipe close and reports the memory limit
        except (BrokenPipeError, OSError):
            return


def stream(conn, target: str, args: tuple, memory_mb: int) -> None:
    """Run one streaming job: every message target(*args) yields goes to conn (target is
    "module:function", a generator function)."""
    cap_memory(memory_mb)
    try:
        module, _, name = target.partition(":")
        for message in getattr(importlib.import_module(module), name)(*args):
            conn.send_bytes(MESSAGE + pickle.dumps(message))
        reply = DONE
    except (BrokenPipeError, ConnectionError):
        return  # the server went away or cancelled the job
    except engine.EngineError as err:
        reply = ERROR + pickle.dumps(error_fields(err))
    except MemoryError:
        reply = ERROR + pickle.dumps(error_fields(memory_error(memory_mb)))
    except Exception as err:
        log.exception("unexpected error in a streaming job")
        reply = ERROR + pickle.dumps(error_fields(engine.EngineError(
            f"the job failed ({type(err).__name__}: {err})", kind="value")))
    with contextlib.suppress(OSError):
        conn.send_bytes(reply)
