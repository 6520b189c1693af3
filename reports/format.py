"""How numbers and names look in every report (HTML, PDF, Excel share these labels and formats)."""

from __future__ import annotations

import math

from babel import Locale

from smartdd.methodology.metrics import catalogue, reported
from smartdd.safe_text import printable

# (code, label, format) of each metric the reports show, in table order: the metric catalogue's
# (dbt seed metric_catalogue.csv), so a metric is added to the reports in one place.
METRICS = [(m.metric, m.label, m.display_format) for m in reported()]
# every metric of the catalogue, any level: labels and formats for flags, targets and scores
CATALOGUE = {m.metric: m for m in catalogue()}

SEVERITIES = ("critical", "high", "medium")
RATINGS = ("A", "B", "C", "D")
SCREENINGS = ("pass", "watch", "fail")


def missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))  # NaN, NA, NaT
    except TypeError:
        return True  # pandas NA compared


def fmt(value, pattern: str = "{:,.1f}") -> str:
    if isinstance(value, str):
        return printable(value)
    if missing(value):
        return "–"
    return pattern.format(value)


def score(value) -> str:
    return fmt(value, "{:.1f}")


def change(value) -> str:
    return fmt(value, "{:+.1f}")


def pct(value, decimals: int = 1) -> str:
    return fmt(value, "{:.DECf} %".replace("DEC", str(decimals)))


def day(value) -> str:
    return "" if missing(value) else str(value)[:10]


def metric_label(code: str) -> str:
    metric = CATALOGUE.get(code)
    return metric.label if metric else code.replace("_", " ")


def metric_value(code: str, value) -> str:
    """A metric's value in its catalogue format (12.3 %, 0.85, 1,234)."""
    metric = CATALOGUE.get(code)
    if metric is None or missing(value):
        return fmt(value, "{:,.4g}")
    if metric.unit == "boolean":
        return "yes" if value else "no"
    return fmt(value, metric.display_format)


def excel_format(code: str) -> str:
    """The Excel number format of a metric (percent for fractions, one decimal otherwise)."""
    unit = CATALOGUE[code].unit if code in CATALOGUE else "ratio"
    return {"fraction": "0.0%", "count": "#,##0", "usd": "#,##0", "percent": '0.0" %"', "percentage_points": '0.0" pp"'}.get(unit, "0.00")


def country_name(code, lang: str = "en") -> str:
    """ISO 3166 alpha-2 to a name in `lang` (the code itself when unknown)."""
    if missing(code):
        return ""
    code = printable(str(code))
    return Locale(lang).territories.get(code.upper(), code)


def parenthesised(text: str) -> str:
    return f" ({text})" if text else ""
