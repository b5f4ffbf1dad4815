"""A small ConvNet as a list of layers: its shapes worked out, its parameters, one pass.

A network is plain data, a list of layer dicts, the lecture's
``[(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K, SOFTMAX``:

    {"type": "conv", "filters": 8, "size": 3, "stride": 1, "pad": 1}
    {"type": "relu"}
    {"type": "maxpool", "size": 2, "stride": 2}
    {"type": "flatten"}
    {"type": "fc", "units": 10}
    {"type": "softmax_ce"}                 (last, and only last)

``plan_network`` checks the stack once: every layer's output volume (the lecture's
W × H × D), its parameter count, and for a layer that does not fit, the conv view's
explanation (``conv2d: 3x3 filter does not fit a 7x7 input with stride 3: ...``).
``Network`` holds the parameters and runs forward and backward on a batch through the
registry's own ops (``Conv2d``, ``Relu``, ``MaxPool2d``, ``Flatten``, ``Linear``,
``CrossEntropy``): the plan is made once, and each batch only calls the ops, no parsing
and no trace.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.errors import EngineError
from engine.layers import Conv2d, MaxPool2d, conv_geometry, pool_geometry, shape_text
from engine.ops import CrossEntropy, Flatten, Linear, Relu
from engine.registry import Context, value_error

INPUT_SHAPE = (1, 8, 8)       # one 8x8 grey digit, (C, H, W)
CLASSES = 10

DEFAULT_NETWORK = [
    {"type": "conv", "filters": 8, "size": 3, "stride": 1, "pad": 1},
    {"type": "relu"},
    {"type": "maxpool", "size": 2, "stride": 2},
    {"type": "flatten"},
    {"type": "fc", "units": 10},
    {"type": "softmax_ce"},
]

# Each layer type's settings: default, smallest and largest value.
SETTINGS = {
    "conv": {"filters": (8, 1, 32), "size": (3, 1, 8), "stride": (1, 1, 4), "pad": (0, 0, 4)},
    "relu": {},
    "maxpool": {"size": (2, 1, 8), "stride": (2, 1, 8)},
    "flatten": {},
    "fc": {"units": (10, 1, 256)},
    "softmax_ce": {},
}
NAMES = {"conv": "conv", "relu": "ReLU", "maxpool": "max pool", "flatten": "flatten",
         "fc": "FC", "softmax_ce": "softmax + cross-entropy"}
MAX_LAYERS = 16
MAX_PARAMETERS = 100_000          # weights and biases of the whole network
MAX_VALUES_PER_IMAGE = 20_000     # activations of one image over all layers


@dataclass
class LayerPlan:
    """One layer, checked: its settings, input and output shape (per image), parameters."""

    index: int
    type: str
    settings: dict
    in_shape: tuple             # (C, H, W) or (n,)
    out_shape: tuple
    param_shapes: dict = field(default_factory=dict)    # {"w": ..., "b": ...}
    formula: dict | None = None

    @property
    def parameters(self) -> dict:
        weights = math.prod(self.param_shapes["w"]) if "w" in self.param_shapes else 0
        biases = math.prod(self.param_shapes["b"]) if "b" in self.param_shapes else 0
        return {"weights": weights, "biases": biases, "total": weights + biases}

    def describe(self) -> dict:
        """The layer as the page's column shows it."""
        data = {"index": self.index, "type": self.type, "name": NAMES[self.type],
                "settings": dict(self.settings), "input_shape": list(self.in_shape),
                "output_shape": list(self.out_shape), "shape_text": volume_text(self.out_shape),
                "parameters": self.parameters, "formula": self.formula}
        if self.type == "conv":
            k, c, f = self.param_shapes["w"][0], self.param_shapes["w"][1], self.settings["size"]
            data["parameter_formula"] = f"{f}·{f}·{c}·{k} + {k} = {self.parameters['total']}"
        elif self.type == "fc":
            out, inp = self.param_shapes["w"]
            data["parameter_formula"] = f"{inp}·{out} + {out} = {self.parameters['total']}"
        return data


