"""Write an accepted submission to the raw zone: one Parquet file per sheet, written once.

Layout: raw/<submission_id>/<table>.parquet (+ provenance.parquet). The folder is written
under a temporary name and renamed, so dbt never reads half a submission. Every table is
always written, empty when the sheet was absent, so the dbt sources always find their files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smartdd.spec import Sheet, Spec, load_spec

_ARROW_TYPES = {
    "text": pa.string(),
    "enum": pa.string(),
    "int": pa.int64(),
    "number": pa.float64(),
    "pct": pa.float64(),
    "date": pa.date32(),
    "yn": pa.bool_(),
}
SCHEMA_FOLDER = "_schema"  # empty tables, so the sources exist before any submission lands
PROVENANCE_SCHEMA = pa.schema(
    [("submission_id", pa.string()), ("sheet", pa.string()), ("field", pa.string()), ("column_letter", pa.string()), ("row_number", pa.int64())]
)


def table_schema(sheet: Sheet) -> pa.Schema:
    fields = [pa.field("submission_id", pa.string())]
    if sheet.kind == "table":
        fields.append(pa.field("_row", pa.int64()))
    fields += [pa.field(f.name, _ARROW_TYPES[f.type]) for f in sheet.stored_fields]
    return pa.schema(fields)


def write_submission(raw_dir: Path, submission_id: str, frames: dict[str, pd.DataFrame], provenance: pd.DataFrame, spec: Spec | None = None) -> Path:
    """Write every table of one accepted submission; an existing folder is left untouched."""
    spec = spec or load_spec()
    final = raw_dir / submission_id
    if final.exists():
        return final
    tmp = raw_dir / ".incoming" / submission_id  # two levels deep: outside the sources glob
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for sheet in spec.sheets:
        frame = frames.get(sheet.name)
        _write_table(tmp / f"{sheet.table_name}.parquet", sheet, submission_id, frame)
    provenance = provenance.assign(submission_id=submission_id)
    pq.write_table(pa.Table.from_pandas(provenance, schema=PROVENANCE_SCHEMA, preserve_index=False), tmp / "provenance.parquet")
    os.replace(tmp, final)
    return final


def write_schema_folder(raw_dir: Path, spec: Spec | None = None) -> None:
    spec = spec or load_spec()
    folder = raw_dir / SCHEMA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for sheet in spec.sheets:
        _write_table(folder / f"{sheet.table_name}.parquet", sheet, None, None)
    pq.write_table(PROVENANCE_SCHEMA.empty_table(), folder / "provenance.parquet")


def _write_table(path: Path, sheet: Sheet, submission_id: str | None, frame: pd.DataFrame | None) -> None:
    schema = table_schema(sheet)
    if frame is None:
        table = schema.empty_table()
    else:
        frame = frame.assign(submission_id=submission_id)[schema.names]
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    pq.write_table(table, path, compression="zstd")
