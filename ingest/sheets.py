"""What the reader hands on: one sheet's raw values with where each came from.

Shared by both table readers (`reader` with openpyxl, `fast_table` with fastexcel) and by
`coerce`, so neither reader imports the other's module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from smartdd.records import ERROR, Issue
from smartdd.spec import Sheet

# The spec's empty-block rule: this many empty rows end a table.
EMPTY_BLOCK_ROWS = 20


@dataclass
class RawSheet:
    """One sheet's values as read: a column of raw cell values per field, plus row numbers."""

    spec: Sheet
    title: str  # the sheet's name in the workbook
    columns: dict[str, str]  # field -> column letter (tables) or the value column (key-value)
    values: dict[str, Sequence] = field(default_factory=dict)  # field -> raw values (list, or numpy array from the fast path)
    rows: Sequence[int] = field(default_factory=list)  # tables: the row of each record
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


@dataclass(frozen=True)
class TableHeader:
    row: int  # the header's row number
    columns: dict[str, str]  # field -> column letter, in sheet order


def too_many_rows(sheet: str, max_rows: int) -> Issue:
    return Issue(sheet, "", ERROR, "too_many_rows", f"Sheet '{sheet}' has more than {max_rows:,} rows, the limit for one submission.")
