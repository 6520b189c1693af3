"""Write an accepted submission to the raw zone: one Parquet file per sheet, written once.

Layout: raw/<submission_id>/<table>.parquet (+ provenance.parquet, and _sha256.json with each
file's hash). The raw zone is any fsspec location (`smartdd.storage.zone`: a local folder by
default, `SMARTDD_RAW_ZONE_URL` otherwise) and every operation here goes through its fsspec
filesystem. On a local filesystem the folder is written under a temporary name and renamed, so
dbt never reads half a submission; on an object store (no atomic rename) the files are put in
place and `_sha256.json` is written last: a folder without it is incomplete. A folder damaged
later (a crash, a full disk) fails its checksums and is rebuilt from the archive before dbt
runs. Every table is always written, empty when the sheet was absent, so the dbt sources always
find their files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import posixpath
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from smartdd.spec import Sheet, Spec, load_spec
from smartdd.storage import copy_tree_to_local, fs_and_path, is_local, sha256_of, zone

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
    raw_dir: str | os.PathLike, submission_id: str, frames: dict[str, pd.DataFrame], provenance: pd.DataFrame, spec: Spec | None = None, replace: bool = False
) -> UPath:
    """Write every table of one accepted submission; an existing intact folder is left untouched,
    a damaged one (see `is_intact`) is moved aside and written again, and so is any existing one
    with `replace` (the file was processed again under a new spec or code version)."""
    spec = spec or load_spec()
    raw = zone(raw_dir)
    fs, root = fs_and_path(raw)
    final = raw / submission_id
    if fs.exists(final.path):
        if is_intact(final) and not replace:
            return final
        set_aside(final, "replaced" if replace else "damaged")
    local = is_local(raw)
    # Local: two levels deep (outside the sources glob), then one rename. Remote: in place, checksums last.
    folder = posixpath.join(root, ".incoming", submission_id) if local else final.path
    if fs.exists(folder):
        fs.rm(folder, recursive=True)
    fs.makedirs(folder, exist_ok=True)
    checksums = {}
    for sheet in spec.sheets:
        name = f"{sheet.table_name}.parquet"
        checksums[name] = _put(fs, posixpath.join(folder, name), _table(sheet, submission_id, frames.get(sheet.name)))
    provenance = provenance.assign(submission_id=submission_id)
    checksums["provenance.parquet"] = _put(
        fs, posixpath.join(folder, "provenance.parquet"), pa.Table.from_pandas(provenance, schema=PROVENANCE_SCHEMA, preserve_index=False)
    )
    fs.pipe_file(posixpath.join(folder, CHECKSUMS), json.dumps(dict(sorted(checksums.items())), indent=2, sort_keys=True).encode())
    if local:
        fs.mv(folder, final.path, recursive=True)  # one rename on a local filesystem
    return final


def submission_folders(raw_dir: str | os.PathLike) -> list[UPath]:
    """The folders of accepted submissions (not the schema folder, nor the hidden work folders)."""
    raw = zone(raw_dir)
    fs, root = fs_and_path(raw)
    if not fs.exists(root):
        return []
    names = (posixpath.basename(e["name"].rstrip("/")) for e in fs.ls(root, detail=True) if e["type"] == "directory")
    return [raw / name for name in sorted(names) if not name.startswith((".", "_"))]


def is_intact(folder: str | os.PathLike) -> bool:
    """Every file the checksum list names is there with its recorded hash (a crash or a full disk
    can leave half a Parquet file); a local folder from before checksums must at least parse (on
    an object store a folder without its checksum list is one whose writing never finished)."""
    folder = zone(folder)
    fs, path = fs_and_path(folder)
    listed = posixpath.join(path, CHECKSUMS)
    try:
        if fs.exists(listed):
            return all(sha256_of(folder / name) == digest for name, digest in json.loads(fs.cat_file(listed)).items())
        if not is_local(folder):
            return False
        parquet = [p for p in fs.ls(path, detail=False) if p.endswith(".parquet")]
        return all(_parses(fs, p) for p in parquet)
    except (OSError, ValueError, pa.ArrowException):
        return False


def _parses(fs, path: str) -> bool:
    with fs.open(path, "rb") as f:
        return pq.ParquetFile(f).metadata is not None


def set_aside(folder: str | os.PathLike, why: str = "damaged") -> UPath:
    """Move a submission folder out of dbt's sight (raw/.damaged/ or raw/.replaced/), keeping it."""
    folder = zone(folder)
    fs, path = fs_and_path(folder)
    target = folder.parent / f".{why}" / f"{folder.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}"
    fs.makedirs(target.parent.path, exist_ok=True)
    fs.mv(path, target.path, recursive=True)  # a rename on a local filesystem
    return target


def write_schema_folder(raw_dir: str | os.PathLike, spec: Spec | None = None) -> None:
    spec = spec or load_spec()
    fs, root = fs_and_path(raw_dir)
    folder = posixpath.join(root, SCHEMA_FOLDER)
    fs.makedirs(folder, exist_ok=True)
    for sheet in spec.sheets:
        _put(fs, posixpath.join(folder, f"{sheet.table_name}.parquet"), _table(sheet, None, None))
    _put(fs, posixpath.join(folder, "provenance.parquet"), PROVENANCE_SCHEMA.empty_table())


def stage_locally(raw_dir: str | os.PathLike, local_dir: Path) -> Path:
    """A local copy of a raw zone for a reader that needs local files (dbt-duckdb in its own
    process): the schema folder and every intact submission folder; a folder already copied with
    the same checksum list is not copied again, one gone from the raw zone is removed."""
    raw = zone(raw_dir)
    fs, root = fs_and_path(raw)
    local_dir.mkdir(parents=True, exist_ok=True)
    copy_tree_to_local(raw / SCHEMA_FOLDER, local_dir / SCHEMA_FOLDER)
    wanted = set()
    for folder in submission_folders(raw):
        if not is_intact(folder):
            continue
        wanted.add(folder.name)
        listed, copied = fs.cat_file(posixpath.join(folder.path, CHECKSUMS)), local_dir / folder.name / CHECKSUMS
        if not (copied.exists() and copied.read_bytes() == listed):
            copy_tree_to_local(folder, local_dir / folder.name)
    for stale in local_dir.iterdir():
        if stale.name not in wanted and stale.name != SCHEMA_FOLDER:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink()
    return local_dir


def _put(fs, path: str, table: pa.Table) -> str:
    """Write one Parquet file through the filesystem; the sha256 of the bytes written."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    with fs.open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def _table(sheet: Sheet, submission_id: str | None, frame: pd.DataFrame | None) -> pa.Table:
    schema = table_schema(sheet)
    if frame is None:
        return schema.empty_table()
    frame = frame.assign(submission_id=submission_id)[schema.names]
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
