"""Validate one submission's typed sheets with Great Expectations, then the rules GX can't express.

Every rule GX checks is in the reviewed suites (`suites/*.json`), the cross-sheet ones too: this
module adds their per-row booleans (`cross_sheet_columns`) and the bounds their messages quote
(`with_bounds`), computed from the workbook's other sheets. The rules GX cannot express are
`rules.business_rules`.

GX validates pandas DataFrames (validating DuckDB tables through SQL is broken upstream in
this stack). Each failed row becomes an Issue naming its sheet and cell. GX lists the value
of each failed row: a loan-tape value is never quoted (it is client data), another sheet's
value only cut short (`sheets.quote`). At most 50 rows are listed per expectation and the
issues are capped as every stage caps them (`sheets.IssueCap`).
"""

from __future__ import annotations

import logging
import os
from functools import cache

import pandas as pd
from smartdd.expectations.rules import business_rules
from smartdd.expectations.suites import load_suite
from smartdd.ingest.coerce import TypedSheet
from smartdd.ingest.sheets import MAX_ISSUES_PER_RULE, IssueCap, holds_client_data, quote

from smartdd.messages import jsonable, problem
from smartdd.records import Issue
from smartdd.spec import Sheet, Spec, load_spec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def validate_submission(sheets: dict[str, TypedSheet], spec: Spec | None = None) -> list[Issue]:
    spec = spec or load_spec()
    issues = IssueCap()
    for name, typed in sheets.items():
        sheet = spec.sheet(name)
        suite = load_suite(sheet)
        expectations = [{**e, "meta": with_bounds(e["meta"], sheets)} for e in suite["expectations"]]
        _run_suite(typed, expectations, issues, sheets)
    issues.extend(business_rules(sheets, spec))
    return issues.issues()


@cache
def _context():
    """One ephemeral context (and one pandas data source) per process: creating them costs ~1 s."""
    import great_expectations as gx  # slow import (~5 s): only when validating

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch_definition = context.data_sources.add_pandas("submission").add_dataframe_asset("sheet").add_batch_definition_whole_dataframe("sheet")
    return context, batch_definition


def cross_sheet_columns(frame: pd.DataFrame, expectations: list[dict], sheets: dict[str, TypedSheet]) -> pd.DataFrame:
    """The per-row booleans the suite's cross-sheet rules check (`suites.cross_sheet_expectations`), from this
    workbook's other sheets: a value found in another sheet's column (`in`), a date not after its bound (`le`).
    A rule whose other sheet or bound is missing holds (that sheet's own rules say what is missing)."""
    for expectation in expectations:
        derived = expectation["meta"].get("derived")
        if not derived:
            continue
        other_sheet, other_field = derived["bound"].split(".")
        own, other = frame.get(expectation["meta"]["field"]), sheets.get(other_sheet)
        holds = pd.Series(True, index=frame.index)
        if own is not None and other is not None and derived["kind"] == "in":
            holds = own.isna() | own.isin(set(other.frame[other_field].dropna().tolist()))
        elif own is not None and other is not None and derived["kind"] == "le" and other.value(other_field) is not None:
            holds = own.isna() | (own <= pd.Timestamp(other.value(other_field)))
        frame[derived["column"]] = holds
    return frame


def with_bounds(meta: dict, sheets: dict[str, TypedSheet]) -> dict:
    """The expectation's message parameters with the values it takes from the workbook (`meta.bound_params`)."""
    bounds = meta.get("bound_params")
    if not bounds:
        return meta
    values = {}
    for parameter, bound in bounds.items():
        other_sheet, other_field = bound.split(".")
        values[parameter] = sheets[other_sheet].value(other_field) if other_sheet in sheets else None
    return {**meta, "params": {**meta["params"], **jsonable(values)}}


def _gx_frame(typed: TypedSheet) -> pd.DataFrame:
    """Plain numpy dtypes and real timestamps: what GX's pandas engine handles best."""
    frame = typed.frame.copy()
    for column in frame.columns:
        spec_field = next((f for f in typed.raw.spec.fields if f.name == column), None)
        if spec_field is None:
            continue
        if spec_field.type == "date":
            frame[column] = pd.to_datetime(frame[column])
        elif spec_field.type in ("int", "number", "pct"):
            frame[column] = frame[column].astype("float64")
        else:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    if "_row" not in frame:
        frame["_row"] = 0
    return frame


def _run_suite(typed: TypedSheet, expectations: list[dict], issues: IssueCap, sheets: dict[str, TypedSheet]) -> None:
    import great_expectations as gx

    _, batch_definition = _context()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": cross_sheet_columns(_gx_frame(typed), expectations, sheets)})
    suite = gx.ExpectationSuite(name=typed.name, expectations=expectations)
    # SUMMARY keeps only the first rows that failed: a broken column of 500,000 rows stays small.
    result = batch.validate(
        suite, result_format={"result_format": "SUMMARY", "unexpected_index_column_names": ["_row"], "partial_unexpected_count": MAX_ISSUES_PER_RULE}
    )
    for outcome in result.results:
        if outcome.success:
            continue
        meta = outcome.expectation_config.meta or {}
        field = meta.get("field", "")
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            said = "" if holds_client_data(typed.raw.spec) else f": {outcome.exception_info.get('exception_message')}"  # GX's text may hold a value
            raise RuntimeError(f"Expectation on {typed.name}.{field} could not run{said}")
        rule = meta.get("rule") or outcome.expectation_config.type.removeprefix("expect_")
        failures = outcome.result.get("partial_unexpected_index_list") or []
        total = outcome.result.get("unexpected_count") or len(failures)
        found = _issues_for(typed, field, rule, meta, failures)
        if not found:  # a failure GX gives no rows for (a whole-column rule): one issue, never none
            issues.append(problem(typed.raw.title, "", meta.get("severity", "error"), meta["code"], rule=rule, **meta["params"], failed_rows=total))
            continue
        for issue in found[:-1]:
            issues.append(issue)
        issues.add_unlisted(found[-1], max(0, total - len(found)))  # GX counted the rows it did not list


def _issues_for(typed: TypedSheet, field: str, rule: str, meta: dict, failures: list[dict]) -> list[Issue]:
    raw = typed.raw
    issues = []
    for failure in failures:
        if raw.spec.kind == "key_value":
            cell = raw.cell(field)
        else:
            cell = f"{raw.columns.get(field, '')}{int(failure['_row'])}"
        issues.append(
            problem(raw.title, cell, meta.get("severity", "error"), meta["code"], rule=rule, **meta["params"], **_found(raw.spec, failure.get(field)))
        )
    return issues


def _found(sheet: Sheet, value) -> dict:
    """The `found` parameter (" Found: …") where the sheet's values may be quoted (never the loan tape's), text cut short."""
    if value is None or pd.isna(value) or holds_client_data(sheet):
        return {}
    return {"found": quote(value) if isinstance(value, str) else value}
