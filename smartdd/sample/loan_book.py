"""A quarter-end's loan book, simulated one record per loan.

Contracts come from the investee's products, repayment is drawn so that the book's PAR30
follows the investee's trend, and each borrower gets an identity hash, shared with the
partner investee for the few who borrow from both. The Portfolio and Products sheets are
this book's totals; the Loan_Tape is the book itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smartdd.sample.investees import Investee, amount_decimals, money_unit, nice


@dataclass
class LoanBook:
    """One quarter-end's loans, one array element per loan."""

    product: np.ndarray
    disbursed: np.ndarray
    outstanding: np.ndarray
    days_past_due: np.ndarray
    restructured: np.ndarray
    written_off: np.ndarray
    age_days: np.ndarray  # days from disbursement to period end
    term_days: np.ndarray  # days from disbursement to maturity
    installment: np.ndarray
    income: np.ndarray
    other_loans: np.ndarray
    female: np.ndarray
    rural: np.ndarray
    branch: np.ndarray
    client_number: np.ndarray
    person: np.ndarray  # uint64 identity hash: same person, same hash, at any investee

    @property
    def active(self) -> np.ndarray:
        return ~self.written_off


def loan_book(investee: Investee, cast: list[Investee], position: int, rng: np.random.Generator, seed: int) -> LoanBook:
    """The book of `investee` at the quarter end `position` of the run (0: the first)."""
    contracts = _contracts(investee, position, rng)
    paid, dpd, restructured, written_off = _repayment(investee, position, contracts, rng)
    n, days = paid.size, contracts.period_days
    # A late loan's first missed installment fell due `dpd` days ago.
    age = np.where(dpd > 0, (paid + 1) * days + dpd, (paid + rng.random(n)) * days)
    installment = contracts.installment()
    per_month = np.array([p.per_month for p in investee.products])[contracts.product]
    dsti = np.clip(rng.lognormal(math.log(investee.dsti_median), 0.45, n), 0.04, 0.95)
    owner_share, person = _people(investee, cast, position, n, rng, seed)
    decimals = amount_decimals(investee.country)
    return LoanBook(
        product=contracts.product,
        disbursed=contracts.disbursed,
        outstanding=np.round(contracts.balance(paid), decimals),
        days_past_due=dpd,
        restructured=restructured,
        written_off=written_off,
        age_days=np.round(age).astype(np.int64),
        term_days=np.round(contracts.installments * days).astype(np.int64),
        installment=np.round(installment, decimals),
        income=nice(installment * per_month / dsti, money_unit(investee.country) / 10),
        other_loans=rng.choice(4, size=n, p=_normalised(investee.other_lenders_p)),
        female=_unit_interval(person, 0) < owner_share[0],
        rural=_unit_interval(person, 16) < owner_share[1],
        branch=rng.integers(len(investee.country.branches), size=n),
        client_number=investee.client_base + position * churn(investee) + np.arange(n),
        person=person,
    )


@dataclass
class Contracts:
    """Each loan's contract: its product's terms and the amount disbursed."""

    product: np.ndarray
    installments: np.ndarray
    period_days: np.ndarray
    rate: np.ndarray  # per installment period
    flat: np.ndarray
    disbursed: np.ndarray

    def balance(self, paid: np.ndarray) -> np.ndarray:
        """Principal still owed after `paid` installments (flat: equal principal; else annuity)."""
        amount, n, rate = self.disbursed, self.installments, self.rate
        growth_n = (1 + rate) ** n
        annuity = amount * (growth_n - (1 + rate) ** paid) / np.where(rate > 0, growth_n - 1, 1)
        return np.where(self.flat | (rate <= 0), amount * (n - paid) / n, annuity)

    def installment(self) -> np.ndarray:
        amount, n, rate = self.disbursed, self.installments, self.rate
        annuity = amount * rate / (1 - (1 + rate) ** -n)
        return np.where(self.flat, amount / n + amount * rate, annuity)


def _contracts(investee: Investee, position: int, rng: np.random.Generator) -> Contracts:
    products = investee.products
    product = rng.choice(len(products), size=investee.book_size, p=_normalised([p.share for p in products]))

    def per_loan(values) -> np.ndarray:
        return np.array(values)[product]

    size = per_loan([p.fields["loan_amount"] for p in products]) * (1 + investee.growth) ** position
    return Contracts(
        product=product,
        installments=per_loan([p.fields["installments"] for p in products]),
        period_days=per_loan([p.period_days for p in products]),
        rate=per_loan([p.period_rate for p in products]),
        flat=per_loan([p.fields["interest_method"] == "flat" for p in products]),
        disbursed=nice(size * rng.lognormal(0, 0.35, product.size), money_unit(investee.country)),
    )


