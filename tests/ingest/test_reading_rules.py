"""Every reading rule of the submission spec, on messy-but-valid workbooks (messy_files.py).

Each test reads its workbook with both readers — openpyxl, and the fast path (fastexcel) that
large tables take — and checks the exact typed values and the exact issues.
"""

from __future__ import annotations

import datetime as dt
import sys
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import messy_files as mf  # noqa: E402
from smartdd.ingest.coerce import coerce_sheet  # noqa: E402
from smartdd.ingest.reader import read_workbook  # noqa: E402

from smartdd.records import ERROR, INFO, WARNING  # noqa: E402
from smartdd.spec import load_spec  # noqa: E402

OPENPYXL_ONLY = 2**62  # no table is that large: every sheet goes through openpyxl
FAST_ALWAYS = 0  # every table without percent fields goes through fastexcel
DTYPES = {"int": "Int64", "number": "Float64", "pct": "Float64", "yn": "boolean", "date": "object"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return mf.Corpus(tmp_path_factory.mktemp("messy"))


@pytest.fixture(params=[OPENPYXL_ONLY, FAST_ALWAYS], ids=["openpyxl", "fast"])
def read(request):
    """Read and coerce a workbook: (frames by sheet, issues as (sheet, cell, severity, rule) tuples, issues)."""

    def read(path: Path):
        raw = read_workbook(path, fast_min_bytes=request.param)
        issues = list(raw.issues)
        frames = {name: coerce_sheet(sheet, issues).frame for name, sheet in raw.sheets.items()}
        return frames, {(i.sheet, i.cell, i.severity, i.rule) for i in issues}, issues

    return read


def expected_table(name: str, rows: list[dict]) -> pd.DataFrame:
    def typed(f, value):
        return {"Y": True, "N": False}.get(value, value) if f.type == "yn" else value

    sheet = load_spec().sheet(name)
    return pd.DataFrame({f.name: pd.array([typed(f, row.get(f.name)) for row in rows], dtype=DTYPES.get(f.type, "string")) for f in sheet.fields})


def assert_table(frame: pd.DataFrame, name: str, rows: list[dict], excel_rows: list[int] | None = None) -> None:
    pd.testing.assert_frame_equal(frame.drop(columns="_row"), expected_table(name, rows))
    if excel_rows is not None:
        assert frame["_row"].tolist() == excel_rows


def value(frames, sheet: str, field: str, index: int = 0):
    got = frames[sheet][field].iloc[index]
    return None if got is pd.NA or got is None else got


def tape_with(**changes) -> list[dict]:
    return [{**row, **{k: v[i] for k, v in changes.items() if i < len(v)}} for i, row in enumerate(mf.LOAN_TAPE)]


# ---- sheets --------------------------------------------------------------------------------


def test_clean_workbook_reads_exactly(corpus, read):
    frames, issues, _ = read(corpus(mf.clean))
    assert issues == set()
    assert frames["Cover"].iloc[0].to_dict() == mf.COVER
    portfolio = frames["Portfolio"].iloc[0].to_dict()
    assert portfolio == {k: float(v) for k, v in mf.PORTFOLIO.items()}
    assert frames["Portfolio"]["active_borrowers"].dtype == "Int64"
    for name, rows in {**mf.TABLES, "CP_Assessment": mf.CP_ASSESSMENT_READ}.items():
        assert_table(frames[name], name, rows, excel_rows=list(range(2, len(rows) + 2)))


def test_sheet_names_match_whatever_the_case_and_spaces(corpus, read):
    frames, issues, _ = read(corpus(mf.sheet_names_in_other_case))
    assert issues == set()
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE)
    assert value(frames, "Portfolio", "par30") == 125_000.0
    assert_table(frames["Complaints"], "Complaints", mf.COMPLAINTS)


