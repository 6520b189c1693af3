"""The storage seam, landing and archive: both on another fsspec filesystem, and the parsers' local copies.

The pipeline's stages (the functions the DAG's tasks call, receipts crossing as JSON) run with
the landing zone, the archive, the raw zone and the ledger all on fsspec's in-memory filesystem:
every landed file is accounted for in `marts.submissions`, the rejected sample gets its feedback
with its own sheets copied back, nothing is written under the home's `landing/` or `archive/`, the
landed objects are never modified, and a second run with nothing new copies and parses nothing.
The parsers read private local copies (0600 in a 0700 folder under `.work/`), removed after the
batch; a file over the size limit is never downloaded. The archive also runs on a second local
filesystem given as a `file:///` URL. (`tests/test_storage_seam.py` runs the whole DAG with the
raw zone and the ledger in memory; this file keeps to the stages so that it stays fast.)
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import uuid
from pathlib import Path

import duckdb
import fsspec
import openpyxl
import pytest
from smartdd.ingest import archive as archive_module
from smartdd.ingest.safety import SafetyLimits

from smartdd import pipeline
from smartdd.cli import _bring_to_landing
from smartdd.config import ARCHIVE_ENV, LANDING_ENV, LEDGER_ENV, RAW_ZONE_ENV, Settings
from smartdd.pipeline import batch as batch_module
from smartdd.pipeline import stages
from smartdd.pipeline.batch import process_batch
from smartdd.pipeline.stages import received_file
from smartdd.sample import write_samples
from smartdd.storage import fetch_file, native

pytestmark = pytest.mark.long  # the long tier: `make test-long` (other storage back-ends)

ZONES = {LANDING_ENV: "landing", ARCHIVE_ENV: "archive", RAW_ZONE_ENV: "raw", LEDGER_ENV: "ledger"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), investees=2, quarters=1, loan_tape_rows=20, seed=11, defects=True)


def _zones(env: pytest.MonkeyPatch, **urls: str) -> None:
    """Each zone's URL variable set for this test (the module's memory run holds them too): unnamed ones local."""
    for variable in ZONES:
        env.setenv(variable, urls.get(variable, ""))


def _spy_on_local_copies(env: pytest.MonkeyPatch) -> list[tuple[Path, int, int]]:
    """Every file the safety gate (and after it the parsers) is handed: its path and modes."""
    seen = []
    check = batch_module.check_workbook_file

    def checked(path, limits):
        seen.append((Path(path), stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(Path(path).parent).st_mode)))
        return check(path, limits)

    env.setattr(batch_module, "check_workbook_file", checked)
    return seen


@pytest.fixture(scope="module")
def memory_run(tmp_path_factory, samples):
    memory = fsspec.filesystem("memory")
    root = f"/smartdd-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as env:
        for variable, folder in ZONES.items():
            env.setenv(variable, f"memory://{root}/{folder}")
        settings = Settings.from_env(tmp_path_factory.mktemp("home")).ensure()
        landed = {path.name: path.read_bytes() for path in samples} | {"not_a_workbook.xlsx": b"hello"}
        for name, data in landed.items():
            memory.pipe_file(f"{root}/landing/{name}", data)
        handed = _spy_on_local_copies(env)
        batches = json.loads(json.dumps(pipeline.receive_in_batches(settings)))  # as XCom carries them
        records = [r for b in batches for r in pipeline.ingest_batch(b, settings)]
        pipeline.build_and_publish(settings)
        accounted = pipeline.check_run(batches, [], settings)
        yield settings, memory, root, landed, batches, records, handed, accounted
    memory.rm(root, recursive=True)


def _sql(settings: Settings, query: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.sql(query).fetchall()


@pytest.mark.slow  # the module's run builds the marts with dbt
def test_every_file_landed_in_memory_is_accounted_for_in_the_marts(memory_run):
    settings, _, _, landed, batches, records, _, accounted = memory_run
    assert settings.landing.protocol == settings.archive.protocol == "memory"
    assert accounted == len(landed)
    rows = _sql(settings, "select file_name, status from marts.submissions order by file_name")
    assert [name for name, _ in rows] == sorted(landed)
    assert {r["file_name"]: r["status"] for r in records} == dict(rows)
    assert "rejected" in {status for _, status in rows} and len({status for _, status in rows}) > 1
    payload = json.dumps(batches)
    assert str(settings.home) not in payload and "memory://" not in payload, "XCom carries archive keys, not locations"
    assert all(r["archive_key"].startswith(r["sha256"]) for b in batches for r in b)


@pytest.mark.slow  # the module's run builds the marts with dbt
def test_nothing_is_written_under_the_home_landing_or_archive(memory_run):
    settings, memory, root, landed, _, records, _, _ = memory_run
    for folder in ("landing", "archive", "raw", "ledger"):
        assert not (settings.home / folder).exists(), f"nothing in the default {folder} location"
    archived = {p.rsplit("/", 1)[-1] for p in memory.find(f"{root}/archive")}
    assert {f"{r['file_sha256']}.xlsx" for r in records} <= archived
    assert {f"{r['file_sha256']}.json" for r in records} <= archived and stages.LANDED_INDEX in archived


@pytest.mark.slow  # the module's run builds the marts with dbt
def test_the_landed_objects_are_never_modified(memory_run):
    _, memory, root, landed, _, _, _, _ = memory_run
    assert {name: memory.cat_file(f"{root}/landing/{name}") for name in landed} == landed
    assert sorted(p.rsplit("/", 1)[-1] for p in memory.find(f"{root}/landing")) == sorted(landed)


@pytest.mark.slow  # the module's run builds the marts with dbt
def test_the_rejected_sample_gets_its_feedback_with_its_own_sheets(memory_run, samples):
    settings, _, _, landed, _, records, _, _ = memory_run
    sample_names = {p.name for p in samples}
    rejected = [r for r in records if r["status"] == "rejected" and r["file_name"] in sample_names]
    assert rejected, "the samples' deliberately invalid workbook"
    for record in rejected:
        (feedback,) = settings.feedback.glob(f"*__{record['submission_id']}_feedback.xlsx")
        assert "Cover" in openpyxl.load_workbook(feedback, read_only=True).sheetnames, "its sheets were copied back from the archived file"
        (quarantined,) = settings.quarantine.glob(f"*__{record['submission_id']}.xlsx")
        assert quarantined.read_bytes() == landed[record["file_name"]]
    assert list(settings.feedback.glob("not_a_workbook__*_feedback.xlsx"))


@pytest.mark.slow  # the module's run builds the marts with dbt
def test_parsers_read_private_local_copies_removed_after_the_batch(memory_run):
    settings, _, _, landed, _, _, handed, _ = memory_run
    assert len(handed) == len(landed)
    for path, file_mode, folder_mode in handed:
        assert path.parent.parent == settings.work and (file_mode, folder_mode) == (0o600, 0o700)
        assert not path.exists()
    assert not list(settings.work.glob("archived-copies-*"))


@pytest.mark.slow  # the module's run builds the marts with dbt
def test_a_second_run_with_nothing_new_copies_and_parses_nothing(memory_run, monkeypatch):
    settings, memory, root, landed, first, _, _, _ = memory_run
    ledger = {p: memory.cat_file(p) for p in memory.find(f"{root}/ledger")}
    archive = {p: memory.cat_file(p) for p in memory.find(f"{root}/archive")}

    def no_copy(*args, **kwargs):
        raise AssertionError("an unchanged landed file was archived again")

    monkeypatch.setattr(stages, "archive_file", no_copy)
    assert pipeline.receive_in_batches(settings) == [[]], "every file was decided before, under the same version"
    assert pipeline.ingest_batch([], settings) == []
    assert sorted(json.loads(json.dumps(pipeline.received_this_run(settings))), key=lambda r: r["name"]) == sorted(
        (r for b in first for r in b), key=lambda r: r["name"]
    )
    assert {p: memory.cat_file(p) for p in memory.find(f"{root}/ledger")} == ledger
    assert {p: memory.cat_file(p) for p in memory.find(f"{root}/archive")} == archive, "the landing index is unchanged too"
    assert pipeline.check_run([[]], [], settings) == len(landed)


def test_a_remote_file_over_the_size_limit_is_never_downloaded(tmp_path, samples, monkeypatch):
    root = f"/smartdd-{uuid.uuid4().hex[:8]}"
    _zones(monkeypatch, **{LANDING_ENV: f"memory://{root}/landing", ARCHIVE_ENV: f"memory://{root}/archive"})
    memory = fsspec.filesystem("memory")
    try:
        settings = Settings.from_env(tmp_path / "home").ensure()
        settings = dataclasses.replace(settings, limits=SafetyLimits(max_file_bytes=samples[0].stat().st_size - 1))
        memory.pipe_file(f"{root}/landing/big.xlsx", samples[0].read_bytes())
        (batch,) = pipeline.receive_in_batches(settings)
        monkeypatch.setattr("smartdd.ingest.archive.fetch_file", lambda *a, **k: pytest.fail("downloaded a file over the limit"))
        (record,) = process_batch([received_file(r, settings) for r in batch], settings)
        assert record.status == "rejected" and record.reason.startswith("The file is too large"), record.reason
        assert not list(settings.quarantine.iterdir()), "too large to fetch: it stays in the archive only"
        assert list(settings.feedback.glob("big__*_feedback.xlsx"))
    finally:
        memory.rm(root, recursive=True)


def test_fetching_reads_at_most_one_byte_over_the_limit(tmp_path):
    memory = fsspec.filesystem("memory")
    source = f"/smartdd-{uuid.uuid4().hex[:8]}/object.bin"
    memory.pipe_file(source, b"x" * 10_000)
    try:
        assert fetch_file(f"memory://{source}", tmp_path / "cut.bin", max_bytes=100) == 101
        assert (tmp_path / "cut.bin").stat().st_size == 101 and stat.S_IMODE((tmp_path / "cut.bin").stat().st_mode) == 0o600
        assert fetch_file(f"memory://{source}", tmp_path / "whole.bin", max_bytes=10_000) == 10_000
    finally:
        memory.rm(source.rsplit("/", 1)[0], recursive=True)


def test_the_archive_on_a_second_local_filesystem_by_url(tmp_path, samples, monkeypatch):
    other = tmp_path / "other-disk" / "archive"
    _zones(monkeypatch, **{ARCHIVE_ENV: other.as_uri()})  # file:///...
    settings = Settings.from_env(tmp_path / "home").ensure()
    for path in samples:
        (settings.landing / path.name).write_bytes(path.read_bytes())
    (batch,) = pipeline.receive_in_batches(settings)
    records = pipeline.ingest_batch(json.loads(json.dumps(batch)), settings)
    assert sorted(r["file_name"] for r in records) == sorted(p.name for p in samples)
    assert not (settings.home / "archive").exists()
    assert stat.S_IMODE(other.stat().st_mode) == 0o700
    for path, record in zip(sorted(samples), sorted(records, key=lambda r: r["file_name"]), strict=True):
        assert (other / f"{record['file_sha256']}.xlsx").read_bytes() == path.read_bytes()
    assert pipeline.check_run([batch], [], settings) == len(samples)
    assert pipeline.receive_in_batches(settings) == [[]]


def test_smartdd_run_copies_new_files_to_a_remote_landing(tmp_path, samples, capsys):
    root = f"/smartdd-{uuid.uuid4().hex[:8]}"
    memory = fsspec.filesystem("memory")
    source = tmp_path / "uploads"
    source.mkdir()
    for path in samples:
        (source / path.name).write_bytes(path.read_bytes())
    os.symlink("/etc/passwd", source / "link.xlsx")
    settings = Settings(home=tmp_path / "home", landing_url=f"memory://{root}/landing")
    try:
        assert _bring_to_landing(source, native(settings.landing)) == len(samples)
        assert "link.xlsx is not a regular file" in capsys.readouterr().err
        assert _bring_to_landing(source, native(settings.landing)) == 0, "unchanged files are not copied again"
        (source / samples[0].name).write_bytes(b"corrected")
        assert _bring_to_landing(source, native(settings.landing)) == 1
        assert memory.cat_file(f"{root}/landing/{samples[0].name}") == b"corrected"
    finally:
        memory.rm(root, recursive=True)


def test_a_home_with_its_landing_zone_elsewhere_is_a_valid_home(tmp_path, monkeypatch):
    """The DAG's first check: a home set up with a remote landing zone has no landing/ folder, and is still a home; a mistyped one is not."""
    from smartdd.dag_tasks import InvalidHome, validated_settings

    _zones(monkeypatch, **{LANDING_ENV: f"memory:///smartdd-{uuid.uuid4().hex[:8]}/landing"})
    home = Settings.from_env(tmp_path / "home").ensure().home
    assert not (home / "landing").exists()
    assert validated_settings(str(home)).home == home
    (tmp_path / "typo").mkdir()
    with pytest.raises(InvalidHome, match="never set up"):
        validated_settings(str(tmp_path / "typo"))


