"""Resubmissions: the later-received workbook is the current one, whatever the order of the file hashes.

Each investee-quarter here has two or three accepted workbooks whose received_at order differs from
their sha256 order (smartdd names a submission by the first 16 hex digits of its sha256, so that is
also the submission_id order): ordering supersession by hash, or by submission_id, fails. Each
workbook has its own PAR30, so the metric shows which one fed the scores.

Quarter 2024-12-31 belongs to this module (investees SS-...); it shares the session's one dbt build
with tests/methodology (cp_cases).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "methodology"))
from cp_cases import case, register, rows_by_case, shared_warehouse, submission_id_of  # noqa: E402

pytestmark = pytest.mark.slow

QUARTER = dt.date(2024, 12, 31)
DAY = dt.datetime(2025, 1, 20, 9, 0, tzinfo=dt.UTC)


def submission(investee: str, name: str, hash_prefix: str, received_hours: float, par30: float, status: str = "accepted"):
    """A workbook whose sha256 starts with `hash_prefix`, received `received_hours` after DAY."""
    sha = hash_prefix + hashlib.sha256(f"{investee}/{name}".encode()).hexdigest()[len(hash_prefix) :]
    return case(
        f"supersession:{investee}:{name}",
        investee,
        QUARTER,
        portfolio={"par30": par30},
        file_sha256=sha,
        received_at=DAY + dt.timedelta(hours=received_hours),
        status=status,
    )


# investee -> its workbooks, in the order received
HISTORIES = {
    # the later one has the smaller hash
    "SS-1": [submission("SS-1", "first", "f0", 0, 10_000.0), submission("SS-1", "second", "0f", 24, 20_000.0)],
    # the later one has the larger hash
    "SS-2": [submission("SS-2", "first", "0a", 0, 11_000.0), submission("SS-2", "second", "fa", 24, 21_000.0)],
    # three, hashes in neither order: c, a, b
    "SS-3": [submission("SS-3", "first", "c0", 0, 12_000.0), submission("SS-3", "second", "a0", 5, 22_000.0), submission("SS-3", "third", "b0", 30, 32_000.0)],
    # minutes apart, the later one with the smaller hash
    "SS-4": [submission("SS-4", "first", "d0", 0, 13_000.0), submission("SS-4", "second", "1d", 0.05, 23_000.0)],
    # a later workbook with warnings still supersedes; a later rejected one does not
    "SS-5": [
        submission("SS-5", "first", "e0", 0, 14_000.0),
        submission("SS-5", "second", "9e", 10, 24_000.0, status="accepted_with_warnings"),
        submission("SS-5", "third", "0e", 20, 34_000.0, status="rejected"),
    ],
}
CURRENT = {"SS-1": "second", "SS-2": "second", "SS-3": "third", "SS-4": "second", "SS-5": "second"}
SUPERSEDED_BY = {  # name -> the name of the one that supersedes it (None: current, or not accepted)
    "SS-1": {"first": "second", "second": None},
    "SS-2": {"first": "second", "second": None},
    "SS-3": {"first": "second", "second": "third", "third": None},
    "SS-4": {"first": "second", "second": None},
    "SS-5": {"first": "second", "second": None, "third": None},
}
ALL = register([s for history in HISTORIES.values() for s in history])
for _investee, _history in HISTORIES.items():
    for _s in _history:
        _s.scored = _s.case_id.endswith(":" + CURRENT[_investee])


def _name(case_id: str) -> str:
    return case_id.rsplit(":", 1)[1]


def test_the_histories_disagree_with_the_hash_order():
    """A guard on the data: ordering by sha256 (or submission_id) picks another current workbook for every
    investee but SS-2 (the vice versa: there the later one also has the larger hash, so "the earlier wins" fails)."""
    for investee, history in HISTORIES.items():
        accepted = [s for s in history if s.status != "rejected"]
        by_hash = max(accepted, key=lambda s: s.file_sha256)
        assert (_name(by_hash.case_id) == CURRENT[investee]) == (investee == "SS-2"), investee
        assert [s.received_at for s in history] == sorted(s.received_at for s in history)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return shared_warehouse(tmp_path_factory)


@pytest.mark.parametrize("investee", list(HISTORIES))
def test_the_later_received_workbook_supersedes_the_earlier(investee, warehouse):
    history = HISTORIES[investee]
    names = {submission_id_of(s): _name(s.case_id) for s in history}
    rows = rows_by_case(warehouse, "select submission_id, status, superseded_by from marts.submissions", history)
    found = {_name(case_id): names.get(r[0]["superseded_by"]) for case_id, r in rows.items()}
    assert found == SUPERSEDED_BY[investee]


@pytest.mark.parametrize("investee", list(HISTORIES))
def test_only_the_current_workbook_feeds_the_scores(investee, warehouse):
    history = HISTORIES[investee]
    (current,) = [s for s in history if _name(s.case_id) == CURRENT[investee]]
    for mart in ("investee_quarter_metrics", "cp_scorecard", "cp_principle_scores"):
        rows = rows_by_case(warehouse, f"select * from marts.{mart}", history)
        fed = sorted({_name(case_id) for case_id, r in rows.items() if r})
        assert fed == [CURRENT[investee]], mart
    (metrics,) = rows_by_case(warehouse, "select * from marts.investee_quarter_metrics", history)[current.case_id]
    assert metrics["par30_ratio"] == pytest.approx(current.portfolio["par30"] / current.portfolio["gross_loan_portfolio"], abs=1e-12)
