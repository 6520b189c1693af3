"""The portfolio dashboard and the Excel scorecard hold the marts' values, with names, reasons and formats."""

from __future__ import annotations

import html

import openpyxl
import pytest
from pypdf import PdfReader
from smartdd.reports.build import write_reports

pytestmark = pytest.mark.slow


def _latest_period(marts) -> str:
    return str(marts("select max(period_end) as p from marts.cp_scorecard")[0]["p"])[:10]


def test_the_dashboard_names_every_investee_with_its_scores_and_reasons(reported, marts):
    settings, _ = reported
    period = _latest_period(marts)
    page = html.unescape((settings.reports / period / "portfolio.html").read_text(encoding="utf-8"))
    cards = marts(f"select * from marts.cp_scorecard where period_end = '{period}'")
    heatmap = page[page.index('id="heatmap"') : page.index("</table>", page.index('id="heatmap"'))]
    for card in cards:
        assert card["institution_name"] in heatmap and card["investee_id"] in heatmap
        assert f"<b>{card['overall_score']:.1f}</b>" in heatmap
    watch = page[page.index("Watch list") :]
    for card in cards:
        if card["screening"] != "pass":
            assert card["institution_name"] in watch
    rejected = marts(f"select * from marts.submissions where status = 'rejected' and period_end = '{period}'")
    assert rejected and all(r["file_name"] in page for r in rejected)
    assert 'href="../../warehouse/docs/index.html"' in page
    assert len(PdfReader(settings.reports / period / "portfolio.pdf").pages) >= 1


def test_exposures_weight_the_scores(reported, marts, tmp_path):
    settings, _ = reported
    period = _latest_period(marts)
    cards = marts(f"select investee_id, overall_score, rating from marts.cp_scorecard where period_end = '{period}' order by investee_id")
    exposures = {c["investee_id"]: 1_000_000.0 * (i + 1) for i, c in enumerate(cards)}
    csv = tmp_path / "exposures.csv"
    csv.write_text("investee_id,exposure_usd\n" + "".join(f"{k},{v:.0f}\n" for k, v in exposures.items()) + "MFI-XX-999,5\n")
    out = tmp_path / "reports"
    write_reports(settings.warehouse, out, exposures=csv, period=period)
    page = html.unescape((out / period / "portfolio.html").read_text(encoding="utf-8"))
    weighted = sum(exposures[c["investee_id"]] * c["overall_score"] for c in cards) / sum(exposures.values())
    table = page[page.index('id="exposure"') :]
    assert f"<b>{weighted:.1f}</b>" in table
    assert "MFI-XX-999" in page  # in the file but not scored: said so
    sheet = openpyxl.load_workbook(out / period / "portfolio_scorecard.xlsx")["Overview"]
    header = [c.value for c in sheet[1]]
    column = header.index("Exposure (USD)")
    assert {r[0].value: r[column].value for r in sheet.iter_rows(min_row=2) if r[0].value in exposures} == exposures


def test_the_excel_scorecard_holds_the_marts_values_with_formats_charts_and_filters(reported, marts):
    settings, _ = reported
    period = _latest_period(marts)
    wb = openpyxl.load_workbook(settings.reports / period / "portfolio_scorecard.xlsx")
    assert wb.sheetnames == ["Overview", "Principles", "Red flags", "Pricing", "Metrics over time", "Submissions"]
    overview = wb["Overview"]
    header = [c.value for c in overview[1]]
    assert header[:4] == ["Investee ID", "Institution", "Country", "Overall score"]
    cards = {c["investee_id"]: c for c in marts(f"select * from marts.cp_scorecard where period_end = '{period}'")}
    rows = {r[0].value: r for r in overview.iter_rows(min_row=2) if r[0].value in cards}
    assert set(rows) == set(cards)
    for investee_id, row in rows.items():
        assert row[3].value == pytest.approx(cards[investee_id]["overall_score"], rel=1e-12) and row[3].number_format == "0.0"
        assert row[header.index("Rating")].value == cards[investee_id]["rating"]
    assert overview.freeze_panes == "C2" and overview.auto_filter.ref.startswith("A1:")
    assert len(overview._charts) >= 1 and len(wb["Principles"]._charts) == 1 and len(wb["Metrics over time"]._charts) == 1
    assert overview.conditional_formatting, "scores and ratings carry conditional formats"
    metrics = wb["Metrics over time"]
    mheader = [c.value for c in metrics[1]]
    par30 = mheader.index("PAR30")
    assert metrics.cell(row=2, column=par30 + 1).number_format == "0.0%"
    pricing = wb["Pricing"]
    pheader = [c.value for c in pricing[1]]
    apr = {(r[0].value, r[2].value): r[pheader.index("APR")].value for r in pricing.iter_rows(min_row=2)}
    for p in marts(f"select investee_id, product_code, apr_pct from marts.product_pricing where period_end = '{period}'"):
        assert apr[(p["investee_id"], p["product_code"])] == pytest.approx(p["apr_pct"], rel=1e-12)  # Excel keeps 15 digits
    assert all(overview.column_dimensions[c].width >= 8 for c in "ABCD")