def test_receiving_into_a_remote_archive_stages_nothing_on_the_local_disk(tmp_path, samples, monkeypatch):
    """A landed file is streamed into the archive: a 50 GB upload cannot fill the home's disk before the size limit is checked."""
    root = f"/smartdd-{uuid.uuid4().hex[:8]}"
    _zones(monkeypatch, **{LANDING_ENV: f"memory://{root}/landing", ARCHIVE_ENV: f"memory://{root}/archive"})
    memory = fsspec.filesystem("memory")
    try:
        settings = Settings.from_env(tmp_path / "home").ensure()
        memory.pipe_file(f"{root}/landing/{samples[0].name}", samples[0].read_bytes())
        copy, targets = archive_module._copy_and_hash, []
        monkeypatch.setattr(archive_module, "_copy_and_hash", lambda source, target: targets.append(target) or copy(source, target))
        (batch,) = pipeline.receive_in_batches(settings)
        assert len(batch) == 1
        assert targets and not [t for t in targets if isinstance(t, Path)], "the copy goes straight to the store, not through a local file"
        written = [p.relative_to(settings.home).as_posix() for p in settings.home.rglob("*") if p.is_file()]
        assert written == [f".work/{stages.RUN_MANIFEST}"], "nothing of the file was written on this machine, only the run's list of receipts"
        archived = [p for p in memory.find(f"{root}/archive") if p.endswith(".xlsx")]
        assert [memory.cat_file(p) for p in archived] == [samples[0].read_bytes()]
        assert not [p for p in memory.find(f"{root}/archive") if ".incoming-" in p]
    finally:
        memory.rm(root, recursive=True)


