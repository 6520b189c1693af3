"""The portfolio scorecard workbook of one quarter, for people who re-slice: one sheet per view.

Overview (one row per investee, its principle scores as a heat map), Principles, Red flags,
Pricing, Metrics over time, Submissions. Human headers, number formats, conditional formats on
scores and ratings, native Excel charts, frozen headers, filters, fitted column widths. Every
value goes through smartdd.safe_text.write_row (investee text never becomes a formula). Values
are the marts' own: percent fields (0-100) keep their value and show a % sign, fractions show
as percentages.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from smartdd.reports.data import ReportData, records
from smartdd.reports.evidence import conditions
from smartdd.reports.format import METRICS, RATINGS, SEVERITIES, excel_format
from smartdd.reports.seeds import Methodology
from smartdd.reports.verdict import flag_subject

from smartdd.safe_text import write_row
from smartdd.storage import atomic_path

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
FILLS = {
    "A": "C6EFCE", "B": "E2F0D9", "C": "FFEB9C", "D": "FFC7CE",
    "pass": "C6EFCE", "watch": "FFEB9C", "fail": "FFC7CE",
    "critical": "FFC7CE", "high": "FCE4D6", "medium": "FFF2CC",
}  # fmt: skip
SCORE, CHANGE, INT, PCT_FIELD, PP, RATIO, USD, DATE = "0.0", "+0.0;-0.0;0.0", "#,##0", '0.0" %"', '0.0" pp"', "0.00", "#,##0", "yyyy-mm-dd"


def write_excel_scorecard(data: ReportData, period: str, path: Path, exposures: dict[str, float] | None = None) -> Path:
    """data: every mart's rows up to `period` (the quarter's views, and the metrics before it)."""
    now = data.in_period(period)
    cards = records(now.scorecard)
    method = Methodology(str(cards[0]["methodology_version"]) if cards else "1")
    names = {c["investee_id"]: c.get("institution_name") for c in cards}
    wb = Workbook()
    wb.remove(wb.active)
    _overview(wb, cards, records(now.principles), method, exposures)
    _principles(wb, records(now.principles), names)
    _flags(wb, records(now.flags), names, method)
    _pricing(wb, records(now.pricing), names)
    _metrics(wb, records(data.metrics), names)
    _submissions(wb, records(now.submissions))
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _table(ws, columns: list[tuple[str, str, str | None]], rows: list[dict]) -> int:
    """columns: (header, key, number format); returns the last row written."""
    for cell in write_row(ws, 1, [title for title, _, _ in columns]):
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADER_FILL, Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(title) * 0.9, 8), 40) for title, _, _ in columns]
    for number, row in enumerate(rows, start=2):
        cells = write_row(ws, number, [row.get(key) for _, key, _ in columns])
        for i, (cell, (_, _, fmt)) in enumerate(zip(cells, columns, strict=True)):
            if fmt:
                cell.number_format = fmt
            shown = len(str(cell.value)) if isinstance(cell.value, str) else (7 if fmt in (SCORE, CHANGE, RATIO) else 11)
            widths[i] = min(max(widths[i], shown + 2), 60)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    last = max(len(rows) + 1, 2)
    ws.freeze_panes = "C2" if len(columns) > 2 else "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    ws.row_dimensions[1].height = 30
    return last


def _column(columns, key: str) -> str:
    return get_column_letter(next(i for i, (_, k, _) in enumerate(columns, start=1) if k == key))


def _scale(ws, columns, keys: list[str], last: int) -> None:
    """Red at 0, amber at the lowest passing band, green at 100, on score columns."""
    for key in keys:
        col = _column(columns, key)
        ws.conditional_formatting.add(
            f"{col}2:{col}{last}",
            ColorScaleRule(
                start_type="num",
                start_value=0,
                start_color="F8696B",
                mid_type="num",
                mid_value=60,
                mid_color="FFEB84",
                end_type="num",
                end_value=100,
                end_color="63BE7B",
            ),
        )


def _fills(ws, columns, key: str, last: int, values) -> None:
    col = _column(columns, key)
    for value in values:
        ws.conditional_formatting.add(
            f"{col}2:{col}{last}", CellIsRule(operator="equal", formula=[f'"{value}"'], fill=PatternFill("solid", bgColor=FILLS[value]))
        )


def _overview(wb, cards: list[dict], principles: list[dict], method: Methodology, exposures) -> None:
    ws = wb.create_sheet("Overview")
    scores = {(p["investee_id"], p["principle_code"]): p["score"] for p in principles}
    codes = list(method.principles)
    for c in cards:
        c.update({code: scores.get((c["investee_id"], code)) for code in codes})
        c["exposure_usd"] = (exposures or {}).get(c["investee_id"])
    columns = [
        ("Investee ID", "investee_id", None),
        ("Institution", "institution_name", None),
        ("Country", "country", None),
        ("Overall score", "overall_score", SCORE),
        ("Previous score", "previous_overall_score", SCORE),
        ("Change", "overall_score_change", CHANGE),
        ("Rating", "rating", None),
        ("Rating before cap", "uncapped_rating", None),
        ("Screening", "screening", None),
        ("Critical flags", "critical_flags", INT),
        ("High flags", "high_flags", INT),
        ("Medium flags", "medium_flags", INT),
        *((f"{code} {name}", code, SCORE) for code, name in method.principles.items()),
        ("Peer percentile (mid-rank)", "overall_peer_percentile_midrank", "0"),
        ("Peers", "overall_peer_count", INT),
        *((("Exposure (USD)", "exposure_usd", USD),) if exposures is not None else ()),
        ("Methodology version", "methodology_version", None),
    ]
    last = _table(ws, columns, sorted(cards, key=lambda c: c["investee_id"]))
    _scale(ws, columns, ["overall_score", *codes], last)
    _fills(ws, columns, "rating", last, RATINGS)
    _fills(ws, columns, "uncapped_rating", last, RATINGS)
    _fills(ws, columns, "screening", last, ("pass", "watch", "fail"))
    # the rating distribution (and exposure by rating), as a table and a native chart beside the data
    start = len(columns) + 2
    col = get_column_letter(start)
    write_row(ws, 1, ["Rating", "Investees", *(("Exposure (USD)",) if exposures is not None else ())], start_column=start)
    for i, rating in enumerate(RATINGS, start=2):
        row = [rating, sum(1 for c in cards if c["rating"] == rating)]
        if exposures is not None:
            row.append(sum(c["exposure_usd"] or 0 for c in cards if c["rating"] == rating))
        for cell in write_row(ws, i, row, start_column=start)[2:]:
            cell.number_format = USD
    chart = _bar("Investees by rating", "Investees")
    chart.add_data(Reference(ws, min_col=start + 1, min_row=1, max_row=5), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=start, min_row=2, max_row=5))
    ws.add_chart(chart, f"{col}8")
    if exposures is not None:
        money = _bar("Exposure by rating (USD)", "USD")
        money.add_data(Reference(ws, min_col=start + 2, min_row=1, max_row=5), titles_from_data=True)
        money.set_categories(Reference(ws, min_col=start, min_row=2, max_row=5))
        ws.add_chart(money, f"{col}24")


def _bar(title: str, axis: str) -> BarChart:
    chart = BarChart()
    chart.type, chart.title, chart.y_axis.title, chart.legend = "col", title, axis, None
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl hides the axes unless told
    chart.height, chart.width = 7, 12
    return chart


def _principles(wb, principles: list[dict], names: dict) -> None:
    ws = wb.create_sheet("Principles")
    for p in principles:
        p["institution_name"] = names.get(p["investee_id"])
        p["change"] = None if p["score"] is None or p["previous_score"] is None else p["score"] - p["previous_score"]
    columns = [
        ("Investee ID", "investee_id", None),
        ("Institution", "institution_name", None),
        ("Principle", "principle_code", None),
        ("Principle name", "principle_name", None),
        ("Self-assessment score", "indicator_score", SCORE),
        ("Metric score", "metric_score", SCORE),
        ("Score", "score", SCORE),
        ("Previous score", "previous_score", SCORE),
        ("Change", "change", CHANGE),
        ("Peer percentile (mid-rank)", "peer_percentile_midrank", "0"),
        ("Peers", "peer_count", INT),
        ("Indicators scored", "indicators_scored", INT),
        ("Metrics scored", "metrics_scored", INT),
    ]
    last = _table(ws, columns, principles)
    _scale(ws, columns, ["indicator_score", "metric_score", "score"], last)
    start = len(columns) + 2
    write_row(ws, 1, ["Principle", "Mean score"], start_column=start)
    codes = sorted({p["principle_code"] for p in principles})
    for i, code in enumerate(codes, start=2):
        values = [p["score"] for p in principles if p["principle_code"] == code and p["score"] is not None]
        write_row(ws, i, [code, statistics.fmean(values) if values else None], start_column=start)[1].number_format = SCORE
    chart = _bar("Mean score by principle", "Score")
    chart.add_data(Reference(ws, min_col=start + 1, min_row=1, max_row=max(len(codes) + 1, 2)), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=start, min_row=2, max_row=max(len(codes) + 1, 2)))
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    ws.add_chart(chart, f"{get_column_letter(start)}{len(codes) + 4}")


def _flags(wb, flags: list[dict], names: dict, method: Methodology) -> None:
    ws = wb.create_sheet("Red flags")
    for f in flags:
        found = conditions(f.get("evidence"), method.indicator_text)
        f.update(
            institution_name=names.get(f["investee_id"]),
            subject=flag_subject(f),
            description=method.flag_description(f["flag_code"]),
            words="; ".join(k["words"] for k in found),
            cells=", ".join(c for k in found for c in k["cells"]),
        )
    flags.sort(key=lambda f: (f["investee_id"], SEVERITIES.index(f["severity"]) if f["severity"] in SEVERITIES else 9, f["flag_code"]))
    columns = [
        ("Investee ID", "investee_id", None),
        ("Institution", "institution_name", None),
        ("Severity", "severity", None),
        ("Flag", "flag_code", None),
        ("Principle", "principle_code", None),
        ("Concerns", "subject", None),
        ("Rule", "description", None),
        ("Evidence", "words", None),
        ("Workbook cells", "cells", None),
    ]
    last = _table(ws, columns, flags)
    _fills(ws, columns, "severity", last, SEVERITIES)


def _pricing(wb, products: list[dict], names: dict) -> None:
    ws = wb.create_sheet("Pricing")
    for p in products:
        p["institution_name"] = names.get(p["investee_id"])
    columns = [
        ("Investee ID", "investee_id", None),
        ("Institution", "institution_name", None),
        ("Product", "product_code", None),
        ("Product name", "product_name", None),
        ("Lending method", "lending_method", None),
        ("Repayment", "repayment_frequency", None),
        ("Interest method", "interest_method", None),
        ("Nominal rate", "nominal_rate_pct", '0.00" %"'),
        ("Rate per", "rate_period", None),
        ("Outstanding portfolio", "outstanding_portfolio", INT),
        ("APR", "apr_pct", PCT_FIELD),
        ("EIR", "eir_pct", PCT_FIELD),
        ("Disclosed APR", "disclosed_apr_pct", PCT_FIELD),
        ("APR understatement", "apr_understatement_pp", PP),
        ("Transparency index", "transparency_index", RATIO),
        ("Peer median APR", "peer_median_apr_pct", PCT_FIELD),
        ("Peer group", "peer_group", None),
        ("Peer investees", "peer_investees", INT),
        ("APR / peer median", "apr_to_peer_median", RATIO),
        ("APR from interest", "apr_interest_pp", PP),
        ("APR from fees", "apr_fees_pp", PP),
        ("APR from insurance", "apr_insurance_pp", PP),
        ("APR from deposit", "apr_deposit_pp", PP),
        ("APR from tax", "apr_tax_pp", PP),
        ("Pricing error", "pricing_error", None),
    ]
    last = _table(ws, columns, products)
    col = _column(columns, "apr_to_peer_median")
    ws.conditional_formatting.add(f"{col}2:{col}{last}", CellIsRule(operator="greaterThan", formula=["1.5"], fill=PatternFill("solid", bgColor=FILLS["fail"])))
    col = _column(columns, "apr_understatement_pp")
    ws.conditional_formatting.add(f"{col}2:{col}{last}", CellIsRule(operator="greaterThan", formula=["2"], fill=PatternFill("solid", bgColor=FILLS["high"])))


def _metrics(wb, history: list[dict], names: dict) -> None:
    ws = wb.create_sheet("Metrics over time")
    present = [(code, label) for code, label, _ in METRICS if not history or code in history[0]]
    for h in history:
        h["institution_name"] = names.get(h["investee_id"]) or h.get("institution_name")
        h["quarter"] = h["period_end"]
    columns = [("Investee ID", "investee_id", None), ("Institution", "institution_name", None), ("Quarter", "quarter", DATE)]
    columns += [(label, code, excel_format(code)) for code, label in present]
    _table(ws, columns, history)
    # the portfolio's median PAR30 and PAR90 by quarter, charted beside the data
    start = len(columns) + 2
    periods = sorted({h["period"] for h in history})
    write_row(ws, 1, ["Quarter", "Median PAR30", "Median PAR90"], start_column=start)
    for i, period in enumerate(periods, start=2):
        row = [period]
        for code in ("par30_ratio", "par90_ratio"):
            values = [h[code] for h in history if h["period"] == period and h.get(code) is not None]
            row.append(statistics.median(values) if values else None)
        for cell in write_row(ws, i, row, start_column=start)[1:]:
            cell.number_format = "0.0%"
    chart = LineChart()
    chart.title, chart.y_axis.title, chart.height, chart.width = "Portfolio median PAR by quarter", "Share of the portfolio", 7, 14
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.y_axis.number_format = "0%"
    chart.add_data(Reference(ws, min_col=start + 1, max_col=start + 2, min_row=1, max_row=max(len(periods) + 1, 2)), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=start, min_row=2, max_row=max(len(periods) + 1, 2)))
    ws.add_chart(chart, f"{get_column_letter(start)}{len(periods) + 4}")


def _submissions(wb, submissions: list[dict]) -> None:
    ws = wb.create_sheet("Submissions")
    for s in submissions:
        s["received"] = (
            s["received_at"].replace(tzinfo=None) if hasattr(s.get("received_at"), "tzinfo") and s["received_at"] is not None else s.get("received_at")
        )
    columns = [
        ("Investee ID", "investee_id", None),
        ("Submission", "submission_id", None),
        ("File", "file_name", None),
        ("Received (UTC)", "received", "yyyy-mm-dd hh:mm"),
        ("Status", "status", None),
        ("Superseded by", "superseded_by", None),
        ("Errors", "error_count", INT),
        ("Warnings", "warning_count", INT),
        ("Reason", "reason", None),
    ]
    _table(ws, columns, submissions)
