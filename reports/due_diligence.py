"""What one investee's due-diligence report shows for one quarter (the HTML and the PDF alike).

Input: the investee's rows of every mart up to the quarter, and the quarter's portfolio
statistics. Output: a plain dict the template renders; every number is a mart's value.
"""

from __future__ import annotations

import datetime as dt

from smartdd.reports import charts
from smartdd.reports.data import ReportData, first, previous_period, records
from smartdd.reports.evidence import COMPARISONS, conditions
from smartdd.reports.format import METRICS, country_name, day, metric_label, metric_value
from smartdd.reports.seeds import Methodology
from smartdd.reports.verdict import cap_reason, flag_subject, screening_drivers

from smartdd.safe_text import printable

QUALITY = [("par30_ratio", "PAR30"), ("par90_ratio", "PAR90"), ("restructured_ratio", "Restructured"), ("write_off_ratio", "Write-offs (annualised)")]
COST_PARTS = [("apr_interest_pp", "interest"), ("apr_fees_pp", "fees"), ("apr_insurance_pp", "insurance"), ("apr_deposit_pp", "deposit"), ("apr_tax_pp", "tax")]
RECONCILIATION = [
    ("tape_gross_loan_portfolio_gap", "Gross loan portfolio", "gross_loan_portfolio", "tape_gross_loan_portfolio"),
    ("tape_par30_gap", "PAR30 (amount)", None, "tape_par30"),
    ("tape_active_borrowers_gap", "Active borrowers", "active_borrowers", "tape_active_borrowers"),
]
CATEGORY_LABELS = {
    "pricing_fees": "Pricing and fees",
    "collection_practices": "Collection practices",
    "staff_conduct": "Staff conduct",
    "data_privacy": "Data privacy",
    "product_terms": "Product terms",
    "insurance_claims": "Insurance claims",
    "other": "Other",
}


def dsti_band_label(row: dict) -> str:
    low, high = row["lower_bound"], row["upper_bound"]
    if high is None:
        return f"> {low:.0%}"
    return f"≤ {high:.0%}" if low == 0 else f"{low:.0%}–{high:.0%}"


def dd_context(data: ReportData, investee_id: str, period: str, stats: dict, generated: str | None = None) -> dict:
    """data: this investee's rows of every mart, all quarters up to `period`."""
    now = data.in_period(period)
    card = first(now.scorecard)
    method = Methodology(str(card.get("methodology_version") or "1"))
    metrics_now = first(now.metrics)
    flags = records(now.flags)
    principles = _principles(now, stats, method)
    submissions = records(now.submissions)
    current = next((s for s in submissions if s["submission_id"] == card.get("submission_id")), {})
    return {
        "investee_id": investee_id,
        "institution_name": card.get("institution_name") or investee_id,
        "country": card.get("country") or "",
        "country_name": country_name(card.get("country")),
        "period": period,
        "previous_period": previous_period(period),
        "received_at": day(current.get("received_at")),
        "submission_id": card.get("submission_id"),
        "other_submissions": [s for s in submissions if s["submission_id"] != card.get("submission_id")],
        "generated": generated or dt.date.today().isoformat(),
        "methodology_version": method.version,
        "card": card,
        "cap": cap_reason(card, flags, method),
        "drivers": screening_drivers(card, flags, method),
        "changes": _biggest_changes(principles),
        "radar": charts.radar(
            [p["principle_code"] for p in principles],
            [
                ("this quarter", [p["score"] for p in principles], "current"),
                ("previous quarter", [p["previous_score"] for p in principles], "previous"),
                ("portfolio median", [stats.get(p["principle_code"], {}).get("median") for p in principles], "median"),
            ],
        ),
        "principles": principles,
        "flags": [_flag(f, method) for f in flags],
        "pricing": _pricing(now, card),
        "quality": _quality(data, period),
        "tape": _tape(now, metrics_now),
        "complaints": _complaints(now, metrics_now),
        "warnings": records(now.warnings),
        "reconciliation": _reconciliation(metrics_now),
        "metric_table": _metric_table(data),
        "appendix": appendix(method),
    }


def _principles(now: ReportData, stats: dict, method: Methodology) -> list[dict]:
    answers = records(now.answers)
    scores = records(now.metric_scores)
    out = []
    for p in records(now.principles):
        code = p["principle_code"]
        p["change"] = None if p["score"] is None or p["previous_score"] is None else p["score"] - p["previous_score"]
        p["median"] = stats.get(code, {}).get("median")
        p["answers"] = [{**a, "text": method.indicator_text(a["indicator_code"])} for a in answers if a["principle_code"] == code]
        p["metric_rows"] = [
            {
                **m,
                "label": metric_label(m["metric"]),
                "value_text": metric_value(m["metric"], m["metric_value"]),
                "good_text": metric_value(m["metric"], m["good"]),
                "bad_text": metric_value(m["metric"], m["bad"]),
            }
            for m in scores
            if m["principle_code"] == code
        ]
        out.append(p)
    return out


