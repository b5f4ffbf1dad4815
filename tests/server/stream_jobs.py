"""Generator functions the streaming-job tests run in a worker process."""
from __future__ import annotations

import time

import numpy as np


def count(n: int, pause: float):
    """Yield 0 .. n-1, one every `pause` seconds."""
    for i in range(n):
        time.sleep(pause)
        yield {"step": i}


def hog(megabytes: int):
    """Yield once, then allocate more memory than the job is allowed."""
    yield "started"
    block = np.ones(megabytes * 1024 * 1024 // 8)
    yield float(block.sum())
