"""One test per Great Expectations rule of the suites: a workbook breaking exactly that rule gets
exactly that issue (rule, code, sheet, cell, severity), and a clean workbook gets none.

The cases are generated from the suite JSON itself (the reviewed rule set; a range with two bounds
gets a case for each side), so a rule added to the
spec gets its test without anyone writing one, and a rule the generator cannot break fails
`test_every_suite_rule_has_a_case`. Each case is the sample generator's clean submission (with a
five-row loan tape) with one cell changed, chosen from the expectation's own kwargs: blank for
"not null", just outside the bound for "between", a value outside the set, a text the pattern
refuses, a duplicate for "unique", B above A for "A ≥ B". The violating value is derived here from
the kwargs by simple arithmetic, not by the validator.

A few breaks necessarily break another rule too (a negative portfolio also falls below its PAR30);
`ALSO` lists those consequences by hand, so the set compared is still exact. An enum's value outside
its list is refused by the reader first (`not_enum`, the cell then blank); for those the suite's own
`one_of` rule is also checked on a typed value put past the reader.

All the workbooks are validated together, as the pipeline does a batch (`validate_batch`: one
stacked GX run per sheet type); tests/expectations/test_batch_validation.py holds that to be
issue-for-issue the single-workbook validation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from smartdd.expectations.batch import validate_batch
from smartdd.expectations.suites import load_suite

from smartdd.pipeline.workbook import read_typed_workbook
from smartdd.sample import write_samples
from smartdd.spec import load_spec


@dataclass(frozen=True)
class Case:
    id: str  # sheet:field:code, numbered when a field has two rules with the same code
    sheet: str
    field: str
    expectation: dict
    side: str = "min"  # a range's bound to step over: both sides of a range with two get a case


def _cases() -> list[Case]:
    cases, seen = [], {}
    for sheet in load_spec().sheets:
        for expectation in load_suite(sheet)["expectations"]:
            meta = expectation["meta"]
            key = f"{sheet.name}:{meta['field']}:{meta['code']}"
            seen[key] = seen.get(key, 0) + 1
            cases.append(Case(key if seen[key] == 1 else f"{key}#{seen[key]}", sheet.name, meta["field"], expectation))
            kwargs = expectation["kwargs"]
            if kwargs.get("min_value") is not None and kwargs.get("max_value") is not None:
                cases.append(Case(f"{cases[-1].id}:max", sheet.name, meta["field"], expectation, side="max"))
    return cases


CASES = _cases()


# ---- where a value lives in the workbook ------------------------------------------------------------


def _key_row(ws, code: str) -> int:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            return row[0].row
    raise KeyError(code)


def _column(ws, name: str) -> tuple[int, str]:
    for cell in ws[1]:
        if cell.value == name:
            return cell.column, cell.column_letter
    raise KeyError(name)


def _rows(ws) -> list[int]:
    return [r[0].row for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]


class Sheet:
    """One sheet of the workbook being broken, addressed by field (and row, for a table)."""

    def __init__(self, wb, name: str):
        self.ws = wb[name]
        self.key_value = load_spec().sheet(name).kind == "key_value"

    def cell(self, field: str, row: int | None = None) -> str:
        if self.key_value:
            return f"C{_key_row(self.ws, field)}"
        return f"{_column(self.ws, field)[1]}{row}"

    def get(self, field: str, row: int | None = None):
        return self.ws[self.cell(field, row)].value

    def set(self, field: str, value, row: int | None = None) -> str:
        cell = self.cell(field, row)
        self.ws[cell].value = value
        return cell

    def rows(self) -> list[int | None]:
        return [None] if self.key_value else _rows(self.ws)


# ---- one break per expectation type, from its kwargs ---------------------------------------------------


def _below(bound, strict: bool):
    if isinstance(bound, dt.date | dt.datetime):
        return bound if strict else bound - dt.timedelta(days=1)
    return bound if strict else bound - 1


def _above(bound, strict: bool):
    if isinstance(bound, dt.date | dt.datetime):
        return bound if strict else bound + dt.timedelta(days=1)
    return bound if strict else bound + 1


def _row_for(sheet: Sheet, case: Case) -> int | None:
    """The row to break: for a conditional rule, one where its condition holds; else the first."""
    params = case.expectation["meta"]["params"]
    code = case.expectation["meta"]["code"]
    rows = sheet.rows()
    if code == "required_when":
        return next(r for r in rows if sheet.get(params["other"], r) == params["value"])
    if code == "required_unless":
        return next(r for r in rows if sheet.get(params["other"], r) != params["value"])
    return rows[0]


def break_rule(wb, case: Case) -> list[str]:
    """Change one value so that `case`'s rule fails; return the cells its issue must name."""
    kind = case.expectation["type"].removeprefix("expect_column_")
    kwargs = case.expectation["kwargs"]
    meta = case.expectation["meta"]
    sheet = Sheet(wb, case.sheet)
    row = _row_for(sheet, case)
    if meta.get("derived"):  # a cross-sheet rule: its bound is another sheet of the workbook
        derived = meta["derived"]
        if derived["kind"] == "in":  # e.g. Loan_Tape.product_code in Products.product_code
            return [sheet.set(case.field, "NOT-A-PRODUCT", row)]
        if derived["kind"] == "le":  # e.g. disbursement_date ≤ Cover.period_end
            bound_sheet, bound_field = derived["bound"].split(".")
            return [sheet.set(case.field, Sheet(wb, bound_sheet).get(bound_field) + dt.timedelta(days=1), row)]
        raise AssertionError(f"no break for derived rule {derived}")
    if kind == "values_to_not_be_null":
        return [sheet.set(case.field, None, row)]
    if kind == "values_to_be_between":
        if kwargs.get("min_value") is not None and case.side == "min":
            return [sheet.set(case.field, _below(kwargs["min_value"], kwargs.get("strict_min", False)), row)]
        return [sheet.set(case.field, _above(kwargs["max_value"], kwargs.get("strict_max", False)), row)]
    if kind == "values_to_be_in_set":
        if case.field == "indicator_code":  # a new row with an unknown code: changing a row would also leave an indicator unanswered
            last = sheet.rows()[-1]
            for column in range(1, sheet.ws.max_column + 1):
                sheet.ws.cell(last + 1, column).value = sheet.ws.cell(last, column).value
            return [sheet.set(case.field, "CP9.9z", last + 1)]
        assert "NOT-IN-SET" not in kwargs["value_set"]
        return [sheet.set(case.field, "NOT-IN-SET", row)]
    if kind == "values_to_match_regex":
        return [sheet.set(case.field, "not valid!", row)]
    if kind == "values_to_be_unique":  # the second row repeats the first: both are named
        first, second = sheet.rows()[:2]
        return [sheet.cell(case.field, first), sheet.set(case.field, sheet.get(case.field, first), second)]
    if kind == "pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        if case.field == b:  # B may not exceed A: B = A + 1
            return [sheet.set(b, _above(sheet.get(a, row), strict=False), row)]
        return [sheet.set(a, _below(sheet.get(b, row), strict=False), row)]  # A may not fall below B
    raise AssertionError(f"no break for {case.expectation['type']}")


