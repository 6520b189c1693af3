"""What a failed `dbt build` says, read from its `run_results.json`: every failing node by name,
with its message, and, for a failing data test, the submissions whose rows made it fail."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

FAILED = {"error", "fail", "runtime error"}
_SUBMISSION_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class DbtFailure:
    unique_id: str  # e.g. test.smartdd.within_range_cp_scorecard_overall_score__100__0.1a2b3c
    status: str
    message: str
    failures: int | None  # failing rows, for a data test
    compiled_code: str

    @property
    def kind(self) -> str:
        return self.unique_id.split(".", 1)[0]

    @property
    def name(self) -> str:
        parts = self.unique_id.split(".")
        return parts[2] if len(parts) > 2 else self.unique_id

    def describe(self) -> str:
        rows = f" ({self.failures} failing row(s))" if self.failures else ""
        return f"{self.kind} {self.name}: {self.status}{rows}: {(self.message or '').strip()}"


def read_failures(run_results: Path) -> list[DbtFailure]:
    """Every node that failed or errored (warnings are not failures); empty if dbt wrote no results."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    return [
        DbtFailure(r["unique_id"], r["status"], r.get("message") or "", r.get("failures"), r.get("compiled_code") or "")
        for r in results
        if r.get("status") in FAILED
    ]


def failing_submissions(build_file: Path, failures: list[DbtFailure]) -> dict[str, str]:
    """For each failing data test whose failing rows carry a submission_id, those submissions and
    the reason they are taken out. Models that error cannot be pinned on one submission."""
    culprits: dict[str, str] = {}
    tests = [f for f in failures if f.kind == "test" and f.compiled_code]
    if not tests or not build_file.exists():
        return culprits
    with duckdb.connect(str(build_file), read_only=True) as con:
        for failure in tests:
            try:
                rows = con.sql(f"select * from ({failure.compiled_code}) as failing limit 1000")
            except duckdb.Error:
                continue
            if "submission_id" not in rows.columns:
                continue
            for (submission_id,) in rows.select("submission_id").distinct().fetchall():
                if isinstance(submission_id, str) and _SUBMISSION_ID.fullmatch(submission_id):
                    culprits.setdefault(
                        submission_id,
                        f"Taken out of this quarter's warehouse: the check {failure.name} failed on this submission's data; "
                        "the other submissions were built. The investor's data team has the details.",
                    )
    return culprits
