"""Pricing tests against published MFTransparency figures and hand-computed cases."""

import itertools
import math
from dataclasses import replace

import pytest

from smartdd.methodology.pricing import (
    Pricing,
    ProductTerms,
    client_cash_flows,
    periodic_irr,
    periods_per_year,
    price_product,
)


def npv(flows, r):
    return sum(c / (1 + r) ** t for t, c in enumerate(flows))


def rounded(p: Pricing) -> tuple[float, float]:
    return round(p.apr_pct, 2), round(p.eir_pct, 2)


def terms(**overrides) -> ProductTerms:
    base = {
        "loan_amount": 1000,
        "installments": 12,
        "repayment_frequency": "monthly",
        "nominal_rate_pct": 1,
        "rate_period": "month",
        "interest_method": "declining",
    }
    return ProductTerms(**{**base, **overrides})


# Bangladesh MRA: 1,000 at 10 % flat over 44 weekly installments of 25.
# A yearly flat rate of 10 × 52/44 % gives weekly interest 1000 × 0.1/44.
MRA = terms(
    installments=44,
    repayment_frequency="weekly",
    nominal_rate_pct=10 * 52 / 44,
    rate_period="year",
    interest_method="flat",
)


# --- published figures -------------------------------------------------------


def test_one_percent_per_month_no_fees():
    p = price_product(terms())
    assert p.periodic_rate == pytest.approx(0.01, abs=1e-12)
    assert rounded(p) == (12.00, 12.68)


def test_mra_weekly_flat_cash_flows_and_eir():
    flows = client_cash_flows(MRA)
    assert flows[0] == 1000
    assert flows[1:] == pytest.approx([-25.0] * 44, abs=1e-12)
    assert round(price_product(MRA).eir_pct, 2) == 25.07


def test_mra_with_two_percent_upfront_fee():
    with_fee = replace(MRA, upfront_fee_pct=2)
    assert client_cash_flows(with_fee)[0] == pytest.approx(980)
    assert round(price_product(with_fee).eir_pct, 2) == 31.27


def test_1200_at_one_percent_flat_four_months():
    t = terms(loan_amount=1200, installments=4, interest_method="flat")
    assert client_cash_flows(t) == pytest.approx([1200, -312, -312, -312, -312])
    assert round(price_product(t).apr_pct, 2) == 19.05


# --- compulsory deposit: two sign changes -------------------------------------


def test_compulsory_deposit_returns_root_nearest_zero():
    t = replace(MRA, compulsory_savings_pct=20)
    flows = client_cash_flows(t)
    assert flows[0] == pytest.approx(800)
    assert flows[-1] == pytest.approx(-25 + 200)
    signs = [math.copysign(1, c) for c in flows]
    assert sum(a != b for a, b in itertools.pairwise(signs)) == 2

    r = periodic_irr(flows)
    assert r == pytest.approx(0.0067634542, abs=1e-9)
    assert npv(flows, r) == pytest.approx(0, abs=1e-8)
    # The spurious root far below 0 (found independently with numpy.roots).
    spurious = -0.1230922724
    assert npv(flows, spurious) == pytest.approx(0, abs=1e-5)
    assert abs(r) < abs(spurious)
    assert rounded(price_product(t)) == (35.17, 41.98)


# --- other charges and frequencies (hand-computed) ----------------------------


def test_tax_on_interest_grosses_up_interest():
    # Flat 2 %/month: interest 20, taxed 15 % -> 23, plus principal 1000/12.
    t = terms(nominal_rate_pct=2, interest_method="flat", tax_on_interest_pct=15)
    assert client_cash_flows(t)[1:] == pytest.approx([-(1000 / 12 + 23)] * 12)
    assert rounded(price_product(t)) == (47.58, 59.45)


def test_insurance_is_deducted_at_disbursement():
    t = terms(insurance_pct=1)
    installment = 1000 * 0.01 / (1 - 1.01**-12)
    assert client_cash_flows(t) == pytest.approx([990] + [-installment] * 12)
    assert rounded(price_product(t)) == (13.91, 14.84)


