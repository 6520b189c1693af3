"""One odd file never hurts the others, faults are the operator's, and what is stored is private.

The per-workbook stage over batches built here (no committed binaries), without Airflow: odd
names, links and pipes; times from the future and identical bytes under several names; a full
disk while storing; a torn raw-zone file; the permissions of everything written.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import stat

import pyarrow.parquet as pq
import pytest
from smartdd.ingest.rawzone import is_intact

from smartdd import pipeline
from smartdd.config import Settings
from smartdd.pipeline import workbook
from smartdd.pipeline.repair import repair_raw_zone
from smartdd.records import ReceivedFile
from smartdd.sample import write_samples
from smartdd.storage import InfrastructureFault


@pytest.fixture(scope="module")
def valid_workbooks(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), investees=2, quarters=1, loan_tape_rows=20, seed=11, defects=False)


def run_batch(settings: Settings) -> dict[str, dict]:
    return {r["file_name"]: r for r in (pipeline.ingest_one(received, settings) for received in pipeline.receive(settings))}


def ledger_names(settings: Settings) -> list[str]:
    return sorted(pq.read_table(settings.ledger / "submissions").column("file_name").to_pylist())


def test_odd_names_links_and_pipes_are_each_accounted_for_and_never_stop_the_batch(tmp_path, valid_workbooks):
    settings = Settings.from_env(tmp_path / "home").ensure()
    landing = os.fsencode(settings.landing)
    first, second = valid_workbooks
    shutil.copy2(first, os.fsdecode(landing + b"/caf\xe9 r\xe9sum\xe9.xlsx"))  # not UTF-8 (a zip made on Windows)
    long_name = "q" * 245 + ".xlsx"  # 250 characters: the limit of most filesystems is 255 bytes
    shutil.copy2(second, settings.landing / long_name)
    (settings.landing / "esc\x1b[31m.xlsx").write_bytes(b"not a workbook")
    os.symlink("/etc/passwd", settings.landing / "link.xlsx")
    os.mkfifo(settings.landing / "pipe.xlsx")

    records = run_batch(settings)

    assert len(records) == 5 and ledger_names(settings) == sorted(records)
    assert records["caf\ufffd r\ufffdsum\ufffd.xlsx"]["status"] == "accepted"
    assert records[long_name]["status"] == "accepted"
    assert records["esc\ufffd[31m.xlsx"]["status"] == "rejected"
    assert "symbolic link" in records["link.xlsx"]["reason"] and records["link.xlsx"]["status"] == "rejected"
    assert "not a regular file" in records["pipe.xlsx"]["reason"]
    assert not any("passwd" in p.name or p.stat().st_size > 10**7 for p in settings.archive.iterdir())  # the link was never followed
    assert all(len(p.name) < 100 for folder in (settings.archive, settings.quarantine, settings.feedback) for p in folder.iterdir())


def test_a_clock_in_the_future_never_becomes_received_at(tmp_path, valid_workbooks):
    settings = Settings.from_env(tmp_path / "home").ensure()
    landed = settings.landing / valid_workbooks[0].name
    shutil.copy2(valid_workbooks[0], landed)
    year_2400 = dt.datetime(2400, 1, 1, tzinfo=dt.UTC).timestamp()
    os.utime(landed, (year_2400, year_2400))
    before = dt.datetime.now(dt.UTC)
    (received,) = pipeline.receive(settings)
    assert before <= dt.datetime.fromisoformat(received["received_at"]) <= dt.datetime.now(dt.UTC)


def test_identical_bytes_under_two_names_resolve_by_earliest_arrival_not_by_name(tmp_path, valid_workbooks):
    settings = Settings.from_env(tmp_path / "home").ensure()
    early, late = settings.landing / "z_uploaded_first.xlsx", settings.landing / "a_uploaded_later.xlsx"
    for path, when in ((early, 1_793_500_000), (late, 1_794_000_000)):
        shutil.copy2(valid_workbooks[0], path)
        os.utime(path, (when, when))
    records = run_batch(settings)
    assert records["z_uploaded_first.xlsx"]["status"] == "accepted"
    assert "identical to 'z_uploaded_first.xlsx'" in records["a_uploaded_later.xlsx"]["reason"]
    assert records["z_uploaded_first.xlsx"]["received_at"] == dt.datetime.fromtimestamp(1_793_500_000, dt.UTC).isoformat()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_full_disk_or_a_permission_problem_is_the_operators_never_the_investees(tmp_path, valid_workbooks, monkeypatch, code):
    settings = Settings.from_env(tmp_path / "home").ensure()
    shutil.copy2(valid_workbooks[0], settings.landing / valid_workbooks[0].name)
    (received,) = pipeline.receive(settings)

    def disk_full(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(workbook, "write_submission", disk_full)
    with pytest.raises(InfrastructureFault, match="problem of the machine, not of the submission"):
        pipeline.ingest_one(received, settings)
    assert not list((settings.ledger / "submissions").glob("*.parquet")), "nothing recorded against the investee"
    assert not list(settings.feedback.iterdir()) and not list(settings.quarantine.iterdir())
    with pytest.raises(pipeline.Unaccounted, match="processed again on the next run"):
        pipeline.check_accounting([received], [], settings)

    monkeypatch.undo()  # the operator frees the disk; the next run takes the file as if nothing happened
    assert pipeline.ingest_one(pipeline.receive(settings)[0], settings)["status"] == "accepted"
    assert pipeline.check_accounting([received], [], settings) == 1


def test_a_torn_raw_zone_file_is_rebuilt_from_the_archive_before_dbt(tmp_path, valid_workbooks):
    settings = Settings.from_env(tmp_path / "home").ensure()
    shutil.copy2(valid_workbooks[0], settings.landing / valid_workbooks[0].name)
    (record,) = run_batch(settings).values()
    folder = settings.raw / record["submission_id"]
    loan_tape = folder / "loan_tape.parquet"
    intact = loan_tape.read_bytes()
    loan_tape.write_bytes(intact[: len(intact) // 2])  # a crash or a full disk mid-write
    assert not is_intact(folder)

    assert repair_raw_zone(settings) == [record["submission_id"]]
    assert is_intact(folder) and loan_tape.read_bytes() == intact
    (kept,) = (settings.raw / ".damaged").iterdir()
    assert kept.name.startswith(record["submission_id"]) and (kept / "loan_tape.parquet").stat().st_size < len(intact)
    assert repair_raw_zone(settings) == []  # intact now: nothing to do


def test_everything_stored_is_readable_by_its_owner_only(tmp_path, valid_workbooks):
    settings = Settings.from_env(tmp_path / "home").ensure()
    shutil.copy2(valid_workbooks[0], settings.landing / valid_workbooks[0].name)
    (settings.landing / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    run_batch(settings)
    checked = 0
    for root, folders, files in os.walk(settings.home):
        if os.path.samefile(root, settings.landing):
            continue  # the landing folder holds what the operator put there, as they put it
        for name in folders + files:
            mode = stat.S_IMODE(os.lstat(os.path.join(root, name)).st_mode)
            assert mode & 0o077 == 0, f"{os.path.join(root, name)} is {oct(mode)}"
            checked += 1
    assert checked > 20


def test_received_file_record_round_trips_through_its_one_serialisation(tmp_path):
    received = ReceivedFile(sha256="ab" * 32, size=3, received_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC), archived_path=tmp_path / "y.xlsx", name="n.xlsx")
    assert ReceivedFile.from_dict(received.to_dict()) == received
