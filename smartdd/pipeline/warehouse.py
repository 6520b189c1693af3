"""Build the warehouse with `dbt build` into a fresh file (published by `publish.py`).

DuckDB allows one writer per file and any open handle blocks it, so dbt never writes the
published file: analysts holding it open keep a consistent view, and a failed build leaves
the last good warehouse in place.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from smartdd.config import DBT_PROJECT_DIR, Settings
from smartdd.ingest.rawzone import write_schema_folder
from smartdd.pipeline.dbt_results import DbtFailure, failing_submissions, read_failures
from smartdd.records import ISSUES_SCHEMA, LEDGER_SCHEMA

DBT_TIMEOUT_S = 3600
MAX_EXCLUSION_ROUNDS = 3  # builds again at most this often, each time without the submissions that failed
log = logging.getLogger(__name__)


class BuildFailed(RuntimeError):
    """dbt build failed; the published warehouse was left as it was."""


@dataclass(frozen=True)
class BuildResult:
    build_file: Path
    log_file: Path
    excluded: dict[str, str] = field(default_factory=dict)  # submission_id -> why it was taken out


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
    """`dbt build` into a fresh file. When data tests fail on the rows of some submissions, those
    submissions are taken out (with a reason, in marts.submissions) and the rest is built again;
    any other failure fails the build with every failing node named."""
    settings.ensure()
    _write_empty_sources(settings)
    build_file = settings.work / "smartdd.build.duckdb"
    log_file = settings.work / "dbt_build.log"
    excluded: dict[str, str] = {}
    logs = []
    for _ in range(MAX_EXCLUSION_ROUNDS + 1):
        for stale in (build_file, build_file.with_name(build_file.name + ".wal")):
            stale.unlink(missing_ok=True)
        result = run_dbt(settings, build_file, "build", "--vars", json.dumps({"excluded_submissions": excluded}))
        logs.append(result.stdout + result.stderr)
        log_file.write_text("\n".join(logs))
        if result.returncode == 0:
            for submission_id, reason in excluded.items():
                log.warning("submission %s was taken out of the build: %s", submission_id, reason)
            return BuildResult(build_file=build_file, log_file=log_file, excluded=excluded)
        failures = read_failures(settings.work / "dbt_target" / "run_results.json")
        more = {k: v for k, v in failing_submissions(build_file, failures).items() if k not in excluded}
        if not more:
            break
        excluded.update(more)
    raise BuildFailed(_failure_message(result, failures, log_file))


def _failure_message(result, failures: list[DbtFailure], log_file: Path) -> str:
    if failures:
        listed = "\n".join(f"  - {f.describe()}" for f in failures)
        return f"dbt build failed: {len(failures)} node(s) failed; the previously published warehouse was kept. Full log: {log_file}\n{listed}"
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
    return f"dbt build failed (exit {result.returncode}); the previously published warehouse was kept. Full log: {log_file}\n{tail}"


def _write_empty_sources(settings: Settings) -> None:
    """Empty files with the right schema, so every dbt source exists even in an empty quarter."""
    import pyarrow.parquet as pq

    write_schema_folder(settings.raw)
    for folder, schema in (("submissions", LEDGER_SCHEMA), ("issues", ISSUES_SCHEMA)):
        target = settings.ledger / folder / "_schema.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), target)
