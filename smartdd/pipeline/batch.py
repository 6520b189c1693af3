"""The per-workbook stage over a batch of received files, parsed by a pool of long-lived workers.

For each file: reuse its outcome if its bytes were already processed under the same version
(`incremental`); else the safety gate (in this process, before any parser), then parsing,
coercion and pseudonymisation in a worker (`ingest.worker_pool`: memory cap, timeout, a dead
worker replaced and its file rejected with the reason); then the batch is validated together
(`expectations.batch`: one GX run per sheet type), and each file is stored and recorded
(`workbook.finish`). One file's fault never stops the others: a fault of
the machine is raised after the rest of the batch is done.

Parsers open local files: a file of a remote archive (SMARTDD_ARCHIVE_URL) is first fetched into
a private folder under the home's `.work/` (0700, files 0600; never more than the size limit
plus one byte), and everything after (safety gate, parse, quarantine, feedback) reads that copy;
the folder is removed when the batch ends, also when it fails.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smartdd.config import Settings
from smartdd.ingest.archive import parsable_copy
from smartdd.ingest.safety import RejectedFile, check_workbook_file
from smartdd.ingest.worker_pool import WorkerPool
from smartdd.messages import reason_issue
from smartdd.pipeline.incremental import previous_outcome, was_processed_before
from smartdd.pipeline.workbook import finish, needs_validation, not_processed, read_typed_or_reason, read_typed_workbook
from smartdd.progress import elapsed, progress
from smartdd.records import REJECTED, Issue, ReceivedFile, SubmissionRecord, has_errors
from smartdd.storage import InfrastructureFault, infrastructure_fault, is_infrastructure_error, is_local
from smartdd.timing import timed

log = logging.getLogger(__name__)

PARSE_WORKERS_ENV = "SMARTDD_PARSE_WORKERS"
PARSE_MEMORY_BYTES = 3 * 2**30  # per worker: a hostile file costs a worker, not the pipeline
PARSE_TIMEOUT_S = 300  # per file


def parse_workers() -> int:
    """Workers per batch: one per core by default (SMARTDD_PARSE_WORKERS overrides)."""
    return max(1, int(os.environ.get(PARSE_WORKERS_ENV) or os.cpu_count() or 1))


def process_batch(receipts: list[ReceivedFile], settings: Settings, workers: int | None = None, reuse: bool = True) -> list[SubmissionRecord]:
    """Every receipt gets its record (ledger row): reused, refused, rejected or accepted.
    `reuse=False` processes every file again (the raw-zone repair does)."""
    with _local_copies(settings, receipts) as folder:
        return _process(receipts, settings, workers, reuse, folder)


def _process(receipts: list[ReceivedFile], settings: Settings, workers: int | None, reuse: bool, folder: Path | None) -> list[SubmissionRecord]:
    records: dict[str, SubmissionRecord] = {}
    faults: list[InfrastructureFault] = []
    to_parse: dict[str, ReceivedFile] = {}
    for received in receipts:
        done = (previous_outcome(settings, received.submission_id) if reuse else None) or not_processed(received, settings)
        if done is not None:
            records[received.submission_id] = done
            continue
        try:
            received = parsable_copy(received, folder, settings.limits.max_file_bytes)  # from here on, a local file
            check_workbook_file(received.archived_path, settings.limits)
            to_parse[received.submission_id] = received
        except RejectedFile as rejected:
            _settle_one(received, ({}, [reason_issue(rejected.reason, "unreadable_file")]), settings, records, faults)
        except OSError as error:
            if not is_infrastructure_error(error):
                raise
            faults.append(infrastructure_fault("Reading", received.file_name, error))
    if to_parse:
        with progress("parse", len(to_parse)) as bar:
            parsed = _parse(to_parse, settings, workers, faults, bar)
        validation = _validate_together({sid: sheets for sid, (sheets, issues) in parsed.items() if needs_validation(sheets, issues)})
        for submission_id, (sheets, issues) in parsed.items():
            again = was_processed_before(settings, submission_id)
            _settle_one(to_parse[submission_id], (sheets, issues), settings, records, faults, again=again, validation=validation.get(submission_id))
        rejected = sum(records[sid].status == REJECTED for sid in parsed if sid in records)
        log.info("batch of %d file(s): %d accepted, %d rejected (%s elapsed)", len(receipts), len(receipts) - rejected, rejected, elapsed())
    if faults:  # the operator's problem: the run fails with it, the files wait for the next run
        raise InfrastructureFault(" ".join(dict.fromkeys(str(f) for f in faults)))
    return [records[r.submission_id] for r in receipts if r.submission_id in records]


@contextmanager
def _local_copies(settings: Settings, receipts: list[ReceivedFile]) -> Iterator[Path | None]:
    """The batch's private folder for local copies of remote archived files (None when all are local)."""
    if all(is_local(r.archived_path) for r in receipts):
        yield None
        return
    settings.work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="archived-copies-", dir=settings.work))  # mkdtemp: 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _parse(to_parse: dict[str, ReceivedFile], settings: Settings, workers: int | None, faults: list, bar) -> dict[str, tuple]:
    """Every file through the worker pool: submission id -> (typed sheets, reading issues)."""
    parsed = {}
    jobs = [(sid, (r.archived_path, settings.limits.max_rows, True, r.received_at.date())) for sid, r in to_parse.items()]
    size = min(workers or parse_workers(), len(jobs))
    with WorkerPool(size=size, memory_bytes=PARSE_MEMORY_BYTES, timeout_s=PARSE_TIMEOUT_S) as pool, timed("parse"):
        for submission_id, outcome in pool.map(read_typed_workbook, jobs):
            try:
                parsed[submission_id] = read_typed_or_reason(to_parse[submission_id], outcome)
            except InfrastructureFault as fault:
                faults.append(fault)
            bar.advance(rejected=submission_id not in parsed or has_errors(parsed[submission_id][1]))
    return {sid: parsed[sid] for sid in to_parse if sid in parsed}  # in the batch's order


def _validate_together(workbooks: dict) -> dict[str, list[Issue]]:
    """One Great Expectations run per sheet type for the whole batch; a crash costs no file its outcome."""
    if not workbooks:
        return {}
    from smartdd.expectations.batch import validate_batch  # GX import is slow; only when needed

    try:
        with timed("validate"):
            return validate_batch(workbooks)
    except Exception:  # noqa: BLE001 - each workbook is then validated on its own in `finish`
        log.exception("validating the batch together failed")
        return {}


def process_submission(received: ReceivedFile, settings: Settings) -> SubmissionRecord:
    """One file through the per-workbook stage: a batch of one."""
    return process_batch([received], settings)[0]


def _settle_one(received: ReceivedFile, parsed: tuple, settings: Settings, records: dict, faults: list, again: bool = False, validation=None) -> None:
    try:
        records[received.submission_id] = finish(received, *parsed, settings, again=again, validation=validation)
    except InfrastructureFault as fault:
        faults.append(fault)