def test_unknown_sheet_is_ignored_with_info(corpus, read):
    frames, issues, _ = read(corpus(mf.unknown_sheet))
    assert issues == {("Notes", "", INFO, "unknown_sheet")}
    assert "Notes" not in frames


def test_header_found_below_a_title_keeps_excel_row_numbers(corpus, read):
    frames, issues, _ = read(corpus(mf.header_below_title))
    assert issues == set()
    assert_table(frames["Products"], "Products", mf.PRODUCTS, excel_rows=[5, 6])
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE, excel_rows=[5, 6, 7, 8])
    assert value(frames, "Cover", "investee_id") == "MFI01"


def test_columns_in_any_order(corpus, read):
    frames, issues, _ = read(corpus(mf.columns_in_any_order))
    assert issues == set()
    assert_table(frames["Products"], "Products", mf.PRODUCTS)
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE)


def test_unknown_column_is_ignored_with_a_warning(corpus, read):
    frames, issues, all_issues = read(corpus(mf.unknown_column))
    assert issues == {("Products", "S1", WARNING, "unknown_column"), ("Loan_Tape", "T1", WARNING, "unknown_column")}
    assert "'notes'" in all_issues[0].message
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE)


def test_missing_required_column_is_an_error(corpus, read):
    frames, issues, _ = read(corpus(mf.missing_required_column))
    assert issues == {("Complaints", "A1", ERROR, "missing_column"), ("Loan_Tape", "A1", ERROR, "missing_column")}  # phone is optional
    assert frames["Complaints"]["resolved"].isna().all() and len(frames["Complaints"]) == 2
    assert frames["Loan_Tape"]["gender"].isna().all()
    assert frames["Loan_Tape"]["loan_id"].tolist() == [r["loan_id"] for r in mf.LOAN_TAPE]


def test_key_values_by_code_in_any_order_with_unknown_and_duplicate_codes(corpus, read):
    frames, issues, _ = read(corpus(mf.key_values_shuffled))
    assert issues == {("Portfolio", "A23", WARNING, "unknown_code"), ("Portfolio", "A24", ERROR, "duplicate_code")}
    assert frames["Portfolio"].iloc[0].to_dict() == {k: float(v) for k, v in mf.PORTFOLIO.items()}  # the first par30 is kept


# ---- numbers, percentages, dates, flags ----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 234,5", 1234.5),
        ("1,234.50", 1234.5),
        ("1.234,5", 1234.5),
        ("1\u00a0234\u00a0567", 1_234_567.0),
        ("1,234,567", 1_234_567.0),
        ("  2500000 ", 2_500_000.0),
        ("-12", -12.0),
        (2_500_000, 2_500_000.0),
    ],
)
def test_numbers_typed_as_text_are_read(corpus, read, typed, expected):
    frames, issues, _ = read(corpus(mf.value_in_portfolio, "gross_loan_portfolio", typed))
    assert issues == set()
    assert value(frames, "Portfolio", "gross_loan_portfolio") == expected


@pytest.mark.parametrize(
    ("typed", "expected_words"), [("1,234", "could be 1234 or 1.234"), ("12abc", "a number"), ("nan", "not a finite number"), ("1.2.3", "a number")]
)
def test_unreadable_or_ambiguous_numbers_are_errors_naming_the_cell(corpus, read, typed, expected_words):
    frames, issues, all_issues = read(corpus(mf.value_in_portfolio, "gross_loan_portfolio", typed))
    assert issues == {("Portfolio", "C5", ERROR, "not_number")}
    assert f"'{typed}'" in all_issues[0].message and expected_words in all_issues[0].message
    assert value(frames, "Portfolio", "gross_loan_portfolio") is None


def test_a_fraction_in_an_int_field_is_an_error(corpus, read):
    frames, issues, _ = read(corpus(mf.value_in_portfolio, "active_borrowers", 12.5))
    assert issues == {("Portfolio", "C2", ERROR, "not_int")}


