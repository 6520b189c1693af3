"""A pool of long-lived parser processes: the isolation of `run_isolated` without its start-up cost.

Each worker is a fresh interpreter (not multiprocessing: Airflow runs tasks in daemonic
processes, which may not fork children of their own) that imports the reader once and then
parses one file after another, each under the same memory cap (RLIMIT_AS) and a per-file
timeout. A worker that dies (out of memory, a crash of a Rust reader) or overruns its time is
killed, its file gets a RejectedFile with the reason, and a new worker takes its place; a worker
is also replaced after `max_jobs` files, so a slow leak never accumulates.

Requests go in on the worker's stdin and results come back on a dedicated pipe (never stdout,
which a library might print to), each as a length-prefixed pickle.
"""

from __future__ import annotations

import os
import pickle
import selectors
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from smartdd.ingest.isolation import _die_with_parent, _exit_words, _limit_memory, call_and_pickle
from smartdd.ingest.rejections import RejectedFile, _out_of_memory, _timed_out

__all__ = ["WorkerPool"]

_HEADER = struct.Struct("<Q")
_BOOTSTRAP = (
    "import pickle, sys\nsys.path[:] = pickle.loads(bytes.fromhex(sys.argv[1]))\n"
    "from smartdd.ingest.worker_pool import _worker_main\n_worker_main(*sys.argv[2:])\n"
)


@dataclass
class _Worker:
    proc: subprocess.Popen
    results: int  # the read end of the worker's result pipe
    jobs_done: int = 0
    key: object = None  # the job it is working on, None when idle
    started: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)


class WorkerPool:
    """`pool.map(fn, jobs)` yields `(key, result)` as files finish, where result is fn's return
    value or the exception it raised (RejectedFile when the worker died or ran out of time)."""

    def __init__(self, size: int = 2, memory_bytes: int = 3 * 2**30, timeout_s: float = 300, max_jobs: int = 50):
        self.size, self.memory_bytes, self.timeout_s, self.max_jobs = max(1, size), memory_bytes, timeout_s, max_jobs
        self._workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def map(self, fn: Callable, jobs: Iterable[tuple[object, tuple]]) -> Iterator[tuple[object, object]]:
        pending = list(jobs)
        pending.reverse()  # pop() from the end keeps the given order
        selector = selectors.DefaultSelector()
        try:
            while pending or any(w.key is not None for w in self._workers):
                while pending and (worker := self._idle_worker(selector)) is not None:
                    key, args = pending.pop()
                    self._send(worker, fn, key, args)
                yield from self._collect(selector)
        finally:
            selector.close()

    def close(self) -> None:
        for worker in self._workers:
            self._stop(worker)
        self._workers = []

    # -- workers ---------------------------------------------------------------------

    def _idle_worker(self, selector: selectors.BaseSelector) -> _Worker | None:
        for worker in self._workers:
            if worker.key is None:
                if worker.jobs_done < self.max_jobs and worker.proc.poll() is None:
                    return worker
                self._retire(worker, selector)
                break
        if len(self._workers) < self.size:
            worker = self._start()
            selector.register(worker.results, selectors.EVENT_READ, worker)
            return worker
        return None

    def _start(self) -> _Worker:
        read_end, write_end = os.pipe()
        command = [sys.executable, "-c", _BOOTSTRAP, pickle.dumps(list(sys.path)).hex(), str(write_end), str(self.memory_bytes), str(os.getpid())]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, pass_fds=(write_end,))
        os.close(write_end)
        worker = _Worker(proc=proc, results=read_end)
        self._workers.append(worker)
        return worker

    def _send(self, worker: _Worker, fn: Callable, key: object, args: tuple) -> None:
        worker.key, worker.started, worker.buffer = key, time.monotonic(), bytearray()
        payload = pickle.dumps((fn, args))
        try:
            worker.proc.stdin.write(_HEADER.pack(len(payload)) + payload)
            worker.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died between jobs: _collect sees the closed pipe and reports it

    def _collect(self, selector: selectors.BaseSelector) -> Iterator[tuple[object, object]]:
        busy = [w for w in self._workers if w.key is not None]
        if not busy:
            return
        deadline = min(w.started for w in busy) + self.timeout_s
        for selected, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
            worker: _Worker = selected.data
            chunk = os.read(worker.results, 2**20)
            if chunk:
                worker.buffer += chunk
                if (result := self._complete(worker)) is not None:
                    key, worker.key, worker.jobs_done = worker.key, None, worker.jobs_done + 1
                    yield key, result
            else:  # the pipe closed: the worker died (mid-file, or idle between files)
                if worker.key is not None:
                    yield worker.key, self._death(worker)
                self._retire(worker, selector)
        now = time.monotonic()
        for worker in [w for w in self._workers if w.key is not None and now - w.started >= self.timeout_s]:
            yield worker.key, RejectedFile(_timed_out(self.timeout_s))
            self._retire(worker, selector)

    def _complete(self, worker: _Worker) -> object | None:
        if len(worker.buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(worker.buffer)
        if len(worker.buffer) < _HEADER.size + length:
            return None
        kind, *rest = pickle.loads(bytes(worker.buffer[_HEADER.size : _HEADER.size + length]))
        if kind == "ok":
            return rest[0]
        if kind == "memory":
            worker.jobs_done = self.max_jobs  # it exits after this: never send it another file
            return RejectedFile(_out_of_memory(self.memory_bytes))
        exc, child_traceback = rest
        exc.add_note("Traceback in the parsing worker:\n" + child_traceback)
        return exc

    def _death(self, worker: _Worker) -> RejectedFile:
        worker.proc.kill()
        code = worker.proc.wait()
        return RejectedFile(_out_of_memory(self.memory_bytes, _exit_words(code)))

    def _retire(self, worker: _Worker, selector: selectors.BaseSelector) -> None:
        selector.unregister(worker.results)
        self._stop(worker)
        self._workers.remove(worker)

    @staticmethod
    def _stop(worker: _Worker) -> None:
        try:
            worker.proc.stdin.close()
        except OSError:
            pass
        if worker.proc.poll() is None:
            worker.proc.kill()
        worker.proc.wait()
        os.close(worker.results)


def _worker_main(results_fd: str, memory_bytes: str, parent_pid: str) -> None:
    """The worker's loop (called by _BOOTSTRAP): read a job, run it, send the outcome, repeat."""
    _die_with_parent(int(parent_pid))
    _limit_memory(int(memory_bytes))
    requests, results = sys.stdin.buffer, os.fdopen(int(results_fd), "wb")
    while header := requests.read(_HEADER.size):
        (length,) = _HEADER.unpack(header)
        request = requests.read(length)
        kind, payload = call_and_pickle(lambda: pickle.loads(request))  # noqa: B023 - called at once
        results.write(_HEADER.pack(len(payload)) + payload)
        results.flush()
        if kind == "memory":
            return  # its heap may be in pieces: let a fresh worker take the next file
