"""Read a submission workbook into raw, untyped sheets with provenance.

Applies the spec's reading rules that are about *where* values are: sheet-name matching,
header-row search, columns in any order, key-value rows by code, empty rows, the 20-row
empty block that ends a table. Turning values into types is `coerce.py`'s job.

Two readers, chosen per sheet (measured with bench/ingest.py on the 2-core project machine,
medians of 3, a 19-column loan tape saved as Excel saves it):

* openpyxl, read-only with cached values (`lazy_workbook.py`), reads the key-value sheets and
  the small tables: only it reports number formats (a 12 % cell stores 0.12) and error texts.
  It costs about 0.4 ms a row: pandas.read_excel(engine="openpyxl") takes 49 s for 100,000
  rows and 211 s for 500,000.
* `fast_table.py` (fastexcel, Rust) reads the tables over 1 MiB of sheet XML that have no
  percent field, in practice the loan tape. Read, typed, pseudonymised and written to Parquet,
  100,000 rows take 5.2 s (9 times faster) and 500,000 rows 18 s (12 times), peak memory
  1.0 GB. The header row is still found with openpyxl, which reads only the first rows.

Both give every value its sheet, row and column letter, and the same raw values: the
equivalence tests in tests/ingest/test_fast_table.py hold them to it.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path

from openpyxl.utils import column_index_from_string, get_column_letter
from smartdd.ingest.cells import UNCACHED, ExcelError, PercentValue
from smartdd.ingest.lazy_workbook import LazyWorkbook
from smartdd.ingest.sheets import EMPTY_BLOCK_ROWS, RawSheet, RawWorkbook, TableHeader, cap_issues, quote, rows_below_empty_block, too_many_rows
from smartdd.ingest.xmlscan import BrokenXml, SheetScan, scan_sheet_xml

from smartdd.messages import problem
from smartdd.records import ERROR, INFO, WARNING, Issue
from smartdd.spec import Sheet, Spec, load_spec, normalise_name
from smartdd.spec.template import README_TEXT

log = logging.getLogger(__name__)
HEADER_SEARCH_ROWS = 10
KEY_VALUE_MAX_ROWS = 1_000
KEY_VALUE_HEADER = ("code", "value")
# Tables whose sheet XML is larger than this (about 1,500 loan-tape rows) take the fast path.
FAST_MIN_BYTES = 1 * 2**20


def read_workbook(path: Path, spec: Spec | None = None, max_rows: int = 1_000_000, fast_min_bytes: int = FAST_MIN_BYTES) -> RawWorkbook:
    """Read every sheet of the spec; `fast_min_bytes` is the sheet size from which tables take the fast path."""
    spec = spec or load_spec()
    issues: list[Issue] = []
    wb = LazyWorkbook(path)  # sheets opened with no declared size: it may lie either way
    try:
        with zipfile.ZipFile(path) as zf:
            titles = _titles(wb.sheetnames, spec, issues)
            sheets = {}
            for sheet_spec in spec.sheets:
                title = titles.get(normalise_name(sheet_spec.name))
                if title is None:
                    if sheet_spec.required:
                        issues.append(problem(sheet_spec.name, "", ERROR, "missing_sheet", sheet=sheet_spec.name))
                    continue
                raw = _read_sheet(path, zf, wb, sheet_spec, title, issues, max_rows, fast_min_bytes) if title else None
                if raw is not None:
                    sheets[sheet_spec.name] = raw
            language = _template_language(wb, titles.get(normalise_name(spec.instructions_sheet)))
    finally:
        wb.close()
    return RawWorkbook(sheets=sheets, issues=cap_issues(issues), template_language=language)


def _template_language(wb: LazyWorkbook, title: str | None) -> str | None:
    """The language the template was made in, told by its README's title (the feedback's language when the Cover names none)."""
    if not title:
        return None
    try:
        first = next(iter(wb[title].iter_rows(max_row=1)), ())
    except BrokenXml:
        return None
    text = str(first[0].value) if first and first[0].value is not None else ""
    for lang, lines in README_TEXT.items():
        if text.startswith(lines[0].split("{")[0]):
            return lang
    return None


def _read_sheet(path: Path, zf: zipfile.ZipFile, wb: LazyWorkbook, sheet_spec: Sheet, title: str, issues: list[Issue], max_rows: int, fast_min_bytes: int):
    """One sheet by the reader that suits it; a sheet whose XML is broken is an error, not a crash of the whole file."""
    ws, member = wb[title], wb.member(title)
    try:
        if sheet_spec.kind == "key_value":
            return _read_key_value(ws, sheet_spec, title, _scan(zf, member), issues)
        if _is_fast(sheet_spec, zf.getinfo(member).file_size, fast_min_bytes):
            return _read_table_fast(path, zf, member, ws, sheet_spec, title, issues, max_rows)
        return _read_table(ws, sheet_spec, title, _scan(zf, member), issues, max_rows)
    except BrokenXml as broken:
        issues.append(problem(title, "", ERROR, "broken_sheet", title=quote(title), problem=broken.code, **broken.params))
        return None


def _titles(names: list[str], spec: Spec, issues: list[Issue]) -> dict[str, str]:
    """Each sheet's name by its matching key; a template sheet matched by two names maps to "" (read neither, say why).

    Excel refuses two sheets whose names differ only in case, so a file holding `Cover` and
    `COVER` was not saved by Excel: which one the investee sees is anyone's guess.
    """
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(normalise_name(name), []).append(name)
    template = {normalise_name(s.name): s.name for s in spec.sheets}
    titles = {}
    for key, found in by_key.items():
        titles[key] = found[0]
        if len(found) > 1 and key in template:
            issues.append(problem(found[0], "", ERROR, "duplicate_sheet", titles=[quote(name) for name in found], sheet=template[key]))
            titles[key] = ""
    _report_unknown_sheets({key: found[0] for key, found in by_key.items()}, spec, issues)
    return titles


def _report_unknown_sheets(titles: dict[str, str], spec: Spec, issues: list[Issue]) -> None:
    known = {normalise_name(s.name) for s in spec.sheets} | {normalise_name(spec.instructions_sheet)}
    for key, title in titles.items():
        if key not in known:
            issues.append(problem(title, "", INFO, "unknown_sheet", title=quote(title)))


def _scan(zf: zipfile.ZipFile, member: str) -> SheetScan:
    return scan_sheet_xml(zf, member)


def _is_fast(sheet: Sheet, xml_bytes: int, fast_min_bytes: int) -> bool:
    """Large tables, unless a percent field needs the cells' number formats (only openpyxl has them)."""
    return sheet.kind == "table" and xml_bytes >= fast_min_bytes and all(f.type != "pct" for f in sheet.fields)


