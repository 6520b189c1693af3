"""Run the `quarterly_due_diligence` DAG in-process with `dag.test()`.

Airflow reads its configuration when first imported, so the environment (a throwaway
AIRFLOW_HOME under the smartdd home, our dags folder, SQLite metadata) is set before that.
`dag.test()` runs every task in this process, one at a time: it needs no scheduler and ignores
pools, which are created anyway so the in-process database looks like the scheduler's.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from smartdd.config import DAGS_DIR, Settings

DAG_ID = "quarterly_due_diligence"


def configure_airflow(settings: Settings) -> Path:
    """A throwaway Airflow home under the smartdd home (or SMARTDD_AIRFLOW_HOME, as tests set)."""
    airflow_home = Path(os.environ.get("SMARTDD_AIRFLOW_HOME") or settings.work / "airflow")
    airflow_home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
            "SMARTDD_HOME": str(settings.home),
        }
    )
    return airflow_home


def run_quarterly_dag(settings: Settings) -> str:
    """Run the DAG once over the settings' landing folder; return the run's final state."""
    return run_dag(settings, {"home": str(settings.home)})


def run_dag(settings: Settings, conf: dict, dag_id: str = DAG_ID) -> str:
    """Run a DAG of the project once in-process with `conf`; return the run's final state."""
    airflow_home = configure_airflow(settings)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # Airflow's in-process API client
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    if not (airflow_home / "airflow.db").exists():
        db.resetdb()
    _ensure_pools()
    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags[dag_id]
    run = dag.test(run_conf=conf)
    return str(run.state)


def _ensure_pools() -> None:
    from airflow.models.pool import Pool

    from smartdd.scheduler import pools

    for name, (slots, description) in pools().items():
        if Pool.get_pool(name) is None:
            Pool.create_or_update_pool(name, slots, description, include_deferred=False)
