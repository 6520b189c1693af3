"""Read a large table (the loan tape) with fastexcel, giving the raw values openpyxl would give.

fastexcel (Rust, calamine) parses the sheet in one go, 8 to 12 s of the 18 s smartdd spends
on a 500,000-row loan tape (openpyxl takes over 200 s), and releases the GIL meanwhile, so
the XML scan runs beside it in a thread. Its shortcuts, and how each is undone here
(tests/ingest/test_fast_table.py holds the result equal to the openpyxl path):

* Types. Read as text, numbers are rounded to 9 decimals, so number and int columns are read
  as float and every other column as text. A float read turns TRUE/FALSE into 1/0 and gives
  nothing for text such as "1 234,5": the XML scan lists the boolean cells, and the unreadable
  cells are read again as text in a second pass (only when there are any: a messy file).
* Dates. A date cell reads as the text "2024-03-31 00:00:00"; the XML scan lists the cells of
  date columns that really are text, so "2024-03-31 00:00:00" typed as text stays text. The
  date serials 59 and 60 both read as 1900-02-28: should any cell read so, its column is read
  again as durations (days since the epoch), where 60 is Excel's phantom 29 Feb 1900.
* Error cells (#N/A) and formulas without a cached value read as empty: the XML scan finds them.
* Provenance. With no header row and skip_rows=0, fastexcel's row i is Excel row i + 1
  whatever the sheet's first used row; empty rows come back as all-empty rows.

Clean text columns stay Arrow strings (pandas "string"), never a Python object per cell.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import column_index_from_string
from smartdd.ingest.cells import PHANTOM_LEAP_DAY, UNCACHED, ExcelError
from smartdd.ingest.sheets import EMPTY_BLOCK_ROWS, RawSheet, TableHeader, rows_below_empty_block, too_many_rows
from smartdd.ingest.xmlscan import SheetScan, scan_sheet_xml

from smartdd.records import Issue
from smartdd.spec import Sheet

FLOAT_TYPES = ("number", "int")
_RENDERED_DATE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
_CELL = re.compile(r"([A-Z]+)(\d+)")
_NONE = np.zeros(0, dtype=np.int64)


def read_table_fast(path: Path, member: str, header: TableHeader, sheet: Sheet, title: str, issues: list[Issue], max_rows: int) -> RawSheet:
    types = {letter: sheet.field(name).type for name, letter in header.columns.items()}
    first = header.row  # index of the first row below the header (row i is Excel row i + 1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanning = pool.submit(_scan, path, member, types, first + 1)
        workbook = fastexcel.read_excel(path)
        read, failed = _load(workbook, title, types, first)
        scan = scanning.result()
    texts = _reread_as_text(workbook, title, failed, scan, first)
    markers = _markers(scan, first)
    columns = {}
    for letter, kind in types.items():
        array = read[letter].slice(first)
        if kind in FLOAT_TYPES:
            values = _float_column(array, failed.get(letter, _NONE), texts.get(letter), _positions(scan.bool_rows[letter], first))
        elif kind == "date":
            values = _date_column(array, _positions(scan.text_rows[letter], first))
            values = _with_phantom_days(workbook, title, letter, first, values)
        else:
            values = _text_column(array)
        columns[letter] = _with_markers(values, markers.get(letter, {}))
    positions = _record_positions(columns.values(), max_rows, title, first, issues)
    return RawSheet(
        spec=sheet,
        title=title,
        columns=header.columns,
        values={name: columns[letter][positions] for name, letter in header.columns.items()},
        rows=(positions + first + 1).tolist(),
    )


def _scan(path: Path, member: str, types: dict[str, str], from_row: int) -> SheetScan:
    """The XML scan below the header, with the text cells of date columns and the TRUE/FALSE cells of float columns."""
    with zipfile.ZipFile(path) as zf:
        dates = [c for c, t in types.items() if t == "date"]
        return scan_sheet_xml(zf, member, text_in=dates, bools_in=[c for c, t in types.items() if t in FLOAT_TYPES], from_row=from_row)


def _load(workbook: fastexcel.ExcelReader, title: str, types: dict[str, str], first: int) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
    """Each column's values, and the positions below the header fastexcel could not read as float."""
    index = {column_index_from_string(letter) - 1: letter for letter in types}
    dtypes = {i: "float" if types[letter] in FLOAT_TYPES else "string" for i, letter in index.items()}
    sheet = workbook.load_sheet(title, header_row=None, skip_rows=0, use_columns=sorted(index), dtypes=dtypes)
    batch, errors = sheet.to_arrow_with_errors()
    selected = [index[c.absolute_index] for c in sheet.selected_columns]
    columns = {letter: _single_chunk(array) for letter, array in zip(selected, batch.columns, strict=True)}
    failed: dict[str, list[int]] = {}
    for error in errors.errors if errors else ():
        row, column = error.position
        if row >= first and types[selected[column]] in FLOAT_TYPES:
            failed.setdefault(selected[column], []).append(row - first)
    for letter in (c for c in selected if types[c] in FLOAT_TYPES):
        failed.setdefault(letter, []).extend(_non_finite(columns[letter].slice(first)))
    return columns, {letter: np.asarray(rows, dtype=np.int64) for letter, rows in failed.items() if rows}


