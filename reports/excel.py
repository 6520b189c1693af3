"""The portfolio scorecard workbook: one sheet per mart, filterable, for the investment team."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from smartdd.reports.data import ReportData

from smartdd.safe_text import write_row
from smartdd.storage import atomic_path

_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def write_excel_scorecard(data: ReportData, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in (
        ("Scorecard", data.scorecard),
        ("Principles", data.principles),
        ("Red flags", data.flags),
        ("Pricing", data.pricing),
        ("Metrics", data.metrics),
        ("Data quality", data.warnings),
        ("Submissions", data.submissions),
    ):
        _sheet(wb, title, frame)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame) -> None:
    ws = wb.create_sheet(title)
    columns = list(frame.columns)
    for cell in write_row(ws, 1, columns):
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    for number, row in enumerate(frame.itertuples(index=False), start=2):
        write_row(ws, number, [_cell(v) for v in row])
    for index, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(max(len(name) + 2, 12), 60)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"


def _cell(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if hasattr(value, "item"):
        return value.item()
    return value
