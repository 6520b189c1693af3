"""One investee's submission for one quarter, simulated: every sheet's values, before writing.

Cover, Portfolio and Products come from the quarter's loan book (`loan_book.py`); the
self-assessment and complaints are drawn from the investee's profile. Each quarter has its
own seeded stream. The planned defects are edits of a finished submission.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from smartdd.sample.cast import COMPLAINT_WEIGHTS, COUNTRIES, EVIDENCE, GAP_COMMENTS, GENERIC_EVIDENCE, NOT_APPLICABLE_COMMENT, Country
from smartdd.sample.investees import Investee, amount_decimals
from smartdd.sample.loan_book import LoanBook, churn, loan_book
from smartdd.spec import Indicator, load_catalogue
from smartdd.spec.template import RESPONSE_LABELS


@dataclass
class Submission:
    investee: Investee
    period_end: date
    cover: dict
    portfolio: dict
    products: list[dict]
    assessment: list[dict]
    complaints: list[dict]
    book: LoanBook


def quarter_ends(last: date, count: int) -> list[date]:
    """The `count` calendar quarter ends up to `last`, oldest first."""
    if (last.month % 3, (last + timedelta(days=1)).day) != (0, 1):
        raise ValueError(f"{last} is not a calendar quarter end")
    ends = [last]
    while len(ends) < count:
        ends.insert(0, quarter_start(ends[0]) - timedelta(days=1))
    return ends


def quarter_start(period_end: date) -> date:
    return date(period_end.year, period_end.month - 2, 1)


def simulate_quarter(
    investee: Investee,
    cast: list[Investee],
    position: int,
    period_end: date,
    previous: dict | None,
    seed: int,
) -> Submission:
    """Every sheet of `investee`'s workbook for `period_end`, the run's quarter number `position`.

    `previous` is the Portfolio sheet of the quarter before, whose closing figures open this one.
    """
    rng = np.random.default_rng([seed, 2, investee.index, position])
    book = loan_book(investee, cast, position, rng, seed)
    portfolio = _portfolio(investee, book, position, period_end, previous, rng)
    language = investee.country.language
    return Submission(
        investee=investee,
        period_end=period_end,
        cover=_cover(investee, period_end, seed),
        portfolio=portfolio,
        products=_product_rows(investee, book),
        assessment=_assessment(investee, rng, language),
        complaints=_complaints(investee, portfolio["active_borrowers"], rng),
        book=book,
    )


def _cover(investee: Investee, period_end: date, seed: int) -> dict:
    country = investee.country
    return {
        "investee_id": investee.investee_id,
        "institution_name": investee.institution_name,
        "country": country.code,
        "currency": country.currency,
        "period_end": period_end,
        "fx_rate_usd": _fx_rate(country, period_end, seed),
        "legal_form": investee.legal_form,
        "prepared_by": investee.prepared_by,
        "language": country.language,
    }


def _fx_rate(country: Country, period_end: date, seed: int) -> float:
    """One rate per country and date, whoever reports it; four significant digits."""
    ordinal = list(COUNTRIES).index(country.code)
    rng = np.random.default_rng([seed, 3, ordinal, period_end.toordinal()])
    rate = country.fx_usd * math.exp(rng.normal(0, country.fx_volatility))
    return float(f"{rate:.4g}")


def _portfolio(
    investee: Investee,
    book: LoanBook,
    position: int,
    period_end: date,
    previous: dict | None,
    rng: np.random.Generator,
) -> dict:
    """The Portfolio sheet: the book's totals plus the flows of the quarter."""
    decimals = amount_decimals(investee.country)
    active = book.active
    new = active & (book.age_days <= (period_end - quarter_start(period_end)).days)
    borrowers = int(active.sum())
    glp = round(float(book.outstanding[active].sum()), decimals)
    par30 = _sum(book.outstanding, active & ((book.days_past_due > 30) | book.restructured))
    glp_start = previous["gross_loan_portfolio"] if previous else round(glp / (1 + investee.growth), decimals)
    clients_start = previous["active_borrowers"] if previous else round(borrowers * 0.98)
    weighted_apr = sum(p.apr_pct * p.share for p in investee.products)
    avg_glp = (glp + glp_start) / 2
    return {
        "active_borrowers": borrowers,
        "active_borrowers_women": int((active & book.female).sum()),
        "active_borrowers_rural": int((active & book.rural).sum()),
        "gross_loan_portfolio": glp,
        "gross_loan_portfolio_start": glp_start,
        "par30": round(par30, decimals),
        "par90": round(_sum(book.outstanding, active & (book.days_past_due > 90)), decimals),
        "restructured_portfolio": round(_sum(book.outstanding, active & book.restructured), decimals),
        "write_offs_period": round(_sum(book.outstanding, book.written_off), decimals),
        "loan_loss_reserve": round(par30 * rng.uniform(0.7, 1.3), decimals),
        "loans_disbursed_period": int(new.sum()),
        "amount_disbursed_period": round(_sum(book.disbursed, new), decimals),
        "interest_fee_income_period": round(avg_glp * weighted_apr / 100 * investee.yield_factor / 4, decimals),
        "operating_expenses_period": round(avg_glp * rng.uniform(0.12, 0.3) / 4, decimals),
        "loan_officers": _loan_officers(borrowers, investee.caseload),
        "clients_start_period": clients_start,
        "clients_exited_period": min(clients_start, churn(investee)),
        "credit_bureau_checked_pct": round(rng.uniform(80, 100), 1),
        "multiple_lender_borrowers_pct": round(100 * float((book.other_loans[active] > 0).mean()), 1),
        "data_breaches_period": int(rng.random() < 0.05),
        "staff_trained_cp_pct": round(rng.uniform(65, 100)),
    }