def _biggest_changes(principles: list[dict]) -> list[dict]:
    moved = [p for p in principles if p["change"] is not None and abs(p["change"]) >= 0.05]
    return sorted(moved, key=lambda p: -abs(p["change"]))[:3]


def _flag(flag: dict, method: Methodology) -> dict:
    return {
        **flag,
        "subject": flag_subject(flag),
        "description": method.flag_description(flag["flag_code"]),
        "conditions": conditions(flag.get("evidence"), method.indicator_text),
    }


def peer_group_words(product: dict, country: str) -> str:
    method = str(product.get("lending_method") or "")
    where = country if product.get("peer_group") == "country" else "all countries"
    n = product.get("peer_investees")
    return f"{method}, {where}" + (f", {n} investees" if n is not None else "")


def _pricing(now: ReportData, card: dict) -> dict:
    products = records(now.pricing)
    for p in products:
        p["peer_words"] = peer_group_words(p, card.get("country") or "")
        p["rate_words"] = "" if p.get("nominal_rate_pct") is None else f"{p['nominal_rate_pct']:.2f} % a {p.get('rate_period') or 'period'}"
    priced = [p for p in products if p.get("apr_interest_pp") is not None]
    chart = (
        charts.cost_split([printable(str(p["product_code"])) for p in priced], {label: [p[col] for p in priced] for col, label in COST_PARTS}) if priced else ""
    )
    return {"products": products, "chart": chart, "parts": COST_PARTS, "metrics": first(now.metrics)}


def _quality(data: ReportData, period: str) -> dict:
    history = records(data.metrics)
    periods = [h["period"] for h in history]
    series = {label: [h.get(code) for h in history] for code, label in QUALITY}
    return {
        "chart": charts.lines_over_time(periods, series),
        "rows": [(label, [metric_value(code, h.get(code)) for h in history]) for code, label in QUALITY],
        "periods": periods,
    }


def _tape(now: ReportData, metrics: dict) -> dict | None:
    if not metrics.get("has_loan_tape"):
        return None
    bands = records(now.dsti)
    for b in bands:
        b["label"] = dsti_band_label(b)
    chart = charts.bars(
        [b["label"] for b in bands], [b["borrower_share"] for b in bands], [bool(b["is_over_limit"]) for b in bands], ylabel="share of borrowers"
    )
    return {"bands": bands, "chart": chart, "metrics": metrics}


def _complaints(now: ReportData, metrics: dict) -> dict:
    rows = records(now.complaints)
    for r in rows:
        r["label"] = CATEGORY_LABELS.get(r["category"], str(r["category"]))
        r["resolved_30d_rate"] = r["resolved_within_30d"] / r["received"] if r["received"] else None
    chart = (
        charts.complaints([r["label"] for r in rows], [r["received"] for r in rows], [r["resolved"] for r in rows], [r["resolved_within_30d"] for r in rows])
        if rows
        else ""
    )
    totals = {k: sum(r[k] or 0 for r in rows) for k in ("received", "resolved", "resolved_within_30d")}
    return {"rows": rows, "chart": chart, "totals": totals, "metrics": metrics}


def _reconciliation(metrics: dict) -> list[dict]:
    if not metrics.get("has_loan_tape"):
        return []
    out = []
    for gap, label, reported, tape in RECONCILIATION:
        out.append({"label": label, "reported": metrics.get(reported) if reported else None, "tape": metrics.get(tape), "gap": metrics.get(gap)})
    return out


def _metric_table(data: ReportData) -> dict:
    history = records(data.metrics)
    rows = [(label, [metric_value(code, h.get(code)) for h in history]) for code, label, _ in METRICS if data.metrics.get(code) is not None]
    return {"periods": [h["period"] for h in history], "rows": rows}


def appendix(method: Methodology) -> dict:
    params = method.parameters
    rules: dict[str, dict] = {}
    for r in method.flag_rules:
        if r["scope"] == "indicator":
            condition = "an essential indicator answered No"
        else:
            condition = f"{metric_label(r['metric'])} {COMPARISONS.get(r['comparison'], r['comparison'])} {metric_value(r['metric'], float(r['threshold']))}"
        rule = rules.setdefault(r["flag_code"], {**r, "conditions": []})
        rule["conditions"].append(condition)
    for rule in rules.values():
        rule["rule"] = (" and " if rule["combine"] == "all" else " or ").join(rule["conditions"])
    return {
        "version": method.version,
        "indicators": method.indicators,
        "indicator_count": len(method.indicators),
        "thresholds": [
            {
                **t,
                "label": metric_label(t["metric"]),
                "good_text": metric_value(t["metric"], float(t["good"])),
                "bad_text": metric_value(t["metric"], float(t["bad"])),
            }
            for t in method.thresholds
        ],
        "rules": list(rules.values()),
        "bands": method.rating_bands,
        "severities": method.severities,
        "indicator_weight": params.get("indicator_score_weight"),
        "metric_weight": params.get("metric_score_weight"),
    }
