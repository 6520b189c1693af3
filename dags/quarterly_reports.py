"""
### Quarterly reports (from the published warehouse)

Scheduled on the `smartdd_warehouse` Asset: whenever `quarterly_due_diligence` publishes a
warehouse, this DAG can re-render every report of that home (named in the asset event) from the
published marts, under the same per-home run lock (it waits while the publishing run holds it).

Paused when created: `quarterly_due_diligence` writes the reports itself, because `smartdd run`
(dag.test, no scheduler) never triggers Asset-scheduled DAGs and its last task fails the run
unless the reports were written. Unpause this DAG where reports should also be rendered on their
own, e.g. on other workers (docs/scaling.md).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param, setup, task, teardown

from smartdd import dag_tasks as t

MINUTE = dt.timedelta(minutes=1)

with DAG(
    dag_id="quarterly_reports",
    schedule=[t.WAREHOUSE],
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    is_paused_upon_creation=True,
    doc_md=__doc__,
    params={"home": Param("", type="string", description="used when triggered by hand; an Asset event names its own home")},
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(hours=3),
    default_args={**t.DEFAULT_ARGS, "retry_policy": t.REPORTS_RETRY_POLICY},
    tags=["smartdd"],
):

    @setup
    @task(
        retries=90, execution_timeout=2 * MINUTE, doc_md="Finds the home in the triggering warehouse event, checks it, takes its run lock (waits while busy)."
    )
    def prepare() -> str:
        return t.prepare_reports()

    @task(execution_timeout=30 * MINUTE, outlets=[t.REPORTS], doc_md="Writes every report from the published marts only.")
    def reports(home: str) -> list[str]:
        return t.reports_for(home)

    @teardown
    @task(execution_timeout=2 * MINUTE, doc_md="Gives the home's run lock back.")
    def release(home: str | None) -> bool:
        return t.release_for(home)

    home = prepare()
    reports(home) >> release(home).as_teardown(setups=home)
