"""What each part of a product's price adds to its APR: interest, fees, insurance, deposit, tax.

The APR is priced again as the terms are added one at a time in the MFTransparency order
(interest alone, then the upfront fees, the insurance premium, the compulsory deposit, the tax
on interest), each part taking the APR it adds. The parts add up to the product's apr_pct
exactly, since the last step prices the full terms, as int_products__priced does.
"""

import dataclasses
import functools

import pandas as pd

from smartdd.methodology.pricing import price_product, terms_from_row

KEYS = ["submission_id", "product_code"]
# (column of the part, the terms fields it adds)
PARTS = [
    ("apr_interest_pp", ()),
    ("apr_fees_pp", ("upfront_fee_pct", "upfront_fee_flat")),
    ("apr_insurance_pp", ("insurance_pct",)),
    ("apr_deposit_pp", ("compulsory_savings_pct",)),
    ("apr_tax_pp", ("tax_on_interest_pct",)),
]
OUTPUT = {"submission_id": "string", "product_code": "string", **{column: "float64" for column, _ in PARTS}}
_COSTS = tuple(field for _, fields in PARTS for field in fields)


_apr = functools.lru_cache(maxsize=None)(lambda terms: price_product(terms).apr_pct)


def _split(row) -> dict:
    out = {key: row[key] for key in KEYS}
    full = terms_from_row(row)
    kept = {field: 0 for field in _COSTS}
    previous = 0.0
    try:
        for column, fields in PARTS:
            kept.update({field: getattr(full, field) for field in fields})
            apr = _apr(dataclasses.replace(full, **kept))
            if apr is None:
                raise ArithmeticError("no internal rate of return")
            out[column], previous = apr - previous, apr
    except (ValueError, TypeError, ArithmeticError):  # unpriceable terms: int_products__priced says why
        out.update({column: None for column, _ in PARTS})
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    products = dbt.ref("int_products__current").df()
    rows = [_split(row) for _, row in products.iterrows()]
    return pd.DataFrame(rows, columns=list(OUTPUT)).astype(OUTPUT)
