"""Sections 4 to 8 of the worked example: metric and principle scores, the overall score, the rating and the red flags."""

from __future__ import annotations

from smartdd.reports.worked_example import queries
from smartdd.reports.worked_example.markdown import evidence_text, given, heading, is_missing, num, table
from smartdd.reports.worked_example.queries import Quarter


def section_metric_scores(q: Quarter) -> list[str]:
    lines = heading(2, "4. Metric scores (methodology.md section 4)")
    lines += [
        "`metric_score = 100 × (value − bad) / (good − bad)`, clamped to 0–100; a missing metric is left out of its principle. "
        "Results from `intermediate.int_metrics__scored`.",
        "",
    ]
    body = []
    for s in queries.metric_scores(q):
        if is_missing(s["metric_value"]):
            body.append([s["principle_code"], s["metric"], given(s["good"]), given(s["bad"]), "missing", "left out", "–"])
            continue
        line = f"100 × ({num(s['metric_value'], 6)} − {given(s['bad'])}) / ({given(s['good'])} − {given(s['bad'])})"
        body.append([s["principle_code"], s["metric"], given(s["good"]), given(s["bad"]), num(s["metric_value"], 6), line, num(s["metric_score"], 4)])
    return lines + table(["P", "metric", "good", "bad", "value", "with the inputs (then clamped)", "score"], body)


def section_principle_scores(q: Quarter) -> list[str]:
    params = queries.parameters(q)
    wi, wm = params["indicator_score_weight"], params["metric_score_weight"]
    answers, scores = queries.cp_answers(q), queries.metric_scores(q)
    principles = queries.principle_scores(q)
    lines = heading(2, "5. Principle scores")
    lines += [
        "`indicator_score(P) = 100 × Σ(weight × value) / Σ weight` over P's answers with a value; "
        "`metric_score(P)` = mean of P's metric scores; "
        f"`score(P) = {given(wi)} × indicator_score + {given(wm)} × metric_score` (the indicator score alone when P has no metric score). "
        "Results from `marts.cp_principle_scores`.",
        "",
    ]
    body = []
    for p in principles:
        valued = [a for a in answers if a["principle_code"] == p["principle_code"] and not is_missing(a["scored_value"])]
        left_out = [a["indicator_code"] for a in answers if a["principle_code"] == p["principle_code"] and is_missing(a["scored_value"])]
        indicator = (
            "100 × ("
            + " + ".join(f"{given(a['weight'])}×{given(a['scored_value'])}" for a in valued)
            + ") / ("
            + " + ".join(given(a["weight"]) for a in valued)
            + ")"
        )
        if left_out:
            indicator += f" ({', '.join(left_out)} N/A, left out)"
        metric_terms = [num(s["metric_score"], 4) for s in scores if s["principle_code"] == p["principle_code"] and not is_missing(s["metric_score"])]
        metric = f"mean({', '.join(metric_terms)})" if metric_terms else "no metric"
        blend = (
            f"{given(wi)} × {num(p['indicator_score'], 4)} + {given(wm)} × {num(p['metric_score'], 4)}"
            if not is_missing(p["metric_score"]) and not is_missing(p["indicator_score"])
            else "indicator score alone"
            if not is_missing(p["indicator_score"])
            else "metric score alone"
        )
        body.append([p["principle_code"], indicator, num(p["indicator_score"], 4), metric, num(p["metric_score"], 4), blend, num(p["score"], 4)])
    return lines + table(["P", "indicator score, with the inputs", "=", "metric score", "=", "score", "="], body)


def section_peers(q: Quarter) -> list[str]:
    lines = heading(3, "Peer percentiles")
    lines += [
        "`peer_percentile = 100 × (rank − 1) / (investees − 1)` of the score among all investees of the same quarter "
        "(rank 1 = lowest; ties share the lowest rank).",
        "",
    ]
    others = queries.peer_principle_scores(q)
    cards = queries.peer_scorecards(q)
    investees = [c["investee_id"] for c in cards]
    by_key = {(o["investee_id"], o["principle_code"]): o for o in others}
    codes = sorted({o["principle_code"] for o in others})
    body = []
    for investee in investees:
        label = f"**{investee}**" if investee == q.investee_id else investee
        body.append(
            [label]
            + [f"{num(by_key[(investee, c)]['score'], 2)} ({num(by_key[(investee, c)]['peer_percentile'], 1)})" for c in codes]
            + [
                f"{num(next(x['overall_score'] for x in cards if x['investee_id'] == investee), 2)} ({num(next(x['overall_peer_percentile'] for x in cards if x['investee_id'] == investee), 1)})"
            ]
        )
    return lines + ["Score (peer percentile) of every investee this quarter:", ""] + table(["investee"] + codes + ["overall"], body)


