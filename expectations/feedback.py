"""The feedback workbook sent back to the investee: every problem, where it is, what to do.

In the investee's language (the Cover's `language`, else English): each problem is rendered
from its code and parameters by the message catalogue, fields by their label with the code in
brackets; a problem made without a code keeps its (English) sentence. Each row also shows the value
found in the cell (read back from the workbook as received, never from a client-data column) and
what the rule expects (the catalogue's `expected` text of the code)."""

from __future__ import annotations

import datetime as dt
import json
import re
from itertools import islice
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from smartdd.messages import expectation_of, language, render_issue
from smartdd.records import Issue, SubmissionRecord
from smartdd.safe_text import excel_value, write_row
from smartdd.spec import Sheet, load_spec, normalise_name
from smartdd.storage import atomic_path

MAX_COPIED_ROWS = 20_000  # rows of each of the investee's sheets copied back (values only)
_HEADER_SEARCH_ROWS = 10
_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")

_FILL = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7"}
_ORDER = {"error": 0, "warning": 1, "info": 2}
# The frame of the workbook, in the investee's language; the problems are said by the message catalogue (smartdd.messages).
_TEXT = {
    "en": {
        "rejected": "Your submission was NOT accepted. Please fix the errors below and send the workbook again.",
        "accepted_with_warnings": "Your submission was accepted. Please check the warnings below; they will appear in the due-diligence report.",
        "accepted": "Your submission was accepted.",
        "file": "File",
        "header": ["severity", "sheet", "cell", "value found", "what is expected", "problem"],
        "client_data": "(client data, not copied)",
        "empty": "(empty)",
        "summary": "Summary",
        "outcome": "Outcome",
        "errors": "Errors",
        "warnings": "Warnings",
        "infos": "Notes",
        "next": "What to do next",
        "copied": "Your sheets are copied back after this one: the cells with a problem are coloured and carry a comment (hover over them).",
        "next_rejected": "Fix every error in your own workbook (not in this copy) and send it again.",
        "next_warnings": "No action is needed for acceptance; please review the warnings.",
        "severity": {"error": "error", "warning": "warning", "info": "note"},
    },
    "fr": {
        "rejected": "Votre envoi n'a PAS été accepté. Corrigez les erreurs ci-dessous et renvoyez le classeur.",
        "accepted_with_warnings": "Votre envoi a été accepté. Vérifiez les avertissements ci-dessous ; ils figureront dans le rapport de due diligence.",
        "accepted": "Votre envoi a été accepté.",
        "file": "Fichier",
        "header": ["gravité", "feuille", "cellule", "valeur trouvée", "attendu", "problème"],
        "client_data": "(donnée client, non recopiée)",
        "empty": "(vide)",
        "summary": "Résumé",
        "outcome": "Résultat",
        "errors": "Erreurs",
        "warnings": "Avertissements",
        "infos": "Notes",
        "next": "Que faire ensuite",
        "copied": "Vos feuilles sont recopiées après celle-ci : les cellules en cause sont colorées et portent un commentaire (survolez-les).",
        "next_rejected": "Corrigez chaque erreur dans votre propre classeur (pas dans cette copie) et renvoyez-le.",
        "next_warnings": "Aucune action n'est requise pour l'acceptation ; vérifiez les avertissements.",
        "severity": {"error": "erreur", "warning": "avertissement", "info": "note"},
    },
    "es": {
        "rejected": "Su envío NO fue aceptado. Corrija los errores siguientes y envíe el libro de nuevo.",
        "accepted_with_warnings": "Su envío fue aceptado. Revise las advertencias siguientes; aparecerán en el informe de debida diligencia.",
        "accepted": "Su envío fue aceptado.",
        "file": "Archivo",
        "header": ["gravedad", "hoja", "celda", "valor encontrado", "lo esperado", "problema"],
        "client_data": "(dato de cliente, no copiado)",
        "empty": "(vacía)",
        "summary": "Resumen",
        "outcome": "Resultado",
        "errors": "Errores",
        "warnings": "Advertencias",
        "infos": "Notas",
        "next": "Qué hacer ahora",
        "copied": "Sus hojas se copian después de esta: las celdas con un problema están coloreadas y llevan un comentario (pase el cursor sobre ellas).",
        "next_rejected": "Corrija cada error en su propio libro (no en esta copia) y envíelo de nuevo.",
        "next_warnings": "No se requiere ninguna acción para la aceptación; revise las advertencias.",
        "severity": {"error": "error", "warning": "advertencia", "info": "nota"},
    },
}


