"""scikit-learn's handwritten digits, split once into a training and a test set.

``sklearn.datasets.load_digits`` ships 1,797 8x8 grey images (values 0..16, 10 classes)
inside the package, so training needs no download. Pixels are scaled to 0..1 and shaped
(N, 1, 8, 8), the (N, C, H, W) layout of the conv layers. The split is fixed (its own
seed, whatever seed the training uses) so every run tests on the same 359 images.

Importing scikit-learn takes seconds, longer than a whole training epoch, and every
training run of the server is a fresh process; so the images, once read, are kept in a
.npz file (under 1 MB) in the user's cache folder, keyed by scikit-learn's
version, and later processes read that instead.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

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


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chainrule" / f"digits-sklearn-{metadata.version('scikit-learn')}.npz"


def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) 0..16, labels (1797,)), from the cache or from scikit-learn."""
    path = cache_file()
    try:
        with np.load(path) as saved:
            return saved["images"], saved["target"]
    except (OSError, KeyError, ValueError):
        pass
    from sklearn.datasets import load_digits  # imported here: only training needs it

    data = load_digits()
    try:                       # written whole, then renamed: readers never see half a file
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as f:
            np.savez(f, images=data.images, target=data.target)
        os.replace(f.name, path)
    except OSError:
        pass                   # no writable cache: scikit-learn is read each time
    return data.images, data.target


@lru_cache(maxsize=1)
def load() -> Digits:
    """The digits, split 80/20 by a fixed permutation (read-only arrays)."""
    images, target = _read_digits()
    x = (images / 16.0).reshape(-1, 1, 8, 8).astype(np.float64)
    y = target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test = round(len(y) * TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    parts = [np.ascontiguousarray(a) for a in (x[train], y[train], x[test], y[test])]
    for a in parts:
        a.flags.writeable = False
    return Digits(*parts)
