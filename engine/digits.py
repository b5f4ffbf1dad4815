"""scikit-learn's handwritten digits, split once into a training and a test set.

``sklearn.datasets.load_digits`` ships 1,797 8x8 grey images (values 0..16, 10 classes)
inside the package, so training needs no download. Pixels are scaled to 0..1 and shaped
(N, 1, 8, 8), the (N, C, H, W) layout of the conv layers. The split is fixed (its own
seed, whatever seed the training uses) so every run tests on the same 360 images.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SPLIT_SEED = 0
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Digits:
    x_train: np.ndarray     # (N, 1, 8, 8), 0..1
    y_train: np.ndarray     # (N,) int
    x_test: np.ndarray
    y_test: np.ndarray

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r}")


@lru_cache(maxsize=1)
def load() -> Digits:
    """The digits, split 80/20 by a fixed permutation (read-only arrays)."""
    from sklearn.datasets import load_digits  # imported here: only training needs it

    data = load_digits()
    x = (data.images / 16.0).reshape(-1, 1, 8, 8).astype(np.float64)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test = round(len(y) * TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    parts = [np.ascontiguousarray(a) for a in (x[train], y[train], x[test], y[test])]
    for a in parts:
        a.flags.writeable = False
    return Digits(*parts)
