"""Jobs for the worker-pool tests: importable by the workers (tests/ingest is on their sys.path)."""

from __future__ import annotations

import os
import signal
import time


def work(what: str):
    if what == "killed":
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    if what == "hangs":
        time.sleep(60)
    if what == "too_big":
        return bytearray(3 * 2**30)  # over the cap set by the test
    if what == "raises":
        raise ValueError("a reader bug")
    return what, os.getpid()
