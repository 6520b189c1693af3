"""Spec rules that span rows or sheets, or depend on the catalogue: plain Python, one function each.

A message may quote what it found, except from the loan tape (client data): there it names the cell only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
from smartdd.ingest.coerce import TypedSheet

from smartdd.messages import problem
from smartdd.records import ERROR, WARNING, Issue
from smartdd.spec import Spec, load_catalogue

QUARTER_ENDS = {(3, 31), (6, 30), (9, 30), (12, 31)}
PRODUCTS_TOLERANCE = 0.02


def business_rules(sheets: dict[str, TypedSheet], spec: Spec) -> Iterator[Issue]:
    """Every rule's issues, as they come: the caller caps them (a rule may fail on each of 500,000 rows)."""
    yield from _min_rows(sheets, spec)
    yield from _maturity_within_reach(sheets, spec)
    for rule in (_period_end_is_quarter_end, _portfolio_consistency, _bullet_single_installment, _products_sum_to_portfolio, _cp_answers, _complaints_resolved):
        yield from rule(sheets)


def _min_rows(sheets, spec: Spec) -> list[Issue]:
    issues = []
    for sheet in spec.sheets:
        typed = sheets.get(sheet.name)
        if typed is not None and len(typed.frame) < sheet.min_rows:
            issues.append(problem(typed.raw.title, "", ERROR, "min_rows", sheet=typed.raw.title, min_rows=sheet.min_rows, rows=len(typed.frame)))
    return issues


def _maturity_within_reach(sheets, spec: Spec) -> Iterator[Issue]:
    """A maturity more than 30 years after the period end is a typing mistake (2204 for 2024), not a loan."""
    period_end = _value(sheets, "Cover", "period_end")
    if period_end is None or "Loan_Tape" not in sheets:
        return
    years = spec.plausibility.max_maturity_years
    latest = _years_after(period_end, years)
    typed = sheets["Loan_Tape"]
    frame, column = typed.frame, typed.raw.columns.get("maturity_date", "")
    late = [row for row, date in zip(frame["_row"], frame["maturity_date"], strict=True) if isinstance(date, dt.date) and date > latest]
    for row in late:
        yield problem(
            typed.raw.title,
            f"{column}{row}",
            ERROR,
            "maturity_implausible",
            rule="maturity_date:plausible",
            field="maturity_date",
            years=years,
            period_end=period_end,
        )


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts (itertuples would rename the `_row` column)."""
    return [{k: (None if v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _value(sheets, sheet: str, field: str):
    typed = sheets.get(sheet)
    return None if typed is None else typed.value(field)


def _period_end_is_quarter_end(sheets) -> list[Issue]:
    period_end = _value(sheets, "Cover", "period_end")
    if period_end is None or (period_end.month, period_end.day) in QUARTER_ENDS:
        return []
    cover = sheets["Cover"].raw
    return [
        problem(cover.title, cover.cell("period_end"), ERROR, "period_end_quarter_end", rule="period_end:quarter_end", field="period_end", found=period_end)
    ]


def _portfolio_consistency(sheets) -> list[Issue]:
    if "Portfolio" not in sheets:
        return []
    raw = sheets["Portfolio"].raw
    issues = []
    borrowers, officers = _value(sheets, "Portfolio", "active_borrowers"), _value(sheets, "Portfolio", "loan_officers")
    if borrowers and officers == 0:
        issues.append(
            problem(
                raw.title, raw.cell("loan_officers"), ERROR, "loan_officers_positive", rule="loan_officers:positive", field="loan_officers", borrowers=borrowers
            )
        )
    loans, amount = _value(sheets, "Portfolio", "loans_disbursed_period"), _value(sheets, "Portfolio", "amount_disbursed_period")
    if loans == 0 and amount:
        issues.append(
            problem(
                raw.title,
                raw.cell("amount_disbursed_period"),
                ERROR,
                "disbursed_without_loans",
                rule="amount_disbursed_period:zero",
                field="amount_disbursed_period",
                other="loans_disbursed_period",
                found=round(amount),
            )
        )
    return issues


def _bullet_single_installment(sheets) -> list[Issue]:
    if "Products" not in sheets:
        return []
    typed = sheets["Products"]
    frame = typed.frame
    wrong = frame[(frame["repayment_frequency"] == "bullet") & (frame["installments"] != 1)]
    return [
        problem(
            typed.raw.title,
            f"{typed.raw.columns.get('installments', '')}{row['_row']}",
            ERROR,
            "bullet_installments",
            rule="installments:bullet",
            field="installments",
            found=row["installments"],
        )
        for row in _records(wrong)
    ]


def _products_sum_to_portfolio(sheets) -> list[Issue]:
    glp = _value(sheets, "Portfolio", "gross_loan_portfolio")
    if "Products" not in sheets or not glp:
        return []
    total = sheets["Products"].frame["outstanding_portfolio"].sum(skipna=True)
    if abs(total - glp) <= PRODUCTS_TOLERANCE * glp:
        return []
    raw = sheets["Products"].raw
    return [
        problem(
            raw.title,
            "",
            WARNING,
            "products_sum",
            rule="outstanding_portfolio:sum",
            field="outstanding_portfolio",
            other="gross_loan_portfolio",
            total=total,
            expected=glp,
            tolerance=PRODUCTS_TOLERANCE * 100,
        )
    ]


def _cp_answers(sheets) -> list[Issue]:
    if "CP_Assessment" not in sheets:
        return []
    typed = sheets["CP_Assessment"]
    raw, frame = typed.raw, typed.frame
    catalogue = {i.code: i for i in load_catalogue()}
    issues = []
    answered = set(frame.loc[frame["response"].notna(), "indicator_code"].dropna())
    missing = [code for code in catalogue if code not in answered]
    if missing:
        issues.append(problem(raw.title, "", ERROR, "all_answered", rule="response:all_answered", codes=missing))
    col = raw.columns.get
    for row in _records(frame):
        indicator = catalogue.get(row["indicator_code"])
        if indicator is None or row["response"] is None:
            continue
        code, response, cell_row = row["indicator_code"], row["response"], row["_row"]
        if response == "N/A" and not indicator.na_allowed:
            issues.append(problem(raw.title, f"{col('response', '')}{cell_row}", ERROR, "na_not_allowed", rule="response:na_not_allowed", indicator=code))
        if response in ("Yes", "Partially") and row["evidence"] is None:
            issues.append(
                problem(raw.title, f"{col('evidence', '')}{cell_row}", WARNING, "evidence_missing", rule="evidence:missing", indicator=code, response=response)
            )
    return issues


def _complaints_resolved(sheets) -> list[Issue]:
    if "Complaints" not in sheets:
        return []
    typed = sheets["Complaints"]
    frame = typed.frame
    over = frame[frame["resolved"] > frame["received"]]
    return [
        problem(
            typed.raw.title,
            f"{typed.raw.columns.get('resolved', '')}{row['_row']}",
            WARNING,
            "resolved_over_received",
            rule="resolved:over_received",
            category=row["category"],
            resolved=row["resolved"],
            received=row["received"],
        )
        for row in _records(over)
    ]
