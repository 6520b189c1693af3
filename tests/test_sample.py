"""Synthetic submissions: deterministic, internally consistent, with exactly the planted defects."""

import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from smartdd.sample import write_samples
from smartdd.spec import load_catalogue, load_spec
from smartdd.spec.template import RESPONSE_LABELS, YES_NO_LABELS

SPEC = load_spec()
# Five investees: the cast's first and fifth both lend in Kenya and share some borrowers.
INVESTEES, QUARTERS, TAPE_ROWS = 5, 2, 100


def read(path: Path) -> dict:
    """Every sheet of a workbook as plain values: key-value sheets as dicts, tables as row dicts."""
    wb = openpyxl.load_workbook(path, read_only=True)
    book = {}
    for sheet in SPEC.sheets:
        if sheet.name not in wb.sheetnames:
            continue
        rows = list(wb[sheet.name].iter_rows(values_only=True))
        if sheet.kind == "key_value":
            book[sheet.name] = {row[0]: row[2] for row in rows[1:]}
        else:
            # Read-only mode drops a row's trailing empty cells: pad them back.
            book[sheet.name] = [
                {name: row[i] if i < len(row) else None for i, name in enumerate(rows[0])} for row in rows[1:] if any(v is not None for v in row)
            ]
    wb.close()
    return book


def is_invalid(book: dict) -> bool:
    """The two errors the generator plants: PAR90 above PAR30, a required Cover field blank."""
    required = [f.name for f in SPEC.sheet("Cover").fields if f.always_required]
    missing = any(book["Cover"][name] in (None, "") for name in required)
    return missing or book["Portfolio"]["par90"] > book["Portfolio"]["par30"]


def warnings_planted(book: dict) -> list[str]:
    """Percent fields written as fractions, and Yes answers without evidence."""
    found = []
    for sheet in ("Portfolio", "Products"):
        rows = [book[sheet]] if sheet == "Portfolio" else book[sheet]
        for row in rows:
            for field in SPEC.sheet(sheet).fields:
                value = row.get(field.name)
                if field.type == "pct" and isinstance(value, int | float) and 0 < value < 1:
                    found.append(f"{sheet}.{field.name}={value}")
    yes = {labels["Yes"] for labels in RESPONSE_LABELS.values()}
    found += [r["indicator_code"] for r in book["CP_Assessment"] if r["response"] in yes and not r["evidence"]]
    return found


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[Path, dict]:
    paths = write_samples(tmp_path_factory.mktemp("samples"), investees=INVESTEES, quarters=QUARTERS, loan_tape_rows=TAPE_ROWS, seed=7)
    return {path: read(path) for path in paths}


@pytest.fixture(scope="module")
def valid(samples) -> dict[Path, dict]:
    return {p: b for p, b in samples.items() if not is_invalid(b)}


def test_one_workbook_per_investee_and_quarter_named_after_its_cover(samples):
    assert len(samples) == INVESTEES * QUARTERS
    for path, book in samples.items():
        cover = book["Cover"]
        period_end = cover["period_end"].date()
        assert path.name == f"{cover['investee_id']}_{period_end.year}Q{period_end.month // 3}.xlsx"
        assert re.fullmatch(r"MFI-[A-Z]{2}-\d{3}", cover["investee_id"])
    ends = sorted({b["Cover"]["period_end"] for b in samples.values()})
    assert ends == [datetime(2026, 6, 30), datetime(2026, 9, 30)]


def test_exactly_one_invalid_workbook_in_the_last_quarter(samples):
    invalid = [b for b in samples.values() if is_invalid(b)]
    assert len(invalid) == 1
    assert invalid[0]["Cover"]["period_end"] == datetime(2026, 9, 30)
    assert invalid[0]["Portfolio"]["par90"] > invalid[0]["Portfolio"]["par30"]
    assert invalid[0]["Cover"]["legal_form"] is None


