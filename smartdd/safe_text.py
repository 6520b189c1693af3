"""Text that came from an investee's workbook (or its file name), made safe for the formats we write.

Any string can arrive here: control characters, escape sequences, NULs, lone surrogates from
a file name that was not UTF-8, a formula. Writers pass every value through these functions
so one odd string never stops a report or a feedback workbook for everyone.
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

EXCEL_CELL_LIMIT = 32_767  # characters Excel holds in one cell
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def printable(text: str) -> str:
    """Drop control characters and lone surrogates (each shown as U+FFFD), for HTML, PDF and logs."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("\ufffd", text))


def display_name(raw: str) -> str:
    """A file name as a person can read it: bytes that were not UTF-8 shown as U+FFFD, controls too."""
    return printable(raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def excel_value(value):
    """A value openpyxl can store: illegal characters replaced, text capped at Excel's cell limit."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", printable(value))
    return value if len(value) <= EXCEL_CELL_LIMIT else value[: EXCEL_CELL_LIMIT - 1] + "…"


def write_row(ws, row: int, values, start_column: int = 1) -> list:
    """Write one row at `row` (constant time per cell, unlike ws.append + ws[ws.max_row], which
    rescans the sheet), every value made safe and formula-looking text kept as text."""
    cells = []
    for column, value in enumerate(values, start=start_column):
        cell = ws.cell(row=row, column=column, value=excel_value(value))
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # openpyxl would store it as a formula (formula injection)
        cells.append(cell)
    return cells
