"""Transparent pricing of microloans (MFTransparency method).

A product's true price is the internal rate of return of the cash flows the
client actually experiences: what she receives at disbursement net of fees,
insurance and compulsory savings, against what she repays (interest grossed
up by tax), with a compulsory deposit handed back at the end. The periodic
IRR is annualised as APR (r × n) and EIR ((1 + r)^n − 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

_PERIODS_PER_YEAR = {"weekly": 52.0, "fortnightly": 26.0, "monthly": 12.0}

# Distances from 0 at which the NPV sign is sampled, on each side of 0. Dense
# geometric spacing (about 1.3 % apart) finds the root nearest 0 even when a
# second root exists; beyond 1e4 per period no loan price is meaningful.
_SCAN = np.geomspace(1e-7, 1e4, 2000)


COST_FIELDS = ("upfront_fee_pct", "upfront_fee_flat", "insurance_pct", "compulsory_savings_pct", "tax_on_interest_pct")


@dataclass(frozen=True)
class ProductTerms:
    """Contract terms of one loan product; percentages in percent units (2 = 2 %)."""

    loan_amount: float
    installments: int
    repayment_frequency: str
    nominal_rate_pct: float
    rate_period: str
    interest_method: str
    term_days: int | None = None
    upfront_fee_pct: float = 0
    upfront_fee_flat: float = 0
    insurance_pct: float = 0
    compulsory_savings_pct: float = 0
    tax_on_interest_pct: float = 0


@dataclass(frozen=True)
class Pricing:
    """Periodic IRR and its annualisations; all None when the IRR does not exist."""

    periodic_rate: float | None
    apr_pct: float | None
    eir_pct: float | None


def row_value(row, column: str):
    """A product row's value, None when missing (None, NaN, pandas' NA) — for the dbt Python models."""
    value = row[column]
    try:
        return None if value is None or bool(value != value) else value
    except TypeError:  # pandas' NA refuses to be a bool: it is missing
        return None


def terms_from_row(row) -> ProductTerms:
    """A product's terms from a row of int_products__current (missing costs are zero)."""
    term_days, installments = row_value(row, "term_days"), row_value(row, "installments")
    return ProductTerms(
        loan_amount=row_value(row, "loan_amount"),
        installments=None if installments is None else int(installments),
        repayment_frequency=row_value(row, "repayment_frequency") or "",
        nominal_rate_pct=row_value(row, "nominal_rate_pct"),
        rate_period=row_value(row, "rate_period") or "",
        interest_method=row_value(row, "interest_method") or "",
        term_days=None if term_days is None else int(term_days),
        **{cost: row_value(row, cost) or 0 for cost in COST_FIELDS},
    )


def periods_per_year(frequency: str, term_days: int | None) -> float:
    """Installment periods per year; a bullet loan's single period is its term."""
    frequency = frequency.strip().lower()
    if frequency == "bullet":
        if not term_days or term_days <= 0:
            raise ValueError("A bullet loan needs a positive term in days (term_days).")
        return 365.0 / term_days
    if frequency not in _PERIODS_PER_YEAR:
        raise ValueError(f"Unknown repayment frequency {frequency!r}; expected weekly, fortnightly, monthly or bullet.")
    return _PERIODS_PER_YEAR[frequency]