def _repayment(investee: Investee, position: int, contracts: Contracts, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Installments paid, days past due, restructured and written-off flags of each loan.

    Loans fall more than 30 days behind until their balances reach the quarter's PAR30
    target; a few more are a little late, restructured while current, or written off.
    """
    n = contracts.product.size
    paid = np.floor(rng.random(n) * contracts.installments)
    dpd = np.zeros(n, dtype=np.int64)
    restructured = np.zeros(n, dtype=bool)
    written_off = np.zeros(n, dtype=bool)

    order, dpd_late, paid_late = _arrears(n, contracts.installments, rng)
    at_risk = _par30_target(investee, position) * contracts.balance(paid).sum()
    in_par = _pick_until(order, contracts.balance(paid_late), at_risk)
    dpd[in_par] = dpd_late[in_par]
    paid[in_par] = paid_late[in_par]
    restructured[in_par] = rng.random(in_par.size) < 0.2

    current = np.flatnonzero(dpd == 0)
    rng.shuffle(current)
    n_early, n_restructured, n_written_off = (round(n * rng.uniform(*share)) for share in ((0.02, 0.05), (0.003, 0.015), (0.003, 0.012)))
    early = current[:n_early]
    dpd[early] = rng.integers(1, 31, early.size)
    restructured[current[n_early : n_early + n_restructured]] = True
    gone = current[n_early + n_restructured :][:n_written_off]
    written_off[gone] = True
    dpd[gone] = rng.integers(181, 366, gone.size)
    paid[gone] = paid_late[gone]
    return paid, dpd, restructured, written_off


def _arrears(n: int, installments: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random order of loans to fall behind, with their days late and installments paid.

    The first two always land in 31–90 and over 90 days, so PAR90 < PAR30 in any book.
    """
    order = rng.permutation(n)
    over_90 = rng.random(n) < rng.uniform(0.35, 0.6)
    dpd = np.where(over_90, rng.integers(91, 361, n), rng.integers(31, 91, n))
    dpd[order[:2]] = (60, 120)
    paid = np.floor(rng.random(n) * installments)
    return order, dpd, paid


def _pick_until(order: np.ndarray, balance: np.ndarray, amount: float) -> np.ndarray:
    """The first loans of `order` whose balances add up to about `amount` (at least two)."""
    cumulative = np.cumsum(balance[order])
    return order[: max(2, int(np.searchsorted(cumulative, amount)))]


def _par30_target(investee: Investee, position: int) -> float:
    return float(np.clip(investee.par30_start + investee.par30_trend * position, 0.012, 0.16))


def churn(investee: Investee) -> int:
    """Clients leaving (and joining) each quarter."""
    return max(1, round(investee.book_size * investee.exit_rate))


def _people(
    investee: Investee, cast: list[Investee], position: int, n: int, rng: np.random.Generator, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Identity hash of each borrower and the (women, rural) shares of who she banks with.

    A few borrowers are clients of the partner investee in the same market too: they get
    the partner's person hash, hence the same national id, name and phone at both.
    """
    owner = np.full(n, investee.index, dtype=np.uint64)
    local = position * churn(investee) + np.arange(n, dtype=np.uint64)
    if investee.partner is not None:
        partner = cast[investee.partner]
        shared = rng.random(n) < investee.shared_share
        owner[shared] = partner.index
        local[shared] = position * churn(partner) + rng.integers(0, partner.book_size, int(shared.sum()), dtype=np.uint64)
    person = _mix(_mix(np.uint64(seed) * np.uint64(1_000_003) + owner) ^ local)
    women = np.array([i.women_share for i in cast])[owner.astype(np.int64)]
    rural = np.array([i.rural_share for i in cast])[owner.astype(np.int64)]
    return (women, rural), person


def _mix(x: np.ndarray | np.uint64) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread integer hash (wraps modulo 2**64)."""
    x = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unit_interval(person: np.ndarray, shift: int) -> np.ndarray:
    return ((person >> np.uint64(shift)) & np.uint64(0xFFFF)) / 65536


def _normalised(weights: list[float] | tuple[float, ...]) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()
