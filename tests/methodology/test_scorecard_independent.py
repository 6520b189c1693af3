"""Scorecards against independent numbers: three investees in 2025Q4 (one also in 2025Q3), every
metric, price, principle score, overall score, rating, screening and red flag computed from the
workbook values by cp_independent (methodology.md written out again, no smartdd import) and
compared with the marts of the real `dbt build` to 1e-9.

Quarters 2025-09-30 and 2025-12-31 belong to this module (investees SC-...).
"""

from __future__ import annotations

import datetime as dt

import cp_independent as ci
import numpy as np
import pytest
from cp_cases import all_yes, case, declining, register, registered, rows_by_case, shared_warehouse, tape

pytestmark = pytest.mark.slow

Q3, Q4 = dt.date(2025, 9, 30), dt.date(2025, 12, 31)

# ---- the workbooks ---------------------------------------------------------------------------

MRA_W = declining(
    "MRA-W",
    lending_method="group",
    loan_amount=20_000.0,
    installments=44,
    repayment_frequency="weekly",
    nominal_rate_pct=24.0,
    rate_period="year",
    interest_method="flat",
    upfront_fee_pct=1.0,
    insurance_pct=0.5,
    compulsory_savings_pct=5.0,  # returned with the last installment: two sign changes
    disclosed=27.0,
    active_loans=1500,
    outstanding=30_000_000.0,
)
IND_M = declining(
    "IND-M",
    loan_amount=150_000.0,
    installments=18,
    monthly_pct=2.0,
    tax_on_interest_pct=15.0,
    upfront_fee_flat=500.0,
    disclosed=None,
    active_loans=300,
    outstanding=24_000_000.0,
)
BUL_120 = declining(
    "BUL-120",
    loan_amount=50_000.0,
    installments=1,
    repayment_frequency="bullet",
    term_days=120,
    nominal_rate_pct=30.0,
    rate_period="year",
    interest_method="flat",
    compulsory_savings_pct=10.0,
    disclosed=30.0,
    active_loans=500,
    outstanding=25_000_000.0,
)
FN_26 = declining(
    "FN-26",
    lending_method="group",
    loan_amount=20_000.0,
    installments=26,
    repayment_frequency="fortnightly",
    monthly_pct=1.5,
    upfront_fee_pct=2.0,
    disclosed=45.0,
    active_loans=750,
    outstanding=15_000_000.0,
)
GRP_M = declining(
    "GRP-M",
    lending_method="group",
    loan_amount=500.0,
    installments=6,
    monthly_pct=3.0,
    interest_method="flat",
    compulsory_savings_pct=20.0,
    disclosed=None,
    active_loans=6000,
    outstanding=3_000_000.0,
)


def _tape_sc1() -> list[dict]:
    rows = tape("SC1", 30, outstanding=90_000.0, at_risk=0, product="IND-M")
    for i, row in enumerate(rows):
        row["product_code"] = "MRA-W" if i % 3 == 0 else "IND-M"
        row["installment_amount"] = 480.0 if row["product_code"] == "MRA-W" else 9_500.0 + 250 * i
        row["monthly_income"] = 18_000.0 + 1_000 * (i % 7)
        row["other_lender_loans"] = i % 4
        row["days_past_due"] = (0, 0, 12, 45, 95)[i % 5]
    rows[4]["restructured"] = True
    rows[7]["written_off"], rows[7]["days_past_due"] = True, 200
    rows[9]["monthly_income"] = None  # no dsti for this loan
    rows[10]["other_lender_loans"] = None
    rows[11]["national_id"] = None
    rows[12]["client_id"] = rows[13]["client_id"]  # one borrower with two loans (one of them over the dsti limit)
    rows[12]["installment_amount"] = 12_000.0
    for i in (0, 1, 2):  # also borrowers of SC-2
        rows[i]["national_id"] = f"SC-SHARED-{i}"
    return rows


def _tape_sc2() -> list[dict]:
    rows = tape("SC2", 20, outstanding=40_000.0, at_risk=3, product="BUL-120")
    for i, row in enumerate(rows):
        if i % 2:
            row["product_code"], row["installment_amount"] = "FN-26", 700.0 + 60 * i
        else:
            row["installment_amount"] = 55_000.0
        row["monthly_income"] = 9_000.0 + 900 * i
    rows[0]["national_id"], rows[5]["national_id"] = "SC-SHARED-0", "SC-SHARED-2"
    rows[6]["other_lender_loans"] = 3
    return rows


