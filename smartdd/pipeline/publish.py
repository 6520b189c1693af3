"""Publish a finished build: it replaces the warehouse analysts read in one atomic rename.

Analysts holding the old file open keep a consistent view; nobody ever sees a half-built
warehouse, and a failed build never reaches this step.

The published file is a copy of the build in an older DuckDB storage format (`STORAGE_VERSION`,
default v1.4.0): dbt writes with the project's DuckDB, whose own format clients before it cannot
open, and analysts use whatever DuckDB their CLI, Python or BI tool ships (docs/analysts.md).
The copy is written beside the published file, then renamed over it. The dbt docs of the build
are published beside it as `warehouse/docs/index.html` (one self-contained page); they are
generated again only when what they show changed (`docs_key`: the build's manifest and the
tables' columns), which a re-run after one resubmission mostly is not (~4 s saved).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import duckdb

from smartdd.config import Settings
from smartdd.pipeline.warehouse import BuildResult, run_dbt
from smartdd.storage import atomic_path, write_text_atomic

log = logging.getLogger(__name__)

STORAGE_VERSION = os.environ.get("SMARTDD_WAREHOUSE_STORAGE_VERSION", "v1.4.0")  # the oldest DuckDB that opens it: 1.4.0
_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")
DOCS_KEY = "dbt_docs.key"  # in the work folder: the docs_key of the published docs page


def publish(build: BuildResult, settings: Settings) -> Path:
    """Write the build's dbt docs, then atomically replace the published warehouse with a
    copy of the finished build in `STORAGE_VERSION`; the build file is removed."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    key = docs_key(build, settings)
    docs = None if _docs_are_current(key, settings) else generate_docs(build, settings)
    stale_wal = settings.warehouse.with_name(settings.warehouse.name + ".wal")
    # a copy a killed run left half-written holds derived client data: the home's lock is ours, so it goes
    for torn in settings.warehouse_dir.glob(".tmp-*.part*"):
        torn.unlink(missing_ok=True)
    with atomic_path(settings.warehouse) as portable:
        try:
            copy_database(build.build_file, portable, STORAGE_VERSION)  # closed and checkpointed: no WAL
        finally:
            portable.with_name(portable.name + ".wal").unlink(missing_ok=True)
    # A WAL left by someone who opened the old file read-write would be replayed into the new one.
    stale_wal.unlink(missing_ok=True)
    for leftover in (build.build_file, build.build_file.with_name(build.build_file.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if docs is not None:
        publish_docs(docs, settings)
        if key is not None:
            write_text_atomic(settings.work / DOCS_KEY, key)
    return settings.warehouse


def _docs_are_current(key: str | None, settings: Settings) -> bool:
    marker, page = settings.work / DOCS_KEY, settings.warehouse_dir / "docs" / "index.html"
    return key is not None and page.is_file() and marker.is_file() and marker.read_text() == key


def docs_key(build: BuildResult, settings: Settings) -> str | None:
    """What the docs page shows, as a hash: the build's manifest (its nodes, sources, macros, docs
    and exposures, without the parse times) and every built relation's columns and types. None
    when the build left no manifest."""
    manifest_file = settings.work / "dbt_target" / "manifest.json"
    if not manifest_file.is_file():
        return None
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    shown = {part: _without_parse_times(manifest.get(part)) for part in ("nodes", "sources", "macros", "docs", "exposures")}
    with duckdb.connect(str(build.build_file), read_only=True) as con:
        columns = con.sql("select schema_name, table_name, column_name, data_type from duckdb_columns() where not internal order by all").fetchall()
    shown["columns"] = columns
    shown["dbt_version"] = manifest.get("metadata", {}).get("dbt_version")
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()


def _without_parse_times(value):
    if isinstance(value, dict):
        return {k: _without_parse_times(v) for k, v in value.items() if k != "created_at"}
    if isinstance(value, list):
        return [_without_parse_times(v) for v in value]
    return value


def copy_database(source: Path, target: Path, storage_version: str = STORAGE_VERSION) -> Path:
    """Every schema, table, view, macro and sequence of `source` into a new file `target`
    written in `storage_version` (readable by that DuckDB release and every later one)."""
    if not _VERSION.match(storage_version):
        raise ValueError(f"SMARTDD_WAREHOUSE_STORAGE_VERSION must look like v1.4.0, not {storage_version!r}")
    target.unlink(missing_ok=True)
    with duckdb.connect() as con:
        con.execute("attach ? as build (read_only)", [str(source)])
        con.execute(f"attach ? as published (storage_version '{storage_version}')", [str(target)])
        con.execute("copy from database build to published")
        con.execute("checkpoint published")
        con.execute("detach published")
        con.execute("detach build")
    return target


def storage_version_of(path: Path) -> str:
    """The storage version a DuckDB file declares (e.g. 'v1.4.0'), as DuckDB reports it."""
    with duckdb.connect() as con:
        con.execute("attach ? as w (read_only)", [str(path)])
        tags = con.execute("select tags from duckdb_databases() where database_name = 'w'").fetchone()[0]
    return tags.get("storage_version", "")


def generate_docs(build: BuildResult, settings: Settings) -> Path | None:
    """`dbt docs generate --static` against the finished build file; the static page, or None
    when dbt could not write it (logged: the warehouse is published anyway, the old docs stay)."""
    excluded = getattr(build, "excluded", {}) or {}
    args = ["docs", "generate", "--static", "--no-compile", "--vars", json.dumps({"excluded_submissions": excluded})]  # the build's vars: partial parsing holds
    result = run_dbt(settings, build.build_file, *args)
    page = settings.work / "dbt_target" / "static_index.html"
    (settings.work / "dbt_docs.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0 or not page.exists():
        log.error("dbt docs generate failed (exit %s); the warehouse is published without new docs. Log: %s", result.returncode, settings.work / "dbt_docs.log")
        return None
    return page


def publish_docs(static_index: Path, settings: Settings) -> Path:
    """The dbt docs page (target/static_index.html) as `warehouse/docs/index.html`, atomically."""
    target = settings.warehouse_dir / "docs" / "index.html"
    with atomic_path(target) as tmp:
        shutil.copyfile(static_index, tmp)
        tmp.chmod(0o600)
    return target
