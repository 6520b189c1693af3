"""Everything a report shows, read from the published marts only (schema `marts`), in one pass."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import duckdb
import pandas as pd

# (field of ReportData, query); every frame has investee_id and period_end (a DATE shown as text)
QUERIES = {
    "scorecard": "select * from marts.cp_scorecard",
    "principles": "select * from marts.cp_principle_scores",
    "flags": "select * from marts.red_flags",
    "pricing": "select * from marts.product_pricing",
    "metrics": "select * from marts.investee_quarter_metrics",
    "answers": "select * from marts.cp_indicator_answers",
    "metric_scores": "select * from marts.cp_metric_scores",
    "complaints": "select * from marts.complaints_by_category",
    "dsti": "select * from marts.dsti_distribution",
    # the warnings of the submissions that were scored (rejections are shown as submissions)
    "warnings": """
        select s.investee_id, s.period_end, i.sheet, i.cell, i.severity, i.rule, i.message
        from marts.validation_issues i
        join marts.submissions s using (submission_id)
        where s.status <> 'rejected' and s.superseded_by is null and i.severity = 'warning'
    """,
    # every workbook received, rejected and superseded ones included
    "submissions": """
        select investee_id, period_end, submission_id, file_name, received_at, status, reason, superseded_by, error_count, warning_count
        from marts.submissions where investee_id is not null and period_end is not null
    """,
}
# the marts these queries read: _exposures.yml declares them for every report
MARTS = (
    "cp_scorecard",
    "cp_principle_scores",
    "red_flags",
    "product_pricing",
    "investee_quarter_metrics",
    "cp_indicator_answers",
    "cp_metric_scores",
    "complaints_by_category",
    "dsti_distribution",
    "validation_issues",
    "submissions",
)
ORDER = {
    "principles": ["principle_code"],
    "flags": ["severity", "flag_code", "subject_code"],
    "pricing": ["product_code"],
    "answers": ["indicator_code"],
    "metric_scores": ["principle_code", "metric"],
    "complaints": ["source_row"],
    "dsti": ["band_order"],
    "warnings": ["sheet", "cell", "message"],
    "submissions": ["received_at"],
}


@dataclass(frozen=True)
class ReportData:
    scorecard: pd.DataFrame
    principles: pd.DataFrame
    flags: pd.DataFrame
    pricing: pd.DataFrame
    metrics: pd.DataFrame
    answers: pd.DataFrame
    metric_scores: pd.DataFrame
    complaints: pd.DataFrame
    dsti: pd.DataFrame
    warnings: pd.DataFrame
    submissions: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def where(self, keep) -> ReportData:
        """The same data with each frame's rows filtered by keep(frame) -> boolean mask."""
        return replace(self, **{name: frame[keep(frame)] for name, frame in self.frames().items()})

    def for_investee(self, investee_id: str) -> ReportData:
        return self.where(lambda frame: frame["investee_id"] == investee_id)

    def up_to(self, period: str) -> ReportData:
        """Every quarter up to `period` (a report never shows a later quarter)."""
        return self.where(lambda frame: frame["period"] <= period)

    def in_period(self, period: str) -> ReportData:
        return self.where(lambda frame: frame["period"] == period)

    @property
    def periods(self) -> list[str]:
        """The quarters with at least one scorecard, oldest first."""
        return sorted(self.scorecard["period"].unique())

    def investees(self, period: str) -> list[str]:
        return sorted(self.scorecard.loc[self.scorecard["period"] == period, "investee_id"].unique())


def load_report_data(warehouse: Path) -> ReportData:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frames = {name: con.sql(query).fetchdf() for name, query in QUERIES.items()}
    for name, frame in frames.items():
        frame["period"] = frame["period_end"].astype(str).str[:10]
        frames[name] = frame.sort_values(["investee_id", "period", *ORDER.get(name, [])], kind="stable").reset_index(drop=True)
    return ReportData(**frames)


def previous_period(period: str) -> str:
    """The calendar quarter end before `period` (YYYY-MM-DD)."""
    end = pd.Timestamp(period)
    return str((end - pd.offsets.QuarterEnd(1)).date())


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with every missing value (NaN, NA, NaT) as None."""
    return [{k: (None if _missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def first(frame: pd.DataFrame) -> dict:
    rows = records(frame.head(1))
    return rows[0] if rows else {}


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False  # a list or array is a value
