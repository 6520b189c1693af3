"""The quarterly pipeline as plain functions: the Airflow DAG and the tests call these.

Values crossing task boundaries are small JSON-able dicts (Airflow passes them as XCom).
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from smartdd.config import Settings
from smartdd.ingest.archive import archive_file
from smartdd.ingest.pseudonymise import load_key
from smartdd.pipeline.warehouse import build_warehouse, publish
from smartdd.pipeline.workbook import process_submission
from smartdd.records import ReceivedFile

log = logging.getLogger(__name__)


def receive(settings: Settings) -> list[dict]:
    """Archive every file in the landing folder (before anything else reads it).

    Every regular file counts, in subfolders too, hidden or not: a file that is not a
    workbook is rejected with a reason, never silently skipped.
    """
    settings.ensure()
    load_key(settings.home)  # fail the run at once, before any work, when no key is configured
    received = []
    for path in landed_files(settings.landing):
        name = path.relative_to(settings.landing).as_posix()
        received.append(archive_file(path, settings.archive, name=name).to_dict())
    log.info("received %d file(s) in %s", len(received), settings.landing)
    return received


def landed_files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file() and not p.is_symlink())


def ingest_one(received: dict, settings: Settings) -> dict:
    return process_submission(ReceivedFile.from_dict(received), settings).summary()


def build_and_publish(settings: Settings) -> str:
    return str(publish(build_warehouse(settings), settings))


def write_reports(settings: Settings) -> list[str]:
    from smartdd.reports.build import write_reports as build_reports  # matplotlib, jinja: only when reporting

    return [str(p) for p in build_reports(settings.warehouse, settings.reports)]


class Unaccounted(RuntimeError):
    """A received file has no ledger row: the run must not look green."""


def check_accounting(received: list[dict] | None, reports_written: list[str] | None, settings: Settings) -> int:
    """Every file received in this run has its ledger row (accepted or rejected, with a reason),
    and the build and the reports finished: otherwise the run fails instead of looking green."""
    if received is None:
        raise Unaccounted("The receive step failed, so no file of this run is accounted for; see its log.")
    if reports_written is None:
        raise Unaccounted("The warehouse build or the reports failed; the previously published warehouse was kept. See their logs.")
    missing = [r["name"] for r in received if not (settings.ledger / "submissions" / f"{ReceivedFile.from_dict(r).submission_id}.parquet").exists()]
    if missing:
        raise Unaccounted(f"{len(missing)} received file(s) have no outcome recorded (their ingest task failed): {', '.join(missing)}")
    return len(received)


def summary(settings: Settings) -> dict:
    """Counts by status from the published warehouse: what `smartdd run` prints."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select status, count(*) from marts.submissions group by status order by status").fetchall()
        rejected = con.sql("select file_name, reason from marts.submissions where status = 'rejected' order by file_name").fetchall()
    return {"by_status": dict(rows), "rejected": rejected}
