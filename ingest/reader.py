"""Read a submission workbook into raw, untyped sheets with provenance.

Applies the spec's reading rules that are about *where* values are: sheet-name matching,
header-row search, columns in any order, key-value rows by code, empty rows, the 20-row
empty block that ends a table. Turning values into types is `coerce.py`'s job.

openpyxl (read-only, cached values) reads the small sheets because only it reports number
formats (12 % cells) and error cells; the loan tape goes through `fast_table.py` when it is
large. Either way every value keeps its sheet, row and column letter.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from ingest.cells import UNCACHED, ExcelError, PercentValue
from ingest.issues import ERROR, INFO, WARNING, Issue
from ingest.spec import Sheet, Spec, load_spec, normalise_name
from ingest.xmlscan import SheetScan, scan_sheet_xml, sheet_members

HEADER_SEARCH_ROWS = 10
EMPTY_BLOCK_ROWS = 20
KEY_VALUE_HEADER = ("code", "value")


@dataclass
class RawSheet:
    """One sheet's values as read: a column of raw cell values per field, plus row numbers."""

    spec: Sheet
    title: str  # the sheet's name in the workbook
    columns: dict[str, str]  # field -> column letter (tables) or the value column (key-value)
    values: dict[str, list] = field(default_factory=dict)  # field -> raw values
    rows: list[int] = field(default_factory=list)  # tables: the row of each record
    field_rows: dict[str, int] = field(default_factory=dict)  # key-value: the row of each field

    def cell(self, field_name: str, index: int = 0) -> str:
        if self.spec.kind == "key_value":
            row = self.field_rows.get(field_name)
            return f"{self.columns['value']}{row}" if row else ""
        return f"{self.columns.get(field_name, '')}{self.rows[index]}"


@dataclass
class RawWorkbook:
    sheets: dict[str, RawSheet]
    issues: list[Issue]


def read_workbook(path: Path, spec: Spec | None = None, max_rows: int = 1_000_000) -> RawWorkbook:
    spec = spec or load_spec()
    issues: list[Issue] = []
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    with zipfile.ZipFile(path) as zf:
        members = sheet_members(zf)
        titles = {normalise_name(t): t for t in wb.sheetnames}
        known = {normalise_name(s.name) for s in spec.sheets}
        for key, title in titles.items():
            if key not in known:
                issues.append(Issue(title, "", INFO, "unknown_sheet", f"Sheet '{title}' is not part of the template and was ignored."))
        sheets = {}
        for sheet_spec in spec.sheets:
            title = titles.get(normalise_name(sheet_spec.name))
            if title is None:
                if sheet_spec.required:
                    issues.append(Issue(sheet_spec.name, "", ERROR, "missing_sheet", f"The required sheet '{sheet_spec.name}' is missing."))
                continue
            scan = scan_sheet_xml(zf, members[title]) if title in members else SheetScan()
            ws = wb[title]
            ws.reset_dimensions()  # never trust the declared <dimension>: it may lie either way
            reader = _read_key_value if sheet_spec.kind == "key_value" else _read_table
            raw = reader(ws, sheet_spec, title, scan, issues, max_rows)
            if raw is not None:
                sheets[sheet_spec.name] = raw
    wb.close()
    return RawWorkbook(sheets=sheets, issues=issues)


