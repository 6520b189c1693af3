"""Validate one submission's typed sheets with Great Expectations, then the rules GX can't express.

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

from smartdd.records import Issue
from smartdd.spec import Sheet, Spec, load_catalogue, load_spec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def validate_submission(sheets: dict[str, TypedSheet], spec: Spec | None = None) -> list[Issue]:
    spec = spec or load_spec()
    issues = IssueCap()
    for name, typed in sheets.items():
        sheet = spec.sheet(name)
        suite = load_suite(sheet)
        expectations = suite["expectations"] + _cross_sheet_expectations(name, sheets)
        _run_suite(typed, expectations, issues)
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


def _cross_sheet_expectations(name: str, sheets: dict[str, TypedSheet]) -> list[dict]:
    """Rules whose bound comes from another sheet: known only once the workbook is read."""
    out = []
    if name == "Loan_Tape":
        if "Products" in sheets:
            codes = sorted(sheets["Products"].frame["product_code"].dropna().unique().tolist())
            out.append(
                _meta(
                    "expect_column_values_to_be_in_set",
                    "product_code",
                    "product_code must be one of the codes of the Products sheet.",
                    column="product_code",
                    value_set=codes,
                )
            )
        period_end = sheets["Cover"].value("period_end") if "Cover" in sheets else None
        if period_end is not None:
            out.append(
                _meta(
                    "expect_column_values_to_be_between",
                    "disbursement_date",
                    f"disbursement_date must not be after the period end ({period_end:%Y-%m-%d}).",
                    column="disbursement_date",
                    max_value=pd.Timestamp(period_end).isoformat(),
                )
            )
    if name == "CP_Assessment":
        codes = [i.code for i in load_catalogue()]
        out.append(
            _meta(
                "expect_column_values_to_be_in_set",
                "indicator_code",
                "indicator_code is not an indicator of this template version.",
                column="indicator_code",
                value_set=codes,
            )
        )
    return out


def _meta(kind: str, field: str, message: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"field": field, "severity": "error", "message": message}}


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


def _run_suite(typed: TypedSheet, expectations: list[dict], issues: IssueCap) -> None:
    import great_expectations as gx

    _, batch_definition = _context()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": _gx_frame(typed)})
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
        rule = outcome.expectation_config.type.removeprefix("expect_")
        failures = outcome.result.get("partial_unexpected_index_list") or []
        total = outcome.result.get("unexpected_count") or len(failures)
        found = _issues_for(typed, field, rule, meta, failures)
        if not found:  # a failure GX gives no rows for (a whole-column rule): one issue, never none
            issues.append(Issue(typed.raw.title, "", meta.get("severity", "error"), rule, f"{meta['message']} ({total:,} row(s).)"))
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
        issues.append(Issue(raw.title, cell, meta.get("severity", "error"), rule, meta["message"] + _found(raw.spec, failure.get(field))))
    return issues


def _found(sheet: Sheet, value) -> str:
    """The " Found: …" of a message where the sheet's values may be quoted (never the loan tape's), text cut short."""
    if value is None or pd.isna(value) or holds_client_data(sheet):
        return ""
    return f" Found: {quote(value) if isinstance(value, str) else _show(value)}."


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)
