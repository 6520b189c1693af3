"""The pipeline reads what Excel shows, and only what a submission can hold.

Each workbook is built here from messy_files' clean submission, then changed the way a tool
other than Excel (or a hand with a text editor) could save it: infinities and NaN in number
cells, two sheets named alike, a comment in the shared strings or in a sheet, Excel's day 60,
dates no report can hold, text longer than a cell. Each is read with both readers — openpyxl,
and the fast path (fastexcel) that large tables take — and must give the same issues.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import messy_files as mf  # noqa: E402
from smartdd.expectations.rules import business_rules  # noqa: E402
from smartdd.ingest.coerce import TypedSheet, coerce_sheet  # noqa: E402
from smartdd.ingest.lazy_workbook import parse_shared_strings  # noqa: E402
from smartdd.ingest.reader import read_workbook  # noqa: E402
from smartdd.ingest.xmlscan import _exact_scan, scan_sheet_xml, sheet_members  # noqa: E402

from smartdd.records import ERROR, WARNING  # noqa: E402
from smartdd.spec import load_spec  # noqa: E402

RECEIVED = dt.date(2024, 5, 2)  # a Q1 2024 submission, received in May


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return mf.Corpus(tmp_path_factory.mktemp("shows"))


@pytest.fixture(params=[2**62, 0], ids=["openpyxl", "fast"])
def read(request):
    """Read and coerce a workbook received on RECEIVED: (typed sheets, issues as (sheet, cell, severity, rule), issues)."""

    def read(path: Path, received: dt.date | None = RECEIVED):
        raw = read_workbook(path, fast_min_bytes=request.param)
        issues = list(raw.issues)
        sheets = {name: coerce_sheet(sheet, issues, received=received) for name, sheet in raw.sheets.items()}
        return sheets, {(i.sheet, i.cell, i.severity, i.rule) for i in issues}, issues

    return read


def value(sheets: dict[str, TypedSheet], sheet: str, field: str, index: int = 0):
    got = sheets[sheet].frame[field].iloc[index]
    return None if got is None or got is pd.NA or (isinstance(got, float) and pd.isna(got)) else got


def rewrite(path: Path, part: str, edit: Callable[[str], str], name: str) -> Path:
    """A copy of the workbook with one part's XML edited as text; `part` is a sheet title or a member name."""
    with zipfile.ZipFile(path) as zf:
        member = sheet_members(zf).get(part, part)
        parts = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    parts[member] = edit(parts[member].decode()).encode()
    target = path.with_name(f"{name}.xlsx")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for member_name, data in parts.items():
            zf.writestr(member_name, data)
    return target


def in_cell(cell: str, old: str, new: str) -> Callable[[str], str]:
    """An edit of one cell's element only."""

    def edit(xml: str) -> str:
        element = re.search(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)', xml).group()
        return xml.replace(element, element.replace(old, new), 1)

    return edit


# ---- numbers: finite and sane -------------------------------------------------------------


def huge_numbers(directory: Path) -> Path:
    """Infinity, NaN and 1e308, as number cells and as text, in Portfolio and in the loan tape."""
    drafts = mf.base()
    portfolio, tape = drafts["Portfolio"], drafts["Loan_Tape"]
    portfolio.formula(portfolio.code_cell("par30"), "<c><v>1E999</v></c>")  # Excel has no infinity: a hand-edited file
    portfolio.formula(portfolio.code_cell("active_borrowers"), "<c><v>NaN</v></c>")
    portfolio.set(portfolio.code_cell("gross_loan_portfolio"), "1e308")
    portfolio.set(portfolio.code_cell("write_offs_period"), 1e15)  # the bound itself: accepted
    portfolio.set(portfolio.code_cell("credit_bureau_checked_pct"), "2e15 %")
    tape.formula(tape.cell("disbursed_amount", 0), "<c><v>1E999</v></c>")
    tape.formula(tape.cell("disbursed_amount", 1), "<c><v>NaN</v></c>")
    tape.formula(tape.cell("outstanding_principal", 2), "<c><v>-1e308</v></c>")
    tape.set(tape.cell("days_past_due", 3), "1e308")
    tape.set(tape.cell("monthly_income", 0), "inf")
    return mf.write(directory, "huge_numbers", drafts)