def _enforced_by_the_reader(case: Case) -> bool:
    """An enum's value outside its list is already refused by the reader (`not_enum`), which leaves the
    cell blank: the suite's `one_of` rule is the second line, tested on the typed values below."""
    return case.expectation["meta"]["code"] == "one_of" and load_spec().sheet(case.sheet).field(case.field).type == "enum"


# ---- what else a break necessarily breaks, by hand ---------------------------------------------------------

PAIR, ERROR = "column_pair_values_a_to_be_greater_than_b", "error"


def _not_above(sheet: str, *fields: str):
    """The 'A ≥ B' rules whose A was pushed below its B's: one issue at each B."""
    return lambda wb, row: {(PAIR, "not_above", sheet, Sheet(wb, sheet).cell(f, row), ERROR) for f in fields}


def _products_sum(wb, row):
    return {("outstanding_portfolio:sum", "products_sum", "Products", "", "warning")}


def _all_answered(wb, row):
    return {("response:all_answered", "all_answered", "CP_Assessment", "", ERROR)}


def _tape_rows_of_product(product_row: int):
    """The loan-tape rows whose product the break removed from Products (named by the unbroken workbook's row)."""

    def also(wb, row):
        code = Sheet(wb, "Products").get("product_code", product_row)
        tape = Sheet(wb, "Loan_Tape")
        cells = {tape.cell("product_code", r) for r in tape.rows() if tape.get("product_code", r) == code}
        assert cells, "the sample's tape has loans of that product"
        return {("column_values_to_be_in_set", "not_in_sheet", "Loan_Tape", c, ERROR) for c in cells}

    return also


ALSO = {  # case id -> (the unbroken workbook, the broken row) -> issues that follow from the break itself
    "Portfolio:active_borrowers:at_least": _not_above("Portfolio", "active_borrowers_women", "active_borrowers_rural"),
    "Portfolio:gross_loan_portfolio:at_least": lambda wb, row: _not_above("Portfolio", "par30", "restructured_portfolio")(wb, row) | _products_sum(wb, row),
    "Portfolio:par30:at_least": _not_above("Portfolio", "par90"),
    "Portfolio:clients_start_period:at_least": _not_above("Portfolio", "clients_exited_period"),
    "Portfolio:amount_disbursed_period:at_least": lambda wb, row: {  # the sample disbursed no loan this quarter
        ("amount_disbursed_period:zero", "disbursed_without_loans", "Portfolio", Sheet(wb, "Portfolio").cell("amount_disbursed_period"), ERROR)
    },
    "Products:product_code:required": _tape_rows_of_product(2),
    "Products:product_code:unique": _tape_rows_of_product(3),
    "Products:outstanding_portfolio:required": _products_sum,
    "Products:outstanding_portfolio:at_least": _products_sum,
    "CP_Assessment:indicator_code:required": _all_answered,
    "CP_Assessment:indicator_code:unique": _all_answered,
    "CP_Assessment:response:required": _all_answered,
    "CP_Assessment:response:one_of": _all_answered,  # the refused answer is blank
    "Complaints:received:at_least": lambda wb, row: {
        ("resolved:over_received", "resolved_over_received", "Complaints", Sheet(wb, "Complaints").cell("resolved", row), "warning")
    },
    "Complaints:resolved:at_least": _not_above("Complaints", "resolved_within_30d"),
    "Loan_Tape:disbursed_amount:greater_than": _not_above("Loan_Tape", "outstanding_principal"),
}