SC1_Q3 = case(
    "score:SC-1 2025Q3",
    "SC-1",
    Q3,
    country="BD",
    currency="BDT",
    fx_rate_usd=110.0,
    portfolio={
        "active_borrowers": 5200,
        "active_borrowers_women": 3900,
        "active_borrowers_rural": 2000,
        "gross_loan_portfolio": 52_000_000.0,
        "gross_loan_portfolio_start": 50_000_000.0,
        "par30": 1_040_000.0,
        "par90": 400_000.0,
        "restructured_portfolio": 300_000.0,
        "write_offs_period": 150_000.0,
        "loan_loss_reserve": 1_200_000.0,
        "loans_disbursed_period": 2100,
        "amount_disbursed_period": 63_000_000.0,
        "interest_fee_income_period": 3_100_000.0,
        "loan_officers": 13,
        "clients_start_period": 5000,
        "clients_exited_period": 400,
        "credit_bureau_checked_pct": 97.5,
        "multiple_lender_borrowers_pct": 22.5,
    },
    products=[MRA_W | {"outstanding_portfolio": 29_000_000.0}, IND_M | {"outstanding_portfolio": 23_000_000.0}],
    complaints_rows=[
        {"category": "pricing_fees", "received": 10, "resolved": 10, "resolved_within_30d": 10},
        {"category": "collection_practices", "received": 1, "resolved": 1, "resolved_within_30d": 1},
    ],
)
SC1_Q4 = case(
    "score:SC-1 2025Q4",
    "SC-1",
    Q4,
    country="BD",
    currency="BDT",
    fx_rate_usd=110.0,
    portfolio={
        "active_borrowers": 5400,
        "active_borrowers_women": 4000,
        "active_borrowers_rural": 2100,
        "gross_loan_portfolio": 54_000_000.0,
        "gross_loan_portfolio_start": 52_000_000.0,
        "par30": 3_240_000.0,  # 0.06, up 0.04 from 0.02: PAR30_RISING
        "par90": 1_000_000.0,
        "restructured_portfolio": 700_000.0,
        "write_offs_period": 260_000.0,
        "loan_loss_reserve": 1_500_000.0,
        "loans_disbursed_period": 2300,
        "amount_disbursed_period": 71_300_000.0,
        "interest_fee_income_period": 3_300_000.0,
        "loan_officers": 12,  # 450 each: not above 450
        "clients_start_period": 5200,
        "clients_exited_period": 520,
        "credit_bureau_checked_pct": 98.0,
        "multiple_lender_borrowers_pct": 31.5,  # MULTIPLE_BORROWING
    },
    products=[MRA_W, IND_M],
    answers=all_yes(CP1_1b=("Partially", "Plan 2026"), CP2_2a=("N/A", None), CP3_2b=("Yes", None), CP4_2a=("No", None), CP7_3a=("Partially", None)),
    complaints_rows=[
        {"category": "pricing_fees", "received": 12, "resolved": 11, "resolved_within_30d": 9},
        {"category": "collection_practices", "received": 4, "resolved": 4, "resolved_within_30d": 2},
        {"category": "staff_conduct", "received": 2, "resolved": 2, "resolved_within_30d": 2},
        {"category": "data_privacy", "received": 1, "resolved": 1, "resolved_within_30d": 0},
    ],
    tape=_tape_sc1(),
)
SC2_Q4 = case(
    "score:SC-2 2025Q4",
    "SC-2",
    Q4,
    country="KE",
    currency="KES",
    fx_rate_usd=129.5,
    portfolio={
        "active_borrowers": 800,
        "active_borrowers_women": 560,
        "active_borrowers_rural": None,
        "gross_loan_portfolio": 40_000_000.0,
        "gross_loan_portfolio_start": 38_500_000.0,
        "par30": 2_400_000.0,
        "par90": 900_000.0,
        "restructured_portfolio": 2_400_000.0,  # 0.06: RESTRUCTURING_HIGH
        "write_offs_period": 120_000.0,
        "loan_loss_reserve": None,
        "loans_disbursed_period": 300,
        "amount_disbursed_period": 15_000_000.0,
        "interest_fee_income_period": 2_600_000.0,
        "operating_expenses_period": None,
        "loan_officers": 2,
        "clients_start_period": None,
        "clients_exited_period": None,
        "credit_bureau_checked_pct": None,
        "multiple_lender_borrowers_pct": None,
        "data_breaches_period": 1,
        "staff_trained_cp_pct": None,
    },
    products=[BUL_120, FN_26],
    answers=all_yes(CP5_1a=("No", "Code of conduct draft"), CP2_1c=("Partially", "x"), CP6_2b=("No", None)),
    complaints_rows=[
        {"category": "pricing_fees", "received": 5, "resolved": 5, "resolved_within_30d": 5},
        {"category": "other", "received": 1, "resolved": 1, "resolved_within_30d": 1},
    ],
    tape=_tape_sc2(),
)
SC3_Q4 = case(
    "score:SC-3 2025Q4",
    "SC-3",
    Q4,
    country="PE",
    currency="USD",
    fx_rate_usd=None,  # a USD reporter may leave it blank
    portfolio={
        "active_borrowers": 1500,
        "active_borrowers_women": 1500,
        "active_borrowers_rural": 900,
        "gross_loan_portfolio": 3_000_000.0,
        "gross_loan_portfolio_start": 3_000_000.0,
        "par30": 0.0,  # no risk coverage
        "par90": 0.0,
        "restructured_portfolio": 0.0,
        "write_offs_period": 0.0,
        "loan_loss_reserve": 10_000.0,
        "loans_disbursed_period": 0,
        "amount_disbursed_period": 0.0,  # no average loan
        "interest_fee_income_period": 90_000.0,
        "loan_officers": 3,  # 500 each: CASELOAD_HIGH
        "clients_start_period": 1500,
        "clients_exited_period": 30,
        "credit_bureau_checked_pct": 50.0,
        "multiple_lender_borrowers_pct": 5.0,
    },
    products=[GRP_M],
    answers=all_yes(CP2_2a=("N/A", None), CP4_3a=("N/A", None), CP5_3b=("N/A", None), CP5_4b=("N/A", None), CP1_2a=("No", None), CP3_3a=("Partially", None)),
    complaints_rows=[],  # NO_COMPLAINTS_RECEIVED: none with 1,500 borrowers
)
CASES = register([SC1_Q3, SC1_Q4, SC2_Q4, SC3_Q4])

