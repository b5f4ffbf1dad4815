"""Training runs of the network view, each in a worker process of its own, bounded.

A run is a worker forked by the worker pool's zygote (server/pool.py, `Worker.start`), with
the engine imported already, running `server.train_worker.serve` (see that module for the
messages): its address space and CPU time are capped (`RLIMIT_AS`, `RLIMIT_CPU`), and it
is killed at its deadline. The server holds at most `net_max_runs` runs; each streams its
progress to one page over Server-Sent Events, and stops when the page stops it, when that
page goes away, or when no page connects. Nothing here survives a restart, and nothing
needs to: the page starts a new run in one click.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field

import engine
from server import pool
from server.settings import Settings

log = logging.getLogger("chainrule.server")

EVENT_QUEUE = 256          # progress events kept for a slow page; older ones are dropped
CONNECT_SECONDS = 20.0     # a run no page streams from within this long is stopped
READY_SECONDS = 30.0       # time allowed for a worker to start and plan the network
REPLY_SECONDS = 10.0       # time allowed for one command's reply


async def start_worker(settings: Settings) -> pool.Worker:
    """A fresh worker process for one run (forking from the zygote blocks briefly)."""
    return await asyncio.get_running_loop().run_in_executor(
        None, pool.Worker.start, "server.train_worker:serve",
        (settings.net_run_memory_mb, settings.net_run_cpu_seconds), "training")


def run_error(message: str, kind: str = "value", **extra) -> engine.EngineError:
    return engine.EngineError(message, kind=kind, **extra)


@dataclass
class Run:
    """One worker process and the page streaming from it."""

    id: str
    worker: pool.Worker
    started: float = field(default_factory=time.monotonic)
    events: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(EVENT_QUEUE))
    replies: dict = field(default_factory=dict)
    next_id: int = 0
    streaming: bool = False
    gone: bool = False          # its pipe closed: the process ended (and its pid is free)
    ended: str | None = None
    tasks: list = field(default_factory=list)

    async def command(self, cmd: str, **args) -> dict:
        """Send one command and wait for its reply; an error reply raises an EngineError."""
        if self.ended:
            raise run_error(f"this training run has ended ({self.ended}); start a new one")
        self.next_id += 1
        key = self.next_id
        future = asyncio.get_running_loop().create_future()
        self.replies[key] = future
        message = json.dumps({"id": key, "cmd": cmd, **args}, allow_nan=False).encode()
        try:
            self.worker.send(message)
            answer = await asyncio.wait_for(future, REPLY_SECONDS if cmd != "init"
                                            else READY_SECONDS)
        except (asyncio.TimeoutError, OSError):
            raise run_error("the training run did not answer in time", kind="limit") from None
        finally:
            self.replies.pop(key, None)
        if "error" in answer:
            err = answer["error"]
            extra = {k: v for k, v in err.items() if k not in ("type", "msg", "kind", "message")}
            raise engine.EngineError(err.get("message") or err.get("msg", "training failed"),
                                     kind=err.get("type") if err.get("type") in engine.errors
                                     .KINDS else "value", **extra)
        return answer["data"]

    def publish(self, event: str, data) -> None:
        if self.events.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.events.get_nowait()
        self.events.put_nowait({"event": event, "data": data})


class RunManager:
    """The server's runs, by id; bounded in number, each by memory, CPU time and lifetime."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.runs: dict[str, Run] = {}

    def get(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise run_error(f"no training run {run_id[:40]!r} on this server (it ended, or the "
                            "server restarted); start a new one")
        return run

    async def create(self, config: dict) -> tuple[Run, dict]:
        if len(self.runs) >= self.settings.net_max_runs:
            raise run_error(f"this server is already training {len(self.runs)} networks, its "
                            "limit; stop one or try again in a minute", kind="limit",
                            limit="net_max_runs", allowed=self.settings.net_max_runs)
        worker = await start_worker(self.settings)
        run = Run(secrets.token_urlsafe(9), worker)
        self.runs[run.id] = run
        run.tasks = [asyncio.create_task(self._read(run)),
                     asyncio.create_task(self._watch(run))]
        try:
            first = await run.command("init", config=config)
        except BaseException:
            await self.stop(run.id, "it could not start")
            raise
        return run, first

    async def _read(self, run: Run) -> None:
        """Route the worker's messages: replies to their waiting command, events to the page."""
        try:
            while True:
                msg = json.loads(await run.worker.receive())
                if "reply" in msg:
                    future = run.replies.get(msg["reply"])
                    if future is not None and not future.done():
                        future.set_result(msg)
                elif "event" in msg:
                    run.publish(msg["event"], msg["data"])
        except (EOFError, OSError) as err:
            run.gone = True     # the process ended: killed, or out of memory / CPU time
            log.info("training run %s ended: %r", run.id, err)
        except ValueError as err:
            log.warning("training run %s sent an unreadable message: %s", run.id, err)
        finally:
            if not run.gone:
                run.worker.kill()
            if run.ended is None:
                run.ended = "it reached the server's memory or CPU-time limit"
            for future in run.replies.values():
                if not future.done():
                    future.set_result({"error": {"type": "limit", "msg": "the training run "
                                                 f"stopped: {run.ended}"}})
            run.publish("end", {"reason": run.ended})
            self.runs.pop(run.id, None)

    async def _watch(self, run: Run) -> None:
        """Stop the run at its deadline, or early when no page streams from it."""
        deadline = run.started + self.settings.net_run_seconds
        while run.ended is None:
            now = time.monotonic()
            if now >= deadline:
                await self.stop(run.id, f"it reached the server's limit of "
                                f"{self.settings.net_run_seconds:g} s per run")
                return
            if not run.streaming and now - run.started > CONNECT_SECONDS:
                await self.stop(run.id, "no page was streaming its progress")
                return
            await asyncio.sleep(min(1.0, deadline - now))

    async def stop(self, run_id: str, reason: str = "it was stopped") -> None:
        run = self.runs.pop(run_id, None)
        if run is None:
            return
        if run.ended is None:
            run.ended = reason
        if not run.gone:        # the zygote reaps its workers at once: a gone pid is reusable
            run.worker.kill()
        if run.tasks:
            run.tasks[0].cancel()   # the reader: it tells the page, whatever it waited for

    async def shutdown(self) -> None:
        for run_id in list(self.runs):
            await self.stop(run_id, "the server stopped")
