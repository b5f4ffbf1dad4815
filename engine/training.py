"""Training a ConvNet on the digits, and looking inside it, in a few short functions.

    trainer = Trainer(TrainConfig())          # plan the network once, load the data
    trainer.train_epoch()                     # forward, backward, update per minibatch
    trainer.evaluate("test")                  # {"loss", "accuracy"}
    trainer.inspect({"split": "test", "index": 0})   # every layer's maps and gradients

Everything is plain data in and out; errors are EngineErrors a student can read.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from engine import digits
from engine.errors import EngineError
from engine.network import CLASSES, DEFAULT_NETWORK, INPUT_SHAPE, Network
from engine.ops import softmax
from engine.optim import OPTIMIZERS
from engine.registry import value_error

DEFAULT_LR = {"sgd": 0.05, "adam": 0.01}
MAX_BATCH = 256
LR_RANGE = (1e-5, 1.0)
EVAL_BATCH = 512


@dataclass
class TrainConfig:
    """What a training run needs; ``checked()`` fills the defaults and bounds every value."""

    network: list = field(default_factory=lambda: [dict(x) for x in DEFAULT_NETWORK])
    optimizer: str = "sgd"
    lr: float | None = None
    batch: int = 32
    seed: int = 0

    def checked(self) -> TrainConfig:
        if self.optimizer not in OPTIMIZERS:
            raise value_error(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got "
                              f"{self.optimizer!r}")
        lr = DEFAULT_LR[self.optimizer] if self.lr is None else self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) \
                or not LR_RANGE[0] <= lr <= LR_RANGE[1]:
            raise value_error(f"lr must be a number from {LR_RANGE[0]:g} to {LR_RANGE[1]:g}, "
                              f"got {lr!r}")
        for name, value, hi in (("batch", self.batch, MAX_BATCH), ("seed", self.seed, 2**32 - 1)):
            lo = 1 if name == "batch" else 0
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise value_error(f"{name} must be a whole number from {lo} to {hi}, "
                                  f"got {value!r}")
        return TrainConfig([dict(x) for x in self.network], self.optimizer, float(lr),
                           self.batch, self.seed)


class Trainer:
    """A network, its optimiser and the data; counts epochs and batches as it goes."""

    def __init__(self, config: TrainConfig | None = None):
        self.config = (config or TrainConfig()).checked()
        self.data = digits.load()
        self.net = Network(self.config.network, seed=self.config.seed)
        self.optimizer = OPTIMIZERS[self.config.optimizer](self.net.parameter_list(),
                                                           lr=self.config.lr)
        self.rng = np.random.default_rng((self.config.seed, 1))
        self.epoch, self.batches, self.seen = 0, 0, 0
        self._order: np.ndarray | None = None
        self._position = 0

    # ------------------------------------------------------------ learning

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """The next minibatch of the shuffled training split, and whether it ends an epoch."""
        x, y = self.data.x_train, self.data.y_train
        if self._order is None:
            self._order, self._position = self.rng.permutation(len(y)), 0
        idx = self._order[self._position:self._position + self.config.batch]
        self._position += len(idx)
        last = self._position >= len(y)
        if last:
            self._order = None
        return x[idx], y[idx], last

    def step(self) -> dict:
        """One minibatch: forward, backward, update. Its loss and accuracy."""
        x, y, last = self._next_batch()
        loss = self.net.loss(x, y)
        correct = int(np.sum(np.argmax(self.net.outputs[-1], axis=1) == y))
        self.net.backward()
        self.optimizer.step(self.net.grad_list())
        self.batches += 1
        self.seen += len(y)
        if last:
            self.epoch += 1
        return {"loss": loss, "accuracy": correct / len(y), "size": len(y),
                "epoch_done": last}

    def train_epoch(self) -> dict:
        """The rest of the current epoch; the mean batch loss and the seconds it took."""
        start = time.perf_counter()
        losses, sizes = [], []
        while True:
            out = self.step()
            losses.append(out["loss"])
            sizes.append(out["size"])
            if out["epoch_done"]:
                break
        seconds = time.perf_counter() - start
        return {"epoch": self.epoch, "loss": float(np.average(losses, weights=sizes)),
                "seconds": seconds}

    def evaluate(self, split: str) -> dict:
        """Mean loss and accuracy over a whole split (no gradients, no update)."""
        x, y = self.data.split(split)
        total, correct = 0.0, 0
        for lo in range(0, len(y), EVAL_BATCH):
            scores = self.net.scores(x[lo:lo + EVAL_BATCH])
            yb = y[lo:lo + EVAL_BATCH]
            p = softmax(scores)
            total += float(-np.sum(np.log(np.maximum(p[np.arange(len(yb)), yb], 1e-300))))
            correct += int(np.sum(np.argmax(scores, axis=1) == yb))
        return {"loss": total / len(y), "accuracy": correct / len(y)}

    def epoch_report(self) -> dict:
        """One epoch of training and its line of `chainrule train --json`."""
        done = self.train_epoch()
        return {"epoch": done["epoch"], "loss": done["loss"],
                "train_accuracy": self.evaluate("train")["accuracy"],
                "test_accuracy": self.evaluate("test")["accuracy"],
                "seconds": done["seconds"]}

    # ------------------------------------------------------------ looking inside

    def image(self, image) -> tuple[np.ndarray, int | None, str]:
        """(1, 8, 8) pixels and the label, from {"split", "index"} or {"pixels": 8x8}."""
        if not isinstance(image, dict):
            raise value_error('image must be {"split": "test", "index": 0} or {"pixels": 8x8}')
        if "pixels" in image:
            px = np.asarray(image["pixels"], dtype=np.float64) \
                if _is_grid(image["pixels"]) else None
            if px is None or px.shape != INPUT_SHAPE[1:] or not np.all(np.isfinite(px)) \
                    or px.min() < 0 or px.max() > 1:
                raise value_error("pixels must be 8 rows of 8 numbers from 0 to 1")
            label = image.get("label")
            if label is not None and (not isinstance(label, int) or isinstance(label, bool)
                                      or not 0 <= label < CLASSES):
                raise value_error(f"label must be a digit from 0 to {CLASSES - 1}")
            return px[None], label, "drawn"
        split, index = image.get("split", "test"), image.get("index", 0)
        if split not in ("train", "test"):
            raise value_error(f'split must be "train" or "test", got {split!r}')
        x, y = self.data.split(split)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(y):
            raise value_error(f"index must be a whole number from 0 to {len(y) - 1}")
        return np.array(x[index]), int(y[index]), f"{split} image {index}"

    def inspect(self, image) -> dict:
        """One image forward and backward: every layer's output and the gradient arriving
        at it, the class probabilities, and each parameter's gradient. The loss is the
        cross-entropy against the image's label (a drawn digit: the network's own guess)."""
        x, label, source = self.image(image)
        net = self.net
        scores = net.scores(x[None])[0]
        probs = softmax(scores)
        predicted = int(np.argmax(scores))
        target = predicted if label is None else label
        saved = [[g.copy() for g in gs] for gs in net.grads]
        loss = net.loss(x[None], np.array([target]))
        arriving = net.backward(need_input_grad=True)
        layers = []
        for plan, out, grad, params, grads in zip(net.plans[:-1], net.outputs, arriving[1:],
                                                  net.params[:-1], net.grads[:-1], strict=True):
            entry = {"index": plan.index, "type": plan.type, "output": out[0], "grad": grad[0]}
            if params:
                entry.update(weights=params[0], bias=params[1], grad_weights=grads[0].copy(),
                             grad_bias=grads[1].copy())
            layers.append(entry)
        net.grads = saved     # training's gradients are not this image's
        return {"source": source, "input": x, "grad_input": arriving[0][0], "label": label,
                "target": target, "predicted": predicted, "scores": scores,
                "probabilities": probs, "loss": loss, "layers": layers}

    def conv_link(self, image, layer: int) -> dict:
        """A /api/conv body for conv layer ``layer`` on this image: its real input, filters
        and bias, the ReLU / max pool that follow it, and the gradient arriving after them."""
        plans = self.net.plans
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(plans) \
                or plans[layer].type != "conv":
            convs = [p.index for p in plans if p.type == "conv"]
            raise value_error(f"layer must be the index of a conv layer: {convs}")
        seen = self.inspect(image)
        inputs = [seen["input"]] + [entry["output"] for entry in seen["layers"]]
        plan = plans[layer]
        body = {"input": inputs[layer], "filters": plan.settings["filters"],
                "size": plan.settings["size"], "stride": plan.settings["stride"],
                "pad": plan.settings["pad"], "weights": self.net.params[layer][0],
                "bias": self.net.params[layer][1], "relu": False}
        last = layer
        if layer + 1 < len(plans) and plans[layer + 1].type == "relu":
            body["relu"], last = True, layer + 1
        if last + 1 < len(plans) and plans[last + 1].type == "maxpool":
            s = plans[last + 1].settings
            body["pool"], last = {"size": s["size"], "stride": s["stride"]}, last + 1
        body["upstream"] = seen["layers"][last]["grad"]
        return {"id": f"net-layer-{layer}", "kind": "conv",
                "title": f"Layer {layer + 1}: conv on {seen['source']}",
                "explanation": (f"Layer {layer + 1} of the network, on {seen['source']}: its "
                                "real input and the filters and bias as trained so far. (The "
                                "body's upstream is the gradient of that image's loss arriving "
                                "from the layers above.)"),
                "conv": body}

    def neuron_program(self, image, layer: int, unit: int) -> dict:
        """A /api/graph body for one unit of FC layer ``layer``: its dot product and bias as
        gates, with this image's inputs and the trained weights."""
        plans = self.net.plans
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(plans) \
                or plans[layer].type != "fc":
            fcs = [p.index for p in plans if p.type == "fc"]
            raise value_error(f"layer must be the index of an FC layer: {fcs}")
        units = plans[layer].settings["units"]
        if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit < units:
            raise value_error(f"unit must be a whole number from 0 to {units - 1}")
        seen = self.inspect(image)
        inputs = [seen["input"]] + [entry["output"] for entry in seen["layers"]]
        w, b = self.net.params[layer]
        value = seen["layers"][layer]["output"][unit]
        return {"expression": "s = sum(w * x) + b", "output": "s",
                "inputs": {"x": inputs[layer].reshape(-1), "w": w[unit], "b": float(b[unit])},
                "value": float(value), "layer": layer, "unit": unit,
                "title": f"Layer {layer + 1} (FC), unit {unit} on {seen['source']}"}

    def filters(self) -> list[dict]:
        """Every conv layer's filters (K, C, F, F), for the page's live view."""
        return [{"index": p.index, "weights": self.net.params[p.index][0]}
                for p in self.net.plans if p.type == "conv"]


def _is_grid(value) -> bool:
    return isinstance(value, list) and len(value) == INPUT_SHAPE[1] and all(
        isinstance(row, list) and len(row) == INPUT_SHAPE[2] and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
        for row in value)


def train(config: TrainConfig | None = None, epochs: int = 10):
    """Yield one `chainrule train` report per epoch."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 1000:
        raise EngineError("epochs must be a whole number from 1 to 1000", kind="value")
    trainer = Trainer(config)
    for _ in range(epochs):
        yield trainer.epoch_report()