@pytest.mark.parametrize(
    ("typed", "number_format", "expected"),
    [
        (12, None, 12.0),
        ("12 %", None, 12.0),
        ("12%", None, 12.0),
        ("12,5 %", None, 12.5),
        (0.12, "0%", 12.0),
        (0.125, "0.0%", 12.5),
        (1, "0%", 100.0),
        (0, None, 0.0),
    ],
)
def test_percent_fields_are_in_percent_units(corpus, read, typed, number_format, expected):
    frames, issues, _ = read(corpus(mf.value_in_portfolio, "credit_bureau_checked_pct", typed, number_format))
    assert issues == set()
    assert value(frames, "Portfolio", "credit_bureau_checked_pct") == pytest.approx(expected, rel=1e-15)


def test_a_plain_fraction_in_a_percent_field_is_kept_with_a_warning(corpus, read):
    frames, issues, all_issues = read(corpus(mf.value_in_portfolio, "credit_bureau_checked_pct", 0.5))
    assert issues == {("Portfolio", "C19", WARNING, "pct_below_one")}
    assert "did you mean 50 %?" in all_issues[0].message
    assert value(frames, "Portfolio", "credit_bureau_checked_pct") == 0.5


def test_percent_cells_in_a_table(corpus, read):
    frames, issues, _ = read(corpus(mf.percent_cells_in_products))
    assert issues == {("Products", "K6", WARNING, "pct_below_one")}
    assert frames["Products"]["upfront_fee_pct"].tolist() == [12.0, 12.0, 12.0, 12.0, 0.5]


@pytest.mark.parametrize(
    ("typed", "number_format"),
    [
        (dt.date(2024, 3, 31), "yyyy-mm-dd"),
        (dt.datetime(2024, 3, 31, 17, 45), "dd/mm/yyyy hh:mm"),
        (dt.date(2024, 3, 31), "d-mmm-yy"),
        ("2024-03-31", None),
        (" 2024-03-31 ", None),
    ],
)
def test_real_dates_and_iso_text_dates_are_read(corpus, read, typed, number_format):
    frames, issues, _ = read(corpus(mf.period_end_as, typed, number_format))
    assert issues == set()
    assert value(frames, "Cover", "period_end") == dt.date(2024, 3, 31)


@pytest.mark.parametrize(
    ("typed", "expected_words"), [("31/03/2024", "YYYY-MM-DD"), ("March 31, 2024", "YYYY-MM-DD"), ("2024-02-30", "a real date"), (45382, "YYYY-MM-DD")]
)
def test_other_dates_are_errors(corpus, read, typed, expected_words):
    frames, issues, all_issues = read(corpus(mf.period_end_as, typed))
    assert issues == {("Cover", "C6", ERROR, "not_date")}
    assert expected_words in all_issues[0].message
    assert value(frames, "Cover", "period_end") is None


def test_dates_in_the_loan_tape(corpus, read):
    frames, issues, all_issues = read(corpus(mf.dates_in_loan_tape))
    july_15 = dt.date(2023, 7, 15)
    assert frames["Loan_Tape"]["disbursement_date"].tolist() == [july_15, july_15, july_15, july_15, None, None, None, None, None]
    assert issues == {("Loan_Tape", f"J{row}", ERROR, "not_date") for row in (6, 7, 8, 9, 10)}
    # '15/07/2023', '2023-07-15 00:00:00' typed as text, '2023-02-30', 45122 without a date format, a time of day:
    # a loan-tape message names the cell, never its value
    use = "disbursement_date: the value in this cell is not a date: use an Excel date or text written YYYY-MM-DD."
    assert [i.message for i in all_issues] == [use, use, "disbursement_date: the value in this cell is not a real date (YYYY-MM-DD).", use, use]


