"""A short, independent implementation of methodology.md (version 1), for the tests to hold the marts to.

It imports nothing from smartdd and reads no seed: the constants are cp_methodology_v1's, the
formulas are the methodology's sections 3-5 written out plainly, and the IRR is found another
way than smartdd's (the roots of the NPV polynomial in x = 1/(1+r), polished by Newton steps),
so that a bug shared by the product and its tests is unlikely.

Input: `Case` objects (one investee-quarter each, as its workbook states it). Output: `evaluate`
returns one `Result` per investee-quarter with every metric, product price, score and flag.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

import cp_methodology_v1 as m
import numpy as np


@dataclass
class Case:
    """One investee-quarter as its workbook has it (amounts in the local currency)."""

    case_id: str
    investee_id: str
    period_end: dt.date
    portfolio: dict
    products: list[dict]
    answers: dict[str, tuple[str | None, str | None]]  # indicator -> (response, evidence)
    complaints: list[dict]
    tape: list[dict] | None = None
    country: str = "BD"
    currency: str = "BDT"
    fx_rate_usd: float | None = 100.0
    status: str = "accepted"
    received_at: dt.datetime = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    file_sha256: str = ""
    scored: bool = True  # False: superseded or rejected, the independent implementation leaves it out


@dataclass
class Result:
    metrics: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)  # product_code -> prices
    indicator_scores: dict = field(default_factory=dict)
    metric_scores: dict = field(default_factory=dict)  # (principle, metric) -> score
    principle_metric_scores: dict = field(default_factory=dict)
    principle_scores: dict = field(default_factory=dict)
    peer_percentiles: dict = field(default_factory=dict)
    peer_counts: dict = field(default_factory=dict)
    overall_score: float | None = None
    previous_overall_score: float | None = None
    uncapped_rating: str | None = None
    rating: str | None = None
    screening: str | None = None
    flags: set = field(default_factory=set)  # (flag_code, subject_code or None)


# ---- pricing (section 3, "Pricing") -------------------------------------------------------


def periods_per_year(product: dict) -> float:
    if product["repayment_frequency"] == "bullet":
        return 365 / product["term_days"]
    return {"weekly": 52, "fortnightly": 26, "monthly": 12}[product["repayment_frequency"]]


def cash_flows(product: dict) -> list[float]:
    """The client's flows per period: what she gets at t = 0 against each installment (interest grossed up by tax)."""
    loan, count = product["loan_amount"], product["installments"]
    n = periods_per_year(product)
    nominal = product["nominal_rate_pct"] / 100
    rate = nominal * 12 / n if product["rate_period"] == "month" else nominal / n
    pct = {k: (product.get(k) or 0) / 100 for k in ("upfront_fee_pct", "insurance_pct", "compulsory_savings_pct", "tax_on_interest_pct")}
    if product["interest_method"] == "flat":
        schedule = [(loan / count, loan * rate)] * count
    else:  # equal installments on the declining balance
        payment = loan / count if rate == 0 else loan * rate / (1 - (1 + rate) ** -count)
        schedule, balance = [], loan
        for _ in range(count):
            interest = balance * rate
            schedule.append((payment - interest, interest))
            balance -= payment - interest
    first = loan - loan * (pct["upfront_fee_pct"] + pct["insurance_pct"] + pct["compulsory_savings_pct"]) - (product.get("upfront_fee_flat") or 0)
    flows = [first] + [-(principal + interest * (1 + pct["tax_on_interest_pct"])) for principal, interest in schedule]
    flows[-1] += loan * pct["compulsory_savings_pct"]
    return flows


def irr(flows: list[float]) -> float:
    """The periodic rate r nearest 0 with NPV(r) = 0: a positive real root x of sum(c_t x^t), r = 1/x - 1."""
    roots = np.roots(list(reversed(flows)))  # numpy wants the highest power first
    real = [1 / x.real - 1 for x in roots if abs(x.imag) < 1e-7 and x.real > 0]
    r = min(real, key=abs)
    for _ in range(20):  # Newton on NPV(r) = sum c_t (1+r)^-t
        npv = sum(c * (1 + r) ** -t for t, c in enumerate(flows))
        slope = sum(-t * c * (1 + r) ** (-t - 1) for t, c in enumerate(flows))
        step = npv / slope
        r -= step
        if abs(step) < 1e-16:
            break
    return r


def price(product: dict) -> dict:
    r, n = irr(cash_flows(product)), periods_per_year(product)
    apr = 100 * r * n
    nominal_annual = product["nominal_rate_pct"] * (12 if product["rate_period"] == "month" else 1)
    disclosed = product.get("disclosed_apr_pct")
    return {
        "periodic_rate": r,
        "apr_pct": apr,
        "eir_pct": 100 * ((1 + r) ** n - 1),
        "nominal_annual_rate_pct": nominal_annual,
        "transparency_index": nominal_annual / apr,
        "disclosed_apr_pct": disclosed,
        "apr_understatement_pp": None if disclosed is None else apr - disclosed,
        "is_apr_disclosed": 0 if disclosed is None else 1,
        "outstanding_portfolio": product["outstanding_portfolio"],
        "lending_method": product["lending_method"],
    }


