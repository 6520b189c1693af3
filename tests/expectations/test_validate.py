"""GX suites and business rules on a real workbook with planted defects: each becomes an
issue at the right cell with the right severity."""

from __future__ import annotations

import openpyxl
import pytest
from smartdd.expectations.validate import validate_submission

from smartdd.pipeline.workbook import read_typed_workbook
from smartdd.sample import write_samples


def _set_code(ws, code, value):
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            row[2].value = value
            return f"C{row[0].row}"
    raise KeyError(code)


@pytest.fixture(scope="module")
def issues(tmp_path_factory):
    path = write_samples(tmp_path_factory.mktemp("v"), investees=1, quarters=1, loan_tape_rows=10, seed=11, defects=False)[0]
    wb = openpyxl.load_workbook(path)
    cells = {}
    cells["fx"] = _set_code(wb["Cover"], "fx_rate_usd", None)  # required unless USD
    par30_cell = _set_code(wb["Portfolio"], "par30", 1000)
    cells["par90"] = _set_code(wb["Portfolio"], "par90", 5000)  # par90 > par30
    cp = wb["CP_Assessment"]
    header = [c.value for c in cp[1]]
    code_col, response_col, evidence_col = header.index("indicator_code"), header.index("response"), header.index("evidence")
    for row in cp.iter_rows(min_row=2):
        if row[code_col].value == "CP1.1a":
            row[response_col].value, row[evidence_col].value = "Yes", None
            cells["evidence"] = f"{row[evidence_col].column_letter}{row[0].row}"
        if row[code_col].value == "CP2.1a":  # N/A not allowed for this indicator
            row[response_col].value = "N/A"
            cells["na"] = f"{row[response_col].column_letter}{row[0].row}"
    tape = wb["Loan_Tape"]
    header = [c.value for c in tape[1]]
    product = tape.cell(3, header.index("product_code") + 1)
    product.value = "NO-SUCH-PRODUCT"
    cells["product"] = product.coordinate
    wb.save(path)
    sheets, read_issues = read_typed_workbook(path, max_rows=1000)
    assert not [i for i in read_issues if i.severity == "error"]
    found = validate_submission(sheets)
    return {(i.sheet, i.cell, i.severity): i for i in found}, cells, par30_cell


def test_conditional_requirement_fires(issues):
    found, cells, _ = issues
    assert ("Cover", cells["fx"], "error") in found
    assert "required when currency is not USD" in found[("Cover", cells["fx"], "error")].message


def test_cross_field_rule_points_to_the_cell(issues):
    found, cells, _ = issues
    issue = found[("Portfolio", cells["par90"], "error")]
    assert "par90 must be ≤ par30" in issue.message and "5,000" in issue.message


def test_missing_evidence_is_a_warning_not_an_error(issues):
    found, cells, _ = issues
    assert ("CP_Assessment", cells["evidence"], "warning") in found
    assert ("CP_Assessment", cells["evidence"], "error") not in found


def test_na_where_not_allowed_is_an_error(issues):
    found, cells, _ = issues
    assert "cannot be answered N/A" in found[("CP_Assessment", cells["na"], "error")].message


def test_loan_tape_product_must_exist_in_products(issues):
    found, cells, _ = issues
    assert "Products sheet" in found[("Loan_Tape", cells["product"], "error")].message
