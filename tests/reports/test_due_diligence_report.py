"""The due-diligence report (HTML and PDF) shows the marts' own numbers, in the expected sections."""

from __future__ import annotations

import html
import re

import pytest
from conftest import KHMER_NAME
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def _latest(marts):
    return marts("select * from marts.cp_scorecard order by period_end desc, investee_id")


def _page(settings, period, investee_id) -> str:
    return html.unescape((settings.reports / str(period)[:10] / f"{investee_id}.html").read_text(encoding="utf-8"))


def _pdf_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_every_quarter_keeps_its_reports_at_the_public_paths(reported, marts):
    settings, written = reported
    cards = marts("select investee_id, cast(period_end as varchar) as period from marts.cp_scorecard")
    for card in cards:
        folder = settings.reports / card["period"]
        for path in (folder / f"{card['investee_id']}.html", folder / f"{card['investee_id']}.pdf", folder / "investee" / f"{card['investee_id']}.pdf"):
            assert path.is_file(), path
        for name in ("portfolio.html", "portfolio.pdf", "portfolio_scorecard.xlsx"):
            assert (folder / name).is_file()
    index = (settings.reports / "index.html").read_text(encoding="utf-8")
    for period in {c["period"] for c in cards}:
        assert f'href="{period}/portfolio.html"' in index
    assert set(written) >= {settings.reports / "index.html"}


def test_the_summary_and_principles_show_the_marts_numbers(reported, marts):
    settings, _ = reported
    for card in _latest(marts)[:3]:
        page = _page(settings, card["period_end"], card["investee_id"])
        assert re.search(rf'id="overall-score">{card["overall_score"]:.1f}<', page)
        assert f'rating-{card["rating"]}">{card["rating"]}<' in page
        assert f'id="screening">{card["screening"]}<' in page
        principles = marts(f"select * from marts.cp_principle_scores where submission_id = '{card['submission_id']}' order by principle_code")
        table = page[page.index('<section id="principles">') : page.index("</section>", page.index('<section id="principles">'))]
        for p in principles:
            row = re.search(rf"<tr><td class=\"text\">{p['principle_code']} [^<]*</td>(.*?)</tr>", table).group(1)
            assert f"<b>{p['score']:.1f}</b>" in row
            assert f'{p["peer_percentile_midrank"]:.0f} <span class="muted">of {p["peer_count"]}</span>' in row


def test_a_capped_rating_says_why(reported, marts):
    settings, _ = reported
    capped = marts("select * from marts.cp_scorecard where rating <> uncapped_rating")
    assert capped, "the sample has an investee whose rating is capped by an essential practice answered No"
    card = capped[0]
    flags = marts(f"select * from marts.red_flags where submission_id = '{card['submission_id']}' and severity = 'critical'")
    page = _page(settings, card["period_end"], card["investee_id"])
    reason = re.search(r'<p class="note bad" id="cap-reason">(.*?)</p>', page, re.S).group(1)
    assert f"Why {card['rating']} and not {card['uncapped_rating']}" in reason
    assert all(f["flag_code"] in reason for f in flags)
    assert all(f["subject_code"] in reason for f in flags)  # the indicator answered No


def test_flags_pricing_and_complaints_show_the_marts_values_in_words(reported, marts):
    settings, _ = reported
    card = _latest(marts)[0]
    page = _page(settings, card["period_end"], card["investee_id"])
    for flag in marts(f"select * from marts.red_flags where submission_id = '{card['submission_id']}'"):
        assert flag["flag_code"].replace("_", "_<wbr>") in page or flag["flag_code"] in page
    assert "= 0.0 (= 0.0)" not in page and "(> " not in page  # evidence in words, not the rule's SQL
    for product in marts(f"select * from marts.product_pricing where submission_id = '{card['submission_id']}'"):
        assert f"<b>{product['apr_pct']:.1f} %</b>" in page
        assert f"<b>{product['apr_pct']:.1f}</b>" in page  # the cost split's total
    for row in marts(f"select * from marts.complaints_by_category where submission_id = '{card['submission_id']}'"):
        assert re.search(rf"<td>{row['received']}</td><td>{row['resolved']}</td><td>{row['resolved_within_30d']}</td>", page)


def test_source_cells_are_ranges(reported, marts):
    settings, _ = reported
    flag = next(f for f in marts("select * from marts.red_flags where flag_code = 'APR_UNDERSTATED'") if f["source_cells"].count(",") > 5)
    page = _page(settings, flag["period_end"], flag["investee_id"])
    row = re.search(r"Products!D(\d+)", flag["source_cells"]).group(1)
    assert f"Products!D{row}:P{row}" in page


def test_the_pdf_has_every_section_page_numbers_and_the_appendix(reported, marts):
    settings, _ = reported
    card = _latest(marts)[0]
    pages = _pdf_text(settings.reports / str(card["period_end"])[:10] / f"{card['investee_id']}.pdf")
    text = "\n".join(pages)
    assert len(pages) >= 5
    for section in ("1. The seven client-protection principles", "2. The evidence behind each principle", "3. Red flags", "4. Pricing",
                    "5. Portfolio quality over time", "6. Over-indebtedness", "7. Complaints", "8. Data quality", "Appendix: the methodology as applied"):  # fmt: skip
        assert section in text, section
    assert "Page 1 of" in pages[0] and card["institution_name"] in pages[0] and str(card["period_end"])[:10] in pages[0]
    assert f"Why {card['rating']}" in pages[0] or card["rating"] == card["uncapped_rating"]  # the executive summary is page one
    assert "Appendix · page 1 of" in text


def test_a_khmer_name_is_drawn_with_a_font_that_has_khmer(reported, marts):
    settings, _ = reported
    card = next(c for c in _latest(marts) if c["institution_name"] == KHMER_NAME)
    reader = PdfReader(settings.reports / str(card["period_end"])[:10] / f"{card['investee_id']}.pdf")
    fonts = set()
    for page in reader.pages[:1]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Khmer" in f for f in fonts), fonts
    assert "?????" not in reader.pages[0].extract_text()
