"""Build the warehouse with `dbt build` into a fresh file (published by `publish.py`).

DuckDB allows one writer per file and any open handle blocks it, so dbt never writes the
published file: analysts holding it open keep a consistent view, and a failed build leaves
the last good warehouse in place.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from smartdd.config import DBT_PROJECT_DIR, Settings
from smartdd.ingest.rawzone import write_schema_folder
from smartdd.records import ISSUES_SCHEMA, LEDGER_SCHEMA

DBT_TIMEOUT_S = 3600


class BuildFailed(RuntimeError):
    """dbt build failed; the published warehouse was left as it was."""


@dataclass(frozen=True)
class BuildResult:
    build_file: Path
    log_file: Path


def dbt_env(settings: Settings, build_file: Path) -> dict[str, str]:
    secrets = {"SMARTDD_HMAC_KEY", "SMARTDD_HMAC_KEY_FILE"}  # dbt never needs the key
    return {
        **{k: v for k, v in os.environ.items() if k not in secrets},
        "SMARTDD_BUILD_DB": str(build_file),
        "SMARTDD_RAW_DIR": str(settings.raw),
        "SMARTDD_LEDGER_DIR": str(settings.ledger),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(settings: Settings, build_file: Path, *args: str) -> subprocess.CompletedProcess:
    """Run one dbt command on the project, its target and logs kept in the home's work folder."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(settings.work / "dbt_target"),
        "--log-path",
        str(settings.work / "dbt_logs"),
    ]
    return subprocess.run(command, env=dbt_env(settings, build_file), capture_output=True, text=True, timeout=DBT_TIMEOUT_S, cwd=DBT_PROJECT_DIR)


def build_warehouse(settings: Settings) -> BuildResult:
    settings.ensure()
    _write_empty_sources(settings)
    build_file = settings.work / "smartdd.build.duckdb"
    for stale in (build_file, build_file.with_name(build_file.name + ".wal")):
        stale.unlink(missing_ok=True)
    result = run_dbt(settings, build_file, "build", "--fail-fast")
    log_file = settings.work / "dbt_build.log"
    log_file.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise BuildFailed(f"dbt build failed (exit {result.returncode}); full log: {log_file}\n{tail}")
    return BuildResult(build_file=build_file, log_file=log_file)


def _write_empty_sources(settings: Settings) -> None:
    """Empty files with the right schema, so every dbt source exists even in an empty quarter."""
    import pyarrow.parquet as pq

    write_schema_folder(settings.raw)
    for folder, schema in (("submissions", LEDGER_SCHEMA), ("issues", ISSUES_SCHEMA)):
        target = settings.ledger / folder / "_schema.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), target)
