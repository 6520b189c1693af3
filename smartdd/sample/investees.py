"""The investees of a sample run and the products each one lends.

Each investee is drawn from its own seeded stream, so adding one to the cast changes no
other. Its products are archetypes (`cast.yaml`) priced in its currency, with the APR the
methodology computes and the APR the investee chooses to disclose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smartdd.methodology.pricing import ProductTerms, periods_per_year, price_product
from smartdd.sample.cast import ARCHETYPES, CAST_COUNTRIES, COUNTRIES, Archetype, Country
from smartdd.spec import load_catalogue

# Installment periods per month, for the client's monthly debt service (bullet: per term).
# Calendar arithmetic rather than cast data, so it stays here.
_PER_MONTH = {"weekly": 52 / 12, "fortnightly": 26 / 12, "monthly": 1.0}
_PERIOD_DAYS = {"weekly": 7.0, "fortnightly": 14.0, "monthly": 365.25 / 12}


@dataclass(frozen=True)
class Product:
    fields: dict  # the Products sheet values that do not change by quarter
    share: float  # share of the investee's loans
    period_days: float
    period_rate: float
    per_month: float  # installments per month, for DSTI
    apr_pct: float


@dataclass(frozen=True)
class Investee:
    index: int
    investee_id: str
    institution_name: str
    legal_form: str
    prepared_by: str
    country: Country
    products: tuple[Product, ...]
    book_size: int  # loans in the book
    client_base: int  # first client number
    women_share: float
    rural_share: float
    caseload: float  # borrowers per loan officer
    par30_start: float
    par30_trend: float  # per quarter
    dsti_median: float
    other_lenders_p: tuple[float, float, float, float]  # P(0, 1, 2, 3 loans elsewhere)
    cp_maturity: float  # P(Yes) on a non-essential indicator
    weak_essential: str | None  # an essential practice answered No
    complaints_per_1000: float  # per year
    exit_rate: float  # per quarter
    growth: float  # per quarter, loan sizes
    partner: int | None  # an earlier investee in the same market
    shared_share: float  # share of borrowers who also borrow from the partner
    compact_ids: bool  # writes national ids without spaces or dashes
    yield_factor: float  # income collected per unit of contractual APR


def build_cast(count: int, seed: int, loan_tape_rows: int) -> list[Investee]:
    """The investees, each drawn from its own stream so adding one changes no other."""
    rng = np.random.default_rng([seed, 0])
    stressed = int(rng.integers(count))  # PAR and over-indebtedness drifting up
    weak = int(rng.integers(count))  # answers one essential practice No
    essentials = [i.code for i in load_catalogue() if i.essential]
    cast: list[Investee] = []
    for index in range(count):
        code = CAST_COUNTRIES[index % len(CAST_COUNTRIES)]
        same_market = [i for i in cast if i.country.code == code]
        irng = np.random.default_rng([seed, 1, index])
        cast.append(
            _investee(
                index,
                COUNTRIES[code],
                same_market,
                irng,
                loan_tape_rows,
                stressed=index == stressed,
                weak_essential=str(irng.choice(essentials)) if index == weak else None,
            )
        )
    return cast


def _investee(
    index: int,
    country: Country,
    same_market: list[Investee],
    rng: np.random.Generator,
    loan_tape_rows: int,
    stressed: bool,
    weak_essential: str | None,
) -> Investee:
    name, legal_form = country.institutions[len(same_market) % len(country.institutions)]
    group_lender = rng.random() < 0.6
    products = _products(country, rng, group_lender)
    p0 = rng.uniform(0.55, 0.85)
    return Investee(
        index=index,
        investee_id=f"MFI-{country.code}-{len(same_market) + 1:03d}",
        institution_name=name,
        legal_form=legal_form,
        prepared_by=str(rng.choice(country.staff)),
        country=country,
        products=products,
        book_size=loan_tape_rows or int(rng.integers(4_000, 60_000)),
        client_base=int(rng.integers(10_000, 400_000)),
        women_share=rng.uniform(0.75, 0.95) if group_lender else rng.uniform(0.55, 0.75),
        rural_share=rng.uniform(0.3, 0.8),
        caseload=rng.uniform(180, 520),
        par30_start=rng.uniform(0.02, 0.08),
        par30_trend=0.03 if stressed else rng.normal(0, 0.008),
        dsti_median=0.42 if stressed else rng.uniform(0.22, 0.32),
        other_lenders_p=(p0, *(np.array([0.6, 0.28, 0.12]) * (1 - p0))),
        cp_maturity=rng.uniform(0.72, 0.95),
        weak_essential=weak_essential,
        complaints_per_1000=rng.uniform(0.5, 10),
        exit_rate=rng.uniform(0.05, 0.10),
        growth=rng.uniform(0.0, 0.05),
        partner=same_market[0].index if same_market else None,
        shared_share=rng.uniform(0.03, 0.09),
        compact_ids=bool(rng.random() < 0.5),
        yield_factor=rng.uniform(0.7, 0.9),
    )


def _products(country: Country, rng: np.random.Generator, group_lender: bool) -> tuple[Product, ...]:
    main = ARCHETYPES[0] if group_lender else ARCHETYPES[1]
    others = [a for a in ARCHETYPES if a is not main]
    extra = rng.choice(len(others), size=int(rng.integers(1, 4)), replace=False)
    chosen = [main, *(others[i] for i in sorted(extra))]
    shares = rng.dirichlet([4.0] + [1.5] * (len(chosen) - 1))
    return tuple(_product(a, country, rng, float(s)) for a, s in zip(chosen, shares, strict=True))


def _product(a: Archetype, country: Country, rng: np.random.Generator, share: float) -> Product:
    unit = money_unit(country)
    term = int(rng.choice(a.term_days)) if a.term_days else None
    fields = {
        "product_code": a.code,
        "product_name": a.names[country.language],
        "lending_method": a.lending_method or str(rng.choice(["group", "individual"])),
        "loan_amount": nice(rng.uniform(*a.amount_usd) * country.fx_usd, unit),
        "installments": int(rng.choice(a.installments)),
        "repayment_frequency": a.frequency,
        "term_days": term,
        "nominal_rate_pct": round(rng.uniform(*a.nominal), 1),
        "rate_period": a.rate_period,
        "interest_method": a.interest_method,
        "upfront_fee_pct": round(rng.uniform(*a.upfront_fee_pct), 1),
        "upfront_fee_flat": (nice(rng.uniform(*a.flat_fee_usd) * country.fx_usd, unit / 10) if a.flat_fee_usd else None),
        "insurance_pct": _pick(rng, a.insurance_pct),
        "compulsory_savings_pct": _pick(rng, a.savings_pct),
    }
    terms = ProductTerms(**{k: v for k, v in fields.items() if k in _TERMS and v is not None})
    apr = price_product(terms).apr_pct
    fields["disclosed_apr_pct"] = _disclosed_apr(rng, apr, fields)
    per_year = periods_per_year(a.frequency, term)
    nominal = fields["nominal_rate_pct"] / 100
    return Product(
        fields=fields,
        share=share,
        period_days=term or _PERIOD_DAYS[a.frequency],
        period_rate=nominal * 12 / per_year if a.rate_period == "month" else nominal / per_year,
        per_month=_PER_MONTH[a.frequency] if a.frequency in _PER_MONTH else 365.25 / 12 / term,
        apr_pct=apr,
    )


_TERMS = set(ProductTerms.__dataclass_fields__)


def _pick(rng: np.random.Generator, options: tuple) -> float | None:
    value = options[int(rng.integers(len(options)))]
    return None if value is None else float(value)


def _disclosed_apr(rng: np.random.Generator, apr: float, fields: dict) -> float | None:
    """Most MFIs state the true APR; some quote the nominal rate as if it were; some nothing."""
    how = rng.choice(["true", "nominal", "none"], p=[0.6, 0.25, 0.15])
    if how == "true":
        return round(apr, 1)
    if how == "nominal":
        yearly = 12 if fields["rate_period"] == "month" else 1
        return round(fields["nominal_rate_pct"] * yearly, 1)
    return None


def money_unit(country: Country) -> float:
    """Loan sizes are round numbers: 100 KES, 10 PEN, 10,000 UGX."""
    return 10.0 ** max(0, round(math.log10(country.fx_usd)))


def amount_decimals(country: Country) -> int:
    """Decimals of the amounts an investee reports: none where a USD is 100 units or more."""
    return 0 if country.fx_usd >= 100 else 2


def nice(value: float | np.ndarray, unit: float) -> float | np.ndarray:
    """Round to a multiple of `unit` (at least one unit); arrays or scalars."""
    rounded = np.maximum(np.round(np.asarray(value) / unit), 1) * unit
    return float(rounded) if np.ndim(rounded) == 0 else rounded