def volume_text(shape: tuple) -> str:
    """'8×8×8' for a (C, H, W) volume (width × height × depth), '128' for a vector,
    'loss' for the loss's single number."""
    if not shape:
        return "loss"
    return shape_text(shape) if len(shape) == 3 else str(shape[0])


def _layer_error(i: int, kind: str, message: str, **extra) -> EngineError:
    return EngineError(f"layer {i + 1} ({NAMES.get(kind, kind)}): {message}",
                       kind=extra.pop("error_kind", "shape"), layer=i, **extra)


def _settings(i: int, layer) -> tuple[str, dict]:
    """The layer's type and its settings, defaults filled in, each a whole number in range."""
    if not isinstance(layer, dict):
        raise value_error(f"layer {i + 1}: a layer is an object such as {{\"type\": \"relu\"}}",
                          layer=i)
    kind = layer.get("type")
    if kind not in SETTINGS:
        raise value_error(f"layer {i + 1}: unknown type {kind!r}; use one of "
                          f"{', '.join(SETTINGS)}", layer=i)
    unknown = set(layer) - set(SETTINGS[kind]) - {"type"}
    if unknown:
        raise value_error(f"layer {i + 1} ({NAMES[kind]}): unknown settings {sorted(unknown)}; "
                          f"it takes {sorted(SETTINGS[kind]) or 'none'}", layer=i)
    settings = {}
    for key, (default, lo, hi) in SETTINGS[kind].items():
        value = layer.get(key, default)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) \
                or not lo <= value <= hi:
            raise value_error(f"layer {i + 1} ({NAMES[kind]}): {key} must be a whole number "
                              f"from {lo} to {hi}, got {value!r}", layer=i)
        settings[key] = int(value)
    return kind, settings


def _conv_plan(i: int, settings: dict, shape: tuple) -> LayerPlan:
    c = shape[0]
    k, f = settings["filters"], settings["size"]
    try:
        geo = conv_geometry((1,) + shape, (k, c, f, f), (k,), settings["stride"],
                            settings["pad"])
    except EngineError as err:
        raise _layer_error(i, "conv", err.message, error_kind=err.kind, **err.extra) from None
    return LayerPlan(i, "conv", settings, shape, (k,) + geo.out_hw,
                     {"w": (k, c, f, f), "b": (k,)}, geo.formula)


def _pool_plan(i: int, settings: dict, shape: tuple) -> LayerPlan:
    try:
        geo = pool_geometry("maxpool2d", (1,) + shape, settings["size"], settings["stride"])
    except EngineError as err:
        raise _layer_error(i, "maxpool", err.message, error_kind=err.kind,
                           **err.extra) from None
    return LayerPlan(i, "maxpool", settings, shape, (shape[0],) + geo.out_hw, {}, geo.formula)


def _plan_layer(i: int, kind: str, settings: dict, shape: tuple, last: bool) -> LayerPlan:
    volume = len(shape) == 3
    if kind == "softmax_ce" and not last:
        raise _layer_error(i, kind, "the loss ends the network; it can only be the last layer")
    if kind != "softmax_ce" and last:
        raise _layer_error(i, kind, "the network must end with softmax + cross-entropy (the "
                           "loss that training lowers)")
    if kind in ("conv", "maxpool") and not volume:
        raise _layer_error(i, kind, f"needs a volume W×H×D, but its input is a vector of "
                           f"{shape[0]} numbers (after flatten or FC); put {NAMES[kind]} "
                           "layers before the flatten")
    if kind == "conv":
        return _conv_plan(i, settings, shape)
    if kind == "maxpool":
        return _pool_plan(i, settings, shape)
    if kind == "relu":
        return LayerPlan(i, kind, settings, shape, shape)
    if kind == "flatten":
        if not volume:
            raise _layer_error(i, kind, f"its input is already a vector of {shape[0]} numbers")
        return LayerPlan(i, kind, settings, shape, (math.prod(shape),))
    if kind == "fc":
        if volume:
            raise _layer_error(i, kind, f"needs a vector, but its input is a "
                               f"{volume_text(shape)} volume; add a flatten layer before it "
                               f"({volume_text(shape)} = {math.prod(shape)} numbers)")
        units = settings["units"]
        return LayerPlan(i, kind, settings, shape, (units,),
                         {"w": (units, shape[0]), "b": (units,)})
    # the loss: one score per class
    if volume or shape[0] != CLASSES:
        got = f"a {volume_text(shape)} volume" if volume else f"{shape[0]} scores"
        raise _layer_error(i, kind, f"needs {CLASSES} scores, one per digit class, but gets "
                           f"{got}; end with an FC layer of {CLASSES} units")
    return LayerPlan(i, kind, settings, shape, ())


