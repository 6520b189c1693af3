"""The feedback workbook: a summary, the investee's sheets copied back with the problems marked, no client data."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook, load_workbook
from smartdd.expectations.feedback import write_feedback

from smartdd.records import ERROR, WARNING, Issue, SubmissionRecord


def _record(language="en") -> SubmissionRecord:
    return SubmissionRecord("s1", "mfi.xlsx", "", dt.datetime(2026, 10, 1, tzinfo=dt.UTC), "rejected", "", language=language)


def _original(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Portfolio"
    ws.append(["field", "value"])
    ws.append(["active_borrowers", '=HYPERLINK("http://x")'])
    ws["B2"].data_type = "s"  # text that looks like a formula (a real formula is copied as its cached value)
    ws.append(["par30", 5])
    tape = wb.create_sheet("Loan_Tape")
    tape.append(["loan_id", "client_id", "client_name", "phone", "national_id", "outstanding"])
    tape.append(["L1", "C1", "Ada Lovelace", "+254700000", "123", 100])
    wb.create_sheet("Notes").append(["Ada Lovelace"])  # an unknown sheet: never copied
    wb.save(path)
    return path


def test_copied_sheets_mark_problems_and_omit_client_data(tmp_path):
    original = _original(tmp_path / "mfi.xlsx")
    issues = [
        Issue("Portfolio", "B3", ERROR, "le", "=cmd|' /C calc'!A0 par30 is above the portfolio."),
        Issue("Loan_Tape", "F2", WARNING, "min", "Outstanding looks small."),
        Issue("Loan_Tape", "C2", ERROR, "required", "A client name is expected."),
    ]
    path = write_feedback(tmp_path / "fb.xlsx", _record("es"), issues, original=original)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Feedback", "Summary", "Portfolio", "Loan_Tape"]
    portfolio = wb["Portfolio"]
    assert "par30 is above" in portfolio["B3"].comment.text and portfolio["B3"].fill.fgColor.rgb.endswith("F8CBAD")
    assert portfolio["B2"].value.startswith("=") and portfolio["B2"].data_type == "s"  # a copied formula stays text
    tape = wb["Loan_Tape"]
    cells = [c.value for row in tape.iter_rows() for c in row]
    for pii in ("client_name", "client_id", "phone", "national_id", "Ada Lovelace", "+254700000", "C1", "123"):
        assert pii not in cells
    assert tape["A1"].value == "loan_id" and tape["F2"].value == 100 and tape["F2"].comment is not None
    feedback = wb["Feedback"]
    messages = [c for c in feedback["F"] if isinstance(c.value, str) and c.value.startswith("=cmd")]
    assert messages and all(c.data_type == "s" for c in messages)
    summary = wb["Summary"]
    assert summary["B3"].value.startswith("Su envío NO") and summary["B4"].value == 2 and summary["B5"].value == 1


def test_without_original_the_feedback_keeps_its_rows(tmp_path):
    path = write_feedback(tmp_path / "fb.xlsx", _record(), [Issue("Cover", "B2", ERROR, "required", "x")])
    wb = load_workbook(path)
    assert wb.sheetnames == ["Feedback", "Summary"]
    assert wb["Feedback"]["A5"].value == "error" and wb["Feedback"]["A1"].value == "File: mfi.xlsx"


def test_a_client_sheet_without_a_header_is_not_copied(tmp_path):
    wb = Workbook()
    wb.active.title = "Loan_Tape"
    wb.active.append(["Ada Lovelace", "+254700000"])
    wb.save(tmp_path / "o.xlsx")
    path = write_feedback(tmp_path / "fb.xlsx", _record(), [Issue("Loan_Tape", "A1", ERROR, "no_header", "x")], original=tmp_path / "o.xlsx")
    assert "Loan_Tape" not in load_workbook(path).sheetnames
