"""The small parts of the reports, without a warehouse: cell ranges, evidence in words, charts, exposures, printing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import weasyprint
from pypdf import PdfReader
from smartdd.reports import charts, render
from smartdd.reports.evidence import cell_ranges, condition_words
from smartdd.reports.exposures import BadExposures, parse_exposures
from smartdd.reports.peers import period_stats, quartiles_shown
from smartdd.reports.render import render_html


def test_cells_become_ranges():
    cells = [f"Products!{c}3" for c in "DEFGHIJKLMNOP"]
    assert cell_ranges(cells) == ["Products!D3:P3"]
    assert cell_ranges(["Cover!C4", "Products!C3", "Products!C4", "Products!D3", "Products!D4"]) == ["Cover!C4", "Products!C3:D4"]
    assert cell_ranges(["Loan_Tape!B2:B301", "Loan_Tape!C2:C301", "Loan_Tape!P2:P301"]) == ["Loan_Tape!B2:C301", "Loan_Tape!P2:P301"]
    assert cell_ranges(["Complaints!B2", "Complaints!B3", "Complaints!B5"]) == ["Complaints!B2:B3", "Complaints!B5"]


def test_evidence_reads_as_words():
    assert condition_words({"metric": "is_apr_disclosed", "value": 0.0, "comparison": "=", "threshold": 0.0}) == "APR disclosed to clients: no"
    words = condition_words({"metric": "par30_ratio", "value": 0.1123, "comparison": ">", "threshold": 0.1})
    assert words == "PAR30 is 11.2%, above the threshold of 10.0%"
    assert condition_words({"indicator_code": "CP2.5a", "answer": "No"}, lambda code: "Incentives").startswith("CP2.5a answered No")


def test_charts_are_wellformed_svg_whatever_the_labels():
    for svg in (
        charts.radar(["P1", "P2", "P3"], [("now", [80, None, 60], "current"), ("median", [70, 75, 65], "median")]),
        charts.bars(["≤ 10%", "> 100%"], [0.2, 0.0], [False, True]),
        charts.lines_over_time(["2026-06-30", "2026-09-30"], {"PAR30": [0.05, None]}),
        charts.complaints(["a <b> & \x1b c"], [3], [2], [1]),
        charts.cost_split(["$X$ =SUM(1)"], {"interest": [30.0], "fees": [None]}),
        charts.rating_bars({"A": 1, "B": 0}),
        charts.quartiles(["P1 x" * 20], [50], [None], [None], [None], ("you", "iqr", "median")),
    ):
        ET.fromstring(svg)  # parses: labels are escaped, control characters gone
        assert "\x1b" not in svg


def test_exposures_are_checked_line_by_line():
    assert parse_exposures('investee_id,exposure_usd\nMFI-A,1000000\nMFI-B,"2,500.5"\n') == {"MFI-A": 1_000_000.0, "MFI-B": 2500.5}
    with pytest.raises(BadExposures, match="header"):
        parse_exposures("id,amount\nA,1\n")
    with pytest.raises(BadExposures, match="Line 3: exposure_usd 'lots' is not a number"):
        parse_exposures("investee_id,exposure_usd\nA,1\nB,lots\n")
    with pytest.raises(BadExposures, match="appears twice"):
        parse_exposures("investee_id,exposure_usd\nA,1\nA,2\n")
    with pytest.raises(BadExposures, match="zero or more"):
        parse_exposures("investee_id,exposure_usd\nA,-5\n")


def test_quartiles_need_five_other_investees():
    import pandas as pd

    def stats(n):
        principles = pd.DataFrame({"principle_code": ["P1"] * n, "score": [float(i) for i in range(n)]})
        return period_stats(principles, pd.DataFrame({"overall_score": [1.0] * n}))

    assert not quartiles_shown(stats(5)["P1"]) and quartiles_shown(stats(6)["P1"])
    assert stats(6)["P1"]["median"] == 2.5


def test_templates_print_investee_text_without_control_characters():
    page = render_html(
        "index.html.j2",
        {
            "quarters": [
                {"period": "2026-09-30\x1b[31m", "investees": 1, "screenings": {"pass": 1, "watch": 0, "fail": 0}, "in_warehouse": True, "rendered": True}
            ],
            "generated": "x",
        },
    )
    assert "\x1b" not in page


def test_the_pdf_leaves_out_screen_only_markup_and_keeps_list_markers(tmp_path):
    assert render._printed_html() is not weasyprint.HTML  # the pinned WeasyPrint's stylesheet was trimmed, not kept whole
    html = "<!doctype html><html><body><p>kept</p><!--screen--><p>screen only</p><!--/screen--><ul><li>item</li></ul></body></html>"
    text = PdfReader(render.write_pdf(tmp_path / "page.pdf", html)).pages[0].extract_text()
    assert "kept" in text and "screen only" not in text
    assert "•" in text and "item" in text  # list items still have their markers
