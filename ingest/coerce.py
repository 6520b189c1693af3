"""Turn raw cell values into the spec's types, reporting every cell it cannot read.

Each column is converted in bulk first (numbers, dates, flags and codes that are already
clean); only the cells that fail take the slow, careful path that understands "1 234,5",
"12 %", "Oui" or an ISO text date and says what is wrong, so a 500,000-row loan tape costs
seconds, not minutes.

A value is also checked against the spec's plausibility bounds (`Spec.plausibility`): a
number must be finite and not implausibly large (1e308 would score a rating from NaN
ratios), a date not before 1990 nor, for a period end or a disbursement, after the day the
file was received; a text must fit in an Excel cell. Issues about a loan-tape cell never
quote its value (`sheets.quoted`), and every sheet's issues are capped (`sheets.IssueCap`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from smartdd.ingest.cells import ExcelError, PercentValue, PhantomLeapDay, UncachedFormula
from smartdd.ingest.sheets import IssueCap, RawSheet, quoted

from smartdd.messages import phrase, problem
from smartdd.records import ERROR, WARNING, Issue
from smartdd.spec import Field, Spec, load_spec

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PERCENT_TEXT = re.compile(r"^(.*?)\s*%$")
_NUMBER_TYPES = (int, float, PercentValue)
_TEXT_TYPES = ("text", "enum", "yn")
_LARGEST_INT = 2.0**63  # Int64 holds less
EXCEL_MAX_CELL_CHARS = 32_767  # what an Excel cell holds: longer text was not typed in Excel


class Unreadable(ValueError):
    """A cell whose text cannot be read as the field's type. `code`: the catalogue's phrase saying why
    ("is not a number"), `params` its parameters (never the cell's value)."""

    def __init__(self, code: str, **params):
        super().__init__(phrase(code, params))
        self.code, self.params = code, params


class Implausible(Unreadable):
    """A value of the right type that cannot be true (infinite, 1e308)."""


@dataclass
class TypedSheet:
    """A sheet in the spec's types, with the provenance of its values.

    It crosses from the isolated reading process to the pipeline by pickle (`run_isolated`):
    the frame travels as Arrow IPC (pickling a 500,000-row loan tape's date objects one by
    one takes seconds), and `raw` as provenance only: its raw values stay behind.
    """

    name: str
    frame: pd.DataFrame  # typed columns named after the spec fields; tables also have `_row`
    raw: RawSheet

    def value(self, field: str):
        """A key-value sheet's field, None when blank."""
        value = self.frame[field].iloc[0]
        return None if value is None or pd.isna(value) else value

    def __getstate__(self) -> dict:
        table = pa.Table.from_pandas(self.frame, preserve_index=False)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return {"name": self.name, "raw": replace(self.raw, values={}), "frame": sink.getvalue()}

    def __setstate__(self, state: dict) -> None:
        self.name, self.raw = state["name"], state["raw"]
        self.frame = pa.ipc.open_stream(state["frame"]).read_all().to_pandas()  # dates back as date objects


def coerce_sheet(raw: RawSheet, issues: list[Issue], spec: Spec | None = None, received: dt.date | None = None) -> TypedSheet:
    """The sheet in the spec's types; its issues join `issues`, capped. `received`: the day the file came (default today)."""
    spec = spec or load_spec()
    found = IssueCap(already=len(issues))
    length = len(raw.rows) if raw.spec.kind == "table" else 1
    columns = {}
    for f in raw.spec.fields:
        values = raw.values.get(f.name)
        columns[f.name] = _coerce_column(f, raw, values, found, spec, received or dt.date.today()) if values is not None else _empty(f, length)
    issues.extend(found.issues())
    frame = pd.DataFrame(columns, index=pd.RangeIndex(length))
    if raw.spec.kind == "table":
        frame["_row"] = np.asarray(raw.rows, dtype="int64")
    return TypedSheet(name=raw.spec.name, frame=frame, raw=raw)


def _empty(f: Field, length: int) -> pd.Series:
    return pd.Series([None] * length, dtype=_pandas_dtype(f))


def _pandas_dtype(f: Field) -> str:
    return {"int": "Int64", "number": "Float64", "pct": "Float64", "yn": "boolean", "date": "object"}.get(f.type, "string")


def _coerce_column(f: Field, raw: RawSheet, values: Sequence, issues: IssueCap, spec: Spec, received: dt.date) -> pd.Series:
    values = _as_array(values, f)
    if f.type in _TEXT_TYPES:
        values = _without_overlong_texts(values, f, raw, issues)
    out = _BULK[f.type](values, f, spec)
    for i in np.flatnonzero(_present(values) & pd.isna(out)):  # present, but not clean: look closer
        typed = _careful(values[i], f, raw, i, issues, spec)
        if typed is not None:
            out[i] = typed
    if f.type == "date":
        _outside_date_bounds(out, f, raw, issues, spec, received)
    return pd.Series(pd.array(out, dtype=_pandas_dtype(f)))


def _careful(value, f: Field, raw: RawSheet, index: int, issues: IssueCap, spec: Spec):
    """The value in the field's type, or None and an issue that says what is wrong (quoting it only where allowed)."""
    sheet, cell = raw.title, raw.cell(f.name, index)
    if isinstance(value, ExcelError):
        issues.append(problem(sheet, cell, ERROR, "error_cell", field=f.name, error=str(value), **_expected(f)))
        return None
    if isinstance(value, UncachedFormula):
        severity = ERROR if f.always_required else WARNING
        issues.append(problem(sheet, cell, severity, "formula_without_value", field=f.name))
        return None
    try:
        typed, warning = _CONVERTERS[f.type](value, f, spec)
    except Unreadable as unreadable:
        shown = quoted(raw.spec, _plain(value))
        said = {"code": "unreadable", "value": shown} if shown else {"code": "unreadable_cell"}
        issues.append(problem(sheet, cell, ERROR, said.pop("code"), rule=f"not_{f.type}", field=f.name, **said, problem=unreadable.code, **unreadable.params))
        return None
    if warning:
        code, params = warning
        issues.append(problem(sheet, cell, WARNING, code, field=f.name, **params))
    return typed


def _present(values) -> np.ndarray:
    """Cells that hold something. A NaN read from a cell is a value (not a finite number), not a blank;
    in the fast path's float columns NaN is a blank (a NaN cell reaches coerce as its text)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return np.fromiter((v is not None and v is not pd.NA for v in values), dtype=bool, count=len(values))
    return ~pd.isna(values)


def _without_overlong_texts(values, f: Field, raw: RawSheet, issues: IssueCap):
    """Texts longer than an Excel cell holds are errors, and read as blank."""
    if isinstance(values, pd.arrays.ArrowStringArray):
        lengths = pc.fill_null(pc.utf8_length(pa.array(values)), 0).to_numpy(zero_copy_only=False)
    else:
        lengths = np.array([len(v) if type(v) is str else 0 for v in values], dtype=np.int64)
    overlong = np.flatnonzero(lengths > EXCEL_MAX_CELL_CHARS)
    if not len(overlong):
        return values
    values = values.copy()
    for i in overlong:
        issues.append(problem(raw.title, raw.cell(f.name, i), ERROR, "text_too_long", field=f.name, length=int(lengths[i]), limit=EXCEL_MAX_CELL_CHARS))
        values[i] = None
    return values


def _outside_date_bounds(dates: np.ndarray, f: Field, raw: RawSheet, issues: IssueCap, spec: Spec, received: dt.date) -> None:
    """Dates no report can hold are errors, and read as blank: before 1990, or after the day of receipt where that is impossible."""
    bounds = spec.plausibility
    latest = bounds.latest_date(received) if f"{raw.spec.name}.{f.name}" in bounds.not_after_receipt else dt.date.max
    for i in np.flatnonzero([d is not None and not (bounds.earliest_date <= d <= latest) for d in dates]):
        shown = quoted(raw.spec, dates[i].isoformat())
        if dates[i] < bounds.earliest_date:
            code, bound = "date_too_early", {"earliest": bounds.earliest_date}
        else:
            code, bound = "date_after_receipt", {"received": received}
        said = {"code": code, "value": shown} if shown else {"code": code + "_cell"}
        issues.append(problem(raw.title, raw.cell(f.name, i), ERROR, said.pop("code"), rule="implausible_date", field=f.name, **said, **bound))
        dates[i] = None


def _as_array(values: Sequence, f: Field):
    """The fast path's clean columns stay as they are (float64, or pandas strings for text); the rest is object."""
    if isinstance(values, np.ndarray) and values.dtype in (np.float64, object):
        return values
    if isinstance(values, pd.arrays.ArrowStringArray) and f.type in _TEXT_TYPES:
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = [None if v is pd.NA else v for v in values]
    return array


def _expected(f: Field) -> dict:
    """What a cell of the field's type holds: the catalogue's phrase ("a whole number") and its parameters."""
    return {"expected": f"expected_{f.type}", **({"values": list(f.values)} if f.type == "enum" else {})}


# ---- bulk conversions: an array with None/NaN where the careful path must look ----


def _bulk_numbers(values: np.ndarray, f: Field, spec: Spec) -> np.ndarray:
    if values.dtype == np.float64:
        numbers = values.copy()
    else:
        numbers = np.array([v if type(v) in _NUMBER_TYPES else np.nan for v in values], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        numbers[~(np.abs(numbers) <= spec.plausibility.max_abs_number)] = np.nan  # infinite, NaN or too large: the careful path explains
    return numbers


def _bulk_ints(values: np.ndarray, f: Field, spec: Spec) -> np.ndarray:
    numbers = _bulk_numbers(values, f, spec)
    with np.errstate(invalid="ignore"):
        numbers[(numbers != np.floor(numbers)) | (np.abs(numbers) >= _LARGEST_INT)] = np.nan  # the careful path explains
    return numbers


def _bulk_texts(values, f: Field = None, spec: Spec = None):
    if isinstance(values, pd.arrays.ArrowStringArray):
        return values.copy()
    return _objects(v if type(v) is str else None for v in values)


def _bulk_enums(values, f: Field, spec: Spec):
    spellings = _spellings(f, spec)
    if isinstance(values, pd.arrays.ArrowStringArray):
        return _looked_up(values, spellings, "string")
    return _objects(spellings.get(v.lower()) if type(v) is str else None for v in values)


def _bulk_flags(values, f: Field, spec: Spec):
    spellings = _spellings(f, spec)
    if isinstance(values, pd.arrays.ArrowStringArray):
        return _looked_up(values, spellings, "boolean")
    return _objects(v if type(v) is bool else spellings.get(v.lower()) if type(v) is str else None for v in values)


def _looked_up(values: pd.arrays.ArrowStringArray, spellings: dict, dtype: str):
    """Each distinct text looked up once, with Python's lower(), as the careful path does."""
    encoded = pc.dictionary_encode(pa.array(values))
    found = pa.array([spellings.get(text.lower()) for text in encoded.dictionary.to_pylist()])
    return pd.array(pc.take(found, encoded.indices), dtype=dtype)


def _bulk_dates(values: np.ndarray, f: Field = None, spec: Spec = None) -> np.ndarray:
    kinds = np.frompyfunc(type, 1, 1)(values)
    out = np.where(np.equal(kinds, dt.date), values, None)  # the fast path's date cells are dates already
    for i in np.flatnonzero(np.equal(kinds, dt.datetime) | np.equal(kinds, str)):
        out[i] = values[i].date() if kinds[i] is dt.datetime else _iso_date(values[i])
    return out


def _bulk_none(values: np.ndarray, f: Field = None, spec: Spec = None) -> np.ndarray:
    return np.full(len(values), None, dtype=object)


def _objects(items) -> np.ndarray:
    items = list(items)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def _spellings(f: Field, spec: Spec) -> dict:
    """Lower-case spelling -> canonical value: the allowed values, then the spec's synonyms."""
    if f.type == "yn":
        return {s: canonical == "true" for canonical, spelled in spec.synonyms["yn"].items() for s in spelled}
    spellings = {s: canonical for canonical, spelled in spec.synonyms.get(f.name, {}).items() for s in spelled}
    spellings.update({v.lower(): v for v in f.values})
    return spellings


def _iso_date(text: str) -> dt.date | None:
    if not _ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# ---- careful conversions of one value: return (value, optional (code, params) warning) ----


def _to_number(value, f: Field, spec: Spec):
    if isinstance(value, bool):
        raise Unreadable("not_a_number")
    if isinstance(value, (int, float)):
        return _plausible(float(value), spec), None
    if isinstance(value, str):
        return _plausible(parse_number_text(value), spec), None
    raise Unreadable("not_a_number")


def _plausible(number: float, spec: Spec) -> float:
    """A finite number no larger than the spec's bound: 1e308 is a typing mistake, and its ratios would be NaN."""
    if not math.isfinite(number):
        raise Implausible("not_finite")
    limit = spec.plausibility.max_abs_number
    if abs(number) > limit:
        raise Implausible("too_large_number", limit=limit)
    return number


def _to_int(value, f: Field, spec: Spec):
    number, _ = _to_number(value, f, spec)
    if not number.is_integer() or abs(number) >= _LARGEST_INT:
        raise Unreadable("not_a_whole_number")
    return number, None


def _to_pct(value, f: Field, spec: Spec):
    if isinstance(value, PercentValue):
        return _plausible(float(value) * 100, spec), None
    if isinstance(value, str):
        match = _PERCENT_TEXT.match(value.strip())
        if match:
            return _plausible(parse_number_text(match.group(1)), spec), None
    number, _ = _to_number(value, f, spec)
    if 0 < number < 1:
        return number, ("pct_below_one", {"number": number, "percent": number * 100})
    return number, None


def _to_date(value, f: Field, spec: Spec):
    if isinstance(value, PhantomLeapDay):
        raise Unreadable("phantom_leap_day")
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()), None
        except ValueError:
            raise Unreadable("not_a_real_date") from None
    raise Unreadable("not_a_date")


def _to_yn(value, f: Field, spec: Spec):
    if isinstance(value, bool):
        return value, None
    flag = _spellings(f, spec).get(_plain(value).lower())
    if flag is None:
        raise Unreadable("not_yn")
    return flag, None


def _to_enum(value, f: Field, spec: Spec):
    canonical = _spellings(f, spec).get(_plain(value).lower())
    if canonical is None:
        raise Unreadable("not_one_of", values=list(f.values))
    return canonical, None


def _to_text(value, f: Field, spec: Spec):
    return _plain(value), None


def _plain(value) -> str:
    """A cell's text, written the way the fast reader (fastexcel) renders cells, so both agree.

    Numbers get at most 9 decimals and no exponent (123 -> "123", 1e20 -> "100000000000000000000"),
    dates "2024-03-31 00:00:00", TRUE/FALSE "true"/"false".
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.9f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def parse_number_text(text: str) -> float:
    """Read numbers written as text: '1 234,5', '1,234.50', '1.234,5', '-12'. Refuse ambiguity."""
    compact = _SPACES.sub("", text)
    if not compact:
        raise Unreadable("not_a_number")
    if "," in compact and "." in compact:
        decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        compact = compact.replace(thousands, "").replace(decimal, ".")
    elif "," in compact:
        head, _, tail = compact.rpartition(",")
        if compact.count(",") > 1:
            compact = compact.replace(",", "")  # 1,234,567: thousands only
        elif len(tail) == 3 and head.lstrip("-+").isdigit():
            raise Unreadable("not_unambiguous")
        else:
            compact = compact.replace(",", ".")
    try:
        number = float(compact)
    except ValueError:
        raise Unreadable("not_a_number") from None
    if not math.isfinite(number):  # 'nan', 'inf': Python reads them, a submission must not
        raise Implausible("not_finite")
    return number


_CONVERTERS: dict[str, Callable] = {
    "number": _to_number,
    "int": _to_int,
    "pct": _to_pct,
    "date": _to_date,
    "yn": _to_yn,
    "enum": _to_enum,
    "text": _to_text,
}
# pct has no bulk path: percent-formatted cells and values below 1 need a look each.
_BULK: dict[str, Callable] = {
    "number": _bulk_numbers,
    "int": _bulk_ints,
    "pct": _bulk_none,
    "date": _bulk_dates,
    "yn": _bulk_flags,
    "enum": _bulk_enums,
    "text": _bulk_texts,
}
