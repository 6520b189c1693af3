"""Every query the worked example runs against the published warehouse, and nothing else.

The document reads intermediate and staging models besides the marts, which makes them an
interface: RELATIONS lists each one, the dbt exposure `worked_example`
(dbt_project/models/marts/_exposures.yml) declares them, and tests/test_worked_example.py
checks that the two lists agree and that no query here reads a relation not in RELATIONS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

# Every relation of the warehouse read below (schema.name); one constant so that the exposure
# test has a single list to check.
RELATIONS = (
    "marts.cp_scorecard",
    "marts.cp_principle_scores",
    "marts.investee_quarter_metrics",
    "marts.red_flags",
    "marts.submissions",
    "marts.validation_issues",
    "intermediate.int_portfolio__current",
    "intermediate.int_investee_quarters__metrics",
    "intermediate.int_investee_quarters__metrics_unpivoted",
    "intermediate.int_investee_quarters__tape_metrics",
    "intermediate.int_complaints__totals",
    "intermediate.int_cp_answers__valued",
    "intermediate.int_products__current",
    "intermediate.int_products__priced",
    "intermediate.int_products__peer_benchmarked",
    "intermediate.int_loans__assessed",
    "intermediate.int_borrowers__assessed",
    "intermediate.int_borrowers__cross_investee",
    "intermediate.int_metrics__scored",
    "intermediate.int_red_flags__measures_unioned",
    "staging.stg_raw__provenance",
    "staging.stg_raw__complaints",
    "methodology.methodology_parameters",
    "methodology.cp_indicators",
    "methodology.cp_answer_values",
    "methodology.repayment_frequencies",
    "methodology.metric_thresholds",
    "methodology.rating_bands",
    "methodology.red_flag_severities",
    "methodology.red_flag_rules",
)


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


# --- choosing the quarter ------------------------------------------------------------------


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


def open_quarter(warehouse: Path, investee: str | None, period: str | None) -> Quarter:
    con = duckdb.connect(str(warehouse), read_only=True)
    found, chosen_by = choose_quarter(con, investee, period)
    if not found:
        con.close()
        raise SystemExit(f"worked_example: no scored investee-quarter matches (investee={investee}, period={period}) in {warehouse}")
    return Quarter(con, found["submission_id"], found["investee_id"], found["period_end"], found["methodology_version"], chosen_by)


# --- methodology ---------------------------------------------------------------------------


def parameters(q: Quarter) -> dict[str, float]:
    found = rows(q.con, "select parameter, value from methodology.methodology_parameters where methodology_version = ?", [q.methodology_version])
    return {row["parameter"]: float(row["value"]) for row in found}


def answer_values(q: Quarter) -> list[dict]:
    return rows(q.con, "select * from methodology.cp_answer_values where methodology_version = ?", [q.methodology_version])


def repayment_frequencies(q: Quarter) -> dict:
    """Repayment frequency → installments per year."""
    found = rows(q.con, "select * from methodology.repayment_frequencies where methodology_version = ?", [q.methodology_version])
    return {r["repayment_frequency"]: r["installments_per_year"] for r in found}


def rating_bands(q: Quarter) -> list[dict]:
    return rows(q.con, "select * from methodology.rating_bands where methodology_version = ? order by min_score desc", [q.methodology_version])


def severities(q: Quarter) -> list[dict]:
    return rows(q.con, "select * from methodology.red_flag_severities where methodology_version = ? order by severity_order", [q.methodology_version])


# --- submission and inputs -----------------------------------------------------------------


def submission(q: Quarter) -> dict:
    return one(q.con, "select * from marts.submissions where submission_id = ?", [q.submission_id])


def validation_issues(q: Quarter) -> list[dict]:
    """The warnings and errors of the submission (info notes left out)."""
    return rows(
        q.con,
        "select sheet, cell, severity, message from marts.validation_issues where submission_id = ? and severity <> 'info' order by sheet, cell",
        [q.submission_id],
    )


def portfolio_row(q: Quarter) -> dict:
    return one(q.con, "select * from intermediate.int_portfolio__current where submission_id = ?", [q.submission_id])


def metrics_row(q: Quarter) -> dict:
    return one(q.con, "select * from intermediate.int_investee_quarters__metrics where submission_id = ?", [q.submission_id])


def tape_metrics_row(q: Quarter) -> dict | None:
    """The loan-tape aggregates, or None when no tape was sent this quarter."""
    return one(q.con, "select * from intermediate.int_investee_quarters__tape_metrics where submission_id = ?", [q.submission_id])


def complaint_totals(q: Quarter) -> dict:
    found = one(q.con, "select * from intermediate.int_complaints__totals where submission_id = ?", [q.submission_id])
    return found or {"complaints_received": 0, "complaints_resolved": 0, "complaints_resolved_within_30d": 0, "collection_complaints_received": 0}


def complaint_rows(q: Quarter) -> list[dict] | None:
    """The Complaints sheet's rows in workbook order (None when the raw zone is not readable)."""
    return optional_rows(q.con, "select * from staging.stg_raw__complaints where submission_id = ? order by source_row", [q.submission_id])


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


def peer_group_members(q: Quarter, method: str, group: str, country: str) -> list[dict]:
    """The priced products a peer median is taken over, lowest APR first."""
    return rows(
        q.con,
        """
        select investee_id, country, product_code, apr_pct, peer_median_apr_pct
        from intermediate.int_products__peer_benchmarked
        where period_end = ? and lending_method = ? and apr_pct is not null and (? = 'all_countries' or country = ?)
        order by apr_pct
        """,
        [q.period_end, method, group, country],
    )


def cells(q: Quarter) -> dict[tuple[str, str], dict]:
    """(sheet, field) → column letter and row, from the raw zone's provenance (empty if unreadable)."""
    found = optional_rows(q.con, "select sheet, field, column_letter, row_number from staging.stg_raw__provenance where submission_id = ?", [q.submission_id])
    return {(row["sheet"], row["field"]): row for row in found or []}


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


# --- scores, rating and flags --------------------------------------------------------------


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


def principle_scores(q: Quarter) -> list[dict]:
    return rows(q.con, "select * from marts.cp_principle_scores where submission_id = ? order by principle_code", [q.submission_id])


def scored_principles(q: Quarter) -> list[dict]:
    """The principles of the quarter that have a score (those the overall score is taken over)."""
    return rows(q.con, "select * from marts.cp_principle_scores where submission_id = ? and score is not null order by principle_code", [q.submission_id])


def peer_principle_scores(q: Quarter) -> list[dict]:
    """Every investee's principle scores and peer percentiles in the same quarter."""
    return rows(
        q.con,
        "select investee_id, principle_code, score, peer_percentile from marts.cp_principle_scores where period_end = ? order by principle_code, score",
        [q.period_end],
    )


def peer_scorecards(q: Quarter) -> list[dict]:
    """Every investee's overall score and peer percentile in the same quarter, lowest first."""
    return rows(
        q.con, "select investee_id, overall_score, overall_peer_percentile from marts.cp_scorecard where period_end = ? order by overall_score", [q.period_end]
    )


def scorecard(q: Quarter) -> dict:
    return one(q.con, "select * from marts.cp_scorecard where submission_id = ?", [q.submission_id])


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


def rule_measures(q: Quarter) -> list[dict]:
    """Every investee- and product-level rule with the value it compared."""
    return rows(
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
