"""A worked example of the methodology: one investee-quarter's scorecard, step by step.

    python -m smartdd.reports.worked_example --warehouse PATH [--investee ID] [--period YYYY-MM-DD] -o docs/worked-example.md

Reads the published warehouse read-only and writes a Markdown document that walks from the
workbook's inputs to the rating: every metric with its formula and inputs, each product's
price, each metric score, each principle score, the overall score, the rating and the
screening, and every red flag with its evidence and cells.

Every number shown is read from the warehouse (schemas marts, intermediate, methodology; the
staging views only for workbook cells and complaint categories). The document substitutes
the inputs into each formula but never evaluates one: the results are the pipeline's, so the
document can be checked by hand against methodology.md.

Default quarter: the latest quarter of an investee that has a loan tape, at least one red flag
and a previous quarter; among those, the investee with the most severe flags (critical, then
high, then all), then the first investee id. With --period alone, the same choice within that
quarter (any investee of it when none qualifies); with --investee alone, its latest quarter.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

# Formulas of methodology.md section 3, as documentation. Each name in a formula is replaced
# by its input value from the warehouse; the result next to it is the warehouse's.
PORTFOLIO_METRICS = [
    ("gross_loan_portfolio_usd", "gross_loan_portfolio / fx_rate_usd", ""),
    ("par30_ratio", "par30 / gross_loan_portfolio", ""),
    ("par90_ratio", "par90 / gross_loan_portfolio", ""),
    ("restructured_ratio", "restructured_portfolio / gross_loan_portfolio", ""),
    ("write_off_ratio", "annualisation_factor × write_offs_period / ((gross_loan_portfolio_start + gross_loan_portfolio) / 2)", ""),
    ("portfolio_yield", "annualisation_factor × interest_fee_income_period / ((gross_loan_portfolio_start + gross_loan_portfolio) / 2)", ""),
    ("risk_coverage", "loan_loss_reserve / par30", "null when par30 = 0"),
    ("women_borrowers_pct", "100 × active_borrowers_women / active_borrowers", ""),
    ("borrowers_per_loan_officer", "active_borrowers / loan_officers", ""),
    ("average_loan_disbursed_usd", "amount_disbursed_period / loans_disbursed_period / fx_rate_usd", ""),
    ("client_exit_rate", "annualisation_factor × clients_exited_period / clients_start_period", ""),
    ("complaints_received", "received_by_category", "Σ received over the rows of the Complaints sheet"),
    ("complaints_per_1000", "annualisation_factor × 1000 × complaints_received / active_borrowers", ""),
    ("complaint_resolution_30d_rate", "complaints_resolved_within_30d / complaints_received", "null when none received"),
    (
        "collection_complaints_share",
        "collection_complaints_received / complaints_received",
        "null when fewer than min_complaints_for_collection_share received",
    ),
    ("multiple_lender_borrowers_pct", "multiple_lender_borrowers_pct", "as reported on the Portfolio sheet"),
    ("credit_bureau_checked_pct", "credit_bureau_checked_pct", "as reported on the Portfolio sheet"),
    ("data_breaches_period", "data_breaches_period", "as reported on the Portfolio sheet"),
    ("par30_ratio_change", "par30_ratio − previous_par30_ratio", "previous calendar quarter; null when it is missing"),
]

TAPE_METRICS = [
    ("tape_par30_ratio", "tape_par30 / tape_gross_loan_portfolio", "at risk: days_past_due > tape_par_days or restructured; written-off loans count nowhere"),
    ("dsti_over_50_share", "borrowers_over_dsti_limit / borrowers_with_dsti", "a borrower is over when any of her active loans has dsti > dsti_limit"),
    ("multi_lender_share", "borrowers_multi_lender / borrowers_with_other_lender_loans", "other_lender_loans ≥ multi_lender_min_other_loans"),
    ("cross_investee_share", "borrowers_shared / borrowers_with_national_id", "hashed national_id also in another investee's tape this quarter"),
    ("tape_gross_loan_portfolio_gap", "|tape_gross_loan_portfolio − gross_loan_portfolio| / gross_loan_portfolio", "0 when equal"),
    ("tape_par30_gap", "|tape_par30 − par30| / par30", "0 when equal"),
    ("tape_active_borrowers_gap", "|tape_active_borrowers − active_borrowers| / active_borrowers", "0 when equal"),
]

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
_NAME = re.compile(r"[a-z][a-z0-9_]*")


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    """The investee-quarter the document is about, and the connection it is read from."""

    con: duckdb.DuckDBPyConnection
    submission_id: str
    investee_id: str
    period_end: date
    methodology_version: str
    chosen_by: str


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable = ()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable = ()) -> dict | None:
    found = rows(con, sql, params)
    return found[0] if found else None


def optional_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable = ()) -> list[dict] | None:
    """Rows of a staging or loan-level view, or None when its raw-zone files are not readable here."""
    try:
        return rows(con, sql, params)
    except duckdb.Error:
        return None


def choose_quarter(con: duckdb.DuckDBPyConnection, investee: str | None, period: str | None) -> tuple[dict, str]:
    if investee and period:
        found = one(con, "select * from marts.cp_scorecard where investee_id = ? and period_end = cast(? as date)", [investee, period])
        return found, "chosen on the command line"
    if investee:
        found = one(con, "select * from marts.cp_scorecard where investee_id = ? order by period_end desc limit 1", [investee])
        return found, "the latest quarter of the investee chosen on the command line"
    found = one(
        con,
        """
        with scored as (
            select
                card.*,
                metrics.has_loan_tape
                and card.previous_overall_score is not null
                and exists (select 1 from marts.red_flags as flags where flags.submission_id = card.submission_id) as fits
            from marts.cp_scorecard as card
            inner join marts.investee_quarter_metrics as metrics using (submission_id)
        )
        select * from scored
        where cast(? as date) is null or period_end = cast(? as date)
        order by fits desc, period_end desc, critical_flags desc, high_flags desc, critical_flags + high_flags + medium_flags desc, investee_id
        limit 1
        """,
        [period, period],
    )
    if period:
        return found, (
            "the quarter given on the command line; in it, an investee that has a loan tape, red flags and a previous quarter "
            "(any investee if none has), the one with the most severe flags (critical, then high, then all), then the first investee id"
        )
    return found, (
        "the default: the latest quarter of an investee that has a loan tape, red flags and a previous quarter; "
        "among those, the one with the most severe flags (critical, then high, then all), then the first investee id"
    )


def parameters(q: Quarter) -> dict[str, float]:
    found = rows(q.con, "select parameter, value from methodology.methodology_parameters where methodology_version = ?", [q.methodology_version])
    return {row["parameter"]: float(row["value"]) for row in found}


def portfolio_row(q: Quarter) -> dict:
    return one(q.con, "select * from intermediate.int_portfolio__current where submission_id = ?", [q.submission_id])


def metrics_row(q: Quarter) -> dict:
    return one(q.con, "select * from intermediate.int_investee_quarters__metrics where submission_id = ?", [q.submission_id])


def complaint_totals(q: Quarter) -> dict:
    found = one(q.con, "select * from intermediate.int_complaints__totals where submission_id = ?", [q.submission_id])
    return found or {"complaints_received": 0, "complaints_resolved": 0, "complaints_resolved_within_30d": 0, "collection_complaints_received": 0}


def products(q: Quarter) -> list[dict]:
    return rows(
        q.con,
        """
        select current.*, priced.periodic_rate, priced.apr_pct, priced.eir_pct, priced.nominal_annual_rate_pct,
               priced.transparency_index, priced.apr_understatement_pp, priced.pricing_error,
               bench.is_apr_disclosed, bench.peer_group, bench.peer_investees, bench.peer_median_apr_pct, bench.apr_to_peer_median
        from intermediate.int_products__current as current
        left join intermediate.int_products__priced as priced using (submission_id, product_code)
        left join intermediate.int_products__peer_benchmarked as bench using (submission_id, product_code)
        where current.submission_id = ?
        order by current.source_row
        """,
        [q.submission_id],
    )


def cells(q: Quarter) -> dict[tuple[str, str], dict]:
    """(sheet, field) → column letter and row, from the raw zone's provenance (empty if unreadable)."""
    found = optional_rows(q.con, "select sheet, field, column_letter, row_number from staging.stg_raw__provenance where submission_id = ?", [q.submission_id])
    return {(row["sheet"], row["field"]): row for row in found or []}