def _read_table_fast(path: Path, zf: zipfile.ZipFile, member: str, ws, sheet: Sheet, title: str, issues: list[Issue], max_rows: int) -> RawSheet | None:
    """The fast path; should fastexcel refuse a sheet openpyxl can read, the slow path reads it."""
    import fastexcel  # a Rust library: loaded only when a large table needs it
    from smartdd.ingest.fast_table import read_table_fast

    found: list[Issue] = []
    header = find_table_header(_numbered(ws.iter_rows(max_row=HEADER_SEARCH_ROWS)), sheet, title, found)
    try:
        raw = read_table_fast(path, member, header, sheet, title, found, max_rows) if header else None
    except fastexcel.FastExcelError:
        log.warning("fastexcel could not read sheet '%s'; reading it with openpyxl", title, exc_info=True)
        return _read_table(ws, sheet, title, _scan(zf, member), issues, max_rows)
    issues.extend(found)
    return raw


# ---- tables -------------------------------------------------------------------------


def find_table_header(head: Iterable[tuple[int, tuple]], sheet: Sheet, title: str, issues: list[Issue]) -> TableHeader | None:
    """The first row within the first 10 holding at least two column codes; reports column problems."""
    by_key = {normalise_name(f.name): f.name for f in sheet.fields}
    minimum = min(2, len(by_key))
    for number, row in islice(head, HEADER_SEARCH_ROWS):
        keys = [normalise_name(c.value) if c.value is not None else "" for c in row]
        if len({k for k in keys if k in by_key}) >= minimum:
            return _header_columns(number, row, keys, by_key, sheet, title, issues)
    issues.append(problem(title, "A1", ERROR, "no_header", rows=HEADER_SEARCH_ROWS, sheet=title, codes=[f.name for f in sheet.fields[:4]]))
    return None


def _header_columns(number: int, row: tuple, keys: list[str], by_key: dict[str, str], sheet: Sheet, title: str, issues: list[Issue]) -> TableHeader:
    display = {normalise_name(c) for c in sheet.display_columns}
    columns: dict[str, str] = {}
    for position, key in enumerate(keys):
        letter = get_column_letter(position + 1)
        name = by_key.get(key)
        if name in columns:
            issues.append(problem(title, f"{letter}{number}", WARNING, "duplicate_column", field=name, kept=columns[name], ignored=letter))
        elif name:
            columns[name] = letter
        elif key and key not in display:
            issues.append(problem(title, f"{letter}{number}", WARNING, "unknown_column", title=quote(row[position].value)))
    for f in sheet.fields:
        if f.name not in columns and f.always_required:
            issues.append(problem(title, f"A{number}", ERROR, "missing_column", field=f.name, sheet=title))
    return TableHeader(row=number, columns=columns)


