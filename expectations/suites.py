"""Great Expectations suites, derived from the submission spec and kept in the repo as JSON.

`build_suite(sheet)` turns each field's rules into expectations; `suites/<sheet>.json` are
the reviewed copies (`python -m smartdd.expectations.suites` rewrites them, a test keeps them in
step). Every expectation's `meta` carries the field and a message template, so a failure
becomes a sentence about a cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from smartdd.spec import Field, Sheet, Spec, load_spec

SUITES_DIR = Path(__file__).with_name("suites")


def _exp(kind: str, field: Field, message: str, severity: str = "error", **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"field": field.name, "severity": severity, "message": message}}


def field_expectations(sheet: Sheet, f: Field) -> list[dict]:
    out = []
    if f.required is True:
        out.append(_exp("expect_column_values_to_not_be_null", f, f"{f.name} is required.", column=f.name))
    elif isinstance(f.required, str):
        other, op, value = re.fullmatch(r"\s*(\w+)\s*(==|!=)\s*(\S+)\s*", f.required).groups()
        out.append(
            _exp(
                "expect_column_values_to_not_be_null",
                f,
                f"{f.name} is required when {other} {'is' if op == '==' else 'is not'} {value}.",
                column=f.name,
                row_condition=f'{other}{op}"{value}"',
                condition_parser="pandas",
            )
        )
    if f.min is not None or f.max is not None:
        bounds = {k: v for k, v in (("min_value", f.min), ("max_value", f.max)) if v is not None}
        text = " and ".join(t for t in (f"≥ {f.min:g}" if f.min is not None else "", f"≤ {f.max:g}" if f.max is not None else "") if t)
        out.append(_exp("expect_column_values_to_be_between", f, f"{f.name} must be {text}.", column=f.name, **bounds))
    if f.gt is not None:
        out.append(_exp("expect_column_values_to_be_between", f, f"{f.name} must be greater than {f.gt:g}.", column=f.name, min_value=f.gt, strict_min=True))
    if f.values:
        out.append(_exp("expect_column_values_to_be_in_set", f, f"{f.name} must be one of {', '.join(f.values)}.", column=f.name, value_set=list(f.values)))
    if f.pattern:
        out.append(
            _exp("expect_column_values_to_match_regex", f, f"{f.name} does not have the expected form ({f.description}).", column=f.name, regex=f.pattern)
        )
    if f.unique:
        out.append(_exp("expect_column_values_to_be_unique", f, f"{f.name} must be unique: this value appears more than once.", column=f.name))
    for bound, relation in ((f.le, "≤"), (f.ge, "≥")):
        if bound and "." not in bound:  # same-sheet comparison; cross-sheet ones are added at run time
            a, b = (bound, f.name) if relation == "≤" else (f.name, bound)
            out.append(
                _exp(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    f,
                    f"{f.name} must be {relation} {bound}.",
                    column_A=a,
                    column_B=b,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
    return out


def build_suite(sheet: Sheet) -> dict:
    expectations = [e for f in sheet.fields if f.pii != "drop" for e in field_expectations(sheet, f)]
    return {"name": f"submission_v1.{sheet.table_name}", "expectations": expectations, "meta": {"sheet": sheet.name}}


def suite_path(sheet: Sheet) -> Path:
    return SUITES_DIR / f"{sheet.table_name}.json"


def load_suite(sheet: Sheet) -> dict:
    return json.loads(suite_path(sheet).read_text(encoding="utf-8"))


def write_suites(spec: Spec | None = None) -> list[Path]:
    spec = spec or load_spec()
    SUITES_DIR.mkdir(exist_ok=True)
    paths = []
    for sheet in spec.sheets:
        path = suite_path(sheet)
        path.write_text(json.dumps(build_suite(sheet), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_suites():
        print(written)