def test_yes_no_in_english_french_spanish_and_true_false_1_0(corpus, read):
    frames, issues, all_issues = read(corpus(mf.yes_no_spellings))
    expected = [True, False, True, False, True, False, True, True, True, False, True, False, True, False, True, False, None]
    assert [None if v is pd.NA else v for v in frames["Loan_Tape"]["rural"]] == expected
    assert issues == {("Loan_Tape", "G18", ERROR, "not_yn")}
    assert (
        all_issues[0].message == "rural: the value in this cell is not Y or N (Yes/No, Oui/Non, Sí/No, TRUE/FALSE, 1/0)."
    )  # no 'maybe': loan-tape values stay unquoted


# ---- formulas and error cells ---------------------------------------------------------------


def test_formulas_are_read_by_their_cached_value(corpus, read):
    frames, issues, all_issues = read(corpus(mf.formulas))
    assert value(frames, "Portfolio", "gross_loan_portfolio") == 2_500_000.0
    assert value(frames, "Portfolio", "par90") == 50_000.0
    assert value(frames, "Loan_Tape", "installment_amount", 0) == 466.67
    assert value(frames, "Loan_Tape", "branch", 1) == "El Alto"
    assert value(frames, "Loan_Tape", "monthly_income", 3) is None  # a formula whose result is ""
    assert issues == {
        ("Portfolio", "C2", ERROR, "formula_without_value"),  # required
        ("Portfolio", "C11", WARNING, "formula_without_value"),  # optional
        ("Loan_Tape", "L4", ERROR, "formula_without_value"),
    }
    assert all("Open the file in Excel, let it calculate, save it" in i.message for i in all_issues)
    assert value(frames, "Portfolio", "active_borrowers") is None


def test_error_cells_are_errors_naming_the_cell(corpus, read):
    frames, issues, all_issues = read(corpus(mf.error_cells))
    assert issues == {
        ("Portfolio", "C7", ERROR, "error_cell"),
        ("Loan_Tape", "M3", ERROR, "error_cell"),
        ("Loan_Tape", "B4", ERROR, "error_cell"),
        ("Loan_Tape", "K5", ERROR, "error_cell"),
    }
    messages = {i.cell: i.message for i in all_issues}
    assert messages["C7"] == "par30: the cell shows the Excel error #DIV/0!; expected a number."
    assert messages["K5"] == "maturity_date: the cell shows the Excel error #VALUE!; expected a date."
    assert "#N/A" in messages["M3"] and "#N/A" in messages["B4"]
    assert value(frames, "Portfolio", "par30") is None
    assert value(frames, "Loan_Tape", "client_id", 2) is None


# ---- text ------------------------------------------------------------------------------------


def test_ids_keep_leading_zeros_and_numbers_in_text_cells_become_text(corpus, read):
    frames, issues, _ = read(corpus(mf.ids_and_numbers_as_text))
    assert issues == set()
    tape = frames["Loan_Tape"]
    assert tape["client_id"].tolist()[:2] == ["000123", "4567"]
    assert tape["loan_id"].tolist()[1] == "123"
    assert tape["national_id"].tolist()[2] == "1234567.25"
    assert tape["branch"].tolist()[2:] == ["N/A", "null"]
    assert value(frames, "Cover", "country") == "NA"
    assert value(frames, "Cover", "prepared_by") == "None"


def test_numbers_as_text_in_the_loan_tape(corpus, read):
    frames, issues, all_issues = read(corpus(mf.numbers_as_text_in_loan_tape))
    amounts = [None if v is pd.NA else v for v in frames["Loan_Tape"]["disbursed_amount"]]
    assert amounts == [1234.5, 1234.5, 1234.5, 1234.0, 42.0, 123.0, 1000.0, None, None, None, None, None, None, None]
    days = [None if v is pd.NA else v for v in frames["Loan_Tape"]["days_past_due"]]
    assert days == [None, None, None, 1234, 42, 123, 1000, None, None, None, None, None, None, None]
    bad_amounts = {("Loan_Tape", f"L{row}", ERROR, "not_number") for row in (9, 10, 11, 12, 14, 15)}
    bad_days = {("Loan_Tape", f"N{row}", ERROR, "not_int") for row in (2, 3, 4, 9, 10, 11, 12, 14, 15)}
    assert issues == bad_amounts | bad_days
    shown = {i.cell: i.message for i in all_issues}
    assert shown["L9"].startswith("disbursed_amount: the value in this cell is not an unambiguous number ('1,234' could be 1234")
    assert shown["L12"] == "disbursed_amount: the value in this cell is not a finite number (it is infinite, or NaN)."  # 'inf'
    assert shown["L14"] == shown["L15"] == "disbursed_amount: the value in this cell is not a number."  # TRUE, a date


