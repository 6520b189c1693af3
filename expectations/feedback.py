"""The feedback workbook sent back to the investee: every problem, where it is, what to do."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from smartdd.records import Issue, SubmissionRecord
from smartdd.safe_text import write_row
from smartdd.storage import atomic_path

_FILL = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7"}
_ORDER = {"error": 0, "warning": 1, "info": 2}
# The frame of the workbook follows the template's language; the problem texts are English.
_TEXT = {
    "en": {
        "rejected": "Your submission was NOT accepted. Please fix the errors below and send the workbook again.",
        "accepted_with_warnings": "Your submission was accepted. Please check the warnings below; they will appear in the due-diligence report.",
        "accepted": "Your submission was accepted.",
        "file": "File",
        "header": ["severity", "sheet", "cell", "problem"],
    },
    "fr": {
        "rejected": "Votre envoi n'a PAS été accepté. Corrigez les erreurs ci-dessous et renvoyez le classeur.",
        "accepted_with_warnings": "Votre envoi a été accepté. Vérifiez les avertissements ci-dessous ; ils figureront dans le rapport de due diligence.",
        "accepted": "Votre envoi a été accepté.",
        "file": "Fichier",
        "header": ["gravité", "feuille", "cellule", "problème"],
    },
    "es": {
        "rejected": "Su envío NO fue aceptado. Corrija los errores siguientes y envíe el libro de nuevo.",
        "accepted_with_warnings": "Su envío fue aceptado. Revise las advertencias siguientes; aparecerán en el informe de debida diligencia.",
        "accepted": "Su envío fue aceptado.",
        "file": "Archivo",
        "header": ["gravedad", "hoja", "celda", "problema"],
    },
}


def write_feedback(path: Path, record: SubmissionRecord, issues: list[Issue]) -> Path:
    """Linear in the number of issues (rows are written by index, never by rescanning the sheet)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Feedback"
    text = _TEXT.get(record.language, _TEXT["en"])
    write_row(ws, 1, [f"{text['file']}: {record.file_name}"])
    write_row(ws, 2, [text.get(record.status, record.status)])[0].font = Font(bold=True)
    for cell in write_row(ws, 4, text["header"]):
        cell.font = Font(bold=True)
    fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in _FILL.items()}
    for row, issue in enumerate(sorted(issues, key=lambda i: (_ORDER.get(i.severity, 3), i.sheet, i.cell)), start=5):
        cells = write_row(ws, row, [issue.severity, issue.sheet, issue.cell, issue.message])
        cells[0].fill = fills.get(issue.severity, PatternFill())
    for column, width in zip("ABCD", (10, 16, 8, 110), strict=True):
        ws.column_dimensions[column].width = width
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
