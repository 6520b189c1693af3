"""A hostile batch through the real DAG: the valid workbooks are published with their reports,
each hostile one is rejected with a plain reason, and memory stays bounded.

One `smartdd run` (Airflow's dag.test(), real GX, dbt, DuckDB, reports) over a landing folder
built here: two valid workbooks, two more under the names that used to kill a run (bytes that
are not UTF-8, 251 characters), every file of the ingest safety suite (tests/ingest/hostile_files.py)
with one under a name holding an escape sequence, a symbolic link and a pipe, and the issue's
one-file-stops-everyone and wrong-data-accepted workbooks derived from a fifth valid one
(1E999, "1e308" as text, Cover and COVER, period_end 2100, Excel's day 60, 10,000 empty rows in
the loan tape, 100,000 unreadable cells, control characters in the institution name, a NUL in
a rejected workbook's investee_id, a 1-day bullet product with a 90 % fee). The run's process tree (the run, its parse workers, dbt) is
sampled with psutil: its peak resident memory must stay under `MEMORY_BOUND`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import hostile_files as hf
import openpyxl
import psutil
import pytest

from smartdd.config import Settings
from smartdd.safe_text import display_name
from smartdd.sample import write_samples

pytestmark = [pytest.mark.slow, pytest.mark.long]  # the long tier: `make test-long`

MEMORY_BOUND = int(1.5 * 2**30)  # the whole process tree's resident memory, summed
SMARTDD = Path(sys.executable).with_name("smartdd")

# file of the ingest safety suite -> words its reason must hold (as tests/ingest/test_safety.py)
SAFETY_SUITE = {
    hf.empty: "empty",
    hf.not_a_zip: "not an Excel workbook",
    hf.csv_renamed: "text/CSV",
    hf.pdf_renamed: "PDF",
    hf.legacy_xls: ".xls",
    hf.encrypted_xlsx: "password-protected",
    hf.truncated_zip: "damaged or incomplete",
    hf.bad_crc: "damaged or incomplete",
    hf.zip_bomb_sheet: "zip bomb",
    hf.lying_sizes: "more data than the file's own index declares",
    hf.entity_bomb: "XML entity",
    hf.huge_dimension: "1,048,576 rows",
    hf.docx_renamed: "Word document",
    hf.ods_renamed: "OpenDocument",
    hf.xlsb_renamed: "Excel Binary Workbook",
    hf.plain_zip: "zip archive",
    hf.too_many_members: "internal parts",
}
ESC_NAME = "esc\x1b[31m.xlsx"  # holds the HTML export
NON_UTF8_NAME = b"caf\xe9 r\xe9sum\xe9.xlsx"  # a zip made on Windows; holds a valid workbook
LONG_NAME = "q" * 246 + ".xlsx"  # 251 characters; holds a valid workbook


def _edit(base: Path, target: Path, change) -> Path:
    wb = openpyxl.load_workbook(base)
    change(wb)
    wb.save(target)
    return target


def _replace_in_zip(path: Path, old: str, new: str) -> Path:
    """One text replaced in whichever XML part holds it (what a tool other than Excel could write)."""
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    hits = [name for name, data in parts.items() if old.encode() in data]
    assert hits, f"{old!r} not in {path.name}"
    for name in hits:
        parts[name] = parts[name].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _set_code(sheet, code: str, value, number_format: str | None = None) -> None:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            row[2].value = value
            if number_format:
                row[2].number_format = number_format
            return
    raise AssertionError(f"no {code} in {sheet.title}")


def _columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def _bullet(wb) -> None:
    products = wb["Products"]
    col = _columns(products)
    for field, value in {
        "installments": 1,
        "repayment_frequency": "bullet",
        "term_days": 1,
        "upfront_fee_pct": 90,
        "interest_method": "flat",
    }.items():
        products.cell(row=2, column=col[field], value=value)


def _empty_block(wb) -> None:
    tape = wb["Loan_Tape"]
    rows = [[c.value for c in row] for row in tape.iter_rows(min_row=12)]
    tape.delete_rows(12, tape.max_row)
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            tape.cell(row=12 + 10_000 + offset, column=column, value=value)


def _unreadable_cells(wb, rows: int = 20_000) -> None:
    """100,000 unreadable cells: five in each of 20,000 loans."""
    tape = wb["Loan_Tape"]
    template = [c.value for c in tape[2]]
    col = _columns(tape)
    tape.delete_rows(2, tape.max_row)
    bad = {"gender": "?", "rural": "maybe", "disbursed_amount": "lots", "disbursement_date": "someday", "days_past_due": 1.5}
    for index in range(rows):
        values = list(template)
        values[col["loan_id"] - 1] = f"LN{index:08d}"
        for field, value in bad.items():
            values[col[field] - 1] = value
        tape.append(values)


def _cover_twice(wb) -> None:
    wb.copy_worksheet(wb["Cover"]).title = "SECOND_COVER"  # openpyxl itself refuses a name differing only in case: renamed in the XML


# derived workbook -> (how it is changed, the outcome: "rejected", "accepted" (with or without warnings) or None (either, but accounted for))
def derived(base: Path, directory: Path) -> dict[str, str | None]:
    made = {}

    def make(name, change, outcome, replace=None):
        path = _edit(base, directory / name, change)
        if replace:
            _replace_in_zip(path, *replace)
        made[name] = outcome

    make("inf_portfolio.xlsx", lambda wb: _set_code(wb["Portfolio"], "gross_loan_portfolio", 987654321.5), "rejected", ("987654321.5", "1E999"))
    make("text_1e308.xlsx", lambda wb: _set_code(wb["Portfolio"], "gross_loan_portfolio", "1e308"), "rejected")
    make("cover_and_COVER.xlsx", _cover_twice, "rejected", ('name="SECOND_COVER"', 'name="COVER"'))
    make("period_end_2100.xlsx", lambda wb: _set_code(wb["Cover"], "period_end", dt.date(2100, 12, 31)), "rejected")
    make("day_60.xlsx", lambda wb: _set_code(wb["Cover"], "period_end", 60, "yyyy-mm-dd"), "rejected")
    make("unreadable_cells.xlsx", _unreadable_cells, "rejected")
    make("empty_block.xlsx", _empty_block, "accepted")
    ctrl = ("PLACEHOLDER_NAME", "Micro_x0001_finance _x001B_[31m")  # how OOXML spells control characters
    make("control_chars_name.xlsx", lambda wb: _set_code(wb["Cover"], "institution_name", ctrl[0]), None, ctrl)
    nul = ("PLACEHOLDER_ID", "MFI_x0000_-_x001B_[31m")

    def nul_id(wb):
        _set_code(wb["Cover"], "investee_id", nul[0])
        _set_code(wb["Cover"], "period_end", dt.date(2100, 12, 31))

    make("nul_investee_id.xlsx", nul_id, "rejected", nul)  # a NUL and an ESC in a rejected workbook's investee_id
    make("bullet_1_day.xlsx", _bullet, "accepted")  # made last: the fifth investee's current submission
    return made


class PeakMemory:
    """The peak summed RSS of a process and all its descendants, sampled every 50 ms."""

    def __init__(self, pid: int):
        self.peak, self._root, self._done = 0, psutil.Process(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                tree = [self._root, *self._root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in tree:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def stop(self) -> int:
        self._done.set()
        self._thread.join(timeout=5)
        return self.peak


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile") / "home"
    settings = Settings.from_env(home).ensure()
    landing = tmp_path_factory.mktemp("incoming")  # copied into the home's landing folder by `smartdd run`
    samples = write_samples(tmp_path_factory.mktemp("samples"), investees=5, quarters=1, loan_tape_rows=20, seed=47, defects=False)
    valid, (odd_1, odd_2), base = samples[:2], samples[2:4], samples[4]
    for path in valid:
        shutil.copy2(path, landing / path.name)
    shutil.copy2(odd_1, os.fsdecode(os.fsencode(landing) + b"/" + NON_UTF8_NAME))
    shutil.copy2(odd_2, landing / LONG_NAME)
    expected: dict[str, tuple[str | None, str]] = {p.name: ("accepted", "") for p in valid}
    expected[display_name(os.fsdecode(NON_UTF8_NAME))] = ("accepted", "")
    expected[LONG_NAME] = ("accepted", "")
    for builder, words in SAFETY_SUITE.items():
        made = builder(tmp_path_factory.mktemp(builder.__name__))
        shutil.copy2(made, landing / f"hostile_{builder.__name__}.xlsx")
        expected[f"hostile_{builder.__name__}.xlsx"] = ("rejected", words)
    shutil.copy2(hf.html_renamed(tmp_path_factory.mktemp("html")), landing / ESC_NAME)
    expected[display_name(ESC_NAME)] = ("rejected", "web page (HTML)")
    os.symlink("/etc/passwd", landing / "link.xlsx")
    expected["link.xlsx"] = ("rejected", "symbolic link")
    os.mkfifo(settings.landing / "pipe.xlsx")  # straight into the home's landing: a pipe is never copied
    expected["pipe.xlsx"] = ("rejected", "not a regular file")
    for name, outcome in derived(base, landing).items():
        expected[name] = (outcome, "")

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "SMARTDD_AIRFLOW_HOME"}
    started = time.monotonic()
    run = subprocess.Popen(
        [str(SMARTDD), "run", "--home", str(home), "--landing", str(landing)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    memory = PeakMemory(run.pid)
    output, _ = run.communicate(timeout=1200)
    peak = memory.stop()
    print(f"hostile batch: {len(expected)} files, {time.monotonic() - started:.0f} s, peak RSS of the run's process tree {peak / 2**20:.0f} MiB")
    published = [valid[0].name, valid[1].name, display_name(os.fsdecode(NON_UTF8_NAME)), LONG_NAME]
    return settings, run.returncode, output, expected, peak, published


def test_the_run_succeeds_with_memory_bounded(hostile_run):
    settings, returncode, output, _, peak, _ = hostile_run
    assert returncode == 0, output[-6000:]
    assert 0 < peak < MEMORY_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"


def test_every_file_has_the_outcome_it_should_with_a_plain_reason(hostile_run):
    settings, _, _, expected, _, _ = hostile_run
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = {name: (status, reason) for name, status, reason in con.sql("select file_name, status, reason from marts.submissions").fetchall()}
    assert sorted(rows) == sorted(expected), "every landed entry is accounted for, under a name safe to show"
    for name, (outcome, words) in expected.items():
        status, reason = rows[name]
        if outcome == "accepted":
            assert status in ("accepted", "accepted_with_warnings"), (name, status, reason)
        elif outcome == "rejected":
            assert status == "rejected", (name, status, reason)
            assert reason and words in reason, (name, reason)
            assert "could not be" not in reason, f"{name} was rejected by a crash, not by a rule: {reason}"
        assert not any(ord(ch) < 32 for ch in (reason or "")) and "Traceback" not in (reason or ""), (name, reason)


def test_the_valid_workbooks_are_published_and_reported(hostile_run):
    settings, _, _, _, _, published = hostile_run
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scored = con.sql("select s.file_name, c.investee_id, c.period_end from marts.cp_scorecard c join marts.submissions s using (submission_id)").fetchall()
        bullet = con.sql(
            "select p.pricing_error from marts.product_pricing p join marts.submissions s using (submission_id) "
            "where s.file_name = 'bullet_1_day.xlsx' and p.pricing_error is not null"
        ).fetchall()
        fifth = con.sql(
            "select file_name, status, superseded_by, reason from marts.submissions where investee_id = (select investee_id from marts.submissions where file_name = 'bullet_1_day.xlsx')"
        ).fetchall()
    by_name = {name: (investee, period) for name, investee, period in scored}
    assert set(published) <= set(by_name), f"the valid workbooks are published and scored: {sorted(by_name)}"
    for name in published:
        investee, period = by_name[name]
        folder = settings.reports / str(period)
        assert (folder / f"{investee}.html").exists() and (folder / f"{investee}.pdf").exists(), name
        assert (folder / "investee" / f"{investee}.html").exists(), name
        assert (folder / "portfolio_scorecard.xlsx").exists() and (folder / "portfolio.html").exists()
    assert (settings.reports / "index.html").exists()
    assert len(by_name) == len(published) + 1, "one current submission of the fifth investee (the latest of its accepted derived workbooks)"
    assert bullet and bullet[0][0], f"the 1-day, 90 % fee bullet is published with a pricing_error, not a crash: {fifth}"


def test_everything_the_run_stored_is_readable_by_its_owner_only(hostile_run):
    settings = hostile_run[0]
    exposed = []
    for folder, subfolders, files in os.walk(settings.home):
        for name in [*subfolders, *files]:
            path = Path(folder) / name
            if path.is_symlink() or name == "pipe.xlsx":  # the landed entries the test made itself
                continue
            if path.stat().st_mode & 0o077:
                exposed.append(f"{path.relative_to(settings.home)}: {oct(path.stat().st_mode & 0o777)}")
    assert not exposed, "readable by other local users:\n" + "\n".join(exposed[:30])
