"""The methodology's defaults, pinned: the seeds hold methodology.md's values, and every red flag,
threshold, rating band, answer value, weight and parameter behaves as written on each side of its
boundary, through the real `dbt build`.

Two kinds of test:
- `test_seed_holds_the_methodology_defaults[seed]` compares each seed with the values typed into
  cp_methodology_v1 (changing a default on purpose means changing that file too);
- the boundary tests put one investee-quarter per case into one raw zone (cp_cases: one build for
  the session) and check, per case, what a hand computation written here says. Each test id names
  the seed row it guards (e.g. `SLOW_COMPLAINT_RESOLUTION:complaint_resolution_30d_rate`).

Quarters 2026-03-31 and 2026-06-30 belong to this module (investees SD-...).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field

import cp_methodology_v1 as m
import pytest
from cp_cases import all_yes, case, complaints, declining, register, rows_by_case, shared_warehouse, tape
from cp_independent import metric_score

from smartdd.paths import SEEDS_DIR

Q0, Q = dt.date(2026, 3, 31), dt.date(2026, 6, 30)


# ---- 1. the seeds hold the defaults ------------------------------------------------------


def _seed(name: str) -> list[dict]:
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["methodology_version"] == m.METHODOLOGY_VERSION]


def _number(text: str) -> float | None:
    return None if text.strip() == "" else float(text)


SEED_VIEWS = {
    "red_flag_rules": lambda rows: sorted(
        (r["flag_code"], r["principle_code"] or None, r["severity"], r["scope"], r["metric"], r["comparison"], float(r["threshold"]), r["combine"])
        for r in rows
    ),
    "metric_thresholds": lambda rows: {(r["principle_code"], r["metric"]): (float(r["good"]), float(r["bad"])) for r in rows},
    "rating_bands": lambda rows: sorted(((r["rating"], float(r["min_score"]), r["screening"]) for r in rows), key=lambda b: -b[1]),
    "cp_answer_values": lambda rows: {r["response"]: (_number(r["value"]), _number(r["value_without_evidence"])) for r in rows},
    "cp_indicators": lambda rows: {
        r["indicator_code"]: (r["principle_code"], r["is_essential"] == "true", r["is_na_allowed"] == "true", float(r["weight"])) for r in rows
    },
    "cp_principles": lambda rows: {r["principle_code"]: (r["principle_name"], float(r["weight"])) for r in rows},
    "methodology_parameters": lambda rows: {r["parameter"]: float(r["value"]) for r in rows},
    "screening_outcomes": lambda rows: {r["screening"]: int(r["screening_order"]) for r in rows},
    "red_flag_severities": lambda rows: {r["severity"]: (int(r["severity_order"]), r["screening"], r["rating_cap"] or None) for r in rows},
    "repayment_frequencies": lambda rows: {r["repayment_frequency"]: _number(r["installments_per_year"]) for r in rows},
}
DEFAULTS = {
    "red_flag_rules": sorted(m.RED_FLAG_RULES),
    "metric_thresholds": m.METRIC_THRESHOLDS,
    "rating_bands": m.RATING_BANDS,
    "cp_answer_values": m.ANSWER_VALUES,
    "cp_indicators": {code: (p, e, na, m.INDICATOR_WEIGHTS[code]) for code, (p, e, na) in m.INDICATORS.items()},
    "cp_principles": {p: (name, m.PRINCIPLE_WEIGHTS[p]) for p, name in m.PRINCIPLES.items()},
    "methodology_parameters": m.PARAMETERS,
    "screening_outcomes": m.SCREENING_ORDER,
    "red_flag_severities": m.SEVERITIES,
    "repayment_frequencies": m.REPAYMENT_FREQUENCIES,
}


@pytest.mark.parametrize("seed", sorted(SEED_VIEWS))
def test_seed_holds_the_methodology_defaults(seed):
    found, expected = SEED_VIEWS[seed](_seed(seed)), DEFAULTS[seed]
    if isinstance(expected, dict):
        changed = {k: (found.get(k, "<missing>"), v) for k, v in expected.items() if found.get(k, "<missing>") != v}
        extra = sorted(set(found) - set(expected))
        assert not changed and not extra, f"{seed}.csv differs from methodology.md: row -> (seed, methodology) {changed}; rows not in the methodology {extra}"
    else:
        assert found == expected, (
            f"{seed}.csv differs from methodology.md:\n seed rows only: {sorted(set(found) - set(expected))}\n methodology only: {sorted(set(expected) - set(found))}"
        )


def test_the_dbt_project_scores_methodology_version_1():
    import yaml

    from smartdd.paths import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert str(project["vars"]["methodology_version"]) == m.METHODOLOGY_VERSION


# ---- 2. the boundary cases -----------------------------------------------------------------


@dataclass
class FlagCase:
    """One investee-quarter and the flags it must raise, exactly (flag_code -> subject or None)."""

    rule: str  # the seed row guarded: "FLAG_CODE:metric"
    why: str  # the hand computation
    case: object
    flags: dict = field(default_factory=dict)


_n = 0


def _id() -> str:
    global _n
    _n += 1
    return f"SD-{_n:03d}"


def sd(name: str, period: dt.date = Q, investee: str | None = None, **changes):
    return case(f"seed:{name}", investee or _id(), period, **changes)


def tape_case(name: str, borrowers: int = 100, tape_rows=None, portfolio=None, **changes):
    """A clean investee-quarter whose Portfolio sheet agrees with its loan tape (100 borrowers of 10,000, 2 of them late)."""
    portfolio = {
        "active_borrowers": borrowers,
        "active_borrowers_women": borrowers // 2,
        "active_borrowers_rural": borrowers // 4,
        "loan_officers": 1,
        "gross_loan_portfolio": borrowers * 10_000.0,
        "gross_loan_portfolio_start": borrowers * 10_000.0,
    } | (portfolio or {})
    return sd(name, portfolio=portfolio, tape=tape_rows if tape_rows is not None else tape(name, borrowers), **changes)


def _shared_ids(rows: list[dict], prefix: str, count: int) -> list[dict]:
    for i in range(count):
        rows[i]["national_id"] = f"SHARED-{prefix}-{i}"
    return rows


def _bigger_loan(rows: list[dict], index: int, extra: float) -> list[dict]:
    rows[index]["outstanding_principal"] += extra
    rows[index]["disbursed_amount"] += extra
    return rows


def _extra_borrowers(prefix: str, count: int) -> list[dict]:
    return [row | {"outstanding_principal": 0.0} for row in tape(f"{prefix}-extra", count, at_risk=0)]


FLAG_CASES = [
    # PAR30_HIGH: par30_ratio > 0.10 (par30 / 1,000,000)
    FlagCase("PAR30_HIGH:par30_ratio", "100,100 / 1,000,000 = 0.1001 > 0.10", sd("par30 0.1001", portfolio={"par30": 100_100.0}), {"PAR30_HIGH": None}),
    FlagCase("PAR30_HIGH:par30_ratio", "100,000 / 1,000,000 = 0.10, not > 0.10", sd("par30 0.1000", portfolio={"par30": 100_000.0})),
    FlagCase("PAR30_HIGH:par30_ratio", "0.0999 < 0.10", sd("par30 0.0999", portfolio={"par30": 99_900.0})),
    # PAR30_RISING: par30_ratio up > 0.03 against the previous quarter (0.02 in 2026Q1)
    FlagCase(
        "PAR30_RISING:par30_ratio_change",
        "0.0501 - 0.02 = 0.0301 > 0.03",
        sd("rising 0.0301", investee="SD-R01", portfolio={"par30": 50_100.0}),
        {"PAR30_RISING": None},
    ),
    FlagCase("PAR30_RISING:par30_ratio_change", "0.0499 - 0.02 = 0.0299", sd("rising 0.0299", investee="SD-R02", portfolio={"par30": 49_900.0})),
    FlagCase(
        "PAR30_RISING:par30_ratio_change", "no previous quarter: no change, no flag (par30 0.099)", sd("rising no previous", portfolio={"par30": 99_000.0})
    ),
    # RESTRUCTURING_HIGH: restructured_ratio > 0.05
    FlagCase(
        "RESTRUCTURING_HIGH:restructured_ratio",
        "0.0501 > 0.05",
        sd("restr 0.0501", portfolio={"restructured_portfolio": 50_100.0}),
        {"RESTRUCTURING_HIGH": None},
    ),
    FlagCase("RESTRUCTURING_HIGH:restructured_ratio", "0.05 exactly", sd("restr 0.0500", portfolio={"restructured_portfolio": 50_000.0})),
    FlagCase("RESTRUCTURING_HIGH:restructured_ratio", "0.0499", sd("restr 0.0499", portfolio={"restructured_portfolio": 49_900.0})),
    # DSTI_HIGH: dsti_over_50_share > 0.20 (borrowers with installment 600 on income 1,000, of 100)
    FlagCase("DSTI_HIGH:dsti_over_50_share", "21 / 100 > 0.20", tape_case("dsti 21", tape_rows=tape("dsti 21", 100, dsti_over=21)), {"DSTI_HIGH": None}),
    FlagCase("DSTI_HIGH:dsti_over_50_share", "20 / 100 = 0.20", tape_case("dsti 20", tape_rows=tape("dsti 20", 100, dsti_over=20))),
    FlagCase("DSTI_HIGH:dsti_over_50_share", "19 / 100", tape_case("dsti 19", tape_rows=tape("dsti 19", 100, dsti_over=19))),
    # MULTIPLE_BORROWING: multiple_lender_borrowers_pct > 30 or multi_lender_share > 0.15
    FlagCase(
        "MULTIPLE_BORROWING:multiple_lender_borrowers_pct",
        "30.1 > 30",
        sd("mlb 30.1", portfolio={"multiple_lender_borrowers_pct": 30.1}),
        {"MULTIPLE_BORROWING": None},
    ),
    FlagCase("MULTIPLE_BORROWING:multiple_lender_borrowers_pct", "30 exactly", sd("mlb 30.0", portfolio={"multiple_lender_borrowers_pct": 30.0})),
    FlagCase("MULTIPLE_BORROWING:multiple_lender_borrowers_pct", "29.9", sd("mlb 29.9", portfolio={"multiple_lender_borrowers_pct": 29.9})),
    FlagCase(
        "MULTIPLE_BORROWING:multi_lender_share",
        "16 / 100 > 0.15",
        tape_case("mls 16", tape_rows=tape("mls 16", 100, other_lenders=16)),
        {"MULTIPLE_BORROWING": None},
    ),
    FlagCase("MULTIPLE_BORROWING:multi_lender_share", "15 / 100 = 0.15", tape_case("mls 15", tape_rows=tape("mls 15", 100, other_lenders=15))),
    FlagCase("MULTIPLE_BORROWING:multi_lender_share", "14 / 100", tape_case("mls 14", tape_rows=tape("mls 14", 100, other_lenders=14))),
    # CROSS_INVESTEE_BORROWING: cross_investee_share > 0.05 (national ids also in SD-X00's tape, 15 of its 1,000: 0.015)
    FlagCase(
        "CROSS_INVESTEE_BORROWING:cross_investee_share",
        "6 / 100 > 0.05",
        tape_case("x6", tape_rows=_shared_ids(tape("x6", 100), "x6", 6)),
        {"CROSS_INVESTEE_BORROWING": None},
    ),
    FlagCase("CROSS_INVESTEE_BORROWING:cross_investee_share", "5 / 100 = 0.05", tape_case("x5", tape_rows=_shared_ids(tape("x5", 100), "x5", 5))),
    FlagCase("CROSS_INVESTEE_BORROWING:cross_investee_share", "4 / 100", tape_case("x4", tape_rows=_shared_ids(tape("x4", 100), "x4", 4))),
    FlagCase(
        "CROSS_INVESTEE_BORROWING:cross_investee_share",
        "the other side: 15 / 1,000 = 0.015",
        tape_case(
            "x partner",
            borrowers=1000,
            tape_rows=[
                row | ({"national_id": shared} if shared else {})
                for row, shared in zip(
                    tape("x partner", 1000, outstanding=1000.0, at_risk=20),
                    [f"SHARED-x{k}-{i}" for k in (6, 5, 4) for i in range(k)] + [None] * 985,
                    strict=True,
                )
            ],
            portfolio={"loan_officers": 5, "gross_loan_portfolio": 1_000_000.0, "gross_loan_portfolio_start": 1_000_000.0},
        ),
    ),
    # CASELOAD_HIGH: borrowers_per_loan_officer > 450
    FlagCase(
        "CASELOAD_HIGH:borrowers_per_loan_officer",
        "901 / 2 = 450.5 > 450",
        sd("caseload 450.5", portfolio={"active_borrowers": 901, "loan_officers": 2}),
        {"CASELOAD_HIGH": None},
    ),
    FlagCase("CASELOAD_HIGH:borrowers_per_loan_officer", "900 / 2 = 450", sd("caseload 450.0", portfolio={"active_borrowers": 900, "loan_officers": 2})),
    FlagCase("CASELOAD_HIGH:borrowers_per_loan_officer", "899 / 2 = 449.5", sd("caseload 449.5", portfolio={"active_borrowers": 899, "loan_officers": 2})),
    # APR_NOT_DISCLOSED: is_apr_disclosed = 0, per product
    FlagCase(
        "APR_NOT_DISCLOSED:is_apr_disclosed",
        "IND12-B has no disclosed APR; IND12 has",
        sd("apr not disclosed", products=[declining(outstanding=500_000.0), declining("IND12-B", disclosed=None, outstanding=500_000.0)]),
        {"APR_NOT_DISCLOSED": "IND12-B"},
    ),
    # APR_UNDERSTATED: apr_understatement_pp > 2 (APR 12.00: 1 %/month declining)
    FlagCase(
        "APR_UNDERSTATED:apr_understatement_pp",
        "12 - 9.99 = 2.01 > 2",
        sd("understated 2.01", products=[declining(disclosed=9.99)]),
        {"APR_UNDERSTATED": "IND12"},
    ),
    FlagCase("APR_UNDERSTATED:apr_understatement_pp", "12 - 10.01 = 1.99", sd("understated 1.99", products=[declining(disclosed=10.01)])),
    # PRICE_OUTLIER: apr_to_peer_median > 1.5 (the quarter's individual-lending median is 12)
    FlagCase(
        "PRICE_OUTLIER:apr_to_peer_median",
        "18.12 / 12 = 1.51 > 1.5",
        sd("outlier 1.51", products=[declining(monthly_pct=1.51, disclosed=18.12)]),
        {"PRICE_OUTLIER": "IND12"},
    ),
    FlagCase("PRICE_OUTLIER:apr_to_peer_median", "17.88 / 12 = 1.49", sd("outlier 1.49", products=[declining(monthly_pct=1.49, disclosed=17.88)])),
    # COLLECTION_COMPLAINTS: collection_complaints_share > 0.20 (of 100 received)
    FlagCase(
        "COLLECTION_COMPLAINTS:collection_complaints_share",
        "21 / 100 > 0.20",
        sd("collection 21", complaints_rows=complaints(100, collection=21)),
        {"COLLECTION_COMPLAINTS": None},
    ),
    FlagCase("COLLECTION_COMPLAINTS:collection_complaints_share", "20 / 100 = 0.20", sd("collection 20", complaints_rows=complaints(100, collection=20))),
    FlagCase("COLLECTION_COMPLAINTS:collection_complaints_share", "19 / 100", sd("collection 19", complaints_rows=complaints(100, collection=19))),
    # DATA_BREACH: data_breaches_period > 0
    FlagCase("DATA_BREACH:data_breaches_period", "1 > 0", sd("breach 1", portfolio={"data_breaches_period": 1}), {"DATA_BREACH": None}),
    FlagCase("DATA_BREACH:data_breaches_period", "0", sd("breach 0")),
    # NO_COMPLAINTS_RECEIVED: complaints_received = 0 and active_borrowers > 1000, both
    FlagCase(
        "NO_COMPLAINTS_RECEIVED:complaints_received",
        "no complaint row, 1,001 borrowers",
        sd("no complaints 1001", portfolio={"active_borrowers": 1001}, complaints_rows=[]),
        {"NO_COMPLAINTS_RECEIVED": None},
    ),
    FlagCase(
        "NO_COMPLAINTS_RECEIVED:active_borrowers",
        "0 received, 1,000 borrowers: not > 1000",
        sd("no complaints 1000", portfolio={"active_borrowers": 1000}, complaints_rows=complaints(0, collection=0)),
    ),
    FlagCase(
        "NO_COMPLAINTS_RECEIVED:complaints_received",
        "1 received, 1,001 borrowers",
        sd("one complaint 1001", portfolio={"active_borrowers": 1001}, complaints_rows=complaints(1, collection=0)),
    ),
    # SLOW_COMPLAINT_RESOLUTION: complaint_resolution_30d_rate < 0.80 (of 100 received)
    FlagCase(
        "SLOW_COMPLAINT_RESOLUTION:complaint_resolution_30d_rate",
        "79 / 100 < 0.80",
        sd("resolution 0.79", complaints_rows=complaints(100, 79)),
        {"SLOW_COMPLAINT_RESOLUTION": None},
    ),
    FlagCase("SLOW_COMPLAINT_RESOLUTION:complaint_resolution_30d_rate", "80 / 100 = 0.80", sd("resolution 0.80", complaints_rows=complaints(100, 80))),
    FlagCase("SLOW_COMPLAINT_RESOLUTION:complaint_resolution_30d_rate", "81 / 100", sd("resolution 0.81", complaints_rows=complaints(100, 81))),
    # TAPE_MISMATCH: a relative gap > 0.05 between the tape and the Portfolio sheet (1,000,000; 20,000; 100)
    FlagCase(
        "TAPE_MISMATCH:tape_gross_loan_portfolio_gap",
        "tape 1,050,100: 0.0501 > 0.05",
        tape_case("glp gap 0.0501", tape_rows=_bigger_loan(tape("glp gap 0.0501", 100), 99, 50_100.0)),
        {"TAPE_MISMATCH": None},
    ),
    FlagCase(
        "TAPE_MISMATCH:tape_gross_loan_portfolio_gap",
        "tape 1,050,000: 0.05",
        tape_case("glp gap 0.0500", tape_rows=_bigger_loan(tape("glp gap 0.0500", 100), 99, 50_000.0)),
    ),
    FlagCase(
        "TAPE_MISMATCH:tape_gross_loan_portfolio_gap",
        "tape 1,049,900",
        tape_case("glp gap 0.0499", tape_rows=_bigger_loan(tape("glp gap 0.0499", 100), 99, 49_900.0)),
    ),
    FlagCase(
        "TAPE_MISMATCH:tape_par30_gap",
        "tape PAR30 21,002: 0.0501 > 0.05",
        tape_case("par gap 0.0501", tape_rows=_bigger_loan(tape("par gap 0.0501", 100), 0, 1_002.0)),
        {"TAPE_MISMATCH": None},
    ),
    FlagCase(
        "TAPE_MISMATCH:tape_par30_gap", "tape PAR30 21,000: 0.05", tape_case("par gap 0.0500", tape_rows=_bigger_loan(tape("par gap 0.0500", 100), 0, 1_000.0))
    ),
    FlagCase("TAPE_MISMATCH:tape_par30_gap", "tape PAR30 20,998", tape_case("par gap 0.0499", tape_rows=_bigger_loan(tape("par gap 0.0499", 100), 0, 998.0))),
    FlagCase(
        "TAPE_MISMATCH:tape_active_borrowers_gap",
        "106 borrowers on the tape: 0.06 > 0.05",
        tape_case("borrowers gap 6", tape_rows=tape("borrowers gap 6", 100) + _extra_borrowers("borrowers gap 6", 6)),
        {"TAPE_MISMATCH": None},
    ),
    FlagCase(
        "TAPE_MISMATCH:tape_active_borrowers_gap",
        "105: 0.05",
        tape_case("borrowers gap 5", tape_rows=tape("borrowers gap 5", 100) + _extra_borrowers("borrowers gap 5", 5)),
    ),
    FlagCase(
        "TAPE_MISMATCH:tape_active_borrowers_gap",
        "104",
        tape_case("borrowers gap 4", tape_rows=tape("borrowers gap 4", 100) + _extra_borrowers("borrowers gap 4", 4)),
    ),
    # SCORE_DROP: overall_score down >= 10 against 2026Q1 (100). CP4.1a, CP4.2a, CP4.2b, CP7.1b answered No:
    # P4 = 0.6 x 25 + 0.4 x 100 = 55, P7 = 0.6 x 75 + 40 = 85; P1 = 60 + 0.4 x 100 x (0.5 - exit) / 0.3
    FlagCase(
        "SCORE_DROP:overall_score_change",
        "exit 0.28: P1 = 89.333, overall = (400 + 55 + 85 + 89.333) / 7 = 89.905: down 10.095",
        sd(
            "drop 10.1",
            investee="SD-D01",
            portfolio={"clients_exited_period": 280},
            answers=all_yes(CP4_1a=("No", "x"), CP4_2a=("No", "x"), CP4_2b=("No", "x"), CP7_1b=("No", "x")),
        ),
        {"SCORE_DROP": None},
    ),
    FlagCase(
        "SCORE_DROP:overall_score_change",
        "exit 0.27: P1 = 90.667, overall = 90.095: down 9.905",
        sd(
            "drop 9.9",
            investee="SD-D02",
            portfolio={"clients_exited_period": 270},
            answers=all_yes(CP4_1a=("No", "x"), CP4_2a=("No", "x"), CP4_2b=("No", "x"), CP7_1b=("No", "x")),
        ),
    ),
]
PREVIOUS_QUARTERS = [sd(f"previous {i}", Q0, investee=i) for i in ("SD-R01", "SD-R02", "SD-D01", "SD-D02", "SD-G01", "SD-G02")]
CLEAN = sd("clean")  # the base investee-quarter: nothing raised, every score 100


# Rating bands (no flag, no previous quarter): P4 = 0.6 x ind + 40, P1 = 0.6 x ind + 0.4 x 100 x (0.5 - exit) / 0.3,
# every other principle 100 unless said.
def _band_case(name, exited, answers, **portfolio):
    return sd(name, portfolio={"clients_exited_period": exited} | portfolio, answers=answers)


_NO = ("No", "x")
_A_B = all_yes(CP4_1a=_NO, CP4_2a=_NO, CP4_2b=_NO, CP4_3a=_NO, CP7_1b=_NO, CP7_2a=_NO)  # P4 ind 0 -> 40, P7 ind 50 -> 70
_B_C = _A_B | {c: _NO for c in ("CP7.3a", "CP1.1a", "CP1.1b", "CP1.2a", "CP1.3b", "CP3.1b", "CP3.2a", "CP3.2b", "CP3.3a")}  # P7, P1, P3 ind 25/20/20
_C_D = _B_C | {c: _NO for c in ("CP2.1b", "CP2.1c", "CP2.2a", "CP2.3a", "CP2.4a", "CP2.4b", "CP5.2a", "CP5.3b", "CP5.4a", "CP5.4b", "CP6.1b", "CP6.2b")}
BAND_CASES = [
    # (case, overall by hand, rating, uncapped rating, screening)
    (_band_case("band 85.01", 312, _A_B), (100 * 4 + 40 + 70 + (60 + 0.4 * 100 * 188 / 300)) / 7, "A", "A", "pass"),
    (_band_case("band 84.99", 313, _A_B), (100 * 4 + 40 + 70 + (60 + 0.4 * 100 * 187 / 300)) / 7, "B", "B", "pass"),
    (_band_case("band 70.01", 267, _B_C), (100 * 3 + 40 + 55 + (12 + 0.4 * 100 * 233 / 300) + 52) / 7, "B", "B", "pass"),
    (_band_case("band 69.99", 268, _B_C), (100 * 3 + 40 + 55 + (12 + 0.4 * 100 * 232 / 300) + 52) / 7, "C", "C", "watch"),
    # P2 ind 25 -> 55, P5 ind 33.33 -> 60, P6 ind 50 -> 70
    (_band_case("band 50.02", 454, _C_D), (55 + 40 + 55 + (12 + 0.4 * 100 * 46 / 300) + 52 + 60 + 70) / 7, "C", "C", "watch"),
    (_band_case("band 49.98", 456, _C_D), (55 + 40 + 55 + (12 + 0.4 * 100 * 44 / 300) + 52 + 60 + 70) / 7, "D", "D", "fail"),
    # caps and screenings forced by flags
    (sd("critical on A", answers=all_yes(CP1_3a=_NO)), (600 + 88) / 7, "C", "A", "fail"),
    (_band_case("critical on D", 456, _C_D | {"CP1.3a": _NO}), (55 + 40 + 55 + (0 + 0.4 * 100 * 44 / 300) + 52 + 60 + 70) / 7, "D", "D", "fail"),
    (sd("high on A", portfolio={"data_breaches_period": 1}), (600 + 80) / 7, "A", "A", "watch"),  # DATA_BREACH; P6 metric 50
    (
        sd(
            "high on B",
            portfolio={"data_breaches_period": 1},
            answers=all_yes(**{c.replace(".", "_"): _NO for c in ("CP4.1a", "CP4.2a", "CP4.2b", "CP4.3a", "CP7.1b", "CP7.2a", "CP7.3a")}),
        ),
        (100 * 3 + 40 + 55 + 80 + 100) / 7,  # P4 40, P7 ind 25 -> 55, P6 80
        "B",
        "B",
        "watch",
    ),
    (sd("medium on A", portfolio={"active_borrowers": 901, "loan_officers": 2}), None, "A", "A", "pass"),  # CASELOAD_HIGH only
]

# Indicator scores: answer values (Yes 1, Partially 0.5, No 0, without evidence 0.5 / 0.5 / 0, N/A out).
ANSWER_CASES = [
    (
        sd(
            "answers 1",
            answers=all_yes(
                CP1_1a=("Partially", "x"),  # P1: (4 + 0.5) / 5
                CP2_1b=("Yes", None),  # P2: (7 + 0.5) / 8
                CP3_1b=("Partially", None),  # P3: (4 + 0.5) / 5
                CP4_1a=("No", "x"),  # P4: 3 / 4
                CP5_3b=("N/A", None),  # P5: 5 / 5, N/A out of the denominator
                CP6_1b=("No", None),  # P6: 3 / 4
                CP7_1b=("Partially", "x"),  # P7: 3.5 / 4
            ),
        ),
        {"P1": 90.0, "P2": 93.75, "P3": 90.0, "P4": 75.0, "P5": 100.0, "P6": 75.0, "P7": 87.5},
    ),
    (
        sd(
            "answers 2",
            answers=all_yes(
                CP2_2a=("N/A", None),
                CP2_1b=("Partially", "x"),  # P2: 6.5 / 7
                CP4_3a=("N/A", "x"),
                CP4_1a=("Partially", None),  # P4: 2.5 / 3
                CP5_4b=("N/A", None),
                CP5_3b=("N/A", None),
                CP5_2a=("No", "x"),  # P5: 3 / 4
                CP1_3a=("Partially", "x"),  # essential, Partially: no flag; P1 4.5 / 5
                CP6_1a=("Yes", None),  # essential, Yes without evidence: no flag; P6 3.5 / 4
            ),
        ),
        {"P1": 90.0, "P2": 100 * 6.5 / 7, "P3": 100.0, "P4": 100 * 2.5 / 3, "P5": 75.0, "P6": 87.5, "P7": 100.0},
    ),
]
# The sweep: investee j answers No to the j-th indicator of every principle (and Yes to the others), so
# each indicator's weight and essential mark show: indicator_score(P) = 100 x (n_P - 1) / n_P.
PRINCIPLE_SIZES = {"P1": 5, "P2": 8, "P3": 5, "P4": 4, "P5": 6, "P6": 4, "P7": 4}
BY_PRINCIPLE = {p: [code for code, (q, _, _) in m.INDICATORS.items() if q == p] for p in m.PRINCIPLES}
SWEEP = [
    (sd(f"sweep {j}", answers=all_yes(**{codes[j].replace(".", "_"): _NO for codes in BY_PRINCIPLE.values() if j < len(codes)})), j)
    for j in range(max(PRINCIPLE_SIZES.values()))
]
ESSENTIAL = ["CP1.3a", "CP2.1a", "CP2.5a", "CP3.1a", "CP5.1a", "CP5.3a", "CP6.1a", "CP6.2a", "CP7.1a"]  # methodology.md section 2, the E column


# Metric thresholds: five investee-quarters, each metric on a different point of its line in each.
# 400,000 borrowers, so complaints_per_1000 = 4,000 x received / 400,000 = received / 100.
def _slot(i, exited, par30, restructured, write_offs, mlb, officers, received, collection, within, breaches, dsti_over):
    return sd(
        f"slot {i}",
        portfolio={
            "active_borrowers": 400_000,
            "clients_exited_period": exited,
            "par30": par30,
            "restructured_portfolio": restructured,
            "write_offs_period": write_offs,
            "multiple_lender_borrowers_pct": mlb,
            "loan_officers": officers,
            "data_breaches_period": breaches,
        },
        complaints_rows=complaints(received, within, collection),
        tape=tape(f"slot {i}", 200, dsti_over=dsti_over),
    )


SLOTS = [
    _slot(0, 100, 20_000.0, 5_000.0, 1_250.0, 10.0, 1600, 300, 0, 300, 0, 4),
    _slot(1, 230, 39_000.0, 17_000.0, 3_750.0, 18.0, 1250, 180, 12, 166, 1, 15),
    _slot(2, 350, 75_000.0, 45_000.0, 8_750.0, 30.0, 889, 110, 17, 85, 1, 35),
    _slot(3, 470, 111_000.0, 73_000.0, 13_750.0, 42.0, 690, 40, 9, 26, 2, 55),
    _slot(4, 600, 150_000.0, 100_000.0, 20_000.0, 50.0, 500, 10, 5, 5, 3, 80),
]
# metric -> its value in each slot, by hand
SLOT_VALUES = {
    "client_exit_rate": [4 * x / 4000 for x in (100, 230, 350, 470, 600)],
    "par30_ratio": [x / 1_000_000 for x in (20_000, 39_000, 75_000, 111_000, 150_000)],
    "restructured_ratio": [x / 1_000_000 for x in (5_000, 17_000, 45_000, 73_000, 100_000)],
    "write_off_ratio": [4 * x / 1_000_000 for x in (1_250, 3_750, 8_750, 13_750, 20_000)],
    "multiple_lender_borrowers_pct": [10.0, 18.0, 30.0, 42.0, 50.0],
    "dsti_over_50_share": [x / 200 for x in (4, 15, 35, 55, 80)],
    "borrowers_per_loan_officer": [400_000 / x for x in (1600, 1250, 889, 690, 500)],
    "collection_complaints_share": [0 / 300, 12 / 180, 17 / 110, 9 / 40, 5 / 10],
    "data_breaches_period": [0.0, 1.0, 1.0, 2.0, 3.0],
    "complaint_resolution_30d_rate": [300 / 300, 166 / 180, 85 / 110, 26 / 40, 5 / 10],
    "complaints_per_1000": [x / 100 for x in (300, 180, 110, 40, 10)],
}
# The pricing metrics, one investee-quarter per point (the other pricing metrics stay at 100).
# APR of 1 %/month declining = 12.00; a 365-day bullet at 20 %/year with a 40 % fee: client gets 600,
# repays 1,200: r = 1, APR 100 %, transparency 20 / 100 = 0.2.
BULLET = declining(
    "BUL365",
    lending_method="individual",
    installments=1,
    repayment_frequency="bullet",
    term_days=365,
    nominal_rate_pct=20.0,
    rate_period="year",
    upfront_fee_pct=40.0,
    disclosed=100.0,
)
PRICING_POINTS = {
    "apr_disclosed_share": [(1.0, CLEAN)]
    + [
        (share, sd(f"disclosed {share}", products=[declining(outstanding=share * 1e6), declining("IND12-B", disclosed=None, outstanding=(1 - share) * 1e6)]))
        for share in (0.9, 0.5, 0.1)
    ]
    + [(0.0, sd("disclosed 0.0", products=[declining(disclosed=None)]))],
    "max_apr_understatement_pp": [(u, sd(f"understated {u}", products=[declining(disclosed=12 - u)])) for u in (0.5, 1.9, 5.5, 9.1, 12.0)],
    "weighted_transparency_index": [
        (ti, sd(f"transparency {ti}", products=[declining(outstanding=a), BULLET | {"outstanding_portfolio": 1e6 - a}]))
        for ti, a in ((0.7, 625_000.0), (0.5, 375_000.0), (0.3, 125_000.0))  # (a + 0.2 (1e6 - a)) / 1e6
    ]
    + [(0.2, sd("transparency 0.2", products=[BULLET | {"outstanding_portfolio": 1e6}])), (1.0, CLEAN)],
    "apr_to_peer_median": [(r / 1.0, sd(f"price {r}", products=[declining(monthly_pct=r, disclosed=12 * r)])) for r in (0.9, 1.05, 1.25, 1.45, 1.6)],
}
PRICING_PRINCIPLE = {"apr_disclosed_share": "P3", "max_apr_understatement_pp": "P3", "weighted_transparency_index": "P3", "apr_to_peer_median": "P4"}

# Parameters
GROUP = {"lending_method": "group"}
PEER_CASES = [  # peer_group_min_investees 3: KE has 3 group lenders (median 30), UG 2 (all countries: 18, 20.4, 24, 30, 33.6 -> 24)
    (sd(f"peers {country} {pct}", country=country, products=[declining(f"GRP-{country}", monthly_pct=pct, disclosed=12 * pct) | GROUP]), country, 12 * pct)
    for country, pct in (("KE", 2.0), ("KE", 2.5), ("KE", 2.8), ("UG", 1.5), ("UG", 1.7))
]
WEEKLY = declining("WK52", repayment_frequency="weekly", installments=52, outstanding=0.0)
FORTNIGHTLY = declining("FN26", repayment_frequency="fortnightly", installments=26, outstanding=0.0)
BULLET120 = declining(
    "BUL120", installments=1, repayment_frequency="bullet", term_days=120, nominal_rate_pct=12.0, rate_period="year", outstanding=0.0, disclosed=12.0
)


def _loans(prefix, rows):
    base = tape(prefix, len(rows))
    return [row | change for row, change in zip(base, rows, strict=True)]


PARAMETER_CASES = {
    # tape_par_days 30: at risk when days_past_due > 30 or restructured; written-off loans count nowhere
    "tape_par_days": (
        tape_case(
            "tape par days",
            tape_rows=_loans(
                "tpd",
                [{"days_past_due": 31}] * 2
                + [{"days_past_due": 30}] * 3
                + [{"restructured": True}]
                + [{"written_off": True, "days_past_due": 100}]
                + [{}] * 93,
            ),
            portfolio={"par30": 30_000.0, "gross_loan_portfolio": 990_000.0, "active_borrowers": 99},
        ),
        "tape_par30_ratio",
        30_000 / 990_000,  # 3 loans of 10,000 at risk; 99 active
    ),
    # dsti_limit 0.5: 10 borrowers at exactly 0.5 are not over, 5 at 0.5006 are
    "dsti_limit": (
        tape_case("dsti limit", tape_rows=_loans("dl", [{"installment_amount": 500.0}] * 10 + [{"installment_amount": 500.6}] * 5 + [{}] * 85)),
        "dsti_over_50_share",
        5 / 100,
    ),
    # multi_lender_min_other_loans 2: 10 with one other loan are not counted, 7 with two are; 10 without the field are left out
    "multi_lender_min_other_loans": (
        tape_case(
            "multi lender",
            tape_rows=_loans("ml", [{"other_lender_loans": 1}] * 10 + [{"other_lender_loans": 2}] * 7 + [{"other_lender_loans": None}] * 10 + [{}] * 73),
        ),
        "multi_lender_share",
        7 / 90,
    ),
    # months_per_year 12, days_per_month 30.4375 (and 52 weeks, 26 fortnights a year): monthly equivalents of
    # 116 weekly = 502.67 (over 0.5 of 1,000), 115 weekly = 498.33, 232 fortnightly = 502.67, 230 = 498.33,
    # a 120-day bullet of 1,980 = 1,980 x 30.4375 / 120 = 502.22, of 1,960 = 497.15
    "months_per_year+days_per_month": (
        tape_case(
            "monthly equivalents",
            products=[declining(outstanding=1e6), WEEKLY, FORTNIGHTLY, BULLET120],
            tape_rows=_loans(
                "me",
                [
                    {"product_code": "WK52", "installment_amount": 116.0},
                    {"product_code": "WK52", "installment_amount": 115.0},
                    {"product_code": "FN26", "installment_amount": 232.0},
                    {"product_code": "FN26", "installment_amount": 230.0},
                    {"product_code": "BUL120", "installment_amount": 1980.0},
                    {"product_code": "BUL120", "installment_amount": 1960.0},
                ]
                + [{}] * 94,
            ),
        ),
        "dsti_over_50_share",
        3 / 100,
    ),
}
# min_complaints_for_collection_share 10
COLLECTION_9 = sd("collection of 9", complaints_rows=complaints(9, collection=9))
COLLECTION_10 = sd("collection of 10", complaints_rows=complaints(10, collection=3))
# cross_quarter_glp_tolerance 0.02: gross_loan_portfolio_start against the previous quarter's 1,000,000
GLP_CASES = [
    (sd("glp start 0.0201", investee="SD-G01", portfolio={"gross_loan_portfolio_start": 1_020_100.0}), True),
    (sd("glp start 0.0199", investee="SD-G02", portfolio={"gross_loan_portfolio_start": 1_019_900.0}), False),
]

ALL = register(
    [fc.case for fc in FLAG_CASES]
    + PREVIOUS_QUARTERS
    + [CLEAN]
    + [c for c, *_ in BAND_CASES]
    + [c for c, _ in ANSWER_CASES]
    + [c for c, _ in SWEEP]
    + SLOTS
    + [c for points in PRICING_POINTS.values() for _, c in points if c is not CLEAN]
    + [c for c, *_ in PEER_CASES]
    + [c for c, *_ in PARAMETER_CASES.values()]
    + [c for c, _ in GLP_CASES]
    + [COLLECTION_9, COLLECTION_10]
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return shared_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def flags(warehouse):
    """case_id -> {flag_code: [subject_code, ...]}"""
    out = {}
    for case_id, rows in rows_by_case(warehouse, "select submission_id, flag_code, subject_code, severity, evidence from marts.red_flags", ALL).items():
        raised = {}
        for row in rows:
            raised.setdefault(row["flag_code"], []).append(row["subject_code"])
        out[case_id] = raised
    return out


@pytest.fixture(scope="module")
def principles(warehouse):
    """case_id -> {principle: row of marts.cp_principle_scores}"""
    return {k: {r["principle_code"]: r for r in rows} for k, rows in rows_by_case(warehouse, "select * from marts.cp_principle_scores", ALL).items()}


@pytest.fixture(scope="module")
def metrics(warehouse):
    return {k: rows[0] if rows else None for k, rows in rows_by_case(warehouse, "select * from marts.investee_quarter_metrics", ALL).items()}


@pytest.fixture(scope="module")
def metric_scores(warehouse):
    """case_id -> {metric: score}: the per-metric line of section 4 (intermediate: the marts keep only its mean per principle)."""
    rows = rows_by_case(warehouse, "select submission_id, principle_code, metric, metric_value, metric_score from intermediate.int_metrics__scored", ALL)
    return {k: {(r["principle_code"], r["metric"]): r for r in v} for k, v in rows.items()}


@pytest.fixture(scope="module")
def scorecards(warehouse):
    return {k: rows[0] if rows else None for k, rows in rows_by_case(warehouse, "select * from marts.cp_scorecard", ALL).items()}


@pytest.mark.parametrize("rule", sorted({fc.rule for fc in FLAG_CASES}))
def test_red_flag_rule_on_each_side_of_its_threshold(rule, flags):
    """Each case raises exactly the flags the hand computation says, nothing else."""
    wrong = []
    for fc in (fc for fc in FLAG_CASES if fc.rule == rule):
        expected = {code: [subject] for code, subject in fc.flags.items()}
        found = flags[fc.case.case_id]
        if found != expected:
            wrong.append(f"{fc.case.case_id} ({fc.why}): expected {expected or 'no flag'}, got {found or 'no flag'}")
    assert not wrong, f"red_flag_rules row {rule}:\n" + "\n".join(wrong)


def test_every_red_flag_rule_row_has_boundary_cases():
    rows = {f"{r[0]}:{r[4]}" for r in m.RED_FLAG_RULES} - {"ESSENTIAL_PRACTICE_MISSING:essential_indicator_answer"}  # the sweep's
    assert rows <= {fc.rule for fc in FLAG_CASES}


def test_clean_investee_quarters_raise_nothing_and_score_100(flags, scorecards, principles):
    for c in [CLEAN, *PREVIOUS_QUARTERS]:
        assert flags[c.case_id] == {}, c.case_id
        card = scorecards[c.case_id]
        assert (card["rating"], card["screening"]) == ("A", "pass"), c.case_id
        assert card["overall_score"] == pytest.approx(100.0, abs=1e-9), c.case_id
        assert {p: r["indicator_score"] for p, r in principles[c.case_id].items()} == dict.fromkeys(m.PRINCIPLES, 100.0)


@pytest.mark.parametrize("indicator", list(m.INDICATORS))
def test_indicator_weight_and_essential_mark(indicator, principles, flags):
    """The sweep case answering No to this indicator: its principle scores 100 x (n - 1) / n, and a critical flag names it iff it is essential."""
    principle = m.INDICATORS[indicator][0]
    j = BY_PRINCIPLE[principle].index(indicator)
    c = SWEEP[j][0]
    n = PRINCIPLE_SIZES[principle]
    assert principles[c.case_id][principle]["indicator_score"] == pytest.approx(100 * (n - 1) / n, abs=1e-9), f"cp_indicators row {indicator} (weight 1 of {n})"
    named = indicator in flags[c.case_id].get("ESSENTIAL_PRACTICE_MISSING", [])
    assert named == (indicator in ESSENTIAL), f"cp_indicators row {indicator}: is_essential / ESSENTIAL_PRACTICE_MISSING:essential_indicator_answer"


def test_essential_practice_missing_only_for_a_no(flags):
    """ESSENTIAL_PRACTICE_MISSING:essential_indicator_answer (= 0): a Partially or an unevidenced Yes on an essential indicator is no flag."""
    for c, _ in ANSWER_CASES:
        assert "ESSENTIAL_PRACTICE_MISSING" not in flags[c.case_id], c.case_id
    for c, j in SWEEP:
        named = sorted(flags[c.case_id].get("ESSENTIAL_PRACTICE_MISSING", []))
        assert named == sorted(codes[j] for codes in BY_PRINCIPLE.values() if j < len(codes) and codes[j] in ESSENTIAL), c.case_id


@pytest.mark.parametrize("index", range(len(ANSWER_CASES)))
def test_answer_values(index, principles):
    """cp_answer_values: Yes 1, Partially 0.5, No 0; without evidence 0.5, 0.5, 0; N/A out of the denominator."""
    c, expected = ANSWER_CASES[index]
    found = {p: r["indicator_score"] for p, r in principles[c.case_id].items()}
    assert found == pytest.approx(expected, abs=1e-9), c.case_id


@pytest.mark.parametrize("band", range(len(BAND_CASES)), ids=[c.case_id.split(":", 1)[1].replace(" ", "_") for c, *_ in BAND_CASES])
def test_rating_band_cap_and_screening(band, scorecards):
    """rating_bands (A 85, B 70, C 50, D 0), red_flag_severities (critical caps at C and fails, high watches) and screening_outcomes (the worst wins)."""
    c, overall, rating, uncapped, screening = BAND_CASES[band]
    card = scorecards[c.case_id]
    if overall is not None:
        assert card["overall_score"] == pytest.approx(overall, abs=1e-9)
    assert (card["uncapped_rating"], card["rating"], card["screening"]) == (uncapped, rating, screening), f"{c.case_id}: overall {card['overall_score']}"


def test_band_cases_sit_where_they_say():
    """The hand overall scores are on the intended side of each band minimum (a guard on the cases themselves)."""
    sides = [(85, 85.01), (84.98, 85), (70, 70.01), (69.98, 70), (50, 50.03), (49.97, 50)]
    for (c, overall, *_), (low, high) in zip(BAND_CASES, sides, strict=False):
        assert low < overall < high, (c.case_id, overall)


def _slot_points():
    for (principle, metric), (good, bad) in m.METRIC_THRESHOLDS.items():
        if metric in SLOT_VALUES:
            yield principle, metric, good, bad, [(v, c) for v, c in zip(SLOT_VALUES[metric], SLOTS, strict=True)]
        else:
            yield principle, metric, good, bad, PRICING_POINTS[metric]


@pytest.mark.parametrize("principle, metric, good, bad, points", list(_slot_points()), ids=[f"{p}:{mt}" for p, mt, *_ in _slot_points()])
def test_metric_threshold_line(principle, metric, good, bad, points, metric_scores):
    """metric_thresholds row: 100 at good, 0 at bad, a straight line between, clamped; values on both sides of both ends."""
    wrong = []
    for value, c in points:
        row = metric_scores[c.case_id].get((principle, metric))
        expected = metric_score(value, good, bad)
        if row is None or abs(row["metric_value"] - value) > 1e-9 or abs(row["metric_score"] - expected) > 1e-9:
            wrong.append(f"{c.case_id}: {metric} = {value} should score {expected:.6f}; got {row and (row['metric_value'], row['metric_score'])}")
    assert not wrong, f"metric_thresholds row {principle}:{metric} (good {good}, bad {bad}):\n" + "\n".join(wrong)


def test_metric_cases_cover_both_sides_of_both_ends():
    for _, metric, good, bad, points in _slot_points():
        positions = [(v - good) / (bad - good) for v, _ in points]  # 0 at good, 1 at bad
        # inside the line near each end (half-way for a count of breaches), and beyond each end unless it is the metric's own limit
        near_good = any(0 < p <= 0.5 for p in positions) and (any(p < 0 for p in positions) or (good in (0.0, 1.0) and 0 in positions))
        near_bad = any(0.5 <= p < 1 for p in positions) and (any(p > 1 for p in positions) or (bad == 0.0 and 1 in positions))
        assert near_good and near_bad, (metric, positions)


@pytest.mark.parametrize("slot", range(len(SLOTS)))
def test_principle_metric_score_is_the_mean_of_its_metrics(slot, principles):
    """marts.cp_principle_scores.metric_score = mean of the principle's metric scores; score = 0.6 x indicator + 0.4 x metric (indicators all 100)."""
    c = SLOTS[slot]
    for principle in ("P1", "P2", "P5", "P6", "P7"):
        metrics_of = [(mt, g, b) for (p, mt), (g, b) in m.METRIC_THRESHOLDS.items() if p == principle]
        expected = sum(metric_score(SLOT_VALUES[mt][slot], g, b) for mt, g, b in metrics_of) / len(metrics_of)
        row = principles[c.case_id][principle]
        assert row["metric_score"] == pytest.approx(expected, abs=1e-9), (c.case_id, principle)
        assert row["score"] == pytest.approx(0.6 * 100 + 0.4 * expected, abs=1e-9), (
            f"methodology_parameters indicator_score_weight / metric_score_weight ({c.case_id}, {principle})"
        )