def _read_table(ws, sheet: Sheet, title: str, scan: SheetScan, issues: list[Issue], max_rows: int) -> RawSheet | None:
    rows = _numbered(ws.iter_rows())
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    header = find_table_header(head, sheet, title, issues)
    if header is None:
        return None
    raw = RawSheet(spec=sheet, title=title, columns=header.columns, values={name: [] for name in header.columns})
    positions = [column_index_from_string(letter) - 1 for letter in header.columns.values()]
    after_header = chain((r for r in head if r[0] > header.row), rows)
    records = ((number, [_cell_value(row, p, number, scan) for p in positions]) for number, row in after_header)
    for number, values in data_records(records, header.row, max_rows, title, issues):
        raw.rows.append(number)
        for column, value in zip(raw.values.values(), values, strict=True):
            column.append(value)
    return raw


def data_records(records: Iterable[tuple[int, list]], header_row: int, max_rows: int, sheet: str, issues: list[Issue]) -> Iterator[tuple[int, list]]:
    """Skip empty records; stop at a block of 20 empty rows (saying what lies below it) or at the row limit.

    A record is empty when none of the columns read holds anything: notes beside a table do
    not make a row, and a formula without a value does (it holds something we cannot read).
    """
    previous = header_row
    count = 0
    records = iter(records)
    for number, values in records:
        if all(v is None for v in values):
            continue
        if number - previous > EMPTY_BLOCK_ROWS:
            issues.append(_rows_below(sheet, previous, number, records, max_rows))
            return
        previous = number
        count += 1
        if count > max_rows:
            issues.append(too_many_rows(sheet, max_rows))
            return
        yield number, values


def _rows_below(sheet: str, last_read: int, first: int, records: Iterator[tuple[int, list]], max_rows: int) -> Issue:
    """The warning for the records below the empty block: counted (up to the row limit), not read."""
    count, last = 1, first
    for number, values in records:
        if any(v is not None for v in values):
            if count == max_rows:
                return rows_below_empty_block(sheet, last_read, first, last, count, more=True)
            count, last = count + 1, number
    return rows_below_empty_block(sheet, last_read, first, last, count)


def _cell_value(row: tuple, position: int, row_number: int, scan: SheetScan):
    """The cell's value, keeping what a plain value would lose (percent format, errors, no cached value)."""
    cell = row[position] if position < len(row) else None
    value = getattr(cell, "value", None)
    if value is None:
        if scan.uncached_formulas and f"{get_column_letter(position + 1)}{row_number}" in scan.uncached_formulas:
            return UNCACHED
        return None
    if cell.data_type == "e":
        return ExcelError(value)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return PercentValue(value)
    return value


def _numbered(rows: Iterable[tuple]) -> Iterator[tuple[int, tuple]]:
    """openpyxl read-only yields every row from 1 (gaps as empty tuples): count them."""
    return enumerate(rows, start=1)


# ---- key-value sheets -----------------------------------------------------------------


def _read_key_value(ws, sheet: Sheet, title: str, scan: SheetScan, issues: list[Issue]) -> RawSheet | None:
    rows = _numbered(ws.iter_rows(max_row=KEY_VALUE_MAX_ROWS))
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    header = _find_key_value_header(head)
    if header is None:
        issues.append(problem(title, "A1", ERROR, "no_key_value_header", rule="no_header", rows=HEADER_SEARCH_ROWS, sheet=title))
        return None
    header_row, code_pos, value_pos = header
    code_letter = get_column_letter(code_pos + 1)
    raw = RawSheet(spec=sheet, title=title, columns={"value": get_column_letter(value_pos + 1)})
    by_key = {normalise_name(f.name): f.name for f in sheet.fields}
    after_header = chain((r for r in head if r[0] > header_row), rows)
    records = ((number, [_cell_value(row, p, number, scan) for p in (code_pos, value_pos)]) for number, row in after_header)
    for number, (code, value) in data_records(records, header_row, KEY_VALUE_MAX_ROWS, title, issues):
        if code is None:
            continue
        name = by_key.get(normalise_name(code))
        if name is None:
            issues.append(problem(title, f"{code_letter}{number}", WARNING, "unknown_code", title=quote(code)))
        elif name in raw.values:
            issues.append(problem(title, f"{code_letter}{number}", ERROR, "duplicate_code", field=name, first=raw.field_rows[name], second=number))
        else:
            raw.values[name] = [value]
            raw.field_rows[name] = number
    for f in sheet.fields:
        if f.name not in raw.values:
            if f.always_required:
                issues.append(problem(title, "", ERROR, "missing_code", field=f.name, sheet=title, column=code_letter))
            raw.values[f.name] = [None]
    return raw


def _find_key_value_header(head: list[tuple[int, tuple]]) -> tuple[int, int, int] | None:
    """(row, code position, value position) of the first row holding 'code' and 'value'."""
    for number, row in head:
        keys = [normalise_name(c.value) if c.value is not None else "" for c in row]
        if all(k in keys for k in KEY_VALUE_HEADER):
            return number, keys.index("code"), keys.index("value")
    return None