def test_what_a_killed_run_left_is_removed_by_the_next(tmp_path, samples, monkeypatch):
    """A kill -9 during a batch leaves the parsers' local copies (client data in clear) and, on a local archive, a half-copied file."""
    _zones(monkeypatch)
    settings = Settings.from_env(tmp_path / "home").ensure()
    left = settings.work / "archived-copies-killed"
    left.mkdir()
    (left / "workbook.xlsx").write_bytes(samples[0].read_bytes())
    half = settings.archive / ".incoming-123-abcdef.part"
    half.write_bytes(samples[0].read_bytes()[:100])
    pipeline.receive_in_batches(settings)
    assert not left.exists() and not half.exists()


def test_files_brought_to_the_landing_folder_are_owner_only(tmp_path, samples, monkeypatch):
    _zones(monkeypatch)
    source = tmp_path / "uploads"
    source.mkdir()
    (source / samples[0].name).write_bytes(samples[0].read_bytes())
    (source / samples[0].name).chmod(0o644)
    settings = Settings.from_env(tmp_path / "home").ensure()
    assert _bring_to_landing(source, native(settings.landing)) == 1
    landed = settings.landing / samples[0].name
    assert stat.S_IMODE(landed.stat().st_mode) == 0o600
    assert landed.stat().st_mtime == (source / samples[0].name).stat().st_mtime, "its arrival is the source file's"
