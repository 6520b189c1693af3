"""The feedback workbook sent back to the investee: every problem, where it is, what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ingest.issues import Issue

if TYPE_CHECKING:
    from smartdd.submission import SubmissionRecord

_FILL = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7"}
_ORDER = {"error": 0, "warning": 1, "info": 2}
_HEADLINE = {
    "rejected": "Your submission was NOT accepted. Please fix the errors below and send the workbook again.",
    "accepted_with_warnings": "Your submission was accepted. Please check the warnings below; they will appear in the due-diligence report.",
    "accepted": "Your submission was accepted.",
}


def write_feedback(path: Path, record: SubmissionRecord, issues: list[Issue]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Feedback"
    ws.append([f"File: {record.file_name}"])
    ws.append([_HEADLINE.get(record.status, record.status)])
    ws["A2"].font = Font(bold=True)
    ws.append([])
    ws.append(["severity", "sheet", "cell", "problem"])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for issue in sorted(issues, key=lambda i: (_ORDER.get(i.severity, 3), i.sheet, i.cell)):
        ws.append([issue.severity, issue.sheet, issue.cell, issue.message])
        ws.cell(ws.max_row, 1).fill = PatternFill("solid", fgColor=_FILL.get(issue.severity, "FFFFFF"))
    for column, width in zip("ABCD", (10, 16, 8, 110), strict=True):
        ws.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    wb.save(tmp)
    tmp.replace(path)
    return path