@pytest.mark.parametrize("metric", list(PRICING_POINTS))
def test_pricing_metric_principle_scores(metric, principles):
    """The pricing points' principle metric score: their metric's score, the others of the principle at 100."""
    principle = PRICING_PRINCIPLE[metric]
    good, bad = m.METRIC_THRESHOLDS[(principle, metric)]
    others = sum(1 for (p, _) in m.METRIC_THRESHOLDS if p == principle) - 1
    for value, c in PRICING_POINTS[metric]:
        present = others - (1 if metric == "apr_disclosed_share" and value == 0.0 else 0)  # no disclosed APR: no understatement
        expected = (100 * present + metric_score(value, good, bad)) / (present + 1)
        assert principles[c.case_id][principle]["metric_score"] == pytest.approx(expected, abs=1e-9), c.case_id


def test_collection_share_needs_min_complaints(metrics):
    """methodology_parameters min_complaints_for_collection_share 10: 9 complaints give no share (and no flag), 10 give one."""
    assert metrics[COLLECTION_9.case_id]["collection_complaints_share"] is None
    assert metrics[COLLECTION_10.case_id]["collection_complaints_share"] == pytest.approx(0.3, abs=1e-12)


def test_min_complaints_flags(flags):
    assert flags[COLLECTION_9.case_id] == {}
    assert flags[COLLECTION_10.case_id] == {"COLLECTION_COMPLAINTS": [None]}