def test_warnings_are_planted_in_other_workbooks_of_the_last_quarter(samples):
    warned = {p.name: warnings_planted(b) for p, b in samples.items() if warnings_planted(b)}
    assert 1 <= len(warned) <= 2, warned
    assert all(name.endswith("2026Q3.xlsx") for name in warned)
    assert not any(is_invalid(samples[p]) for p in samples if p.name in warned)


def test_no_defects_when_asked_for_none(tmp_path):
    paths = write_samples(tmp_path, investees=3, quarters=1, loan_tape_rows=40, defects=False)
    books = [read(p) for p in paths]
    assert not any(is_invalid(b) for b in books)
    assert not any(warnings_planted(b) for b in books)


def test_same_seed_same_workbooks(tmp_path):
    first = write_samples(tmp_path / "a", investees=1, quarters=1, loan_tape_rows=20, seed=3)
    second = write_samples(tmp_path / "b", investees=1, quarters=1, loan_tape_rows=20, seed=3)
    other = write_samples(tmp_path / "c", investees=1, quarters=1, loan_tape_rows=20, seed=4)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert read(a) == read(b)
        assert a.read_bytes() == b.read_bytes()
    assert [read(p) for p in first] != [read(p) for p in other]


def test_writing_in_parallel_gives_the_same_bytes(tmp_path):
    one = write_samples(tmp_path / "one", investees=3, quarters=2, loan_tape_rows=15, seed=5)
    two = write_samples(tmp_path / "two", investees=3, quarters=2, loan_tape_rows=15, seed=5, jobs=2)
    assert [p.name for p in one] == [p.name for p in two]
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_portfolio_is_internally_consistent(valid):
    for book in valid.values():
        p = book["Portfolio"]
        assert 0 <= p["par90"] <= p["par30"] <= p["gross_loan_portfolio"]
        assert 0.01 <= p["par30"] / p["gross_loan_portfolio"] <= 0.2
        assert p["restructured_portfolio"] <= p["gross_loan_portfolio"]
        assert 0 <= p["active_borrowers_women"] <= p["active_borrowers"]
        assert 0 <= p["active_borrowers_rural"] <= p["active_borrowers"]
        assert p["clients_exited_period"] <= p["clients_start_period"]
        assert min(150, p["active_borrowers"]) <= p["active_borrowers"] / p["loan_officers"] <= 600
        assert (p["loans_disbursed_period"] == 0) == (p["amount_disbursed_period"] == 0)


def test_portfolio_start_continues_the_previous_quarter(samples):
    by_investee = defaultdict(list)
    for book in samples.values():
        by_investee[book["Cover"]["investee_id"]].append(book)
    for books in by_investee.values():
        books.sort(key=lambda b: b["Cover"]["period_end"])
        for before, after in zip(books, books[1:], strict=False):
            assert after["Portfolio"]["gross_loan_portfolio_start"] == before["Portfolio"]["gross_loan_portfolio"]


def test_products_add_up_to_the_portfolio(valid):
    for book in valid.values():
        products = book["Products"]
        assert 2 <= len(products) <= 4
        assert len({r["product_code"] for r in products}) == len(products)
        total = sum(r["outstanding_portfolio"] for r in products)
        assert total == pytest.approx(book["Portfolio"]["gross_loan_portfolio"], rel=0.02)
        for r in products:
            if r["repayment_frequency"] == "bullet":
                assert r["installments"] == 1 and r["term_days"] > 0


def test_complaints_are_consistent(samples):
    for book in samples.values():
        categories = SPEC.sheet("Complaints").field("category").values
        assert [r["category"] for r in book["Complaints"]] == list(categories)
        for r in book["Complaints"]:
            assert 0 <= r["resolved_within_30d"] <= r["resolved"] <= r["received"]


