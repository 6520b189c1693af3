"""Why a scorecard says what it says: the watch list's order and the drivers of a screening.

The methodology is a stand-in written here (critical fails, high watches, medium passes; A and B
pass, C watches, D fails), so the expected lists below are worked out by hand from it and do not
move when a seed does.
"""

from __future__ import annotations

from smartdd.reports.verdict import screening_drivers, worst_first


class StandInMethodology:
    bands = {"A": "pass", "B": "pass", "C": "watch", "D": "fail"}

    def band_screening(self, rating: str) -> str:
        return self.bands.get(rating, "")

    def severity_screening(self) -> dict[str, str]:
        return {"critical": "fail", "high": "watch", "medium": "pass"}


def flag(code: str, severity: str, subject: str | None = None, scope: str = "institution") -> dict:
    return {"flag_code": code, "severity": severity, "subject_code": subject, "scope": scope}


def test_the_watch_list_puts_fails_first_then_watches_then_passes_lowest_score_first():
    cards = [
        {"investee_id": "pass-high", "screening": "pass", "overall_score": 91.0},
        {"investee_id": "watch-70", "screening": "watch", "overall_score": 70.0},
        {"investee_id": "fail-60", "screening": "fail", "overall_score": 60.0},
        {"investee_id": "unknown", "screening": None, "overall_score": 10.0},
        {"investee_id": "pass-low", "screening": "pass", "overall_score": 80.0},
        {"investee_id": "fail-40", "screening": "fail", "overall_score": 40.0},
        {"investee_id": "watch-55", "screening": "watch", "overall_score": 55.0},
    ]
    order = [c["investee_id"] for c in worst_first(cards)]
    assert order == ["fail-40", "fail-60", "watch-55", "watch-70", "pass-low", "pass-high", "unknown"]


def test_a_fail_names_only_the_flags_whose_severity_fails():
    card = {"screening": "fail", "rating": "C", "uncapped_rating": "B", "overall_score": 79.0}
    flags = [flag("NO_APR_DISCLOSED", "critical"), flag("PAR30_HIGH", "high"), flag("FEW_OFFICERS", "medium")]
    # rating C gives watch, not fail: the rating is no driver; only the critical flag fails
    assert screening_drivers(card, flags, StandInMethodology()) == ["1 critical flag: NO_APR_DISCLOSED"]


def test_a_watch_names_its_high_flags_and_a_rating_that_watches():
    card = {"screening": "watch", "rating": "C", "uncapped_rating": "C", "overall_score": 64.25}
    flags = [flag("PAR30_HIGH", "high"), flag("APR_UNDERSTATED", "high", "P2", "product"), flag("FEW_OFFICERS", "medium")]
    assert screening_drivers(card, flags, StandInMethodology()) == [
        "rating C (overall score 64.2) gives watch",
        "2 high flags: APR_UNDERSTATED (product P2), PAR30_HIGH",
    ]


def test_a_capped_rating_that_fails_says_so_and_a_pass_names_no_flag():
    method = StandInMethodology()
    capped = {"screening": "fail", "rating": "D", "uncapped_rating": "B", "overall_score": 75.0}
    assert screening_drivers(capped, [], method) == ["rating D after the cap (overall score 75.0) gives fail"]
    passing = {"screening": "pass", "rating": "A", "uncapped_rating": "A", "overall_score": 88.0}
    assert screening_drivers(passing, [flag("FEW_OFFICERS", "medium")], method) == [
        "rating A (overall score 88.0) gives pass",
        "no critical or high red flag",
    ]