INVESTEE_METRICS = [
    "fx_rate_usd",
    "gross_loan_portfolio_usd",
    "active_borrowers",
    "par30_ratio",
    "par90_ratio",
    "restructured_ratio",
    "write_off_ratio",
    "portfolio_yield",
    "risk_coverage",
    "women_borrowers_pct",
    "borrowers_per_loan_officer",
    "average_loan_disbursed_usd",
    "client_exit_rate",
    "complaints_received",
    "complaints_per_1000",
    "complaint_resolution_30d_rate",
    "collection_complaints_share",
    "multiple_lender_borrowers_pct",
    "credit_bureau_checked_pct",
    "data_breaches_period",
    "par30_ratio_change",
    "weighted_apr_pct",
    "apr_disclosed_share",
    "max_apr_understatement_pp",
    "weighted_transparency_index",
    "apr_to_peer_median",
    "tape_par30_ratio",
    "dsti_over_50_share",
    "multi_lender_share",
    "cross_investee_share",
    "tape_gross_loan_portfolio_gap",
    "tape_par30_gap",
    "tape_active_borrowers_gap",
]
PRODUCT_COLUMNS = ["apr_pct", "eir_pct", "disclosed_apr_pct", "apr_understatement_pp", "transparency_index", "peer_median_apr_pct", "apr_to_peer_median"]


@pytest.fixture(scope="module")
def expected():
    """The independent numbers, over every registered case of this module's quarters."""
    mine = [c for c in registered() if c.period_end in (Q3, Q4)]
    assert {c.case_id for c in mine} == {c.case_id for c in CASES}, "another module wrote into this module's quarters"
    results = ci.evaluate(mine)
    return {c.case_id: results[(c.investee_id, c.period_end)] for c in CASES}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return shared_warehouse(tmp_path_factory)


def _one(warehouse, mart):
    return {k: rows[0] if rows else None for k, rows in rows_by_case(warehouse, f"select * from marts.{mart}", CASES).items()}


