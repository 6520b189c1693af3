"""dbt's unit tests (the `unit_tests:` of the models' yml) run here, not in the pipeline's build.

They check the models' SQL on hand-made rows, whatever the quarter's data: the pipeline's
`dbt build` leaves them out, so this test is where they run. Every one of them is run, and a
failure names each failing unit test with dbt's message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_raw_zone import empty_home

from smartdd.config import Settings
from smartdd.pipeline.dbt_results import FAILED
from smartdd.pipeline.warehouse import run_dbt, write_empty_sources

pytestmark = pytest.mark.slow


def _unit_tests_declared() -> int:
    import yaml

    from smartdd.config import DBT_PROJECT_DIR

    return sum(len(yaml.safe_load(p.read_text()).get("unit_tests") or []) for p in (DBT_PROJECT_DIR / "models").rglob("*.yml"))


def test_every_dbt_unit_test_passes(tmp_path: Path):
    settings = Settings.from_env(empty_home(tmp_path / "home")).ensure()
    write_empty_sources(settings)
    # one dbt run: the seeds, every model built empty (the relations the unit tests' inputs refer
    # to must exist) and every unit test; the data tests are the pipeline build's (test_build_isolation)
    result = run_dbt(settings, settings.work / "unit.duckdb", "build", "--empty", "--resource-type", "seed", "model", "unit_test")
    results = json.loads((settings.work / "dbt_target" / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    failed = [f"{r['unique_id']}: {r.get('message')}" for r in results if r["status"] in FAILED]
    assert not failed, "\n".join(failed)  # what a failure skips downstream is not listed: it is not a failure of its own
    assert {r["status"] for r in results} <= {"pass", "success"}
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(unit) == _unit_tests_declared() > 30