def _non_finite(array: pa.Array) -> list[int]:
    """Text such as 'nan' or 'inf' that fastexcel read as a number: the careful path must see the text."""
    numbers = array.to_numpy(zero_copy_only=False)
    return np.flatnonzero(~np.isfinite(numbers) & array.is_valid().to_numpy(zero_copy_only=False)).tolist()


def _reread_as_text(workbook: fastexcel.ExcelReader, title: str, failed: dict[str, np.ndarray], scan: SheetScan, first: int) -> dict[str, np.ndarray]:
    """The columns with cells fastexcel could not read as numbers (other than error cells), read as text."""
    wanted = [letter for letter, rows in failed.items() if any(f"{letter}{r + first + 1}" not in scan.errors for r in rows)]
    if not wanted:
        return {}
    index = {column_index_from_string(letter) - 1: letter for letter in wanted}
    sheet = workbook.load_sheet(title, header_row=None, skip_rows=0, use_columns=sorted(index), dtypes="string")
    batch = sheet.to_arrow()
    return {index[c.absolute_index]: _objects(_text_column(_single_chunk(a).slice(first))) for c, a in zip(sheet.selected_columns, batch.columns, strict=True)}


def _float_column(array: pa.Array, failed: np.ndarray, texts: np.ndarray | None, bools: np.ndarray) -> np.ndarray:
    numbers = array.to_numpy(zero_copy_only=False).astype(np.float64)
    if not (len(failed) or len(bools)):
        return numbers
    values = _objects(numbers)
    values[bools] = (numbers[bools] == 1.0).tolist()  # TRUE/FALSE were read as 1/0
    if texts is not None:
        values[failed] = texts[failed]
    return values


