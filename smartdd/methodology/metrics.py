"""The metric catalogue (dbt seed metric_catalogue.csv): which metrics exist, and how each is shown.

One row per metric and level: its principle, English label, unit, display format, IRIS+ code,
place in the reports' metric table and the formula the worked example prints. The reports and
the worked example read it here; the dbt macros of `macros/metric_names.sql` are generated from
it (dbt cannot read a file at parse time):

    python -m smartdd.methodology.metrics

writes the macros, and tests/test_codegen.py fails while they are out of step with the seed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from smartdd.methodology import methodology_version
from smartdd.paths import DBT_PROJECT_DIR, SEEDS_DIR

CATALOGUE_PATH = SEEDS_DIR / "metric_catalogue.csv"
MACROS_PATH = DBT_PROJECT_DIR / "macros" / "metric_names.sql"
LEVELS = ("investee", "product", "derived")


@dataclass(frozen=True)
class Metric:
    """One row of the catalogue (empty cells are None)."""

    metric: str
    level: str
    scope: str
    topic: str
    principle_code: str | None
    label: str
    unit: str
    display_format: str
    iris_code: str | None
    report_order: int | None
    formula: str | None
    formula_note: str | None
    methodology_version: str


def _metric(row: dict[str, str]) -> Metric:
    text = {key: (value if value != "" else None) for key, value in row.items()}
    return Metric(**{**text, "report_order": int(row["report_order"]) if row["report_order"] else None})


@cache
def catalogue(version: str | None = None) -> tuple[Metric, ...]:
    """The metrics of one methodology version (default: the one in force), in the seed's order."""
    wanted = version or methodology_version()
    with CATALOGUE_PATH.open(encoding="utf-8", newline="") as f:
        return tuple(m for m in map(_metric, csv.DictReader(f)) if m.methodology_version == wanted)


def metric_names(level: str) -> list[str]:
    """Codes of the metrics of one level, in the seed's order (the order of the dbt macros)."""
    if level not in LEVELS:
        raise ValueError(f"unknown metric level {level!r}; one of {LEVELS}")
    return [m.metric for m in catalogue() if m.level == level]


def reported() -> list[Metric]:
    """The investee-level metrics the reports show, in the order of their metric table."""
    return sorted((m for m in catalogue() if m.level == "investee" and m.report_order is not None), key=lambda m: m.report_order)


# --- dbt macros ----------------------------------------------------------------------------

_MACROS = (
    (
        "investee",
        "investee_metric_names",
        "The investee-level metrics that can be scored (metric_thresholds) or flagged (red_flag_rules):\n   numeric columns of int_investee_quarters__metrics.",
    ),
    ("product", "product_metric_names", "Product-level metrics of int_products__peer_benchmarked that red_flag_rules may name."),
    (
        "derived",
        "derived_metric_names",
        "Metrics red_flag_rules may name that are not columns above: the change of the overall score\n"
        "   (known only after scoring) and the answer value of an essential indicator.",
    ),
)


def render_macros() -> str:
    """macros/metric_names.sql: one macro per level returning the level's metric codes."""
    out = [
        "{# Generated from seeds/metric_catalogue.csv by `python -m smartdd.methodology.metrics`. Do not edit:\n"
        "   add a metric as a row of the catalogue (a seed naming a metric not in it fails the test\n"
        "   methodology_metrics_exist). #}\n"
    ]
    for level, name, doc in _MACROS:
        names = "".join(f"        '{code}',\n" for code in metric_names(level))
        out.append(f"\n{{# {doc} #}}\n{{% macro {name}() -%}}\n    {{{{ return([\n{names}    ]) }}}}\n{{%- endmacro %}}\n")
    return "".join(out)


def write_macros() -> Path:
    MACROS_PATH.write_text(render_macros(), encoding="utf-8")
    return MACROS_PATH


if __name__ == "__main__":
    print(write_macros())
