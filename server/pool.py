"""Engine work in worker processes: a memory cap per worker, and a deadline that kills.

The server never runs the engine in its own process. A `WorkerPool` keeps worker processes
(forked from server/zygote.py, which has the engine imported, so a new worker is ready
in milliseconds); each one caps its address space with `RLIMIT_AS`
(`CHAINRULE_WORKER_MEMORY_MB`) and answers one job at a time with the finished JSON bytes
of the answer (server/worker.py). The pool enforces each job's deadline by killing its
worker and starting a fresh one; a worker that dies (out of memory) is replaced the same
way. A job whose client hangs up is cancelled the same way too.

Two lanes, so cheap requests never queue behind heavy ones: `fast_workers` workers
(default 1) take only *light* jobs (small program text, few input numbers: see
`server.compute.is_light`), and `workers` (default 2) take everything, light jobs first.
A light job that still runs after `FAST_LANE_SECONDS` leaves the fast lane: its worker
joins the main lane for the rest of the job and a fresh worker takes its place, so a
program that only looked light cannot hold the fast lane.

Long streaming jobs (live training) run in a process of their own, outside both lanes:

    async for message in pool.stream("engine.training:train", config,
                                     seconds=120, memory_mb=1024):
        yield sse_event(message)

`stream(target, *args, seconds, memory_mb)` starts a worker process that imports
`target` ("module:function", a generator function), calls it with `args` (picklable) and
sends every message it yields (any picklable value) back as it comes. The async iterator
ends when the generator does; it raises EngineError when the generator raises one, when
the job runs past `seconds` (kind "limit") or when the process dies (out of memory:
`memory_mb` caps its address space). Leaving the loop early, cancelling the task that
iterates (a client that hangs up), or closing the iterator kills the process at once. At
most `MAX_STREAMS` run at a time; another one raises PoolBusy.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import pickle
import signal
import threading
import time
from collections import deque

import engine
from server import worker
from server.settings import Settings
from server.zygote import zygote

log = logging.getLogger("chainrule.pool")

FAST_LANE_SECONDS = 0.25   # a light job running longer than this leaves the fast lane
KILL_GRACE_SECONDS = 0.5   # head start the engine's own time check gets before the kill
MAX_STREAMS = 4            # streaming jobs running at once, per server process


class PoolBusy(Exception):
    """Every worker stayed busy for longer than the queue allows (an HTTP 503)."""


class Cancelled(Exception):
    """The client went away; its job was stopped."""


class Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, pid: int, conn, lane: str):
        self.pid, self.conn, self.lane = pid, conn, lane
        self.jobs = 0

    @classmethod
    def start(cls, target: str, args: tuple, lane: str) -> Worker:
        """Fork a worker running target(pipe, *args) ("module:function") from the zygote."""
        pid, conn = zygote().spawn(target, args)
        return cls(pid, conn, lane)

    def send(self, message: bytes) -> None:
        # The pipe may have been left non-blocking by an earlier receive() on uvloop: a long
        # request would then be cut off half-written and the worker would look dead.
        os.set_blocking(self.conn.fileno(), True)
        self.conn.send_bytes(message)

    async def receive(self) -> bytes:
        """The next message from the worker; EOFError when it died."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await ready
        finally:
            loop.remove_reader(fd)
        # uvloop's add_reader leaves the fd non-blocking; the first bytes of a long answer
        # may come before the rest, so the read blocks until the whole message is in.
        os.set_blocking(fd, True)
        return self.conn.recv_bytes()

    def kill(self) -> None:
        """Stop the process now (SIGKILL) and close our end of its pipe."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.conn.close()


class WorkerPool:
    """Worker processes in two lanes; `run` sends one job and returns its JSON answer."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.targets = {"fast": settings.fast_workers, "main": settings.workers}
        self.idle: dict[str, list[Worker]] = {"fast": [], "main": []}
        self.count = {"fast": 0, "main": 0}
        self.waiting: dict[str, deque] = {"light": deque(), "heavy": deque()}
        self.started = False
        self.closed = False
        self._spawning: set[asyncio.Task] = set()
        self.kills = 0
        self.loop = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker (idempotent); returns once they are ready."""
        if self.started:
            return
        self.started = True
        self.loop = asyncio.get_running_loop()
        _live_pools.add(self)
        spawns = [self._spawn(lane) for lane, n in self.targets.items() for _ in range(n)]
        await asyncio.gather(*spawns)

    def close(self) -> None:
        """Stop every worker; waiting jobs get PoolBusy."""
        self.closed = True
        for task in list(self._spawning):
            task.cancel()
        for lane in self.idle:
            for w in self.idle[lane]:
                w.kill()
            self.idle[lane].clear()
        for queue in self.waiting.values():
            while queue:
                fut = queue.popleft()
                if not fut.done():
                    fut.set_exception(PoolBusy("the server is shutting down"))
        _live_pools.discard(self)

    async def _spawn(self, lane: str) -> None:
        """Start one worker for lane, wait until it is ready, then hand it out."""
        self.count[lane] += 1
        try:
            loop = asyncio.get_running_loop()
            w = await loop.run_in_executor(None, Worker.start, "server.worker:serve",
                                           (self.settings,), lane)
            hello = await w.receive()
            assert hello == b"ready", hello
        except BaseException:
            self.count[lane] -= 1
            raise
        if self.closed:
            w.kill()
            return
        self._release(w)

    def _respawn(self, lane: str) -> None:
        """Replace a worker of lane in the background."""
        if self.closed or self.count[lane] >= self.targets[lane]:
            return
        task = asyncio.ensure_future(self._spawn(lane))
        self._spawning.add(task)
        task.add_done_callback(self._spawn_done)

    def _spawn_done(self, task: asyncio.Task) -> None:
        self._spawning.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not start an engine worker: %r", task.exception())

    # -- handing workers out ---------------------------------------------------------------

    def _release(self, w: Worker) -> None:
        """A worker is free: give it to a waiting job (light ones first) or park it."""
        if self.count[w.lane] > self.targets[w.lane]:  # a worker that left the fast lane
            self._retire(w)
            return
        queues = [self.waiting["light"]] + ([self.waiting["heavy"]] if w.lane == "main" else [])
        for queue in queues:
            while queue:
                fut = queue.popleft()
                if not fut.done():
                    fut.set_result(w)
                    return
        self.idle[w.lane].append(w)

    def _retire(self, w: Worker) -> None:
        self.count[w.lane] -= 1
        w.kill()

    def _lost(self, w: Worker) -> None:
        """A worker was killed or died: count it out and start a fresh one."""
        self.kills += 1
        self.count[w.lane] -= 1
        w.kill()
        self._respawn(w.lane)

    async def _acquire(self, light: bool) -> Worker:
        loop = asyncio.get_running_loop()
        if self.started and self.loop is not loop:
            # A pool belongs to the event loop that started it (its timers and pipe readers
            # live there); a test client that runs each call on a loop of its own gets a
            # fresh pool on each.
            self.close()
            self.__init__(self.settings)
        if not self.started:
            await self.start()
        lanes = ("fast", "main") if light else ("main",)
        for lane in lanes:
            if self.idle[lane]:
                return self.idle[lane].pop()
        fut = asyncio.get_running_loop().create_future()
        self.waiting["light" if light else "heavy"].append(fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self.settings.max_queue_seconds)
        except asyncio.TimeoutError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._release(fut.result())  # handed over just as the wait ran out
            fut.cancel()
            raise PoolBusy(f"every engine worker stayed busy for "
                           f"{self.settings.max_queue_seconds:g} s; try again") from None
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._release(fut.result())
            fut.cancel()
            raise

    # -- one job ---------------------------------------------------------------------------

    async def run(self, task: str, body, *, light: bool = False, cancel=None) -> bytes:
        """The JSON answer of one job; EngineError when refused, Cancelled when `cancel`
        (an awaitable: the client hung up) finishes first, PoolBusy when no worker frees up.

        The worker is killed (and replaced) once the job runs past the time limit, when
        its client hangs up, and when it died or ran out of memory."""
        w = await self._acquire(light)
        seconds = self.settings.max_seconds
        try:
            w.send(pickle.dumps((task, body), protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):
            self._lost(w)
            raise engine.EngineError("an engine worker stopped unexpectedly; try again",
                                     kind="limit") from None
        start = time.monotonic()
        reply_task = asyncio.ensure_future(w.receive())
        waits = {reply_task}
        cancel_task = asyncio.ensure_future(cancel) if cancel is not None else None
        if cancel_task is not None:
            waits.add(cancel_task)
        try:
            if w.lane == "fast":
                await asyncio.wait(waits, timeout=FAST_LANE_SECONDS,
                                   return_when=asyncio.FIRST_COMPLETED)
                if not reply_task.done() and not (cancel_task and cancel_task.done()):
                    self._leave_fast_lane(w)
            remaining = seconds + KILL_GRACE_SECONDS - (time.monotonic() - start)
            done, _ = await asyncio.wait(waits, timeout=max(remaining, 0),
                                         return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            reply_task.cancel()
            self._lost(w)
            raise
        finally:
            if cancel_task is not None:
                cancel_task.cancel()
        if reply_task not in done:
            reply_task.cancel()
            self._lost(w)
            if cancel_task is not None and cancel_task in done:
                raise Cancelled()
            raise worker.time_error(seconds)
        try:
            reply = reply_task.result()
        except (EOFError, OSError):
            log.warning("an engine worker died while running a job")
            self._lost(w)
            raise worker.memory_error(self.settings.worker_memory_mb) from None
        w.jobs += 1
        kind, payload = reply[:1], reply[1:]
        if kind == worker.OK:
            self._release(w)
            return payload
        err = worker.rebuild_error(pickle.loads(payload))
        if err.extra.get("limit") == "worker_memory_mb":
            self._lost(w)  # a worker that hit its memory cap starts afresh
        else:
            self._release(w)
        raise err

    def _leave_fast_lane(self, w: Worker) -> None:
        """w runs a job that turned out heavy: it finishes it as a main-lane worker, and a
        fresh worker takes its place in the fast lane."""
        self.count["fast"] -= 1
        self.count["main"] += 1
        w.lane = "main"
        self._respawn("fast")

    def stats(self) -> dict:
        return {"idle": {k: len(v) for k, v in self.idle.items()}, "count": dict(self.count),
                "waiting": {k: len(v) for k, v in self.waiting.items()}, "kills": self.kills}


_live_pools: set[WorkerPool] = set()


@atexit.register
def _close_all() -> None:
    for p in list(_live_pools):
        p.close()


# -- streaming jobs --------------------------------------------------------------------------

_streams = threading.BoundedSemaphore(MAX_STREAMS)


async def stream(target: str, *args, seconds: float, memory_mb: int):
    """Run the generator function `target` ("module:function") in a process of its own and
    yield what it yields; see the module docstring."""
    if not _streams.acquire(blocking=False):
        raise PoolBusy(f"{MAX_STREAMS} streaming jobs are running already; try again later")
    w = None
    try:
        w = await asyncio.get_running_loop().run_in_executor(
            None, Worker.start, "server.worker:stream", (target, args, memory_mb), "stream")
        deadline = time.monotonic() + seconds
        while True:
            try:
                reply = await asyncio.wait_for(w.receive(), max(deadline - time.monotonic(), 0))
            except asyncio.TimeoutError:
                raise worker.time_error(seconds) from None
            except (EOFError, OSError):
                raise worker.memory_error(memory_mb) from None
            kind, payload = reply[:1], reply[1:]
            if kind == worker.DONE:
                return
            if kind == worker.ERROR:
                raise worker.rebuild_error(pickle.loads(payload))
            yield pickle.loads(payload)
    finally:
        if w is not None:
            w.kill()
        _streams.release()