@pytest.mark.parametrize("parameter", list(PARAMETER_CASES))
def test_tape_parameters(parameter, metrics):
    c, metric, expected = PARAMETER_CASES[parameter]
    assert metrics[c.case_id][metric] == pytest.approx(expected, abs=1e-12), f"methodology_parameters row {parameter} ({c.case_id})"


def test_peer_group_needs_three_investees_in_a_country(warehouse):
    """methodology_parameters peer_group_min_investees 3: KE's three group lenders are their own peers (median 30); UG's two are
    compared with every country's group lending (18, 20.4, 24, 30, 33.6: median 24). Individual lending's median is 12."""
    rows = rows_by_case(warehouse, "select submission_id, product_code, apr_pct, peer_group, peer_median_apr_pct from marts.product_pricing", ALL)
    for c, country, apr in PEER_CASES:
        (row,) = rows[c.case_id]
        assert row["apr_pct"] == pytest.approx(apr, abs=1e-9)
        expected = ("country", 30.0) if country == "KE" else ("all_countries", 24.0)
        assert (row["peer_group"], round(row["peer_median_apr_pct"], 9)) == expected, f"methodology_parameters row peer_group_min_investees ({c.case_id})"
    (clean,) = rows[CLEAN.case_id]
    assert clean["peer_median_apr_pct"] == pytest.approx(12.0, abs=1e-9)


def test_opening_portfolio_checked_against_the_previous_quarter(warehouse):
    """methodology_parameters cross_quarter_glp_tolerance 0.02: 1,020,100 against 1,000,000 is a warning, 1,019,900 is not."""
    rows = rows_by_case(warehouse, "select submission_id, sheet, cell, severity, rule from marts.validation_issues", ALL)
    for c, warned in GLP_CASES:
        found = [(r["sheet"], r["severity"], r["rule"]) for r in rows[c.case_id]]
        assert found == ([("Portfolio", "warning", "gross_loan_portfolio_start:previous_quarter")] if warned else []), c.case_id


def test_flag_evidence_names_the_metric_and_threshold(warehouse):
    rows = rows_by_case(warehouse, "select submission_id, flag_code, evidence from marts.red_flags", ALL)
    for fc in FLAG_CASES:
        for row in rows[fc.case.case_id]:
            evidence = json.loads(row["evidence"])
            rule_rows = [r for r in m.RED_FLAG_RULES if r[0] == row["flag_code"]]
            for item in evidence:
                if "metric" in item:
                    (rule,) = [r for r in rule_rows if r[4] == item["metric"]]
                    assert (item["comparison"], item["threshold"]) == (rule[5], rule[6]), fc.case.case_id
