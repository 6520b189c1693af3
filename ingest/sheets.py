"""What the reader hands on: one sheet's raw values with where each came from, and how issues about them are said.

Shared by both table readers (`reader` with openpyxl, `fast_table` with fastexcel), by
`coerce` and by the validation, so that every stage quotes cells and caps its issues the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from smartdd.messages import problem
from smartdd.records import ERROR, INFO, WARNING, Issue
from smartdd.spec import Sheet

# The spec's empty-block rule: this many empty rows end a table.
EMPTY_BLOCK_ROWS = 20
# A broken column of 500,000 rows needs a summary, not 500,000 lines: per rule, sheet and column...
MAX_ISSUES_PER_RULE = 50
# ...and per file (per stage: reading, typing, validation), however many columns are broken.
MAX_ISSUES_PER_FILE = 1_000
# Key-value sheets may quote the value they found, up to this many characters.
MAX_QUOTED_CHARS = 40
_RANK = {ERROR: 0, WARNING: 1, INFO: 2}
_COLUMN = re.compile(r"[A-Z]*")


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
    template_language: str | None = None  # the language the template was made in (its README's title), if known


@dataclass(frozen=True)
class TableHeader:
    row: int  # the header's row number
    columns: dict[str, str]  # field -> column letter, in sheet order


def too_many_rows(sheet: str, max_rows: int) -> Issue:
    return problem(sheet, "", ERROR, "too_many_rows", sheet=sheet, limit=max_rows)


def rows_below_empty_block(sheet: str, last_read: int, first: int, last: int, count: int, more: bool = False) -> Issue:
    """The rows that the spec's empty block cut off: said, never dropped without a word."""
    where = {"last_read": last_read, "first": first, "block": EMPTY_BLOCK_ROWS}
    if count == 1:
        return problem(sheet, f"{first}:{last}", WARNING, "row_below_empty_block", rule="rows_below_empty_block", **where, gap=first - last_read - 1)
    code = "more_rows_below_empty_block" if more else "rows_below_empty_block"
    return problem(sheet, f"{first}:{last}", WARNING, code, rule="rows_below_empty_block", **where, count=count, last=last)


# ---- what an issue may quote ---------------------------------------------------------------


def holds_client_data(sheet: Sheet) -> bool:
    """A sheet with personal data (the loan tape): its cell values are never quoted, only their cells."""
    return any(f.pii for f in sheet.fields)


def quote(text: object) -> str:
    """`text` in quotes for a message, on one line, cut at 40 characters."""
    flat = " ".join(str(text).split())
    return f"'{flat[:MAX_QUOTED_CHARS]}…'" if len(flat) > MAX_QUOTED_CHARS else f"'{flat}'"


def quoted(sheet: Sheet, text: object) -> str | None:
    """`text` quoted for an issue about a cell of `sheet`, or None where values stay unquoted (say "this cell" instead)."""
    return None if holds_client_data(sheet) else quote(text)


# ---- bounded issue lists ---------------------------------------------------------------------


class IssueCap:
    """Issues as they are found, kept to 50 per rule, sheet and column, then one "… and N more like this";
    at most 1,000 in all (counting `already`, those a caller holds), then one last issue that says how many more.

    Issues past a cap are counted, not kept, so a workbook with a million bad cells costs a
    million counts, not a million messages. Every stage that reports cells (reader, coerce,
    validation) caps through it.
    """

    def __init__(self, already: int = 0):
        self.room = MAX_ISSUES_PER_FILE - already
        self.kept: list[Issue] = []
        self.per_key: dict[tuple, int] = {}
        self.unlisted: dict[tuple, list] = {}  # key -> [count, severity, sheet, column]
        self.over: list = [0, INFO, ""]  # past the file's cap: [count, severity, sheet]

    def append(self, issue: Issue) -> None:
        self.add_unlisted(issue, 0)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.append(issue)

    def add_unlisted(self, issue: Issue, count: int) -> None:
        """`issue`, then `count` more like it that were found but not built (GX lists only the first rows)."""
        column = _COLUMN.match(issue.cell).group()
        key = (issue.sheet, issue.rule, column)
        listed = self.per_key.get(key, 0)
        if listed < MAX_ISSUES_PER_RULE and len(self.kept) < self.room:
            self.per_key[key] = listed + 1
            self.kept.append(issue)
        elif listed >= MAX_ISSUES_PER_RULE:
            count += 1
        else:
            self._past_file_cap(issue, count + 1)
            return
        if count:
            more = self.unlisted.setdefault(key, [0, INFO, issue.sheet, column])
            more[0] += count
            more[1] = _worst(more[1], issue.severity)

    def _past_file_cap(self, issue: Issue, count: int) -> None:
        self.over[0] += count
        self.over[1] = _worst(self.over[1], issue.severity)
        self.over[2] = self.over[2] or issue.sheet

    def issues(self) -> list[Issue]:
        """The kept issues, then one summary per capped rule, then the file's summary."""
        out = list(self.kept)
        for (_, rule, _), (count, severity, sheet, column) in self.unlisted.items():
            cell, more = (f"{column}:{column}", {"code": "more_like_this_in_column", "column": column}) if column else ("", {"code": "more_like_this"})
            out.append(problem(sheet, cell, severity, more.pop("code"), rule=rule, count=count, **more))
        count, severity, sheet = self.over
        if count:
            out.append(problem(sheet, "", severity, "too_many_issues", count=count, limit=MAX_ISSUES_PER_FILE))
        return out


def cap_issues(issues: Iterable[Issue], already: int = 0) -> list[Issue]:
    """`issues` as `IssueCap` keeps them: the one helper every stage caps its issues with."""
    cap = IssueCap(already)
    cap.extend(issues)
    return cap.issues()


def _worst(a: str, b: str) -> str:
    return a if _RANK.get(a, 3) <= _RANK.get(b, 3) else b
