"""Optimisers: a small class each, holding its state, with ``step(grads)`` over the
parameters it was given (the shape of ``torch.optim``). Updates are in place."""
from __future__ import annotations

import numpy as np


class SGD:
    """SGD with momentum, PyTorch's form: v = momentum·v + g; p -= lr·v."""

    def __init__(self, params: list[np.ndarray], lr: float = 0.05, momentum: float = 0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        for p, g, v in zip(self.params, grads, self.velocity, strict=True):
            v *= self.momentum
            v += g
            p -= self.lr * v


class Adam:
    """Adam (Kingma & Ba): running means of g and g², bias-corrected;
    p -= lr · m̂ / (√v̂ + eps)."""

    def __init__(self, params: list[np.ndarray], lr: float = 0.01, betas=(0.9, 0.999),
                 eps: float = 1e-8):
        self.params, self.lr, self.eps = params, lr, eps
        self.beta1, self.beta2 = betas
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1 - b1 ** self.t)
        root_correction = np.sqrt(1 - b2 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v) / root_correction
            denom += self.eps
            p -= step_size * m / denom


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
