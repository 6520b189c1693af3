"""How numbers look in every report (HTML, PDF, Excel share these labels and formats)."""

from __future__ import annotations

import math

from smartdd.methodology.metrics import reported

# (code, label, format) of each metric the reports show, in table order: the metric catalogue's
# (dbt seed metric_catalogue.csv), so a metric is added to the reports in one place.
METRICS = [(m.metric, m.label, m.display_format) for m in reported()]


def fmt(value, pattern: str = "{:,.1f}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        if value != value:  # pandas NA / NaT
            return "–"
    except TypeError:
        return "–"
    if isinstance(value, str):
        return value
    return pattern.format(value)


def day(value) -> str:
    return "" if value is None else str(value)[:10]
