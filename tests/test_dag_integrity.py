"""The DAG file imports cleanly and wires the stages in the documented order."""

from __future__ import annotations

from smartdd.config import DAGS_DIR


def test_dag_imports_without_errors_and_wires_the_stages():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    dag = bag.dags.get("quarterly_due_diligence")
    assert dag is not None
    assert set(dag.task_ids) == {"receive", "ingest", "build_and_publish", "reports", "check_accounting"}
    assert dag.get_task("ingest").upstream_task_ids == {"receive"}
    assert dag.get_task("build_and_publish").upstream_task_ids == {"ingest"}
    assert dag.get_task("reports").upstream_task_ids == {"build_and_publish"}
    assert dag.get_task("check_accounting").upstream_task_ids == {"receive", "reports"}
    assert dag.get_task("check_accounting").trigger_rule == "all_done"
    assert dag.doc_md and "Quarterly due diligence" in dag.doc_md
