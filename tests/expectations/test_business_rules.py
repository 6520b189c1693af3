"""One test per business rule of expectations/rules.py: a workbook breaking exactly that rule gets
exactly that issue (rule code, sheet, cell, severity), a clean one none, and a workbook just inside
the rule's limit none.

Every workbook is the sample generator's clean submission (no defect, no loan tape) with one change,
read and validated as the pipeline does (read_typed_workbook, then validate_submission). Messages are
not compared: their wording is free to change.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from smartdd.expectations.validate import validate_submission

from smartdd.pipeline.workbook import read_typed_workbook
from smartdd.sample import write_samples


def _code_row(ws, code: str) -> int:
    """A key-value sheet's row for `code` (the value is in column C)."""
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            return row[0].row
    raise KeyError(code)


def _set(ws, code: str, value) -> str:
    row = _code_row(ws, code)
    ws.cell(row, 3).value = value
    return f"C{row}"


def _get(ws, code: str):
    return ws.cell(_code_row(ws, code), 3).value


def _column(ws, name: str) -> tuple[int, str]:
    """(index, letter) of a table sheet's column, by its header on row 1."""
    for cell in ws[1]:
        if cell.value == name:
            return cell.column, cell.column_letter
    raise KeyError(name)


def _table_rows(ws) -> list[int]:
    return [r[0].row for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]


def _row_where(ws, column: str, value) -> int:
    index, _ = _column(ws, column)
    (row,) = [r for r in _table_rows(ws) if ws.cell(r, index).value == value]
    return row


# ---- one change each: (what it breaks) -> the issues it must give (rule, sheet, cell, severity) -------------


def clean(wb):
    return set()


def period_end_not_a_quarter_end(wb):
    cell = _set(wb["Cover"], "period_end", dt.datetime(2026, 9, 29))
    return {("period_end:quarter_end", "Cover", cell, "error")}


def no_loan_officer_for_borrowers(wb):
    cell = _set(wb["Portfolio"], "loan_officers", 0)
    return {("loan_officers:positive", "Portfolio", cell, "error")}


def no_loan_officer_and_no_borrower(wb):
    """Inside the rule: no borrowers, so no loan officer is fine."""
    ws = wb["Portfolio"]
    for code in ("loan_officers", "active_borrowers", "active_borrowers_women", "active_borrowers_rural"):
        _set(ws, code, 0)
    return set()


def amount_disbursed_with_zero_loans(wb):
    ws = wb["Portfolio"]
    _set(ws, "loans_disbursed_period", 0)
    cell = f"C{_code_row(ws, 'amount_disbursed_period')}"
    assert _get(ws, "amount_disbursed_period") > 0
    return {("amount_disbursed_period:zero", "Portfolio", cell, "error")}


def bullet_in_three_installments(wb):
    ws = wb["Products"]
    row = _row_where(ws, "repayment_frequency", "bullet")
    index, letter = _column(ws, "installments")
    ws.cell(row, index).value = 3
    return {("installments:bullet", "Products", f"{letter}{row}", "error")}


def _scale_products_total(wb, share_off: float):
    """Scale the first product's outstanding_portfolio so the products add up to `share_off` away from the portfolio."""
    glp = _get(wb["Portfolio"], "gross_loan_portfolio")
    ws = wb["Products"]
    index, _ = _column(ws, "outstanding_portfolio")
    rows = _table_rows(ws)
    others = sum(ws.cell(r, index).value for r in rows[1:])
    ws.cell(rows[0], index).value = round(glp * (1 + share_off) - others)


def products_2_1_pct_above_the_portfolio(wb):
    _scale_products_total(wb, 0.021)
    return {("outstanding_portfolio:sum", "Products", "", "warning")}


def products_1_9_pct_below_the_portfolio(wb):
    """Inside the 2 % tolerance."""
    _scale_products_total(wb, -0.019)
    return set()


def an_indicator_left_out(wb):
    ws = wb["CP_Assessment"]
    ws.delete_rows(_row_where(ws, "indicator_code", "CP3.2b"))
    return {("response:all_answered", "CP_Assessment", "", "error")}


