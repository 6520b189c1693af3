"""Progress a person can follow during a run of minutes: the stage, files done of total, the
rejections so far and the elapsed time.

On a terminal (`smartdd run` sets SMARTDD_PROGRESS_TTY when its stderr is one) a tqdm bar is
drawn on that terminal directly — Airflow redirects a task's own stderr into its log. Otherwise
plain log lines, one every few seconds, that read well in Airflow's task log or a CI log.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager

log = logging.getLogger("smartdd.progress")
TTY_ENV = "SMARTDD_PROGRESS_TTY"
_LINE_EVERY_S = 10.0
_RUN_START = time.monotonic()


def _terminal():
    path = os.environ.get(TTY_ENV)
    if not path:
        return None
    try:
        return open(path, "w", buffering=1)  # noqa: SIM115 - closed by Progress.close
    except OSError:
        return None


def elapsed() -> str:
    seconds = int(time.monotonic() - _RUN_START)
    return f"{seconds // 60}:{seconds % 60:02d}"


def stage(name: str) -> None:
    """Say which stage the run is in."""
    terminal = _terminal()
    if terminal:
        terminal.write(f"smartdd: {name} ({elapsed()} elapsed)\n")
        terminal.close()
    log.info("stage: %s (%s elapsed)", name, elapsed())


class Progress:
    """Files done of `total` in one stage, with the rejections so far."""

    def __init__(self, name: str, total: int):
        self.name, self.total, self.done, self.rejected = name, total, 0, 0
        self._last_line = time.monotonic()
        self._terminal = _terminal()
        self._bar = None
        if self._terminal and total:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=name, unit="file", file=self._terminal, dynamic_ncols=True)

    def advance(self, rejected: bool = False) -> None:
        self.done += 1
        self.rejected += rejected
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self.rejected} rejected", refresh=False)
            self._bar.update(1)
        elif time.monotonic() - self._last_line >= _LINE_EVERY_S or self.done == self.total:
            self._last_line = time.monotonic()
            log.info("%s: %d of %d file(s) done, %d rejected so far (%s elapsed)", self.name, self.done, self.total, self.rejected, elapsed())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._terminal:
            self._terminal.close()


@contextmanager
def progress(name: str, total: int):
    bar = Progress(name, total)
    try:
        yield bar
    finally:
        bar.close()
