"""The per-workbook stage: safety checks → read → validate → pseudonymise → raw zone or quarantine.

`process_submission` never raises for a bad workbook: whatever happens to the file, it
returns the record that goes into the ledger (and from there into `marts.submissions`).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.archive import ReceivedFile
from ingest.coerce import TypedSheet, coerce_sheet
from ingest.issues import ERROR, WARNING, Issue, has_errors
from ingest.pseudonymise import pseudonymise
from ingest.rawzone import write_submission
from ingest.reader import read_workbook
from ingest.safety import RejectedFile, check_workbook_file, run_isolated
from smartdd.config import Settings
from smartdd.feedback import write_feedback

log = logging.getLogger(__name__)

ACCEPTED, WITH_WARNINGS, REJECTED = "accepted", "accepted_with_warnings", "rejected"
LEDGER_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("investee_id", pa.string()),
        ("period_end", pa.date32()),
        ("file_name", pa.string()),
        ("file_sha256", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("errors", pa.int64()),
        ("warnings", pa.int64()),
        ("language", pa.string()),
    ]
)
ISSUES_SCHEMA = pa.schema([("submission_id", pa.string()), ("sheet", pa.string()), ("cell", pa.string()), ("severity", pa.string()), ("rule", pa.string()), ("message", pa.string())])


@dataclass
class SubmissionRecord:
    submission_id: str
    file_name: str
    file_sha256: str
    received_at: dt.datetime
    status: str
    reason: str
    investee_id: str | None = None
    period_end: dt.date | None = None
    errors: int = 0
    warnings: int = 0
    language: str = "en"

    def summary(self) -> dict:
        out = asdict(self)
        out["received_at"] = self.received_at.isoformat()
        out["period_end"] = self.period_end.isoformat() if self.period_end else None
        return out


def read_typed_workbook(path: Path, max_rows: int) -> tuple[dict[str, TypedSheet], list[Issue]]:
    """Parse untrusted XML and coerce types. Runs in a child process (see `run_isolated`)."""
    raw = read_workbook(path, max_rows=max_rows)
    issues = list(raw.issues)
    sheets = {name: coerce_sheet(sheet, issues) for name, sheet in raw.sheets.items()}
    return sheets, issues


def process_submission(received: ReceivedFile, settings: Settings, key: bytes) -> SubmissionRecord:
    record = SubmissionRecord(
        submission_id=received.submission_id,
        file_name=received.path.name,
        file_sha256=received.sha256,
        received_at=received.received_at,
        status=REJECTED,
        reason="",
    )
    issues: list[Issue] = []
    sheets: dict[str, TypedSheet] = {}
    if received.is_duplicate:
        record.reason = f"This file is identical to '{received.first_name}', already received; it was not processed twice."
        _write_ledger(settings, record, [Issue("", "", ERROR, "duplicate_file", record.reason)])
        return record
    try:
        check_workbook_file(received.archived_path, settings.limits)
        sheets, issues = run_isolated(read_typed_workbook, received.archived_path, settings.limits.max_rows)
        _identify(record, sheets)
        if not has_errors(issues):
            from expectations.validate import validate_submission  # GX import is slow; only when needed

            issues += validate_submission(sheets)
    except RejectedFile as rejected:
        issues.append(Issue("", "", ERROR, "unreadable_file", rejected.reason))
    except Exception as crash:  # a reader bug must not stop the batch; the file stays accounted for
        log.exception("reading %s failed", received.path.name)
        issues.append(Issue("", "", ERROR, "unreadable_file", f"The file could not be read ({type(crash).__name__}). It was kept; the smartdd team has been told."))

    errors = [i for i in issues if i.severity == ERROR]
    record.errors, record.warnings = len(errors), sum(i.severity == WARNING for i in issues)
    if errors:
        record.status = REJECTED
        record.reason = _reason(errors)
        _quarantine(received, settings)
    else:
        frames = {name: pseudonymise(typed.frame, typed.raw.spec, key) for name, typed in sheets.items()}
        write_submission(settings.raw, record.submission_id, frames, _provenance(sheets))
        record.status = WITH_WARNINGS if record.warnings else ACCEPTED
        record.reason = f"{record.warnings} warning(s)" if record.warnings else ""
    _write_ledger(settings, record, issues)
    if issues:
        write_feedback(settings.feedback / f"{Path(record.file_name).stem}__{record.submission_id}_feedback.xlsx", record, issues)
    log.info("%s: %s (%d errors, %d warnings)", record.file_name, record.status, record.errors, record.warnings)
    return record


def _identify(record: SubmissionRecord, sheets: dict[str, TypedSheet]) -> None:
    cover = sheets.get("Cover")
    if cover is None:
        return
    row = cover.frame.iloc[0]
    record.investee_id = None if pd.isna(row["investee_id"]) else str(row["investee_id"])
    record.period_end = None if pd.isna(row["period_end"]) else row["period_end"]
    record.language = "en" if pd.isna(row["language"]) else str(row["language"])


def _reason(errors: list[Issue]) -> str:
    first = errors[0]
    where = f"{first.sheet}!{first.cell}: " if first.cell else (f"{first.sheet}: " if first.sheet else "")
    more = f" (and {len(errors) - 1} more problem(s), see the feedback workbook)" if len(errors) > 1 else ""
    return f"{where}{first.message}{more}"


def _quarantine(received: ReceivedFile, settings: Settings) -> None:
    target = settings.quarantine / f"{received.submission_id}__{received.path.name}"
    if not target.exists():
        shutil.copyfile(received.archived_path, target)


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
        ("submissions", pa.Table.from_pylist([asdict(record)], schema=LEDGER_SCHEMA)),
        ("issues", pa.Table.from_pylist([{"submission_id": record.submission_id, **i.as_row()} for i in issues], schema=ISSUES_SCHEMA)),
    ):
        target = settings.ledger / folder / f"{record.submission_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        pq.write_table(table, tmp)
        tmp.replace(target)