def test_fortnightly_declining_period_rate_is_the_irr():
    t = terms(
        repayment_frequency="fortnightly",
        installments=6,
        nominal_rate_pct=26,
        rate_period="year",
    )
    p = price_product(t)
    assert p.periodic_rate == pytest.approx(0.01, abs=1e-12)
    assert rounded(p) == (26.00, 29.53)


def test_flat_fee_fortnightly_matches_quadratic_solution():
    # 26 %/year flat fortnightly on 1,000 over 2 periods: 510 twice; fee 20 -> 980 received.
    t = terms(
        repayment_frequency="fortnightly",
        installments=2,
        nominal_rate_pct=26,
        rate_period="year",
        interest_method="flat",
        upfront_fee_flat=20,
    )
    assert client_cash_flows(t) == pytest.approx([980, -510, -510])
    # 510 v^2 + 510 v - 980 = 0 with v = 1 / (1 + r)
    v = (-510 + math.sqrt(510**2 + 4 * 510 * 980)) / (2 * 510)
    p = price_product(t)
    assert p.periodic_rate == pytest.approx(1 / v - 1, abs=1e-12)
    assert rounded(p) == (70.43, 100.37)


@pytest.mark.parametrize("method", ["flat", "declining"])
def test_bullet_90_days(method):
    # 3 %/month over 90 days: one repayment of 1000 × (1 + 0.36 × 90/365).
    t = terms(
        repayment_frequency="bullet",
        installments=1,
        term_days=90,
        nominal_rate_pct=3,
        interest_method=method,
    )
    i = 0.36 * 90 / 365
    assert periods_per_year("bullet", 90) == pytest.approx(365 / 90)
    assert client_cash_flows(t) == pytest.approx([1000, -1000 * (1 + i)])
    p = price_product(t)
    assert p.periodic_rate == pytest.approx(i, abs=1e-12)
    assert p.eir_pct == pytest.approx(100 * ((1 + i) ** (365 / 90) - 1), abs=1e-9)
    assert rounded(p) == (36.00, 41.19)


def test_bullet_with_fee():
    t = terms(
        repayment_frequency="bullet",
        installments=1,
        term_days=90,
        nominal_rate_pct=3,
        upfront_fee_pct=2,
    )
    r = 1000 * (1 + 0.36 * 90 / 365) / 980 - 1
    assert price_product(t).periodic_rate == pytest.approx(r, abs=1e-12)


@pytest.mark.parametrize("method", ["flat", "declining"])
def test_zero_rate_no_fee_is_free(method):
    p = price_product(terms(nominal_rate_pct=0, interest_method=method))
    assert p.periodic_rate == 0
    assert (p.apr_pct, p.eir_pct) == (0, 0)


def test_missing_percentages_count_as_zero():
    assert price_product(terms(upfront_fee_pct=None, tax_on_interest_pct=None)) == price_product(terms())


# --- solver edge cases ----------------------------------------------------------


@pytest.mark.parametrize("flows", [[100, 10, 10], [-100, -10], [0, 0], []])
def test_no_root_returns_none(flows):
    assert periodic_irr(flows) is None


def test_negative_irr_is_found():
    # Client repays less than received: r < 0.
    r = periodic_irr([1000, -450, -450])
    assert r < 0
    assert npv([1000, -450, -450], r) == pytest.approx(0, abs=1e-9)


def test_price_product_without_root_is_all_none():
    # A fee larger than the loan leaves the client with nothing but repayments.
    p = price_product(terms(upfront_fee_flat=2000))
    assert p == Pricing(None, None, None)


# --- impossible terms ----------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"repayment_frequency": "daily"}, "frequency"),
        (
            {"repayment_frequency": "bullet", "installments": 2, "term_days": 90},
            "one installment",
        ),
        ({"repayment_frequency": "bullet", "installments": 1}, "term"),
        ({"installments": 0}, "installment"),
        ({"loan_amount": 0}, "loan amount"),
        ({"rate_period": "week"}, "rate period"),
        ({"interest_method": "compound"}, "interest method"),
    ],
)
def test_impossible_terms_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        price_product(terms(**overrides))
