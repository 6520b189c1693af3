"""Investee-quarters for the methodology tests, written straight to a raw zone, and ONE shared dbt build.

A test module builds its `Case`s (cp_independent.Case: a workbook's values) with `case()` and
`register()`s them at import; the first test that asks for `shared_warehouse()` writes every
registered case into one raw zone and runs the real `dbt build` once for the whole session.
Modules keep to their own quarters (and investee ids), so one module's cases never move another's
peer medians or percentiles.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from cp_independent import Case
from cp_methodology_v1 import INDICATORS
from smartdd.ingest.rawzone import write_submission

from smartdd.records import LEDGER_SCHEMA
from smartdd.spec import load_spec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_raw_zone import empty_home, query, run_dbt_build  # noqa: E402

__all__ = ["BASE_PORTFOLIO", "Case", "all_yes", "case", "complaints", "declining", "query", "register", "registered", "shared_warehouse", "tape"]

# A clean investee-quarter: every metric on the good side of its threshold (metric score 100),
# every indicator Yes with evidence (indicator score 100), no red flag: overall 100, A, pass.
BASE_PORTFOLIO = {
    "active_borrowers": 1000,
    "active_borrowers_women": 600,
    "active_borrowers_rural": 300,
    "gross_loan_portfolio": 1_000_000.0,
    "gross_loan_portfolio_start": 1_000_000.0,
    "par30": 20_000.0,  # 0.02 < good 0.03
    "par90": 5_000.0,
    "restructured_portfolio": 5_000.0,  # 0.005 < good 0.01
    "write_offs_period": 2_000.0,  # 4 x 2,000 / 1,000,000 = 0.008 < good 0.01
    "loan_loss_reserve": 30_000.0,
    "loans_disbursed_period": 100,
    "amount_disbursed_period": 100_000.0,
    "interest_fee_income_period": 60_000.0,
    "operating_expenses_period": 40_000.0,
    "loan_officers": 5,  # 200 borrowers each < good 300
    "clients_start_period": 4000,
    "clients_exited_period": 100,  # 4 x 100 / 4,000 = 0.10 < good 0.20
    "credit_bureau_checked_pct": 100.0,
    "multiple_lender_borrowers_pct": 10.0,  # < good 15
    "data_breaches_period": 0,
    "staff_trained_cp_pct": 100.0,
}


def declining(code: str = "IND12", monthly_pct: float = 1.0, disclosed: float | None = 12.0, outstanding: float = 1_000_000.0, **terms) -> dict:
    """1 %/month on the declining balance over 12 monthly installments, no fee: APR = 12 x the monthly rate exactly, transparency 1."""
    return {
        "product_code": code,
        "product_name": f"{code} product",
        "lending_method": "individual",
        "loan_amount": 1000.0,
        "installments": 12,
        "repayment_frequency": "monthly",
        "term_days": None,
        "nominal_rate_pct": monthly_pct,
        "rate_period": "month",
        "interest_method": "declining",
        "upfront_fee_pct": None,
        "upfront_fee_flat": None,
        "insurance_pct": None,
        "compulsory_savings_pct": None,
        "tax_on_interest_pct": None,
        "disclosed_apr_pct": disclosed,
        "active_loans": 100,
        "outstanding_portfolio": outstanding,
    } | terms


def complaints(received: int = 100, within_30d: int | None = None, collection: int = 2) -> list[dict]:
    """`received` complaints, `collection` of them about collection practices, `within_30d` resolved within 30 days (default all)."""
    within_30d = received if within_30d is None else within_30d
    rows = [{"category": "collection_practices", "received": collection, "resolved": collection, "resolved_within_30d": min(collection, within_30d)}]
    rest = received - collection
    rows.append({"category": "pricing_fees", "received": rest, "resolved": rest, "resolved_within_30d": within_30d - rows[0]["resolved_within_30d"]})
    return rows


def all_yes(**changes: tuple[str, str | None]) -> dict[str, tuple[str, str | None]]:
    """Every indicator answered Yes with evidence, except `changes` (indicator code with '.' as '_' -> (response, evidence))."""
    answers = {code: ("Yes", f"Policy {code}") for code in INDICATORS}
    answers |= {code.replace("_", "."): value for code, value in changes.items()}
    return answers


def tape(
    prefix: str,
    borrowers: int,
    outstanding: float = 10_000.0,
    at_risk: int = 2,
    dsti_over: int = 0,
    other_lenders: int = 0,
    product: str = "IND12",
    **overrides,
) -> list[dict]:
    """One monthly loan per borrower: `at_risk` of them 45 days late, `dsti_over` with an installment of
    600 on an income of 1,000 (dsti 0.6; the others 0.1), `other_lenders` with two loans elsewhere."""
    return [
        {
            "loan_id": f"{prefix}-L{i:05d}",
            "client_id": f"{prefix}-C{i:05d}",
            "national_id": f"{prefix}-N{i:05d}",
            "gender": "F",
            "rural": False,
            "branch": "Main",
            "product_code": product,
            "disbursement_date": dt.date(2025, 12, 1),
            "maturity_date": dt.date(2026, 12, 1),
            "disbursed_amount": max(outstanding, 1.0) * 2,
            "outstanding_principal": outstanding,
            "days_past_due": 45 if i < at_risk else 0,
            "restructured": False,
            "written_off": False,
            "installment_amount": 600.0 if i < dsti_over else 100.0,
            "monthly_income": 1000.0,
            "other_lender_loans": 2 if i < other_lenders else 0,
        }
        | overrides
        for i in range(borrowers)
    ]


def case(
    case_id: str,
    investee_id: str,
    period_end: dt.date,
    portfolio: dict | None = None,
    products: list[dict] | None = None,
    answers=None,
    complaints_rows=None,
    **fields,
) -> Case:
    """A clean investee-quarter with the given changes (portfolio values are merged into the clean ones)."""
    return Case(
        case_id=case_id,
        investee_id=investee_id,
        period_end=period_end,
        portfolio=copy.deepcopy(BASE_PORTFOLIO) | (portfolio or {}),
        products=products if products is not None else [declining()],
        answers=answers if answers is not None else all_yes(),
        complaints=complaints_rows if complaints_rows is not None else complaints(),
        **fields,
    )


# ---- the raw zone and the one build -----------------------------------------------------

_REGISTERED: dict[str, Case] = {}
_BUILT: dict[str, Path] = {}


def register(cases: list[Case]) -> list[Case]:
    for c in cases:
        assert c.case_id not in _REGISTERED, f"two cases named {c.case_id}"
        _REGISTERED[c.case_id] = c
    return cases


def registered() -> list[Case]:
    return list(_REGISTERED.values())


def shared_warehouse(tmp_path_factory) -> Path:
    """Every registered case in one raw zone, one `dbt build` per session; the DuckDB file."""
    if "warehouse" not in _BUILT:
        home = empty_home(tmp_path_factory.mktemp("methodology_home"))
        for c in _REGISTERED.values():
            write_case(home, c)
        build_file, result = run_dbt_build(home, tmp_path_factory.mktemp("methodology_work"))
        assert result.returncode == 0, result.stdout[-6000:]
        _BUILT["warehouse"] = build_file
    return _BUILT["warehouse"]


def sha256_of(c: Case) -> str:
    return c.file_sha256 or hashlib.sha256(c.case_id.encode()).hexdigest()


def write_case(home: Path, c: Case) -> str:
    """One submission: its raw-zone folder (with provenance) and its ledger row; returns its submission_id."""
    spec = load_spec()
    sheets = {sheet.name: sheet for sheet in spec.sheets}
    sha = sha256_of(c)
    submission_id = sha[:16]  # as smartdd names a received file
    cover = {
        "investee_id": c.investee_id,
        "institution_name": f"Institution {c.investee_id}",
        "country": c.country,
        "currency": c.currency,
        "period_end": c.period_end,
        "fx_rate_usd": c.fx_rate_usd,
        "legal_form": "NGO",
        "template_version": "1.0",
        "language": "en",
    }
    answers = [{"indicator_code": code, "response": response, "evidence": evidence} for code, (response, evidence) in c.answers.items()]
    frames = {
        "Cover": _key_value_frame(sheets["Cover"], cover),
        "Portfolio": _key_value_frame(sheets["Portfolio"], c.portfolio),
        "Products": _table_frame(sheets["Products"], c.products),
        "CP_Assessment": _table_frame(sheets["CP_Assessment"], answers),
        "Complaints": _table_frame(sheets["Complaints"], c.complaints),
    }
    if c.tape is not None:
        frames["Loan_Tape"] = _table_frame(sheets["Loan_Tape"], c.tape)
    provenance = pd.DataFrame(
        [(name, f.name, "C", row) for name in ("Cover", "Portfolio") for row, f in enumerate(sheets[name].stored_fields, start=2)]
        + [
            (name, f.name, chr(ord("A") + i), None)
            for name in ("Products", "CP_Assessment", "Complaints", "Loan_Tape")
            for i, f in enumerate(sheets[name].stored_fields)
        ],
        columns=["sheet", "field", "column_letter", "row_number"],
    ).astype({"row_number": "Int64"})
    if c.status != "rejected":  # a rejected workbook never reaches the raw zone
        write_submission(home / "raw", submission_id, frames, provenance, spec)
    ledger = {
        "submission_id": submission_id,
        "investee_id": c.investee_id,
        "period_end": c.period_end,
        "file_name": f"{c.case_id}.xlsx",
        "file_sha256": sha,
        "received_at": c.received_at,
        "status": c.status,
        "reason": "" if c.status != "rejected" else "rejected by the test",
        "errors": 1 if c.status == "rejected" else 0,
        "warnings": 0,
        "language": "en",
    }
    row = {name: ledger.get(name) for name in LEDGER_SCHEMA.names}
    pq.write_table(pa.Table.from_pylist([row], schema=LEDGER_SCHEMA), home / "ledger" / "submissions" / f"{submission_id}.parquet")
    return submission_id


def submission_id_of(c: Case) -> str:
    return sha256_of(c)[:16]


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _key_value_frame(sheet, values: dict) -> pd.DataFrame:
    return pd.DataFrame([{f.name: values.get(f.name) for f in sheet.stored_fields}])


def _table_frame(sheet, rows: list[dict]) -> pd.DataFrame:
    columns = ["_row"] + [f.name for f in sheet.stored_fields]
    return pd.DataFrame([{"_row": i, **{c: row.get(c) for c in columns[1:]}} for i, row in enumerate(rows, start=2)], columns=columns)


def rows_by_case(warehouse: Path, sql: str, cases: list[Case]) -> dict[str, list[dict]]:
    """Rows of `sql` (which must select submission_id) grouped by the case they come from."""
    ids = {submission_id_of(c): c.case_id for c in cases}
    out: dict[str, list[dict]] = {c.case_id: [] for c in cases}
    for row in query(warehouse, sql).to_dict("records"):
        if row["submission_id"] in ids:
            out[ids[row["submission_id"]]].append({k: None if _missing(v) else v for k, v in row.items()})
    return out
