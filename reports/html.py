"""One HTML due-diligence report per investee, read from the published marts only."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")
METRICS = [
    ("gross_loan_portfolio_usd", "Gross loan portfolio (USD)", "{:,.0f}"),
    ("active_borrowers", "Active borrowers", "{:,.0f}"),
    ("par30_ratio", "PAR30", "{:.1%}"),
    ("par90_ratio", "PAR90", "{:.1%}"),
    ("restructured_ratio", "Restructured / GLP", "{:.1%}"),
    ("write_off_ratio", "Write-off ratio (annualised)", "{:.1%}"),
    ("portfolio_yield", "Portfolio yield (annualised)", "{:.1%}"),
    ("risk_coverage", "Risk coverage", "{:.2f}"),
    ("women_borrowers_pct", "Women borrowers", "{:.1f} %"),
    ("borrowers_per_loan_officer", "Borrowers per loan officer", "{:,.0f}"),
    ("average_loan_disbursed_usd", "Average loan disbursed (USD)", "{:,.0f}"),
    ("client_exit_rate", "Client exit rate (annualised)", "{:.1%}"),
    ("complaints_per_1000", "Complaints per 1,000 borrowers (annualised)", "{:.2f}"),
    ("complaint_resolution_30d_rate", "Complaints resolved within 30 days", "{:.0%}"),
    ("collection_complaints_share", "Collection-practice complaints share", "{:.0%}"),
    ("data_breaches_period", "Client-data breaches", "{:,.0f}"),
]


def _fmt(value, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return pattern.format(value)


def write_html_reports(warehouse: Path, out_dir: Path) -> list[Path]:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("investee.html.j2")
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        metrics = con.sql("select * from marts.investee_quarter_metrics order by investee_id, period_end").fetchdf()
        issues = con.sql(
            """
            select s.investee_id, s.period_end, i.sheet, i.cell, i.severity, i.message
            from marts.validation_issues i join marts.submissions s using (submission_id)
            where s.status <> 'rejected' and s.superseded_by is null and i.severity = 'warning'
            order by 1, 2, 3, 4
            """
        ).fetchdf()
    written = []
    for investee_id, rows in metrics.groupby("investee_id", sort=True):
        periods = [str(p)[:10] for p in rows["period_end"]]
        table = [(label, [_fmt(v, pattern) for v in rows[column]]) for column, label, pattern in METRICS]
        warnings = issues[issues["investee_id"] == investee_id].to_dict("records")
        html = template.render(investee_id=investee_id, periods=periods, table=table, warnings=warnings)
        path = out_dir / f"{investee_id}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written