def plan_network(layers) -> list[LayerPlan]:
    """Check a network layer by layer; the first layer that does not fit is refused with
    an EngineError whose ``layer`` (0-based) says which, and the conv view's explanation."""
    if not isinstance(layers, list) or not layers:
        raise value_error("the network is a non-empty list of layers")
    if len(layers) > MAX_LAYERS:
        raise EngineError(f"a network may have at most {MAX_LAYERS} layers, got {len(layers)}",
                          kind="limit")
    plans, shape, total, values = [], INPUT_SHAPE, 0, math.prod(INPUT_SHAPE)
    for i, layer in enumerate(layers):
        kind, settings = _settings(i, layer)
        plan = _plan_layer(i, kind, settings, shape, i == len(layers) - 1)
        total += plan.parameters["total"]
        values += math.prod(plan.out_shape)
        if total > MAX_PARAMETERS:
            raise _layer_error(i, kind, f"the network would hold {total:,} parameters, more "
                               f"than the limit of {MAX_PARAMETERS:,}", error_kind="limit")
        if values > MAX_VALUES_PER_IMAGE:
            raise _layer_error(i, kind, f"the layers' outputs would hold {values:,} numbers "
                               f"per image, more than the limit of {MAX_VALUES_PER_IMAGE:,}",
                               error_kind="limit")
        plans.append(plan)
        shape = plan.out_shape
    return plans


def describe_network(layers) -> dict:
    """Every layer that fits, with shapes and parameter counts, and the first that does not
    (its message, formula and fitting suggestions) instead of an error: what the page's
    layer column shows while the stack is being edited."""
    fitting: list[dict] = []
    try:
        plans = plan_network(layers)
    except EngineError as err:
        good = layers[:err.extra["layer"]] if isinstance(err.extra.get("layer"), int) else []
        fitting = [p.describe() for p in plan_network_prefix(good)]
        return {"fits": False, "input_shape": list(INPUT_SHAPE),
                "input_text": volume_text(INPUT_SHAPE), "layers": fitting,
                "parameters": sum(p["parameters"]["total"] for p in fitting),
                "error": err.to_dict()}
    return {"fits": True, "input_shape": list(INPUT_SHAPE), "input_text": volume_text(INPUT_SHAPE),
            "layers": [p.describe() for p in plans],
            "parameters": sum(p.parameters["total"] for p in plans), "error": None}


def plan_network_prefix(layers: list) -> list[LayerPlan]:
    """The plans of layers that are known to fit, without the rule about the last layer."""
    plans, shape = [], INPUT_SHAPE
    for i, layer in enumerate(layers):
        kind, settings = _settings(i, layer)
        plan = _plan_layer(i, kind, settings, shape, last=kind == "softmax_ce")
        plans.append(plan)
        shape = plan.out_shape
    return plans


# ---------------------------------------------------------------- running it

