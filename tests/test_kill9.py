"""kill -9 in any stage loses nothing: the last warehouse stays, every file stays accounted for,
the next run is not blocked and gives the marts a clean run gives.

A baseline home is built once by `smartdd run` over one quarter; each case copies it, lands the
next quarter's files and starts `smartdd run` again as a subprocess in its own process group.
The stage is read from the run's plain progress lines on stderr (`smartdd.progress`) and from
files appearing; then the whole group (the run, its parse workers, dbt) gets SIGKILL. After the
kill: the published warehouse opens with the marts it had before (a kill once the publish's
rename is done leaves the new warehouse, whole); every landed file is still in the landing
folder and what was archived or recorded before still is. Then a re-run, with the dead run's
lock, build file, WAL and Airflow run left behind, must succeed and give exactly the marts of a
clean run over the same files (a reference home that was never killed).

The dbt case also tears a raw-zone file of the baseline before the re-run: the re-run must
rebuild it from the archive before dbt reads it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pyarrow.parquet as pq
import pytest

from smartdd.config import Settings
from smartdd.sample import write_samples

pytestmark = [pytest.mark.slow, pytest.mark.long]  # the long tier: `make test-long`

SMARTDD = Path(sys.executable).with_name("smartdd")
RUN_TIMEOUT_S = 900  # a loaded CI machine: a run takes a minute alone, several when shared


def run_env() -> dict[str, str]:
    """The test session's key, but each home's own Airflow database (as in production)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "SMARTDD_AIRFLOW_HOME"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_run(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SMARTDD), "run", "--home", str(home), "--landing", str(home / "landing")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env(),
        start_new_session=True,  # its own process group: the kill reaches the workers and dbt too
    )


def run_to_end(home: Path) -> str:
    run = start_run(home)
    try:
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if run.poll() is None:  # timed out: nothing of it may outlive the test
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 0, f"smartdd run failed ({run.returncode}):\n{stdout}\n{stderr[-4000:]}"
    return stdout + stderr


