"""Production hygiene of the DAGs: params checked before any work, one run per home (whoever
started it), retries only where a retry can help, a timeout and docs on every task, pools,
assets, and a DAG file that stays thin."""

from __future__ import annotations

import datetime as dt
import errno
import multiprocessing
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from smartdd import runlock
from smartdd.config import DAGS_DIR, Settings
from smartdd.runlock import IN_PROCESS, SCHEDULER, Holder, LockBusy, LockLost

DAG_ID = "quarterly_due_diligence"


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags


def test_every_task_has_a_timeout_docs_and_a_retry_policy(dags):
    for dag in dags.values():
        assert dag.max_active_runs == 1 and dag.dagrun_timeout is not None, dag.dag_id
        for task in dag.tasks:
            assert task.execution_timeout is not None and task.execution_timeout <= dt.timedelta(hours=2), task.task_id
            assert task.doc_md, f"{dag.dag_id}.{task.task_id} has no doc_md"
            assert task.retry_policy is not None, task.task_id


def test_retries_with_back_off_on_the_work_never_on_the_checks(dags):
    dag = dags[DAG_ID]
    for task_id in ("receive", "ingest", "build_and_publish", "reports"):
        task = dag.get_task(task_id)
        assert task.retries >= 1 and task.retry_exponential_backoff > 1 and task.max_retry_delay, task_id
    assert dag.get_task("prepare").retries == 0 and dag.get_task("check_accounting").retries == 0


def test_pools_and_assets(dags):
    dag = dags[DAG_ID]
    assert dag.get_task("ingest").pool == "smartdd_ingest" and dag.get_task("build_and_publish").pool == "smartdd_dbt"
    outlets = {task_id: [a.name for a in dag.get_task(task_id).outlets] for task_id in ("ingest", "build_and_publish", "reports")}
    assert outlets == {"ingest": ["smartdd_raw_zone"], "build_and_publish": ["smartdd_warehouse"], "reports": ["smartdd_reports"]}


def test_parsing_the_dag_files_imports_no_pipeline_code():
    """The DAG processor parses the files every two minutes: pandas, duckdb and dbt wait for a task."""
    code = (
        "import runpy, sys\n"
        f"for f in {sorted(str(p) for p in DAGS_DIR.glob('*.py'))!r}: runpy.run_path(f)\n"
        "print(sorted(m for m in ('pandas', 'duckdb', 'pyarrow', 'smartdd.pipeline', 'great_expectations') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_retry_policy_never_retries_a_validation_outcome():
    from airflow.sdk.definitions.retry_policy import RetryAction
    from smartdd.ingest.pseudonymise import MissingKey

    from smartdd.dag_tasks import REPORTS_RETRY_POLICY, RETRY_POLICY, InvalidHome
    from smartdd.pipeline.stages import Unaccounted
    from smartdd.pipeline.warehouse import BuildFailed
    from smartdd.storage import InfrastructureFault

    def action(policy, error):
        return policy.evaluate(error, 1, 3).action

    finals = (InvalidHome("x"), MissingKey("x"), Unaccounted("x"), BuildFailed("x"), LockBusy("x"), LockLost("x"), ValueError("a bug"), FileNotFoundError("x"))
    for final in finals:
        assert action(RETRY_POLICY, final) == RetryAction.FAIL, final
    for transient in (InfrastructureFault("disk"), OSError(errno.ENOSPC, "full"), TimeoutError(), subprocess.TimeoutExpired("dbt", 1)):
        assert action(RETRY_POLICY, transient) == RetryAction.RETRY, transient
    waiting = REPORTS_RETRY_POLICY.evaluate(LockBusy("x"), 1, 90)
    assert waiting.action == RetryAction.RETRY and waiting.retry_delay == dt.timedelta(minutes=1)


def test_a_home_that_is_not_a_smartdd_home_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    from smartdd.dag_tasks import InvalidHome, validated_settings

    monkeypatch.delenv("SMARTDD_HOME", raising=False)
    (tmp_path / "not_a_home").mkdir()
    (tmp_path / "home" / "landing").mkdir(parents=True)
    cases = {
        "": "No home given",
        "relative/home": "not an absolute path",
        str(tmp_path / "typo"): "does not exist",
        str(tmp_path / "not_a_home"): "no landing/",
    }
    for home, message in cases.items():
        with pytest.raises(InvalidHome, match=message):
            validated_settings(home)
    assert validated_settings(str(tmp_path / "home")).home == tmp_path / "home"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "not_a_home"]  # nothing created


