"""The same broken workbook in English, French and Spanish: the feedback says every problem in the
investee's language (the Cover's `language`), fields by their label with the code in brackets, and no
English sentence is left; the warehouse keeps the English message, the code and its parameters."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook
from smartdd.expectations.feedback import write_feedback
from smartdd.expectations.validate import validate_submission

from smartdd.messages import render
from smartdd.pipeline.workbook import _identify, _settle, new_record, read_typed_workbook
from smartdd.records import ReceivedFile
from smartdd.sample import write_samples

ENGLISH_WORDS = re.compile(r"\b(the|is|must|be|required|found|sheet|row|when|than|more|of|and|not)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    return write_samples(root, investees=1, quarters=1, loan_tape_rows=0, defects=False)[0]


def _broken(clean: Path, out: Path, lang: str) -> Path:
    """The clean workbook with legal_form blanked, par90 above par30 and a period end mid-quarter, in `lang`."""
    wb = openpyxl.load_workbook(clean)
    cover, portfolio = wb["Cover"], wb["Portfolio"]
    values = {row[0].value: row[0].row for row in cover.iter_rows(min_row=2)}
    cover.cell(values["legal_form"], 3).value = None
    cover.cell(values["language"], 3).value = lang
    cover.cell(values["period_end"], 3).value = "2026-08-15"
    rows = {row[0].value: row[0].row for row in portfolio.iter_rows(min_row=2)}
    portfolio.cell(rows["par90"], 3).value = portfolio.cell(rows["par30"], 3).value + 1
    path = out / f"broken_{lang}.xlsx"
    wb.save(path)
    return path


def _feedback(path: Path, out: Path):
    sheets, issues = read_typed_workbook(path, max_rows=1_000_000)
    issues = issues + validate_submission(sheets)
    received = ReceivedFile("0" * 64, path.stat().st_size, dt.datetime.now(dt.UTC), path, path.name)
    record = new_record(received)
    _identify(record, sheets)
    _settle(record, issues)
    written = write_feedback(out / f"{path.stem}_feedback.xlsx", record, issues, original=path)
    rows = list(load_workbook(written)["Feedback"].iter_rows(min_row=5, values_only=True))
    return record, issues, rows


def _prose(message: str) -> str:
    """A message without what is not prose: field codes in brackets, quoted values, numbers and dates."""
    return re.sub(r"\[[^\]]*\]|'[^']*'|«[^»]*»|\d[\d\s.,\u202f-]*", " ", message)


def test_french_and_spanish_feedback_has_no_english_sentence_left(clean, tmp_path):
    english_record, english_issues, english_rows = _feedback(_broken(clean, tmp_path, "en"), tmp_path)
    codes = sorted(i.code for i in english_issues)
    assert {"required", "not_above", "period_end_quarter_end"} <= set(codes) and english_record.status == "rejected"
    assert all(i.code for i in english_issues)  # every problem a code with parameters
    for lang, word in (("fr", "Le champ"), ("es", "El campo")):
        record, issues, rows = _feedback(_broken(clean, tmp_path, lang), tmp_path)
        assert record.language == lang and sorted(i.code for i in issues) == codes  # the same rules broken
        assert [i.message for i in issues] == [i.message for i in english_issues]  # the warehouse keeps English
        messages = [row[5] for row in rows]
        assert len(messages) == len(issues)
        for message in messages:
            assert not ENGLISH_WORDS.search(_prose(message)), f"{lang}: English left in {message!r}"
        for expected in (row[4] for row in rows if row[4]):  # what is expected, in that language too
            assert not ENGLISH_WORDS.search(_prose(expected)), f"{lang}: English left in {expected!r}"
        assert sum(bool(row[4]) for row in rows) == len(rows)  # every rule broken here states its expectation
        required = next(m for m in messages if "[legal_form]" in m)
        assert required.startswith(word) and ("Forme juridique [legal_form]" in required or "Forma jurídica [legal_form]" in required)


def test_english_feedback_reads_labels_and_the_warehouse_keeps_code_and_parameters(clean, tmp_path):
    _, issues, rows = _feedback(_broken(clean, tmp_path, "en"), tmp_path)
    required = next(i for i in issues if i.code == "required")
    assert required.message == "legal_form is required." and json.loads(required.params) == {"field": "legal_form"}
    assert "Legal form [legal_form] is required." in [row[5] for row in rows]
    par90 = next(i for i in issues if i.code == "not_above")
    assert par90.message == render("not_above", json.loads(par90.params))


def test_a_safety_rejection_is_said_in_the_investee_language(tmp_path):
    from smartdd.ingest.rejections import R_TEXT, RejectedFile, _too_large

    from smartdd.messages import reason_issue

    issues = [reason_issue(RejectedFile(R_TEXT).reason, "unreadable_file"), reason_issue(_too_large(200 * 2**20, 100 * 2**20), "unreadable_file")]
    assert issues[0].message == R_TEXT and issues[0].code == "text" and issues[1].rule == "unreadable_file"
    received = ReceivedFile("0" * 64, 1, dt.datetime.now(dt.UTC), tmp_path / "x.xlsx", "x.xlsx")
    record = new_record(received)
    record.language = "es"
    written = write_feedback(tmp_path / "fb.xlsx", record, issues)
    messages = [row[5] for row in load_workbook(written)["Feedback"].iter_rows(min_row=5, values_only=True)]
    assert messages[0].startswith("Este es un archivo de texto/CSV") and "200 MB" in messages[1] and "demasiado grande" in messages[1]


def test_without_a_cover_language_the_feedback_is_in_the_template_language(clean, tmp_path):
    from smartdd.spec.template import README_TEXT

    wb = openpyxl.load_workbook(clean)
    cover = wb["Cover"]
    row = next(r[0].row for r in cover.iter_rows(min_row=2) if r[0].value == "language")
    cover.cell(row, 3).value = None
    wb["README"]["A1"].value = README_TEXT["es"][0].format(version="1.0")  # a Spanish template
    wb.save(tmp_path / "blank_language.xlsx")
    sheets, issues = read_typed_workbook(tmp_path / "blank_language.xlsx", max_rows=1_000_000)
    record = new_record(ReceivedFile("0" * 64, 1, dt.datetime.now(dt.UTC), tmp_path / "x.xlsx", "x.xlsx"))
    _identify(record, sheets)
    assert record.language == "es"
    del wb["README"]
    wb.save(tmp_path / "no_readme.xlsx")
    _identify(record, read_typed_workbook(tmp_path / "no_readme.xlsx", max_rows=1_000_000)[0])
    assert record.language == "en"  # no Cover language, no template language: English
