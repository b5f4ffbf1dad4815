"""One training run in a process of its own: `python -m server.train_worker`.

The server starts one of these per run (server/net_runs.py) with a memory cap and a
deadline, and talks to it in JSON lines. On stdin, commands:

    {"id": 1, "cmd": "init", "config": {"network": [...], "optimizer": "sgd", ...}}
    {"id": 2, "cmd": "start" | "pause" | "step" | "reset" | "status"}
    {"id": 3, "cmd": "inspect", "image": {"split": "test", "index": 0}}
    {"id": 4, "cmd": "conv", "image": {...}, "layer": 0}
    {"id": 5, "cmd": "neuron", "image": {...}, "layer": 4, "unit": 7}

On stdout, one reply per command, {"reply": id, "data": ...} or {"reply": id, "error":
{...}}, and events {"event": "progress", "data": {...}} while training runs. Training runs
in slices of about SLICE_SECONDS between which commands are read; paused, the process
blocks on stdin and computes nothing. It exits when stdin closes (the server went away).
"""
from __future__ import annotations

import json
import os
import select
import sys
import time

SLICE_SECONDS = 0.1


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
        end = time.perf_counter() + SLICE_SECONDS
        while time.perf_counter() < end:
            self.step()
        return self.progress()

    def handle(self, msg: dict):
        cmd = msg.get("cmd")
        t = self.trainer
        if cmd == "start":
            self.running = True
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


class Lines:
    """Whole lines from stdin, read without blocking when asked (select + os.read)."""

    def __init__(self):
        self.buffer = b""

    def read(self, timeout: float | None) -> list[bytes] | None:
        ready, _, _ = select.select([0], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return None          # stdin closed: the server is gone
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return lines


def send(obj) -> None:
    from server import serialize

    sys.stdout.write(serialize.dumps(obj) + "\n")
    sys.stdout.flush()


def reply(session: Session | None, msg: dict) -> Session | None:
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
        send({"reply": msg.get("id"), "data": data})
    except EngineError as err:
        send({"reply": msg.get("id"), "error": err.to_dict()})
    except (TypeError, ValueError) as err:
        send({"reply": msg.get("id"), "error": {"type": "value", "msg": str(err)}})
    except MemoryError:
        send({"reply": msg.get("id"), "error": {"type": "limit", "msg": "the run needs more "
                                                "memory than this server allows"}})
    return session


def main() -> int:
    lines, session = Lines(), None
    while True:
        running = session is not None and session.running
        got = lines.read(0 if running else None)
        if got is None:
            return 0
        for line in got:
            if line.strip():
                session = reply(session, json.loads(line))
        if session is not None and session.running and not got:
            send({"event": "progress", "data": session.train_slice()})


if __name__ == "__main__":
    sys.exit(main())