def _differences(found: dict, wanted: dict, columns, tol=1e-9) -> list[str]:
    return [f"{c}: mart {found.get(c)!r}, independent {wanted.get(c)!r}" for c in columns if not ci.close(found.get(c), wanted.get(c), tol)]


def test_the_cases_exercise_what_they_should(expected):
    """A guard on the fixture: the flags, nulls and sign changes the cases are meant to have."""
    sc1, sc2, sc3 = (expected[c.case_id] for c in (SC1_Q4, SC2_Q4, SC3_Q4))
    assert {"PAR30_RISING", "MULTIPLE_BORROWING", "SLOW_COMPLAINT_RESOLUTION", "COLLECTION_COMPLAINTS", "APR_NOT_DISCLOSED", "TAPE_MISMATCH"} <= {
        f for f, _ in sc1.flags
    }
    assert {"ESSENTIAL_PRACTICE_MISSING", "RESTRUCTURING_HIGH", "DATA_BREACH"} <= {f for f, _ in sc2.flags}
    assert {"NO_COMPLAINTS_RECEIVED", "CASELOAD_HIGH", "APR_NOT_DISCLOSED"} <= {f for f, _ in sc3.flags}
    assert sc3.metrics["risk_coverage"] is None and sc3.metrics["average_loan_disbursed_usd"] is None and sc2.metrics["client_exit_rate"] is None
    assert 0 < sc1.metrics["cross_investee_share"] < 1 and 0 < sc1.metrics["dsti_over_50_share"] < 1
    assert sc2.rating == "C" and sc2.uncapped_rating != "C" and sc2.screening == "fail"
    assert sum(1 for x in ci.cash_flows(MRA_W)[1:] if x > 0) == 1  # the deposit comes back: a second sign change


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.case_id.replace(" ", "_"))
def test_every_investee_metric(c, expected, warehouse):
    found = _one(warehouse, "investee_quarter_metrics")[c.case_id]
    wrong = _differences(found, expected[c.case_id].metrics, INVESTEE_METRICS)
    assert not wrong, f"{c.case_id}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.case_id.replace(" ", "_"))
def test_every_product_price(c, expected, warehouse):
    rows = {r["product_code"]: r for r in rows_by_case(warehouse, "select * from marts.product_pricing", CASES)[c.case_id]}
    assert set(rows) == set(expected[c.case_id].products)
    wrong = []
    for code, wanted in expected[c.case_id].products.items():
        wrong += [f"{code} {d}" for d in _differences(rows[code], wanted, PRODUCT_COLUMNS)]
        if rows[code]["peer_group"] != wanted["peer_group"]:
            wrong.append(f"{code} peer_group: {rows[code]['peer_group']} != {wanted['peer_group']}")
    assert not wrong, f"{c.case_id}:\n" + "\n".join(wrong)


def test_apr_of_a_bullet_loan_with_a_deposit_in_closed_form(warehouse):
    """BUL-120: 50,000 for 120 days at 30 %/year flat, 10 % deposit back at the end. The client gets
    45,000 and pays 50,000 x (1 + 0.30 x 120/365) - 5,000 once: r = that / 45,000 - 1, n = 365/120."""
    r = (50_000 * (1 + 0.30 * 120 / 365) - 5_000) / 45_000 - 1
    n = 365 / 120
    (row,) = [x for x in rows_by_case(warehouse, "select * from marts.product_pricing", CASES)[SC2_Q4.case_id] if x["product_code"] == "BUL-120"]
    assert row["apr_pct"] == pytest.approx(100 * r * n, abs=1e-9)
    assert row["eir_pct"] == pytest.approx(100 * ((1 + r) ** n - 1), abs=1e-9)
    assert row["apr_understatement_pp"] == pytest.approx(100 * r * n - 30.0, abs=1e-9)


def test_apr_of_a_flat_loan_from_cash_flows_written_out(warehouse):
    """GRP-M: 500 over 6 months at 3 %/month flat, 20 % deposit back with the last installment:
    the client gets 400, pays 6 x (500/6 + 15), the last time less the 100 deposit. IRR by numpy's roots."""
    flows = [400.0] + [-(500 / 6 + 15)] * 5 + [-(500 / 6 + 15) + 100]
    roots = np.roots(flows[::-1])
    (r,) = [1 / x.real - 1 for x in roots if abs(x.imag) < 1e-9 and 0.5 < x.real < 1.5]
    (row,) = rows_by_case(warehouse, "select * from marts.product_pricing", CASES)[SC3_Q4.case_id]
    assert row["apr_pct"] == pytest.approx(100 * 12 * r, abs=1e-8)
    assert row["transparency_index"] == pytest.approx(36 / (100 * 12 * r), abs=1e-9)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.case_id.replace(" ", "_"))