def test_infinity_nan_and_implausibly_large_numbers_are_errors(corpus, read):
    sheets, issues, all_issues = read(corpus(huge_numbers))
    not_finite = {("Portfolio", "C7", "not_number"), ("Portfolio", "C2", "not_int"), ("Loan_Tape", "L2", "not_number"), ("Loan_Tape", "L3", "not_number")}
    not_finite |= {("Loan_Tape", "R2", "not_number")}
    too_large = {("Portfolio", "C5", "not_number"), ("Portfolio", "C19", "not_pct"), ("Loan_Tape", "M4", "not_number"), ("Loan_Tape", "N5", "not_int")}
    assert issues == {(sheet, cell, ERROR, rule) for sheet, cell, rule in not_finite | too_large}
    messages = {i.cell: i.message for i in all_issues if i.sheet == "Portfolio"}
    assert messages["C7"] == "par30: 'inf' is not a finite number (it is infinite, or NaN)."
    assert messages["C5"] == "gross_loan_portfolio: '1e308' is implausibly large: more than 1,000,000,000,000,000 in absolute value."
    tape = {i.cell: i.message for i in all_issues if i.sheet == "Loan_Tape"}
    assert tape["L3"] == "disbursed_amount: the value in this cell is not a finite number (it is infinite, or NaN)."
    assert tape["M4"] == "outstanding_principal: the value in this cell is implausibly large: more than 1,000,000,000,000,000 in absolute value."
    for field in ("par30", "active_borrowers", "gross_loan_portfolio", "credit_bureau_checked_pct"):
        assert value(sheets, "Portfolio", field) is None  # never accepted
    assert value(sheets, "Portfolio", "write_offs_period") == 1e15
    tape_frame = sheets["Loan_Tape"].frame
    assert tape_frame["disbursed_amount"].isna().tolist() == [True, True, False, False]
    assert tape_frame["days_past_due"].isna().tolist() == [False, False, False, True]


def test_the_magnitude_bound_is_one_spec_setting():
    assert load_spec().plausibility.max_abs_number == 1e15


# ---- sheet names -------------------------------------------------------------------------


def cover_twice(directory: Path) -> Path:
    """A second sheet named COVER beside Cover (Excel refuses it; the XML can say it)."""
    drafts = mf.base()
    drafts["Cover copy"] = mf.Draft("Cover", [list(row) for row in drafts["Cover"].rows], title="COVERCOPY")
    drafts["Cover copy"].set(drafts["Cover copy"].code_cell("investee_id"), "MFI99")
    path = mf.write(directory, "cover_twice_source", drafts)
    return rewrite(path, "xl/workbook.xml", lambda xml: xml.replace('name="COVERCOPY"', 'name="COVER"'), "cover_twice")


def test_two_sheets_whose_names_differ_only_in_case_reject_the_workbook(corpus, read):
    sheets, issues, all_issues = read(corpus(cover_twice))
    assert issues == {("Cover", "", ERROR, "duplicate_sheet")}
    assert "'Cover' and 'COVER'" in all_issues[0].message
    assert "Cover" not in sheets  # neither is read: which one the investee meant is a guess


# ---- a real XML parser decides what the workbook holds -------------------------------------


def comment_in_shared_strings(directory: Path) -> Path:
    """The shared-string table with a comment holding a string-like element after its first string."""
    shared = mf.with_shared_strings(mf.clean(directory))
    return rewrite(shared, "xl/sharedStrings.xml", lambda xml: xml.replace("</si>", "</si><!-- <si><t>Fake</t></si> -->", 1), "comment_in_strings")


def test_a_comment_in_the_shared_strings_moves_no_string(corpus, read):
    expected, expected_issues, _ = read(corpus(mf.clean))
    sheets, issues, _ = read(corpus(comment_in_shared_strings))
    assert issues == expected_issues == set()
    for name in expected:
        pd.testing.assert_frame_equal(sheets[name].frame, expected[name].frame)


