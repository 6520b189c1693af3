"""Before dbt reads the raw zone: every submission folder is checked, a damaged one rebuilt.

The archive keeps every received file, so a raw-zone folder torn by a crash or a full disk is
re-derived from it (the raw zone and the ledger are read through their fsspec filesystems) (read, pseudonymised and validated again) instead of failing every later
build. Nothing is lost: the damaged folder is kept under raw/.damaged/ for inspection.
"""

from __future__ import annotations

import logging

from smartdd.config import Settings
from smartdd.ingest.rawzone import is_intact, set_aside, submission_folders
from smartdd.pipeline.batch import process_batch
from smartdd.pipeline.incremental import ledger_row
from smartdd.records import ReceivedFile
from smartdd.storage import native

log = logging.getLogger(__name__)


def repair_raw_zone(settings: Settings) -> list[str]:
    """Rebuild each damaged submission folder from its archived workbook; returns their ids."""
    repaired = []
    for folder in submission_folders(settings.raw):
        if is_intact(folder):
            continue
        moved = set_aside(folder)
        received = _received_from_ledger(settings, folder.name)
        if received is None:
            log.error("raw-zone folder %s is damaged and has no ledger row to rebuild it from; kept at %s", folder.name, moved)
            continue
        log.warning("raw-zone folder %s failed its checksums; rebuilding it from the archive (damaged copy kept at %s)", folder.name, moved)
        process_batch([received], settings, reuse=False)
        repaired.append(folder.name)
    return repaired


def _received_from_ledger(settings: Settings, submission_id: str) -> ReceivedFile | None:
    row = ledger_row(settings, submission_id)
    if row is None:
        return None
    archived = [p for p in native(settings.archive).glob(f"{row['file_sha256']}.*") if p.suffix != ".json"]
    if not archived:
        return None
    return ReceivedFile(
        sha256=row["file_sha256"],
        size=archived[0].stat().st_size,
        received_at=row["received_at"],
        archived_path=archived[0],
        name=row["file_name"],
        first_name=row["file_name"],
    )
