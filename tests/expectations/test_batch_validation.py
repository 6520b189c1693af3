"""One GX run per sheet type over a batch gives exactly the issues of validating each workbook alone."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from smartdd.expectations.batch import validate_batch
from smartdd.expectations.validate import validate_submission

from smartdd.pipeline.workbook import read_typed_workbook
from smartdd.sample import write_samples


def _plant(path, product: str | None = None, late_disbursement: bool = False, duplicate_loan: bool = False):
    wb = openpyxl.load_workbook(path)
    tape = wb["Loan_Tape"]
    header = [c.value for c in tape[1]]
    if product:
        tape.cell(3, header.index("product_code") + 1).value = product
    if late_disbursement:
        tape.cell(4, header.index("disbursement_date") + 1).value = dt.datetime(2026, 11, 15)  # after the period end, before receipt
    if duplicate_loan:
        tape.cell(5, header.index("loan_id") + 1).value = tape.cell(2, header.index("loan_id") + 1).value
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    paths = write_samples(folder, investees=4, quarters=2, loan_tape_rows=60, seed=23, defects=True)
    _plant(paths[0], product="NO-SUCH-PRODUCT", late_disbursement=True)
    _plant(paths[1], duplicate_loan=True)
    _plant(paths[2], product="ALSO-UNKNOWN", duplicate_loan=True)
    # paths[3:] as generated: the same loan ids recur across workbooks (uniqueness is per workbook)
    out = {}
    for i, path in enumerate(paths):
        sheets, issues = read_typed_workbook(path, max_rows=10_000)
        if not [x for x in issues if x.severity == "error"]:
            out[f"s{i}"] = sheets
    assert len(out) >= 6
    return out


def test_stacked_validation_finds_exactly_the_issues_of_one_by_one(workbooks):
    alone = {sid: validate_submission(sheets) for sid, sheets in workbooks.items()}
    together = validate_batch(workbooks)
    # the same issues, cell for cell and word for word; GX may list its results in another order
    # (the feedback workbook and the marts sort them anyway)
    assert {sid: sorted(found, key=repr) for sid, found in together.items()} == {sid: sorted(found, key=repr) for sid, found in alone.items()}
    rules = {(i.sheet, i.rule) for found in alone.values() for i in found}
    assert ("Loan_Tape", "column_values_to_be_in_set") in rules  # the planted cross-sheet defects are there to be found
    assert ("Loan_Tape", "column_values_to_be_between") in rules
    assert ("Loan_Tape", "column_values_to_be_unique") in rules
