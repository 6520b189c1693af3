"""A re-run renders only what changed: the investee whose data changed, and the portfolio views."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from smartdd.reports.build import write_reports

pytestmark = pytest.mark.slow


def test_a_rerun_with_nothing_new_renders_nothing_but_the_index_and_the_validation_summary(reported):
    settings, _ = reported
    again = write_reports(settings.warehouse, settings.reports)
    assert again == [settings.reports / "index.html", settings.reports / "validation_summary.html"]


def test_a_changed_investee_quarter_renders_that_investee_and_the_portfolio_views_only(reported, marts, tmp_path):
    settings, _ = reported
    out = tmp_path / "reports"
    shutil.copytree(settings.reports, out)
    warehouse = tmp_path / "smartdd.duckdb"
    shutil.copy2(settings.warehouse, warehouse)
    card = marts("select investee_id, cast(period_end as varchar) as period from marts.cp_scorecard order by period_end desc, investee_id")[0]
    with duckdb.connect(str(warehouse)) as con:  # as a resubmission would: a figure of one investee-quarter changes
        con.execute(
            "update marts.investee_quarter_metrics set women_borrowers_pct = women_borrowers_pct + 1 where investee_id = ? and period_end = ?",
            [card["investee_id"], card["period"]],
        )
    written = {p.relative_to(out).as_posix() for p in write_reports(warehouse, out)}
    period, investee = card["period"], card["investee_id"]
    assert written == {
        f"{period}/{investee}.html", f"{period}/{investee}.pdf", f"{period}/investee/{investee}.html", f"{period}/investee/{investee}.pdf",
        f"{period}/portfolio.html", f"{period}/portfolio.pdf", f"{period}/portfolio_scorecard.xlsx", "index.html", "validation_summary.html",
    }  # fmt: skip


def test_one_period_can_be_rendered_again_on_demand(reported, marts, tmp_path):
    settings, _ = reported
    period = str(marts("select min(period_end) as p from marts.cp_scorecard")[0]["p"])[:10]
    written = write_reports(settings.warehouse, tmp_path / "r", period=period)
    assert {p.parent.name for p in written if p.name not in ("index.html", "validation_summary.html")} <= {period, "investee"}
    with pytest.raises(ValueError, match="No scorecard for the quarter ending 1999-12-31"):
        write_reports(settings.warehouse, tmp_path / "r", period="1999-12-31")
