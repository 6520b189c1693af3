"""The blank template: every spec sheet and field, drop-downs, the pre-filled self-assessment."""

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from smartdd.spec import load_catalogue, load_spec, normalise_name
from smartdd.spec.template import (
    KEY_VALUE_HEADER,
    RESPONSE_LABELS,
    VALUE_COLUMN,
    YES_NO_LABELS,
    build_template,
    write_template,
)

SPEC = load_spec()


@pytest.fixture(scope="module", params=["en", "fr", "es"])
def template(request, tmp_path_factory) -> tuple[str, openpyxl.Workbook]:
    """The template as written to disk and opened again, in each language."""
    lang = request.param
    path = write_template(tmp_path_factory.mktemp(lang) / "template.xlsx", lang)
    return lang, openpyxl.load_workbook(path)


def header(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1] if cell.value is not None}


def drop_down_values(ws, cell: str) -> list[str] | None:
    """The list offered in `cell`, or None when it has no drop-down."""
    for validation in ws.data_validations.dataValidation:
        if validation.type == "list" and any(cell in r for r in validation.sqref.ranges):
            return validation.formula1.strip('"').split(",")
    return None


def test_every_spec_sheet_is_there(template):
    _, wb = template
    for sheet in SPEC.sheets:
        assert sheet.name in wb.sheetnames


def test_key_value_sheets_list_every_field_in_order(template):
    _, wb = template
    for sheet in (s for s in SPEC.sheets if s.kind == "key_value"):
        ws = wb[sheet.name]
        assert tuple(c.value for c in ws[1]) == KEY_VALUE_HEADER
        codes = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
        assert codes == [f.name for f in sheet.fields]
        for row in ws.iter_rows(min_row=2, values_only=True):
            assert row[1], f"{sheet.name}.{row[0]} has no description"


def test_table_sheets_have_every_field_in_the_header_row(template):
    _, wb = template
    for sheet in (s for s in SPEC.sheets if s.kind == "table"):
        columns = header(wb[sheet.name])
        assert {f.name for f in sheet.fields} <= set(columns)
        unknown = set(columns) - {f.name for f in sheet.fields} - set(sheet.display_columns)
        assert not unknown, f"{sheet.name} has columns the spec does not know: {unknown}"


def test_enum_and_yn_fields_have_drop_downs(template):
    lang, wb = template
    for sheet in SPEC.sheets:
        ws = wb[sheet.name]
        for field in sheet.fields:
            if field.type not in ("enum", "yn"):
                continue
            if sheet.kind == "key_value":
                codes = [c.value for c in ws["A"]]
                cell = f"{get_column_letter(VALUE_COLUMN)}{codes.index(field.name) + 1}"
                cells = [cell]
            else:
                letter = get_column_letter(header(ws)[field.name])
                cells = [f"{letter}2", f"{letter}5000"]  # the list covers a long table
            for cell in cells:
                offered = drop_down_values(ws, cell)
                assert offered, f"{sheet.name}!{cell} ({field.name}) has no drop-down"
                if field.type == "yn":
                    assert offered == list(YES_NO_LABELS[lang])
                elif field.name != "response":
                    assert offered == list(field.values)


def test_response_drop_down_is_in_the_template_language(template):
    lang, wb = template
    ws = wb["CP_Assessment"]
    letter = get_column_letter(header(ws)["response"])
    expected = {"en": ["Yes", "Partially", "No", "N/A"], "fr": ["Oui", "Partiellement", "Non", "S.O."], "es": ["Sí", "Parcialmente", "No", "N.A."]}
    assert drop_down_values(ws, f"{letter}2") == expected[lang]


def test_self_assessment_is_prefilled_from_the_catalogue(template):
    lang, wb = template
    ws = wb["CP_Assessment"]
    columns = header(ws)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    catalogue = load_catalogue()
    assert [r[columns["indicator_code"] - 1] for r in rows] == [i.code for i in catalogue]
    assert [r[columns["principle"] - 1] for r in rows] == [i.principle_code for i in catalogue]
    assert [r[columns["indicator"] - 1] for r in rows] == [i.text[lang] for i in catalogue]
    assert all(r[columns["response"] - 1] is None for r in rows), "answers must be left blank"


def test_cover_carries_template_version_and_language(template):
    lang, wb = template
    values = {row[0]: row[VALUE_COLUMN - 1] for row in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert values["template_version"] == SPEC.template_version
    assert values["language"] == lang
    assert values["investee_id"] is None


def test_headers_are_frozen_and_described(template):
    _, wb = template
    for sheet in SPEC.sheets:
        ws = wb[sheet.name]
        assert ws.freeze_panes is not None
        if sheet.kind == "table":
            first = ws.cell(row=1, column=header(ws)[sheet.fields[0].name])
            assert first.comment is not None and sheet.fields[0].description in first.comment.text


def test_french_template_speaks_french(tmp_path: Path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "fr.xlsx", "fr"))
    ws = wb["CP_Assessment"]
    texts = [row[2] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert texts[0].startswith("Les produits sont conçus")
    assert all(t and t != i.text["en"] for t, i in zip(texts, load_catalogue(), strict=True))


def test_catalogue_is_translated():
    for indicator in load_catalogue():
        assert indicator.text["fr"] and indicator.text["es"], indicator.code
        assert indicator.text["fr"] != indicator.text["en"] != indicator.text["es"]


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_every_offered_answer_is_understood_by_the_reader(lang):
    """Drop-down labels must be spellings the spec's synonyms map back to canonical values."""
    synonyms = SPEC.synonyms["response"]
    for canonical, label in RESPONSE_LABELS[lang].items():
        assert label.lower() in synonyms[canonical]
    yes, no = YES_NO_LABELS[lang]
    assert yes.lower() in SPEC.synonyms["yn"]["true"]
    assert no.lower() in SPEC.synonyms["yn"]["false"]


def test_sheet_names_match_the_reader_rule(template):
    _, wb = template
    found = {normalise_name(name) for name in wb.sheetnames}
    assert all(normalise_name(s.name) in found for s in SPEC.sheets)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        build_template("de")


def test_drop_downs_cover_whole_columns(template):
    _, wb = template
    ws = wb["Loan_Tape"]
    letter = get_column_letter(header(ws)["gender"])
    ranges = [r for v in ws.data_validations.dataValidation for r in v.sqref.ranges]
    assert CellRange(f"{letter}2:{letter}1048576") in ranges
