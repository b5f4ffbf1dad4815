"""One training run in a worker process of its own, forked by the worker pool's zygote.

server/net_runs.py starts it with `pool.Worker.start("server.train_worker:serve", ...)`:
the process has the engine imported already (the zygote's), caps its own address space
and CPU time, and talks with the server over its pipe, one JSON message each way. Commands:

    {"id": 1, "cmd": "init", "config": {"network": [...], "optimizer": "sgd", ...}}
    {"id": 2, "cmd": "start", "speed": "full" | "slow"}
    {"id": 3, "cmd": "pause" | "step" | "reset" | "status"}
    {"id": 4, "cmd": "inspect", "image": {"split": "test", "index": 0}}
    {"id": 5, "cmd": "conv", "image": {...}, "layer": 0}
    {"id": 6, "cmd": "neuron", "image": {...}, "layer": 4, "unit": 7}

One reply per command, {"reply": id, "data": ...} or {"reply": id, "error": {...}}, and
events {"event": "progress", "data": {...}} while training runs. Training runs in slices of
about SLICE_SECONDS between which commands are read; paused, the process blocks on its
pipe and computes nothing. It exits when the pipe closes (the server went away).
"""
from __future__ import annotations

import json
import logging
import os
import resource
import time

SLICE_SECONDS = 0.2
# "slow": one batch at a time with this pause after it, so a class can watch each step.
SLOW_PAUSE_SECONDS = 0.25
log = logging.getLogger("chainrule.training")


class Session:
    """The trainer and what the page sees of it between two progress events."""

    def __init__(self, config: dict):
        self.config = config
        self.reset()

    def reset(self, config: dict | None = None) -> None:
        from engine.training import TrainConfig, Trainer

        self.config = config or self.config
        self.trainer = Trainer(TrainConfig(**self.config))
        self.running = False
        self.slow = False
        self.losses: list[float] = []
        self.accuracies: list[float] = []

    def status(self) -> dict:
        t = self.trainer
        usage = os.times()
        return {"state": "running" if self.running else "paused", "epoch": t.epoch,
                "batches": t.batches, "seen": t.seen,
                "epochs_done": t.seen / len(t.data.y_train),
                "cpu_seconds": usage.user + usage.system,
                "config": {k: v for k, v in vars(t.config).items() if k != "network"}}

    def step(self) -> None:
        out = self.trainer.step()
        self.losses.append(out["loss"])
        self.accuracies.append(out["accuracy"])

    def progress(self) -> dict:
        """A point of the curves: the batches since the last point, and the test split."""
        test = self.trainer.evaluate("test")
        point = {**self.status(), "test_loss": test["loss"], "test_accuracy": test["accuracy"],
                 "loss": sum(self.losses) / len(self.losses) if self.losses else None,
                 "train_accuracy": (sum(self.accuracies) / len(self.accuracies)
                                    if self.accuracies else None),
                 "filters": self.trainer.filters()}
        self.losses, self.accuracies = [], []
        return point

    def train_slice(self) -> dict:
        """Batches for about SLICE_SECONDS (one batch when slow), then a progress point."""
        end = time.perf_counter() + SLICE_SECONDS
        self.step()
        while not self.slow and time.perf_counter() < end:
            self.step()
        return self.progress()

    def wait(self) -> float | None:
        """How long to wait for a command before training on (None: paused, no limit)."""
        if not self.running:
            return None
        return SLOW_PAUSE_SECONDS if self.slow else 0

    def handle(self, msg: dict):
        cmd = msg.get("cmd")
        t = self.trainer
        if cmd == "start":
            self.running = True
            self.slow = msg.get("speed") == "slow"
        elif cmd == "pause":
            self.running = False
        elif cmd == "step":
            self.running = False
            self.step()
            return {**self.status(), "point": self.progress()}
        elif cmd == "reset":
            self.reset(msg.get("config"))
            return {**self.status(), "point": self.progress()}
        elif cmd == "inspect":
            return t.inspect(msg.get("image"))
        elif cmd == "conv":
            return t.conv_link(msg.get("image"), msg.get("layer"))
        elif cmd == "neuron":
            return t.neuron_program(msg.get("image"), msg.get("layer"), msg.get("unit"))
        elif cmd != "status":
            raise ValueError(f"unknown command {cmd!r}")
        return self.status()


def send(conn, obj) -> None:
    from server import serialize

    conn.send_bytes(serialize.dumps(obj).encode())


def reply(conn, session: Session | None, msg: dict) -> Session | None:
    """Answer one command; the first must be init. Errors go back as data, never a crash."""
    from engine.errors import EngineError

    try:
        if msg.get("cmd") == "init":
            session = Session(msg.get("config") or {})
            data = {**session.status(), "point": session.progress()}
        elif session is None:
            raise ValueError("the first command must be init")
        else:
            data = session.handle(msg)
        send(conn, {"reply": msg.get("id"), "data": data})
    except EngineError as err:
        send(conn, {"reply": msg.get("id"), "error": err.to_dict()})
    except (TypeError, ValueError) as err:
        send(conn, {"reply": msg.get("id"), "error": {"type": "value", "msg": str(err)}})
    except MemoryError:
        send(conn, {"reply": msg.get("id"), "error": {"type": "limit", "msg": "the run needs more "
                                                "memory than this server allows"}})
    except Exception as err:    # a bug: the page still gets words, and the run goes on
        log.exception("unexpected error in a training run")
        send(conn, {"reply": msg.get("id"), "error": {
            "type": "value", "msg": f"the training run could not do this "
                                    f"({type(err).__name__}: {err})"}})
    return session


def serve(conn, memory_mb: int, cpu_seconds: int) -> None:
    """The run's loop: answer commands; between them, while running, train a slice."""
    from server.worker import cap_memory

    cap_memory(memory_mb)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    session = None
    try:
        while True:
            if conn.poll(None if session is None else session.wait()):
                session = reply(conn, session, json.loads(conn.recv_bytes()))
            elif session is not None and session.running:
                send(conn, {"event": "progress", "data": session.train_slice()})
    except (EOFError, OSError):
        return                  # the server closed the pipe, or went away
