"""What the portfolio dashboard of one quarter shows (HTML and PDF alike).

Heat map of investees × principles, rating distribution, watch list and fails with their reasons,
movers since the previous quarter, submissions missing or rejected, and — when an exposures file
is given — exposure-weighted scores and the exposure by rating.
"""

from __future__ import annotations

import datetime as dt

from smartdd.reports import charts
from smartdd.reports.data import ReportData, previous_period, records
from smartdd.reports.format import RATINGS, SCREENINGS, country_name, day
from smartdd.reports.seeds import Methodology
from smartdd.reports.verdict import cap_reason, flag_subject, screening_drivers, worst_first

MOVERS = 5  # the biggest risers and fallers shown


def portfolio_context(data: ReportData, period: str, exposures: dict[str, float] | None = None, generated: str | None = None) -> dict:
    """data: every mart's rows of `period` and the quarter before it."""
    now, before = data.in_period(period), data.in_period(previous_period(period))
    cards = records(now.scorecard)
    version = str(cards[0]["methodology_version"]) if cards else "1"
    method = Methodology(version)
    flags_by = _by_investee(records(now.flags))
    scores_by = {}
    for p in records(now.principles):
        scores_by.setdefault(p["investee_id"], {})[p["principle_code"]] = p["score"]
    previous = {c["investee_id"]: c for c in records(before.scorecard)}
    codes = list(method.principles)
    for c in cards:
        c["scores"] = [scores_by.get(c["investee_id"], {}).get(code) for code in codes]
        c["flags"] = flags_by.get(c["investee_id"], [])
        c["drivers"] = screening_drivers(c, c["flags"], method)
        c["cap"] = cap_reason(c, c["flags"], method)
        c["previous_rating"] = previous.get(c["investee_id"], {}).get("rating")
        c["exposure"] = (exposures or {}).get(c["investee_id"])
        c["country_name"] = country_name(c.get("country"))
    ratings = {r: sum(1 for c in cards if c["rating"] == r) for r in RATINGS}
    return {
        "period": period,
        "previous_period": previous_period(period),
        "generated": generated or dt.date.today().isoformat(),
        "methodology_version": version,
        "principles": method.principles,
        "bands": method.rating_bands,
        "cards": sorted(cards, key=lambda c: -(c["overall_score"] or 0)),
        "ratings": ratings,
        "rating_chart": charts.rating_bars(ratings),
        "screenings": {s: sum(1 for c in cards if c["screening"] == s) for s in SCREENINGS},
        "watch_list": [c for c in worst_first(cards) if c["screening"] in ("fail", "watch")],
        "movers": _movers(cards),
        "missing": _missing(now, before),
        "submissions": _submission_counts(now),
        "exposure": _exposure(cards, codes, exposures) if exposures is not None else None,
    }


def _by_investee(flags: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in flags:
        f["subject"] = flag_subject(f)
        out.setdefault(f["investee_id"], []).append(f)
    return out


def _movers(cards: list[dict]) -> dict:
    moved = [c for c in cards if c.get("overall_score_change") is not None]
    ups = sorted((c for c in moved if c["overall_score_change"] > 0), key=lambda c: -c["overall_score_change"])[:MOVERS]
    downs = sorted((c for c in moved if c["overall_score_change"] < 0), key=lambda c: c["overall_score_change"])[:MOVERS]
    rerated = [c for c in cards if c["previous_rating"] and c["previous_rating"] != c["rating"]]
    return {"up": ups, "down": downs, "rerated": rerated, "compared": len(moved)}


def _missing(now: ReportData, before: ReportData) -> list[dict]:
    """Investees without a scorecard this quarter: their workbook was rejected, or none came."""
    scored = set(now.scorecard["investee_id"])
    out = []
    names = {c["investee_id"]: c.get("institution_name") for c in records(before.scorecard)}
    received = records(now.submissions)
    for investee_id in sorted({s["investee_id"] for s in received} - scored):
        tries = [s for s in received if s["investee_id"] == investee_id]
        last = tries[-1]
        out.append(
            {
                "investee_id": investee_id,
                "institution_name": names.get(investee_id),
                "status": "rejected",
                "file_name": ", ".join(dict.fromkeys(str(t["file_name"]) for t in tries)),  # every file tried, in the order received
                "received_at": day(last["received_at"]),
                "reason": last["reason"],
                "tries": len(tries),
            }
        )
    for investee_id in sorted(set(names) - scored - {m["investee_id"] for m in out}):
        out.append(
            {
                "investee_id": investee_id,
                "institution_name": names[investee_id],
                "status": "not received",
                "file_name": None,
                "received_at": None,
                "reason": "scored last quarter; no workbook this quarter",
                "tries": 0,
            }
        )
    return out


def _submission_counts(now: ReportData) -> dict:
    subs = now.submissions
    return {
        "received": len(subs),
        "accepted": int(subs["status"].isin(["accepted", "accepted_with_warnings"]).sum()),
        "with_warnings": int((subs["status"] == "accepted_with_warnings").sum()),
        "rejected": int((subs["status"] == "rejected").sum()),
        "superseded": int(subs["superseded_by"].notna().sum()),
    }


def _exposure(cards: list[dict], codes: list[str], exposures: dict[str, float]) -> dict:
    weighted = [c for c in cards if c["exposure"] is not None]
    total = sum(c["exposure"] for c in weighted)

    def average(values):
        pairs = [(c["exposure"], v) for c, v in zip(weighted, values, strict=True) if v is not None]
        weight = sum(e for e, _ in pairs)
        return sum(e * v for e, v in pairs) / weight if weight else None

    by_rating = {r: sum(c["exposure"] for c in weighted if c["rating"] == r) for r in RATINGS}
    return {
        "total": total,
        "investees": len(weighted),
        "overall": average([c["overall_score"] for c in weighted]),
        "principles": [average([c["scores"][i] for c in weighted]) for i in range(len(codes))],
        "unweighted_overall": (sum(c["overall_score"] for c in cards) / len(cards)) if cards else None,
        "by_rating": by_rating,
        "by_rating_share": {r: (v / total if total else None) for r, v in by_rating.items()},
        "chart": charts.rating_bars(by_rating, money=True),
        "without_exposure": [c for c in cards if c["exposure"] is None],
        "unknown_ids": sorted(set(exposures) - {c["investee_id"] for c in cards}),
    }