def _cell_value(row: tuple, position: int, row_number: int, scan: SheetScan):
    """The cell's value, keeping what a plain value would lose (percent format, errors)."""
    cell = row[position] if position < len(row) else None
    value = getattr(cell, "value", None)
    coordinate = f"{get_column_letter(position + 1)}{row_number}"
    if coordinate in scan.errors:
        return ExcelError(scan.errors[coordinate])
    if value is None:
        return UNCACHED if coordinate in scan.uncached_formulas else None
    if getattr(cell, "data_type", None) == "e":
        return ExcelError(str(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return PercentValue(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _is_empty(row) -> bool:
    return all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in row)


def _numbered(rows):
    """openpyxl read-only yields every row from 1 (gaps as empty tuples): count them."""
    return enumerate(rows, start=1)


def _find_header(rows: list, wanted: set[str], minimum: int) -> tuple[int, dict[str, int]] | None:
    """The first row (within the first 10) holding at least `minimum` expected codes."""
    for index, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = {}
        for position, cell in enumerate(row):
            key = normalise_name(cell.value) if cell.value is not None else ""
            if key in wanted and key not in found:
                found[key] = position
        if len(found) >= minimum:
            return index, found
    return None


def _data_rows(row_iter, max_rows: int, sheet: str, issues: list[Issue]):
    """Yield non-empty rows; stop at a fully empty block of 20 rows or at the row limit."""
    empty_run = 0
    count = 0
    for number, row in row_iter:
        if _is_empty(row):
            empty_run += 1
            if empty_run >= EMPTY_BLOCK_ROWS:
                return
            continue
        empty_run = 0
        count += 1
        if count > max_rows:
            issues.append(Issue(sheet, "", ERROR, "too_many_rows", f"Sheet '{sheet}' has more than {max_rows:,} rows, the limit for one submission."))
            return
        yield number, row


def _read_table(ws, sheet: Sheet, title: str, scan: SheetScan, issues: list[Issue], max_rows: int) -> RawSheet | None:
    row_iter = _numbered(ws.iter_rows())
    head = []
    for row in row_iter:
        head.append(row)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    by_key = {normalise_name(f.name): f.name for f in sheet.fields}
    header = _find_header(head, set(by_key), minimum=min(2, len(by_key)))
    if header is None:
        issues.append(Issue(title, "A1", ERROR, "no_header", f"No header row found in the first {HEADER_SEARCH_ROWS} rows of '{title}': expected the column codes of the template ({', '.join(f.name for f in sheet.fields[:4])}, …)."))
        return None
    header_index, positions = header
    header_number, header_row = head[header_index]
    columns = {by_key[k]: get_column_letter(p + 1) for k, p in positions.items()}
    for position, cell in enumerate(header_row):
        key = normalise_name(cell.value) if cell.value is not None else ""
        if key and key not in by_key and normalise_name(cell.value) not in {normalise_name(c) for c in sheet.display_columns}:
            issues.append(Issue(title, f"{get_column_letter(position + 1)}{header_number}", WARNING, "unknown_column", f"Column '{cell.value}' is not in the template and was ignored."))
    for f in sheet.fields:
        if f.name not in columns and f.always_required:
            issues.append(Issue(title, f"A{header_number}", ERROR, "missing_column", f"The required column '{f.name}' is missing from the header row of '{title}'."))
    raw = RawSheet(spec=sheet, title=title, columns=columns, values={name: [] for name in columns})
    indexed = [(name, positions[normalise_name(name)]) for name in columns]

    def rows_after_header():
        yield from head[header_index + 1 :]
        yield from row_iter

    for number, row in _data_rows(rows_after_header(), max_rows, title, issues):
        raw.rows.append(number)
        for name, position in indexed:
            raw.values[name].append(_cell_value(row, position, number, scan))
    return raw


def _read_key_value(ws, sheet: Sheet, title: str, scan: SheetScan, issues: list[Issue], max_rows: int) -> RawSheet | None:
    rows = list(_data_rows(_numbered(ws.iter_rows(max_row=HEADER_SEARCH_ROWS + 500)), max_rows, title, issues))
    header = _find_header(rows, set(KEY_VALUE_HEADER), minimum=2)
    if header is None:
        issues.append(Issue(title, "A1", ERROR, "no_header", f"No header row with 'code' and 'value' found in the first {HEADER_SEARCH_ROWS} rows of '{title}'."))
        return None
    header_index, positions = header
    code_pos, value_pos = positions["code"], positions["value"]
    raw = RawSheet(spec=sheet, title=title, columns={"value": get_column_letter(value_pos + 1)})
    by_key = {normalise_name(f.name): f.name for f in sheet.fields}
    for row_number, row in rows[header_index + 1 :]:
        code = row[code_pos].value if code_pos < len(row) else None
        if code is None:
            continue
        name = by_key.get(normalise_name(code))
        if name is None:
            issues.append(Issue(title, f"{get_column_letter(code_pos + 1)}{row_number}", WARNING, "unknown_code", f"Code '{code}' is not in the template and was ignored."))
            continue
        if name in raw.values:
            issues.append(Issue(title, f"{get_column_letter(code_pos + 1)}{row_number}", ERROR, "duplicate_code", f"Code '{name}' appears twice (rows {raw.field_rows[name]} and {row_number}); keep one."))
            continue
        raw.values[name] = [_cell_value(row, value_pos, row_number, scan)]
        raw.field_rows[name] = row_number
    for f in sheet.fields:
        if f.name not in raw.values:
            if f.always_required:
                issues.append(Issue(title, "", ERROR, "missing_code", f"The required code '{f.name}' is missing from '{title}' (column A)."))
            raw.values[f.name] = [None]
    return raw
