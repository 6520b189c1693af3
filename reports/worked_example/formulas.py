"""Sections 2 and 3 of the worked example: every metric and every product price, formula by formula.

Each name in a formula is replaced by its input value from the warehouse; the result next to
it is the warehouse's (the document never evaluates a formula).
"""

from __future__ import annotations

from smartdd.reports.worked_example import queries
from smartdd.reports.worked_example.markdown import given, heading, is_missing, num, substitute, table
from smartdd.reports.worked_example.queries import Quarter

from smartdd.methodology.metrics import Metric, catalogue

# Which catalogue topics each metrics table of section 2 shows (pricing has its own section 3).
PORTFOLIO_TOPICS = ("portfolio", "complaints")
TAPE_TOPICS = ("loan_tape",)
PRICING_TOPICS = ("pricing",)


def formulas(q: Quarter, topics: tuple[str, ...]) -> list[Metric]:
    """The investee-level metrics of these topics that have a formula, in catalogue order (inputs such as active_borrowers have none)."""
    return [m for m in catalogue(q.methodology_version) if m.level == "investee" and m.topic in topics and m.formula]


def formula_rows(found: list[Metric], values: dict, params: dict, metrics: dict) -> list[list[str]]:
    """metric, formula (with its note), the formula with the inputs substituted, the pipeline's value."""
    return [
        [
            m.metric,
            f"`{m.formula}`" + (f" ({substitute(m.formula_note, params)})" if m.formula_note else ""),
            substitute(m.formula, values),
            num(metrics[m.metric], 6),
        ]
        for m in found
    ]


def metric_inputs(q: Quarter) -> dict:
    """Every name a formula may use, with its value from the warehouse."""
    values = {**queries.parameters(q), **queries.portfolio_row(q), **queries.complaint_totals(q)}
    metrics = queries.metrics_row(q)
    values.update({key: metrics[key] for key in ("par30_ratio", "previous_par30_ratio", "tape_gross_loan_portfolio", "tape_par30", "tape_active_borrowers")})
    values.update(queries.tape_counts(q))
    categories = queries.complaint_rows(q)
    values["received_by_category"] = " + ".join(given(c["received"]) for c in categories) if categories else "Σ received"
    return values


def section_metrics(q: Quarter) -> list[str]:
    values, metrics, params = metric_inputs(q), queries.metrics_row(q), queries.parameters(q)
    lines = heading(2, "2. Metrics (methodology.md section 3)")
    lines += ["Ratios are fractions unless the name ends in `_pct`. Results from `intermediate.int_investee_quarters__metrics`.", ""]
    lines += table(["metric", "formula", "with the inputs", "pipeline value"], formula_rows(formulas(q, PORTFOLIO_TOPICS), values, params, metrics))
    if metrics["previous_period_end"] is not None:
        lines += [f"Previous quarter: {metrics['previous_period_end']}; its par30_ratio = {num(metrics['previous_par30_ratio'], 6)}.", ""]
    if metrics["has_loan_tape"]:
        lines += heading(3, "Loan-tape metrics")
        lines += table(["metric", "formula", "with the inputs", "pipeline value"], formula_rows(formulas(q, TAPE_TOPICS), values, params, metrics))
    return lines


def section_product_pricing(q: Quarter) -> list[str]:
    lines = heading(2, "3. Pricing (MFTransparency method)")
    lines += [
        "For each product the client's cash flows per installment period: at t = 0 she receives "
        "`loan_amount − loan_amount × (upfront_fee_pct + insurance_pct + compulsory_savings_pct) / 100 − upfront_fee_flat`; "
        "at t = 1..N she pays `principal_t + interest_t × (1 + tax_on_interest_pct / 100)`; at t = N the compulsory deposit comes back. "
        "`r` is the periodic IRR (the root nearest 0), `apr_pct = 100 × r × n`, `eir_pct = 100 × ((1 + r)^n − 1)`, "
        "`transparency_index = nominal annual rate / apr_pct`. Results from `intermediate.int_products__priced` and `int_products__peer_benchmarked`.",
        "",
    ]
    frequencies = queries.repayment_frequencies(q)
    for p in queries.products(q):
        lines += pricing_block(p, frequencies)
    return lines


