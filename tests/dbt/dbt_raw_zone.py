"""Small raw zones written straight to Parquet (no workbook, no GX), and a dbt runner, for tests of the dbt project."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from smartdd.ingest.rawzone import write_schema_folder, write_submission

from smartdd.config import DBT_PROJECT_DIR
from smartdd.records import ISSUES_SCHEMA, LEDGER_SCHEMA
from smartdd.spec import load_spec

PRICING_TERMS = {
    "term_days": None,
    "upfront_fee_pct": None,
    "upfront_fee_flat": None,
    "insurance_pct": None,
    "compulsory_savings_pct": None,
    "tax_on_interest_pct": None,
    "disclosed_apr_pct": None,
}


def empty_home(home: Path) -> Path:
    """A home whose raw zone and ledger hold only the empty schema files (what smartdd writes before dbt)."""
    write_schema_folder(home / "raw")
    for folder, schema in (("submissions", LEDGER_SCHEMA), ("issues", ISSUES_SCHEMA)):
        target = home / "ledger" / folder / "_schema.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), target)
    return home


def add_submission(
    home: Path, submission_id: str, cover: dict, portfolio: dict, products: list[dict], answers: list[dict] | None = None, complaints: list[dict] | None = None
) -> None:
    """Write one accepted submission: its raw-zone folder, its provenance and its ledger row."""
    spec = load_spec()
    sheets = {sheet.name: sheet for sheet in spec.sheets}
    frames = {
        "Cover": _key_value_frame(sheets["Cover"], cover),
        "Portfolio": _key_value_frame(sheets["Portfolio"], portfolio),
        "Products": _table_frame(sheets["Products"], [{**PRICING_TERMS, **p} for p in products]),
        "CP_Assessment": _table_frame(sheets["CP_Assessment"], answers or []),
        "Complaints": _table_frame(sheets["Complaints"], complaints or []),
    }
    provenance = pd.DataFrame(
        [(name, f.name, "C", row) for name in ("Cover", "Portfolio") for row, f in enumerate(sheets[name].stored_fields, start=2)]
        + [(name, f.name, chr(ord("A") + i), None) for name in ("Products", "CP_Assessment", "Complaints") for i, f in enumerate(sheets[name].stored_fields)],
        columns=["sheet", "field", "column_letter", "row_number"],
    ).astype({"row_number": "Int64"})
    write_submission(home / "raw", submission_id, frames, provenance, spec)
    ledger = {
        "submission_id": submission_id,
        "investee_id": cover["investee_id"],
        "period_end": cover["period_end"],
        "file_name": f"{submission_id}.xlsx",
        "file_sha256": submission_id * 4,
        "received_at": dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        "status": "accepted",
        "reason": "",
        "errors": 0,
        "warnings": 0,
        "language": "en",
    }
    target = home / "ledger" / "submissions" / f"{submission_id}.parquet"
    pq.write_table(pa.Table.from_pylist([ledger], schema=LEDGER_SCHEMA), target)


def _key_value_frame(sheet, values: dict) -> pd.DataFrame:
    return pd.DataFrame([{f.name: values.get(f.name) for f in sheet.stored_fields}])


def _table_frame(sheet, rows: list[dict]) -> pd.DataFrame:
    columns = ["_row"] + [f.name for f in sheet.stored_fields]
    return pd.DataFrame([{"_row": i, **{c: row.get(c) for c in columns[1:]}} for i, row in enumerate(rows, start=2)], columns=columns)


def run_dbt_build(
    home: Path, work: Path, project_dir: Path = DBT_PROJECT_DIR, *args: str, start_from: Path | None = None
) -> tuple[Path, subprocess.CompletedProcess]:
    """`dbt build --fail-fast` over the home's raw zone into a fresh DuckDB file under work/ (or into
    a copy of the warehouse `start_from`, for a build of `--select` nodes only).

    dbt's unit tests are left out, as in the pipeline's build: test_dbt_unit_tests.py runs them
    (~9 s a build)."""
    work.mkdir(parents=True, exist_ok=True)
    build_file = work / "warehouse.duckdb"
    build_file.unlink(missing_ok=True)
    if start_from is not None:
        shutil.copyfile(start_from, build_file)
    env = {
        **os.environ,
        "SMARTDD_BUILD_DB": str(build_file),
        "SMARTDD_RAW_DIR": str(home / "raw"),
        "SMARTDD_LEDGER_DIR": str(home / "ledger"),
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        "build",
        "--fail-fast",
        "--exclude-resource-type",
        "unit_test",
        "--project-dir",
        str(project_dir),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        *args,
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, cwd=project_dir)
    return build_file, result


def copy_project(target: Path) -> Path:
    """A copy of the dbt project (without build artefacts) whose seeds a test may edit."""
    shutil.copytree(DBT_PROJECT_DIR, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return target


def query(build_file: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(build_file), read_only=True) as con:
        return con.sql(sql).df()