@pytest.mark.parametrize(
    "hidden",
    ["<!-- <si><t>Fake</t></si> -->", "<?fake <si><t>Fake</t></si> ?>", "<si><t><![CDATA[Real]]></t></si><!--<si/>-->"],
    ids=["comment", "processing-instruction", "cdata"],
)
def test_shared_strings_are_what_an_xml_parser_reads(hidden):
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    xml = f"<sst {ns}><si><t>Real</t></si>{hidden}<si><t>Next</t></si></sst>".encode()
    strings = list(parse_shared_strings(xml))
    assert strings == (["Real", "Real", "Next"] if "CDATA" in hidden else ["Real", "Next"])


def fake_cells_in_sheet_xml(directory: Path) -> Path:
    """Loan_Tape XML with markup that is not markup: a commented-out error cell, and a CDATA text that reads like one."""
    path = mf.clean(directory)

    def edit(xml: str) -> str:
        xml = xml.replace('<row r="3"', '<!-- <c r="L2" t="e"><v>#N/A</v></c> --><row r="3"', 1)
        return in_cell("H3", "<t>El Alto</t>", '<t><![CDATA[<c r="M3" t="e"><v>#N/A</v></c>]]></t>')(xml)

    return rewrite(path, "Loan_Tape", edit, "fake_cells")


def test_markup_inside_a_comment_or_cdata_fakes_no_cell(corpus, read):
    sheets, issues, _ = read(corpus(fake_cells_in_sheet_xml))
    assert issues == set()
    assert value(sheets, "Loan_Tape", "disbursed_amount", 0) == mf.LOAN_TAPE[0]["disbursed_amount"]
    assert value(sheets, "Loan_Tape", "branch", 1) == '<c r="M3" t="e"><v>#N/A</v></c>'  # what Excel shows in H3


def test_a_comment_in_workbook_xml_adds_no_sheet(tmp_path):
    path = mf.clean(tmp_path)
    hidden = '<!-- <sheet name="Loan_Tape" sheetId="99" r:id="rId1"/> -->'
    path = rewrite(path, "xl/workbook.xml", lambda xml: xml.replace("<sheets>", f"<sheets>{hidden}"), "comment_in_workbook")
    with zipfile.ZipFile(path) as zf:
        assert list(sheet_members(zf)) == list(mf.base())


ROWS = [
    '<c r="A1" t="inlineStr"><is><t>says t="e" and t="b" and \'e\'</t></is></c><c r="B1"><f>IF(t="e",1,2)</f><v>1</v></c>',
    '<c r="A2" t="e"><v>#N/A</v></c><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="C2" t="b"><v>1</v></c>',
    '<c r="A3"><f>SUM(B1:B2)</f></c><c r="B3"><f>1+1</f><v/></c><c r="C3" t="str"><f>IF(1,"","")</f><v></v></c><c r="D3"><f t="shared" si="0"/></c>',
    "<c t='e' r='A4'>\n  <v>#REF!</v>\n</c ><c s=\"1\" t='s' r=\"B4\"><v>0</v></c><c r=\"C4\" t = 'b'><v>0</v></c><c  r='D4'\tt=\"inlineStr\"><is><t>x</t></is></c>",
    '<c r="A5" x=\' t="e"\' t="n"><v>5</v></c><c r="B5" t="str"><f>A1</f><v>x</v></c><c r="C5"><v>45382</v></c><c r="D5" t="e"/>',
]


def sheet_zip(rows: list[str], extra: str = "", prefix: str = "") -> zipfile.ZipFile:
    p = f"{prefix}:" if prefix else ""
    body = "".join(f'<row r="{n}">{row}</row>' for n, row in enumerate(rows, start=1))
    if prefix:
        body = re.sub(r"<(/?)(row|c|f|v|is|t)\b", rf"<\1{p}\2", body)
    xmlns = f' xmlns:{prefix}="main"' if prefix else ' xmlns="main"'
    xml = f"<{p}worksheet{xmlns}>{extra}<{p}sheetData>{body}</{p}sheetData></{p}worksheet>".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("sheet.xml", xml)
    return zipfile.ZipFile(buffer)


