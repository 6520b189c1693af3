"""The whole quarterly pipeline through the real Airflow DAG, real GX, real dbt and DuckDB.

One pipeline run (module fixture) over generated workbooks with: one deliberately invalid
workbook, a CSV renamed .xlsx, a resubmission, and planted PII canaries. Then assertions on
the published marts, the quarantine, the archive, the reports and every file written.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from smartdd.airflow_run import run_quarterly_dag
from smartdd.config import Settings
from smartdd.sample import write_samples

pytestmark = pytest.mark.slow

CANARY_NAME = "Zebulon Canaryfield"
CANARY_PHONE = "+254 799 123 987"
CANARY_NATIONAL_ID = "ZX-99 88 77"  # normalised: ZX998877
CANARY_CLIENT_ID = "CANARY-CLIENT-0001"
NUMERIC_PHONE, NUMERIC_NATIONAL_ID = 254711987654, 98765432  # typed as numbers: the coercion path
REJECTED_CANARY_NAME = "Quintessa Rejectedworth"  # in the workbook that gets rejected


def _plant_canaries(path: Path, national_id: str, name: str = CANARY_NAME) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Loan_Tape"]
    header = [c.value for c in ws[1]]
    row = ws[2]
    row[header.index("client_name")].value = name
    row[header.index("phone")].value = CANARY_PHONE
    row[header.index("national_id")].value = national_id
    row[header.index("client_id")].value = CANARY_CLIENT_ID
    numeric = ws[3]
    numeric[header.index("phone")].value = NUMERIC_PHONE
    numeric[header.index("national_id")].value = NUMERIC_NATIONAL_ID
    numeric[header.index("client_name")].value = name
    wb.save(path)


def _invalid_workbook(paths: list[Path]) -> Path:
    """The sample generator's deliberately invalid workbook (a required Cover field left blank)."""
    for path in paths:
        wb = openpyxl.load_workbook(path, read_only=True)
        blank = any(r[0] == "legal_form" and r[2] is None for r in wb["Cover"].iter_rows(values_only=True))
        wb.close()
        if blank:
            return path
    raise AssertionError("the samples have no invalid workbook")


