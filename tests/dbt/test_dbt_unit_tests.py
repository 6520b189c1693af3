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
from smartdd.pipeline.warehouse import build_warehouse, run_dbt

pytestmark = pytest.mark.slow


def _unit_tests_declared() -> int:
    import yaml

    from smartdd.config import DBT_PROJECT_DIR

    return sum(len(yaml.safe_load(p.read_text()).get("unit_tests") or []) for p in (DBT_PROJECT_DIR / "models").rglob("*.yml"))


def test_every_dbt_unit_test_passes(tmp_path: Path):
    settings = Settings.from_env(empty_home(tmp_path / "home"))
    build = build_warehouse(settings)  # the relations the unit tests' inputs refer to must exist
    built = json.loads((settings.work / "dbt_target" / "run_results.json").read_text())["results"]
    assert not [r for r in built if r["unique_id"].startswith("unit_test.")], "the pipeline's build must leave the unit tests out"

    result = run_dbt(settings, build.build_file, "test", "--select", "test_type:unit")
    results = json.loads((settings.work / "dbt_target" / "run_results.json").read_text())["results"]
    failed = [f"{r['unique_id']}: {r.get('message')}" for r in results if r["status"] != "pass"]
    assert not failed, "\n".join(failed)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(results) == _unit_tests_declared() > 30
