"""
### Quarterly due diligence

Every file in the landing folder is archived; the new or changed ones are read, validated and
pseudonymised in batches, one mapped task per batch (a bad workbook is rejected into
quarantine; the batch goes on). One dbt build turns the raw zone into the marts, the finished
warehouse is published with an atomic rename, and the reports are written. The last task
checks that every received file has an outcome recorded; the run fails if one has not.

Params: `home` (the smartdd home folder, an absolute path; default `$SMARTDD_HOME` of the
workers). It must exist and hold `landing/`: `prepare` checks that before anything is done, so a
mistyped home fails the run at once and nothing is published.

One run per home at a time: `max_active_runs=1` queues a second trigger, and `prepare` takes
the home's run lock (`.work/dag_run.lock`, shared with `smartdd run`), which `release` gives
back whatever happened. Retries (with back-off) only for infrastructure faults, never for a
validation outcome. Pools `smartdd_ingest` and `smartdd_dbt` (created by `smartdd airflow up`).
The task bodies are in `smartdd.dag_tasks`.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param, setup, task, teardown

from smartdd import dag_tasks as t
from smartdd.runlock import MAX_RUN

MINUTE = dt.timedelta(minutes=1)

with DAG(
    dag_id="quarterly_due_diligence",
    schedule=None,
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    doc_md=__doc__,
    params={"home": Param("", type="string", description="smartdd home folder (absolute path; empty: $SMARTDD_HOME of the workers)")},
    max_active_runs=1,
    dagrun_timeout=MAX_RUN,
    default_args=t.DEFAULT_ARGS,
    tags=["smartdd"],
):

    @setup
    @task(retries=0, execution_timeout=2 * MINUTE, doc_md="Checks the `home` param (exists, holds `landing/`) and takes the home's run lock. Never retried.")
    def prepare() -> str:
        return t.prepare()

    @task(
        execution_timeout=30 * MINUTE,
        doc_md="Archives every landed file once, by sha256, before anything reads it; returns the files to process, in batches. Retried on I/O faults.",
    )
    def receive() -> list[list[dict]]:
        return t.receive()

    @task(
        pool=t.INGEST_POOL,
        execution_timeout=60 * MINUTE,
        outlets=[t.RAW_ZONE],
        doc_md="One batch of workbooks, parsed by a worker pool (one worker a core): safety gate, read, pseudonymise, validate; raw zone or quarantine, ledger row, feedback. A rejection is an outcome, not a failure.",
    )
    def ingest(batch: list[dict]) -> list[dict]:
        return t.ingest(batch)

    # Runs when `receive` succeeded even if some ingest tasks failed (their files are then
    # unaccounted and `check_accounting` fails the run); never after a failed receive.
    @task(
        trigger_rule="all_done_min_one_success",
        pool=t.DBT_POOL,
        execution_timeout=120 * MINUTE,  # dbt build (up to 1 h a round; a round again without a failing submission), docs, copy
        outlets=[t.WAREHOUSE],
        doc_md="dbt build into a fresh file, dbt docs, then publish (DuckDB 1.4 storage, one atomic rename). A failed build keeps the last warehouse.",
    )
    def build_and_publish() -> str:
        return t.build_and_publish()

    @task(execution_timeout=30 * MINUTE, outlets=[t.REPORTS], doc_md="Writes every report from the published marts only.")
    def reports(warehouse: str) -> list[str]:
        return t.reports()

    @task(
        trigger_rule="all_done",
        retries=0,
        execution_timeout=5 * MINUTE,
        doc_md="Fails the run unless every received file has its ledger row and the reports were written.",
    )
    def check_accounting(batches: list[list[dict]] | None, written: list[str] | None) -> int:
        return t.check_accounting(batches, written)

    @teardown
    @task(execution_timeout=2 * MINUTE, doc_md="Gives the home's run lock back (a teardown: runs whatever happened, once `prepare` took it).")
    def release() -> bool:
        return t.release()

    home = prepare()
    batches = receive()
    home >> batches
    records = ingest.expand(batch=batches)
    published = build_and_publish()
    [batches, records] >> published
    accounted = check_accounting(batches, reports(published))
    accounted >> release().as_teardown(setups=home)
