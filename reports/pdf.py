"""One-page-or-so PDF scorecard per investee (fpdf2: pure Python, no system libraries)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from smartdd.reports.format import fmt

from smartdd.safe_text import printable

_REPLACE = {"≤": "<=", "≥": ">=", "–": "-", "—": "-", "×": "x", "’": "'", "…": "..."}


def _latin1(text) -> str:
    """The core PDF fonts are Latin-1: replace what they cannot draw instead of failing."""
    text = printable(str(text))
    for old, new in _REPLACE.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf_scorecard(context: dict, path: Path) -> Path:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin1(context["institution_name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin1(f"{context['investee_id']} - client-protection scorecard, quarter ending {context['latest']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for s in context["scorecard"]:
        summary = (
            f"Overall score {fmt(s['overall_score'], '{:.0f}')} (previous {fmt(s['previous_overall_score'], '{:.0f}')})   "
            f"Rating {s['rating']}   Screening {s['screening']}   Critical flags {s['critical_flags']}   High flags {s['high_flags']}"
        )
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(summary), new_x="LMARGIN", new_y="NEXT")
    _table(
        pdf,
        "Principles",
        ["Principle", "Self-assessment", "Metrics", "Score", "Previous", "Peer pct"],
        [
            [
                f"{p['principle_code']} {p['principle_name']}",
                *(fmt(p[k], "{:.0f}") for k in ("indicator_score", "metric_score", "score", "previous_score", "peer_percentile")),
            ]
            for p in context["principles"]
        ],
        [80, 24, 18, 16, 18, 18],
    )
    _table(
        pdf,
        "Red flags",
        ["Severity", "Flag", "Detail"],
        [[f["severity"], f["flag_code"], f["detail"]] for f in context["flags"]] or [["-", "none", ""]],
        [20, 52, 102],
    )
    _table(
        pdf,
        "Pricing",
        ["Product", "APR", "EIR", "Disclosed", "Peer median"],
        [[p["product_code"], *(fmt(p[k], "{:.1f} %") for k in ("apr_pct", "eir_pct", "disclosed_apr_pct", "peer_median_apr_pct"))] for p in context["pricing"]],
        [50, 30, 30, 32, 32],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _table(pdf: FPDF, title: str, header: list[str], rows: list[list], widths: list[int]) -> None:
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
        table.row([_latin1(h) for h in header])
        for row in rows:
            table.row([_latin1(v) for v in row])
