"""The operator's validation summary: every workbook received, what happened to it and why.

    reports/validation_summary.html     rewritten by every run (and every `smartdd report`)

One HTML page, no script and nothing fetched (GX Data Docs need CDNs and break offline), drawn
from the published marts only: `marts.submissions` (one row per workbook received, accepted,
rejected or superseded) and `marts.validation_issues` (its problems, with sheet, cell, rule and
a PII-free message). A workbook's own values are never shown. Submissions first listed by this
page since the previous one was written are marked new (reports/.validation_summary.json keeps
the ids listed last time).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import duckdb
from smartdd.reports.data import records
from smartdd.reports.render import render_html, write_html

from smartdd.storage import write_text_atomic

FILE_NAME = "validation_summary.html"
STATE_FILE = ".validation_summary.json"
SEVERITY_ORDER = ("error", "warning", "info")
OPEN_UP_TO = 12  # a rejected workbook's problems are shown open up to this many; longer lists start collapsed
LISTED_UP_TO = 500  # problems listed per workbook; the feedback workbook has them all

SUBMISSIONS = """
    select submission_id, investee_id, cast(period_end as varchar) as period, file_name, received_at,
           status, reason, superseded_by, error_count, warning_count
    from marts.submissions
"""
ISSUES = "select submission_id, sheet, cell, severity, rule, message from marts.validation_issues"
NAMES = "select investee_id, institution_name from marts.cp_scorecard order by period_end"  # the latest name wins
_FEEDBACK = re.compile(r"__([0-9a-f]{16})_feedback\.xlsx$")
_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def write_validation_summary(warehouse: Path, out_dir: Path, *, feedback: Path | None = None, home: Path | None = None, now: dt.datetime | None = None) -> Path:
    """Write out_dir/validation_summary.html; `feedback` is the folder of the feedback workbooks
    (by default the home's, next to the reports folder), linked when a submission has one."""
    home = home or out_dir.parent
    feedback = feedback if feedback is not None else home / "feedback"
    now = now or dt.datetime.now(dt.UTC)
    state_path = out_dir / STATE_FILE
    previous = _read_state(state_path)
    context = summary_context(warehouse, feedback, previous, now)
    context.update(home=str(home), feedback_href=Path(os.path.relpath(feedback, out_dir)).as_posix())
    path = write_html(out_dir / FILE_NAME, render_html("validation_summary.html.j2", context))
    write_text_atomic(state_path, json.dumps({"written": context["generated"], "seen": sorted(context["ids"])}))
    return path


def summary_context(warehouse: Path, feedback: Path, previous: dict | None, now: dt.datetime) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        submissions = records(con.sql(SUBMISSIONS).fetchdf())
        issues = records(con.sql(ISSUES).fetchdf())
        names = {r["investee_id"]: r["institution_name"] for r in records(con.sql(NAMES).fetchdf())}
    seen = set(previous["seen"]) if previous else set()
    workbooks = _feedback_workbooks(feedback)
    by_id = {s["submission_id"]: s for s in submissions}
    problems: dict[str, list[dict]] = {}
    for issue in sorted(issues, key=_issue_order):
        problems.setdefault(issue["submission_id"], []).append(issue)
    accepted_later = {(s["investee_id"], s["period"]): s for s in submissions if s["status"] != "rejected" and not s["superseded_by"]}
    for s in submissions:
        mine = problems.get(s["submission_id"], [])
        s["institution_name"] = names.get(s["investee_id"])
        s["outcome"] = _outcome(s)
        s["by_severity"] = {sev: sum(1 for i in mine if i["severity"] == sev) for sev in SEVERITY_ORDER}
        s["issues"] = mine[:LISTED_UP_TO]
        s["unlisted"] = max(0, len(mine) - LISTED_UP_TO)
        s["open"] = s["status"] == "rejected" and len(mine) <= OPEN_UP_TO
        s["feedback"] = workbooks.get(s["submission_id"])
        s["new"] = s["submission_id"] not in seen
        s["received"] = _when(s["received_at"], zone=False)
        if s["superseded_by"]:
            s["replaced_by"] = by_id.get(s["superseded_by"])
        elif s["status"] == "rejected":
            later = accepted_later.get((s["investee_id"], s["period"]))
            s["replaced_by"] = later if later and _later(later, s) else None
        else:
            s["replaced_by"] = None
    groups = _by_quarter(submissions)
    outcomes = ("accepted", "accepted_with_warnings", "superseded", "rejected")
    return {
        "generated": _when(now),
        "published": _published(warehouse),
        "previous": previous.get("written") if previous else None,
        "groups": groups,
        "ids": list(by_id),
        "counts": {
            "received": len(submissions),
            "new": sum(1 for s in submissions if s["new"]),
            "outcomes": {o: sum(1 for s in submissions if s["outcome"] == o) for o in outcomes},
            "unidentified": sum(1 for s in submissions if not s["investee_id"] or not s["period"]),
            "issues": {sev: sum(1 for i in issues if i["severity"] == sev) for sev in SEVERITY_ORDER},
        },
        "rejected": [s for g in groups for s in g["submissions"] if s["outcome"] == "rejected"],
        "severities": SEVERITY_ORDER,
        "listed_up_to": LISTED_UP_TO,
    }


def _outcome(s: dict) -> str:
    if s["status"] == "rejected":
        return "rejected"
    return "superseded" if s["superseded_by"] else s["status"]


def _later(a: dict, b: dict) -> bool:
    return a["received_at"] is not None and b["received_at"] is not None and a["received_at"] > b["received_at"]


def _by_quarter(submissions: list[dict]) -> list[dict]:
    """Quarters newest first, then the workbooks that could not be read far enough to say whose;
    within a quarter by investee, each investee's workbooks in the order received."""
    quarters: dict[str | None, list[dict]] = {}
    for s in submissions:
        quarters.setdefault(s["period"] if s["investee_id"] else None, []).append(s)
    out = []
    for period in sorted((p for p in quarters if p), reverse=True) + ([None] if None in quarters else []):
        rows = sorted(quarters[period], key=lambda s: (s["investee_id"] or "", str(s["received_at"]), s["submission_id"]))
        out.append({"period": period, "submissions": rows, "rejected": sum(1 for s in rows if s["outcome"] == "rejected")})
    return out


def _issue_order(issue: dict) -> tuple:
    severity = issue["severity"]
    rank = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    column, row = _CELL.match(issue["cell"] or "").groups() if _CELL.match(issue["cell"] or "") else (issue["cell"], "")
    return (rank, issue["sheet"] or "", int(row) if row else 0, len(column or ""), column or "", issue["rule"] or "", issue["message"] or "")


def _feedback_workbooks(folder: Path) -> dict[str, str]:
    """submission id -> file name of its feedback workbook (<file>__<id>_feedback.xlsx)."""
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()]
    except OSError:
        return {}
    return {m.group(1): name for name in sorted(names) if (m := _FEEDBACK.search(name))}


def _read_state(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("seen"), list) else None


def _published(warehouse: Path) -> str | None:
    try:
        return _when(dt.datetime.fromtimestamp(warehouse.stat().st_mtime, dt.UTC))
    except OSError:
        return None


def _when(value, zone: bool = True) -> str:
    """A moment in UTC: 2026-12-02 12:14 UTC (without the zone where a heading names it)."""
    if value is None:
        return ""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M" + (" UTC" if zone else ""))
    return str(value)
