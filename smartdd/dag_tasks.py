"""What each task of the DAGs does, as functions of the Airflow context: the DAG files only wire.

Every task of a run works under the home's run lock (`smartdd.runlock`): `prepare` validates the
params and takes it, each later task checks it still holds it, `release` (a teardown) gives it
back. Which failures are retried is decided by exception (`RETRY_POLICY`): a validation outcome
or a deterministic failure never is, an infrastructure fault (disk, I/O, a timeout) is, with
back-off. The DAG processor imports this module on every parse, so the pipeline's heavy imports
wait until a task runs.

XCom values are ids, never paths of the machine that wrote them: receipts name their archived
file by `archive_key` (resolved by the task that reads it against its own `Settings`), the
warehouse and reports by their key in the home; every zone's location comes from the worker's
settings (`SMARTDD_HOME`, `SMARTDD_LANDING_URL`, `SMARTDD_ARCHIVE_URL`, `SMARTDD_RAW_ZONE_URL`,
`SMARTDD_LEDGER_URL`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from pathlib import Path

from airflow.sdk import Asset, get_current_context
from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy

from smartdd import runlock
from smartdd.config import Settings
from smartdd.storage import is_infrastructure_error, is_local

# Assets stand for the home's zones; the event's `extra` names the home (a param, not known at parse time).
RAW_ZONE = Asset(name="smartdd_raw_zone", uri="x-smartdd://home/raw", group="smartdd")
WAREHOUSE = Asset(name="smartdd_warehouse", uri="x-smartdd://home/warehouse/smartdd.duckdb", group="smartdd")
REPORTS = Asset(name="smartdd_reports", uri="x-smartdd://home/reports", group="smartdd")

INGEST_POOL, DBT_POOL = "smartdd_ingest", "smartdd_dbt"

FINAL = frozenset(  # retrying would fail the same way, or must not happen at all
    {
        "smartdd.dag_tasks.InvalidHome",
        "smartdd.dag_tasks.StoppedInPrepare",
        "smartdd.runlock.LockBusy",
        "smartdd.runlock.LockLost",
        "smartdd.ingest.pseudonymise.MissingKey",
        "smartdd.pipeline.stages.Unaccounted",
        "smartdd.pipeline.warehouse.BuildFailed",  # dbt over immutable inputs: the same build fails the same way
    }
)
# Faults of the machine or of a moment; an OSError only for the errnos smartdd.storage calls
# infrastructure (disk full, I/O error, ...): a missing file or template is not retried.
TRANSIENT = frozenset(
    {"smartdd.storage.InfrastructureFault", "builtins.TimeoutError", "builtins.ConnectionError", "subprocess.TimeoutExpired", "_duckdb.IOException"}
)


class ByExceptionName(RetryPolicy):
    """Retry or fail by the exception's class (or a base class), named by dotted path.

    Airflow's ExceptionRetryPolicy imports every named class when the DAG is parsed; naming them
    keeps the pipeline's heavy imports out of the DAG processor. Evaluated in the worker only."""

    def __init__(self, final: frozenset[str], transient: frozenset[str], busy_delay: dt.timedelta | None = None):
        self.final, self.transient, self.busy_delay = final, transient, busy_delay

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int, context=None) -> RetryDecision:
        names = {f"{c.__module__}.{c.__qualname__}" for c in type(exception).__mro__}
        if self.busy_delay is not None and "smartdd.runlock.LockBusy" in names:
            return RetryDecision.retry(self.busy_delay, "the home is busy with another run: waiting for it")
        if names & self.final:
            return RetryDecision.fail("a validation outcome or a deterministic failure: not retried")
        if names & self.transient or is_infrastructure_error(exception):
            return RetryDecision.retry(reason="an infrastructure fault: retried with back-off")
        return RetryDecision.fail("an unexpected error: not retried (a bug does not go away by running again)")

    def serialize(self) -> dict:
        return {"final": sorted(self.final), "transient": sorted(self.transient), "busy_delay": self.busy_delay.total_seconds() if self.busy_delay else None}

    @classmethod
    def deserialize(cls, data: dict) -> ByExceptionName:
        delay = data.get("busy_delay")
        return cls(frozenset(data["final"]), frozenset(data["transient"]), dt.timedelta(seconds=delay) if delay else None)


RETRY_POLICY = ByExceptionName(FINAL, TRANSIENT)
# The reports DAG is triggered by the warehouse the main run publishes, while that run still
# holds the lock: it waits for it (retries a minute apart).
REPORTS_RETRY_POLICY = ByExceptionName(FINAL, TRANSIENT, busy_delay=dt.timedelta(minutes=1))
DEFAULT_ARGS = {
    "owner": "smartdd",
    "retries": 2,
    "retry_delay": dt.timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=10),
    "retry_policy": RETRY_POLICY,
    "execution_timeout": dt.timedelta(minutes=30),
}


class InvalidHome(ValueError):
    """The `home` param does not name a smartdd home: the run stops before doing anything."""


class StoppedInPrepare(RuntimeError):
    """`prepare` failed: the run did nothing (its message says why)."""


