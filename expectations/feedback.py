"""The feedback workbook sent back to the investee: every problem, where it is, what to do."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from smartdd.records import Issue, SubmissionRecord
from smartdd.safe_text import keep_as_text
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
    wb = Workbook()
    ws = wb.active
    ws.title = "Feedback"
    text = _TEXT.get(record.language, _TEXT["en"])
    ws.append([f"{text['file']}: {record.file_name}"])
    ws.append([text.get(record.status, record.status)])
    ws["A2"].font = Font(bold=True)
    ws.append([])
    ws.append(text["header"])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for issue in sorted(issues, key=lambda i: (_ORDER.get(i.severity, 3), i.sheet, i.cell)):
        ws.append([issue.severity, issue.sheet, issue.cell, issue.message])
        keep_as_text(ws[ws.max_row])
        ws.cell(ws.max_row, 1).fill = PatternFill("solid", fgColor=_FILL.get(issue.severity, "FFFFFF"))
    for column, width in zip("ABCD", (10, 16, 8, 110), strict=True):
        ws.column_dimensions[column].width = width
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