def column(where: dict, sheet: str, field: str) -> str:
    found = where.get((sheet, field))
    return found["column_letter"] if found else "–"


def cell(where: dict, sheet: str, field: str, row: int | None = None) -> str:
    found = where.get((sheet, field))
    if not found:
        return "–"
    number = found["row_number"] if found["row_number"] is not None else row
    return f"{sheet}!{found['column_letter']}{number}" if number is not None else f"{sheet}!{found['column_letter']}"


# --- formatting ------------------------------------------------------------------------------


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def num(value, digits: int = 4) -> str:
    """A result as the warehouse holds it, rounded for reading."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def given(value) -> str:
    """An input as written in the workbook (no rounding beyond 10 significant digits)."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,.10g}"
    return str(value)


def substitute(formula: str, values: dict) -> str:
    """The formula with each known name replaced by its value (the formula is not evaluated)."""
    return _NAME.sub(lambda m: given(values[m.group(0)]) if m.group(0) in values else m.group(0), formula)


def table(headers: list[str], body: Iterable[Iterable]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in body:
        lines.append("| " + " | ".join(str(value).replace("|", "\\|") for value in row) + " |")
    return lines + [""]


def heading(level: int, text: str) -> list[str]:
    return ["#" * level + " " + text, ""]


# --- sections ---------------------------------------------------------------------------------


def section_header(q: Quarter, warehouse: Path) -> list[str]:
    card = scorecard(q)
    submission = one(q.con, "select * from marts.submissions where submission_id = ?", [q.submission_id])
    return [
        f"# Worked example: {card['institution_name']} ({q.investee_id}), quarter ending {q.period_end}",
        "",
        "How the client-protection scorecard of one investee-quarter is computed, from the workbook's "
        "cells to the rating, following `methodology.md` (methodology version "
        f"{q.methodology_version}). Every result below is read from the warehouse the pipeline built "
        f"(`{warehouse.name}`: schemas `marts`, `intermediate`, `methodology`); the formulas show the inputs "
        "substituted so that each number can be checked by hand.",
        "",
        f"- Why this investee-quarter: {q.chosen_by}.",
        f"- Submission `{q.submission_id}`: `{submission['file_name']}`, status **{submission['status']}**, "
        f"{submission['warning_count']} warning(s), {submission['error_count']} error(s).",
        f"- Regenerate: `python -m smartdd.reports.worked_example --warehouse {warehouse.name} --investee {q.investee_id} "
        f"--period {q.period_end} -o docs/worked-example.md`.",
        "",
    ] + validation_notes(q)


def validation_notes(q: Quarter) -> list[str]:
    issues = rows(
        q.con,
        "select sheet, cell, severity, message from marts.validation_issues where submission_id = ? and severity <> 'info' order by sheet, cell",
        [q.submission_id],
    )
    if not issues:
        return []
    return (
        ["Validation found (the workbook was still accepted):", ""] + [f"- {i['severity']} at {i['sheet']}!{i['cell']}: {i['message']}" for i in issues] + [""]
    )


def scorecard(q: Quarter) -> dict:
    return one(q.con, "select * from marts.cp_scorecard where submission_id = ?", [q.submission_id])


def section_summary(q: Quarter) -> list[str]:
    card = scorecard(q)
    principles = rows(q.con, "select * from marts.cp_principle_scores where submission_id = ? order by principle_code", [q.submission_id])
    lines = heading(2, "The scorecard at a glance")
    lines += table(
        ["principle", "indicator score", "metric score", "score", "previous", "peer percentile"],
        (
            [
                f"{p['principle_code']} {p['principle_name']}",
                num(p["indicator_score"], 2),
                num(p["metric_score"], 2),
                num(p["score"], 2),
                num(p["previous_score"], 2),
                num(p["peer_percentile"], 1),
            ]
            for p in principles
        ),
    )
    lines += table(
        ["overall score", "previous", "change", "peer percentile", "rating before cap", "rating", "screening", "flags (critical / high / medium)"],
        [
            [
                num(card["overall_score"], 2),
                num(card["previous_overall_score"], 2),
                num(card["overall_score_change"], 2),
                num(card["overall_peer_percentile"], 1),
                card["uncapped_rating"],
                f"**{card['rating']}**",
                f"**{card['screening']}**",
                f"{card['critical_flags']} / {card['high_flags']} / {card['medium_flags']}",
            ]
        ],
    )
    return lines


def section_cover(q: Quarter, where: dict) -> list[str]:
    row = portfolio_row(q)
    lines = heading(2, "1. Inputs") + heading(3, "1.1 Cover")
    return lines + table(["field", "cell", "value"], ([field, cell(where, "Cover", field), given(row[field])] for field in COVER_FIELDS))


def section_portfolio(q: Quarter, where: dict) -> list[str]:
    row = portfolio_row(q)
    lines = heading(3, f"1.2 Portfolio figures ({row['currency']})")
    return lines + table(["field", "cell", "value"], ([field, cell(where, "Portfolio", field), given(row[field])] for field in PORTFOLIO_FIELDS))


def section_products(q: Quarter, where: dict) -> list[str]:
    found = products(q)
    lines = heading(3, "1.3 Products and their pricing terms")
    lines += ["Percentages in percent units; a blank optional term is 0; a blank `disclosed_apr_pct` means not disclosed.", ""]
    headers = ["field"] + [f"{p['product_code']} (row {p['source_row']})" for p in found]
    body = [["product_name"] + [p["product_name"] for p in found], ["lending_method"] + [p["lending_method"] for p in found]]
    body += [[f"{field} (column {column(where, 'Products', field)})"] + [given(p[field]) for p in found] for field in PRODUCT_TERMS]
    return lines + table(headers, body)


def section_complaints(q: Quarter, where: dict) -> list[str]:
    lines = heading(3, "1.4 Complaints")
    found = optional_rows(q.con, "select * from staging.stg_raw__complaints where submission_id = ? order by source_row", [q.submission_id])
    if found is None:
        lines += ["(The raw zone is not readable here: per-category rows omitted, totals below.)", ""]
    else:
        lines += table(
            ["category", "row", "received", "resolved", "resolved within 30 days"],
            ([r["category"], r["source_row"], given(r["received"]), given(r["resolved"]), given(r["resolved_within_30d"])] for r in found),
        )
    totals = complaint_totals(q)
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


def cp_answers(q: Quarter) -> list[dict]:
    return rows(
        q.con,
        """
        select answers.*, indicators.is_na_allowed, indicators.text_en
        from intermediate.int_cp_answers__valued as answers
        left join methodology.cp_indicators as indicators
            on answers.indicator_code = indicators.indicator_code and indicators.methodology_version = ?
        where answers.submission_id = ?
        order by answers.principle_code, answers.source_row
        """,
        [q.methodology_version, q.submission_id],
    )


def section_cp_answers(q: Quarter, where: dict) -> list[str]:
    answers = cp_answers(q)
    values = rows(q.con, "select * from methodology.cp_answer_values where methodology_version = ?", [q.methodology_version])
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


def tape_counts(q: Quarter) -> dict:
    """Numerators and denominators of the tape shares, counted in the pipeline's loan- and borrower-level views."""
    params = parameters(q)
    loans = optional_rows(
        q.con,
        """
        select count(*) filter (where is_written_off) as tape_loans_written_off,
               count(*) filter (where is_active) as tape_loans_active,
               count(*) filter (where is_at_risk) as tape_loans_at_risk
        from intermediate.int_loans__assessed where submission_id = ?
        """,
        [q.submission_id],
    )
    borrowers = optional_rows(
        q.con,
        """
        select count(*) as borrowers_active,
               count(max_dsti) as borrowers_with_dsti,
               count(*) filter (where max_dsti > ?) as borrowers_over_dsti_limit,
               count(max_other_lender_loans) as borrowers_with_other_lender_loans,
               count(*) filter (where max_other_lender_loans >= ?) as borrowers_multi_lender
        from intermediate.int_borrowers__assessed where submission_id = ?
        """,
        [params["dsti_limit"], params["multi_lender_min_other_loans"], q.submission_id],
    )
    shared = optional_rows(
        q.con,
        "select count(*) as borrowers_with_national_id, count(*) filter (where is_shared) as borrowers_shared from intermediate.int_borrowers__cross_investee where submission_id = ?",
        [q.submission_id],
    )
    out: dict = {}
    for found in (loans, borrowers, shared):
        out.update(found[0] if found else {})
    return out


def section_tape_inputs(q: Quarter) -> list[str]:
    tape = one(q.con, "select * from intermediate.int_investee_quarters__tape_metrics where submission_id = ?", [q.submission_id])
    lines = heading(3, "1.6 Loan tape (aggregates)")
    if not tape:
        return lines + ["No loan tape was sent this quarter: the tape metrics are missing and left out.", ""]
    counts = tape_counts(q)
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


def metric_inputs(q: Quarter) -> dict:
    """Every name a formula may use, with its value from the warehouse."""
    values = {**parameters(q), **portfolio_row(q), **complaint_totals(q)}
    metrics = metrics_row(q)
    values.update({key: metrics[key] for key in ("par30_ratio", "previous_par30_ratio", "tape_gross_loan_portfolio", "tape_par30", "tape_active_borrowers")})
    values.update(tape_counts(q))
    categories = optional_rows(q.con, "select received from staging.stg_raw__complaints where submission_id = ? order by source_row", [q.submission_id])
    values["received_by_category"] = " + ".join(given(c["received"]) for c in categories) if categories else "Σ received"
    return values


def section_metrics(q: Quarter) -> list[str]:
    values, metrics, params = metric_inputs(q), metrics_row(q), parameters(q)
    lines = heading(2, "2. Metrics (methodology.md section 3)")
    lines += ["Ratios are fractions unless the name ends in `_pct`. Results from `intermediate.int_investee_quarters__metrics`.", ""]
    body = [
        [m, f"`{formula}`" + (f" ({substitute(note, params)})" if note else ""), substitute(formula, values), num(metrics[m], 6)]
        for m, formula, note in PORTFOLIO_METRICS
    ]
    lines += table(["metric", "formula", "with the inputs", "pipeline value"], body)
    if metrics["previous_period_end"] is not None:
        lines += [f"Previous quarter: {metrics['previous_period_end']}; its par30_ratio = {num(metrics['previous_par30_ratio'], 6)}.", ""]
    if metrics["has_loan_tape"]:
        lines += heading(3, "Loan-tape metrics")
        body = [
            [m, f"`{formula}`" + (f" ({substitute(note, params)})" if note else ""), substitute(formula, values), num(metrics[m], 6)]
            for m, formula, note in TAPE_METRICS
        ]
        lines += table(["metric", "formula", "with the inputs", "pipeline value"], body)
    return lines


def section_product_pricing(q: Quarter) -> list[str]:
    lines = heading(2, "3. Pricing (MFTransparency method)")
    lines += [
        "For each product the client's cash flows per installment period: at t = 0 she receives "
        "`loan_amount − loan_amount × (upfront_fee_pct + insurance_pct + compulsory_savings_pct) / 100 − upfront_fee_flat`; "
        "at t = 1..N she pays `principal_t + interest_t × (1 + tax_on_interest_pct / 100)`; at t = N the compulsory deposit comes back. "
        "`r` is the periodic IRR (the root nearest 0), `apr_pct = 100 × r × n`, `eir_pct = 100 × ((1 + r)^n − 1)`, "
        "`transparency_index = nominal annual rate / apr_pct`. Results from `intermediate.int_products__priced` and `int_products__peer_benchmarked`.",
        "",
    ]
    frequencies = {
        r["repayment_frequency"]: r["installments_per_year"]
        for r in rows(q.con, "select * from methodology.repayment_frequencies where methodology_version = ?", [q.methodology_version])
    }
    for p in products(q):
        lines += pricing_block(p, frequencies)
    return lines


def pricing_block(p: dict, frequencies: dict) -> list[str]:
    frequency = p["repayment_frequency"]
    n = f"365 / term_days = 365 / {given(p['term_days'])}" if frequency == "bullet" else f"{given(frequencies.get(frequency))} ({frequency})"
    rate = f"{given(p['nominal_rate_pct'])} % a {p['rate_period']}"
    period_rate = f"{given(p['nominal_rate_pct'])} % × 12 / n" if p["rate_period"] == "month" else f"{given(p['nominal_rate_pct'])} % / n"
    t0 = substitute("loan_amount − loan_amount × (upfront_fee_pct + insurance_pct + compulsory_savings_pct) / 100 − upfront_fee_flat", p)
    schedule = (
        "principal loan_amount / N, interest loan_amount × period rate (flat)"
        if p["interest_method"] == "flat"
        else "equal installments at the period rate on the outstanding balance (declining)"
    )
    lines = heading(3, f"{p['product_code']} — {p['product_name']} ({p['lending_method']})")
    items = [
        ("periods per year n", n),
        ("nominal rate", f"{rate}; nominal annual rate = {num(p['nominal_annual_rate_pct'], 4)} %"),
        ("period rate", period_rate),
        ("cash flow t = 0", t0),
        (f"cash flows t = 1..{given(p['installments'])}", f"{schedule}; interest grossed up by {given(p['tax_on_interest_pct'])} % tax"),
        ("compulsory deposit returned at t = N", substitute("loan_amount × compulsory_savings_pct / 100", p)),
        ("periodic IRR r", num(p["periodic_rate"], 8)),
        ("apr_pct = 100 × r × n", num(p["apr_pct"], 4)),
        ("eir_pct = 100 × ((1 + r)^n − 1)", num(p["eir_pct"], 4)),
        ("transparency_index = nominal annual / apr", f"{num(p['nominal_annual_rate_pct'], 4)} / {num(p['apr_pct'], 4)} = {num(p['transparency_index'], 6)}"),
        ("disclosed_apr_pct", given(p["disclosed_apr_pct"]) if not is_missing(p["disclosed_apr_pct"]) else "not disclosed"),
        ("apr_understatement_pp = apr − disclosed", num(p["apr_understatement_pp"], 4)),
        ("peer group", f"{p['peer_group']} ({given(p['peer_investees'])} investees offer {p['lending_method']} products)"),
        ("peer median APR", num(p["peer_median_apr_pct"], 4)),
        ("apr_pct / peer median", num(p["apr_to_peer_median"], 6)),
    ]
    if p["pricing_error"]:
        items.append(("pricing error", p["pricing_error"]))
    return lines + table(["step", "value"], items)


def section_peer_groups(q: Quarter) -> list[str]:
    """The products each peer median is taken over (same quarter and lending method, and country when the group is 'country')."""
    lines = heading(3, "Peer groups")
    lines += [
        "Median of `apr_pct` over the same quarter's products of the same lending method, in the same country when at least "
        "`peer_group_min_investees` investees offer such products there, else in all countries.",
        "",
    ]
    groups = sorted({(p["lending_method"], p["peer_group"], p["country"]) for p in products(q)})
    for method, group, country in groups:
        members = rows(
            q.con,
            """
            select investee_id, country, product_code, apr_pct, peer_median_apr_pct
            from intermediate.int_products__peer_benchmarked
            where period_end = ? and lending_method = ? and apr_pct is not null and (? = 'all_countries' or country = ?)
            order by apr_pct
            """,
            [q.period_end, method, group, country],
        )
        where = "all countries" if group == "all_countries" else country
        median = next(p["peer_median_apr_pct"] for p in products(q) if p["lending_method"] == method)
        lines += [f"**{method}, {where}** — {len(members)} products; median = {num(median, 4)}", ""]
        lines += table(
            ["investee", "country", "product", "apr_pct"], ([m["investee_id"], m["country"], m["product_code"], num(m["apr_pct"], 4)] for m in members)
        )
    return lines


def section_investee_pricing(q: Quarter) -> list[str]:
    found, metrics = products(q), metrics_row(q)
    priced = [p for p in found if not is_missing(p["apr_pct"])]
    benchmarked = [p for p in priced if not is_missing(p["peer_median_apr_pct"])]
    disclosed = [p for p in found if p["is_apr_disclosed"] == 1]
    understated = [p for p in found if not is_missing(p["apr_understatement_pp"])]
    indexed = [p for p in found if not is_missing(p["transparency_index"])]

    def weighted(items, column):
        return "(" + " + ".join(f"{num(p[column], 4)} × {given(p['outstanding_portfolio'])}" for p in items) + ")"

    def total(items):
        return "(" + " + ".join(given(p["outstanding_portfolio"]) for p in items) + ")"

    lines = heading(3, "Investee-level pricing (weights: outstanding_portfolio)")
    body = [
        [
            "weighted_apr_pct",
            "Σ(apr_pct × outstanding) / Σ outstanding",
            f"{weighted(priced, 'apr_pct')} / {total(priced)}",
            num(metrics["weighted_apr_pct"], 6),
        ],
        [
            "apr_disclosed_share",
            "Σ outstanding with a disclosed APR / Σ outstanding",
            f"{total(disclosed)} / {total(found)}",
            num(metrics["apr_disclosed_share"], 6),
        ],
        [
            "max_apr_understatement_pp",
            "max(apr_understatement_pp)",
            "max(" + ", ".join(num(p["apr_understatement_pp"], 4) for p in understated) + ")",
            num(metrics["max_apr_understatement_pp"], 6),
        ],
        [
            "weighted_transparency_index",
            "Σ(transparency_index × outstanding) / Σ outstanding",
            f"{weighted(indexed, 'transparency_index')} / {total(indexed)}",
            num(metrics["weighted_transparency_index"], 6),
        ],
        [
            "apr_to_peer_median",
            "Σ(apr_pct × outstanding) / Σ(peer median × outstanding)",
            f"{weighted(benchmarked, 'apr_pct')} / {weighted(benchmarked, 'peer_median_apr_pct')}",
            num(metrics["apr_to_peer_median"], 6),
        ],
    ]
    return lines + table(["metric", "formula", "with the inputs", "pipeline value"], body)


def metric_scores(q: Quarter) -> list[dict]:
    """Every threshold of the methodology with the metric's value and score (none when the metric is missing)."""
    return rows(
        q.con,
        """
        select thresholds.principle_code, thresholds.metric, thresholds.good, thresholds.bad,
               metrics.metric_value, scored.metric_score
        from methodology.metric_thresholds as thresholds
        left join intermediate.int_investee_quarters__metrics_unpivoted as metrics
            on metrics.submission_id = ? and metrics.metric = thresholds.metric
        left join intermediate.int_metrics__scored as scored
            on scored.submission_id = ? and scored.metric = thresholds.metric and scored.principle_code = thresholds.principle_code
        where thresholds.methodology_version = ?
        order by thresholds.principle_code, thresholds.metric
        """,
        [q.submission_id, q.submission_id, q.methodology_version],
    )


def section_metric_scores(q: Quarter) -> list[str]:
    lines = heading(2, "4. Metric scores (methodology.md section 4)")
    lines += [
        "`metric_score = 100 × (value − bad) / (good − bad)`, clamped to 0–100; a missing metric is left out of its principle. "
        "Results from `intermediate.int_metrics__scored`.",
        "",
    ]
    body = []
    for s in metric_scores(q):
        if is_missing(s["metric_value"]):
            body.append([s["principle_code"], s["metric"], given(s["good"]), given(s["bad"]), "missing", "left out", "–"])
            continue
        line = f"100 × ({num(s['metric_value'], 6)} − {given(s['bad'])}) / ({given(s['good'])} − {given(s['bad'])})"
        body.append([s["principle_code"], s["metric"], given(s["good"]), given(s["bad"]), num(s["metric_value"], 6), line, num(s["metric_score"], 4)])
    return lines + table(["P", "metric", "good", "bad", "value", "with the inputs (then clamped)", "score"], body)


def section_principle_scores(q: Quarter) -> list[str]:
    params = parameters(q)
    wi, wm = params["indicator_score_weight"], params["metric_score_weight"]
    answers, scores = cp_answers(q), metric_scores(q)
    principles = rows(q.con, "select * from marts.cp_principle_scores where submission_id = ? order by principle_code", [q.submission_id])
    lines = heading(2, "5. Principle scores")
    lines += [
        "`indicator_score(P) = 100 × Σ(weight × value) / Σ weight` over P's answers with a value; "
        "`metric_score(P)` = mean of P's metric scores; "
        f"`score(P) = {given(wi)} × indicator_score + {given(wm)} × metric_score` (the indicator score alone when P has no metric score). "
        "Results from `marts.cp_principle_scores`.",
        "",
    ]
    body = []
    for p in principles:
        valued = [a for a in answers if a["principle_code"] == p["principle_code"] and not is_missing(a["scored_value"])]
        left_out = [a["indicator_code"] for a in answers if a["principle_code"] == p["principle_code"] and is_missing(a["scored_value"])]
        indicator = (
            "100 × ("
            + " + ".join(f"{given(a['weight'])}×{given(a['scored_value'])}" for a in valued)
            + ") / ("
            + " + ".join(given(a["weight"]) for a in valued)
            + ")"
        )
        if left_out:
            indicator += f" ({', '.join(left_out)} N/A, left out)"
        metric_terms = [num(s["metric_score"], 4) for s in scores if s["principle_code"] == p["principle_code"] and not is_missing(s["metric_score"])]
        metric = f"mean({', '.join(metric_terms)})" if metric_terms else "no metric"
        blend = (
            f"{given(wi)} × {num(p['indicator_score'], 4)} + {given(wm)} × {num(p['metric_score'], 4)}"
            if not is_missing(p["metric_score"]) and not is_missing(p["indicator_score"])
            else "indicator score alone"
            if not is_missing(p["indicator_score"])
            else "metric score alone"
        )
        body.append([p["principle_code"], indicator, num(p["indicator_score"], 4), metric, num(p["metric_score"], 4), blend, num(p["score"], 4)])
    return lines + table(["P", "indicator score, with the inputs", "=", "metric score", "=", "score", "="], body)


def section_peers(q: Quarter) -> list[str]:
    lines = heading(3, "Peer percentiles")
    lines += [
        "`peer_percentile = 100 × (rank − 1) / (investees − 1)` of the score among all investees of the same quarter "
        "(rank 1 = lowest; ties share the lowest rank).",
        "",
    ]
    others = rows(
        q.con,
        "select investee_id, principle_code, score, peer_percentile from marts.cp_principle_scores where period_end = ? order by principle_code, score",
        [q.period_end],
    )
    cards = rows(
        q.con, "select investee_id, overall_score, overall_peer_percentile from marts.cp_scorecard where period_end = ? order by overall_score", [q.period_end]
    )
    investees = [c["investee_id"] for c in cards]
    by_key = {(o["investee_id"], o["principle_code"]): o for o in others}
    codes = sorted({o["principle_code"] for o in others})
    body = []
    for investee in investees:
        label = f"**{investee}**" if investee == q.investee_id else investee
        body.append(
            [label]
            + [f"{num(by_key[(investee, c)]['score'], 2)} ({num(by_key[(investee, c)]['peer_percentile'], 1)})" for c in codes]
            + [
                f"{num(next(x['overall_score'] for x in cards if x['investee_id'] == investee), 2)} ({num(next(x['overall_peer_percentile'] for x in cards if x['investee_id'] == investee), 1)})"
            ]
        )
    return lines + ["Score (peer percentile) of every investee this quarter:", ""] + table(["investee"] + codes + ["overall"], body)


def section_overall(q: Quarter) -> list[str]:
    card = scorecard(q)
    principles = rows(q.con, "select * from marts.cp_principle_scores where submission_id = ? and score is not null order by principle_code", [q.submission_id])
    numerator = " + ".join(f"{given(p['principle_weight'])}×{num(p['score'], 4)}" for p in principles)
    denominator = " + ".join(given(p["principle_weight"]) for p in principles)
    lines = heading(2, "6. Overall score")
    return lines + table(
        ["quantity", "with the inputs", "pipeline value"],
        [
            ["overall_score = Σ(weight × score(P)) / Σ weight", f"({numerator}) / ({denominator})", num(card["overall_score"], 4)],
            ["previous quarter's overall score", "", num(card["previous_overall_score"], 4)],
            ["change", f"{num(card['overall_score'], 4)} − {num(card['previous_overall_score'], 4)}", num(card["overall_score_change"], 4)],
            ["peer percentile (overall)", "see the table above", num(card["overall_peer_percentile"], 1)],
        ],
    )


def flags(q: Quarter) -> list[dict]:
    return rows(
        q.con,
        """
        select flags.*, severities.severity_order
        from marts.red_flags as flags
        left join methodology.red_flag_severities as severities
            on flags.severity = severities.severity and severities.methodology_version = ?
        where flags.submission_id = ?
        order by severities.severity_order, flags.flag_code, flags.subject_code
        """,
        [q.methodology_version, q.submission_id],
    )


def section_rating(q: Quarter) -> list[str]:
    card = scorecard(q)
    bands = rows(q.con, "select * from methodology.rating_bands where methodology_version = ? order by min_score desc", [q.methodology_version])
    severities = rows(q.con, "select * from methodology.red_flag_severities where methodology_version = ? order by severity_order", [q.methodology_version])
    raised = flags(q)
    lines = heading(2, "7. Rating and screening (methodology.md section 5)")
    lines += [
        "Bands: "
        + ", ".join(f"{b['rating']} ≥ {given(b['min_score'])} ({b['screening']})" for b in bands)
        + ". Flag severities: "
        + ", ".join(f"{s['severity']} → screening {s['screening']}" + (f", rating capped at {s['rating_cap']}" if s["rating_cap"] else "") for s in severities)
        + ".",
        "",
    ]
    by_severity = {
        s["severity"]: [f["flag_code"] + (f" ({f['subject_code']})" if f["subject_code"] else "") for f in raised if f["severity"] == s["severity"]]
        for s in severities
    }
    capping = [s for s in severities if s["rating_cap"] and by_severity[s["severity"]]]
    items = [
        ("overall score", num(card["overall_score"], 4)),
        ("rating before the cap (band of the overall score)", card["uncapped_rating"]),
        ("capping flags", "; ".join(f"{s['severity']} → cap {s['rating_cap']}: {', '.join(by_severity[s['severity']])}" for s in capping) or "none"),
        ("rating after the cap", f"**{card['rating']}**"),
    ]
    items += [(f"{s['severity']} flags → {s['screening']}", ", ".join(by_severity[s["severity"]]) or "none") for s in severities]
    items.append(("screening (worst of the rating's band and the flags')", f"**{card['screening']}**"))
    return lines + table(["step", "value"], items)


def evidence_text(evidence: str | None) -> str:
    try:
        conditions = json.loads(evidence or "[]")
    except ValueError:
        return evidence or ""
    parts = []
    for c in conditions:
        if "indicator_code" in c:
            parts.append(f"{c['indicator_code']} answered {c['answer']}")
        else:
            parts.append(f"{c['metric']} = {given(c['value'])} {c['comparison']} {given(c['threshold'])}")
    return "; ".join(parts)


def section_red_flags(q: Quarter) -> list[str]:
    raised = flags(q)
    lines = heading(2, "8. Red flags")
    lines += [
        "Every flag raised, with its evidence (value and threshold, or indicator and answer) and the workbook cells behind it. From `marts.red_flags`.",
        "",
    ]
    lines += table(
        ["flag", "severity", "P", "subject", "evidence", "source cells"],
        (
            [f["flag_code"], f["severity"], f["principle_code"] or "–", f["subject_code"] or "investee", evidence_text(f["evidence"]), f["source_cells"] or "–"]
            for f in raised
        ),
    )
    return lines + section_rules_checked(q, raised)


def section_rules_checked(q: Quarter, raised: list[dict]) -> list[str]:
    """Every investee- and product-level rule with the value it compared, raised or not."""
    measures = rows(
        q.con,
        """
        select rules.flag_code, rules.severity, rules.metric, rules.comparison, rules.threshold, rules.combine,
               measures.scope, measures.subject_code, measures.metric_value
        from methodology.red_flag_rules as rules
        inner join intermediate.int_red_flags__measures_unioned as measures
            on measures.submission_id = ? and measures.metric = rules.metric and measures.scope = rules.scope
        where rules.methodology_version = ? and rules.scope in ('investee', 'product')
        order by rules.scope, rules.flag_code, measures.subject_code, rules.metric
        """,
        [q.submission_id, q.methodology_version],
    )
    fired = {(f["flag_code"], f["subject_code"]) for f in raised}
    lines = heading(3, "Every rule checked")
    lines += ["A missing value never raises a flag; `combine = all` needs every condition of the flag.", ""]
    return lines + table(
        ["flag", "subject", "condition", "value", "raised"],
        (
            [
                m["flag_code"],
                m["subject_code"] or "investee",
                f"{m['metric']} {m['comparison']} {given(m['threshold'])}" + (" (all)" if m["combine"] == "all" else ""),
                num(m["metric_value"], 6),
                "**yes**" if (m["flag_code"], m["subject_code"]) in fired else "no",
            ]
            for m in measures
        ),
    )


def section_sources() -> list[str]:
    return heading(2, "Where each number comes from") + table(
        ["section", "warehouse table"],
        [
            [
                "inputs",
                "intermediate.int_portfolio__current, int_products__current, int_complaints__totals, int_cp_answers__valued; cells from staging.stg_raw__provenance",
            ],
            [
                "loan tape",
                "intermediate.int_investee_quarters__tape_metrics; counts from int_loans__assessed, int_borrowers__assessed, int_borrowers__cross_investee",
            ],
            ["metrics", "intermediate.int_investee_quarters__metrics (= marts.investee_quarter_metrics)"],
            ["pricing", "intermediate.int_products__priced, int_products__peer_benchmarked (= marts.product_pricing)"],
            ["metric scores", "intermediate.int_metrics__scored; thresholds from methodology.metric_thresholds"],
            ["principle scores", "marts.cp_principle_scores"],
            ["overall, rating, screening", "marts.cp_scorecard; bands and severities from methodology.rating_bands, red_flag_severities"],
            ["red flags", "marts.red_flags; every rule's value from intermediate.int_red_flags__measures_unioned"],
        ],
    )


# --- document ---------------------------------------------------------------------------------


def render(q: Quarter, warehouse: Path) -> str:
    where = cells(q)
    sections = [
        section_header(q, warehouse),
        section_summary(q),
        section_cover(q, where),
        section_portfolio(q, where),
        section_products(q, where),
        section_complaints(q, where),
        section_cp_answers(q, where),
        section_tape_inputs(q),
        section_metrics(q),
        section_product_pricing(q),
        section_peer_groups(q),
        section_investee_pricing(q),
        section_metric_scores(q),
        section_principle_scores(q),
        section_peers(q),
        section_overall(q),
        section_rating(q),
        section_red_flags(q),
        section_sources(),
    ]
    return "\n".join(line for section in sections for line in section).rstrip() + "\n"


def open_quarter(warehouse: Path, investee: str | None, period: str | None) -> Quarter:
    con = duckdb.connect(str(warehouse), read_only=True)
    found, chosen_by = choose_quarter(con, investee, period)
    if not found:
        con.close()
        raise SystemExit(f"worked_example: no scored investee-quarter matches (investee={investee}, period={period}) in {warehouse}")
    return Quarter(con, found["submission_id"], found["investee_id"], found["period_end"], found["methodology_version"], chosen_by)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smartdd.reports.worked_example", description="Write a worked example of one investee-quarter's scorecard.")
    parser.add_argument("--warehouse", type=Path, required=True, help="the published warehouse (smartdd.duckdb), opened read-only")
    parser.add_argument("--investee", help="investee id (default: see the module docstring)")
    parser.add_argument("--period", help="period end, YYYY-MM-DD (default: the investee's latest)")
    parser.add_argument("-o", "--output", type=Path, help="Markdown file to write (default: stdout)")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        print(f"worked_example: no warehouse at {args.warehouse}", file=sys.stderr)
        return 2
    q = open_quarter(args.warehouse, args.investee, args.period)
    try:
        text = render(q, args.warehouse)
    finally:
        q.con.close()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(args.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
