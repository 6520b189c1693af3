"""Build the warehouse with `dbt build` into a fresh file (published by `publish.py`).

DuckDB allows one writer per file and any open handle blocks it, so dbt never writes the
published file: analysts holding it open keep a consistent view, and a failed build leaves
the last good warehouse in place.

dbt reads the raw zone and the ledger as local Parquet files. When a zone is on another fsspec
filesystem (`SMARTDD_RAW_ZONE_URL`, `SMARTDD_LEDGER_URL`), it is first copied to the work
folder (`stage_inputs`; only the submission folders whose checksum list changed) and dbt reads
the copy: dbt-duckdb runs in its own process, where a filesystem registered with DuckDB in this
process (or an in-memory one) does not exist, and a local copy works for every fsspec filesystem
and every DuckDB extension set alike.
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
from smartdd.ingest.rawzone import stage_locally, write_schema_folder
from smartdd.pipeline.dbt_results import DbtFailure, failing_submissions, read_failures
from smartdd.records import ISSUES_SCHEMA, LEDGER_SCHEMA
from smartdd.storage import atomic_path, copy_tree_to_local, is_local, local_path
from smartdd.timing import timed

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
        "SMARTDD_RAW_DIR": str(dbt_raw_dir(settings)),
        "SMARTDD_LEDGER_DIR": str(dbt_ledger_dir(settings)),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_raw_dir(settings: Settings) -> Path:
    """The raw zone as dbt reads it: the zone itself when local, else its local copy."""
    return local_path(settings.raw) if settings.raw_is_local else settings.work / "raw_stage"


def dbt_ledger_dir(settings: Settings) -> Path:
    return local_path(settings.ledger) if is_local(settings.ledger) else settings.work / "ledger_stage"


def stage_inputs(settings: Settings) -> None:
    """Copy a raw zone or ledger that is not on the local filesystem to where dbt reads it."""
    if not settings.raw_is_local:
        with timed("stage raw zone"):
            stage_locally(settings.raw, dbt_raw_dir(settings))
    if not is_local(settings.ledger):
        with timed("stage ledger"):
            copy_tree_to_local(settings.ledger, dbt_ledger_dir(settings))


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
    write_empty_sources(settings)
    stage_inputs(settings)
    build_file = settings.work / "smartdd.build.duckdb"
    log_file = settings.work / "dbt_build.log"
    excluded: dict[str, str] = {}
    logs = []
    for _ in range(MAX_EXCLUSION_ROUNDS + 1):
        for stale in (build_file, build_file.with_name(build_file.name + ".wal")):
            stale.unlink(missing_ok=True)
        # dbt's unit tests check the models' code, not the quarter's data: the test suite runs them
        # (tests/dbt/test_dbt_unit_tests.py), so a production build does not pay ~10 s for them
        result = run_dbt(settings, build_file, "build", "--exclude-resource-type", "unit_test", "--vars", json.dumps({"excluded_submissions": excluded}))
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


def write_empty_sources(settings: Settings) -> None:
    """Empty files with the right schema, so every dbt source exists even in an empty quarter."""
    import pyarrow.parquet as pq

    write_schema_folder(settings.raw)
    for folder, schema in (("submissions", LEDGER_SCHEMA), ("issues", ISSUES_SCHEMA)):
        with atomic_path(settings.ledger / folder / "_schema.parquet") as tmp:
            pq.write_table(schema.empty_table(), tmp)