def peer_medians(cases: list[Case], priced: dict) -> dict:
    """(case_id, product_code) -> (peer median APR, peer group): same country and lending method when
    at least peer_group_min_investees investees offer it there, else the lending method in all countries."""
    out = {}
    for case in cases:
        for product in case.products:
            method = product["lending_method"]
            same_quarter = [(c, p) for c in cases if c.period_end == case.period_end for p in c.products if p["lending_method"] == method]
            in_country = [(c, p) for c, p in same_quarter if c.country == case.country]
            if len({c.investee_id for c, _ in in_country}) >= m.PARAMETERS["peer_group_min_investees"]:
                group, peers = "country", in_country
            else:
                group, peers = "all_countries", same_quarter
            aprs = [priced[(c.case_id, p["product_code"])]["apr_pct"] for c, p in peers]
            out[(case.case_id, product["product_code"])] = (statistics.median(aprs), group)
    return out


# ---- metrics (section 3) -------------------------------------------------------------------


def _ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def tape_metrics(case: Case, cases: list[Case]) -> dict:
    if case.tape is None:
        return {}
    active = [loan for loan in case.tape if not loan["written_off"]]
    frequency = {p["product_code"]: p for p in case.products}
    at_risk = sum(loan["outstanding_principal"] for loan in active if loan["days_past_due"] > m.PARAMETERS["tape_par_days"] or loan["restructured"])
    tape_glp = sum(loan["outstanding_principal"] for loan in active)

    def monthly(loan):
        product = frequency[loan["product_code"]]
        per_year = m.REPAYMENT_FREQUENCIES[product["repayment_frequency"]]
        if per_year is None:
            return loan["installment_amount"] * m.PARAMETERS["days_per_month"] / product["term_days"]
        return loan["installment_amount"] * per_year / m.PARAMETERS["months_per_year"]

    borrowers: dict[str, list[dict]] = {}
    for loan in active:
        borrowers.setdefault(loan["client_id"], []).append(loan)
    with_dsti = {
        c: [monthly(x) / x["monthly_income"] for x in ls if x.get("installment_amount") is not None and x.get("monthly_income")] for c, ls in borrowers.items()
    }
    with_dsti = {c: v for c, v in with_dsti.items() if v}
    with_other = {c: [x["other_lender_loans"] for x in ls if x.get("other_lender_loans") is not None] for c, ls in borrowers.items()}
    with_other = {c: v for c, v in with_other.items() if v}
    others = {
        loan["national_id"]
        for c in cases
        if c.period_end == case.period_end and c.investee_id != case.investee_id and c.tape
        for loan in c.tape
        if not loan["written_off"] and loan.get("national_id")
    }
    ids = {c: next((x["national_id"] for x in ls if x.get("national_id")), None) for c, ls in borrowers.items()}
    ids = {c: v for c, v in ids.items() if v}
    sheet = case.portfolio

    def gap(tape_value, sheet_value):
        return 0.0 if tape_value == sheet_value else _ratio(abs(tape_value - sheet_value), sheet_value)

    return {
        "tape_par30_ratio": _ratio(at_risk, tape_glp),
        "dsti_over_50_share": _ratio(sum(max(v) > m.PARAMETERS["dsti_limit"] for v in with_dsti.values()), len(with_dsti)),
        "multi_lender_share": _ratio(sum(max(v) >= m.PARAMETERS["multi_lender_min_other_loans"] for v in with_other.values()), len(with_other)),
        "cross_investee_share": _ratio(sum(v in others for v in ids.values()), len(ids)),
        "tape_gross_loan_portfolio_gap": gap(tape_glp, sheet["gross_loan_portfolio"]),
        "tape_par30_gap": gap(at_risk, sheet["par30"]),
        "tape_active_borrowers_gap": gap(len(borrowers), sheet["active_borrowers"]),
    }