@pytest.mark.parametrize("prefix", ["", "x"])
@pytest.mark.parametrize("extra", ["", "<!-- a comment: the exact scan reads this sheet -->", "<?pi here?>"], ids=["plain", "comment", "pi"])
def test_the_fast_scan_finds_what_expat_finds_in_any_spelling(prefix, extra):
    """Attributes in any order and quote, whitespace between elements: the regex scan and the expat scan agree."""
    columns = {"text_in": ["A", "B", "D"], "bools_in": ["A", "C"]}
    zf = sheet_zip(ROWS, extra, prefix)
    scanned, exact = scan_sheet_xml(zf, "sheet.xml", **columns), _exact_scan(zf, "sheet.xml", columns["text_in"], columns["bools_in"])
    assert scanned == exact
    assert exact.errors == {"A2": "#N/A", "B2": "#DIV/0!", "A4": "#REF!"}
    assert exact.uncached_formulas == {"A3", "B3", "D3"}
    assert exact.text_rows == {"A": [1], "B": [4, 5], "D": [4]}
    assert exact.bool_rows == {"A": [], "C": [2, 4]}


# ---- Excel's day 60, and dates no report can hold ----------------------------------------


def phantom_leap_day(directory: Path) -> Path:
    """Excel's serial 60 (29 Feb 1900, which never existed) as the period end and as a disbursement date; 59 beside it."""
    drafts = mf.base()
    cover, tape = drafts["Cover"], drafts["Loan_Tape"]
    cell = cover.code_cell("period_end")
    cover.set(cell, dt.date(1900, 2, 28))  # written as serial 59...
    cover.formats[cell] = "yyyy-mm-dd"
    for index in (0, 1):
        tape.set(tape.cell("disbursement_date", index), dt.date(1900, 2, 28))
        tape.formats[tape.cell("disbursement_date", index)] = "yyyy-mm-dd"
    path = mf.write(directory, "day_59", drafts)
    path = rewrite(path, "Cover", in_cell(cell, "<v>59</v>", "<v>60</v>"), "day_60_cover")  # ...then made 60
    return rewrite(path, "Loan_Tape", in_cell(tape.cell("disbursement_date", 0), "<v>59</v>", "<v>60</v>"), "day_60")


def test_excels_phantom_29_february_1900_is_an_error(corpus, read):
    sheets, issues, all_issues = read(corpus(phantom_leap_day))
    assert issues == {("Cover", "C6", ERROR, "not_date"), ("Loan_Tape", "J2", ERROR, "not_date"), ("Loan_Tape", "J3", ERROR, "implausible_date")}
    messages = {i.cell: i.message for i in all_issues}
    assert messages["C6"] == "period_end: '1900-02-29' is not a real date: Excel shows 29 Feb 1900 (its day number 60), a day that never existed."
    assert "29 Feb 1900" in messages["J2"] and "1900" not in messages["J2"].split(":")[1]  # the loan tape's value is not quoted
    assert value(sheets, "Cover", "period_end") is None and value(sheets, "Loan_Tape", "disbursement_date", 0) is None


def implausible_dates(directory: Path, period_end: dt.date = dt.date(2024, 3, 31)) -> Path:
    drafts = mf.base()
    cover, tape = drafts["Cover"], drafts["Loan_Tape"]
    cover.set(cover.code_cell("period_end"), period_end)
    tape.set(tape.cell("disbursement_date", 0), dt.date(1989, 12, 31))  # before 1990
    tape.set(tape.cell("disbursement_date", 1), dt.date(2024, 5, 4))  # after the receipt (and its day of grace)
    tape.set(tape.cell("disbursement_date", 2), dt.date(2024, 5, 3))  # the day of grace: the investee's calendar may be ahead
    tape.set(tape.cell("maturity_date", 2), dt.date(2054, 4, 1))  # more than 30 years after the period end
    tape.set(tape.cell("maturity_date", 3), dt.date(2054, 3, 31))  # 30 years: still plausible
    for index in range(4):
        for column in ("disbursement_date", "maturity_date"):
            tape.formats[tape.cell(column, index)] = "yyyy-mm-dd"
    return mf.write(directory, f"dates_{period_end}", drafts)