class Lines:
    """The run's stderr, read line by line in a thread (a full pipe would stall the run)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def seen(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def text(self) -> str:
        return "".join(self.lines)


def marts(warehouse: Path) -> dict[str, list[str]]:
    """Every marts table and view, its rows as text, in a fixed order (NaN compares equal as text)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [n for (n,) in con.sql("select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {name: sorted(repr(row) for row in con.sql(f'select * from marts."{name}"').fetchall()) for name in names}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ledger(settings: Settings) -> dict[str, str]:
    """file_sha256 -> status of every ledger row."""
    rows = pq.read_table(settings.ledger / "submissions").to_pylist()
    return {r["file_sha256"]: r["status"] for r in rows}


def archived(settings: Settings, digest: str) -> bool:
    return any(p.suffix != ".json" for p in settings.archive.glob(f"{digest}.*"))


@pytest.fixture(scope="module")
def quarters(tmp_path_factory):
    """Two investees over two quarters: the first quarter is the baseline, the second lands later."""
    samples = write_samples(tmp_path_factory.mktemp("samples"), investees=2, quarters=2, loan_tape_rows=20, seed=23, defects=False)
    first = sorted(p for p in samples if "2026Q2" in p.name)
    later = sorted(p for p in samples if p not in first)
    assert len(first) == 2 and len(later) == 2
    return first, later


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, quarters):
    """A home with a published warehouse (and reports) from a run over the first quarter."""
    home = tmp_path_factory.mktemp("baseline") / "home"
    settings = Settings.from_env(home).ensure()
    for path in quarters[0]:
        shutil.copy2(path, settings.landing / path.name)
    run_to_end(home)
    return home, marts(settings.warehouse)


def next_quarter_landed(baseline_home: Path, target: Path, later: list[Path]) -> Settings:
    shutil.copytree(baseline_home, target, symlinks=True)
    settings = Settings.from_env(target)
    for path in later:
        shutil.copy2(path, settings.landing / path.name)
    return settings


@pytest.fixture(scope="module")
def reference(tmp_path_factory, baseline, quarters):
    """The marts of a clean, never killed run over the baseline home and the next quarter."""
    settings = next_quarter_landed(baseline[0], tmp_path_factory.mktemp("reference") / "home", quarters[1])
    run_to_end(settings.home)
    published = marts(settings.warehouse)
    assert published != baseline[1] and len(published["cp_scorecard"]) > len(baseline[1]["cp_scorecard"])
    return published


def _new_entry(folder: Path, before: set[str]):
    return lambda: bool(set(os.listdir(folder)) - before)


# stage -> (the progress line that says the run is in it, the moment to kill once it is seen, how long after the line at most)
def triggers(settings: Settings) -> dict:
    archive_before = set(os.listdir(settings.archive))
    warehouse_before = set(os.listdir(settings.warehouse_dir))
    build_file = settings.work / "smartdd.build.duckdb"
    return {
        "receive": ("stage: receive", _new_entry(settings.archive, archive_before), 20),  # the first landed file being archived
        "ingest": ("parse: ", lambda: True, 0),  # every file parsed; validation and storing follow
        "dbt build": ("stage: dbt build", build_file.exists, 60),  # dbt is writing the build file
        "publish": ("stage: publish", _new_entry(settings.warehouse_dir, warehouse_before), 60),  # the copy beside the warehouse
        "reports": ("stage: reports", lambda: True, 0),
    }


def kill_in(stage: str, settings: Settings) -> tuple[str, bool]:
    """Start `smartdd run`, SIGKILL its process group while it is in `stage`; its stderr and
    whether the kill came at the exact moment wanted (else at the deadline after the stage line)."""
    line, moment, patience = triggers(settings)[stage]
    run = start_run(settings.home)
    lines = Lines(run.stderr)
    started, at_moment = time.monotonic(), False
    try:
        while not lines.seen(line):
            assert run.poll() is None, f"the run ended before {stage!r}:\n{lines.text()}"
            assert time.monotonic() - started < RUN_TIMEOUT_S, f"no {line!r} line:\n{lines.text()}"
            time.sleep(0.01)
        in_stage = time.monotonic()
        while not (at_moment := moment()) and time.monotonic() - in_stage < patience:
            assert run.poll() is None, f"the run ended in {stage!r} before the kill:\n{lines.text()}"
            time.sleep(0.002)
        if stage == "reports":
            time.sleep(1.0)  # some reports being written
    finally:
        try:
            os.killpg(run.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL, f"the run was not killed but ended with {run.returncode}:\n{lines.text()}"
    assert not survivors(run.pid), "nothing of the group survives (no orphaned parse worker or dbt)"
    return lines.text(), at_moment


def survivors(group: int, patience_s: float = 20.0) -> list[str]:
    """Live (not zombie) processes of the process group, once they had `patience_s` to die."""
    deadline = time.monotonic() + patience_s
    while True:
        alive = []
        for process in psutil.process_iter(["pid", "status", "cmdline"]):
            try:
                if os.getpgid(process.pid) == group and process.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(" ".join(process.info["cmdline"] or [])[:120])
            except (ProcessLookupError, psutil.Error):
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def tear_a_raw_zone_file(settings: Settings) -> Path:
    tape = sorted(settings.raw.glob("*/loan_tape.parquet"))[0]
    data = tape.read_bytes()
    tape.write_bytes(data[: len(data) // 2])
    return tape


@pytest.mark.parametrize("stage", ["receive", "ingest", "dbt build", "publish", "reports"])
def test_kill_9_in_any_stage_loses_nothing_and_a_rerun_gives_the_clean_marts(tmp_path, baseline, reference, quarters, stage):
    baseline_home, before = baseline
    settings = next_quarter_landed(baseline_home, tmp_path / "home", quarters[1])
    before_ledger = ledger(settings)
    landed = {p.name: sha256(p) for p in (*quarters[0], *quarters[1])}

    log, at_moment = kill_in(stage, settings)

    # The warehouse analysts read is whole: the previous one, or once the publish's rename is done, the new one.
    after = marts(settings.warehouse)
    if stage == "reports":
        assert after == reference, "the publish finished before the reports stage began"
    elif stage == "publish" and after != before:
        assert after == reference, "a kill during the publish left a warehouse that is neither the old nor the new one"
    else:
        assert after == before, f"the kill in {stage} changed the published marts"
    assert not list(settings.warehouse_dir.glob("*.wal")), "no WAL beside the published warehouse"
    # Every landed file is still there, and nothing archived or recorded before is lost.
    assert {p.name: sha256(p) for p in settings.landing.iterdir()} == landed
    assert all(archived(settings, digest) for digest in before_ledger)
    assert before_ledger.items() <= ledger(settings).items()
    assert (settings.work / "dag_run.lock").exists(), "the dead run's lock is left behind (and must not block the next run)"
    if stage == "dbt build":
        tear_a_raw_zone_file(settings)  # and half a raw-zone file, as a crash or a full disk leaves it

    rerun = run_to_end(settings.home)

    assert "another run" not in rerun and "in use by" not in rerun
    assert marts(settings.warehouse) == reference, f"the re-run after a kill in {stage} gives other marts than a clean run"
    recorded = ledger(settings)
    for name, digest in landed.items():
        assert archived(settings, digest), f"{name} is not in the archive"
        assert recorded.get(digest) == "accepted", f"{name}: {recorded.get(digest)}"
    assert (settings.reports / "index.html").exists()
    assert not (settings.work / "dag_run.lock").exists(), "the re-run gave its lock back"
    assert not list(settings.warehouse_dir.glob(".tmp-*")), "a half-written copy of the warehouse (derived client data) is removed"
    if not at_moment:  # the stage's own moment was missed: the kill still came inside the stage, at its deadline
        print(f"kill in {stage}: killed at the deadline after the stage line\n{log}")