def _task_states() -> dict[str, str]:
    return {task: state for task, (state, _) in _task_runs().items()}


def _task_runs() -> dict[str, tuple[str, int]]:
    """The last run's tasks: (state, try number). Counted, not timed: a loaded machine cannot fake a retry."""
    from airflow.models.dagrun import DagRun
    from airflow.settings import Session

    with Session() as session:
        run = session.query(DagRun).filter(DagRun.dag_id == DAG_ID).order_by(DagRun.id.desc()).first()
        return {ti.task_id: (str(ti.state), ti.try_number) for ti in run.get_task_instances(session=session)}


@pytest.mark.slow
def test_a_bad_home_param_fails_the_run_at_once_and_publishes_nothing(tmp_path):
    from smartdd.airflow_run import run_dag

    runner = Settings.from_env(tmp_path / "runner")  # only names the Airflow home, which the tests set
    not_a_home = tmp_path / "not_a_home"
    (not_a_home / "warehouse").mkdir(parents=True)  # a folder someone made, without landing/
    for home in (tmp_path / "typo" / "home", not_a_home):
        assert run_dag(runner, {"home": str(home)}) == "failed"
        assert _task_runs()["prepare"] == ("failed", 1), "failed at once: never retried"
        states = _task_states()
        assert states["prepare"] == "failed"
        assert all(states[t] == "upstream_failed" for t in ("receive", "build_and_publish", "reports")), states
    assert not (tmp_path / "typo").exists()
    assert [p.relative_to(not_a_home).as_posix() for p in not_a_home.rglob("*")] == ["warehouse"]  # nothing published or created


@pytest.mark.slow
def test_a_failed_receive_never_leads_to_a_publish(tmp_path, monkeypatch):
    from smartdd.airflow_run import run_dag

    settings = Settings.from_env(tmp_path / "home").ensure()
    (settings.landing / "MFI-X_2026Q3.xlsx").write_bytes(b"not read: receive stops first")
    monkeypatch.delenv("SMARTDD_HMAC_KEY")  # receive refuses to run without the key (never retried)
    assert run_dag(settings, {"home": str(settings.home)}) == "failed"
    assert _task_runs()["receive"] == ("failed", 1), "a final failure is not retried"
    states = _task_states()
    assert states["receive"] == "failed" and states["build_and_publish"] != "success" and states["release"] == "success", states
    assert not settings.warehouse.exists() and not any(settings.reports.iterdir())
    assert runlock.holder(settings) is None  # the teardown gave the lock back


# ---------------------------------------------------------------- the run lock


def _home(tmp_path: Path) -> Settings:
    return Settings.from_env(tmp_path / "home").ensure()


def test_a_second_run_is_refused_while_the_first_holds_the_home(tmp_path):
    settings = _home(tmp_path)
    first, second = Holder.me("run-a", DAG_ID, IN_PROCESS), Holder.me("run-b", DAG_ID, IN_PROCESS)
    runlock.acquire(settings, first)
    runlock.acquire(settings, first)  # a retry of the same run's first task
    with pytest.raises(LockBusy, match="run-a"):
        runlock.acquire(settings, second)
    runlock.verify(settings, "run-a")
    with pytest.raises(LockLost):
        runlock.verify(settings, "run-b")
    assert not runlock.release(settings, "run-b") and runlock.holder(settings).run_id == "run-a"
    assert runlock.release(settings, "run-a") and runlock.holder(settings) is None
    runlock.acquire(settings, second)
    assert runlock.holder(settings).run_id == "run-b"


