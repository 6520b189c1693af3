"""Turn raw cell values into the spec's types, reporting every cell it cannot read.

Each column is converted in bulk first (numbers, dates and flags that are already clean);
only the cells that fail take the slow, careful path that understands "1 234,5", "12 %",
"Oui" or an ISO text date, so a 500,000-row loan tape costs seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest.cells import ExcelError, PercentValue, UncachedFormula
from ingest.issues import ERROR, WARNING, Issue
from ingest.reader import RawSheet
from ingest.spec import Field, Spec, load_spec

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PERCENT_TEXT = re.compile(r"^(.*?)\s*%$")


class Unreadable(ValueError):
    """A cell whose text cannot be read as the field's type; the message says what was expected."""


@dataclass
class TypedSheet:
    name: str
    frame: pd.DataFrame  # typed columns named after the spec fields; tables also have `_row`
    raw: RawSheet


def coerce_sheet(raw: RawSheet, issues: list[Issue], spec: Spec | None = None) -> TypedSheet:
    spec = spec or load_spec()
    columns = {}
    for f in raw.spec.fields:
        if f.name not in raw.values:
            columns[f.name] = _empty(f, len(raw.rows) if raw.spec.kind == "table" else 1)
            continue
        columns[f.name] = _coerce_column(f, raw, issues, spec)
    frame = pd.DataFrame(columns)
    if raw.spec.kind == "table":
        frame["_row"] = np.asarray(raw.rows, dtype="int64")
    return TypedSheet(name=raw.spec.name, frame=frame, raw=raw)


def _empty(f: Field, length: int) -> pd.Series:
    return pd.Series([None] * length, dtype=_pandas_dtype(f))


def _pandas_dtype(f: Field) -> str:
    return {"int": "Int64", "number": "Float64", "pct": "Float64", "yn": "boolean", "date": "object"}.get(f.type, "string")


def _coerce_column(f: Field, raw: RawSheet, issues: list[Issue], spec: Spec) -> pd.Series:
    values = raw.values[f.name]
    converter = _CONVERTERS[f.type]
    fast = _FAST[f.type](values) if f.type in _FAST else None
    out = list(fast) if fast is not None else [None] * len(values)
    for i, value in enumerate(values):
        if value is None or (fast is not None and not _missing(fast[i])):
            continue
        cell = raw.cell(f.name, i)
        if isinstance(value, ExcelError):
            issues.append(Issue(raw.title, cell, ERROR, "error_cell", f"Cell shows the Excel error {value}; expected {_expected(f)}."))
            continue
        if isinstance(value, UncachedFormula):
            severity = ERROR if f.always_required else WARNING
            issues.append(Issue(raw.title, cell, severity, "formula_without_value", "The formula in this cell has no saved value: open the file in Excel, let it calculate, save it and send it again."))
            continue
        try:
            out[i], warning = converter(value, f, spec)
        except Unreadable as problem:
            shown = "(hidden: personal data)" if f.pii else repr(value)
            issues.append(Issue(raw.title, cell, ERROR, f"not_{f.type}", f"{f.name}: {shown} is not {problem}."))
            continue
        if warning:
            issues.append(Issue(raw.title, cell, WARNING, warning[0], warning[1]))
    return pd.Series(out, dtype=_pandas_dtype(f))


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _expected(f: Field) -> str:
    return {
        "text": "text",
        "enum": "one of " + ", ".join(f.values),
        "int": "a whole number",
        "number": "a number",
        "pct": "a percentage",
        "date": "a date",
        "yn": "Y or N",
    }[f.type]


# ---- bulk conversions: return an array with NaN/None where the slow path must look ----


def _fast_numbers(values: list) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    is_bool = series.map(type) == bool
    numbers = pd.to_numeric(series.mask(is_bool), errors="coerce")
    return numbers.to_numpy(dtype="float64", na_value=np.nan, copy=True)


