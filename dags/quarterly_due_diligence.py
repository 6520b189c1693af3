"""
### Quarterly due diligence

Every file in the landing folder is archived, then read, validated and pseudonymised in its
own mapped task (a bad workbook is rejected into quarantine; the batch goes on). One dbt
build turns the raw zone into the marts, the finished warehouse is published with an atomic
rename, and the reports are written. The last task checks that every received file has an
outcome recorded; the run fails if one has not.

Params: `home` (the smartdd home folder; default `$SMARTDD_HOME` or `./var`).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param, get_current_context, task

from smartdd import pipeline
from smartdd.config import Settings


def _settings() -> Settings:
    return Settings.from_env(get_current_context()["params"].get("home") or None)


with DAG(
    dag_id="quarterly_due_diligence",
    schedule=None,
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    doc_md=__doc__,
    params={"home": Param("", type="string", description="smartdd home folder")},
    tags=["smartdd"],
):

    @task
    def receive() -> list[dict]:
        return pipeline.receive(_settings())

    @task(max_active_tis_per_dagrun=2)
    def ingest(received: dict) -> dict:
        return pipeline.ingest_one(received, _settings())

    @task(trigger_rule="all_done")  # one failed ingest task must not hold back the others' results
    def build_and_publish(records: list[dict]) -> str:
        return pipeline.build_and_publish(_settings())

    @task
    def reports(warehouse: str) -> list[str]:
        return pipeline.write_reports(_settings())

    @task(trigger_rule="all_done")
    def check_accounting(received: list[dict] | None, written: list[str] | None) -> int:
        return pipeline.check_accounting(received, written, _settings())

    received = receive()
    records = ingest.expand(received=received)
    check_accounting(received, reports(build_and_publish(records)))
