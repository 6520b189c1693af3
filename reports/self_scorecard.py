"""What the investee's own scorecard shows, in its template's language.

Its scores against the portfolio's quartiles (never another investee's name, id or value; no
quartiles when fewer than five other investees were scored), its red flags, and for each
principle what would raise its score. Everything here comes from the investee's own rows and
the quarter's aggregate quartiles only: the context never holds another investee's data.
"""

from __future__ import annotations

import datetime as dt
import json

from smartdd.reports import charts, i18n
from smartdd.reports.data import ReportData, first, records
from smartdd.reports.evidence import cell_ranges
from smartdd.reports.format import CATALOGUE, country_name, metric_value
from smartdd.reports.format import metric_label as english_label
from smartdd.reports.peers import MIN_OTHERS_FOR_QUARTILES, quartiles_shown
from smartdd.reports.seeds import Methodology
from smartdd.reports.verdict import flag_subject

# metrics whose value, with the investee's own figures, would give away a peer median of a small peer group
PEER_DERIVED = {"apr_to_peer_median"}


def self_context(data: ReportData, investee_id: str, period: str, stats: dict, generated: str | None = None) -> dict:
    """data: this investee's rows of `period` (and earlier: the previous score)."""
    now = data.in_period(period)
    card = first(now.scorecard)
    lang = card.get("language") if card.get("language") in i18n.LANGUAGES else "en"
    method = Methodology(str(card.get("methodology_version") or "1"))
    principles = records(now.principles)
    shown = {p["principle_code"]: quartiles_shown(stats.get(p["principle_code"], {})) for p in principles}
    rows = []
    for p in principles:
        code = p["principle_code"]
        q = stats.get(code, {}) if shown[code] else {}
        rows.append({**p, "name": i18n.principle(code, lang, p["principle_name"]), "q1": q.get("q1"), "median": q.get("median"), "q3": q.get("q3")})
    overall_q = stats.get("overall", {}) if quartiles_shown(stats.get("overall", {})) else {}
    any_quartiles = any(shown.values())
    return {
        "lang": lang,
        "w": i18n.words(lang),
        "investee_id": investee_id,
        "institution_name": card.get("institution_name") or investee_id,
        "country_name": country_name(card.get("country"), lang),
        "period": period,
        "generated": generated or dt.date.today().isoformat(),
        "methodology_version": method.version,
        "card": card,
        "overall_quartiles": overall_q,
        "capped": i18n.ui("capped", lang).format(uncapped=card.get("uncapped_rating"), rating=card.get("rating"))
        if card.get("uncapped_rating") not in (None, card.get("rating"))
        else "",
        "principles": rows,
        "quartiles_shown": any_quartiles,
        "no_quartiles": "" if any_quartiles else i18n.ui("no_quartiles", lang).format(n=MIN_OTHERS_FOR_QUARTILES),
        "chart": charts.quartiles(
            [f"{p['principle_code']} {p['name']}" for p in rows],
            [p["score"] for p in rows],
            [p["q1"] for p in rows],
            [p["median"] for p in rows],
            [p["q3"] for p in rows],
            (i18n.ui("you", lang), i18n.ui("iqr", lang), i18n.ui("median", lang)),
        ),
        "flags": [_flag(f, lang, method) for f in records(now.flags)],
        "improvements": _improvements(now, rows, lang, method),
    }


def _words(item: dict, lang: str, method: Methodology) -> str:
    """A flag condition in the investee's language (the investee's own value only)."""
    if "indicator_code" in item:
        code = str(item["indicator_code"])
        return f"{code}: {i18n.answer(str(item.get('answer')), lang)} — “{method.indicator_text(code, lang)}”"
    code = str(item.get("metric"))
    label = i18n.metric_label(code, lang, english_label(code))
    value, threshold = item.get("value"), item.get("threshold")
    if code in PEER_DERIVED:
        return f"{label}: {i18n.ui('peer_hidden', lang)}"
    if code in CATALOGUE and CATALOGUE[code].unit == "boolean":
        return f"{label}: {i18n.answer('Yes' if value else 'No', lang)}"
    comparison = i18n.COMPARISONS.get(item.get("comparison"), {}).get(lang, item.get("comparison"))
    return f"{label}: {metric_value(code, value)} ({comparison} {i18n.THRESHOLD[lang]} {metric_value(code, threshold)})"


def _flag(flag: dict, lang: str, method: Methodology) -> dict:
    try:
        items = json.loads(flag.get("evidence") or "[]")
    except (TypeError, ValueError):
        items = []
    return {
        "severity": flag["severity"],
        "flag_code": flag["flag_code"],
        "subject": f"{i18n.ui('product', lang)} {flag['subject_code']}" if flag.get("scope") == "product" else flag_subject(flag),
        "title": i18n.flag_title(flag["flag_code"], lang, method.flag_description(flag["flag_code"])),
        "conditions": [{"words": _words(item, lang, method), "cells": cell_ranges(item.get("cells") or [])} for item in items],
    }


def _improvements(now: ReportData, principles: list[dict], lang: str, method: Methodology) -> list[dict]:
    answers = records(now.answers)
    scores = records(now.metric_scores)
    out = []
    for p in principles:
        code = p["principle_code"]
        practices = [
            {
                **a,
                "text": method.indicator_text(a["indicator_code"], lang),
                "answer": i18n.answer(a["response"], lang),
                "missing_evidence": a["response"] in ("Yes", "Partially") and not a["has_evidence"],
            }
            for a in answers
            if a["principle_code"] == code and a["scored_value"] is not None and a["scored_value"] < 1
        ]
        off_target = [
            {
                **m,
                "label": i18n.metric_label(m["metric"], lang, english_label(m["metric"])),
                "value_text": i18n.ui("peer_hidden", lang) if m["metric"] in PEER_DERIVED else metric_value(m["metric"], m["metric_value"]),
                "target_text": metric_value(m["metric"], m["good"]),
            }
            for m in scores
            if m["principle_code"] == code and m["metric_score"] is not None and m["metric_score"] < 100
        ]
        if practices or off_target:
            out.append({"principle_code": code, "name": p["name"], "score": p["score"], "practices": practices, "metrics": off_target})
    return out