def _issue_key(issue) -> tuple:
    return (issue.rule, issue.code, issue.sheet, issue.cell, issue.severity)


def _rule(case: Case) -> str:
    return case.expectation["meta"].get("rule") or case.expectation["type"].removeprefix("expect_")


def _expected(case: Case, cells: list[str], clean_wb) -> set[tuple]:
    meta = case.expectation["meta"]
    row = int("".join(ch for ch in cells[0] if ch.isdigit()))
    also = ALSO.get(case.id, lambda wb, row: set())(clean_wb, row)
    if _enforced_by_the_reader(case):  # the reader blanked the refused value: a required field is then missing
        field = load_spec().sheet(case.sheet).field(case.field)
        return also | ({("column_values_to_not_be_null", "required", case.sheet, cells[0], ERROR)} if field.always_required else set())
    return also | {(_rule(case), meta["code"], case.sheet, cell, meta["severity"]) for cell in cells}


def _typed_break(sheets: dict, case: Case, cell: str) -> None:
    """Put a value outside the set straight into the typed sheet, past the reader: what the suite alone must catch."""
    typed = sheets[case.sheet]
    if load_spec().sheet(case.sheet).kind == "key_value":
        typed.frame[case.field] = typed.frame[case.field].astype(object)
        typed.frame.loc[typed.frame.index[0], case.field] = "NOT-IN-SET"
        return
    row = int("".join(ch for ch in cell if ch.isdigit()))
    typed.frame[case.field] = typed.frame[case.field].astype(object)
    typed.frame.loc[typed.frame["_row"] == row, case.field] = "NOT-IN-SET"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    (path,) = write_samples(tmp_path_factory.mktemp("suite_rules"), investees=1, quarters=1, loan_tape_rows=5, seed=11, defects=False)
    return path


@pytest.fixture(scope="module")
def outcomes(base, tmp_path_factory) -> dict:
    """Every case's workbook read as the pipeline reads it, all validated in one batch.

    id -> (expected issues, issues found, reading issues); "<id> typed" for the reader-enforced enums'
    typed-value cases."""
    folder = tmp_path_factory.mktemp("broken")
    clean_wb = openpyxl.load_workbook(base)
    books, expected, reads = {}, {}, {}

    def read(wb, name):
        path = folder / f"{len(books):03d}.xlsx"
        wb.save(path)
        books[name], reads[name] = read_typed_workbook(path, max_rows=1000)

    read(openpyxl.load_workbook(base), "clean")
    expected["clean"] = set()
    for case in CASES:
        wb = openpyxl.load_workbook(base)
        cells = break_rule(wb, case)
        read(wb, case.id)
        expected[case.id] = _expected(case, cells, clean_wb)
        if _enforced_by_the_reader(case):
            name = f"{case.id} typed"
            read(openpyxl.load_workbook(base), name)
            _typed_break(books[name], case, cells[0])
            meta = case.expectation["meta"]
            expected[name] = {(_rule(case), meta["code"], case.sheet, cells[0], meta["severity"])}
            reads[case.id] = {(i.rule, i.sheet, i.cell, i.severity) for i in reads[case.id]} ^ {
                ("not_enum", case.sheet, cells[0], ERROR)
            }  # empty: the reader refused the value, and only that
    found = validate_batch(books)
    return {name: (expected[name], {_issue_key(i) for i in found[name]}, reads[name]) for name in books}


def test_a_clean_workbook_gets_no_issue(outcomes):
    expected, found, read_issues = outcomes["clean"]
    assert read_issues == []
    assert found == expected == set()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_workbook_breaking_one_suite_rule_gets_exactly_its_issue(case, outcomes):
    expected, found, read_issues = outcomes[case.id]
    assert not read_issues, "the break must be a value the reader accepts (an enum's: refuses with not_enum), so that the suite sees it"
    assert found == expected
    if _enforced_by_the_reader(case):
        typed_expected, typed_found, _ = outcomes[f"{case.id} typed"]
        assert typed_found == typed_expected, "the suite's own rule, on a value past the reader"


def test_every_suite_rule_has_a_case():
    """The generator breaks every expectation type the suites use (a new type fails here, not silently)."""
    expectations = [e for sheet in load_spec().sheets for e in load_suite(sheet)["expectations"]]
    ranges = [e for e in expectations if e["kwargs"].get("min_value") is not None and e["kwargs"].get("max_value") is not None]
    assert ranges, "the suites have ranges with two bounds"
    assert len(CASES) == len(expectations) + len(ranges) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(ALSO) <= {c.id for c in CASES}, "a consequence listed for a rule that no longer exists"