def section_overall(q: Quarter) -> list[str]:
    card = queries.scorecard(q)
    principles = queries.scored_principles(q)
    numerator = " + ".join(f"{given(p['principle_weight'])}×{num(p['score'], 4)}" for p in principles)
    denominator = " + ".join(given(p["principle_weight"]) for p in principles)
    lines = heading(2, "6. Overall score")
    return lines + table(
        ["quantity", "with the inputs", "pipeline value"],
        [
            ["overall_score = Σ(weight × score(P)) / Σ weight", f"({numerator}) / ({denominator})", num(card["overall_score"], 4)],
            ["previous quarter's overall score", "", num(card["previous_overall_score"], 4)],
            ["change", f"{num(card['overall_score'], 4)} − {num(card['previous_overall_score'], 4)}", num(card["overall_score_change"], 4)],
            ["peer percentile (overall)", "see the table above", num(card["overall_peer_percentile"], 1)],
        ],
    )


def section_rating(q: Quarter) -> list[str]:
    card = queries.scorecard(q)
    bands = queries.rating_bands(q)
    severities = queries.severities(q)
    raised = queries.flags(q)
    lines = heading(2, "7. Rating and screening (methodology.md section 5)")
    lines += [
        "Bands: "
        + ", ".join(f"{b['rating']} ≥ {given(b['min_score'])} ({b['screening']})" for b in bands)
        + ". Flag severities: "
        + ", ".join(f"{s['severity']} → screening {s['screening']}" + (f", rating capped at {s['rating_cap']}" if s["rating_cap"] else "") for s in severities)
        + ".",
        "",
    ]
    by_severity = {
        s["severity"]: [f["flag_code"] + (f" ({f['subject_code']})" if f["subject_code"] else "") for f in raised if f["severity"] == s["severity"]]
        for s in severities
    }
    capping = [s for s in severities if s["rating_cap"] and by_severity[s["severity"]]]
    items = [
        ("overall score", num(card["overall_score"], 4)),
        ("rating before the cap (band of the overall score)", card["uncapped_rating"]),
        ("capping flags", "; ".join(f"{s['severity']} → cap {s['rating_cap']}: {', '.join(by_severity[s['severity']])}" for s in capping) or "none"),
        ("rating after the cap", f"**{card['rating']}**"),
    ]
    items += [(f"{s['severity']} flags → {s['screening']}", ", ".join(by_severity[s["severity"]]) or "none") for s in severities]
    items.append(("screening (worst of the rating's band and the flags')", f"**{card['screening']}**"))
    return lines + table(["step", "value"], items)


def section_red_flags(q: Quarter) -> list[str]:
    raised = queries.flags(q)
    lines = heading(2, "8. Red flags")
    lines += [
        "Every flag raised, with its evidence (value and threshold, or indicator and answer) and the workbook cells behind it. From `marts.red_flags`.",
        "",
    ]
    lines += table(
        ["flag", "severity", "P", "subject", "evidence", "source cells"],
        (
            [f["flag_code"], f["severity"], f["principle_code"] or "–", f["subject_code"] or "investee", evidence_text(f["evidence"]), f["source_cells"] or "–"]
            for f in raised
        ),
    )
    return lines + section_rules_checked(q, raised)


def section_rules_checked(q: Quarter, raised: list[dict]) -> list[str]:
    """Every investee- and product-level rule with the value it compared, raised or not."""
    measures = queries.rule_measures(q)
    fired = {(f["flag_code"], f["subject_code"]) for f in raised}
    lines = heading(3, "Every rule checked")
    lines += ["A missing value never raises a flag; `combine = all` needs every condition of the flag.", ""]
    return lines + table(
        ["flag", "subject", "condition", "value", "raised"],
        (
            [
                m["flag_code"],
                m["subject_code"] or "investee",
                f"{m['metric']} {m['comparison']} {given(m['threshold'])}" + (" (all)" if m["combine"] == "all" else ""),
                num(m["metric_value"], 6),
                "**yes**" if (m["flag_code"], m["subject_code"]) in fired else "no",
            ]
            for m in measures
        ),
    )