def test_self_assessment_answers_every_indicator_in_the_investee_language(samples):
    catalogue = {i.code: i for i in load_catalogue()}
    for book in samples.values():
        labels = RESPONSE_LABELS[book["Cover"]["language"]]
        answers = {r["indicator_code"]: r["response"] for r in book["CP_Assessment"]}
        assert set(answers) == set(catalogue)
        assert set(answers.values()) <= set(labels.values())
        assert sum(a == labels["Yes"] for a in answers.values()) >= len(answers) / 2
        for code, answer in answers.items():
            if answer == labels["N/A"]:
                assert catalogue[code].na_allowed, code


def test_loan_tape_reconciles_with_the_portfolio(valid):
    for book in valid.values():
        tape, p = book["Loan_Tape"], book["Portfolio"]
        yes, _ = YES_NO_LABELS[book["Cover"]["language"]]
        assert len(tape) == TAPE_ROWS
        active = [r for r in tape if r["written_off"] != yes]
        outstanding = sum(r["outstanding_principal"] for r in active)
        at_risk = sum(r["outstanding_principal"] for r in active if r["days_past_due"] > 30 or r["restructured"] == yes)
        assert outstanding == pytest.approx(p["gross_loan_portfolio"], rel=0.05)
        assert at_risk == pytest.approx(p["par30"], rel=0.05)
        assert len({r["client_id"] for r in active}) == p["active_borrowers"]


def test_loan_tape_rows_look_like_a_real_tape(valid):
    for book in valid.values():
        products = {r["product_code"]: r for r in book["Products"]}
        period_end = book["Cover"]["period_end"]
        dsti = []
        for r in book["Loan_Tape"]:
            assert re.fullmatch(r"\d{9}", r["client_id"]) and isinstance(r["client_id"], str)
            assert isinstance(r["national_id"], str) and r["client_name"] and r["phone"]
            assert r["product_code"] in products
            assert r["disbursement_date"] <= period_end and r["disbursement_date"] <= r["maturity_date"]
            assert period_end <= r["maturity_date"] or r["days_past_due"] > 0, "only late loans are past maturity"
            assert 0 <= r["outstanding_principal"] <= r["disbursed_amount"]
            assert 0 <= r["other_lender_loans"] <= 3
            frequency = products[r["product_code"]]["repayment_frequency"]
            per_month = {"weekly": 52 / 12, "fortnightly": 26 / 12, "monthly": 1}.get(frequency)
            per_month = per_month or 30.4375 / products[r["product_code"]]["term_days"]
            dsti.append(r["installment_amount"] * per_month / r["monthly_income"])
        dsti.sort()
        assert 0.1 <= dsti[len(dsti) // 2] <= 0.6
    assert any(client.startswith("0") for b in valid.values() for client in (r["client_id"] for r in b["Loan_Tape"]))


def test_some_borrowers_hold_loans_at_two_investees(samples):
    holders = defaultdict(set)
    for book in samples.values():
        for r in book["Loan_Tape"]:
            national_id = re.sub(r"[^0-9A-Z]", "", r["national_id"].upper())
            holders[(book["Cover"]["period_end"], national_id)].add(book["Cover"]["investee_id"])
    shared = {ids for ids in map(frozenset, holders.values()) if len(ids) > 1}
    assert shared == {frozenset({"MFI-KE-001", "MFI-KE-002"})}


def test_workbooks_keep_the_template_drop_downs(samples):
    path = next(iter(samples))
    wb = openpyxl.load_workbook(path)
    formulas = {v.formula1 for v in wb["CP_Assessment"].data_validations.dataValidation}
    assert any("N/A" in f or "N.A." in f for f in formulas)
    assert wb["Loan_Tape"].freeze_panes == "B2"


def test_no_tape_sheet_without_tape_rows(tmp_path):
    [path] = write_samples(tmp_path, investees=1, quarters=1, loan_tape_rows=0)
    book = read(path)
    assert "Loan_Tape" not in book
    assert book["Portfolio"]["active_borrowers"] > 1000  # the untaped book is a realistic size


def test_period_end_must_be_a_quarter_end(tmp_path):
    with pytest.raises(ValueError, match="quarter end"):
        write_samples(tmp_path, last_period_end=date(2026, 8, 31))