def test_a_lock_whose_holder_is_gone_is_taken_over(tmp_path):
    from smartdd.scheduler import run_state_of

    settings = _home(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    cases = [
        (replace(Holder.me("dead-process", DAG_ID, IN_PROCESS), pid=gone.pid), None, False),
        (replace(Holder.me("scheduler-down", DAG_ID, SCHEDULER), airflow_home=str(tmp_path / "no-airflow")), None, False),
        (replace(Holder.me("same-airflow", DAG_ID, SCHEDULER), airflow_home=os.environ["AIRFLOW_HOME"]), "running", True),
        (replace(Holder.me("same-airflow-done", DAG_ID, SCHEDULER), airflow_home=os.environ["AIRFLOW_HOME"]), "failed", False),
        (replace(Holder.me("other-host", DAG_ID, IN_PROCESS), host="elsewhere"), None, True),
        (replace(Holder.me("other-host-old", DAG_ID, IN_PROCESS), host="elsewhere", acquired_at="2000-01-01T00:00:00+00:00"), None, False),
    ]
    for stale_or_live, state, alive in cases:
        runlock.write_holder(settings, stale_or_live)
        me = Holder.me(f"after-{stale_or_live.run_id}", DAG_ID, IN_PROCESS)
        if alive:
            with pytest.raises(LockBusy):
                runlock.acquire(settings, me, run_state=lambda h, s=state: s, ask_scheduler=run_state_of)
        else:
            runlock.acquire(settings, me, run_state=lambda h, s=state: s, ask_scheduler=run_state_of)
            assert runlock.holder(settings).run_id == me.run_id
    runlock.write_holder(settings, replace(Holder.me("unknowable", DAG_ID, SCHEDULER), airflow_home=str(tmp_path / "elsewhere")))
    with pytest.raises(LockBusy):  # nobody to ask: never taken over on a guess
        runlock.acquire(settings, Holder.me("guess", DAG_ID, IN_PROCESS))
    assert socket.gethostname() != "elsewhere"


def _race(home: str, run_id: str, barrier, results) -> None:
    settings = Settings.from_env(home)
    barrier.wait()
    try:
        runlock.acquire(settings, Holder.me(run_id, DAG_ID, IN_PROCESS))
        results.put(run_id)
    except LockBusy:
        results.put(None)
    barrier.wait()  # stay alive (a live holder) until every racer has tried


def test_runs_starting_at_the_same_moment_get_the_lock_exactly_once(tmp_path):
    settings = _home(tmp_path)
    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier, results = ctx.Barrier(n), ctx.Queue()
    racers = [ctx.Process(target=_race, args=(str(settings.home), f"run-{i}", barrier, results)) for i in range(n)]
    for p in racers:
        p.start()
    winners = [w for w in (results.get(timeout=60) for _ in racers) if w]
    for p in racers:
        p.join(timeout=60)
    assert len(winners) == 1
    assert runlock.holder(settings).run_id == winners[0]  # the file is whole and names the winner


def test_smartdd_run_refuses_while_a_dag_run_holds_the_home(tmp_path, monkeypatch):
    from smartdd import airflow_run
    from smartdd.cli import main

    def must_not_run(settings):
        raise AssertionError("the DAG was started although the home is busy")

    monkeypatch.setattr(airflow_run, "run_quarterly_dag", must_not_run)
    settings = _home(tmp_path)
    runlock.acquire(settings, Holder.me("scheduled-run", DAG_ID, IN_PROCESS))  # alive: this very process
    with pytest.raises(SystemExit, match="in use by run scheduled-run"):
        main(["run", "--landing", str(settings.landing), "--home", str(settings.home)])


def test_task_bodies_hide_the_airflow_command_from_multiprocessing_children(monkeypatch, tmp_path):
    """Spawned or forkserver children re-run the parent's __main__: in a worker, the `airflow`
    command, which cannot start in a task. The task bodies hide it while they run."""
    from smartdd.dag_tasks import in_task_process

    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__file__", str(tmp_path / "bin" / "airflow"), raising=False)
    seen = in_task_process(lambda: getattr(main, "__file__", None))()
    assert seen is None and main.__file__ == str(tmp_path / "bin" / "airflow")
    monkeypatch.setattr(main, "__file__", str(tmp_path / "bin" / "smartdd"))
    assert in_task_process(lambda: main.__file__)() == str(tmp_path / "bin" / "smartdd")
