"""Everything a report shows, read from the published marts only (schema `marts`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

MARTS = ("cp_scorecard", "cp_principle_scores", "red_flags", "product_pricing", "investee_quarter_metrics")


@dataclass
class ReportData:
    scorecard: pd.DataFrame
    principles: pd.DataFrame
    flags: pd.DataFrame
    pricing: pd.DataFrame
    metrics: pd.DataFrame
    warnings: pd.DataFrame
    submissions: pd.DataFrame  # every workbook received, rejected ones included

    def for_investee(self, investee_id: str) -> ReportData:
        return ReportData(*(frame[frame["investee_id"] == investee_id] for frame in self.frames()))

    def frames(self) -> tuple[pd.DataFrame, ...]:
        return (self.scorecard, self.principles, self.flags, self.pricing, self.metrics, self.warnings, self.submissions)

    @property
    def investees(self) -> list[str]:
        return sorted(self.metrics["investee_id"].unique())


def load_report_data(warehouse: Path) -> ReportData:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frames = {name: con.sql(f"select * from marts.{name} order by investee_id, period_end").fetchdf() for name in MARTS}
        warnings = con.sql(
            """
            select s.investee_id, s.period_end, i.sheet, i.cell, i.severity, i.message
            from marts.validation_issues i
            join marts.submissions s using (submission_id)
            where s.status <> 'rejected' and s.superseded_by is null and i.severity = 'warning'
            order by 1, 2, 3, 4
            """
        ).fetchdf()
        submissions = con.sql(
            """
            select investee_id, period_end, file_name, received_at, status, reason, superseded_by
            from marts.submissions where investee_id is not null
            order by investee_id, period_end, received_at
            """
        ).fetchdf()
    return ReportData(
        scorecard=frames["cp_scorecard"],
        principles=frames["cp_principle_scores"].sort_values(["investee_id", "period_end", "principle_code"]),
        flags=frames["red_flags"],
        pricing=frames["product_pricing"],
        metrics=frames["investee_quarter_metrics"],
        warnings=warnings,
        submissions=submissions,
    )
