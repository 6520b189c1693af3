"""The blank submission workbook, built from the submission spec alone.

Every sheet, column, hint and drop-down comes from `ingest.spec`: adding a field to
`submission_spec.yaml` adds it here. The only language-dependent parts are the
self-assessment (indicator text, answer list), the Y/N lists and the README sheet.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from smartdd.spec import Field, Sheet, load_catalogue, load_spec

KEY_VALUE_HEADER = ("code", "description", "value", "comment")
VALUE_COLUMN = KEY_VALUE_HEADER.index("value") + 1
README_SHEET = load_spec().instructions_sheet

# What the investee picks in the drop-downs, by canonical value. Every label is an
# accepted spelling in the spec's `synonyms`, so the reader maps it back.
RESPONSE_LABELS = {
    "en": {"Yes": "Yes", "Partially": "Partially", "No": "No", "N/A": "N/A"},
    "fr": {"Yes": "Oui", "Partially": "Partiellement", "No": "Non", "N/A": "S.O."},
    "es": {"Yes": "Sí", "Partially": "Parcialmente", "No": "No", "N/A": "N.A."},
}
YES_NO_LABELS = {"en": ("Y", "N"), "fr": ("Oui", "Non"), "es": ("Sí", "No")}
PICK_FROM_LIST = {"en": "Pick a value from the list: ", "fr": "Choisissez une valeur de la liste : ", "es": "Elija un valor de la lista: "}

# Excel's last row: drop-downs cover the whole column, however long the table gets.
LAST_ROW = 1_048_576
# Excel refuses inline drop-down lists longer than this.
MAX_LIST_CHARS = 255

README_TEXT = {
    "en": [
        "smartdd quarterly submission — template {version}",
        "Fill in every sheet: {required}. Optional: {optional}.",
        "{key_value}: write each value in the 'value' column, on the row of its code.",
        "Tables: one row per item under the header row; do not rename or delete header cells.",
        "Amounts are in the currency given on Cover. Percentages are in percent: write 12 for 12 %.",
        "Dates: real Excel dates or YYYY-MM-DD. Use the drop-down lists where a cell offers one.",
        "CP_Assessment: answer every indicator; give the evidence (document, policy reference) for every Yes or Partially.",
        "Field reference:",
    ],
    "fr": [
        "smartdd — déclaration trimestrielle — modèle {version}",
        "Remplissez chaque feuille : {required}. Facultatif : {optional}.",
        "{key_value} : inscrivez chaque valeur dans la colonne « value », sur la ligne de son code.",
        "Tableaux : une ligne par élément sous la ligne d'en-tête ; ne renommez ni ne supprimez les en-têtes.",
        "Les montants sont dans la devise indiquée sur Cover. Les pourcentages sont en pour cent : écrivez 12 pour 12 %.",
        "Dates : dates Excel ou AAAA-MM-JJ. Utilisez les listes déroulantes quand une cellule en propose.",
        "CP_Assessment : répondez à chaque indicateur ; indiquez la preuve (document, référence de politique) pour chaque Oui ou Partiellement.",
        "Référence des champs (en anglais) :",
    ],
    "es": [
        "smartdd — reporte trimestral — plantilla {version}",
        "Complete cada hoja: {required}. Opcional: {optional}.",
        "{key_value}: escriba cada valor en la columna «value», en la fila de su código.",
        "Tablas: una fila por elemento debajo de la fila de encabezado; no cambie ni borre los encabezados.",
        "Los montos están en la moneda indicada en Cover. Los porcentajes van en por ciento: escriba 12 para 12 %.",
        "Fechas: fechas de Excel o AAAA-MM-DD. Use las listas desplegables cuando la celda las ofrezca.",
        "CP_Assessment: responda cada indicador; indique la evidencia (documento, referencia de política) para cada Sí o Parcialmente.",
        "Referencia de campos (en inglés):",
    ],
}

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
WRAP = Alignment(wrap_text=True, vertical="top")
TYPE_WORDS = {
    "text": "text",
    "int": "whole number",
    "number": "number",
    "pct": "percent, 12 = 12 %",
    "date": "date YYYY-MM-DD",
    "yn": "Y/N",
    "enum": "list",
}
# Between a field's description and its hint, in cells and comments.
HINT_SEPARATOR = " — "


def build_template(lang: str = "en") -> Workbook:
    """The blank submission workbook for the spec's template version, in `lang`."""
    spec = load_spec()
    languages = spec.sheet("Cover").field("language").values
    if lang not in languages:
        raise ValueError(f"Unknown template language {lang!r}; expected one of {languages}.")
    wb = Workbook()
    _write_readme(wb.active, lang)
    for sheet in spec.sheets:
        ws = wb.create_sheet(sheet.name)
        if sheet.kind == "key_value":
            _write_key_value_sheet(ws, sheet, lang)
        else:
            _write_table_sheet(ws, sheet, lang)
    _prefill_cover(wb["Cover"], spec.template_version, lang)
    wb.properties.creator = "smartdd"
    wb.properties.title = f"smartdd submission template {spec.template_version}"
    return wb


def write_template(path: Path, lang: str = "en") -> Path:
    """Write the blank template to `path` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_template(lang).save(path)
    return path


def choices(field: Field, lang: str) -> tuple[str, ...]:
    """The values offered in a field's drop-down, in the template language."""
    if field.type == "yn":
        return YES_NO_LABELS[lang]
    if field.name == "response":
        return tuple(RESPONSE_LABELS[lang][value] for value in field.values)
    return field.values


