"""The per-workbook stage over a batch of received files, parsed by a pool of long-lived workers.

For each file: reuse its outcome if its bytes were already processed under the same version
(`incremental`); else the safety gate (in this process, before any parser), then parsing,
coercion and pseudonymisation in a worker (`ingest.worker_pool`: memory cap, timeout, a dead
worker replaced and its file rejected with the reason), then validation, storing and recording
(`workbook.finish`) as each file comes back. One file's fault never stops the others: a fault of
the machine is raised after the rest of the batch is done.
"""

from __future__ import annotations

import logging
import os

from smartdd.config import Settings
from smartdd.ingest.safety import RejectedFile, check_workbook_file
from smartdd.ingest.worker_pool import WorkerPool
from smartdd.pipeline.incremental import previous_outcome, was_processed_before
from smartdd.pipeline.workbook import finish, not_processed, read_typed_or_reason, read_typed_workbook
from smartdd.progress import progress
from smartdd.records import ERROR, REJECTED, Issue, ReceivedFile, SubmissionRecord
from smartdd.storage import InfrastructureFault, infrastructure_fault, is_infrastructure_error
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
    records: dict[str, SubmissionRecord] = {}
    faults: list[InfrastructureFault] = []
    to_parse: dict[str, ReceivedFile] = {}
    for received in receipts:
        done = (previous_outcome(settings, received.submission_id) if reuse else None) or not_processed(received, settings)
        if done is not None:
            records[received.submission_id] = done
            continue
        try:
            check_workbook_file(received.archived_path, settings.limits)
            to_parse[received.submission_id] = received
        except RejectedFile as rejected:
            _settle_one(received, ({}, [Issue("", "", ERROR, "unreadable_file", rejected.reason)]), settings, records, faults)
        except OSError as error:
            if not is_infrastructure_error(error):
                raise
            faults.append(infrastructure_fault("Reading", received.file_name, error))
    if to_parse:
        jobs = [(sid, (r.archived_path, settings.limits.max_rows, True)) for sid, r in to_parse.items()]
        with (
            WorkerPool(size=min(workers or parse_workers(), len(jobs)), memory_bytes=PARSE_MEMORY_BYTES, timeout_s=PARSE_TIMEOUT_S) as pool,
            progress("ingest", len(jobs)) as bar,
        ):
            results = pool.map(read_typed_workbook, jobs)
            while True:
                with timed("parse"):  # waiting for the workers
                    item = next(results, None)
                if item is None:
                    break
                submission_id, outcome = item
                received = to_parse[submission_id]
                try:
                    parsed = read_typed_or_reason(received, outcome)
                except InfrastructureFault as fault:
                    faults.append(fault)
                    continue
                _settle_one(received, parsed, settings, records, faults, again=was_processed_before(settings, submission_id))
                bar.advance(rejected=submission_id in records and records[submission_id].status == REJECTED)
    if faults:  # the operator's problem: the run fails with it, the files wait for the next run
        raise InfrastructureFault(" ".join(dict.fromkeys(str(f) for f in faults)))
    return [records[r.submission_id] for r in receipts if r.submission_id in records]


def process_submission(received: ReceivedFile, settings: Settings) -> SubmissionRecord:
    """One file through the per-workbook stage: a batch of one."""
    return process_batch([received], settings)[0]


def _settle_one(received: ReceivedFile, parsed: tuple, settings: Settings, records: dict, faults: list, again: bool = False) -> None:
    try:
        records[received.submission_id] = finish(received, *parsed, settings, again=again)
    except InfrastructureFault as fault:
        faults.append(fault)
