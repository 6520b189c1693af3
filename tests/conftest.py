"""Test-wide set-up: a pseudonymisation key and one throwaway Airflow home for the session.

Airflow reads its configuration on first import, so the environment is set here, before any
test module imports it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="smartdd-airflow-"))
os.environ.update(
    {
        "SMARTDD_HMAC_KEY": "test-key-not-secret-0123456789abcdef",
        "SMARTDD_AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).resolve().parents[1] / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "GX_ANALYTICS_ENABLED": "False",
        "SMARTDD_DBT_THREADS": "1",  # the test warehouses are tiny: one dbt thread builds them faster (13 vs 17 s)
    }
)
os.environ.pop("SMARTDD_HMAC_KEY_FILE", None)
sys.path.insert(0, str(Path(__file__).parent / "ingest"))  # test-file builders (hostile_files, messy_files)
