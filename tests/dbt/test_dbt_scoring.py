"""The dbt project end to end on tiny raw zones written straight to Parquet.

- the Python pricing model reproduces the published APR/EIR figures (MFTransparency);
- the methodology is data: a threshold changed in a seed changes the red flags;
- an empty home (no submission yet) builds green.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from dbt_raw_zone import add_submission, copy_project, empty_home, query, run_dbt_build

pytestmark = pytest.mark.slow

COVER = {
    "investee_id": "MFI-T-001",
    "institution_name": "Test Microfinance",
    "country": "BD",
    "currency": "BDT",
    "period_end": dt.date(2026, 6, 30),
    "fx_rate_usd": 100.0,
    "legal_form": "NGO",
    "template_version": "1.0",
    "language": "en",
}
PORTFOLIO = {
    "active_borrowers": 800,
    "active_borrowers_women": 600,
    "gross_loan_portfolio": 1_000_000.0,
    "gross_loan_portfolio_start": 1_000_000.0,
    "par30": 80_000.0,  # PAR30 8 %: under the default 10 % threshold of PAR30_HIGH
    "par90": 10_000.0,
    "restructured_portfolio": 0.0,
    "write_offs_period": 0.0,
    "loans_disbursed_period": 100,
    "amount_disbursed_period": 100_000.0,
    "interest_fee_income_period": 60_000.0,
    "loan_officers": 4,
    "data_breaches_period": 0,
}
MONTHLY = {"lending_method": "individual", "repayment_frequency": "monthly", "rate_period": "month", "active_loans": 10, "outstanding_portfolio": 10_000.0}
# Bangladesh MRA: 1,000 at 10 % flat over 44 weekly installments of 25 (yearly flat rate 10 × 52/44 %).
MRA = {
    "lending_method": "group",
    "loan_amount": 1000.0,
    "installments": 44,
    "repayment_frequency": "weekly",
    "nominal_rate_pct": 10 * 52 / 44,
    "rate_period": "year",
    "interest_method": "flat",
    "active_loans": 10,
    "outstanding_portfolio": 10_000.0,
}
PRODUCTS = [
    {
        **MONTHLY,
        "product_code": "DECL12",
        "product_name": "1 %/month declining",
        "loan_amount": 1000.0,
        "installments": 12,
        "nominal_rate_pct": 1.0,
        "interest_method": "declining",
        "disclosed_apr_pct": 12.0,
    },
    {**MRA, "product_code": "MRA", "product_name": "MRA weekly flat"},
    {**MRA, "product_code": "MRA-FEE", "product_name": "MRA weekly flat, 2 % fee", "upfront_fee_pct": 2.0},
    {
        **MONTHLY,
        "product_code": "FLAT4",
        "product_name": "1 %/month flat, 4 months",
        "loan_amount": 1200.0,
        "installments": 4,
        "nominal_rate_pct": 1.0,
        "interest_method": "flat",
        "disclosed_apr_pct": 12.0,
    },
]


@pytest.fixture(scope="module")
def one_investee_home(tmp_path_factory) -> Path:
    home = empty_home(tmp_path_factory.mktemp("home"))
    add_submission(home, "a1b2c3d4e5f60718", COVER, PORTFOLIO, PRODUCTS)
    return home


@pytest.fixture(scope="module")
def warehouse(one_investee_home, tmp_path_factory) -> Path:
    build_file, result = run_dbt_build(one_investee_home, tmp_path_factory.mktemp("work"))
    assert result.returncode == 0, result.stdout[-4000:]
    return build_file


def _pricing(warehouse: Path) -> dict[str, dict]:
    frame = query(warehouse, "select * from marts.product_pricing")
    return {row["product_code"]: row for row in frame.to_dict("records")}


def test_one_percent_a_month_declining_prices_at_apr_12_eir_12_68(warehouse):
    product = _pricing(warehouse)["DECL12"]
    assert (round(product["apr_pct"], 2), round(product["eir_pct"], 2)) == (12.00, 12.68)
    assert product["transparency_index"] == pytest.approx(1.0, abs=1e-9)  # the quoted rate is the true price
    assert product["apr_understatement_pp"] == pytest.approx(0.0, abs=1e-9)


def test_mra_weekly_flat_loan_has_eir_25_07(warehouse):
    assert round(_pricing(warehouse)["MRA"]["eir_pct"], 2) == 25.07


def test_two_percent_upfront_fee_raises_mra_eir_to_31_27(warehouse):
    assert round(_pricing(warehouse)["MRA-FEE"]["eir_pct"], 2) == 31.27


def test_1200_at_one_percent_flat_over_four_months_has_apr_19_05(warehouse):
    product = _pricing(warehouse)["FLAT4"]
    assert round(product["apr_pct"], 2) == 19.05
    assert product["apr_understatement_pp"] == pytest.approx(product["apr_pct"] - 12.0)  # disclosed 12 %
    assert product["transparency_index"] == pytest.approx(12.0 / product["apr_pct"])


def test_understated_apr_raises_a_flag_with_its_cells(warehouse):
    flags = query(warehouse, "select * from marts.red_flags where flag_code = 'APR_UNDERSTATED'")
    assert flags["subject_code"].tolist() == ["FLAT4"]
    assert '"metric":"apr_understatement_pp"' in flags["evidence"][0]
    assert "Products!P5" in flags["source_cells"][0]  # FLAT4 is the 4th product: row 5; disclosed_apr_pct is column P


def test_every_mart_has_the_investee_quarter(warehouse):
    for mart in ("investee_quarter_metrics", "cp_scorecard"):
        frame = query(warehouse, f"select investee_id, period_end from marts.{mart}")
        assert frame["investee_id"].tolist() == ["MFI-T-001"], mart
    principles = query(warehouse, "select count(*) as n from marts.cp_principle_scores")["n"][0]
    assert principles == 7


def test_a_threshold_changed_in_a_seed_changes_the_flags(warehouse, one_investee_home, tmp_path):
    def par30_high(build_file):
        return query(build_file, "select count(*) as n from marts.red_flags where flag_code = 'PAR30_HIGH'")["n"][0]

    assert par30_high(warehouse) == 0  # PAR30 8 % against the default 10 %
    project = copy_project(tmp_path / "dbt_project")
    rules = project / "seeds" / "red_flag_rules.csv"
    rows = list(csv.DictReader(rules.open()))
    for row in rows:
        if row["flag_code"] == "PAR30_HIGH":
            row["threshold"] = "0.05"
    with rules.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    # the changed seed and everything downstream of it, built again over a copy of the warehouse
    build_file, result = run_dbt_build(one_investee_home, tmp_path / "work", project, "--select", "red_flag_rules+", start_from=warehouse)
    assert result.returncode == 0, result.stdout[-4000:]
    assert par30_high(build_file) == 1


def test_a_home_without_submissions_builds_green(tmp_path):
    home = empty_home(tmp_path / "home")
    build_file, result = run_dbt_build(home, tmp_path / "work")
    assert result.returncode == 0, result.stdout[-4000:]
    assert query(build_file, "select count(*) as n from marts.cp_scorecard")["n"][0] == 0