def _fast_ints(values: list) -> np.ndarray:
    numbers = _fast_numbers(values)
    numbers[numbers != np.floor(numbers)] = np.nan  # 2.5 in an int field: the slow path explains
    return numbers


def _fast_texts(values: list) -> list:
    return [v if type(v) is str else None for v in values]


def _fast_dates(values: list) -> list:
    return [v.date() if type(v) is dt.datetime else (v if type(v) is dt.date else None) for v in values]


# ---- careful conversions of one value: return (value, optional (rule, message) warning) ----


def _to_number(value, f: Field, spec: Spec):
    if isinstance(value, bool):
        raise Unreadable("a number")
    if isinstance(value, (int, float)):
        return float(value), None
    if isinstance(value, str):
        return parse_number_text(value), None
    raise Unreadable("a number")


def _to_int(value, f: Field, spec: Spec):
    number, _ = _to_number(value, f, spec)
    if not float(number).is_integer():
        raise Unreadable("a whole number")
    return int(number), None


def _to_pct(value, f: Field, spec: Spec):
    if isinstance(value, PercentValue):
        return float(value) * 100, None
    if isinstance(value, str):
        match = _PERCENT_TEXT.match(value.strip())
        if match:
            return parse_number_text(match.group(1)), None
    number, _ = _to_number(value, f, spec)
    if 0 < number < 1:
        return number, ("pct_below_one", f"{f.name}: {number:g} is read as {number:g} %. Percent fields are in percent units: did you mean {number * 100:g} %?")
    return number, None


def _to_date(value, f: Field, spec: Spec):
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()), None
        except ValueError:
            raise Unreadable("a real date (YYYY-MM-DD)") from None
    raise Unreadable("a date: use an Excel date or text written YYYY-MM-DD")


def _to_yn(value, f: Field, spec: Spec):
    if isinstance(value, bool):
        return value, None
    text = _plain(value).lower()
    for canonical, spellings in spec.synonyms["yn"].items():
        if text in spellings:
            return canonical == "true", None
    raise Unreadable("Y or N (Yes/No, Oui/Non, Sí/No, TRUE/FALSE, 1/0)")


def _to_enum(value, f: Field, spec: Spec):
    text = _plain(value)
    for allowed in f.values:
        if text.lower() == allowed.lower():
            return allowed, None
    for canonical, spellings in spec.synonyms.get(f.name, {}).items():
        if text.lower() in spellings:
            return canonical, None
    raise Unreadable("one of " + ", ".join(f.values))


def _to_text(value, f: Field, spec: Spec):
    return _plain(value), None


def _plain(value) -> str:
    """Text of a cell; a whole number typed into a text cell loses its '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    return str(value).strip()


def parse_number_text(text: str) -> float:
    """Read numbers written as text: '1 234,5', '1,234.50', '1.234,5', '-12'. Refuse ambiguity."""
    compact = _SPACES.sub("", text)
    if not compact:
        raise Unreadable("a number")
    if "," in compact and "." in compact:
        decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        compact = compact.replace(thousands, "").replace(decimal, ".")
    elif "," in compact:
        head, _, tail = compact.rpartition(",")
        if compact.count(",") > 1:
            compact = compact.replace(",", "")  # 1,234,567: thousands only
        elif len(tail) == 3 and head.lstrip("-+").isdigit():
            raise Unreadable("an unambiguous number ('1,234' could be 1234 or 1.234: write 1234 or 1.234)")
        else:
            compact = compact.replace(",", ".")
    try:
        return float(compact)
    except ValueError:
        raise Unreadable("a number") from None


_CONVERTERS = {
    "number": _to_number,
    "int": _to_int,
    "pct": _to_pct,
    "date": _to_date,
    "yn": _to_yn,
    "enum": _to_enum,
    "text": _to_text,
}
# pct has no bulk path: percent-formatted cells and values below 1 need a look each.
_FAST = {"number": _fast_numbers, "int": _fast_ints, "text": _fast_texts, "date": _fast_dates}
