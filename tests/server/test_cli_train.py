"""`chainrule train`: the default ConvNet learns the digits from the command line."""
from __future__ import annotations

import json
import subprocess
import sys
import time


def run(*args):
    return subprocess.run([sys.executable, "-m", "server.cli", "train", *args],
                          capture_output=True, text=True, timeout=120)


def test_train_json_reaches_95_percent_within_10_epochs_and_30_seconds():
    start = time.monotonic()
    r = run("--json", "--seed", "0")
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [line["epoch"] for line in lines] == list(range(1, 11))
    assert all(set(line) == {"epoch", "loss", "train_accuracy", "test_accuracy", "seconds"}
               for line in lines)
    assert max(line["test_accuracy"] for line in lines) >= 0.95
    assert lines[-1]["loss"] < lines[0]["loss"]
    assert elapsed < 30


def test_train_text_has_one_line_per_epoch_and_takes_every_option():
    r = run("--epochs", "2", "--optimizer", "adam", "--lr", "0.005", "--batch", "64",
            "--seed", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch   2  loss ")


def test_train_refuses_bad_settings():
    r = run("--lr", "5")
    assert r.returncode == 1 and "lr must be a number" in r.stderr
    assert run("--optimizer", "rmsprop").returncode == 2
