"""The operator's validation summary: every workbook received, its outcome and its problems, offline."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import duckdb
from markupsafe import escape
from smartdd.reports.validation_summary import FILE_NAME, LISTED_UP_TO, OPEN_UP_TO, write_validation_summary

HOSTILE = "<script>alert('x')</script>"
COLUMNS = "submission_id, investee_id, period_end, file_name, file_sha256, received_at, status, reason, superseded_by, error_count, warning_count"


def _escaped(text: str) -> str:
    """As Jinja's autoescape writes it."""
    return str(escape(text))


def _outcome(s: dict) -> str:
    if s["status"] == "rejected":
        return "rejected"
    return "superseded" if s["superseded_by"] else s["status"]


def _rows(page: str) -> dict[str, tuple[str, str]]:
    """submission id -> (outcome shown, the page's markup for it: its row and its problems)."""
    out = {}
    for part in re.split(r'(?=<tr class="sub )', page)[1:]:
        found = re.match(r'<tr class="sub (\w+)" id="s-([0-9a-f]+)"', part)
        out[found.group(2)] = (found.group(1), re.split(r"<h2|</body>", part)[0])
    return out


def _severity_counts(markup: str) -> dict[str, int]:
    cells = re.findall(r'<td data-severity="(\w+)">(?:<b[^>]*>|<span class="zero">)(\d+)<', markup)
    return {sev: int(n) for sev, n in cells}