def test_dates_before_1990_or_after_the_receipt_are_errors(corpus, read):
    sheets, issues, all_issues = read(corpus(implausible_dates))
    assert issues == {("Loan_Tape", "J2", ERROR, "implausible_date"), ("Loan_Tape", "J3", ERROR, "implausible_date")}
    messages = {i.cell: i.message for i in all_issues}
    assert messages["J2"] == "disbursement_date: the date in this cell is before 1990-01-01: not a plausible date for this report (check the year)."
    assert messages["J3"] == "disbursement_date: the date in this cell is after 2024-05-02, the day the file was received: it cannot be in the future."
    assert value(sheets, "Loan_Tape", "disbursement_date", 2) == dt.date(2024, 5, 3)
    late = [(i.cell, i.rule) for i in business_rules(sheets, load_spec()) if i.sheet == "Loan_Tape"]
    assert late == [("K4", "maturity_date:plausible")]  # K5, exactly 30 years after, is fine


def test_a_period_end_after_the_receipt_is_an_error_and_today_is_the_default_receipt(corpus, read):
    next_year = dt.date(dt.date.today().year + 1, 12, 31)
    _, issues, all_issues = read(corpus(implausible_dates, next_year), received=None)
    assert ("Cover", "C6", ERROR, "implausible_date") in issues
    assert f"'{next_year}' is after {dt.date.today():%Y-%m-%d}, the day the file was received" in all_issues[0].message


# ---- rows the empty block cuts off, text longer than a cell --------------------------------


def rows_below_the_block(directory: Path) -> Path:
    """The loan tape's last three loans below 25 empty rows (rows 2-2, then 28-30)."""
    drafts = mf.base()
    tape = drafts["Loan_Tape"]
    first, *rest = tape.rows[1:]
    tape.rows[1:] = [first, *([[]] * 25), *rest]
    return mf.write(directory, "rows_below", drafts)


def test_rows_below_the_empty_block_are_counted_in_a_warning(corpus, read):
    sheets, issues, all_issues = read(corpus(rows_below_the_block))
    assert issues == {("Loan_Tape", "28:30", WARNING, "rows_below_empty_block")}
    assert all_issues[0].message.startswith("3 rows below row 2 (rows 28 to 30) were not read: 20 empty rows end a table.")
    assert sheets["Loan_Tape"].frame["_row"].tolist() == [2]


def long_texts(directory: Path) -> Path:
    """Texts longer than a cell holds, written into the XML (openpyxl, like Excel, cuts them at 32,767)."""
    drafts = mf.base()
    cover, tape = drafts["Cover"], drafts["Loan_Tape"]
    cover.formula(cover.code_cell("institution_name"), f'<c t="inlineStr"><is><t>{"Crédito Andino " * 2_500}</t></is></c>')  # 37,500 characters
    tape.formula(tape.cell("branch", 1), f'<c t="inlineStr"><is><t>{"El Alto " * 4_096}!</t></is></c>')  # 32,769
    tape.set(tape.cell("branch", 2), "x" * 32_767)  # what a cell holds
    return mf.write(directory, "long_texts", drafts)


def test_text_longer_than_an_excel_cell_is_an_error(corpus, read):
    sheets, issues, all_issues = read(corpus(long_texts))
    assert issues == {("Cover", "C3", ERROR, "text_too_long"), ("Loan_Tape", "H3", ERROR, "text_too_long")}
    messages = {i.cell: i.message for i in all_issues}
    assert messages["H3"] == "branch: the text in this cell is 32,769 characters long; an Excel cell holds at most 32,767."
    assert value(sheets, "Cover", "institution_name") is None and value(sheets, "Loan_Tape", "branch", 1) is None
    assert len(value(sheets, "Loan_Tape", "branch", 2)) == 32_767


def broken_loan_tape_xml(directory: Path) -> Path:
    """Loan_Tape XML whose cell B3 is never closed: no reader should guess what it holds."""
    return rewrite(mf.clean(directory), "Loan_Tape", in_cell("B3", "</c>", ""), "broken_xml")


def test_a_sheet_that_is_not_well_formed_xml_is_an_error_for_that_sheet(corpus, read):
    sheets, issues, all_issues = read(corpus(broken_loan_tape_xml))
    assert issues == {("Loan_Tape", "", ERROR, "broken_sheet")}
    assert all_issues[0].message.startswith("Sheet 'Loan_Tape' cannot be read: the XML is not well formed (mismatched tag, line 1)")
    assert "Loan_Tape" not in sheets and "Cover" in sheets  # the other sheets are still read
