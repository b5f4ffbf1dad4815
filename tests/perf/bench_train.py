"""Training speed: one epoch of the default ConvNet (forward, backward and SGD-momentum
update over the 1,438 training digits, batch 32) with our engine, side by side with PyTorch
on the CPU doing exactly the same in float64: the same initial weights, the same batch
order, the same number of threads. Both runs must end on the same weights (checked), so
the two engines did the same work.

Run: python tests/perf/bench_train.py [--epochs 7] [--threads 1] [--optimizer sgd|adam]
Goal: our epoch at most 1.5x PyTorch's (best of the epochs, measured alternately).
PyTorch is only needed here (installed as torch==2.13.0 when missing), never by the app
or the default tests.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

if importlib.util.find_spec("torch") is None:
    print("installing torch==2.13.0 (benchmark reference only) ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)

import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from engine.training import TrainConfig, Trainer  # noqa: E402

GOAL = 1.5


def torch_model(trainer: Trainer):
    """The default network in PyTorch, float64, starting from our trainer's weights."""
    (w1, b1), (w2, b2) = trainer.net.params[0], trainer.net.params[4]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, stride=1, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2, 2), torch.nn.Flatten(), torch.nn.Linear(128, 10)).double()
    with torch.no_grad():
        for layer, w, b in ((model[0], w1, b1), (model[4], w2, b2)):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    return model


def torch_epoch(model, optimizer, x: torch.Tensor, y: torch.Tensor, order: np.ndarray,
                batch: int) -> float:
    loss_fn = torch.nn.functional.cross_entropy
    start = time.perf_counter()
    for lo in range(0, len(order), batch):
        idx = torch.from_numpy(order[lo:lo + batch])
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="threads for both engines")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    ours = Trainer(TrainConfig(optimizer=args.optimizer, seed=0))
    model = torch_model(ours)
    lr = ours.config.lr
    optimizer = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
                 if args.optimizer == "sgd" else torch.optim.Adam(model.parameters(), lr=lr))
    x = torch.from_numpy(np.array(ours.data.x_train))
    y = torch.from_numpy(np.array(ours.data.y_train))

    ours_times, torch_times = [], []
    with threadpool_limits(limits=args.threads):
        for _ in range(args.epochs):
            # The order our trainer is about to draw, replayed for PyTorch.
            peek = np.random.Generator(type(ours.rng.bit_generator)())
            peek.bit_generator.state = ours.rng.bit_generator.state
            order = peek.permutation(len(ours.data.y_train))
            gc.collect()
            ours_times.append(ours.train_epoch()["seconds"])
            gc.collect()
            torch_times.append(torch_epoch(model, optimizer, x, y, order, ours.config.batch))

    ours_w = ours.net.params[0][0]
    torch_w = model[0].weight.detach().numpy()
    same = np.allclose(ours_w, torch_w, rtol=1e-7, atol=1e-9)
    best_ours, best_torch = min(ours_times), min(torch_times)
    ratio = best_ours / best_torch
    batches = -(-len(ours.data.y_train) // ours.config.batch)
    print(f"default ConvNet, {len(ours.data.y_train)} training digits, batch "
          f"{ours.config.batch} ({batches} batches), {args.optimizer}, float64, "
          f"{args.threads} thread(s), {args.epochs} epochs each")
    print(f"  chainrule  best {best_ours * 1e3:7.1f} ms  median "
          f"{statistics.median(ours_times) * 1e3:7.1f} ms  "
          f"({best_ours / batches * 1e3:.2f} ms per batch)")
    print(f"  PyTorch    best {best_torch * 1e3:7.1f} ms  median "
          f"{statistics.median(torch_times) * 1e3:7.1f} ms  "
          f"({best_torch / batches * 1e3:.2f} ms per batch)")
    print(f"  ratio {ratio:.2f}x (goal <= {GOAL}x); same final weights: {same}")
    return 0 if ratio <= GOAL and same else 1


if __name__ == "__main__":
    sys.exit(main())
