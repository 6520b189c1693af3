"""The per-workbook stage over a mixed batch, without Airflow: hostile files never stop the
batch, every file is archived and accounted for, and re-running changes nothing."""

from __future__ import annotations

import os
import shutil

import hostile_files as hostile
import pyarrow.parquet as pq
import pytest

from smartdd import pipeline
from smartdd.config import Settings
from smartdd.sample import write_samples

HOSTILE = {
    "empty": (hostile.empty, "empty"),
    "not_a_zip": (hostile.not_a_zip, "not an Excel workbook"),
    "csv_renamed": (hostile.csv_renamed, "text/CSV"),
    "legacy_xls": (hostile.legacy_xls, ".xls"),
    "encrypted": (hostile.encrypted_xlsx, "password-protected"),
    "truncated": (hostile.truncated_zip, "damaged or incomplete"),
    "zip_bomb": (hostile.zip_bomb_sheet, "zip bomb"),
    "entity_bomb": (hostile.entity_bomb, "XML entity"),
    "huge_dimension": (hostile.huge_dimension, "declares"),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    settings = Settings.from_env(tmp_path_factory.mktemp("home")).ensure()
    valid = write_samples(tmp_path_factory.mktemp("samples"), investees=1, quarters=1, loan_tape_rows=20, seed=3, defects=False)[0]
    shutil.copy2(valid, settings.landing / valid.name)
    shutil.copy2(valid, settings.landing / f"zz_copy_of_{valid.name}")  # same bytes, sorted after
    scratch = tmp_path_factory.mktemp("hostile")
    for name, (builder, _) in HOSTILE.items():
        shutil.copy2(builder(scratch), settings.landing / f"{name}.xlsx")
    records = {r["file_name"]: r for r in (pipeline.ingest_one(received, settings) for received in pipeline.receive(settings))}
    return settings, valid.name, records


def test_valid_workbook_is_accepted_alongside_hostile_files(batch):
    _, valid_name, records = batch
    assert records[valid_name]["status"] == "accepted", records[valid_name]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_rejected_with_a_plain_reason(batch, name):
    _, _, records = batch
    record = records[f"{name}.xlsx"]
    assert record["status"] == "rejected"
    assert HOSTILE[name][1] in record["reason"], record["reason"]


def test_identical_copy_is_accounted_for_but_not_processed_twice(batch):
    _, valid_name, records = batch
    copy = records[f"zz_copy_of_{valid_name}"]
    assert copy["status"] == "rejected" and f"identical to '{valid_name}'" in copy["reason"]
    assert copy["file_sha256"] == records[valid_name]["file_sha256"]
    assert copy["submission_id"] != records[valid_name]["submission_id"]


def test_every_file_is_archived_once_and_in_the_ledger(batch):
    settings, _, records = batch
    assert len(records) == len(HOSTILE) + 2
    for record in records.values():
        assert (settings.archive / f"{record['file_sha256']}.xlsx").exists()
        assert (settings.ledger / "submissions" / f"{record['submission_id']}.parquet").exists()
    rejected = [r for r in records.values() if r["status"] == "rejected" and "identical" not in r["reason"]]
    assert len(list(settings.quarantine.iterdir())) == len(rejected)


def test_rerun_over_the_same_landing_folder_is_idempotent(batch):
    settings, valid_name, records = batch
    landed = settings.landing / valid_name
    os.utime(landed, (landed.stat().st_mtime + 3600,) * 2)  # touched later: received_at must not move
    again = {r["file_name"]: r for r in (pipeline.ingest_one(received, settings) for received in pipeline.receive(settings))}
    assert again == records
    stored = [p for p in settings.raw.iterdir() if not p.name.startswith((".", "_"))]
    assert [p.name for p in stored] == [records[valid_name]["submission_id"]]
    assert len(list(settings.archive.glob("*.xlsx"))) == len(records) - 1  # the copy shares its content
    ledger = pq.read_table(settings.ledger / "submissions").to_pylist()
    assert sorted(r["file_name"] for r in ledger) == sorted(records)


def test_accounting_check_fails_when_a_received_file_has_no_outcome(batch, tmp_path):
    from smartdd.pipeline import Unaccounted, check_accounting

    settings, _, _ = batch
    received = pipeline.receive(settings)
    assert check_accounting(received, [], settings) == len(received)
    lost = dict(received[0], name="never-ingested.xlsx", first_name="never-ingested.xlsx", sha256="f" * 64)
    with pytest.raises(Unaccounted, match="never-ingested.xlsx"):
        check_accounting([*received, lost], [], settings)
    with pytest.raises(Unaccounted, match="build, the publish or the reports failed"):
        check_accounting(received, None, settings)
    with pytest.raises(Unaccounted, match="receive step failed"):
        check_accounting(None, [], settings)


def test_hidden_files_and_subfolders_are_accounted_for_too(tmp_path):
    settings = Settings.from_env(tmp_path / "home").ensure()
    (settings.landing / "q3").mkdir()
    (settings.landing / "q3" / "nested.xlsx").write_bytes(b"not a workbook")
    (settings.landing / "~$lock.xlsx").write_bytes(b"x")
    names = sorted(r["name"] for r in pipeline.receive(settings))
    assert names == ["q3/nested.xlsx", "~$lock.xlsx"]
