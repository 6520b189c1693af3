"""The feedback's problem rows: the value found in the cell and what the rule expects, in the investee's
language; a client-data (PII) value never appears anywhere in the feedback workbook."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook
from smartdd.expectations.feedback import write_feedback

from smartdd.messages import catalogue, problem
from smartdd.records import ERROR, WARNING, SubmissionRecord

PII = ("Ada Lovelace", "+254700000", "AB123456", "CL-77")
EXPECTED = {
    "en": ("value found", "what is expected", "a number ≥ 0", "a date not after 2026-09-30", "(client data, not copied)", "one of: Yes, Partially, No"),
    "fr": (
        "valeur trouvée",
        "attendu",
        "un nombre ≥ 0",
        "une date non postérieure au 2026-09-30",
        "(donnée client, non recopiée)",
        "l'une de ces valeurs : Oui, Partiellement, Non",
    ),
    "es": (
        "valor encontrado",
        "lo esperado",
        "un número ≥ 0",
        "una fecha no posterior al 2026-09-30",
        "(dato de cliente, no copiado)",
        "uno de estos valores: Sí, Parcialmente, No",
    ),
}


def _record(language: str) -> SubmissionRecord:
    return SubmissionRecord("s1", "mfi.xlsx", "", dt.datetime(2026, 10, 1, tzinfo=dt.UTC), "rejected", "", language=language)


def _original(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Portfolio"
    ws.append(["field", "value"])
    ws.append(["active_borrowers", '=HYPERLINK("http://x")'])
    ws["B2"].data_type = "s"  # text that looks like a formula
    ws.append(["par30", -5])
    ws.append(["par90", None])
    tape = wb.create_sheet("Loan_Tape")
    tape.append(["loan_id", "client_id", "client_name", "phone", "national_id", "disbursement_date"])
    tape.append(["L1", PII[3], PII[0], PII[1], PII[2], dt.datetime(2026, 10, 15)])
    sa = wb.create_sheet("CP_Assessment")
    sa.append(["indicator_code", "response"])
    sa.append(["CP1", "Maybe"])
    wb.save(path)
    return path


def _issues():
    return [
        problem("Portfolio", "B3", ERROR, "at_least", field="par30", min=0),
        problem("Portfolio", "B2", WARNING, "required", field="active_borrowers"),
        problem("Portfolio", "B4", ERROR, "required", field="par90"),
        problem("Loan_Tape", "F2", ERROR, "after_period_end", field="disbursement_date", period_end="2026-09-30"),
        problem("Loan_Tape", "C2", ERROR, "text_too_long", field="client_name", length=40000, limit=32767),
        problem("Loan_Tape", "E2", ERROR, "unique", field="national_id"),
        problem("Loan_Tape", "B2", ERROR, "pattern", rule="client_id:pattern", field="loan_id"),  # a PII cell, whatever the field said
        problem("CP_Assessment", "B2", ERROR, "one_of", field="response", values=["Yes", "Partially", "No"]),
        problem("", "", ERROR, "corrupt"),
    ]


def _rows(path) -> dict[str, list]:
    ws = load_workbook(path)["Feedback"]
    return {f"{row[1].value or ''}!{row[2].value or ''}": [c.value for c in row] for row in ws.iter_rows(min_row=5)}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_a_broken_rule_shows_the_value_found_and_what_is_expected(tmp_path, lang):
    found, expected, at_least, not_after, client, one_of = EXPECTED[lang]
    path = write_feedback(tmp_path / "fb.xlsx", _record(lang), _issues(), original=_original(tmp_path / "mfi.xlsx"))
    header = [c.value for c in load_workbook(path)["Feedback"][4]]
    assert header[3:5] == [found, expected] and len(header) == 6
    rows = _rows(path)
    assert rows["Portfolio!B3"][3:5] == [-5, at_least]
    assert rows["Portfolio!B4"][3] == {"en": "(empty)", "fr": "(vide)", "es": "(vacía)"}[lang]
    assert rows["Loan_Tape!F2"][3:5] == ["2026-10-15", not_after]
    assert rows["CP_Assessment!B2"][3:5] == ["Maybe", one_of]
    assert rows["Loan_Tape!C2"][3] == rows["Loan_Tape!E2"][3] == rows["Loan_Tape!B2"][3] == client
    assert rows["!"][3:5] == [None, None]  # an unreadable file: nothing found, no expectation to state
    assert rows["Portfolio!B3"][5].startswith({"en": "Portfolio", "fr": "Le champ", "es": "El campo"}[lang])  # the message, as before
    formula = load_workbook(path)["Feedback"]
    cell = next(c for c in formula["D"] if isinstance(c.value, str) and c.value.startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # the investee's formula-looking text stays text


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_english_left_in_the_found_and_expected_columns(tmp_path, lang):
    path = write_feedback(tmp_path / "fb.xlsx", _record(lang), _issues(), original=_original(tmp_path / "mfi.xlsx"))
    english = {v for v in catalogue("en")["expected"].values() if "{" not in v and not v.isdigit()} | {"(client data, not copied)", "(empty)", "required"}
    for values in _rows(path).values():
        for text in values[3:5]:
            assert text not in english
    assert "obligatoire" in _rows(path)["Portfolio!B2"][4] or "obligatorio" in _rows(path)["Portfolio!B2"][4]


@pytest.mark.parametrize("copied", [True, False])
def test_a_client_data_value_appears_nowhere_in_the_feedback(tmp_path, copied):
    original = _original(tmp_path / "mfi.xlsx")
    if not copied:  # a loan tape whose header cannot be found: its sheet is not copied, its values not shown
        wb = load_workbook(original)
        wb["Loan_Tape"].delete_rows(1)
        wb.save(original)
    issues = _issues() + [problem("Loan_Tape", cell, ERROR, "required", field="branch") for cell in ("A1", "B1", "C1", "D1", "E1")]
    path = write_feedback(tmp_path / "fb.xlsx", _record("en"), issues, original=original)
    wb = load_workbook(path)
    seen = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    seen += [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]
    for secret in PII:
        assert not any(secret in text for text in seen), secret
    assert ("Loan_Tape" in wb.sheetnames) is copied


def test_without_the_original_the_found_parameter_is_shown_never_for_a_client_field(tmp_path):
    issues = [
        problem("Portfolio", "C12", ERROR, "not_above", field="par90", other="par30", found=32221.1),
        problem("Loan_Tape", "D9", ERROR, "required", field="phone", found="+254700000"),
        problem("Cover", "B6", ERROR, "unreadable", field="fx_rate_usd", value="'abc'", problem="not_a_number"),
        problem("Cover", "B7", ERROR, "required_when", field="currency", other="country", value="KE"),
    ]
    rows = _rows(write_feedback(tmp_path / "fb.xlsx", _record("fr"), issues))
    assert rows["Portfolio!C12"][3:5] == [32221.1, "une valeur ≤ Portefeuille à risque à plus de 30 jours [par30]"]
    assert rows["Loan_Tape!D9"][3] == "(donnée client, non recopiée)"
    assert rows["Cover!B6"][3:5] == ["'abc'", "un nombre"]
    assert rows["Cover!B7"][3] is None  # `value` there is the other field's, not this cell's