def _resubmit(path: Path, target: Path) -> None:
    """A corrected resubmission: same investee and period, one figure changed."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Portfolio"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "data_breaches_period":
            row[2].value = 0
        if row[0].value == "loan_officers":
            row[2].value = int(row[2].value) + 1
    wb.save(target)
    os.utime(target, (path.stat().st_mtime + 60, path.stat().st_mtime + 60))


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    paths = write_samples(landing, investees=3, quarters=2, loan_tape_rows=60, seed=7, defects=True)
    invalid = _invalid_workbook(paths)
    tapes = [p for p in paths if "2026Q3" in p.name and p != invalid]
    _plant_canaries(tapes[0], CANARY_NATIONAL_ID)
    _plant_canaries(tapes[1], "zx998877")  # same person, written differently at another lender
    _plant_canaries(invalid, "RJ-55 44 33", name=REJECTED_CANARY_NAME)
    first_q2 = sorted(p for p in paths if "2026Q2" in p.name)[0]
    _resubmit(first_q2, landing / f"{first_q2.stem}_corrected.xlsx")
    (landing / "exported.xlsx").write_text("loan_id,client_id\nL1,C1\n")
    home = tmp_path_factory.mktemp("home")
    settings = Settings.from_env(home).ensure()
    for path in landing.iterdir():
        shutil.copy2(path, settings.landing / path.name)
    state = run_quarterly_dag(settings)
    return settings, state, sorted(p.name for p in landing.iterdir())


def _sql(settings: Settings, query: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.sql(query).fetchall()


def test_run_succeeds_and_every_received_file_is_accounted_for(pipeline_run):
    settings, state, landed = pipeline_run
    assert state == "success"
    names = [r[0] for r in _sql(settings, "select file_name from marts.submissions order by file_name")]
    assert names == landed
    for (sha,) in _sql(settings, "select file_sha256 from marts.submissions"):
        assert list(settings.archive.glob(f"{sha}.*"))


def test_invalid_and_hostile_workbooks_are_rejected_into_quarantine(pipeline_run):
    settings, _, _ = pipeline_run
    rejected = dict(_sql(settings, "select file_name, reason from marts.submissions where status = 'rejected'"))
    assert "exported.xlsx" in rejected and "text/CSV" in rejected["exported.xlsx"]
    invalid = [name for name in rejected if name != "exported.xlsx"]
    assert len(invalid) == 1, rejected
    quarantined = sorted(p.name.rsplit("__", 1)[0] for p in settings.quarantine.iterdir())
    assert quarantined == sorted(Path(name).stem for name in rejected)
    issues = _sql(
        settings,
        "select i.sheet, i.cell, i.message from marts.validation_issues i join marts.submissions s using (submission_id) where s.file_name = ? and i.severity = 'error'".replace(
            "?", f"'{invalid[0]}'"
        ),
    )
    assert issues and all(message for _, _, message in issues)
    assert any(cell for _, cell, _ in issues), "errors must point to a cell"
    (feedback,) = settings.feedback.glob(f"{Path(invalid[0]).stem}__*_feedback.xlsx")
    # the investee's own sheets come back with each problem cell commented, where it has to fix it
    wb = openpyxl.load_workbook(feedback)
    for sheet, cell, _ in issues:
        if sheet in wb.sheetnames and cell:
            comment = wb[sheet][cell].comment
            assert comment is not None and comment.text.strip(), f"{sheet}!{cell} has no comment in the feedback"
    assert any(sheet in wb.sheetnames for sheet, _, _ in issues), wb.sheetnames


def test_rejected_workbooks_never_reach_the_raw_zone(pipeline_run):
    settings, _, _ = pipeline_run
    rejected = {r[0] for r in _sql(settings, "select submission_id from marts.submissions where status = 'rejected'")}
    stored = {p.name for p in settings.raw.iterdir() if not p.name.startswith((".", "_"))}
    assert stored and not (stored & rejected)


def test_resubmission_supersedes_the_earlier_workbook(pipeline_run):
    settings, _, _ = pipeline_run
    rows = _sql(
        settings,
        """
        select s.file_name, s.superseded_by, later.file_name
        from marts.submissions s left join marts.submissions later on later.submission_id = s.superseded_by
        where s.superseded_by is not null
        """,
    )
    assert len(rows) == 1
    original, _, corrected = rows[0]
    assert corrected == original.replace(".xlsx", "_corrected.xlsx")


def test_metrics_come_from_current_accepted_submissions_only(pipeline_run):
    settings, _, _ = pipeline_run
    current = _sql(
        settings,
        "select count(*) from marts.submissions where status <> 'rejected' and superseded_by is null",
    )[0][0]
    metrics = _sql(settings, "select count(*), count(distinct investee_id || period_end::varchar) from marts.investee_quarter_metrics")[0]
    assert metrics == (current, current)
    ratios = _sql(settings, "select min(par30_ratio), max(par30_ratio), max(par90_ratio - par30_ratio) from marts.investee_quarter_metrics")[0]
    assert 0 <= ratios[0] <= ratios[1] <= 1 and ratios[2] <= 0
    corrected = _sql(
        settings,
        """
        select m.submission_id = s.submission_id
        from marts.investee_quarter_metrics m join marts.submissions s using (investee_id, period_end)
        where s.file_name like '%_corrected.xlsx'
        """,
    )
    assert corrected == [(True,)]


def test_scorecards_cover_every_current_submission(pipeline_run):
    settings, _, _ = pipeline_run
    scorecards = _sql(settings, "select investee_id, period_end, rating, screening, overall_score from marts.cp_scorecard order by 1, 2")
    metrics = _sql(settings, "select investee_id, period_end from marts.investee_quarter_metrics order by 1, 2")
    assert [r[:2] for r in scorecards] == metrics
    assert all(r[2] in "ABCD" and r[3] in ("pass", "watch", "fail") and 0 <= r[4] <= 100 for r in scorecards)
    principles = _sql(settings, "select investee_id, period_end, count(*) from marts.cp_principle_scores group by 1, 2")
    assert {r[2] for r in principles} == {7} and len(principles) == len(scorecards)
    capped = _sql(settings, "select count(*) from marts.cp_scorecard where critical_flags > 0 and rating in ('A', 'B')")
    assert capped == [(0,)]


def test_reports_for_every_investee_in_html_pdf_and_excel(pipeline_run):
    settings, _, _ = pipeline_run
    quarters = _sql(settings, "select cast(period_end as varchar), investee_id from marts.cp_scorecard order by 1, 2")
    for period, investee in quarters:
        for path in (
            settings.reports / period / f"{investee}.html",
            settings.reports / period / f"{investee}.pdf",
            settings.reports / period / "investee" / f"{investee}.html",
            settings.reports / period / "investee" / f"{investee}.pdf",
        ):
            assert path.is_file(), path
    assert all(p.read_bytes().startswith(b"%PDF") for p in settings.reports.glob("*/*.pdf"))
    period, investee = quarters[-1]
    rating = _sql(settings, f"select rating from marts.cp_scorecard where investee_id = '{investee}' and period_end = '{period}'")[0][0]
    html = (settings.reports / period / f"{investee}.html").read_text()
    assert "PAR30" in html and f'rating-{rating}">{rating}<' in html
    workbook = openpyxl.load_workbook(settings.reports / period / "portfolio_scorecard.xlsx", read_only=True)
    assert workbook.sheetnames == ["Overview", "Principles", "Red flags", "Pricing", "Metrics over time", "Submissions"]
    index = (settings.reports / "index.html").read_text()
    assert all(f'href="{p}/portfolio.html"' in index for p, _ in quarters)
    overview = "".join((settings.reports / p / "portfolio.html").read_text() for p in {p for p, _ in quarters})
    rejected = _sql(settings, "select file_name from marts.submissions where status = 'rejected' and investee_id is not null")
    assert all(name in overview for (name,) in rejected), "a quarter whose workbook was rejected must show in the overview"


def test_worked_example_renders_from_the_published_warehouse(pipeline_run, tmp_path):
    from smartdd.reports.worked_example import main as worked_example

    settings, _, _ = pipeline_run
    out = tmp_path / "worked.md"
    worked_example(["--warehouse", str(settings.warehouse), "-o", str(out)])
    text = out.read_text()
    investee, period = re.search(r"\(([A-Z0-9-]+)\), quarter ending (\d{4}-\d{2}-\d{2})", text).groups()
    overall, rating = _sql(settings, f"select overall_score, rating from marts.cp_scorecard where investee_id = '{investee}' and period_end = '{period}'")[0]
    assert f"{overall:.2f}" in text and f"**{rating}**" in text


def _expected_hash(value: str) -> str:
    return hmac.new(os.environ["SMARTDD_HMAC_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()


def test_same_national_id_at_two_investees_hashes_to_the_same_value(pipeline_run):
    settings, _, _ = pipeline_run
    glob = str(settings.raw / "*" / "loan_tape.parquet")
    rows = duckdb.sql(
        f"select distinct c.investee_id from read_parquet('{glob}') t join read_parquet('{settings.raw}/*/cover.parquet') c using (submission_id) where t.national_id = '{_expected_hash('ZX998877')}'"
    ).fetchall()
    assert len(rows) == 2


def _texts_in_warehouse(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.sql("select table_schema, table_name from information_schema.tables").fetchall()
        chunks = []
        for schema, table in tables:
            columns = [c[0] for c in con.sql(f'describe "{schema}"."{table}"').fetchall()]
            cast = " || '|' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in columns)
            chunks += [r[0] for r in con.sql(f'select {cast} from "{schema}"."{table}"').fetchall()]
    return "\n".join(chunks)


def _texts_in_parquet(path: Path) -> str:
    columns = [c[0] for c in duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()]
    if not columns:
        return ""
    cast = " || '|' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in columns)
    return "\n".join(r[0] for r in duckdb.sql(f"select {cast} from read_parquet('{path}')").fetchall())


def _text_of(path: Path) -> str:
    if path.suffix == ".parquet":
        return _texts_in_parquet(path)
    if path.suffix == ".duckdb":
        return _texts_in_warehouse(path)
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return path.read_bytes().decode("utf-8", "replace")


def test_no_planted_pii_anywhere_the_pipeline_wrote(pipeline_run):
    settings, _, _ = pipeline_run
    # landing, archive and quarantine hold the files as received; everything else is ours.
    received = (settings.landing, settings.archive, settings.quarantine)
    written = [p for p in settings.home.rglob("*") if p.is_file() and not any(p.is_relative_to(r) for r in received)]
    written += [p for p in Path(os.environ["SMARTDD_AIRFLOW_HOME"]).rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in written) and any(p.name == "loan_tape.parquet" for p in written)
    canaries = [CANARY_NAME, CANARY_PHONE, CANARY_NATIONAL_ID, "ZX998877", "zx998877", CANARY_CLIENT_ID, REJECTED_CANARY_NAME, "RJ554433"]
    canaries += [str(NUMERIC_PHONE), str(NUMERIC_NATIONAL_ID)]
    # Numbers may occur inside other numbers' digits (0.9876543210…): match whole tokens only.
    patterns = [re.compile(rf"(?<![0-9.]){re.escape(c)}(?![0-9])") for c in canaries]
    for path in written:
        text = _text_of(path)
        for canary, pattern in zip(canaries, patterns, strict=True):
            assert not pattern.search(text), f"{canary!r} found in {path}"
    # and the client id really was hashed, not dropped
    tape = _texts_in_parquet(settings.raw / "*" / "loan_tape.parquet")
    assert _expected_hash(CANARY_CLIENT_ID) in tape
