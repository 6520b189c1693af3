"""The reports stage: read the published marts once, write HTML, PDF and Excel."""

from __future__ import annotations

from pathlib import Path

from smartdd.reports.data import load_report_data
from smartdd.reports.excel import write_excel_scorecard
from smartdd.reports.html import investee_context, write_html_reports
from smartdd.reports.pdf import write_pdf_scorecard


def write_reports(warehouse: Path, out_dir: Path) -> list[Path]:
    data = load_report_data(warehouse)
    written = write_html_reports(data, out_dir)
    for investee_id in data.investees:
        context = investee_context(data.for_investee(investee_id), investee_id)
        written.append(write_pdf_scorecard(context, out_dir / f"{investee_id}.pdf"))
    written.append(write_excel_scorecard(data, out_dir / "portfolio_scorecard.xlsx"))
    return written