def no_product_at_all(wb):
    """Products needs one row; an empty portfolio keeps the other rules quiet (the products' sum and the amounts below the portfolio)."""
    ws = wb["Products"]
    ws.delete_rows(2, ws.max_row)
    portfolio = wb["Portfolio"]
    for code in ("gross_loan_portfolio", "par30", "par90", "restructured_portfolio"):
        _set(portfolio, code, 0)
    return {("min_rows", "Products", "", "error")}


def more_resolved_than_received(wb):
    ws = wb["Complaints"]
    received, _ = _column(ws, "received")
    resolved, letter = _column(ws, "resolved")
    row = _table_rows(ws)[0]
    ws.cell(row, resolved).value = ws.cell(row, received).value + 1
    return {("resolved:over_received", "Complaints", f"{letter}{row}", "warning")}


def a_maturity_two_centuries_away(wb):
    """A typing mistake (2204 for 2024) in the loan tape; the clean tape's maturities are all plausible."""
    ws = wb["Loan_Tape"]
    index, letter = _column(ws, "maturity_date")
    row = _table_rows(ws)[1]
    ws.cell(row, index).value = dt.datetime(2204, 3, 31)
    return {("maturity_date:plausible", "Loan_Tape", f"{letter}{row}", "error")}


a_maturity_two_centuries_away.needs_tape = True


def clean_with_a_loan_tape(wb):
    return set()


clean_with_a_loan_tape.needs_tape = True

CHANGES = [
    clean,
    period_end_not_a_quarter_end,
    no_loan_officer_for_borrowers,
    no_loan_officer_and_no_borrower,
    amount_disbursed_with_zero_loans,
    bullet_in_three_installments,
    products_2_1_pct_above_the_portfolio,
    products_1_9_pct_below_the_portfolio,
    an_indicator_left_out,
    no_product_at_all,
    more_resolved_than_received,
    clean_with_a_loan_tape,
    a_maturity_two_centuries_away,
]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    (path,) = write_samples(tmp_path_factory.mktemp("rules"), investees=1, quarters=1, loan_tape_rows=0, seed=11, defects=False)
    return path


@pytest.fixture(scope="module")
def base_with_tape(tmp_path_factory) -> Path:
    (path,) = write_samples(tmp_path_factory.mktemp("rules_tape"), investees=1, quarters=1, loan_tape_rows=5, seed=11, defects=False)
    return path


def _base_for(change, base, base_with_tape) -> Path:
    return base_with_tape if getattr(change, "needs_tape", False) else base


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_a_workbook_breaking_one_rule_gets_exactly_its_issue(change, base, base_with_tape, tmp_path):
    wb = openpyxl.load_workbook(_base_for(change, base, base_with_tape))
    expected = change(wb)
    path = tmp_path / f"{change.__name__}.xlsx"
    wb.save(path)
    sheets, read_issues = read_typed_workbook(path, max_rows=1000)
    assert read_issues == []
    found = {(i.rule, i.sheet, i.cell, i.severity) for i in validate_submission(sheets)}
    assert found == expected


TESTED_ELSEWHERE = {"response:na_not_allowed", "evidence:missing"}  # tests/expectations/test_validate.py


def test_every_business_rule_has_a_test(base, base_with_tape):
    """Each rule code rules.py writes into an issue (rule=, else the message code) is expected by one change above."""
    from smartdd.expectations import rules

    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    emitted = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Issue", "problem"):  # problem(sheet, cell, severity, code, rule=...)
            rule = next((k.value for k in node.keywords if k.arg == "rule"), None)
            argument = rule if rule is not None else (node.args[3] if len(node.args) > 3 else None)
            if isinstance(argument, ast.Constant):
                emitted.add(argument.value)
    assert emitted, "no Issue(...) or problem(...) with a literal rule code found in rules.py"
    tested = {rule for change in CHANGES for rule, *_ in change(openpyxl.load_workbook(_base_for(change, base, base_with_tape)))} | TESTED_ELSEWHERE
    assert emitted <= tested, f"rules without a test: {sorted(emitted - tested)}"