def _card(page: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}"><div class="big[^"]*">(\d+)<', page).group(1))


def _issues_by(marts) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for i in marts("select * from marts.validation_issues"):
        out.setdefault(i["submission_id"], []).append(i)
    return out


def test_every_submission_is_listed_with_its_outcome(reported, marts):
    settings, written = reported
    assert settings.reports / FILE_NAME in written
    page = (settings.reports / FILE_NAME).read_text(encoding="utf-8")
    rows = _rows(page)
    submissions = marts("select * from marts.submissions")
    assert set(rows) == {s["submission_id"] for s in submissions}
    for s in submissions:
        outcome, markup = rows[s["submission_id"]]
        assert outcome == _outcome(s), s["file_name"]
        assert _escaped(s["file_name"]) in markup
        if s["investee_id"]:
            assert s["investee_id"] in markup


def test_a_rejected_workbook_shows_its_reason_and_every_problem_with_its_cell(reported, marts):
    settings, _ = reported
    rows = _rows((settings.reports / FILE_NAME).read_text(encoding="utf-8"))
    issues = _issues_by(marts)
    rejected = marts("select * from marts.submissions where status = 'rejected'")
    assert rejected, "the demo warehouse has a rejected workbook"
    for s in rejected:
        _, markup = rows[s["submission_id"]]
        assert _escaped(s["reason"]) in markup
        mine = issues[s["submission_id"]]
        assert any(i["cell"] for i in mine)
        if len(mine) <= OPEN_UP_TO:
            assert "<details open>" in markup  # a short list of a rejection is shown unfolded
        for i in mine:
            row = re.search(
                rf"<tr><td class=\"text\"><span class=\"badge {i['severity']}\">{i['severity']}</span></td>"
                rf"<td class=\"wrap\">{re.escape(_escaped(i['sheet']))}</td><td class=\"text cell\">{re.escape(i['cell'])}</td>.*?</tr>",
                markup,
            )
            assert row, (i["sheet"], i["cell"])
            assert _escaped(i["message"]) in row.group(0)
        link = re.search(r'Feedback workbook: <a href="\.\./feedback/([^"]+)">', markup)
        assert link, "the rejected workbook's feedback workbook is linked"
        assert (settings.feedback / link.group(1)).is_file()


def test_counts_match_the_marts(reported, marts):
    settings, _ = reported
    page = (settings.reports / FILE_NAME).read_text(encoding="utf-8")
    submissions = marts("select * from marts.submissions")
    assert _card(page, "received") == len(submissions)
    for outcome in ("accepted", "accepted_with_warnings", "rejected", "superseded"):
        assert _card(page, outcome) == sum(1 for s in submissions if _outcome(s) == outcome), outcome
    totals = {r["severity"]: r["n"] for r in marts("select severity, count(*) as n from marts.validation_issues group by severity")}
    shown = dict(re.findall(r'<span data-severity="(\w+)" class="[^"]*">(\d+)</span>', page))
    assert {sev: int(n) for sev, n in shown.items()} == {sev: totals.get(sev, 0) for sev in ("error", "warning", "info")}
    issues = _issues_by(marts)
    for submission_id, (_, markup) in _rows(page).items():
        mine = issues.get(submission_id, [])
        assert _severity_counts(markup) == {sev: sum(1 for i in mine if i["severity"] == sev) for sev in ("error", "warning", "info")}


def test_the_page_works_offline_and_is_linked_from_the_index_and_the_dashboards(reported):
    settings, _ = reported
    page = (settings.reports / FILE_NAME).read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and not [u for u in links if re.match(r"(?i)(https?:)?//", u)]
    assert 'href="validation_summary.html"' in (settings.reports / "index.html").read_text(encoding="utf-8")
    for dashboard in settings.reports.glob("*/portfolio.html"):
        assert 'href="../validation_summary.html"' in dashboard.read_text(encoding="utf-8")


def test_hostile_text_is_escaped_and_superseded_unidentified_and_new_workbooks_are_told_apart(reported, marts, tmp_path):
    settings, _ = reported
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse, warehouse)
    out, feedback = tmp_path / "reports", tmp_path / "feedback"
    out.mkdir()
    feedback.mkdir()
    first = write_validation_summary(warehouse, out, feedback=feedback, now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert first.read_text(encoding="utf-8").count('<span class="badge new">new</span>') == len(marts("select * from marts.submissions"))

    victim = marts("select * from marts.submissions where status = 'accepted' and superseded_by is null order by submission_id limit 1")[0]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.cp_scorecard set institution_name = ? where investee_id = ?", [HOSTILE, victim["investee_id"]])
        con.execute(
            f"insert into marts.submissions ({COLUMNS}) values ('aaaaaaaaaaaaaaaa', ?, ?, ?, 'f00d', ?, 'accepted', null, null, 0, 0)",
            [victim["investee_id"], victim["period_end"], "resubmitted <b>v2</b>.xlsx", dt.datetime(2030, 1, 1, tzinfo=dt.UTC)],
        )
        con.execute("update marts.submissions set superseded_by = 'aaaaaaaaaaaaaaaa' where submission_id = ?", [victim["submission_id"]])
        con.execute(
            f"insert into marts.submissions ({COLUMNS}) values ('bbbbbbbbbbbbbbbb', null, null, 'notes.xlsx', 'beef', ?, 'rejected', ?, null, ?, 0)",
            [dt.datetime(2030, 1, 1, tzinfo=dt.UTC), f"Unreadable {HOSTILE}", OPEN_UP_TO + 1],
        )
        for n in range(OPEN_UP_TO + 1):
            con.execute(
                "insert into marts.validation_issues (submission_id, sheet, cell, severity, rule, message) values ('bbbbbbbbbbbbbbbb', 'Sheet <i>1</i>', ?, 'error', 'x_rule', ?)",
                [f"B{n + 1}", f"problem {n} {HOSTILE}"],
            )
    (feedback / "notes__bbbbbbbbbbbbbbbb_feedback.xlsx").write_bytes(b"")
    page = write_validation_summary(warehouse, out, feedback=feedback, now=dt.datetime(2026, 12, 2, tzinfo=dt.UTC)).read_text(encoding="utf-8")

    assert "<script" not in page and "<b>v2</b>" not in page and "<i>1</i>" not in page
    assert _escaped(HOSTILE) in page and "resubmitted &lt;b&gt;v2&lt;/b&gt;.xlsx" in page and "Sheet &lt;i&gt;1&lt;/i&gt;" in page
    rows = _rows(page)
    assert rows[victim["submission_id"]][0] == "superseded" and 'href="#s-aaaaaaaaaaaaaaaa"' in rows[victim["submission_id"]][1]
    assert rows["aaaaaaaaaaaaaaaa"][0] == "accepted"
    outcome, markup = rows["bbbbbbbbbbbbbbbb"]
    assert outcome == "rejected" and "<details>" in markup  # a long list starts collapsed
    assert markup.count('<span class="badge error">error</span>') == OPEN_UP_TO + 1 <= LISTED_UP_TO
    assert '<a href="../feedback/notes__bbbbbbbbbbbbbbbb_feedback.xlsx">' in markup
    assert "Not identified" in page
    new = {sid for sid, (_, m) in rows.items() if '<span class="badge new">new</span>' in m}
    assert new == {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}  # only what came since the previous summary
    assert "2 new since 2026-12-01 00:00 UTC" in page