def init_parameters(plans: list[LayerPlan], seed: int) -> list[list[np.ndarray]]:
    """He-initialised weights (std sqrt(2 / fan-in), right for ReLU) and zero biases."""
    rng = np.random.default_rng(seed)
    params = []
    for plan in plans:
        if "w" not in plan.param_shapes:
            params.append([])
            continue
        w_shape = plan.param_shapes["w"]
        fan_in = math.prod(w_shape[1:])
        params.append([rng.standard_normal(w_shape) * math.sqrt(2.0 / fan_in),
                       np.zeros(plan.param_shapes["b"])])
    return params


class Network:
    """A planned network and its parameters. ``loss(x, y)`` runs forward, ``backward()``
    fills ``grads`` (one list per layer, like ``params``); both call the registry's ops."""

    def __init__(self, layers=None, seed: int = 0):
        self.spec = [dict(layer) for layer in (layers or DEFAULT_NETWORK)]
        self.plans = plan_network(self.spec)
        self.params = init_parameters(self.plans, seed)
        self.grads = [[np.zeros_like(p) for p in ps] for ps in self.params]
        self._steps = [self._step(plan) for plan in self.plans]
        self._ctxs: list[Context] = []
        self.outputs: list[np.ndarray] = []

    @staticmethod
    def _step(plan: LayerPlan):
        """(op, keyword parameters, whether backward owes this layer's input a gradient)."""
        ops = {"conv": Conv2d, "relu": Relu, "maxpool": MaxPool2d, "flatten": Flatten,
               "fc": Linear, "softmax_ce": CrossEntropy}
        kwargs = {}
        if plan.type == "conv":
            kwargs = {"stride": plan.settings["stride"], "pad": plan.settings["pad"]}
        elif plan.type == "maxpool":
            kwargs = {"size": plan.settings["size"], "stride": plan.settings["stride"]}
        # The input image takes no gradient: the first layer skips that work in training.
        return ops[plan.type], kwargs, plan.index > 0

    def parameter_list(self) -> list[np.ndarray]:
        return [p for ps in self.params for p in ps]

    def grad_list(self) -> list[np.ndarray]:
        return [g for gs in self.grads for g in gs]

    def scores(self, x: np.ndarray, keep: bool = False) -> np.ndarray:
        """Class scores (N, 10) of images x (N, 1, 8, 8); ``keep`` saves each layer's
        context and output for backward / inspection."""
        ctxs, outputs = [], []
        h = x
        for (op, kwargs, needs_dx), params in zip(self._steps[:-1], self.params[:-1],
                                                  strict=True):
            ctx = Context()
            ctx.needs_input_grad = (needs_dx,) + (True,) * len(params)
            h = op.forward(ctx, h, *params, **kwargs)
            if keep:
                ctxs.append(ctx)
                outputs.append(h)
        if keep:
            self._ctxs, self.outputs = ctxs, outputs
        return h

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy of the batch; keeps what backward needs."""
        scores = self.scores(x, keep=True)
        ctx = Context()
        loss = CrossEntropy.forward(ctx, scores, y)
        self._ctxs.append(ctx)
        return float(loss)

    def backward(self, need_input_grad: bool = False) -> list[np.ndarray]:
        """Gradients of the last ``loss`` into ``grads``; returns the gradient arriving at
        each layer's output, dL/d(output of layer i), and last dL/dx when asked."""
        (grad, _) = CrossEntropy.backward(self._ctxs[-1], 1.0)
        arriving = [grad]
        last = len(self._ctxs) - 2
        for i in range(last, -1, -1):
            op, _, needs_dx = self._steps[i]
            ctx = self._ctxs[i]
            if i == 0:
                ctx.needs_input_grad = (need_input_grad,) + ctx.needs_input_grad[1:]
            grads = op.backward(ctx, grad)
            for target, g in zip(self.grads[i], grads[1:], strict=True):
                target[...] = g
            grad = grads[0]
            arriving.append(grad)
        arriving.reverse()     # arriving[i]: dL/d(input of layer i); last: dL/dscores
        return arriving
