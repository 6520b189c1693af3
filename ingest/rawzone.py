"""Write an accepted submission to the raw zone: one Parquet file per sheet, written once.

Layout: raw/<submission_id>/<table>.parquet (+ provenance.parquet, and _sha256.json with each
file's hash). The folder is written under a temporary name and renamed, so dbt never reads half
a submission; a folder damaged later (a crash, a full disk) fails its checksums and is rebuilt
from the archive before dbt runs. Every table is
always written, empty when the sheet was absent, so the dbt sources always find their files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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
CHECKSUMS = "_sha256.json"  # written with the tables, checked before every build
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


def write_submission(
    raw_dir: Path, submission_id: str, frames: dict[str, pd.DataFrame], provenance: pd.DataFrame, spec: Spec | None = None, replace: bool = False
) -> Path:
    """Write every table of one accepted submission; an existing intact folder is left untouched,
    a damaged one (see `is_intact`) is moved aside and written again, and so is any existing one
    with `replace` (the file was processed again under a new spec or code version)."""
    spec = spec or load_spec()
    final = raw_dir / submission_id
    if final.exists():
        if is_intact(final) and not replace:
            return final
        set_aside(final, "replaced" if replace else "damaged")
    tmp = raw_dir / ".incoming" / submission_id  # two levels deep: outside the sources glob
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for sheet in spec.sheets:
        frame = frames.get(sheet.name)
        _write_table(tmp / f"{sheet.table_name}.parquet", sheet, submission_id, frame)
    provenance = provenance.assign(submission_id=submission_id)
    pq.write_table(pa.Table.from_pandas(provenance, schema=PROVENANCE_SCHEMA, preserve_index=False), tmp / "provenance.parquet")
    checksums = {f.name: _sha256(f) for f in sorted(tmp.glob("*.parquet"))}
    (tmp / CHECKSUMS).write_text(json.dumps(checksums, indent=2, sort_keys=True))
    os.replace(tmp, final)
    return final


def submission_folders(raw_dir: Path) -> list[Path]:
    """The folders of accepted submissions (not the schema folder, nor the hidden work folders)."""
    return sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))) if raw_dir.exists() else []


def is_intact(folder: Path) -> bool:
    """Every file the checksum list names is there with its recorded hash (a crash or a full disk
    can leave half a Parquet file); a folder from before checksums must at least parse."""
    listed = folder / CHECKSUMS
    try:
        if listed.exists():
            return all(_sha256(folder / name) == digest for name, digest in json.loads(listed.read_text()).items())
        return all(pq.ParquetFile(f).metadata is not None for f in folder.glob("*.parquet"))
    except (OSError, ValueError, pa.ArrowException):
        return False


def set_aside(folder: Path, why: str = "damaged") -> Path:
    """Move a submission folder out of dbt's sight (raw/.damaged/ or raw/.replaced/), keeping it."""
    target = folder.parent / f".{why}" / f"{folder.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(folder, target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


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
