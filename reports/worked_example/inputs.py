"""Section 1 of the worked example: the workbook's inputs, each with the cell it was read from."""

from __future__ import annotations

from smartdd.reports.worked_example import queries
from smartdd.reports.worked_example.markdown import cell, column, given, heading, is_missing, table
from smartdd.reports.worked_example.queries import Quarter

PORTFOLIO_FIELDS = [
    "active_borrowers",
    "active_borrowers_women",
    "active_borrowers_rural",
    "gross_loan_portfolio",
    "gross_loan_portfolio_start",
    "par30",
    "par90",
    "restructured_portfolio",
    "write_offs_period",
    "loan_loss_reserve",
    "loans_disbursed_period",
    "amount_disbursed_period",
    "interest_fee_income_period",
    "operating_expenses_period",
    "loan_officers",
    "clients_start_period",
    "clients_exited_period",
    "credit_bureau_checked_pct",
    "multiple_lender_borrowers_pct",
    "data_breaches_period",
    "staff_trained_cp_pct",
]
COVER_FIELDS = ["investee_id", "institution_name", "country", "currency", "period_end", "fx_rate_usd", "legal_form"]
PRODUCT_TERMS = [
    "loan_amount",
    "installments",
    "repayment_frequency",
    "term_days",
    "nominal_rate_pct",
    "rate_period",
    "interest_method",
    "upfront_fee_pct",
    "upfront_fee_flat",
    "insurance_pct",
    "compulsory_savings_pct",
    "tax_on_interest_pct",
    "disclosed_apr_pct",
    "active_loans",
    "outstanding_portfolio",
]


def section_cover(q: Quarter, where: dict) -> list[str]:
    row = queries.portfolio_row(q)
    lines = heading(2, "1. Inputs") + heading(3, "1.1 Cover")
    return lines + table(["field", "cell", "value"], ([field, cell(where, "Cover", field), given(row[field])] for field in COVER_FIELDS))


def section_portfolio(q: Quarter, where: dict) -> list[str]:
    row = queries.portfolio_row(q)
    lines = heading(3, f"1.2 Portfolio figures ({row['currency']})")
    return lines + table(["field", "cell", "value"], ([field, cell(where, "Portfolio", field), given(row[field])] for field in PORTFOLIO_FIELDS))


def section_products(q: Quarter, where: dict) -> list[str]:
    found = queries.products(q)
    lines = heading(3, "1.3 Products and their pricing terms")
    lines += ["Percentages in percent units; a blank optional term is 0; a blank `disclosed_apr_pct` means not disclosed.", ""]
    headers = ["field"] + [f"{p['product_code']} (row {p['source_row']})" for p in found]
    body = [["product_name"] + [p["product_name"] for p in found], ["lending_method"] + [p["lending_method"] for p in found]]
    body += [[f"{field} (column {column(where, 'Products', field)})"] + [given(p[field]) for p in found] for field in PRODUCT_TERMS]
    return lines + table(headers, body)


def section_complaints(q: Quarter, where: dict) -> list[str]:
    lines = heading(3, "1.4 Complaints")
    found = queries.complaint_rows(q)
    if found is None:
        lines += ["(The raw zone is not readable here: per-category rows omitted, totals below.)", ""]
    else:
        lines += table(
            ["category", "row", "received", "resolved", "resolved within 30 days"],
            ([r["category"], r["source_row"], given(r["received"]), given(r["resolved"]), given(r["resolved_within_30d"])] for r in found),
        )
    totals = queries.complaint_totals(q)
    lines += table(
        ["total received", "total resolved", "resolved within 30 days", "collection_practices received"],
        [
            [
                given(totals["complaints_received"]),
                given(totals["complaints_resolved"]),
                given(totals["complaints_resolved_within_30d"]),
                given(totals["collection_complaints_received"]),
            ]
        ],
    )
    return lines


def section_cp_answers(q: Quarter, where: dict) -> list[str]:
    answers = queries.cp_answers(q)
    values = queries.answer_values(q)
    lines = heading(3, "1.5 Self-assessment (CP_Assessment), by principle")
    lines += [
        "Value of an answer: "
        + ", ".join(
            f"{v['response']} = {given(v['value'])} ({given(v['value_without_evidence'])} without evidence)" for v in values if not is_missing(v["value"])
        )
        + "; N/A has no value and leaves the denominator. E = essential practice (a No raises a critical flag).",
        "",
    ]
    for principle in sorted({a["principle_code"] for a in answers}):
        lines += [f"**{principle}**", ""]
        lines += table(
            ["indicator", "E", "cell", "answer", "evidence", "answer value", "scored value", "practice"],
            (
                [
                    a["indicator_code"],
                    "E" if a["is_essential"] else "",
                    cell(where, "CP_Assessment", "response", a["source_row"]),
                    a["response"],
                    "present" if a["has_evidence"] else "**missing**",
                    given(a["answer_value"]),
                    given(a["scored_value"]),
                    a["text_en"],
                ]
                for a in answers
                if a["principle_code"] == principle
            ),
        )
    return lines


def section_tape_inputs(q: Quarter) -> list[str]:
    tape = queries.tape_metrics_row(q)
    lines = heading(3, "1.6 Loan tape (aggregates)")
    if not tape:
        return lines + ["No loan tape was sent this quarter: the tape metrics are missing and left out.", ""]
    counts = queries.tape_counts(q)
    lines += ["Client ids and national ids are keyed hashes; a borrower is a distinct hashed client id of an active (not written-off) loan.", ""]
    items = [
        ("loans in the tape", tape["tape_loans"]),
        ("written-off loans", counts.get("tape_loans_written_off")),
        ("active loans", counts.get("tape_loans_active")),
        ("active loans at risk (dpd > 30 or restructured)", counts.get("tape_loans_at_risk")),
        ("tape_gross_loan_portfolio (Σ outstanding_principal, active)", tape["tape_gross_loan_portfolio"]),
        ("tape_par30 (Σ outstanding_principal, active at risk)", tape["tape_par30"]),
        ("tape_active_borrowers", tape["tape_active_borrowers"]),
        ("borrowers_with_dsti (income and installment known)", counts.get("borrowers_with_dsti")),
        ("borrowers_over_dsti_limit", counts.get("borrowers_over_dsti_limit")),
        ("borrowers_with_other_lender_loans", counts.get("borrowers_with_other_lender_loans")),
        ("borrowers_multi_lender", counts.get("borrowers_multi_lender")),
        ("borrowers_with_national_id", counts.get("borrowers_with_national_id")),
        ("borrowers_shared (also in another investee's tape)", counts.get("borrowers_shared")),
    ]
    return lines + table(["aggregate", "value"], ([name, given(value)] for name, value in items))
