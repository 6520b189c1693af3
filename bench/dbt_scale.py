"""How long `dbt build` takes over a large fund: N investees × Q quarters with loan tapes.

Writes a raw zone and ledger straight to Parquet (through ingest.rawzone.write_submission, the
same writer ingest uses), skipping workbooks and GX, then times `dbt build --fail-fast` as the
pipeline runs it. Distributions follow the sample generator's orders of magnitude: lognormal
loan sizes per country, a PAR30 of a few percent, restructured and written-off loans under 2 %,
incomes that put a fifth to a third of borrowers above 50 % DSTI, and borrowers shared between
investees of the same country (the same keyed national-id hash at both).

    python bench/dbt_scale.py                      # 200 investees × 4 quarters × 5,000 loans
    python bench/dbt_scale.py --investees 20 --loans 1000 --home /tmp/small
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smartdd.ingest.rawzone import write_schema_folder, write_submission  # noqa: E402

from smartdd.config import Settings  # noqa: E402
from smartdd.pipeline.warehouse import run_dbt  # noqa: E402
from smartdd.records import ISSUES_SCHEMA, LEDGER_SCHEMA  # noqa: E402
from smartdd.spec import load_spec  # noqa: E402

# country: (currency, fx per USD, typical loan in local currency)
COUNTRIES = {
    "KE": ("KES", 129.0, 60_000),
    "UG": ("UGX", 3_700.0, 1_500_000),
    "IN": ("INR", 84.0, 35_000),
    "KH": ("KHR", 4_100.0, 4_000_000),
    "PE": ("PEN", 3.7, 3_000),
    "BD": ("BDT", 120.0, 40_000),
    "NG": ("NGN", 1_550.0, 300_000),
    "PH": ("PHP", 58.0, 20_000),
    "MX": ("MXN", 19.0, 12_000),
    "GH": ("GHS", 15.0, 5_000),
}
QUARTER_ENDS = [dt.date(2025, 12, 31), dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)]
PRODUCTS = [
    # code, method, frequency, installments, term_days, rate, period, interest, fee, insurance, savings
    ("GRP-W", "group", "weekly", 24, None, 2.8, "month", "flat", 1.5, 1.0, 10.0),
    ("IND-M", "individual", "monthly", 12, None, 33.0, "year", "declining", 2.5, 0.0, 0.0),
    ("TRD-F", "group", "fortnightly", 12, None, 3.0, "month", "declining", 2.0, 0.0, 0.0),
    ("AGR-B", "individual", "bullet", 1, 180, 28.0, "year", "declining", 2.0, 1.5, 0.0),
    ("SME-M", "individual", "monthly", 24, None, 26.0, "year", "declining", 2.0, 1.0, 0.0),
]
COMPLAINT_CATEGORIES = ["pricing_fees", "collection_practices", "staff_conduct", "data_privacy", "product_terms", "insurance_claims", "other"]


def national_id_hash(person: np.ndarray) -> list[str]:
    """Stand-in for the keyed HMAC of a national id: 64 hex digits, the same person → the same hash."""
    return [hashlib.sha256(b"nid-%d" % p).hexdigest() for p in person.tolist()]


def write_fund(home: Path, investees: int, quarters: int, loans: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    spec = load_spec()
    sheets = {s.name: s for s in spec.sheets}
    indicators = pd.read_csv(Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "cp_indicators.csv")
    write_schema_folder(home / "raw", spec)
    for folder, schema in (("submissions", LEDGER_SCHEMA), ("issues", ISSUES_SCHEMA)):
        (home / "ledger" / folder).mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), home / "ledger" / folder / "_schema.parquet")
    provenance = _provenance(sheets)
    countries = list(COUNTRIES)
    written = 0
    for i in range(investees):
        country = countries[i % len(countries)]
        currency, fx, typical_loan = COUNTRIES[country]
        # a tenth of each book is shared with the neighbouring investee of the same country
        partner = i + len(countries) if i + len(countries) < investees else i - len(countries)
        products = [PRODUCTS[k] for k in sorted(rng.choice(len(PRODUCTS), size=rng.integers(2, 5), replace=False))]
        par_level = rng.uniform(0.01, 0.12)
        income_factor = rng.uniform(2.2, 4.5)
        for q in range(quarters):
            period_end = QUARTER_ENDS[q % len(QUARTER_ENDS)]
            submission_id = hashlib.sha256(f"{seed}-{i}-{q}".encode()).hexdigest()[:16]
            tape = _loan_tape(rng, i, partner, q, loans, products, typical_loan, par_level, income_factor, period_end)
            active = ~tape["written_off"]
            glp = float(tape.loc[active, "outstanding_principal"].sum())
            par30 = float(tape.loc[active & ((tape["days_past_due"] > 30) | tape["restructured"]), "outstanding_principal"].sum())
            borrowers = int(tape.loc[active, "client_id"].nunique())
            noise = rng.choice([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.08])  # one in ten does not reconcile
            frames = {
                "Cover": pd.DataFrame(
                    [
                        {
                            "investee_id": f"MFI-{country}-{i:03d}",
                            "institution_name": f"Scale Test Microfinance {i}",
                            "country": country,
                            "currency": currency,
                            "period_end": period_end,
                            "fx_rate_usd": fx,
                            "legal_form": "NBFI",
                            "template_version": "1.0",
                            "prepared_by": None,
                            "language": "en",
                        }
                    ]
                ),
                "Portfolio": pd.DataFrame([_portfolio(rng, glp * noise, par30, borrowers, tape)]),
                "Products": _products(rng, products, typical_loan, glp, sheets["Products"]),
                "CP_Assessment": _answers(rng, indicators),
                "Complaints": _complaints(rng, borrowers),
                "Loan_Tape": tape,
            }
            write_submission(home / "raw", submission_id, frames, provenance, spec)
            ledger = {
                "submission_id": submission_id,
                "investee_id": f"MFI-{country}-{i:03d}",
                "period_end": period_end,
                "file_name": f"{submission_id}.xlsx",
                "file_sha256": hashlib.sha256(submission_id.encode()).hexdigest(),
                "received_at": dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                "status": "accepted",
                "reason": "",
                "errors": 0,
                "warnings": 0,
                "language": "en",
            }
            pq.write_table(pa.Table.from_pylist([ledger], schema=LEDGER_SCHEMA), home / "ledger" / "submissions" / f"{submission_id}.parquet")
            written += 1
    return written


def _loan_tape(rng, investee, partner, quarter, n, products, typical_loan, par_level, income_factor, period_end) -> pd.DataFrame:
    # persons: the investee's own clients (most stay from one quarter to the next), a tenth shared with its partner
    own = investee * 1_000_000 + quarter * (n // 10) + np.arange(n)
    shared = rng.random(n) < 0.10
    person = np.where(shared, partner * 1_000_000 + quarter * (n // 10) + rng.integers(0, n, n), own)
    # one loan in twenty is a second loan of an existing client
    repeat = rng.random(n) < 0.05
    client = np.where(repeat, np.roll(person, 1), person)
    product_index = rng.integers(0, len(products), n)
    disbursed = np.round(rng.lognormal(np.log(typical_loan), 0.6, n), -1)
    outstanding = np.round(disbursed * rng.uniform(0.05, 1.0, n), 0)
    late = rng.random(n) < par_level
    dpd = np.where(late, rng.integers(31, 360, n), np.where(rng.random(n) < 0.04, rng.integers(1, 30, n), 0))
    installments = np.array([products[k][3] for k in product_index])
    installment = np.round(disbursed * 1.2 / installments, 0)
    frequency_per_month = np.array(
        [{"weekly": 52 / 12, "fortnightly": 26 / 12, "monthly": 1.0, "bullet": 30.4375 / 180}[products[k][2]] for k in product_index]
    )
    income = np.round(installment * frequency_per_month * rng.lognormal(np.log(income_factor), 0.5, n), 0)
    disbursement = np.array([period_end - dt.timedelta(days=int(d)) for d in rng.integers(1, 540, n)])
    has_nid = rng.random(n) < 0.95
    nids = national_id_hash(client)
    return pd.DataFrame(
        {
            "_row": np.arange(2, n + 2),
            "loan_id": [f"LN{investee:03d}{quarter}{k:07d}" for k in range(n)],
            "client_id": [hashlib.sha256(b"cid-%d-%d" % (investee, c)).hexdigest() for c in client.tolist()],
            "national_id": [h if ok else None for h, ok in zip(nids, has_nid, strict=True)],
            "gender": rng.choice(["F", "M", "O"], n, p=[0.68, 0.31, 0.01]),
            "rural": rng.random(n) < 0.6,
            "branch": rng.choice([f"BR{b:02d}" for b in range(12)], n),
            "product_code": [products[k][0] for k in product_index],
            "disbursement_date": disbursement,
            "maturity_date": disbursement + dt.timedelta(days=365),
            "disbursed_amount": disbursed,
            "outstanding_principal": outstanding,
            "days_past_due": dpd,
            "restructured": rng.random(n) < 0.01,
            "written_off": rng.random(n) < 0.006,
            "installment_amount": np.where(rng.random(n) < 0.97, installment, np.nan),
            "monthly_income": np.where(rng.random(n) < 0.95, income, np.nan),
            "other_lender_loans": rng.poisson(0.45, n),
        }
    )


def _portfolio(rng, glp, par30, borrowers, tape) -> dict:
    written_off = float(tape.loc[tape["written_off"], "outstanding_principal"].sum())
    return {
        "active_borrowers": borrowers,
        "active_borrowers_women": int(borrowers * rng.uniform(0.5, 0.9)),
        "active_borrowers_rural": int(borrowers * 0.6),
        "gross_loan_portfolio": round(glp),
        "gross_loan_portfolio_start": round(glp / rng.uniform(1.0, 1.08)),
        "par30": round(par30),
        "par90": round(par30 * rng.uniform(0.3, 0.6)),
        "restructured_portfolio": round(glp * rng.uniform(0.0, 0.06)),
        "write_offs_period": round(written_off),
        "loan_loss_reserve": round(par30 * rng.uniform(0.7, 1.3)),
        "loans_disbursed_period": int(borrowers * 0.3),
        "amount_disbursed_period": round(glp * 0.35),
        "interest_fee_income_period": round(glp * rng.uniform(0.06, 0.12)),
        "operating_expenses_period": round(glp * 0.05),
        "loan_officers": max(1, int(borrowers / rng.uniform(150, 550))),
        "clients_start_period": borrowers,
        "clients_exited_period": int(borrowers * rng.uniform(0.03, 0.15)),
        "credit_bureau_checked_pct": round(rng.uniform(70, 100), 1),
        "multiple_lender_borrowers_pct": round(rng.uniform(5, 45), 1),
        "data_breaches_period": int(rng.random() < 0.05),
        "staff_trained_cp_pct": round(rng.uniform(60, 100)),
    }


def _products(rng, products, typical_loan, glp, sheet) -> pd.DataFrame:
    shares = rng.dirichlet(np.ones(len(products)))
    rows = []
    for k, (code, method, frequency, installments, term, rate, period, interest, fee, insurance, savings) in enumerate(products):
        rows.append(
            {
                "_row": k + 2,
                "product_code": code,
                "product_name": code,
                "lending_method": method,
                "loan_amount": float(typical_loan),
                "installments": installments,
                "repayment_frequency": frequency,
                "term_days": term,
                "nominal_rate_pct": rate * rng.uniform(0.85, 1.15),
                "rate_period": period,
                "interest_method": interest,
                "upfront_fee_pct": fee,
                "upfront_fee_flat": None,
                "insurance_pct": insurance or None,
                "compulsory_savings_pct": savings or None,
                "tax_on_interest_pct": None,
                "disclosed_apr_pct": None if rng.random() < 0.15 else round(rate * (12 if period == "month" else 1) * rng.uniform(1.0, 1.4), 1),
                "active_loans": int(1000 * shares[k]),
                "outstanding_portfolio": round(glp * shares[k]),
            }
        )
    return pd.DataFrame(rows, columns=["_row"] + [f.name for f in sheet.stored_fields])


def _answers(rng, indicators: pd.DataFrame) -> pd.DataFrame:
    response = rng.choice(["Yes", "Partially", "No"], len(indicators), p=[0.82, 0.13, 0.05])
    response = np.where(indicators["is_na_allowed"] & (rng.random(len(indicators)) < 0.2), "N/A", response)
    evidence = np.where((response != "No") & (response != "N/A") & (rng.random(len(indicators)) < 0.97), "Policy manual v3", None)
    return pd.DataFrame(
        {"_row": np.arange(2, len(indicators) + 2), "indicator_code": indicators["indicator_code"], "response": response, "evidence": evidence, "comment": None}
    )


def _complaints(rng, borrowers) -> pd.DataFrame:
    received = rng.poisson(max(borrowers, 1) * rng.uniform(0.0002, 0.002), len(COMPLAINT_CATEGORIES))
    resolved = np.minimum(received, rng.binomial(received, 0.95))
    within = rng.binomial(resolved, rng.uniform(0.6, 1.0))
    return pd.DataFrame(
        {
            "_row": np.arange(2, len(COMPLAINT_CATEGORIES) + 2),
            "category": COMPLAINT_CATEGORIES,
            "received": received,
            "resolved": resolved,
            "resolved_within_30d": within,
        }
    )


def _provenance(sheets) -> pd.DataFrame:
    rows = [(name, f.name, "C", row) for name in ("Cover", "Portfolio") for row, f in enumerate(sheets[name].stored_fields, start=2)]
    rows += [
        (name, f.name, _column_letter(k), None)
        for name in ("Products", "CP_Assessment", "Complaints", "Loan_Tape")
        for k, f in enumerate(sheets[name].stored_fields)
    ]
    return pd.DataFrame(rows, columns=["sheet", "field", "column_letter", "row_number"]).astype({"row_number": "Int64"})


def _column_letter(k: int) -> str:
    return chr(ord("A") + k) if k < 26 else "A" + chr(ord("A") + k - 26)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--investees", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--loans", type=int, default=5000, help="loan-tape rows per submission")
    parser.add_argument("--home", type=Path, default=Path("/tmp/smartdd_dbt_scale"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse the raw zone already in --home")
    args = parser.parse_args()

    settings = Settings.from_env(args.home)
    if not args.keep:
        shutil.rmtree(args.home, ignore_errors=True)
        settings.ensure()
        started = time.perf_counter()
        count = write_fund(args.home, args.investees, args.quarters, args.loans, args.seed)
        print(f"raw zone: {count} submissions, {count * args.loans:,} loan-tape rows written in {time.perf_counter() - started:.0f} s")
    settings.ensure()
    build_file = settings.work / "scale.duckdb"
    build_file.unlink(missing_ok=True)
    started = time.perf_counter()
    result = run_dbt(settings, build_file, "build", "--fail-fast")
    elapsed = time.perf_counter() - started
    summary = [line for line in result.stdout.splitlines() if "Done." in line or "Finished running" in line]
    print("\n".join(summary))
    print(
        f"dbt build: {elapsed:.0f} s (exit {result.returncode}); warehouse {build_file.stat().st_size / 2**20:.0f} MiB"
        if build_file.exists()
        else f"dbt build failed (exit {result.returncode})"
    )
    if result.returncode != 0:
        print(result.stdout[-5000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
