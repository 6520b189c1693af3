"""The committed GX suites and dbt sources are exactly what the spec generates, the dbt metric macros what the metric catalogue does."""

from __future__ import annotations

import json

from smartdd.expectations.suites import build_suite, suite_path

from smartdd.codegen import SOURCES_PATH, render_sources
from smartdd.methodology.metrics import MACROS_PATH, render_macros
from smartdd.spec import load_spec


def test_dbt_sources_match_the_spec():
    assert SOURCES_PATH.read_text(encoding="utf-8") == render_sources(), "run: python -m smartdd.codegen"


def test_dbt_metric_macros_match_the_catalogue():
    assert MACROS_PATH.read_text(encoding="utf-8") == render_macros(), "run: python -m smartdd.methodology.metrics"


def test_gx_suites_match_the_spec():
    for sheet in load_spec().sheets:
        assert json.loads(suite_path(sheet).read_text(encoding="utf-8")) == build_suite(sheet), "run: python -m smartdd.codegen"


def test_every_required_field_has_a_not_null_expectation():
    for sheet in load_spec().sheets:
        guarded = {e["kwargs"]["column"] for e in build_suite(sheet)["expectations"] if e["type"] == "expect_column_values_to_not_be_null"}
        required = {f.name for f in sheet.fields if f.required and f.pii != "drop"}
        assert required <= guarded, sheet.name
