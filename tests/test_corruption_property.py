"""Property: whatever one cell or one byte of a workbook is changed to, the quarter goes on.

Hypothesis draws corruptions of valid submissions — a cell set to an odd value (text, control
characters, huge or non-finite numbers, an error, empty) or one byte of the file flipped — and
each drawn batch goes through the real per-workbook stage, the real dbt build, the publish and
the reports, next to untouched valid workbooks. Invariants:
- every file is accounted for (a ledger row each), and the untouched ones are published and scored;
- scores lie within 0–100 and each rating is the band of its score, or worse only when a
  critical flag caps it;
- no client name or national id (the canaries) is anywhere outside the archive and quarantine.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from smartdd.reports.build import write_reports

from smartdd.config import Settings
from smartdd.pipeline import batch, publish, warehouse
from smartdd.records import ReceivedFile
from smartdd.sample import write_samples

pytestmark = [pytest.mark.slow, pytest.mark.long]  # the long tier: `make test-long`

_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.S)
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x1b[31m", "\x00", "=cmd|' /C calc'!A0", "1e308", "1E999", "-0", "NaN", "31/02/2026", "#DIV/0!", " ", "Ωmega ↯", "x" * 33_000]),
)
ODD_NUMBER = st.sampled_from(["1E999", "-1E999", "NaN", "1e308", "-5", "0", "99999999999999999999", "2.5", "60"])


@st.composite
def corruptions(draw):
    kind = draw(st.sampled_from(["text", "number", "error", "empty", "byte"]))
    return {
        "kind": kind,
        "sheet": draw(st.integers(min_value=1, max_value=6)),
        "cell": draw(st.integers(min_value=0, max_value=10_000)),
        "value": draw(ODD_TEXT if kind == "text" else ODD_NUMBER),
        "byte": draw(st.integers(min_value=0, max_value=2**31)),
    }


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    paths = write_samples(tmp_path_factory.mktemp("samples"), investees=3, quarters=1, loan_tape_rows=30, seed=19, defects=False)
    return paths


@pytest.fixture(scope="module")
def canaries(workbooks) -> set[str]:
    found = set()
    for path in workbooks:
        tape = load_workbook(path, read_only=True)["Loan_Tape"]
        rows = list(tape.iter_rows(values_only=True))
        header = next(i for i, row in enumerate(rows) if "client_name" in row)
        columns = [rows[header].index(c) for c in ("client_name", "national_id", "phone") if c in rows[header]]
        found |= {str(row[c]) for row in rows[header + 1 :] for c in columns if row[c] not in (None, "")}
    assert len(found) > 50
    return found


def corrupt(source: Path, target: Path, how: dict) -> Path:
    data = source.read_bytes()
    if how["kind"] == "byte":
        position = how["byte"] % len(data)
        target.write_bytes(data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :])
        return target
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        sheets = sorted(n for n in zin.namelist() if n.startswith("xl/worksheets/sheet"))
        victim = sheets[how["sheet"] % len(sheets)]
        for item in zin.infolist():
            member = zin.read(item.filename)
            if item.filename == victim:
                member = _replace_cell(member, how)
            zout.writestr(item, member)
    return target


def _replace_cell(xml: bytes, how: dict) -> bytes:
    cells = list(_CELL.finditer(xml))
    if not cells:
        return xml
    match = cells[how["cell"] % len(cells)]
    ref = match.group(1).decode()
    if how["kind"] == "text":
        text = escape("".join(ch for ch in how["value"] if ch in "\t\n\r" or ch >= " "))  # what XML can carry at all
        new = f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    elif how["kind"] == "number":
        new = f'<c r="{ref}"><v>{how["value"]}</v></c>'
    elif how["kind"] == "error":
        new = f'<c r="{ref}" t="e"><v>#VALUE!</v></c>'
    else:
        new = f'<c r="{ref}"/>'
    return xml[: match.start()] + new.encode() + xml[match.end() :]


# No shrinking: one example runs the whole pipeline (a minute); a failure prints its drawn corruptions.
@settings(max_examples=2, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(corruptions(), min_size=4, max_size=4))
def test_one_corrupted_cell_or_byte_never_hurts_the_quarter(tmp_path_factory, workbooks, canaries, drawn):
    home = tmp_path_factory.mktemp("home")
    settings_ = Settings.from_env(home).ensure()
    valid = [shutil.copy2(p, settings_.landing / f"valid_{p.name}") for p in workbooks[:2]]
    for i, how in enumerate(drawn):
        corrupt(workbooks[2], settings_.landing / f"corrupted_{i}.xlsx", how)

    from smartdd import pipeline

    received = [ReceivedFile.from_dict(r) for r in pipeline.receive(settings_)]
    records = {r.file_name: r for r in batch.process_batch(received, settings_)}
    assert sorted(records) == sorted(r.file_name for r in received), "every file has an outcome"
    ledger = pq.read_table(settings_.ledger / "submissions").to_pylist()
    assert sorted(r["file_name"] for r in ledger) == sorted(records)

    published = publish.publish(warehouse.build_warehouse(settings_), settings_)
    write_reports(published, settings_.reports)
    with duckdb.connect(str(published), read_only=True) as con:
        cards = con.sql("select * from marts.cp_scorecard").df().to_dict("records")
        bands = con.sql("select rating, min_score from methodology.rating_bands order by min_score desc").fetchall()
        critical = {row[0] for row in con.sql("select distinct submission_id from marts.red_flags where severity = 'critical'").fetchall()}
    scored = {c["submission_id"] for c in cards}
    for path in valid:
        assert records[Path(path).name].status != "rejected"
        assert records[Path(path).name].submission_id in scored, "the untouched workbooks are published and scored"
    order = [rating for rating, _ in bands]
    for card in cards:
        assert 0 <= card["overall_score"] <= 100
        band = next(rating for rating, minimum in bands if card["overall_score"] >= minimum)
        assert card["rating"] == band or (order.index(card["rating"]) > order.index(band) and card["submission_id"] in critical), card
    assert_no_canary_outside_archive(settings_, canaries)


def assert_no_canary_outside_archive(settings_: Settings, canaries: set[str]) -> None:
    """Search every stored text: Parquet string columns, the warehouse's varchar columns, workbooks, pages."""
    texts: list[str] = []
    for parquet in [*settings_.raw.rglob("*.parquet"), *settings_.ledger.rglob("*.parquet")]:
        table = pq.read_table(parquet)
        texts += [str(v) for name in table.column_names if str(table.schema.field(name).type) == "string" for v in table.column(name).to_pylist() if v]
    with duckdb.connect(str(settings_.warehouse), read_only=True) as con:
        columns = con.sql("select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            texts += [v for (v,) in con.sql(f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null').fetchall()]
    for workbook in [*settings_.feedback.glob("*.xlsx"), *settings_.reports.rglob("*.xlsx")]:
        for sheet in load_workbook(workbook, read_only=True).worksheets:
            texts += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in settings_.reports.rglob("*.html")]
    blob = "\n".join(texts)
    leaked = sorted(c for c in canaries if len(c) >= 6 and c in blob)
    assert not leaked, f"client data outside the archive: {leaked[:5]}"