def write_feedback(path: Path, record: SubmissionRecord, issues: list[Issue], original: Path | None = None) -> Path:
    """Linear in the number of issues (rows are written by index, never by rescanning the sheet).

    With `original` (the workbook as received), the investee's template sheets are copied back
    after the list, values only and capped at MAX_COPIED_ROWS rows, each problem cell coloured
    and commented; client-data (PII) columns are left out, and a sheet whose PII columns cannot
    be located is not copied at all."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Feedback"
    lang = language(record.language)
    text = _TEXT[lang]
    write_row(ws, 1, [f"{text['file']}: {record.file_name}"])
    write_row(ws, 2, [text.get(record.status, record.status)])[0].font = Font(bold=True)
    for cell in write_row(ws, 4, text["header"]):
        cell.font = Font(bold=True)
    fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in _FILL.items()}
    _write_summary(wb.create_sheet("Summary"), record, issues, text, copied=original is not None)
    values = _copy_sheets(wb, Path(original), issues, fills, lang) if original is not None else {}
    pii, wrap = _pii_fields(), Alignment(wrap_text=True, vertical="top")
    for row, issue in enumerate(sorted(issues, key=lambda i: (_ORDER.get(i.severity, 3), i.sheet, i.cell)), start=5):
        found = _value_found(issue, values, pii, text)
        cells = write_row(ws, row, [_severity(issue, text), issue.sheet, issue.cell, found, expectation_of(issue, lang), render_issue(issue, lang)])
        cells[0].fill = fills.get(issue.severity, PatternFill())
        cells[4].alignment = wrap
    for column, width in zip("ABCDEF", (10, 16, 8, 24, 40, 100), strict=True):
        ws.column_dimensions[column].width = width
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _write_summary(ws, record: SubmissionRecord, issues: list[Issue], text: dict, copied: bool) -> None:
    counts = {severity: sum(i.severity == severity for i in issues) for severity in _ORDER}
    rejected = counts["error"] > 0
    outcome = text["rejected" if rejected else ("accepted_with_warnings" if counts["warning"] else "accepted")]
    rows = [
        [text["summary"]],
        [text["file"], record.file_name],
        [text["outcome"], outcome],
        [text["errors"], counts["error"]],
        [text["warnings"], counts["warning"]],
        [text["infos"], counts["info"]],
        [text["next"], text["next_rejected"] if rejected else (text["next_warnings"] if counts["warning"] else text["accepted"])],
    ]
    if copied:
        rows.append(["", text["copied"]])
    for row, values in enumerate(rows, start=1):
        cells = write_row(ws, row, values)
        if row == 1 or (row == 3 and rejected):
            cells[-1].font = Font(bold=True)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 20, 110


def _severity(issue: Issue, text: dict) -> str:
    return text["severity"].get(issue.severity, issue.severity)


_CLIENT_DATA = object()  # a problem cell whose value is client data: never shown
_EMPTY = object()  # a problem cell read back empty
_QUOTES_VALUE = {"unreadable", "date_too_early", "date_after_receipt"}  # codes whose `value` is the cell's (where it may be quoted)


def _pii_fields() -> set[str]:
    return {f.name for sheet in load_spec().sheets for f in sheet.fields if f.pii}


def _value_found(issue: Issue, values: dict, pii: set[str], text: dict):
    """The value of the problem cell as the investee wrote it; client data never (the cell's column or the issue's field)."""
    try:
        params = json.loads(issue.params or "{}")
    except ValueError:
        params = {}
    if not isinstance(params, dict):
        params = {}
    quoted = params.get("found", params.get("value") if issue.code in _QUOTES_VALUE else None)  # as the message quotes it
    value = values.get((issue.sheet, issue.cell), quoted)
    if value is _CLIENT_DATA or params.get("field") in pii:
        return text["client_data"]
    if value is _EMPTY:
        return text["empty"]
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def _copy_sheets(wb: Workbook, original: Path, issues: list[Issue], fills: dict, lang: str) -> dict:
    """The investee's template sheets, values only, problem cells coloured and commented.

    Returns the value of each problem cell as read, {(sheet, cell): value}, `_CLIENT_DATA` for a
    cell in a client-data column or a client sheet whose columns cannot be located."""
    read: dict = {}
    spec = load_spec()
    template = {normalise_name(s.name): s for s in spec.sheets}
    by_sheet: dict[str, dict[str, list[Issue]]] = {}
    for issue in issues:
        if _CELL.match(issue.cell or ""):
            by_sheet.setdefault(issue.sheet, {}).setdefault(issue.cell, []).append(issue)
    source = load_workbook(original, read_only=True, data_only=True)
    try:
        taken = {normalise_name(n) for n in wb.sheetnames}
        for ws_in in source.worksheets:
            sheet = template.get(normalise_name(ws_in.title))
            if sheet is None or normalise_name(ws_in.title) in taken:
                continue  # README, unknown sheets (they may hold anything) and duplicates are never copied
            rows = ws_in.iter_rows(values_only=True)
            head = list(islice(rows, _HEADER_SEARCH_ROWS))
            dropped = _pii_positions(sheet, head)
            if dropped is None:
                read.update(dict.fromkeys(((ws_in.title, cell) for cell in by_sheet.get(ws_in.title, {})), _CLIENT_DATA))
                continue  # client data whose columns cannot be located: fail closed
            ws = wb.create_sheet(ws_in.title[:31])
            taken.add(normalise_name(ws_in.title))
            for number, values in enumerate(islice(_chain(head, rows), MAX_COPIED_ROWS), start=1):
                if values:
                    write_row(ws, number, [None if i in dropped else _plain(v) for i, v in enumerate(values)])
            for cell, found in by_sheet.get(ws_in.title, {}).items():
                target = ws[cell]
                read[ws_in.title, cell] = _CLIENT_DATA if target.column - 1 in dropped else _or_empty(target)
                if target.column - 1 in dropped:
                    target.value = None
                worst = min(found, key=lambda i: _ORDER.get(i.severity, 3))
                target.fill = fills.get(worst.severity, PatternFill())
                said = "\n".join(f"{_severity(i, _TEXT[lang])}: {render_issue(i, lang)}" for i in found)
                target.comment = Comment(excel_value(said), "smartdd")
    finally:
        source.close()
    return read


def _or_empty(cell):
    """A copied cell's value; `_EMPTY` when it is empty (and within the rows copied, so read)."""
    return _EMPTY if cell.value is None and cell.row <= MAX_COPIED_ROWS else cell.value


def _chain(head: list, rows):
    yield from head
    yield from rows


def _pii_positions(sheet: Sheet, head: list[tuple]) -> set[int] | None:
    """Zero-based columns holding client data (PII), their header included; None when they cannot be found."""
    pii = {normalise_name(f.name) for f in sheet.fields if f.pii}
    if not pii:
        return set()
    known = {normalise_name(f.name) for f in sheet.fields}
    for values in head:
        keys = [normalise_name(v) if v is not None else "" for v in values or ()]
        if len({k for k in keys if k in known}) >= 2:
            return {i for i, k in enumerate(keys) if k in pii}
    return None


def _plain(value):
    """A copied value as plain data: text, number, date or bool (never a formula: values only)."""
    return value if value is None or isinstance(value, (int, float, bool, str)) or hasattr(value, "isoformat") else str(value)