def test_duplicate_column_reads_the_first_with_a_warning(corpus, read):
    frames, issues, _ = read(corpus(mf.duplicate_column))
    assert issues == {("Loan_Tape", "T1", WARNING, "duplicate_column")}
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE)


def test_missing_sheet_code_and_header_are_errors(corpus, read):
    frames, issues, _ = read(corpus(mf.missing_sheet_code_and_header))
    assert issues == {("Complaints", "", ERROR, "missing_sheet"), ("Cover", "", ERROR, "missing_code"), ("Products", "A1", ERROR, "no_header")}
    assert set(frames) == {"Cover", "Portfolio", "CP_Assessment"}
    assert value(frames, "Cover", "currency") is None


# ---- rows --------------------------------------------------------------------------------------


def test_empty_rows_are_skipped(corpus, read):
    frames, issues, _ = read(corpus(mf.empty_rows, 19))
    assert issues == set()
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE, excel_rows=[2, 5, 6, 26])


def test_rows_below_a_block_of_20_empty_rows_are_not_read_and_said(corpus, read):
    frames, issues, all_issues = read(corpus(mf.empty_rows, 20))
    assert issues == {("Loan_Tape", "27:27", WARNING, "rows_below_empty_block")}
    assert all_issues[0].message.startswith("Row 27, below row 6 and 20 empty rows, was not read: 20 empty rows end a table.")
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE[:3], excel_rows=[2, 5, 6])


def test_row_limit(corpus):
    for fast_min_bytes in (OPENPYXL_ONLY, FAST_ALWAYS):
        raw = read_workbook(corpus(mf.clean), max_rows=3, fast_min_bytes=fast_min_bytes)
        assert [(i.sheet, i.severity, i.rule) for i in raw.issues] == [("Loan_Tape", ERROR, "too_many_rows")]
        assert raw.sheets["Loan_Tape"].rows == [2, 3, 4]


@pytest.mark.parametrize("ref", ["A1:A1", "A1:B2", "C3:D4"])
def test_an_understated_dimension_drops_no_row(corpus, read, ref):
    frames, issues, _ = read(corpus(mf.lying_dimension, ref))
    assert issues == set()
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE, excel_rows=[2, 3, 4, 5])
    assert frames["Portfolio"].iloc[0].to_dict() == {k: float(v) for k, v in mf.PORTFOLIO.items()}


def test_an_overstated_dimension_does_not_blow_memory(corpus, read):
    path = corpus(mf.lying_dimension, "A1:XFD1048576")
    tracemalloc.start()
    frames, issues, _ = read(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert issues == set()
    assert_table(frames["Loan_Tape"], "Loan_Tape", mf.LOAN_TAPE)
    assert peak < 50 * 2**20  # memory, not seconds: a 16,384 × 1,048,576 grid is never materialised


def test_merged_cells_give_their_value_to_the_top_left_cell_only(corpus, read):
    frames, issues, _ = read(corpus(mf.merged_cells))
    assert issues == set()
    assert_table(frames["Products"], "Products", mf.PRODUCTS, excel_rows=[3, 4])
    assert_table(frames["Loan_Tape"], "Loan_Tape", tape_with(branch=["El Alto", None]))
