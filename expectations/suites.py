"""Great Expectations suites, derived from the submission spec and kept in the repo as JSON.

`build_suite(sheet)` turns each field's rules into expectations; `suites/<sheet>.json` are
the reviewed copies (`python -m smartdd.expectations.suites` rewrites them, a test keeps them in
step). Every expectation's `meta` carries the field and its message (a code of the catalogue in
`smartdd/messages` and its parameters), so a failure becomes a sentence about a cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from smartdd.spec import Field, Sheet, Spec, load_catalogue, load_spec

SUITES_DIR = Path(__file__).with_name("suites")


def _exp(kind: str, field: Field, code: str, severity: str = "error", params: dict | None = None, **kwargs) -> dict:
    """One expectation; its `meta` names the field and the message (a catalogue code and its parameters)."""
    return {
        "type": kind,
        "kwargs": kwargs,
        "meta": {"field": field.name, "severity": severity, "code": code, "params": {"field": field.name, **(params or {})}},
    }


def field_expectations(sheet: Sheet, f: Field) -> list[dict]:
    out = []
    if f.required is True:
        out.append(_exp("expect_column_values_to_not_be_null", f, "required", column=f.name))
    elif isinstance(f.required, str):
        other, op, value = re.fullmatch(r"\s*(\w+)\s*(==|!=)\s*(\S+)\s*", f.required).groups()
        out.append(
            _exp(
                "expect_column_values_to_not_be_null",
                f,
                "required_when" if op == "==" else "required_unless",
                params={"other": other, "value": value},
                column=f.name,
                row_condition=f'{other}{op}"{value}"',
                condition_parser="pandas",
            )
        )
    if f.min is not None or f.max is not None:
        bounds = {k: v for k, v in (("min_value", f.min), ("max_value", f.max)) if v is not None}
        code = "between" if len(bounds) == 2 else ("at_least" if f.min is not None else "at_most")
        params = {k: v for k, v in (("min", f.min), ("max", f.max)) if v is not None}
        out.append(_exp("expect_column_values_to_be_between", f, code, params=params, column=f.name, **bounds))
    if f.gt is not None:
        out.append(_exp("expect_column_values_to_be_between", f, "greater_than", params={"gt": f.gt}, column=f.name, min_value=f.gt, strict_min=True))
    if f.values:
        out.append(_exp("expect_column_values_to_be_in_set", f, "one_of", params={"values": list(f.values)}, column=f.name, value_set=list(f.values)))
    if f.pattern:
        out.append(_exp("expect_column_values_to_match_regex", f, "pattern", column=f.name, regex=f.pattern))
    if f.unique:
        out.append(_exp("expect_column_values_to_be_unique", f, "unique", column=f.name))
    for bound, relation in ((f.le, "≤"), (f.ge, "≥")):
        if bound and "." not in bound:  # same-sheet comparison; cross-sheet ones: cross_sheet_expectations
            a, b = (bound, f.name) if relation == "≤" else (f.name, bound)
            out.append(
                _exp(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    f,
                    "not_above" if relation == "≤" else "not_below",
                    params={"other": bound},
                    column_A=a,
                    column_B=b,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
    return out


# The rules whose bound is another sheet of the same workbook, by the spec's `ref` or `le`: GX checks a
# per-row boolean column (`meta.derived` names it and how it is computed, `validate.cross_sheet_columns`),
# and `meta.bound_params` the parameters the message takes from the workbook (its period end).
_CROSS_SHEET_BOUNDS = {"Cover.period_end": ("after_period_end", "period_end")}  # le: bound -> (message code, parameter)


def cross_sheet_expectations(sheet: Sheet) -> list[dict]:
    """The spec's rules across sheets and against the indicator catalogue, after the sheet's own rules."""
    out = []
    for f in sheet.fields:
        if f.ref == "catalogue":
            codes = [i.code for i in load_catalogue()]
            out.append(_exp("expect_column_values_to_be_in_set", f, "indicator_unknown", column=f.name, value_set=codes))
        elif f.ref:
            other_sheet, _ = f.ref.split(".")
            column = f"_{f.name}_in_{other_sheet.lower()}"
            out.append(_derived(f, column, "column_values_to_be_in_set", "not_in_sheet", {"kind": "in", "bound": f.ref}, {"sheet": other_sheet}))
        if f.le and "." in f.le:
            code, parameter = _CROSS_SHEET_BOUNDS[f.le]  # a new cross-sheet bound needs its message here
            column = f"_{f.name}_not_after_{f.le.split('.')[1]}"
            out.append(_derived(f, column, "column_values_to_be_between", code, {"kind": "le", "bound": f.le}, bound_params={parameter: f.le}))
    return out


def _derived(f: Field, column: str, rule: str, code: str, derived: dict, params: dict | None = None, bound_params: dict | None = None) -> dict:
    expectation = _exp("expect_column_values_to_be_in_set", f, code, params=params, column=column, value_set=[True])
    expectation["meta"].update(rule=rule, derived={"column": column, **derived}, **({"bound_params": bound_params} if bound_params else {}))
    return expectation


def build_suite(sheet: Sheet) -> dict:
    fields = [f for f in sheet.fields if f.pii != "drop"]
    expectations = [e for f in fields for e in field_expectations(sheet, f)] + cross_sheet_expectations(sheet)
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