def investee_metrics(case: Case, priced: dict, medians: dict, cases: list[Case]) -> dict:
    p, k = case.portfolio, m.PARAMETERS["annualisation_factor"]
    fx = case.fx_rate_usd if case.fx_rate_usd is not None else (1.0 if case.currency == "USD" else None)
    avg_glp = (p["gross_loan_portfolio_start"] + p["gross_loan_portfolio"]) / 2
    received = sum(c["received"] for c in case.complaints)
    within = sum(c["resolved_within_30d"] for c in case.complaints)
    collection = sum(c["received"] for c in case.complaints if c["category"] == "collection_practices")
    out = {
        "fx_rate_usd": fx,
        "gross_loan_portfolio_usd": p["gross_loan_portfolio"] / fx,
        "active_borrowers": p["active_borrowers"],
        "par30_ratio": p["par30"] / p["gross_loan_portfolio"],
        "par90_ratio": p["par90"] / p["gross_loan_portfolio"],
        "restructured_ratio": p["restructured_portfolio"] / p["gross_loan_portfolio"],
        "write_off_ratio": k * p["write_offs_period"] / avg_glp,
        "portfolio_yield": k * p["interest_fee_income_period"] / avg_glp,
        "risk_coverage": _ratio(p.get("loan_loss_reserve"), p["par30"]),
        "women_borrowers_pct": 100 * p["active_borrowers_women"] / p["active_borrowers"],
        "borrowers_per_loan_officer": p["active_borrowers"] / p["loan_officers"],
        "average_loan_disbursed_usd": _ratio(_ratio(p["amount_disbursed_period"], p["loans_disbursed_period"]), fx),
        "client_exit_rate": None if p.get("clients_exited_period") is None else _ratio(k * p["clients_exited_period"], p.get("clients_start_period")),
        "complaints_received": received,
        "complaints_per_1000": k * 1000 * received / p["active_borrowers"],
        "complaint_resolution_30d_rate": _ratio(within, received),
        "collection_complaints_share": collection / received if received >= m.PARAMETERS["min_complaints_for_collection_share"] else None,
        "multiple_lender_borrowers_pct": p.get("multiple_lender_borrowers_pct"),
        "credit_bureau_checked_pct": p.get("credit_bureau_checked_pct"),
        "data_breaches_period": p["data_breaches_period"],
    }
    prices = [priced[(case.case_id, x["product_code"])] for x in case.products]
    weights = [x["outstanding_portfolio"] for x in prices]
    total = sum(weights)
    disclosed = [x["apr_understatement_pp"] for x in prices if x["apr_understatement_pp"] is not None]
    peer = [medians[(case.case_id, x["product_code"])][0] for x in case.products]
    out |= {
        "weighted_apr_pct": sum(x["apr_pct"] * w for x, w in zip(prices, weights, strict=True)) / total,
        "apr_disclosed_share": sum(w for x, w in zip(prices, weights, strict=True) if x["is_apr_disclosed"]) / total,
        "max_apr_understatement_pp": max(disclosed) if disclosed else None,
        "weighted_transparency_index": sum(x["transparency_index"] * w for x, w in zip(prices, weights, strict=True)) / total,
        "apr_to_peer_median": sum(x["apr_pct"] * w for x, w in zip(prices, weights, strict=True)) / sum(q * w for q, w in zip(peer, weights, strict=True)),
    }
    out |= tape_metrics(case, cases)
    return out


# ---- scores, flags, rating (sections 2, 4, 5) ------------------------------------------


def metric_score(value: float, good: float, bad: float) -> float:
    """100 at good, 0 at bad, a straight line between, clamped."""
    return min(100.0, max(0.0, 100 * (value - bad) / (good - bad)))


def indicator_scores(case: Case) -> dict:
    sums: dict[str, list[float]] = {}
    for code, (response, evidence) in case.answers.items():
        principle = m.INDICATORS[code][0]
        value, without = m.ANSWER_VALUES[response]
        scored = value if evidence else without
        if scored is not None:
            w = m.INDICATOR_WEIGHTS[code]
            sums.setdefault(principle, [0.0, 0.0])
            sums[principle][0] += w * scored
            sums[principle][1] += w
    return {p: 100 * s / w for p, (s, w) in sums.items() if w}


def _met(value, comparison, threshold) -> bool:
    if value is None:
        return False
    return {">": value > threshold, ">=": value >= threshold, "<": value < threshold, "<=": value <= threshold, "=": value == threshold}[comparison]


def _flags(case: Case, metrics: dict, priced: dict, medians: dict) -> set:
    measures = {"investee": {None: metrics}, "product": {}, "indicator": {}}
    for product in case.products:
        prices = priced[(case.case_id, product["product_code"])]
        ratio = prices["apr_pct"] / medians[(case.case_id, product["product_code"])][0]
        measures["product"][product["product_code"]] = prices | {"apr_to_peer_median": ratio}
    for code, (response, _) in case.answers.items():
        if m.INDICATORS[code][1]:
            measures["indicator"][code] = {"essential_indicator_answer": m.ANSWER_VALUES[response][0]}
    raised = set()
    for flag in {rule[0] for rule in m.RED_FLAG_RULES}:
        rules = [r for r in m.RED_FLAG_RULES if r[0] == flag]
        scope, combine = rules[0][3], rules[0][7]
        for subject, values in measures[scope].items():
            held = [_met(values.get(r[4]), r[5], r[6]) for r in rules]
            if (combine == "any" and any(held)) or (combine == "all" and all(held)):
                raised.add((flag, subject))
    return raised


