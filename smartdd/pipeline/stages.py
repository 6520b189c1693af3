"""The quarterly pipeline as plain functions: the Airflow DAG and the tests call these.

Values crossing task boundaries are small JSON-able dicts (Airflow passes them as XCom) that
carry ids, never paths of the machine that wrote them: a received file travels as its sha256,
names, arrival time and `archive_key` (its object name in the archive), and the task that takes
it resolves the key against its own home's settings (`received_file`), on whatever worker it
runs. `build_and_publish` and `write_reports` return keys relative to the home.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from pathlib import Path, PurePosixPath

import duckdb
from upath import UPath

from smartdd.config import Settings, reports_group_readable
from smartdd.ingest.archive import archive_file, known_receipt, landed_at, refused_entry
from smartdd.ingest.pseudonymise import load_key
from smartdd.ingest.rejections import R_NOT_REGULAR, R_SYMLINK
from smartdd.pipeline.batch import process_batch, process_submission
from smartdd.pipeline.incremental import previous_outcome, revalidate_everything
from smartdd.pipeline.publish import publish
from smartdd.pipeline.repair import repair_raw_zone
from smartdd.pipeline.warehouse import build_warehouse
from smartdd.progress import stage as progress_stage
from smartdd.records import ReceivedFile
from smartdd.safe_text import display_name
from smartdd.storage import files_under, is_local, local_path, modified_at, native, write_text_atomic
from smartdd.timing import timed

log = logging.getLogger(__name__)

BATCH_SIZE_ENV = "SMARTDD_BATCH_SIZE"
DEFAULT_BATCH_SIZE = 50  # files per mapped ingest task: one worker pool's start-up shared by 50 files
LANDED_INDEX = "_landed.json"  # landed name -> size, mtime and hash when last seen
RUN_MANIFEST = "received.json"  # every receipt of the current run (one run per home at a time)


def receive(settings: Settings) -> list[dict]:
    """`receive_files` as dicts (`ReceivedFile.to_dict`, with local paths: for in-process callers;
    what crosses a task boundary is `as_xcom`)."""
    return [r.to_dict() for r in receive_files(settings)]


def receive_files(settings: Settings) -> list[ReceivedFile]:
    """Archive every file in the landing folder (before anything else reads it).

    Every entry counts, in subfolders too, hidden or not: a file that is not a workbook is
    rejected with a reason, a symbolic link is recorded as refused (never followed), nothing is
    silently skipped. Files are taken in order of arrival, so when the same bytes landed under
    several names the earliest arrival is the one processed. A landing zone or an archive on
    another filesystem (SMARTDD_LANDING_URL, SMARTDD_ARCHIVE_URL) is listed, read and written
    through fsspec; a local one is walked as a folder, as ever.
    """
    settings.ensure()
    load_key(settings.home)  # fail the run at once, before any work, when no key is configured
    now = dt.datetime.now(dt.UTC)
    landing, archive = native(settings.landing), native(settings.archive)
    remove_leftovers(settings.work, archive)
    index_file = archive / LANDED_INDEX
    index = {} if revalidate_everything() or not index_file.exists() else json.loads(index_file.read_text())
    received = []
    for path in sorted(landed_files(landing), key=lambda p: (landed_at(p, now), p)):
        name = display_name(path.relative_to(landing).as_posix())
        if path.is_symlink():
            receipt = refused_entry(path, name, R_SYMLINK, now)
        elif not path.is_file():  # a FIFO or a device would block or never end
            receipt = refused_entry(path, name, R_NOT_REGULAR, now)
        else:
            before = _fingerprint(path)  # taken before the copy: a file replaced while it is copied is read again next run
            receipt = _unchanged(index, path, name, archive) or archive_file(path, archive, name=name, now=now)
            if _fingerprint(path) == before:
                index[name] = {**before, "sha256": receipt.sha256}
            else:
                index.pop(name, None)
        received.append(receipt)
    write_text_atomic(index_file, json.dumps(index, sort_keys=True))
    log.info("received %d file(s) in %s", len(received), settings.landing)
    return received


def remove_leftovers(work: Path, archive: Path | UPath) -> None:
    """What a killed run left behind: the parsers' local copies of remote workbooks (client data in
    clear, under `.work/`) and half-archived files. A run receives under the home's lock, so no
    other run is using them."""
    for folder in Path(work).glob("archived-copies-*"):
        shutil.rmtree(folder, ignore_errors=True)
    for part in archive.glob(".incoming-*.part"):
        part.unlink(missing_ok=True)


def _unchanged(index: dict, path: Path | UPath, name: str, archive: Path | UPath) -> ReceivedFile | None:
    """A landed file seen before with the same size and modification time (and etag, on an
    object store that gives one): not copied or hashed again (the landing folder is never
    drained, so this is most files of a later quarter)."""
    seen = index.get(name)
    if not seen or any(seen.get(key) != value for key, value in _fingerprint(path).items()):
        return None
    return known_receipt(archive, seen["sha256"], name)


def _fingerprint(path: Path | UPath) -> dict:
    """What tells a landed file changed without reading it: its size and modification time; for an
    object, its filesystem's size and last-modified, and its etag when it has one."""
    if isinstance(path, Path):
        stat = path.stat()
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    info = path.fs.info(path.path)
    since_epoch = modified_at(path) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    found = {"size": info["size"], "mtime_ns": since_epoch // dt.timedelta(microseconds=1) * 1000}
    etag = next((value for key, value in info.items() if key.lower() == "etag"), None)
    return found | ({"etag": str(etag)} if etag else {})


def as_xcom(received: ReceivedFile) -> dict:
    """A receipt as it crosses a task boundary: ids only; `archive_key` names the archived file
    within the archive ("" for a refused entry, which was never archived)."""
    out = received.to_dict()
    del out["archived_path"]
    out["archive_key"] = received.archived_path.name
    return out


def received_file(data: dict, settings: Settings) -> ReceivedFile:
    """The receipt of `as_xcom` (or of `ReceivedFile.to_dict`), its archived file resolved in this
    home's archive."""
    if "archive_key" not in data:
        return ReceivedFile.from_dict(data)
    key = data["archive_key"]
    if key and (PurePosixPath(key).name != key or key.startswith(".")):
        raise ValueError(f"not an archive key: {key!r}")
    return ReceivedFile.from_dict({**data, "archived_path": str(native(settings.archive) / key) if key else ""})


def receive_in_batches(settings: Settings, batch_size: int | None = None) -> list[list[dict]]:
    """`receive`, then only the files that need processing (new, changed, or decided under another
    processing version), in batches: the DAG maps one task over each batch, so there is no
    ceiling on the number of files. Every receipt of this run goes to the run's manifest, which
    the accounting check reads."""
    manifest = settings.work / RUN_MANIFEST
    manifest.unlink(missing_ok=True)  # a failed receive must never leave the previous run's list
    progress_stage("receive")
    with timed("receive"):
        received = receive_files(settings)
    write_text_atomic(manifest, json.dumps([as_xcom(r) for r in received]))
    todo = [as_xcom(r) for r in received if previous_outcome(settings, r.submission_id) is None]
    size = batch_size or int(os.environ.get(BATCH_SIZE_ENV) or DEFAULT_BATCH_SIZE)
    log.info("%d file(s) received, %d to process (the others were processed before under the same version)", len(received), len(todo))
    # nothing new still maps one (empty) ingest task: a zero-length map would skip the build, the
    # publish and the reports, and a home killed after ingest would never be rebuilt
    return [todo[i : i + size] for i in range(0, len(todo), size)] or [[]]


def received_this_run(settings: Settings) -> list[dict] | None:
    manifest = settings.work / RUN_MANIFEST
    return json.loads(manifest.read_text()) if manifest.exists() else None


def landed_files(landing: Path | UPath) -> list[Path | UPath]:
    """Every regular file and every symbolic link under `landing`; links are listed, never followed.
    A landing zone on another filesystem (an object store: no links, no pipes) is listed through fsspec."""
    if not is_local(landing):
        return [landing / name for name in files_under(landing)]
    landing = local_path(landing)
    found = []
    for folder, subfolders, files in os.walk(landing, followlinks=False):
        base = Path(folder)
        found += [base / f for f in files]
        found += [base / d for d in subfolders if (base / d).is_symlink()]
    return sorted(found)


def ingest_one(received: dict, settings: Settings) -> dict:
    return process_submission(received_file(received, settings), settings).summary()


def ingest_batch(batch: list[dict], settings: Settings) -> list[dict]:
    """One mapped task: a batch of received files through the per-workbook stage."""
    return [record.summary() for record in process_batch([received_file(r, settings) for r in batch], settings)]


def build_and_publish(settings: Settings) -> str:
    """Repair the raw zone, build, publish; the published warehouse's key in the home."""
    progress_stage("dbt build")
    with timed("dbt"):
        repair_raw_zone(settings)  # a torn raw-zone file must not fail this and every later build
        build = build_warehouse(settings)
    progress_stage("publish")
    with timed("publish"):
        return _home_key(publish(build, settings), settings)


def _home_key(path: Path, settings: Settings) -> str:
    return path.relative_to(settings.home).as_posix()


def write_reports(settings: Settings) -> list[str]:
    """Every report from the published warehouse; their keys in the home (reports/...)."""
    return [_home_key(p, settings) for p in written_reports(settings)]


def written_reports(settings: Settings) -> list[Path]:
    from smartdd.reports.build import write_reports as build_reports  # weasyprint, jinja: only when reporting

    progress_stage("reports")
    with timed("reports"):
        written = build_reports(settings.warehouse, settings.reports)
    if reports_group_readable():  # documented opt-in: the investment team's group reads the reports
        for path in written:
            path.chmod(0o640)
    return written


class Unaccounted(RuntimeError):
    """A received file has no ledger row: the run must not look green."""


def check_accounting(received: list[dict] | None, reports_written: list[str] | None, settings: Settings) -> int:
    """Every file received in this run has its ledger row (accepted or rejected, with a reason),
    and the build and the reports finished: otherwise the run fails instead of looking green."""
    if received is None:
        raise Unaccounted("The receive step failed, so no file of this run is accounted for; see its log.")
    problems = []
    missing = [r["name"] for r in received if not (settings.ledger / "submissions" / f"{received_file(r, settings).submission_id}.parquet").exists()]
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


def check_run(batches: list | None, reports_written: list[str] | None, settings: Settings) -> int:
    """The DAG's last step: `check_accounting` over every file of this run's manifest
    (`batches` is None when the receive step failed)."""
    return check_accounting(None if batches is None else received_this_run(settings), reports_written, settings)


def summary(settings: Settings) -> dict:
    """Counts by status from the published warehouse: what `smartdd run` prints."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select status, count(*) from marts.submissions group by status order by status").fetchall()
        rejected = con.sql("select file_name, reason from marts.submissions where status = 'rejected' order by file_name").fetchall()
    return {"by_status": dict(rows), "rejected": rejected}
