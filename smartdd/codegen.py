"""Files derived from the submission spec: the GX suites and the dbt source definitions.

Run `python -m smartdd.codegen` after editing `smartdd/spec/submission_spec.yaml` or the metric catalogue; a test fails
while the committed copies are out of step with the spec.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from smartdd.config import DBT_PROJECT_DIR
from smartdd.expectations.suites import write_suites
from smartdd.ingest.rawzone import PROVENANCE_SCHEMA
from smartdd.methodology.metrics import write_macros
from smartdd.spec import Spec, load_spec

SOURCES_PATH = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
_HEADER = "# Generated from smartdd/spec/submission_spec.yaml by `python -m smartdd.codegen`. Do not edit.\n"


def dbt_sources(spec: Spec) -> dict:
    raw_tables = []
    for sheet in spec.sheets:
        columns = [{"name": "submission_id", "description": "The submission (sha256 prefix of the workbook) the row came from."}]
        if sheet.kind == "table":
            columns.append({"name": "_row", "description": f"Row of the record in sheet {sheet.name} (provenance)."})
        for f in sheet.stored_fields:
            note = " Keyed HMAC-SHA256 hash, never the clear value." if f.pii == "hash" else ""
            columns.append({"name": f.name, "description": f"{f.description}.{note}".replace("..", "."), "data_type": f.sql_type})
        raw_tables.append({"name": sheet.table_name, "description": f"Sheet {sheet.name} of accepted submissions. {sheet.description}", "columns": columns})
    raw_tables.append(
        {
            "name": "provenance",
            "description": "The column (tables) or cell (key-value sheets) each stored field came from, per submission.",
            "columns": [{"name": n} for n in PROVENANCE_SCHEMA.names],
        }
    )
    glob = "{{ env_var('SMARTDD_RAW_DIR') }}/*/{name}.parquet"
    ledger = "{{ env_var('SMARTDD_LEDGER_DIR') }}/{name}/*.parquet"
    return {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "description": "The raw zone: one folder of Parquet files per accepted submission, pseudonymised at ingest.",
                "config": {"meta": {"external_location": f"read_parquet('{glob}', union_by_name = true)"}},
                "tables": raw_tables,
            },
            {
                "name": "ledger",
                "description": "What happened to every received file: status, reason and each validation issue.",
                "config": {"meta": {"external_location": f"read_parquet('{ledger}', union_by_name = true)"}},
                "tables": [
                    {"name": "submissions", "description": "One row per received workbook (content hash)."},
                    {"name": "issues", "description": "One row per problem found in a workbook."},
                ],
            },
        ],
    }


def render_sources(spec: Spec | None = None) -> str:
    return _HEADER + yaml.safe_dump(dbt_sources(spec or load_spec()), sort_keys=False, allow_unicode=True, width=120)


def write_all() -> list[Path]:
    SOURCES_PATH.parent.mkdir(parents=True, exist_ok=True)
    SOURCES_PATH.write_text(render_sources(), encoding="utf-8")
    return [SOURCES_PATH, *write_suites(), write_macros()]


if __name__ == "__main__":
    for path in write_all():
        print(path)