def _rating(overall: float, flags: set) -> tuple[str, str, str]:
    band = next(b for b in m.RATING_BANDS if overall >= b[1])
    minimum = {b[0]: b[1] for b in m.RATING_BANDS}
    severities = [m.SEVERITIES[next(r[2] for r in m.RED_FLAG_RULES if r[0] == flag)] for flag, _ in flags]
    capped = band
    for _, _, cap in severities:
        if cap is not None and minimum[cap] < capped[1]:
            capped = next(b for b in m.RATING_BANDS if b[0] == cap)
    outcomes = [capped[2]] + [screening for _, screening, _ in severities]
    return band[0], capped[0], min(outcomes, key=m.SCREENING_ORDER.__getitem__)


def evaluate(cases: list[Case]) -> dict[tuple[str, dt.date], Result]:
    """Every scored investee-quarter of `cases`, in period order (so the previous quarter is known)."""
    cases = [c for c in cases if c.scored]
    priced = {(c.case_id, p["product_code"]): price(p) for c in cases for p in c.products}
    medians = peer_medians(cases, priced)
    results: dict[tuple[str, dt.date], Result] = {}
    for case in sorted(cases, key=lambda c: c.period_end):
        result = Result()
        result.products = {
            p["product_code"]: priced[(case.case_id, p["product_code"])]
            | dict(zip(("peer_median_apr_pct", "peer_group"), medians[(case.case_id, p["product_code"])], strict=True))
            for p in case.products
        }
        for prices in result.products.values():
            prices["apr_to_peer_median"] = prices["apr_pct"] / prices["peer_median_apr_pct"]
        metrics = investee_metrics(case, priced, medians, cases)
        previous = results.get((case.investee_id, _previous_quarter_end(case.period_end)))
        metrics["par30_ratio_change"] = None if previous is None else metrics["par30_ratio"] - previous.metrics["par30_ratio"]
        result.metrics = metrics
        result.indicator_scores = indicator_scores(case)
        for (principle, metric), (good, bad) in m.METRIC_THRESHOLDS.items():
            if metrics.get(metric) is not None:
                result.metric_scores[(principle, metric)] = metric_score(metrics[metric], good, bad)
        for principle in m.PRINCIPLES:
            scores = [s for (p, _), s in result.metric_scores.items() if p == principle]
            met = sum(scores) / len(scores) if scores else None
            ind = result.indicator_scores.get(principle)
            result.principle_metric_scores[principle] = met
            if ind is not None and met is not None:
                score = (m.INDICATOR_SCORE_WEIGHT * ind + m.METRIC_SCORE_WEIGHT * met) / (m.INDICATOR_SCORE_WEIGHT + m.METRIC_SCORE_WEIGHT)
            else:
                score = ind if ind is not None else met
            result.principle_scores[principle] = score
        scored = {p: s for p, s in result.principle_scores.items() if s is not None}
        result.overall_score = sum(m.PRINCIPLE_WEIGHTS[p] * s for p, s in scored.items()) / sum(m.PRINCIPLE_WEIGHTS[p] for p in scored)
        result.previous_overall_score = None if previous is None else previous.overall_score
        metrics["overall_score_change"] = None if previous is None else result.overall_score - previous.overall_score
        result.flags = _flags(case, metrics, priced, medians)
        result.uncapped_rating, result.rating, result.screening = _rating(result.overall_score, result.flags)
        results[(case.investee_id, case.period_end)] = result
    _peer_percentiles(results)
    return results


def _peer_percentiles(results: dict) -> None:
    """100 x (peers below + 0.5 x peers tied) / (n - 1) among the investees scored for P that quarter."""
    for (investee, period), result in results.items():
        for principle, score in result.principle_scores.items():
            peers = [
                r.principle_scores[principle]
                for (i, q), r in results.items()
                if q == period and i != investee and r.principle_scores.get(principle) is not None
            ]
            result.peer_counts[principle] = len(peers) + 1
            below, tied = sum(s < score for s in peers), sum(s == score for s in peers)
            result.peer_percentiles[principle] = None if not peers else 100 * (below + 0.5 * tied) / len(peers)


def _previous_quarter_end(period_end: dt.date) -> dt.date:
    month = period_end.month - 3
    year = period_end.year - (month <= 0)
    month = month + 12 if month <= 0 else month
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def close(a, b, tol: float = 1e-9) -> bool:
    """Equal within tol (absolute and relative), both missing counting as equal."""
    a_missing = a is None or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing
    return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=tol)
