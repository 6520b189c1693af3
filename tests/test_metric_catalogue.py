"""The metric catalogue (dbt seed metric_catalogue.csv) is one consistent list the reports can show."""

from __future__ import annotations

import csv

from smartdd.reports.format import METRICS

from smartdd.methodology import methodology_version
from smartdd.methodology.metrics import CATALOGUE_PATH, LEVELS, catalogue, metric_names, reported


def test_the_catalogue_has_rows_for_the_methodology_in_force():
    assert catalogue(), f"no metric of methodology version {methodology_version()} in {CATALOGUE_PATH.name}"
    assert {m.level for m in catalogue()} <= set(LEVELS)
    for level in LEVELS:
        names = metric_names(level)
        assert len(names) == len(set(names)), f"a {level} metric is listed twice"


def test_every_row_has_the_columns_of_the_seed():
    with CATALOGUE_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(None not in row and None not in row.values() for row in rows), "a row has too many or too few cells"


def test_the_reports_show_investee_metrics_in_one_order_each_with_a_working_format():
    shown = reported()
    orders = [m.report_order for m in shown]
    assert len(orders) == len(set(orders)), "two metrics share a report_order"
    assert all(m.level == "investee" for m in catalogue() if m.report_order is not None), "only investee-level metrics are columns the reports read"
    for m in catalogue():
        m.display_format.format(0.5)  # a bad format string fails here, not in a report
    assert METRICS == [(m.metric, m.label, m.display_format) for m in shown]