def field_hint(field: Field, lang: str) -> str:
    """Type, requirement and bounds of a field, e.g. "number; required; ≥ 0"."""
    kind = TYPE_WORDS[field.type]
    if _has_choices(field):
        kind = "list: " + ", ".join(choices(field, lang))
    if field.required is True:
        need = "required"
    elif field.required:
        need = f"required when {field.required}"
    else:
        need = "optional"
    bounds = [
        f"{symbol} {_plain(limit)}"
        for symbol, limit in (
            ("≥", field.min),
            (">", field.gt),
            ("≤", field.max),
            ("≤", field.le),
            ("≥", field.ge),
        )
        if limit is not None
    ]
    if field.default is not None:
        bounds.append(f"blank = {field.default}")
    return "; ".join([kind, need, *bounds])


def _described(field: Field, lang: str) -> str:
    return f"{field.description}{HINT_SEPARATOR}{field_hint(field, lang)}"


def _plain(number: object) -> str:
    """12.0 -> "12", so hints read like the spec."""
    return f"{number:g}" if isinstance(number, float) else str(number)


def _write_readme(ws: Worksheet, lang: str) -> None:
    spec = load_spec()
    ws.title = README_SHEET
    names = {
        "version": spec.template_version,
        "required": ", ".join(s.name for s in spec.sheets if s.required),
        "optional": ", ".join(s.name for s in spec.sheets if not s.required),
        "key_value": ", ".join(s.name for s in spec.sheets if s.kind == "key_value"),
    }
    for line in README_TEXT[lang]:
        ws.append([line.format(**names)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["sheet", "field", "rule", "description"])
    _style_header(ws, ws.max_row)
    for sheet in spec.sheets:
        for field in sheet.fields:
            ws.append([sheet.name, field.name, field_hint(field, lang), field.description])
    for letter, width in zip("ABCD", (16, 30, 60, 80), strict=True):
        ws.column_dimensions[letter].width = width


def _write_key_value_sheet(ws: Worksheet, sheet: Sheet, lang: str) -> None:
    ws.append(KEY_VALUE_HEADER)
    _style_header(ws, 1)
    for field in sheet.fields:
        ws.append([field.name, _described(field, lang)])
        row = ws.max_row
        value_cell = ws.cell(row=row, column=VALUE_COLUMN)
        value_cell.fill = INPUT_FILL
        if field.type == "date":
            value_cell.number_format = "yyyy-mm-dd"
        ws.cell(row=row, column=2).alignment = WRAP
        if _has_choices(field):
            _add_drop_down(ws, choices(field, lang), value_cell.coordinate, lang)
    for letter, width in zip("ABCD", (32, 70, 24, 40), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _write_table_sheet(ws: Worksheet, sheet: Sheet, lang: str) -> None:
    catalogue_field = next((f for f in sheet.fields if f.ref == "catalogue"), None)
    columns = _table_columns(sheet, catalogue_field)
    ws.append(columns)
    _style_header(ws, 1)
    fields = {f.name: f for f in sheet.fields}
    for col, name in enumerate(columns, start=1):
        letter = get_column_letter(col)
        field = fields.get(name)
        if field is None:
            continue  # a pre-filled display column: nothing to validate
        free_text = field.type == "text" and not field.pattern
        ws.column_dimensions[letter].width = max(30 if free_text else 14, len(name) + 4)
        if field.type == "text":
            # Text format: Excel would turn a typed id like 000123 into the number 123.
            ws.column_dimensions[letter].number_format = "@"
        header = ws.cell(row=1, column=col)
        header.comment = Comment(_described(field, lang), "smartdd", width=320, height=110)
        if _has_choices(field):
            _add_drop_down(ws, choices(field, lang), f"{letter}2:{letter}{LAST_ROW}", lang)
    if catalogue_field is not None:
        _prefill_catalogue(ws, columns, catalogue_field, lang)
    ws.freeze_panes = "B2"


def _table_columns(sheet: Sheet, catalogue_field: Field | None) -> list[str]:
    """Field codes in spec order; display columns go right after the catalogue code."""
    names = [f.name for f in sheet.fields]
    if catalogue_field is None:
        return names
    at = names.index(catalogue_field.name) + 1
    return names[:at] + list(sheet.display_columns) + names[at:]


def _prefill_catalogue(ws: Worksheet, columns: list[str], code_field: Field, lang: str) -> None:
    """One row per catalogue indicator, with its principle and text for the reader's eyes."""
    position = {name: col for col, name in enumerate(columns, start=1)}
    for row, indicator in enumerate(load_catalogue(), start=2):
        ws.cell(row=row, column=position[code_field.name], value=indicator.code)
        ws.cell(row=row, column=position["principle"], value=indicator.principle_code)
        text = ws.cell(row=row, column=position["indicator"], value=indicator.text[lang])
        text.alignment = WRAP
    ws.column_dimensions[get_column_letter(position["principle"])].width = 10
    ws.column_dimensions[get_column_letter(position["indicator"])].width = 80


def _prefill_cover(ws: Worksheet, template_version: str, lang: str) -> None:
    for row in ws.iter_rows(min_row=2):
        code = row[0].value
        if code == "template_version":
            row[VALUE_COLUMN - 1].value = template_version
        elif code == "language":
            row[VALUE_COLUMN - 1].value = lang


def _has_choices(field: Field) -> bool:
    return bool(field.values) or field.type == "yn"


def _add_drop_down(ws: Worksheet, values: tuple[str, ...], cells: str, lang: str) -> None:
    formula = '"' + ",".join(values) + '"'
    if len(formula) > MAX_LIST_CHARS:
        raise ValueError(f"Drop-down list for {cells} is too long for Excel: {formula}")
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    validation.error = PICK_FROM_LIST[lang] + ", ".join(values)
    validation.showErrorMessage = True
    validation.add(cells)
    ws.add_data_validation(validation)


def _style_header(ws: Worksheet, row: int) -> None:
    for cell in ws[row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
