"""One quarterly pipeline (without Airflow) over sample workbooks, then every report, for the report tests.

Six investees over two quarters (one workbook rejected), loan tapes, one institution named in
Khmer and one investee whose template is in French.
"""

from __future__ import annotations

import shutil

import duckdb
import openpyxl
import pytest
from smartdd.reports.build import write_reports

from smartdd import pipeline
from smartdd.config import Settings
from smartdd.sample import write_samples

KHMER_NAME = "គ្រឹះស្ថានមីក្រូហិរញ្ញវត្ថុ អង្គរ"


def _set_cover(path, **values) -> None:
    wb = openpyxl.load_workbook(path)
    for row in wb["Cover"].iter_rows(min_row=2):
        if row[0].value in values:
            row[2].value = values[row[0].value]
    wb.save(path)


def _cover_value(path, field):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return next(r[2] for r in wb["Cover"].iter_rows(values_only=True) if r[0] == field)
    finally:
        wb.close()


@pytest.fixture(scope="session")
def reported(tmp_path_factory):
    """(settings, the files written by the first write_reports)."""
    root = tmp_path_factory.mktemp("reports_home")
    settings = Settings.from_env(root / "home").ensure()
    paths = write_samples(root / "samples", investees=6, quarters=2, loan_tape_rows=40, seed=11, defects=True)
    for path in paths:
        investee = _cover_value(path, "investee_id")
        if investee.startswith("MFI-KH"):
            _set_cover(path, institution_name=KHMER_NAME)
        elif investee.startswith("MFI-UG"):
            _set_cover(path, language="fr")
        shutil.copy2(path, settings.landing / path.name)
    for batch in pipeline.receive_in_batches(settings):
        pipeline.ingest_batch(batch, settings)
    pipeline.build_and_publish(settings)
    return settings, write_reports(settings.warehouse, settings.reports)


@pytest.fixture(scope="session")
def marts(reported):
    """marts(query) -> rows as dicts, from the published warehouse."""
    settings, _ = reported

    def query(text: str) -> list[dict]:
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            return con.sql(text).fetchdf().to_dict("records")

    return query