def client_cash_flows(terms: ProductTerms) -> list[float]:
    """Client's net cash flow per installment period (index = t), received positive."""
    loan, n_inst = terms.loan_amount, terms.installments
    if loan is None or loan <= 0:
        raise ValueError("The loan amount must be positive.")
    if n_inst is None or n_inst < 1:
        raise ValueError("A loan needs at least one installment.")
    frequency = terms.repayment_frequency.strip().lower()
    if frequency == "bullet" and n_inst != 1:
        raise ValueError("A bullet loan is repaid in exactly one installment.")
    n = periods_per_year(frequency, terms.term_days)

    rate_period = terms.rate_period.strip().lower()
    if rate_period not in ("month", "year"):
        raise ValueError(f"Unknown rate period {terms.rate_period!r}; expected month or year.")
    nominal = (terms.nominal_rate_pct or 0) / 100
    rate = nominal * 12 / n if rate_period == "month" else nominal / n

    method = terms.interest_method.strip().lower()
    if method == "flat":
        schedule = [(loan / n_inst, loan * rate)] * n_inst
    elif method == "declining":
        schedule = _annuity_schedule(loan, n_inst, rate)
    else:
        raise ValueError(f"Unknown interest method {terms.interest_method!r}; expected flat or declining.")

    deposit = loan * (terms.compulsory_savings_pct or 0) / 100
    upfront = loan * ((terms.upfront_fee_pct or 0) + (terms.insurance_pct or 0)) / 100
    tax = 1 + (terms.tax_on_interest_pct or 0) / 100
    flows = [loan - upfront - deposit - (terms.upfront_fee_flat or 0)]
    flows += [-(principal + interest * tax) for principal, interest in schedule]
    flows[-1] += deposit
    return flows


def _annuity_schedule(loan: float, n_inst: int, rate: float) -> list[tuple[float, float]]:
    """(principal, interest) per period for equal installments on the declining balance."""
    if rate == 0:
        return [(loan / n_inst, 0.0)] * n_inst
    installment = loan * rate / (1 - (1 + rate) ** -n_inst)
    schedule, balance = [], loan
    for _ in range(n_inst):
        interest = balance * rate
        schedule.append((installment - interest, interest))
        balance -= installment - interest
    return schedule


def periodic_irr(cash_flows: Sequence[float]) -> float | None:
    """Root of NPV(r) = 0 in (−1, ∞) nearest 0, or None if there is none.

    A compulsory deposit returned with the last installment makes the flows
    change sign twice, which adds a spurious root far below 0; scanning
    outward from 0 on both sides and keeping the nearer root avoids it.
    """
    flows = np.asarray(cash_flows, dtype=float)
    if not (flows > 0).any() or not (flows < 0).any():
        return None  # without a sign change NPV never vanishes

    def npv(r: float) -> float:
        return float(_scaled_npv(flows, np.array([r]))[0])

    if abs(npv(0.0)) <= 1e-12 * np.abs(flows).sum():
        return 0.0
    candidates = []
    for grid in (
        np.concatenate(([0.0], _SCAN)),
        -np.concatenate(([0.0], _SCAN[_SCAN < 1])),
    ):
        values = _scaled_npv(flows, grid)
        change = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) <= 0)
        if change.size:
            k = change[0]
            candidates.append(brentq(npv, *sorted((grid[k], grid[k + 1])), xtol=1e-14))
    return min(candidates, key=abs, default=None)


def _scaled_npv(flows: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """NPV at each rate, times (1 + r)^T when r < 0 so that no power overflows.

    The factor is positive, so signs and roots are those of the NPV itself.
    """
    t = np.arange(len(flows))
    exponent = np.where(rates[:, None] >= 0, -t, t[-1] - t)
    return ((1 + rates)[:, None] ** exponent) @ flows


def price_product(terms: ProductTerms) -> Pricing:
    """APR and EIR of a product from the client's cash flows."""
    n = periods_per_year(terms.repayment_frequency, terms.term_days)
    r = periodic_irr(client_cash_flows(terms))
    if r is None:
        return Pricing(None, None, None)
    try:  # a one-day bullet with a 90 % fee compounds past any float: unpriceable, not a crash
        eir_pct = 100 * ((1 + r) ** n - 1)
    except OverflowError:
        eir_pct = math.inf
    apr_pct = 100 * r * n
    if not (math.isfinite(eir_pct) and math.isfinite(apr_pct)):
        raise ValueError(f"Its effective interest rate is too large to compute (a periodic rate of {r:.4g} over {n:.4g} periods a year).")
    return Pricing(periodic_rate=r, apr_pct=apr_pct, eir_pct=eir_pct)
