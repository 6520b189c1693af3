"""Incremental by content: unchanged files are not read again, a new spec re-validates them."""

from __future__ import annotations

import shutil

import pytest

from smartdd import pipeline
from smartdd.config import Settings
from smartdd.paths import REPO_ROOT, SEEDS_DIR
from smartdd.pipeline import incremental
from smartdd.sample import write_samples


@pytest.fixture
def home_with_a_processed_quarter(tmp_path):
    settings = Settings.from_env(tmp_path / "home").ensure()
    for path in write_samples(tmp_path / "samples", investees=2, quarters=1, loan_tape_rows=20, seed=5, defects=True):
        shutil.copy2(path, settings.landing / path.name)
    (settings.landing / "not_a_workbook.xlsx").write_bytes(b"hello")
    batches = pipeline.receive_in_batches(settings)
    assert sum(len(b) for b in batches) == 3
    first = [r for batch in batches for r in pipeline.ingest_batch(batch, settings)]
    return settings, first


def ledger_state(settings: Settings) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (settings.ledger / "submissions").glob("*.parquet") if not p.name.startswith("_")}


def test_a_rerun_with_nothing_new_processes_nothing_and_reuses_every_outcome(home_with_a_processed_quarter):
    settings, first = home_with_a_processed_quarter
    before = ledger_state(settings)
    assert pipeline.receive_in_batches(settings) == [[]]  # one empty batch: no file is read or validated again, the build still runs
    assert ledger_state(settings) == before
    assert pipeline.check_run([], [], settings) == 3
    reused = [pipeline.ingest_one(r, settings) for r in pipeline.received_this_run(settings)]
    assert sorted(reused, key=lambda r: r["submission_id"]) == sorted(first, key=lambda r: r["submission_id"])
    assert ledger_state(settings) == before


def test_a_new_or_changed_file_is_processed_and_only_it(home_with_a_processed_quarter, tmp_path):
    settings, _ = home_with_a_processed_quarter
    (settings.landing / "not_a_workbook.xlsx").write_bytes(b"hello again")  # a corrected upload under the same name
    batches = pipeline.receive_in_batches(settings)
    assert [[r["name"] for r in b] for b in batches] == [["not_a_workbook.xlsx"]]


def test_a_changed_spec_processes_every_file_again(home_with_a_processed_quarter, tmp_path, monkeypatch):
    settings, _ = home_with_a_processed_quarter
    changed = tmp_path / "repo"
    for part in incremental._DECIDES_OUTCOME:  # the same files, one of them changed
        (changed / part).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (REPO_ROOT / part).is_dir() else shutil.copy2)(REPO_ROOT / part, changed / part)
    spec = changed / "smartdd" / "spec" / "submission_spec.yaml"
    spec.write_text(spec.read_text() + "\n# a new rule\n")
    monkeypatch.setattr(incremental, "REPO_ROOT", changed)
    monkeypatch.setattr(incremental, "SEEDS_DIR", SEEDS_DIR)
    incremental.processing_version.cache_clear()
    try:
        assert sum(len(b) for b in pipeline.receive_in_batches(settings)) == 3
    finally:
        incremental.processing_version.cache_clear()


def test_the_operator_can_force_a_full_revalidation(home_with_a_processed_quarter, monkeypatch):
    settings, _ = home_with_a_processed_quarter
    monkeypatch.setenv(incremental.REVALIDATE_ENV, "1")
    assert sum(len(b) for b in pipeline.receive_in_batches(settings)) == 3


def test_batches_have_the_configured_size(home_with_a_processed_quarter, monkeypatch):
    settings, _ = home_with_a_processed_quarter
    monkeypatch.setenv(incremental.REVALIDATE_ENV, "1")
    assert [len(b) for b in pipeline.receive_in_batches(settings, batch_size=2)] == [2, 1]