def validated_settings(home: str | None) -> Settings:
    """The settings for a home that exists and holds `landing/` (with a remote landing zone: that `smartdd` set up); InvalidHome otherwise. Creates nothing."""
    raw = (home or "").strip()
    if raw and not Path(raw).expanduser().is_absolute():
        raise InvalidHome(f"The home {raw!r} is not an absolute path; tasks run in other folders, so give it in full. Nothing was done.")
    raw = raw or os.environ.get("SMARTDD_HOME", "")  # the workers' own setting, as Settings reads it
    if not raw:
        raise InvalidHome("No home given: set the `home` param (an absolute path) or SMARTDD_HOME in the workers' environment. Nothing was done.")
    path = Path(raw).expanduser().resolve()
    if not path.is_dir():
        raise InvalidHome(f"The home {path} does not exist (mistyped?). Nothing was done and nothing was published.")
    settings = Settings.from_env(path)
    if is_local(settings.landing):
        if not Path(settings.landing).is_dir():
            raise InvalidHome(f"{path} has no landing/ folder, so it is not a smartdd home (mistyped?). Nothing was done and nothing was published.")
    elif not (path / ".work").is_dir():  # the landing zone is elsewhere (SMARTDD_LANDING_URL): a home is one `smartdd` has set up
        raise InvalidHome(f"{path} was never set up as a smartdd home (no .work/ folder; mistyped?). Nothing was done and nothing was published.")
    return settings


def _context():
    return get_current_context()


def in_task_process(work):
    """Run a task body so that what it starts with multiprocessing works in a worker too.

    multiprocessing's spawn and forkserver children first re-run the parent's `__main__` script;
    in a task the scheduler started, that is the `airflow` command, which cannot start there
    (a task has no metadata database): every child dies (BrokenProcessPool). `smartdd run`'s
    `__main__` is the `smartdd` command, which is harmless. Hidden while the body runs."""

    @functools.wraps(work)
    def body(*args, **kwargs):
        main = sys.modules.get("__main__")
        path = getattr(main, "__file__", None)
        hide = path is not None and Path(path).name == "airflow"
        if hide:
            del main.__file__
        try:
            return work(*args, **kwargs)
        finally:
            if hide:
                main.__file__ = path

    return body


def _settings(context) -> Settings:
    """The run's home (validated by `prepare`), after checking this run still holds its lock."""
    settings = Settings.from_env(context["params"].get("home") or None)
    runlock.verify(settings, context["run_id"])
    return settings


def _owner(context) -> str:
    in_process = getattr(context["dag_run"], "triggering_user_name", None) == "dag_test"  # what dag.test() records
    return runlock.IN_PROCESS if in_process else runlock.SCHEDULER


def _take_lock(context, settings: Settings) -> None:
    ti = context["ti"]

    def run_state(holder: runlock.Holder) -> str | None:
        try:
            return ti.get_dagrun_state(holder.dag_id, holder.run_id)
        except Exception:  # unknown to this Airflow
            return None

    from smartdd.scheduler import run_state_of

    me = runlock.Holder.me(context["run_id"], context["dag"].dag_id, _owner(context))
    runlock.acquire(settings, me, run_state=run_state, ask_scheduler=run_state_of)


# ---------------------------------------------------------------- quarterly_due_diligence


def prepare() -> str:
    context = _context()
    settings = validated_settings(context["params"].get("home"))
    _take_lock(context, settings)
    return str(settings.home)


@in_task_process
def receive() -> list[list[dict]]:
    from smartdd import pipeline

    return pipeline.receive_in_batches(_settings(_context()))


@in_task_process
def ingest(batch: list[dict]) -> list[dict]:
    from smartdd import pipeline

    context = _context()
    settings = _settings(context)
    records = pipeline.ingest_batch(batch, settings)
    accepted = sum(1 for r in records if r.get("status") != "rejected")
    context["outlet_events"][RAW_ZONE].extra = {"home": str(settings.home), "files": len(records), "accepted": accepted}
    return records


@in_task_process
def build_and_publish() -> str:
    from smartdd import pipeline

    context = _context()
    settings = _settings(context)
    published = pipeline.build_and_publish(settings)
    context["outlet_events"][WAREHOUSE].extra = {"home": str(settings.home), "warehouse": published, "run_id": context["run_id"]}
    return published


@in_task_process
def reports() -> list[str]:
    from smartdd import pipeline

    context = _context()
    settings = _settings(context)
    written = pipeline.write_reports(settings)
    context["outlet_events"][REPORTS].extra = {"home": str(settings.home), "files": len(written)}
    return written


def check_accounting(batches: list[list[dict]] | None, written: list[str] | None) -> int:
    from smartdd import pipeline

    context = _context()
    settings = Settings.from_env(context["params"].get("home") or None)
    current = runlock.holder(settings)
    if batches is None and (current is None or current.run_id != context["run_id"]):
        raise StoppedInPrepare("The run stopped in `prepare` (see its log for why): nothing was received, built or published.")
    return pipeline.check_run(batches, written, _settings(context))


def release() -> bool:
    context = _context()
    settings = Settings.from_env(context["params"].get("home") or None)
    return runlock.release(settings, context["run_id"])


# ---------------------------------------------------------------- quarterly_reports (scheduled on WAREHOUSE)


def home_of_triggering_warehouse(context) -> str | None:
    events = context["triggering_asset_events"][WAREHOUSE] if WAREHOUSE in context["triggering_asset_events"] else []
    return events[-1].extra.get("home") if events else None


def prepare_reports() -> str:
    context = _context()
    settings = validated_settings(home_of_triggering_warehouse(context) or context["params"].get("home"))
    if not settings.warehouse.exists():
        raise InvalidHome(f"{settings.home} has no published warehouse yet; nothing to report.")
    _take_lock(context, settings)
    return str(settings.home)


@in_task_process
def reports_for(home: str) -> list[str]:
    from smartdd import pipeline

    context = _context()
    settings = Settings.from_env(home)
    runlock.verify(settings, context["run_id"])
    written = pipeline.write_reports(settings)
    context["outlet_events"][REPORTS].extra = {"home": home, "files": len(written)}
    return written


def release_for(home: str | None) -> bool:
    return bool(home) and runlock.release(Settings.from_env(home), _context()["run_id"])
