"""One investee's file never stops the quarter for the others: its issues are bounded, and they name cells, not clients.

Reading, coercing and validating all cap their issues with the one helper, `sheets.IssueCap`:
at most 50 per rule, sheet and column, then one "… and N more like this"; at most 1,000 in
all, then one "… and N more problems". No issue quotes a value of the loan tape (client data),
whatever column it sits in; other sheets' values are quoted, cut at 40 characters.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from smartdd.expectations.validate import validate_submission
from smartdd.ingest.coerce import coerce_sheet
from smartdd.ingest.reader import read_workbook
from smartdd.ingest.sheets import MAX_ISSUES_PER_FILE, MAX_ISSUES_PER_RULE, IssueCap, cap_issues

from smartdd.records import ERROR, WARNING, Issue

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))

import messy_files as mf  # noqa: E402

BAD_ROWS = 4_000
BAD_CELLS = {"gender": "?", "disbursed_amount": "lots", "disbursement_date": "someday", "days_past_due": 1.5, "restructured": "maybe"}  # 20,000 bad cells
CANARY = "CANARY Wanjiru Kamau"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return mf.Corpus(tmp_path_factory.mktemp("bounded"))


@pytest.fixture(params=[2**62, 0], ids=["openpyxl", "fast"])
def read(request):
    def read(path: Path):
        raw = read_workbook(path, fast_min_bytes=request.param)
        issues = list(raw.issues)
        sheets = {name: coerce_sheet(sheet, issues) for name, sheet in raw.sheets.items()}
        return sheets, issues

    return read


def loan_tape_of(rows: int, **columns) -> dict[str, mf.Draft]:
    """The clean submission with a loan tape of `rows` copies of its first loan, `columns` set on every row."""
    drafts = mf.base()
    tape = drafts["Loan_Tape"]
    template = tape.rows[1]
    tape.rows[1:] = [list(template) for _ in range(rows)]
    for index in range(rows):
        tape.set(tape.cell("loan_id", index), f"LN{index:06d}")
        for column, bad in columns.items():
            tape.set(tape.cell(column, index), bad)
    return drafts


def broken_loan_tape(directory: Path) -> Path:
    return mf.write(directory, "broken_tape", loan_tape_of(BAD_ROWS, **BAD_CELLS))


# ---- bounded work ---------------------------------------------------------------------------


def test_a_loan_tape_with_20000_unreadable_cells_gives_a_short_issue_list(corpus, read):
    sheets, issues = read(corpus(broken_loan_tape))
    assert len(sheets["Loan_Tape"].frame) == BAD_ROWS  # every row still read
    tape = [i for i in issues if i.sheet == "Loan_Tape"]
    assert len(tape) == len(BAD_CELLS) * (MAX_ISSUES_PER_RULE + 1)
    summaries = {i.cell: i for i in tape if i.message.startswith("…")}
    assert set(summaries) == {"F:F", "L:L", "J:J", "N:N", "O:O"}
    assert summaries["L:L"] == Issue("Loan_Tape", "L:L", ERROR, "not_number", f"… and {BAD_ROWS - 50:,} more like this in column L, not listed.")
    listed = [i.cell for i in tape if i.rule == "not_number" and i.cell != "L:L"]
    assert listed == [f"L{row}" for row in range(2, 52)]  # the first 50, in sheet order


def test_validation_lists_50_rows_per_rule_and_counts_the_rest(corpus, read):
    sheets, read_issues = read(corpus(lambda d: mf.write(d, "negative_days", loan_tape_of(3_000, days_past_due=-1, outstanding_principal=9e6))))
    assert not [i for i in read_issues if i.severity == ERROR]
    issues = validate_submission(sheets)
    by_rule: dict[tuple, list[Issue]] = {}
    for issue in (i for i in issues if i.sheet == "Loan_Tape"):
        by_rule.setdefault((issue.rule, re.match(r"[A-Z]*", issue.cell).group()), []).append(issue)
    days = by_rule[("column_values_to_be_between", "N")]
    assert len(days) == MAX_ISSUES_PER_RULE + 1
    assert days[-1].message == "… and 2,950 more like this in column N, not listed."
    assert all(len(found) <= MAX_ISSUES_PER_RULE + 1 for found in by_rule.values())
    assert len(issues) <= MAX_ISSUES_PER_FILE


def issues_of(columns: int, per_column: int) -> list[Issue]:
    return [
        Issue("Loan_Tape", f"{chr(65 + c // 26) if c >= 26 else ''}{chr(65 + c % 26)}{row}", ERROR, "not_number", "x")
        for c in range(columns)
        for row in range(per_column)
    ]


def test_a_file_lists_at_most_1000_issues_then_says_how_many_more():
    capped = cap_issues(issues_of(columns=30, per_column=100))  # 3,000 issues, column by column
    listed = [i for i in capped if not i.message.startswith("…")]
    assert len(listed) == MAX_ISSUES_PER_FILE  # 20 columns of 50
    assert [i.message for i in capped[MAX_ISSUES_PER_FILE:-1]] == [f"… and 50 more like this in column {chr(65 + c)}, not listed." for c in range(20)]
    assert capped[-1] == Issue(
        "Loan_Tape", "", ERROR, "too_many_issues", "… and 1,000 more problems, not listed: only the first 1,000 are. Fix these and send the file again."
    )


def test_the_cap_counts_the_issues_a_file_already_has():
    cap = IssueCap(already=MAX_ISSUES_PER_FILE - 2)
    cap.extend(
        [Issue("Cover", "C2", WARNING, "pct_below_one", "x"), Issue("Cover", "C3", WARNING, "pct_below_one", "x"), Issue("Cover", "C4", ERROR, "not_int", "x")]
    )
    assert [(i.cell, i.severity, i.rule) for i in cap.issues()] == [
        ("C2", WARNING, "pct_below_one"),
        ("C3", WARNING, "pct_below_one"),
        ("", ERROR, "too_many_issues"),
    ]


# ---- no client data in messages ------------------------------------------------------------


def shifted_columns(directory: Path) -> Path:
    """A loan tape whose columns slipped: a client's name under gender, the dates, the numbers, the flags, the codes.

    Loans 3 and 4 both carry the name as loan_id (a uniqueness failure), loan 2 as product code (not in Products):
    GX would list those values. Cover's legal_form and investee_id are over 200 characters long: quoted, but cut short.
    """
    drafts = mf.base()
    tape, cover = drafts["Loan_Tape"], drafts["Cover"]
    planted = {
        0: ["gender", "restructured", "other_lender_loans", "client_id"],
        1: ["disbursement_date", "product_code", "rural", "national_id", "maturity_date"],
        2: ["disbursed_amount", "loan_id", "written_off", "branch"],
        3: ["days_past_due", "loan_id", "monthly_income", "outstanding_principal", "installment_amount"],
    }
    for index, columns in planted.items():
        for column in columns:
            tape.set(tape.cell(column, index), CANARY)
    cover.set(cover.code_cell("legal_form"), "Non-governmental organisation " * 7)
    cover.set(cover.code_cell("investee_id"), "MFI01 " + "and a long note " * 14)
    return mf.write(directory, "shifted_columns", drafts)


def test_no_loan_tape_value_is_quoted_in_any_issue(corpus, read):
    sheets, read_issues = read(corpus(shifted_columns))
    tape_rules = {(i.cell, i.rule) for i in read_issues if i.sheet == "Loan_Tape"}
    assert {("F2", "not_enum"), ("J3", "not_date"), ("L4", "not_number"), ("N5", "not_int"), ("O2", "not_yn")} <= tape_rules
    validated = validate_submission(sheets)
    assert ("Loan_Tape", "I3", "column_values_to_be_in_set") in {(i.sheet, i.cell, i.rule) for i in validated}  # the product code
    assert ("Loan_Tape", "A4", "column_values_to_be_unique") in {(i.sheet, i.cell, i.rule) for i in validated}
    for issue in read_issues + validated:
        for word in CANARY.split():
            assert word not in issue.message, issue


def test_key_value_sheets_quote_what_they_found_cut_short(corpus, read):
    sheets, read_issues = read(corpus(shifted_columns))
    legal_form = next(i for i in read_issues if i.cell == "C8")
    assert legal_form.message.startswith("legal_form: 'Non-governmental organisation Non-govern…' is not one of NGO, NBFI")
    investee_id = next(i for i in validate_submission(sheets) if i.cell == "C2")
    assert investee_id.message.endswith("Found: 'MFI01 and a long note and a long note an…'.")
