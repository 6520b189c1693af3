"""Why a scorecard says what it says: the cap on the rating and what drives the screening.

Both are read back from the marts (rating, uncapped_rating, screening, the flags raised) and the
methodology's bands and severities; nothing is scored again here.
"""

from __future__ import annotations

from smartdd.reports.evidence import conditions
from smartdd.reports.format import score
from smartdd.reports.seeds import Methodology

SCREENING_ORDER = {"fail": 0, "watch": 1, "pass": 2}


def flag_subject(flag: dict) -> str:
    subject = flag.get("subject_code")
    if not subject:
        return ""
    return f"product {subject}" if flag.get("scope") == "product" else str(subject)


def cap_reason(card: dict, flags: list[dict], method: Methodology) -> dict | None:
    """When a critical flag lowered the rating: the rating the score would get, the cap and the
    flags that impose it (each with its condition in words)."""
    if not card or card.get("rating") == card.get("uncapped_rating") or not card.get("uncapped_rating"):
        return None
    caps = method.capping_severities()
    because = []
    for flag in flags:
        if flag.get("severity") in caps:
            words = "; ".join(c["words"] for c in conditions(flag.get("evidence"), method.indicator_text))
            because.append({"flag_code": flag["flag_code"], "severity": flag["severity"], "words": words or method.flag_description(flag["flag_code"])})
    return {"uncapped_rating": card["uncapped_rating"], "rating": card["rating"], "because": because}


def screening_drivers(card: dict, flags: list[dict], method: Methodology) -> list[str]:
    """The sources that give the screening its outcome (the worst one wins), in words."""
    if not card:
        return []
    outcome = card.get("screening")
    rating = card.get("rating")
    drivers = []
    if method.band_screening(rating) == outcome:
        capped = " after the cap" if card.get("uncapped_rating") not in (None, rating) else ""
        drivers.append(f"rating {rating}{capped} (overall score {score(card.get('overall_score'))}) gives {outcome}")
    by_severity = method.severity_screening()
    for severity in ("critical", "high", "medium"):
        raised = [f for f in flags if f.get("severity") == severity]
        if raised and by_severity.get(severity) == outcome and outcome != "pass":
            codes = sorted({f["flag_code"] + (f" ({flag_subject(f)})" if flag_subject(f) else "") for f in raised})
            drivers.append(f"{len(raised)} {severity} flag{'s' if len(raised) > 1 else ''}: {', '.join(codes)}")
    if outcome == "pass":
        drivers.append("no critical or high red flag")
    return drivers


def worst_first(cards: list[dict]) -> list[dict]:
    return sorted(cards, key=lambda c: (SCREENING_ORDER.get(c.get("screening"), 3), c.get("overall_score") or 0))
