"""A disk that fills while the raw zone is written is the operator's problem, never the investee's.

Two ways to fill it, both run:
- `tmpfs`: the home's raw zone is a real small tmpfs, filled but for a few pages, so a Parquet
  write of the batch really fails with ENOSPC half-way (needs the right to mount: root in a
  container; skipped with the reason otherwise, the injected case still runs);
- `injected`: each raw-zone file is written half, then the write raises OSError(ENOSPC), the way
  a full disk leaves it (tests/test_isolation.py replaces the whole raw-zone write instead).

Either way the batch ends with the operator message (`storage.InfrastructureFault`), the files
that hit the full disk have no ledger row, no quarantine copy and no "NOT accepted" feedback,
the accounting check says they will be processed on the next run, and once space is freed the
next run accepts every file, its raw-zone folder intact.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from smartdd.ingest import rawzone
from smartdd.ingest.rawzone import is_intact

from smartdd import pipeline
from smartdd.config import Settings
from smartdd.pipeline.stages import received_file
from smartdd.sample import write_samples
from smartdd.storage import InfrastructureFault

FREE_BYTES = 3 * 4096  # left free on the tmpfs: less than one submission's raw-zone files


@functools.cache
def can_mount_tmpfs() -> str | None:
    """None when this machine lets the tests mount a tmpfs, else why not (asked once)."""
    if shutil.which("mount") is None:
        return "no mount command"
    probe = Path(f"/tmp/smartdd-tmpfs-probe-{uuid.uuid4().hex[:8]}")
    probe.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            return f"mount -t tmpfs refused: {done.stderr.strip()}"
        subprocess.run(["umount", str(probe)], check=True, timeout=10)
        return None
    finally:
        probe.rmdir()


def fill_raw_zone(settings: Settings, how: str, monkeypatch, request):
    """Fill the raw zone's disk; returns how the operator frees it."""
    if how == "tmpfs":
        if (why := can_mount_tmpfs()) is not None:
            pytest.skip(f"cannot mount a tmpfs here ({why}); the injected case covers the full disk")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(settings.raw)], check=True, timeout=10)
        request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(settings.raw)], timeout=10))
        stats = os.statvfs(settings.raw)
        filler = settings.raw / "filler"
        with open(filler, "wb") as f:
            f.write(b"\0" * (stats.f_bavail * stats.f_frsize - FREE_BYTES))
        return filler.unlink
    real_put = rawzone._put

    def half_then_enospc(fs, path, table):
        real_put(fs, path, table)
        with fs.open(path, "rb") as f:
            data = f.read()
        with fs.open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(rawzone, "_put", half_then_enospc)
    return lambda: monkeypatch.setattr(rawzone, "_put", real_put)


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), investees=2, quarters=1, loan_tape_rows=40, seed=31, defects=False)


def submission_id(receipt: dict, settings: Settings) -> str:
    return received_file(receipt, settings).submission_id


def feedback_texts(settings: Settings) -> str:
    texts = []
    for path in settings.feedback.glob("*.xlsx"):
        for sheet in load_workbook(path, read_only=True).worksheets:
            texts += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    return "\n".join(texts)


def ledger_rows(settings: Settings) -> dict[str, dict]:
    folder = settings.ledger / "submissions"
    return {r["submission_id"]: r for r in pq.read_table(folder).to_pylist()} if list(folder.glob("*.parquet")) else {}


@pytest.mark.parametrize("how", ["tmpfs", "injected"])
def test_a_disk_full_while_writing_the_raw_zone_is_never_held_against_the_investee(tmp_path, workbooks, monkeypatch, request, how):
    settings = Settings.from_env(tmp_path / "home").ensure()
    for path in workbooks:
        shutil.copy2(path, settings.landing / path.name)
    free_space = fill_raw_zone(settings, how, monkeypatch, request)
    (batch,) = pipeline.receive_in_batches(settings)
    with pytest.raises(InfrastructureFault) as fault:
        pipeline.ingest_batch(batch, settings)
    message = str(fault.value)
    assert "No space left on device" in message and "problem of the machine, not of the submission" in message
    assert "will be processed on the next run" in message

    recorded = ledger_rows(settings)
    hit = [r for r in batch if submission_id(r, settings) not in recorded]
    assert hit, "the full disk cost at least one file its write"
    assert all(r["status"] != "rejected" for r in recorded.values()), "nothing recorded as rejected"
    assert not list(settings.quarantine.iterdir()), "nothing quarantined"
    assert "NOT accepted" not in feedback_texts(settings)
    for received in hit:
        assert not (settings.raw / submission_id(received, settings)).exists(), "no half folder where dbt reads"
    with pytest.raises(pipeline.Unaccounted, match="processed again on the next run"):
        pipeline.check_run([batch], [], settings)

    free_space()  # the next run takes every file as if nothing had happened
    again = [record for batch in pipeline.receive_in_batches(settings) for record in pipeline.ingest_batch(batch, settings)]
    assert sorted(r["file_name"] for r in again) == sorted(r["name"] for r in hit)
    assert all(r["status"] == "accepted" for r in again), again
    assert {r["status"] for r in ledger_rows(settings).values()} == {"accepted"} and len(ledger_rows(settings)) == len(workbooks)
    assert all(is_intact(settings.raw / sid) for sid in ledger_rows(settings))
    assert "NOT accepted" not in feedback_texts(settings)
    assert pipeline.check_run([[]], [], settings) == len(workbooks)
