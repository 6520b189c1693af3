"""True price of every current product (MFTransparency method), computed by smartdd.methodology.pricing.

The IRR lives in Python, tested against published figures (tests/pricing); SQL only joins and
benchmarks its results. A product whose terms cannot be priced (e.g. a bullet loan without a
term) gets null prices and the reason in pricing_error, rather than failing the build.
"""

import functools

import pandas as pd

from smartdd.methodology.pricing import price_product, row_value, terms_from_row

KEYS = ["submission_id", "product_code"]
OUTPUT = {
    "submission_id": "string",
    "product_code": "string",
    "periodic_rate": "float64",
    "apr_pct": "float64",
    "eir_pct": "float64",
    "nominal_annual_rate_pct": "float64",
    "transparency_index": "float64",
    "apr_understatement_pp": "float64",
    "pricing_error": "string",
}


def _nominal_annual_pct(row):
    """The rate as quoted, per year: a monthly rate × 12, a yearly rate as is."""
    rate, period = row_value(row, "nominal_rate_pct"), (row_value(row, "rate_period") or "").strip().lower()
    if rate is None:
        return None
    return {"month": rate * 12, "year": rate}.get(period)


# the same product is usually priced again every quarter (and across investees of one template)
_price_terms = functools.lru_cache(maxsize=None)(price_product)


def _price(row) -> dict:
    out = {key: row[key] for key in KEYS}
    try:
        pricing = _price_terms(terms_from_row(row))
        error = None if pricing.apr_pct is not None else "no internal rate of return (the cash flows never change sign)"
    except (ValueError, TypeError, ArithmeticError) as exc:  # one product's terms never stop the build
        pricing, error = None, str(exc) or type(exc).__name__
    apr = pricing.apr_pct if pricing else None
    nominal = _nominal_annual_pct(row)
    disclosed = row_value(row, "disclosed_apr_pct")
    out.update(
        periodic_rate=pricing.periodic_rate if pricing else None,
        apr_pct=apr,
        eir_pct=pricing.eir_pct if pricing else None,
        nominal_annual_rate_pct=nominal,
        transparency_index=nominal / apr if apr and nominal is not None else None,
        apr_understatement_pp=apr - disclosed if apr is not None and disclosed is not None else None,
        pricing_error=error,
    )
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    products = dbt.ref("int_products__current").df()
    rows = [_price(row) for _, row in products.iterrows()]
    # typed even when empty, so an empty quarter still builds a table with the right columns
    return pd.DataFrame(rows, columns=list(OUTPUT)).astype(OUTPUT)
