"""The quarterly pipeline as plain functions: the Airflow DAG and the tests call these.

Values crossing task boundaries are small JSON-able dicts (Airflow passes them as XCom).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import duckdb

from ingest.archive import ReceivedFile, archive_file
from ingest.pseudonymise import load_key
from smartdd.config import Settings
from smartdd.submission import process_submission
from smartdd.warehouse import build_warehouse, publish

log = logging.getLogger(__name__)


def receive(settings: Settings) -> list[dict]:
    """Archive every file in the landing folder (before anything else reads it)."""
    settings.ensure()
    load_key(settings.home)  # fail the run at once, before any work, when no key is configured
    received = []
    for path in sorted(p for p in settings.landing.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))):
        receipt = archive_file(path, settings.archive)
        received.append(
            {
                "path": str(path),
                "sha256": receipt.sha256,
                "size": receipt.size,
                "received_at": receipt.received_at.isoformat(),
                "archived_path": str(receipt.archived_path),
                "first_name": receipt.first_name,
            }
        )
    log.info("received %d file(s) in %s", len(received), settings.landing)
    return received


def ingest_one(received: dict, settings: Settings) -> dict:
    receipt = ReceivedFile(
        path=Path(received["path"]),
        sha256=received["sha256"],
        size=received["size"],
        received_at=dt.datetime.fromisoformat(received["received_at"]),
        archived_path=Path(received["archived_path"]),
        first_name=received["first_name"],
    )
    return process_submission(receipt, settings, load_key(settings.home)).summary()


def build_and_publish(settings: Settings) -> str:
    return str(publish(build_warehouse(settings), settings))


def write_reports(settings: Settings) -> list[str]:
    from reports.build import write_reports as build_reports

    return [str(p) for p in build_reports(settings.warehouse, settings.reports)]


def summary(settings: Settings) -> dict:
    """Counts by status from the published warehouse: what `smartdd run` prints."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select status, count(*) from marts.submissions group by status order by status").fetchall()
        rejected = con.sql("select file_name, reason from marts.submissions where status = 'rejected' order by file_name").fetchall()
    return {"by_status": dict(rows), "rejected": rejected}
