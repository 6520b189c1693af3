"""How numbers look in every report (HTML, PDF, Excel share these labels and formats)."""

from __future__ import annotations

import math

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
    ("weighted_apr_pct", "Weighted APR", "{:.1f} %"),
    ("apr_disclosed_share", "Portfolio with disclosed APR", "{:.0%}"),
    ("apr_to_peer_median", "APR / peer median", "{:.2f}"),
    ("dsti_over_50_share", "Borrowers with DSTI > 50 %", "{:.1%}"),
    ("multi_lender_share", "Borrowers with 2+ other lenders", "{:.1%}"),
    ("cross_investee_share", "Borrowers also at another investee", "{:.1%}"),
    ("tape_par30_ratio", "PAR30 from the loan tape", "{:.1%}"),
]


def fmt(value, pattern: str = "{:,.1f}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        if value != value:  # pandas NA / NaT
            return "–"
    except TypeError:
        return "–"
    if isinstance(value, str):
        return value
    return pattern.format(value)


def day(value) -> str:
    return "" if value is None else str(value)[:10]
