"""The worked example as one Markdown document: its header and summary, then sections 1 to 8 in order."""

from __future__ import annotations

from pathlib import Path

from smartdd.reports.worked_example import queries
from smartdd.reports.worked_example.formulas import section_investee_pricing, section_metrics, section_peer_groups, section_product_pricing
from smartdd.reports.worked_example.inputs import (
    section_complaints,
    section_cover,
    section_cp_answers,
    section_portfolio,
    section_products,
    section_tape_inputs,
)
from smartdd.reports.worked_example.markdown import heading, num, table
from smartdd.reports.worked_example.queries import Quarter
from smartdd.reports.worked_example.scores import (
    section_metric_scores,
    section_overall,
    section_peers,
    section_principle_scores,
    section_rating,
    section_red_flags,
)


def section_header(q: Quarter, warehouse: Path) -> list[str]:
    card = queries.scorecard(q)
    submission = queries.submission(q)
    return [
        f"# Worked example: {card['institution_name']} ({q.investee_id}), quarter ending {q.period_end}",
        "",
        "How the client-protection scorecard of one investee-quarter is computed, from the workbook's "
        "cells to the rating, following `methodology.md` (methodology version "
        f"{q.methodology_version}). Every result below is read from the warehouse the pipeline built "
        f"(`{warehouse.name}`: schemas `marts`, `intermediate`, `methodology`); the formulas show the inputs "
        "substituted so that each number can be checked by hand.",
        "",
        f"- Why this investee-quarter: {q.chosen_by}.",
        f"- Submission `{q.submission_id}`: `{submission['file_name']}`, status **{submission['status']}**, "
        f"{submission['warning_count']} warning(s), {submission['error_count']} error(s).",
        f"- Regenerate: `python -m smartdd.reports.worked_example --warehouse {warehouse.name} --investee {q.investee_id} "
        f"--period {q.period_end} -o docs/worked-example.md`.",
        "",
    ] + validation_notes(q)


def validation_notes(q: Quarter) -> list[str]:
    issues = queries.validation_issues(q)
    if not issues:
        return []
    return (
        ["Validation found (the workbook was still accepted):", ""] + [f"- {i['severity']} at {i['sheet']}!{i['cell']}: {i['message']}" for i in issues] + [""]
    )


def section_summary(q: Quarter) -> list[str]:
    card = queries.scorecard(q)
    principles = queries.principle_scores(q)
    lines = heading(2, "The scorecard at a glance")
    lines += table(
        ["principle", "indicator score", "metric score", "score", "previous", "peer percentile"],
        (
            [
                f"{p['principle_code']} {p['principle_name']}",
                num(p["indicator_score"], 2),
                num(p["metric_score"], 2),
                num(p["score"], 2),
                num(p["previous_score"], 2),
                num(p["peer_percentile"], 1),
            ]
            for p in principles
        ),
    )
    lines += table(
        ["overall score", "previous", "change", "peer percentile", "rating before cap", "rating", "screening", "flags (critical / high / medium)"],
        [
            [
                num(card["overall_score"], 2),
                num(card["previous_overall_score"], 2),
                num(card["overall_score_change"], 2),
                num(card["overall_peer_percentile"], 1),
                card["uncapped_rating"],
                f"**{card['rating']}**",
                f"**{card['screening']}**",
                f"{card['critical_flags']} / {card['high_flags']} / {card['medium_flags']}",
            ]
        ],
    )
    return lines


def section_sources() -> list[str]:
    return heading(2, "Where each number comes from") + table(
        ["section", "warehouse table"],
        [
            [
                "inputs",
                "intermediate.int_portfolio__current, int_products__current, int_complaints__totals, int_cp_answers__valued; cells from staging.stg_raw__provenance",
            ],
            [
                "loan tape",
                "intermediate.int_investee_quarters__tape_metrics; counts from int_loans__assessed, int_borrowers__assessed, int_borrowers__cross_investee",
            ],
            ["metrics", "intermediate.int_investee_quarters__metrics (= marts.investee_quarter_metrics)"],
            ["pricing", "intermediate.int_products__priced, int_products__peer_benchmarked (= marts.product_pricing)"],
            ["metric scores", "intermediate.int_metrics__scored; thresholds from methodology.metric_thresholds"],
            ["principle scores", "marts.cp_principle_scores"],
            ["overall, rating, screening", "marts.cp_scorecard; bands and severities from methodology.rating_bands, red_flag_severities"],
            ["red flags", "marts.red_flags; every rule's value from intermediate.int_red_flags__measures_unioned"],
        ],
    )


def render(q: Quarter, warehouse: Path) -> str:
    where = queries.cells(q)
    sections = [
        section_header(q, warehouse),
        section_summary(q),
        section_cover(q, where),
        section_portfolio(q, where),
        section_products(q, where),
        section_complaints(q, where),
        section_cp_answers(q, where),
        section_tape_inputs(q),
        section_metrics(q),
        section_product_pricing(q),
        section_peer_groups(q),
        section_investee_pricing(q),
        section_metric_scores(q),
        section_principle_scores(q),
        section_peers(q),
        section_overall(q),
        section_rating(q),
        section_red_flags(q),
        section_sources(),
    ]
    return "\n".join(line for section in sections for line in section).rstrip() + "\n"
