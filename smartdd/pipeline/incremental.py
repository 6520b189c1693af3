"""Incremental by content: a file whose bytes were already processed under the same spec,
suites and code is not read or validated again; its recorded outcome is reused.

The processing version is a hash of everything that decides an outcome at ingest: the
submission spec, the GX suites, the indicator catalogue and the Python source of the ingest and
validation stages. Change any of them and every file is processed again on the next run; set
SMARTDD_REVALIDATE=1 (or `smartdd run --revalidate`) to force it without a change.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache

import pyarrow.parquet as pq

from smartdd.config import Settings
from smartdd.paths import REPO_ROOT, SEEDS_DIR
from smartdd.records import SubmissionRecord
from smartdd.storage import fs_and_path

REVALIDATE_ENV = "SMARTDD_REVALIDATE"
_DECIDES_OUTCOME = (
    "smartdd/spec",
    "ingest",
    "expectations",
    "smartdd/pipeline/workbook.py",
    "smartdd/pipeline/batch.py",
    "smartdd/records.py",
    "smartdd/messages",
)


@cache
def processing_version() -> str:
    digest = hashlib.sha256()
    files = [SEEDS_DIR / "cp_indicators.csv"]
    for part in _DECIDES_OUTCOME:
        path = REPO_ROOT / part
        files += sorted(p for p in path.rglob("*") if p.suffix in {".py", ".yaml", ".json"}) if path.is_dir() else [path]
    for path in files:
        label = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name
        digest.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def revalidate_everything() -> bool:
    return os.environ.get(REVALIDATE_ENV, "").strip().lower() in {"1", "true", "yes"}


def previous_outcome(settings: Settings, submission_id: str) -> SubmissionRecord | None:
    """The recorded outcome of this submission if it was processed under the current version."""
    if revalidate_everything():
        return None
    row = ledger_row(settings, submission_id)
    if row is None or row.get("processed_with") != processing_version():
        return None
    return SubmissionRecord(**row)


def was_processed_before(settings: Settings, submission_id: str) -> bool:
    return ledger_row(settings, submission_id) is not None


def ledger_row(settings: Settings, submission_id: str) -> dict | None:
    """The submission's ledger row, read through the ledger's filesystem; None when it has none."""
    fs, path = fs_and_path(settings.ledger / "submissions" / f"{submission_id}.parquet")
    try:
        with fs.open(path, "rb") as f:
            return pq.read_table(f).to_pylist()[0]
    except (OSError, IndexError, ValueError):
        return None