def _loan_officers(borrowers: int, caseload: float) -> int:
    """Officers for the investee's usual caseload, kept within the 150–600 borrowers seen in the field."""
    fewest, most = math.ceil(borrowers / 600), max(1, borrowers // 150)
    return max(1, min(max(round(borrowers / caseload), fewest), most))


def _sum(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].sum())


def _product_rows(investee: Investee, book: LoanBook) -> list[dict]:
    decimals = amount_decimals(investee.country)
    rows = []
    for k, product in enumerate(investee.products):
        mine = book.active & (book.product == k)
        rows.append(
            {
                **product.fields,
                "active_loans": int(mine.sum()),
                "outstanding_portfolio": round(_sum(book.outstanding, mine), decimals),
            }
        )
    return rows


# Practices that do not apply to some investees, and the test for it.
_NOT_APPLICABLE: dict[str, Callable[[Investee], bool]] = {
    "CP4.3a": lambda i: not any(p.fields["insurance_pct"] or p.fields["compulsory_savings_pct"] for p in i.products),
    "CP5.4b": lambda i: not any(p.fields["insurance_pct"] for p in i.products),
    "CP5.3b": lambda i: all(p.fields["lending_method"] == "group" for p in i.products),
}


def _assessment(investee: Investee, rng: np.random.Generator, language: str) -> list[dict]:
    labels = RESPONSE_LABELS[language]
    rows = []
    for indicator in load_catalogue():
        answer = _answer(investee, indicator, rng)
        row = {"indicator_code": indicator.code, "response": labels[answer]}
        if answer in ("Yes", "Partially"):
            row["evidence"] = EVIDENCE[language].get(indicator.code, GENERIC_EVIDENCE[language])
        if answer in ("Partially", "No"):
            row["comment"] = str(rng.choice(GAP_COMMENTS[language]))
        if answer == "N/A":
            row["comment"] = NOT_APPLICABLE_COMMENT[language]
        rows.append(row)
    return rows


def _answer(investee: Investee, indicator: Indicator, rng: np.random.Generator) -> str:
    """Mostly Yes; gaps are Partially more often than No; N/A only where it is allowed."""
    not_applicable = _NOT_APPLICABLE.get(indicator.code)
    if indicator.na_allowed and not_applicable and not_applicable(investee):
        return "N/A"
    if indicator.code == investee.weak_essential:
        return "No"
    p_yes = 0.92 if indicator.essential else investee.cp_maturity
    if rng.random() < p_yes:
        return "Yes"
    if indicator.essential or rng.random() < 0.75:
        return "Partially"
    return "No"


def _complaints(investee: Investee, borrowers: int, rng: np.random.Generator) -> list[dict]:
    expected = borrowers * investee.complaints_per_1000 / 1000 / 4
    received = rng.multinomial(rng.poisson(expected), list(COMPLAINT_WEIGHTS.values()))
    resolved = rng.binomial(received, rng.uniform(0.85, 1.0))
    on_time = rng.binomial(resolved, rng.uniform(0.75, 0.98))
    return [
        {"category": c, "received": int(r), "resolved": int(s), "resolved_within_30d": int(t)}
        for c, r, s, t in zip(COMPLAINT_WEIGHTS, received, resolved, on_time, strict=True)
    ]


# --- defects ----------------------------------------------------------------------------


def plan_defects(count: int, seed: int) -> dict[int, Callable[[Submission], None]]:
    """Which investee gets which defect in the last quarter: one invalid, two warned."""
    order = np.random.default_rng([seed, 4]).permutation(count)
    plan = (_swap_par_and_drop_legal_form, _pct_as_fraction, _yes_without_evidence)
    return {int(i): defect for i, defect in zip(order, plan, strict=False)}


def _swap_par_and_drop_legal_form(submission: Submission) -> None:
    """Invalid: PAR30 and PAR90 rows swapped (PAR90 > PAR30) and legal_form left blank."""
    p = submission.portfolio
    p["par30"], p["par90"] = p["par90"], p["par30"]
    submission.cover["legal_form"] = None


def _pct_as_fraction(submission: Submission) -> None:
    """Warning: a share written as a fraction (0.25) in a percent field."""
    p = submission.portfolio
    p["multiple_lender_borrowers_pct"] = round(p["multiple_lender_borrowers_pct"] / 100, 3)


def _yes_without_evidence(submission: Submission) -> None:
    """Warning: two Yes answers without evidence."""
    yes = RESPONSE_LABELS[submission.investee.country.language]["Yes"]
    for row in [r for r in submission.assessment if r["response"] == yes][:2]:
        row["evidence"] = None
