"""One pipeline run per home at a time, whoever started it: the scheduler, `smartdd run` or a test.

A run's first task writes `.work/dag_run.lock` naming its run; every later task checks the file
still names it (a run whose lock was taken over stops instead of writing beside another run);
the last task, a teardown that runs whatever happened before it, removes it. The read-decide-
write of the file happens under an flock on a guard file, so two runs starting together cannot
both win.

A lock whose holder is gone does not block: an in-process run (`smartdd run`, `airflow dags
test`) is gone when its process is; a scheduler run when Airflow says it is no longer queued or
running, or when the scheduler of that Airflow home is not up. A holder on another host is
trusted until it is older than `MAX_RUN`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from smartdd.config import Settings
from smartdd.storage import write_text_atomic

MAX_RUN = dt.timedelta(hours=8)  # the DAG's dagrun_timeout
IN_PROCESS, SCHEDULER = "in-process", "scheduler"


class LockBusy(RuntimeError):
    """Another run is using this home."""


class LockLost(RuntimeError):
    """This run's lock was taken over (it was judged stale): the run must stop."""


@dataclass(frozen=True)
class Holder:
    run_id: str
    dag_id: str
    owner: str  # IN_PROCESS or SCHEDULER
    airflow_home: str
    host: str
    pid: int
    pid_started: float
    acquired_at: str

    @classmethod
    def me(cls, run_id: str, dag_id: str, owner: str) -> Holder:
        pid = os.getpid()
        return cls(
            run_id=run_id,
            dag_id=dag_id,
            owner=owner,
            airflow_home=os.environ.get("AIRFLOW_HOME", ""),
            host=socket.gethostname(),
            pid=pid,
            pid_started=_started(pid) or 0.0,
            acquired_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )

    def describe(self) -> str:
        who = f"`smartdd run` (process {self.pid})" if self.owner == IN_PROCESS else f"the Airflow scheduler of {self.airflow_home}"
        return f"run {self.run_id} of {self.dag_id}, started by {who} at {self.acquired_at} on {self.host}"


def lock_path(settings: Settings) -> Path:
    return settings.work / "dag_run.lock"


def holder(settings: Settings) -> Holder | None:
    """Who holds the home's lock (alive or not), or None."""
    try:
        return Holder(**json.loads(lock_path(settings).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):  # not ours or torn (never by us: it is written atomically): stale
        return None


RunState = Callable[[Holder], "str | None"]


def live_holder(settings: Settings, run_state: RunState | None = None, ask_scheduler: RunState | None = None) -> Holder | None:
    """The holder of the home's lock if it is still alive, else None (see `acquire`)."""
    current = holder(settings)
    return current if current is not None and _alive(current, run_state, ask_scheduler) else None


def acquire(settings: Settings, me: Holder, run_state: RunState | None = None, ask_scheduler: RunState | None = None) -> None:
    """Take the home's lock for `me`, or raise LockBusy naming the live holder.

    A scheduler run's state comes from `run_state(holder)` when the holder ran in this process's
    Airflow (inside a task: the Task SDK), else from `ask_scheduler(holder)` (the REST API of the
    holder's Airflow: `smartdd.scheduler.run_state_of`); with neither, it is taken as alive.
    """
    settings.work.mkdir(parents=True, exist_ok=True)
    with _guard(settings):
        current = holder(settings)
        if current is not None and current.run_id != me.run_id and _alive(current, run_state, ask_scheduler):
            raise LockBusy(f"Another run is using {settings.home}: {current.describe()}. Wait for it to finish, then trigger again.")
        write_holder(settings, me)


def write_holder(settings: Settings, me: Holder) -> None:
    """Write the lock file (atomically: a reader sees the old holder or the new one, whole)."""
    write_text_atomic(lock_path(settings), json.dumps(asdict(me), indent=1))


def verify(settings: Settings, run_id: str) -> None:
    """Raise LockLost unless the home's lock names `run_id`."""
    current = holder(settings)
    if current is None or current.run_id != run_id:
        by = current.describe() if current else "nobody"
        raise LockLost(f"This run no longer holds the lock on {settings.home} (now held by {by}); it stops here so two runs never write together.")


def release(settings: Settings, run_id: str) -> bool:
    """Remove the lock if `run_id` holds it; True if it did."""
    if not settings.work.is_dir():
        return False
    with _guard(settings):
        current = holder(settings)
        if current is None or current.run_id != run_id:
            return False
        lock_path(settings).unlink(missing_ok=True)
        return True


@contextlib.contextmanager
def _guard(settings: Settings) -> Iterator[None]:
    fd = os.open(settings.work / "dag_run.lock.guard", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held for microseconds: a read, a decision, a rename
        yield
    finally:
        os.close(fd)  # releases the flock


def _alive(current: Holder, run_state: RunState | None, ask_scheduler: RunState | None) -> bool:
    if current.host != socket.gethostname():
        acquired = dt.datetime.fromisoformat(current.acquired_at)
        return dt.datetime.now(dt.UTC) - acquired < MAX_RUN
    if current.owner == IN_PROCESS:
        started = _started(current.pid)
        return started is not None and abs(started - current.pid_started) < 1.0
    if run_state is not None and current.airflow_home == os.environ.get("AIRFLOW_HOME"):
        state = run_state(current)
    elif ask_scheduler is not None:
        state = ask_scheduler(current)
    else:
        return True  # cannot tell: never take a lock over on a guess
    return state in ("queued", "running")


def _started(pid: int) -> float | None:
    """The process's start time (seconds since the epoch), or None when there is no such process."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None
