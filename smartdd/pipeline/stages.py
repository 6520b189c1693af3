"""The quarterly pipeline as plain functions: the Airflow DAG and the tests call these.

Values crossing task boundaries are small JSON-able dicts (Airflow passes them as XCom).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import duckdb

from smartdd.config import Settings, reports_group_readable
from smartdd.ingest.archive import archive_file, landed_at, refused_entry
from smartdd.ingest.pseudonymise import load_key
from smartdd.ingest.rejections import R_NOT_REGULAR, R_SYMLINK
from smartdd.pipeline.publish import publish
from smartdd.pipeline.repair import repair_raw_zone
from smartdd.pipeline.warehouse import build_warehouse
from smartdd.pipeline.workbook import process_submission
from smartdd.records import ReceivedFile
from smartdd.safe_text import display_name

log = logging.getLogger(__name__)


def receive(settings: Settings) -> list[dict]:
    """Archive every file in the landing folder (before anything else reads it).

    Every entry counts, in subfolders too, hidden or not: a file that is not a workbook is
    rejected with a reason, a symbolic link is recorded as refused (never followed), nothing is
    silently skipped. Files are taken in order of arrival, so when the same bytes landed under
    several names the earliest arrival is the one processed.
    """
    settings.ensure()
    load_key(settings.home)  # fail the run at once, before any work, when no key is configured
    now = dt.datetime.now(dt.UTC)
    received = []
    for path in sorted(landed_files(settings.landing), key=lambda p: (landed_at(p, now), p)):
        name = display_name(path.relative_to(settings.landing).as_posix())
        if path.is_symlink():
            receipt = refused_entry(path, name, R_SYMLINK, now)
        elif not path.is_file():  # a FIFO or a device would block or never end
            receipt = refused_entry(path, name, R_NOT_REGULAR, now)
        else:
            receipt = archive_file(path, settings.archive, name=name, now=now)
        received.append(receipt.to_dict())
    log.info("received %d file(s) in %s", len(received), settings.landing)
    return received


def landed_files(landing: Path) -> list[Path]:
    """Every regular file and every symbolic link under `landing`; links are listed, never followed."""
    found = []
    for folder, subfolders, files in os.walk(landing, followlinks=False):
        base = Path(folder)
        found += [base / f for f in files]
        found += [base / d for d in subfolders if (base / d).is_symlink()]
    return sorted(found)


def ingest_one(received: dict, settings: Settings) -> dict:
    return process_submission(ReceivedFile.from_dict(received), settings).summary()


def build_and_publish(settings: Settings) -> str:
    repair_raw_zone(settings)  # a torn raw-zone file must not fail this and every later build
    return str(publish(build_warehouse(settings), settings))


def write_reports(settings: Settings) -> list[str]:
    from smartdd.reports.build import write_reports as build_reports  # matplotlib, jinja: only when reporting

    written = build_reports(settings.warehouse, settings.reports)
    if reports_group_readable():  # documented opt-in: the investment team's group reads the reports
        for path in written:
            path.chmod(0o640)
    return [str(p) for p in written]


class Unaccounted(RuntimeError):
    """A received file has no ledger row: the run must not look green."""


def check_accounting(received: list[dict] | None, reports_written: list[str] | None, settings: Settings) -> int:
    """Every file received in this run has its ledger row (accepted or rejected, with a reason),
    and the build and the reports finished: otherwise the run fails instead of looking green."""
    if received is None:
        raise Unaccounted("The receive step failed, so no file of this run is accounted for; see its log.")
    problems = []
    missing = [r["name"] for r in received if not (settings.ledger / "submissions" / f"{ReceivedFile.from_dict(r).submission_id}.parquet").exists()]
    if missing:
        problems.append(
            f"{len(missing)} received file(s) have no outcome recorded: their ingest task failed (its log says why; a full disk or a "
            f"permission problem is reported there), and they will be processed again on the next run: {', '.join(missing)}"
        )
    if reports_written is None:
        problems.append(
            "The warehouse build, the publish or the reports failed; see their logs. A failed build or publish keeps the previously "
            "published warehouse; failed reports leave the new warehouse published without its reports."
        )
    if problems:
        raise Unaccounted(" ".join(problems))
    return len(received)


def summary(settings: Settings) -> dict:
    """Counts by status from the published warehouse: what `smartdd run` prints."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select status, count(*) from marts.submissions group by status order by status").fetchall()
        rejected = con.sql("select file_name, reason from marts.submissions where status = 'rejected' order by file_name").fetchall()
    return {"by_status": dict(rows), "rejected": rejected}
