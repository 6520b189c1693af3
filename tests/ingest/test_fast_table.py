"""The fast path (fastexcel) and the openpyxl path read every messy workbook identically.

The loan tape takes the fast path when it is large; forcing every table through each reader
on the messy corpus shows they give the same typed frames, row numbers and issues, messages
included.
"""

from __future__ import annotations

import datetime as dt
import sys
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import messy_files as mf  # noqa: E402
from smartdd.ingest.coerce import coerce_sheet  # noqa: E402
from smartdd.ingest.reader import read_workbook  # noqa: E402

BUILDERS = {
    "clean": mf.clean,
    "sheet_names": mf.sheet_names_in_other_case,
    "header_below_title": mf.header_below_title,
    "columns_in_any_order": mf.columns_in_any_order,
    "unknown_column": mf.unknown_column,
    "missing_required_column": mf.missing_required_column,
    "yes_no": mf.yes_no_spellings,
    "formulas": mf.formulas,
    "error_cells": mf.error_cells,
    "ids_and_numbers_as_text": mf.ids_and_numbers_as_text,
    "numbers_as_text": mf.numbers_as_text_in_loan_tape,
    "dates": mf.dates_in_loan_tape,
    "empty_rows_19": partial(mf.empty_rows, gap=19),
    "empty_rows_20": partial(mf.empty_rows, gap=20),
    "understated_dimension": partial(mf.lying_dimension, ref="A1:A1"),
    "overstated_dimension": partial(mf.lying_dimension, ref="A1:XFD1048576"),
    "duplicate_column": mf.duplicate_column,
    "missing_sheet_code_and_header": mf.missing_sheet_code_and_header,
    "merged_cells": mf.merged_cells,
    "messy_loan_tape": mf.messy_loan_tape,
}


def read_both(path: Path):
    results = []
    for fast_min_bytes in (2**62, 0):
        raw = read_workbook(path, fast_min_bytes=fast_min_bytes)
        issues = list(raw.issues)
        typed = {name: coerce_sheet(sheet, issues) for name, sheet in raw.sheets.items()}
        results.append((typed, issues))
    return results


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return mf.Corpus(tmp_path_factory.mktemp("messy"))


@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
def test_fast_path_reads_exactly_as_openpyxl(corpus, builder):
    (slow, slow_issues), (fast, fast_issues) = read_both(corpus(builder))
    assert fast_issues == slow_issues
    assert fast.keys() == slow.keys()
    for name in slow:
        pd.testing.assert_frame_equal(fast[name].frame, slow[name].frame)
        assert fast[name].raw.columns == slow[name].raw.columns
        for field in fast[name].raw.columns:  # provenance of every value, for the feedback workbook
            assert [fast[name].raw.cell(field, i) for i in range(len(fast[name].frame))] == [
                slow[name].raw.cell(field, i) for i in range(len(slow[name].frame))
            ]


@pytest.mark.parametrize("builder", [mf.messy_loan_tape, mf.ids_and_numbers_as_text, mf.formulas, mf.error_cells, mf.key_values_shuffled])
def test_texts_in_excels_shared_string_table_read_as_inline_texts(corpus, builder):
    """openpyxl writes texts inline, Excel into a shared-string table: both readers read either the same."""
    inline = read_both(corpus(builder))
    shared = read_both(mf.with_shared_strings(corpus(builder)))
    for (expected, expected_issues), (got, got_issues) in zip(inline, shared, strict=True):
        assert got_issues == expected_issues
        for name in expected:
            pd.testing.assert_frame_equal(got[name].frame, expected[name].frame)


def test_messy_loan_tape(corpus):
    (typed, issues), _ = read_both(corpus(mf.messy_loan_tape))
    tape = typed["Loan_Tape"].frame
    # header on row 3; rows 13-14 empty; the row after 19 empty rows is read, the one after 20 more is not
    assert tape["_row"].tolist() == [*range(4, 14), *range(16, 64), 83]
    assert tape["loan_id"].tolist()[:8] == ["0", "LN00001", "LN00002", "LN00003", "LN00004", "LN00005", "LN00006", "7"]
    assert tape["client_id"].tolist()[:6] == ["0", "000001", "000002", "000003", "000004", "5"]
    assert tape["disbursement_date"].tolist()[:5] == [dt.date(2023, 1, 1), dt.date(2023, 1, 2), dt.date(2023, 1, 3), None, None]
    assert tape["disbursed_amount"].tolist()[:8] == [1234.5, 1234.5, 1234.5, 1 / 3, 0.3, pd.NA, pd.NA, 12345678.123456789]  # openpyxl writes 0.1 + 0.2 as 0.3
    assert tape["gender"].tolist()[:5] == ["F", "M", "F", pd.NA, pd.NA]
    assert tape["outstanding_principal"].iloc[6] == 617.25  # a cached formula
    rules = pd.Series([(i.rule, i.cell[:1]) for i in issues]).value_counts().to_dict()
    assert rules == {
        ("not_number", "L"): 7,
        ("not_int", "N"): 19,  # 2.5 and TRUE
        ("not_date", "J"): 24,  # "03/01/2023" and "2023-01-04 00:00:00" typed as text
        ("not_enum", "F"): 12,
        ("error_cell", "Q"): 1,
        ("error_cell", "S"): 1,
        ("formula_without_value", "R"): 1,
        ("rows_below_empty_block", "1"): 1,  # row 104 sits below the second empty block: said, not read
    }
    names = {row["client_name"] for row in mf.LOAN_TAPE} | {row["phone"] for row in mf.LOAN_TAPE}
    assert not any(name in issue.message for issue in issues for name in names)


def test_a_sheet_fastexcel_refuses_is_read_by_openpyxl(corpus, monkeypatch):
    import fastexcel
    import smartdd.ingest.fast_table

    def refuse(*args, **kwargs):
        raise fastexcel.CalamineError("cannot read this sheet")

    path = corpus(mf.messy_loan_tape)
    (expected, expected_issues), _ = read_both(path)
    monkeypatch.setattr(smartdd.ingest.fast_table, "read_table_fast", refuse)
    raw = read_workbook(path, fast_min_bytes=0)
    issues = list(raw.issues)
    typed = {name: coerce_sheet(sheet, issues) for name, sheet in raw.sheets.items()}
    assert issues == expected_issues
    pd.testing.assert_frame_equal(typed["Loan_Tape"].frame, expected["Loan_Tape"].frame)


def test_arrow_strips_the_same_whitespace_as_python():
    """The fast path strips text with Arrow's utf8_trim_whitespace, the openpyxl path with str.strip()."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chars = [chr(i) for i in range(0x3001)]  # every character str.isspace() accepts is below U+3001
    padded = [f"{c}x{c}" for c in chars]
    assert pc.utf8_trim_whitespace(pa.array(padded)).to_pylist() == [p.strip() for p in padded]