def _text_column(array: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Text as the openpyxl path keeps it: stripped (Arrow's whitespace is str.isspace's), blanks as missing."""
    stripped = pc.utf8_trim_whitespace(array)
    blank = pc.equal(pc.binary_length(stripped), 0)
    return pd.array(pc.if_else(blank, pa.scalar(None, stripped.type), stripped), dtype="string")


def _date_column(array: pa.Array, text: np.ndarray) -> np.ndarray:
    """Date cells as dates; any other cell (text, a number, TRUE/FALSE) as its text, for coerce to judge."""
    rendered = pc.fill_null(pc.match_substring_regex(array, _RENDERED_DATE), False).to_numpy(zero_copy_only=False)
    rendered[text] = False  # "2024-03-31 00:00:00" typed as text stays text
    values = np.full(len(array), None, dtype=object)
    dates = np.flatnonzero(rendered)
    values[dates] = _dates(pc.take(array, pa.array(dates)))
    others = np.flatnonzero(~rendered & array.is_valid().to_numpy(zero_copy_only=False))
    values[others] = _objects(_text_column(pc.take(array, pa.array(others))))
    return values


def _dates(rendered: pa.Array) -> np.ndarray:
    """Date cells as openpyxl gives them: a date, or a time of day for values below 1 (year 1899)."""
    days = pc.cast(pc.utf8_slice_codeunits(rendered, 0, 10), pa.date32()).to_numpy(zero_copy_only=False)
    values = days.astype(object)
    for i in np.flatnonzero(days < np.datetime64("1900-01-01")):
        values[i] = dt.time.fromisoformat(rendered[i].as_py()[11:19])
    return values


def _markers(scan: SheetScan, first: int) -> dict[str, dict[int, object]]:
    """Error cells and uncached formulas by column letter and position below the header."""
    markers: dict[str, dict[int, object]] = {}
    found = [(cell, ExcelError(text)) for cell, text in scan.errors.items()] + [(cell, UNCACHED) for cell in scan.uncached_formulas]
    for cell, marker in found:
        letter, row = _CELL.fullmatch(cell).groups()
        if int(row) - 1 >= first:
            markers.setdefault(letter, {})[int(row) - 1 - first] = marker
    return markers


def _with_markers(values, markers: dict[int, object]):
    if not markers:
        return values
    values = _objects(values)
    for at, marker in markers.items():
        if at < len(values):
            values[at] = marker
    return values


def _record_positions(columns, max_rows: int, title: str, first: int, issues: list[Issue]) -> np.ndarray:
    """Positions of the rows that hold something, up to a block of 20 empty rows (saying what lies below it) or the row limit."""
    filled = np.logical_or.reduce([~pd.isna(values) for values in columns])
    positions = np.flatnonzero(filled)
    gaps = np.diff(positions, prepend=-1)  # the first record counts from the header row
    cut = np.flatnonzero(gaps > EMPTY_BLOCK_ROWS)
    if len(cut) and cut[0] <= max_rows:
        below = positions[cut[0] :][:max_rows] + first + 1  # as Excel rows
        last_read = positions[cut[0] - 1] + first + 1 if cut[0] else first
        more = len(positions) - cut[0] > max_rows
        issues.append(rows_below_empty_block(title, int(last_read), int(below[0]), int(below[-1]), len(below), more))
        positions = positions[: cut[0]]
    if len(positions) > max_rows:
        issues.append(too_many_rows(title, max_rows))
        positions = positions[:max_rows]
    return positions


def _with_phantom_days(workbook: fastexcel.ExcelReader, title: str, letter: str, first: int, values: np.ndarray) -> np.ndarray:
    """Cells read as 1900-02-28 whose serial is 60 (29 Feb 1900, which never existed) become PHANTOM_LEAP_DAY."""
    maybe = np.flatnonzero(np.equal(values, dt.date(1900, 2, 28)))
    if not len(maybe):
        return values
    index = column_index_from_string(letter) - 1
    sheet = workbook.load_sheet(title, header_row=None, skip_rows=0, use_columns=[index], dtypes={index: "duration"})
    batch, _ = sheet.to_arrow_with_errors()  # text cells give no duration: they are not dates anyway
    days = _single_chunk(batch.column(0)).slice(first).to_pylist()
    values = values.copy()
    for at in maybe:
        if days[at] is not None and dt.timedelta(days=60) <= days[at] < dt.timedelta(days=61):
            values[at] = PHANTOM_LEAP_DAY
    return values


def _positions(rows: list[int], first: int) -> np.ndarray:
    at = np.asarray(rows, dtype=np.int64) - 1 - first
    return at[at >= 0]


def _objects(values) -> np.ndarray:
    """An object array, missing values as None (what the openpyxl path gives)."""
    if isinstance(values, np.ndarray):
        array = values.astype(object)
        array[pd.isna(values)] = None
        return array
    return values.to_numpy(dtype=object, na_value=None)


def _single_chunk(array) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
