"""`smartdd check`: validate workbooks exactly as the pipeline would, write the feedback, store nothing else.

Same safety gate, same isolated reader (memory cap and timeout of the batch's workers), same
validation; no pseudonymisation key is needed (the child never hashes: nothing is stored).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from smartdd.config import Settings
from smartdd.expectations.feedback import write_feedback
from smartdd.ingest.isolation import run_isolated
from smartdd.ingest.safety import RejectedFile, check_workbook_file
from smartdd.messages import language, problem, reason_issue, render_issue
from smartdd.pipeline.batch import PARSE_MEMORY_BYTES, PARSE_TIMEOUT_S
from smartdd.pipeline.workbook import _identify, _settle, needs_validation, read_typed_workbook
from smartdd.records import ERROR, REJECTED, Issue, SubmissionRecord, has_errors


def check_file(path: Path, settings: Settings | None = None) -> tuple[SubmissionRecord, list[Issue]]:
    """The record and issues the pipeline would give this file (nothing is stored)."""
    settings = settings or Settings.from_env()
    now = dt.datetime.now(dt.UTC)
    record = SubmissionRecord(submission_id="check", file_name=path.name, file_sha256="", received_at=now, status=REJECTED, reason="")
    sheets: dict = {}
    try:
        check_workbook_file(path, settings.limits)
        sheets, issues = run_isolated(
            read_typed_workbook, path, settings.limits.max_rows, False, now.date(), memory_bytes=PARSE_MEMORY_BYTES, timeout_s=PARSE_TIMEOUT_S
        )
    except RejectedFile as rejected:
        issues = [reason_issue(rejected.reason, "unreadable_file")]
    except Exception as crash:  # noqa: BLE001 - a reader bug is a rejection, as in the pipeline
        issues = [problem("", "", ERROR, "read_failed", rule="unreadable_file", error=type(crash).__name__)]
    _identify(record, sheets)
    if needs_validation(sheets, issues):
        from smartdd.expectations.validate import validate_submission  # GX import is slow

        issues = issues + validate_submission(sheets)
    _settle(record, issues)
    return record, issues


def feedback_name(path: Path) -> str:
    return re.sub(r"[^\w.-]+", "_", path.stem)[:80] + "_feedback.xlsx"


def check_files(paths: list[Path], out_dir: Path, lang: str | None = None, echo=print) -> int:
    """Check each file, print its problems, write its feedback into out_dir; 0 when all would be accepted."""
    settings = Settings.from_env()
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = False
    for path in paths:
        path = Path(path)
        record, issues = check_file(path, settings)
        record.language = language(lang, record.language)
        failed |= has_errors(issues)
        echo(f"{path}: {record.status} ({record.errors} error(s), {record.warnings} warning(s))")
        for issue in issues:
            where = f"{issue.sheet}!{issue.cell}" if issue.cell else (issue.sheet or "(file)")
            echo(f"  {where} [{issue.severity}] {render_issue(issue, record.language)}")
        original = path if path.is_file() and not has_errors([i for i in issues if i.rule == "unreadable_file"]) else None
        written = write_feedback(out_dir / feedback_name(path), record, issues, original=original)
        echo(f"  feedback: {written}")
    return 1 if failed else 0