def pricing_block(p: dict, frequencies: dict) -> list[str]:
    frequency = p["repayment_frequency"]
    n = f"365 / term_days = 365 / {given(p['term_days'])}" if frequency == "bullet" else f"{given(frequencies.get(frequency))} ({frequency})"
    rate = f"{given(p['nominal_rate_pct'])} % a {p['rate_period']}"
    period_rate = f"{given(p['nominal_rate_pct'])} % × 12 / n" if p["rate_period"] == "month" else f"{given(p['nominal_rate_pct'])} % / n"
    t0 = substitute("loan_amount − loan_amount × (upfront_fee_pct + insurance_pct + compulsory_savings_pct) / 100 − upfront_fee_flat", p)
    schedule = (
        "principal loan_amount / N, interest loan_amount × period rate (flat)"
        if p["interest_method"] == "flat"
        else "equal installments at the period rate on the outstanding balance (declining)"
    )
    lines = heading(3, f"{p['product_code']} — {p['product_name']} ({p['lending_method']})")
    items = [
        ("periods per year n", n),
        ("nominal rate", f"{rate}; nominal annual rate = {num(p['nominal_annual_rate_pct'], 4)} %"),
        ("period rate", period_rate),
        ("cash flow t = 0", t0),
        (f"cash flows t = 1..{given(p['installments'])}", f"{schedule}; interest grossed up by {given(p['tax_on_interest_pct'])} % tax"),
        ("compulsory deposit returned at t = N", substitute("loan_amount × compulsory_savings_pct / 100", p)),
        ("periodic IRR r", num(p["periodic_rate"], 8)),
        ("apr_pct = 100 × r × n", num(p["apr_pct"], 4)),
        ("eir_pct = 100 × ((1 + r)^n − 1)", num(p["eir_pct"], 4)),
        ("transparency_index = nominal annual / apr", f"{num(p['nominal_annual_rate_pct'], 4)} / {num(p['apr_pct'], 4)} = {num(p['transparency_index'], 6)}"),
        ("disclosed_apr_pct", given(p["disclosed_apr_pct"]) if not is_missing(p["disclosed_apr_pct"]) else "not disclosed"),
        ("apr_understatement_pp = apr − disclosed", num(p["apr_understatement_pp"], 4)),
        ("peer group", f"{p['peer_group']} ({given(p['peer_investees'])} investees offer {p['lending_method']} products)"),
        ("peer median APR", num(p["peer_median_apr_pct"], 4)),
        ("apr_pct / peer median", num(p["apr_to_peer_median"], 6)),
    ]
    if p["pricing_error"]:
        items.append(("pricing error", p["pricing_error"]))
    return lines + table(["step", "value"], items)


def section_peer_groups(q: Quarter) -> list[str]:
    """The products each peer median is taken over (same quarter and lending method, and country when the group is 'country')."""
    lines = heading(3, "Peer groups")
    lines += [
        "Median of `apr_pct` over the same quarter's products of the same lending method, in the same country when at least "
        "`peer_group_min_investees` investees offer such products there, else in all countries.",
        "",
    ]
    groups = sorted({(p["lending_method"], p["peer_group"], p["country"]) for p in queries.products(q)})
    for method, group, country in groups:
        members = queries.peer_group_members(q, method, group, country)
        where = "all countries" if group == "all_countries" else country
        median = next(p["peer_median_apr_pct"] for p in queries.products(q) if p["lending_method"] == method)
        lines += [f"**{method}, {where}** — {len(members)} products; median = {num(median, 4)}", ""]
        lines += table(
            ["investee", "country", "product", "apr_pct"], ([m["investee_id"], m["country"], m["product_code"], num(m["apr_pct"], 4)] for m in members)
        )
    return lines


def section_investee_pricing(q: Quarter) -> list[str]:
    found, metrics = queries.products(q), queries.metrics_row(q)
    priced = [p for p in found if not is_missing(p["apr_pct"])]
    benchmarked = [p for p in priced if not is_missing(p["peer_median_apr_pct"])]
    disclosed = [p for p in found if p["is_apr_disclosed"] == 1]
    understated = [p for p in found if not is_missing(p["apr_understatement_pp"])]
    indexed = [p for p in found if not is_missing(p["transparency_index"])]

    def weighted(items, column):
        return "(" + " + ".join(f"{num(p[column], 4)} × {given(p['outstanding_portfolio'])}" for p in items) + ")"

    def total(items):
        return "(" + " + ".join(given(p["outstanding_portfolio"]) for p in items) + ")"

    # the products each metric is taken over, written out (the catalogue gives the formula)
    inputs = {
        "weighted_apr_pct": f"{weighted(priced, 'apr_pct')} / {total(priced)}",
        "apr_disclosed_share": f"{total(disclosed)} / {total(found)}",
        "max_apr_understatement_pp": "max(" + ", ".join(num(p["apr_understatement_pp"], 4) for p in understated) + ")",
        "weighted_transparency_index": f"{weighted(indexed, 'transparency_index')} / {total(indexed)}",
        "apr_to_peer_median": f"{weighted(benchmarked, 'apr_pct')} / {weighted(benchmarked, 'peer_median_apr_pct')}",
    }
    lines = heading(3, "Investee-level pricing (weights: outstanding_portfolio)")
    body = [[m.metric, m.formula, inputs.get(m.metric, "–"), num(metrics[m.metric], 6)] for m in formulas(q, PRICING_TOPICS)]
    return lines + table(["metric", "formula", "with the inputs", "pipeline value"], body)
