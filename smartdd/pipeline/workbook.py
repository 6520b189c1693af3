"""The per-workbook stage: safety checks → read → validate → pseudonymise → raw zone or quarantine.

`process_submission` never raises for a bad workbook: whatever happens to the file, it
returns the record that goes into the ledger (and from there into `marts.submissions`).
"""

from __future__ import annotations

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
from smartdd.ingest.isolation import run_isolated
from smartdd.ingest.pseudonymise import load_key, pseudonymise
from smartdd.ingest.rawzone import write_submission
from smartdd.ingest.reader import read_workbook
from smartdd.ingest.safety import RejectedFile, check_workbook_file
from smartdd.records import ACCEPTED, ERROR, ISSUES_SCHEMA, LEDGER_SCHEMA, REJECTED, WARNING, WITH_WARNINGS, Issue, ReceivedFile, SubmissionRecord, has_errors
from smartdd.storage import atomic_path, infrastructure_fault, is_infrastructure_error

log = logging.getLogger(__name__)


def read_typed_workbook(path: Path, max_rows: int, pseudonymised: bool = False) -> tuple[dict[str, TypedSheet], list[Issue]]:
    """Parse untrusted XML and coerce types. Runs in a child process (see `run_isolated`).

    With `pseudonymised`, client identifiers are hashed and names and phones dropped here, in
    the child, so clear-text PII never crosses into the pipeline process (or its temp files).
    """
    raw = read_workbook(path, max_rows=max_rows)
    issues = list(raw.issues)
    sheets = {name: coerce_sheet(sheet, issues) for name, sheet in raw.sheets.items()}
    if pseudonymised:
        key = load_key()
        for typed in sheets.values():
            typed.frame = pseudonymise(typed.frame, typed.raw.spec, key)
            typed.raw.values = {}  # the raw cells are no longer needed, and hold PII
    return sheets, issues


def process_submission(received: ReceivedFile, settings: Settings) -> SubmissionRecord:
    """Whatever happens to the file, a ledger row is written for it: nothing goes unaccounted."""
    record = SubmissionRecord(
        submission_id=received.submission_id,
        file_name=received.file_name,
        file_sha256=received.sha256,
        received_at=received.received_at,
        status=REJECTED,
        reason="",
    )
    if received.refused or received.is_duplicate:
        rule = "not_a_file" if received.refused else "duplicate_file"
        record.reason = received.refused or f"This file is identical to '{received.first_name}', already received; it was not processed twice."
        _write_ledger(settings, record, [Issue("", "", ERROR, rule, record.reason)])
        return record
    sheets, issues = _read_and_validate(received, settings, record)
    _settle(record, issues)
    try:
        if record.status == REJECTED:
            _quarantine(received, settings, record)
        else:
            write_submission(settings.raw, record.submission_id, {name: typed.frame for name, typed in sheets.items()}, _provenance(sheets))
    except OSError as crash:
        if is_infrastructure_error(crash):
            raise infrastructure_fault("Storing", record.file_name, crash) from None
        raise
    except Exception as crash:  # a bug in storing: the file is rejected, still accounted for
        _log_crash("storing", record, crash)
        issues.append(
            Issue(
                "", "", ERROR, "not_stored", f"The file could not be stored ({type(crash).__name__}); it is kept in the archive. Please contact the investor."
            )
        )
        _settle(record, issues)
    try:
        _write_ledger(settings, record, issues)
    except OSError as crash:
        if is_infrastructure_error(crash):
            raise infrastructure_fault("Recording the outcome of", record.file_name, crash) from None
        raise
    if issues:
        try:
            write_feedback(settings.feedback / f"{_safe_name(record)}_feedback.xlsx", record, issues)
        except Exception as crash:
            _log_crash("writing feedback for", record, crash)
    log.info("%s: %s (%d errors, %d warnings)", record.file_name, record.status, record.errors, record.warnings)
    return record


def _read_and_validate(received: ReceivedFile, settings: Settings, record: SubmissionRecord) -> tuple[dict[str, TypedSheet], list[Issue]]:
    issues: list[Issue] = []
    sheets: dict[str, TypedSheet] = {}
    try:
        check_workbook_file(received.archived_path, settings.limits)
        sheets, issues = run_isolated(read_typed_workbook, received.archived_path, settings.limits.max_rows, pseudonymised=True)
        _identify(record, sheets)
        if not has_errors(issues):
            from smartdd.expectations.validate import validate_submission  # GX import is slow; only when needed

            issues += validate_submission(sheets)
    except RejectedFile as rejected:
        issues.append(Issue("", "", ERROR, "unreadable_file", rejected.reason))
    except OSError as crash:
        if is_infrastructure_error(crash):
            raise infrastructure_fault("Reading", received.file_name, crash) from None
        _log_crash("reading", record, crash)
        issues.append(Issue("", "", ERROR, "unreadable_file", f"The file could not be read ({type(crash).__name__}). It is kept in the archive."))
    except Exception as crash:  # a reader bug must not stop the batch; the file stays accounted for
        _log_crash("reading", record, crash)
        issues.append(
            Issue(
                "",
                "",
                ERROR,
                "unreadable_file",
                f"The file could not be read ({type(crash).__name__}). It is kept in the archive; the pipeline log has the technical details.",
            )
        )
    return sheets, issues


def _settle(record: SubmissionRecord, issues: list[Issue]) -> None:
    errors = [i for i in issues if i.severity == ERROR]
    record.errors, record.warnings = len(errors), sum(i.severity == WARNING for i in issues)
    if errors:
        record.status, record.reason = REJECTED, _reason(errors)
    else:
        record.status = WITH_WARNINGS if record.warnings else ACCEPTED
        record.reason = f"{record.warnings} warning(s)" if record.warnings else ""


def _log_crash(doing: str, record: SubmissionRecord, crash: Exception) -> None:
    """The traceback's frames but not the exception's text, which may quote a cell (PII)."""
    frames = "".join(traceback.format_tb(crash.__traceback__))
    log.error("%s %s failed with %s\n%s", doing, record.file_name, type(crash).__name__, frames)


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
