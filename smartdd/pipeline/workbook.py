"""The per-workbook stage: safety checks → read → validate → pseudonymise → raw zone or quarantine.

`process_submission` never raises for a bad workbook: whatever happens to the file, it
returns the record that goes into the ledger (and from there into `marts.submissions`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import traceback
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smartdd.config import Settings
from smartdd.expectations.feedback import write_feedback
from smartdd.ingest.coerce import TypedSheet, coerce_sheet
from smartdd.ingest.pseudonymise import load_key, pseudonymise
from smartdd.ingest.rawzone import write_submission
from smartdd.ingest.reader import read_workbook
from smartdd.ingest.safety import RejectedFile
from smartdd.messages import problem, reason_issue
from smartdd.pipeline.incremental import processing_version
from smartdd.records import ACCEPTED, ERROR, ISSUES_SCHEMA, LEDGER_SCHEMA, REJECTED, WARNING, WITH_WARNINGS, Issue, ReceivedFile, SubmissionRecord, has_errors
from smartdd.storage import atomic_path, infrastructure_fault, is_infrastructure_error, is_local
from smartdd.timing import timed

log = logging.getLogger(__name__)


def read_typed_workbook(path: Path, max_rows: int, pseudonymised: bool = False, received: dt.date | None = None) -> tuple[dict[str, TypedSheet], list[Issue]]:
    """Parse untrusted XML and coerce types. Runs in a child process (see `run_isolated`).

    With `pseudonymised`, client identifiers are hashed and names and phones dropped here, in
    the child, so clear-text PII never crosses into the pipeline process (or its temp files).
    """
    raw = read_workbook(path, max_rows=max_rows)
    issues = list(raw.issues)
    sheets = {name: coerce_sheet(sheet, issues, received=received) for name, sheet in raw.sheets.items()}  # dates judged against the receipt
    cover = sheets.get("Cover")
    if cover is not None and raw.template_language and cover.value("language") is None:  # the feedback's language: else the template's
        cover.frame["language"] = pd.array([raw.template_language], dtype=cover.frame["language"].dtype)
    if pseudonymised:
        key = load_key()
        for typed in sheets.values():
            typed.frame = pseudonymise(typed.frame, typed.raw.spec, key)
            typed.raw.values = {}  # the raw cells are no longer needed, and hold PII
    return sheets, issues


def new_record(received: ReceivedFile) -> SubmissionRecord:
    return SubmissionRecord(
        submission_id=received.submission_id,
        file_name=received.file_name,
        file_sha256=received.sha256,
        received_at=received.received_at,
        status=REJECTED,
        reason="",
        processed_with=processing_version(),
    )


def not_processed(received: ReceivedFile, settings: Settings) -> SubmissionRecord | None:
    """Entries that are never read: a refused link or pipe, identical bytes under another name."""
    if not (received.refused or received.is_duplicate):
        return None
    record = new_record(received)
    if received.refused:
        issue = reason_issue(received.refused, "not_a_file")
    else:
        issue = problem("", "", ERROR, "duplicate_file", first_name=received.first_name)
    record.reason = issue.message
    _record(settings, record, [issue])
    return record


def read_typed_or_reason(received: ReceivedFile, outcome) -> tuple[dict[str, TypedSheet], list[Issue]]:
    """What the parsing worker returned, or the problem it raised, as sheets and issues."""
    if isinstance(outcome, RejectedFile):
        return {}, [reason_issue(outcome.reason, "unreadable_file")]
    if isinstance(outcome, OSError) and is_infrastructure_error(outcome):
        raise infrastructure_fault("Reading", received.file_name, outcome)
    if isinstance(outcome, BaseException):  # a reader bug must not stop the batch; the file stays accounted for
        _log_crash("reading", received.file_name, outcome)
        return {}, [problem("", "", ERROR, "read_crash", rule="unreadable_file", error=type(outcome).__name__)]
    return outcome


def needs_validation(sheets: dict[str, TypedSheet], issues: list[Issue]) -> bool:
    """Only a workbook read without errors is validated (an unreadable one would only repeat them)."""
    return bool(sheets) and not has_errors(issues)


def finish(
    received: ReceivedFile, sheets: dict[str, TypedSheet], issues: list[Issue], settings: Settings, again: bool = False, validation: list[Issue] | None = None
) -> SubmissionRecord:
    """Validate what was read, then store it (raw zone or quarantine), record it, write the feedback.

    Whatever happens to the file, a ledger row is written for it; only a fault of the machine
    (disk full, permission denied) raises, and then nothing is recorded against the investee.
    `again`: the file was processed before (under another version, or its raw zone was damaged),
    so its raw-zone folder is replaced rather than kept. `validation`: its issues when the batch
    was validated together (`expectations.batch`); else it is validated here."""
    record = new_record(received)
    _identify(record, sheets)
    if validation is not None:
        issues = issues + validation
    elif needs_validation(sheets, issues):
        try:
            from smartdd.expectations.validate import validate_submission  # GX import is slow; only when needed

            with timed("validate"):
                issues = issues + validate_submission(sheets)
        except Exception as crash:  # a validation bug must not stop the batch either
            _log_crash("validating", record.file_name, crash)
            issues = issues + [problem("", "", ERROR, "not_validated", error=type(crash).__name__)]
    _settle(record, issues)
    try:
        if record.status == REJECTED:
            _quarantine(received, settings, record)
        else:
            frames = {name: typed.frame for name, typed in sheets.items()}
            with timed("raw-zone write"):
                write_submission(settings.raw, record.submission_id, frames, _provenance(sheets), replace=again)
    except OSError as crash:
        if is_infrastructure_error(crash):
            raise infrastructure_fault("Storing", record.file_name, crash) from None
        raise
    except Exception as crash:  # a bug in storing: the file is rejected, still accounted for
        _log_crash("storing", record.file_name, crash)
        issues.append(problem("", "", ERROR, "not_stored", error=type(crash).__name__))
        _settle(record, issues)
    # a workbook that was read gets its own sheets back in the feedback (streamed, rows capped)
    _record(settings, record, issues, original=received.archived_path if sheets else None)
    log.info("%s: %s (%d errors, %d warnings)", record.file_name, record.status, record.errors, record.warnings)
    return record


def _record(settings: Settings, record: SubmissionRecord, issues: list[Issue], original: Path | None = None) -> None:
    try:
        _write_ledger(settings, record, issues)
    except OSError as crash:
        if is_infrastructure_error(crash):
            raise infrastructure_fault("Recording the outcome of", record.file_name, crash) from None
        raise
    if issues:
        target = settings.feedback / f"{_safe_name(record)}_feedback.xlsx"
        try:
            write_feedback(target, record, issues, original=original)
        except Exception as crash:
            _log_crash("writing feedback for", record.file_name, crash)
            if original is not None:  # copying the sheets back failed: the list of problems still goes out
                try:
                    write_feedback(target, record, issues)
                except Exception as again:
                    _log_crash("writing feedback for", record.file_name, again)


def _settle(record: SubmissionRecord, issues: list[Issue]) -> None:
    errors = [i for i in issues if i.severity == ERROR]
    record.errors, record.warnings = len(errors), sum(i.severity == WARNING for i in issues)
    if errors:
        record.status, record.reason = REJECTED, _reason(errors)
    else:
        record.status = WITH_WARNINGS if record.warnings else ACCEPTED
        record.reason = f"{record.warnings} warning(s)" if record.warnings else ""


def _log_crash(doing: str, file_name: str, crash: BaseException) -> None:
    """The traceback's frames but not the exception's text, which may quote a cell (PII)."""
    frames = "".join(traceback.format_tb(crash.__traceback__))
    log.error("%s %s failed with %s\n%s", doing, file_name, type(crash).__name__, frames)


def _identify(record: SubmissionRecord, sheets: dict[str, TypedSheet]) -> None:
    cover = sheets.get("Cover")
    if cover is None:
        return
    investee_id, language = cover.value("investee_id"), cover.value("language")
    record.investee_id = None if investee_id is None else str(investee_id)
    record.period_end = cover.value("period_end")
    record.language = str(language or "en")


def _reason(errors: list[Issue]) -> str:
    first = errors[0]
    where = f"{first.sheet}!{first.cell}: " if first.cell else (f"{first.sheet}: " if first.sheet else "")
    more = f" (and {len(errors) - 1} more problem(s), see the feedback workbook)" if len(errors) > 1 else ""
    return f"{where}{first.message}{more}"


def _safe_name(record: SubmissionRecord) -> str:
    """A file name for derived files: submission id first, the received name flattened and capped."""
    stem = re.sub(r"[^\w.-]+", "_", Path(record.file_name).stem)[:80]
    return f"{stem}__{record.submission_id}"


def _quarantine(received: ReceivedFile, settings: Settings, record: SubmissionRecord) -> None:
    """A copy of the rejected file, local, for the operator. Files of a remote archive arrive here
    as their local copy (`batch`); one still remote was too large to fetch, and stays in the archive only."""
    if not is_local(received.archived_path):
        log.info("%s: not copied to the quarantine (over the size limit); it stays in the archive", record.file_name)
        return
    target = settings.quarantine / f"{_safe_name(record)}{received.archived_path.suffix}"
    if not target.exists():
        with atomic_path(target) as tmp:  # a full disk never leaves half a copy that a re-run would keep
            shutil.copyfile(received.archived_path, tmp)


def _provenance(sheets: dict[str, TypedSheet]) -> pd.DataFrame:
    """Where each field came from: key-value fields to their cell, table fields to their column."""
    rows = []
    for name, typed in sheets.items():
        raw = typed.raw
        for f in raw.spec.stored_fields:
            if raw.spec.kind == "key_value":
                rows.append((name, f.name, raw.columns["value"], raw.field_rows.get(f.name)))
            elif f.name in raw.columns:
                rows.append((name, f.name, raw.columns[f.name], None))
    return pd.DataFrame(rows, columns=["sheet", "field", "column_letter", "row_number"]).astype({"row_number": "Int64"})


def _write_ledger(settings: Settings, record: SubmissionRecord, issues: list[Issue]) -> None:
    """One small Parquet file per submission, replaced whole: re-runs are idempotent."""
    for folder, table in (
        ("submissions", pa.Table.from_pylist([record.as_row()], schema=LEDGER_SCHEMA)),
        ("issues", pa.Table.from_pylist([{"submission_id": record.submission_id, **i.as_row()} for i in issues], schema=ISSUES_SCHEMA)),
    ):
        with atomic_path(settings.ledger / folder / f"{record.submission_id}.parquet") as tmp:
            pq.write_table(table, tmp)
