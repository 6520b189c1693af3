"""The investee's own scorecard: its language, its own figures, nobody else's."""

from __future__ import annotations

import html

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def test_no_scorecard_names_or_shows_another_investee(reported, marts):
    settings, _ = reported
    everyone = marts("select distinct investee_id, institution_name from marts.cp_scorecard")
    for card in marts("select investee_id, cast(period_end as varchar) as period from marts.cp_scorecard"):
        folder = settings.reports / card["period"] / "investee"
        page = html.unescape((folder / f"{card['investee_id']}.html").read_text(encoding="utf-8"))
        pdf = "\n".join(p.extract_text() for p in PdfReader(folder / f"{card['investee_id']}.pdf").pages)
        for other in everyone:
            if other["investee_id"] == card["investee_id"]:
                continue
            for text in (page, pdf):
                assert other["investee_id"] not in text
                assert other["institution_name"] not in text


def test_the_scorecard_is_in_the_template_language_and_says_what_would_raise_the_score(reported, marts):
    settings, _ = reported
    french = marts("select * from marts.cp_scorecard where language = 'fr' order by period_end desc")
    assert french, "the fixture gives one investee a French template"
    card = french[0]
    page = html.unescape((settings.reports / str(card["period_end"])[:10] / "investee" / f"{card['investee_id']}.html").read_text(encoding="utf-8"))
    assert '<html lang="fr">' in page and "Ce qui ferait monter votre score" in page
    assert f'id="overall-score">{card["overall_score"]:.1f}<' in page
    short = marts(f"select * from marts.cp_indicator_answers where submission_id = '{card['submission_id']}' and scored_value < 1")
    assert all(a["indicator_code"] in page for a in short)
    off = marts(f"select * from marts.cp_metric_scores where submission_id = '{card['submission_id']}' and metric_score < 100")
    assert all(
        a["indicator_code"] not in page
        for a in marts(f"select * from marts.cp_indicator_answers where submission_id = '{card['submission_id']}' and scored_value = 1")
    )
    assert len(off) == 0 or "Indicateurs hors de leur cible" in page


def test_quartiles_only_with_five_other_investees(reported, marts):
    settings, _ = reported
    for row in marts("select cast(period_end as varchar) as period, count(*) as n, min(investee_id) as one from marts.cp_scorecard group by 1"):
        page = (settings.reports / row["period"] / "investee" / f"{row['one']}.html").read_text(encoding="utf-8")
        assert any(word in page for word in ("Lower quartile", "Premier quartile", "Primer cuartil")) == (row["n"] - 1 >= 5)