def test_principle_scores(c, expected, warehouse):
    rows = {r["principle_code"]: r for r in rows_by_case(warehouse, "select * from marts.cp_principle_scores", CASES)[c.case_id]}
    wanted = expected[c.case_id]
    previous = expected.get(SC1_Q3.case_id) if c is SC1_Q4 else None
    wrong = []
    for p in ci.m.PRINCIPLES:
        want = {
            "indicator_score": wanted.indicator_scores.get(p),
            "metric_score": wanted.principle_metric_scores[p],
            "score": wanted.principle_scores[p],
            "previous_score": previous.principle_scores[p] if previous else None,
        }
        wrong += [f"{p} {d}" for d in _differences(rows[p], want, want)]
    assert not wrong, f"{c.case_id}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.case_id.replace(" ", "_"))
def test_overall_score_rating_and_screening(c, expected, warehouse):
    card = _one(warehouse, "cp_scorecard")[c.case_id]
    wanted = expected[c.case_id]
    severities = [wanted_severity(f) for f, _ in wanted.flags]
    want = {
        "overall_score": wanted.overall_score,
        "previous_overall_score": wanted.previous_overall_score,
        "rating": wanted.rating,
        "uncapped_rating": wanted.uncapped_rating,
        "screening": wanted.screening,
        "critical_flags": severities.count("critical"),
        "high_flags": severities.count("high"),
        "methodology_version": "1",
    }
    wrong = [f"{k}: mart {card[k]!r}, independent {v!r}" for k, v in want.items() if not (ci.close(card[k], v) if isinstance(v, float) else card[k] == v)]
    assert not wrong, f"{c.case_id}:\n" + "\n".join(wrong)


def wanted_severity(flag: str) -> str:
    return next(r[2] for r in ci.m.RED_FLAG_RULES if r[0] == flag)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.case_id.replace(" ", "_"))
def test_red_flags(c, expected, warehouse):
    rows = rows_by_case(warehouse, "select * from marts.red_flags", CASES)[c.case_id]
    found = sorted((r["flag_code"], r["subject_code"], r["severity"], r["principle_code"]) for r in rows)
    want = sorted((f, s, wanted_severity(f), _principle_of(f, s)) for f, s in expected[c.case_id].flags)
    assert found == want


def _principle_of(flag: str, subject: str | None) -> str | None:
    """The rule's principle; an essential practice's flag takes the indicator's."""
    if flag == "ESSENTIAL_PRACTICE_MISSING":
        return ci.m.INDICATORS[subject][0]
    return next(r[1] for r in ci.m.RED_FLAG_RULES if r[0] == flag)


def test_peer_percentile_and_count(expected, warehouse):
    """Section 4: peer_percentile = 100 x (peers below + 0.5 x peers tied) / (n - 1), shown with peer_count = n.
    P6 ties SC-1 and SC-3 at 100 (SC-2 had a breach): each is 75, not 50. SC-1 alone in 2025Q3 has none."""
    rows = rows_by_case(warehouse, "select * from marts.cp_principle_scores", CASES)
    wrong = []
    for c in CASES:  # SC-1 alone in 2025Q3: n = 1, no percentile
        for r in rows[c.case_id]:
            p = r["principle_code"]
            want = expected[c.case_id].peer_percentiles[p]
            if not ci.close(r["peer_percentile"], want):
                peers = [float(expected[x.case_id].principle_scores[p]) for x in CASES if x.period_end == c.period_end]
                wrong.append(f"{c.case_id} {p}: peer_percentile {r['peer_percentile']!r}, methodology {want!r} (the quarter's scores {peers})")
            if r.get("peer_count") != expected[c.case_id].peer_counts[p]:
                wrong.append(f"{c.case_id} {p}: peer_count {r.get('peer_count', '<no such column>')!r}, methodology {expected[c.case_id].peer_counts[p]}")
    assert not wrong, "\n".join(wrong)
