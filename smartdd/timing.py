"""Where a run's time goes, by stage, in this process (bench/pipeline.py reads it).

`dag.test()` runs every task in the calling process, so one counter sees the whole run.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager

SECONDS: Counter[str] = Counter()


@contextmanager
def timed(stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        SECONDS[stage] += time.perf_counter() - start
