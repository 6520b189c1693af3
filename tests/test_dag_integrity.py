"""The DAG files import cleanly and wire the stages in the documented order."""

from __future__ import annotations

from smartdd.config import DAGS_DIR


def _bag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag


def test_dag_imports_without_errors_and_wires_the_stages():
    dag = _bag().dags.get("quarterly_due_diligence")
    assert dag is not None
    assert set(dag.task_ids) == {"prepare", "receive", "ingest", "build_and_publish", "reports", "check_accounting", "release"}
    assert dag.get_task("receive").upstream_task_ids == {"prepare"}
    assert dag.get_task("ingest").upstream_task_ids == {"receive"}
    assert dag.get_task("build_and_publish").upstream_task_ids == {"receive", "ingest"}
    assert dag.get_task("build_and_publish").trigger_rule == "all_done_min_one_success"  # never after a failed receive
    assert dag.get_task("reports").upstream_task_ids == {"build_and_publish"}
    assert dag.get_task("check_accounting").upstream_task_ids == {"receive", "reports"}
    assert dag.get_task("check_accounting").trigger_rule == "all_done"
    assert dag.get_task("prepare").is_setup and dag.get_task("release").is_teardown
    assert dag.get_task("release").upstream_task_ids == {"prepare", "check_accounting"}
    assert dag.doc_md and "Quarterly due diligence" in dag.doc_md


def test_reports_dag_is_scheduled_on_the_warehouse_asset_and_paused_at_creation():
    dag = _bag().dags.get("quarterly_reports")
    assert dag is not None and dag.is_paused_upon_creation
    assert set(dag.task_ids) == {"prepare", "reports", "release"}
    assert "smartdd_warehouse" in repr(dag.timetable)
