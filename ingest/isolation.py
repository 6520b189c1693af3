"""Run a parser in a separate process with a memory cap and a timeout.

A file that still manages to blow up a parser (the Rust readers fastexcel/calamine abort the
whole process on a zip bomb, and openpyxl just runs on) costs one child process, not the
pipeline.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from smartdd.ingest.rejections import RejectedFile, _out_of_memory, _timed_out

__all__ = ["run_isolated"]

T = TypeVar("T")

# --------------------------------------------------------------------------------------
# run_isolated
# --------------------------------------------------------------------------------------

# The child is a fresh interpreter: it receives the parent's sys.path first, so that
# this module and fn's module import exactly as in the parent, then hands over.
_BOOTSTRAP = (
    "import pickle, sys\nwith open(sys.argv[1], 'rb') as f:\n    sys.path[:] = pickle.load(f)\nfrom {module} import _child_main\n_child_main(*sys.argv[1:])\n"
)

_SIGNAL_WORDS = {  # the catalogue's phrase for how the reading program ended
    signal.SIGABRT: "signal_abort",
    signal.SIGKILL: "signal_kill",
    signal.SIGSEGV: "signal_crash",
    signal.SIGBUS: "signal_crash",
}


def run_isolated(fn: Callable[..., T], *args, memory_bytes: int = 3 * 2**30, timeout_s: float = 300, **kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` in a child process capped at ``memory_bytes`` and ``timeout_s``.

    Returns fn's (picklable) return value. Raises the child's exception when it can
    be pickled (a RuntimeError describing it otherwise, with the child traceback
    attached as a note), and ``RejectedFile`` when the child runs out of time,
    raises MemoryError, or is killed by a signal (the Rust readers abort on
    allocation failure). fn must be a module-level function of an importable
    module (not ``__main__``), and its arguments must be picklable.

    Why a fresh interpreter (subprocess) rather than multiprocessing: Airflow and
    Celery run tasks inside daemonic processes, where multiprocessing refuses to
    start children ("daemonic processes are not allowed to have children",
    apache/airflow#13298, #14896), and forking a parent that runs threads is
    unsafe. The child inherits nothing but the environment and sys.path. On Linux
    it is also told to die with its parent, so a killed task leaves no orphan.
    RLIMIT_AS is not enforced on macOS; the timeout still is.
    """
    call = pickle.dumps((fn, args, kwargs))  # fails here, clearly, for unpicklable fn/args
    with tempfile.TemporaryDirectory(prefix="smartdd-isolated-") as tmp:
        request, result = Path(tmp, "request.pickle"), Path(tmp, "result.pickle")
        with request.open("wb") as f:
            pickle.dump(list(sys.path), f)
            f.write(call)
        command = [sys.executable, "-c", _BOOTSTRAP.format(module=__name__), str(request), str(result), str(memory_bytes), str(os.getpid())]
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RejectedFile(_timed_out(timeout_s)) from None
        finally:
            if proc.poll() is None:  # timeout, or the parent itself was interrupted
                proc.kill()
                proc.wait()
        return _collect(proc.returncode, result, memory_bytes)


def _collect(returncode: int, result: Path, memory_bytes: int):
    """Turn the child's exit status and result file into a value or an exception."""
    if returncode < 0:
        raise RejectedFile(_out_of_memory(memory_bytes, _signal_words(-returncode)))
    try:
        with result.open("rb") as f:
            outcome = pickle.load(f)
    except Exception as exc:  # noqa: BLE001 - no usable result: describe the exit instead
        raise RuntimeError(f"The isolated worker exited with code {returncode} without a result") from exc
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "memory":
        raise RejectedFile(_out_of_memory(memory_bytes))
    exc, child_traceback = outcome[1], outcome[2]
    exc.add_note("Traceback in the isolated worker:\n" + child_traceback)
    raise exc


def _signal_words(number: int) -> dict:
    """How the child ended, as the catalogue's phrase and its parameters (see `rejections._out_of_memory`)."""
    try:
        sig = signal.Signals(number)
    except ValueError:
        return {"how": "signal_unknown", "signal": number}
    return {"how": _SIGNAL_WORDS.get(sig, "signal_other"), "signal": sig.name}


def _exit_words(code: int) -> dict:
    """How a worker ended: by a signal (negative code) or with an exit code."""
    return _signal_words(-code) if code < 0 else {"how": "exit_code", "exit_code": code}


def _child_main(request: str, result: str, memory_bytes: str, parent_pid: str) -> None:
    """Entry point of the child process (called by _BOOTSTRAP)."""
    _die_with_parent(int(parent_pid))
    _limit_memory(int(memory_bytes))
    with open(request, "rb") as f:
        pickle.load(f)  # sys.path, already applied by the bootstrap
        _, payload = call_and_pickle(lambda: pickle.load(f))
    with open(result, "wb") as f:
        f.write(payload)


def call_and_pickle(load_call: Callable[[], tuple]) -> tuple[str, bytes]:
    """In a child: load `(fn, args[, kwargs])`, run it, and pickle the outcome for the parent:
    ("ok", value), ("memory",) or ("error", exception, traceback). Returns (kind, payload)."""
    try:
        fn, args, *kwargs = load_call()
        outcome = ("ok", fn(*args, **(kwargs[0] if kwargs else {})))
    except MemoryError:
        outcome = ("memory",)
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        outcome = ("error", _portable(exc), traceback.format_exc())
    try:
        return outcome[0], pickle.dumps(outcome)
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable return value
        return "error", pickle.dumps(("error", TypeError(f"the result cannot be sent back: {exc}"), ""))


def _portable(exc: BaseException) -> Exception:
    """The exception itself if it survives a pickle round trip, else a RuntimeError describing it.

    SystemExit/KeyboardInterrupt are wrapped too: re-raised in the parent they
    would stop the pipeline instead of failing one file.
    """
    if isinstance(exc, Exception):
        try:
            return pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001
            pass
    return RuntimeError(f"{type(exc).__qualname__}: {exc}")


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the timeout still applies
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory_bytes = min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))


def _die_with_parent(parent_pid: int) -> None:
    """Linux only: get SIGKILL if the parent dies, so a killed Airflow task leaves no orphan."""
    if not sys.platform.startswith("linux"):
        return
    try:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
