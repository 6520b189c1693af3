"""The storage seam: the raw zone (and the ledger) on another fsspec filesystem, and XCom carrying ids.

The whole DAG (`dag.test()`, as `smartdd run`) runs with SMARTDD_RAW_ZONE_URL on fsspec's
in-memory filesystem (every task runs in this process, so they all see it): the marts are built
from what is there, and nothing is written to the home's default raw zone. A second local
filesystem by URL (`file:///...`) is checked on the per-workbook stage and the repair.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid

import duckdb
import fsspec
import pytest
from smartdd.ingest.rawzone import CHECKSUMS, is_intact, submission_folders

from smartdd import pipeline
from smartdd.airflow_run import run_quarterly_dag
from smartdd.config import DBT_PROJECT_DIR, LEDGER_ENV, RAW_ZONE_ENV, Settings
from smartdd.pipeline.repair import repair_raw_zone
from smartdd.sample import write_samples

pytestmark = pytest.mark.long  # the long tier: `make test-long` (other storage back-ends)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return write_samples(tmp_path_factory.mktemp("samples"), investees=2, quarters=1, loan_tape_rows=20, seed=11, defects=True)


@pytest.fixture(scope="module")
def memory_run(tmp_path_factory, samples):
    memory = fsspec.filesystem("memory")
    root = f"/smartdd-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(RAW_ZONE_ENV, f"memory://{root}/raw")
        env.setenv(LEDGER_ENV, f"memory://{root}/ledger")
        settings = Settings.from_env(tmp_path_factory.mktemp("home")).ensure()
        for path in samples:
            shutil.copy2(path, settings.landing / path.name)
        (settings.landing / "not_a_workbook.xlsx").write_bytes(b"hello")
        state = run_quarterly_dag(settings)  # every task reads the zones' URLs from its environment
    yield settings, state, memory, root  # the settings carry the URLs
    memory.rm(root, recursive=True)


def _sql(settings: Settings, query: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.sql(query).fetchall()


@pytest.mark.slow
def test_the_pipeline_runs_with_the_raw_zone_and_ledger_in_memory(memory_run, samples):
    settings, state, memory, root = memory_run
    assert state == "success"
    assert settings.raw.protocol == "memory" and not settings.raw_is_local
    accepted = {sid for (sid,) in _sql(settings, "select submission_id from marts.submissions where status <> 'rejected'")}
    stored = {folder.name for folder in submission_folders(settings.raw)}
    assert accepted and stored == accepted, "the marts are built from the submission folders on the memory filesystem"
    for sid in stored:
        assert memory.exists(f"{root}/raw/{sid}/{CHECKSUMS}") and memory.exists(f"{root}/raw/{sid}/loan_tape.parquet")
        assert is_intact(settings.raw / sid)
    scored = {sid for (sid,) in _sql(settings, "select submission_id from marts.cp_scorecard")}
    assert scored and scored <= stored
    rows = _sql(settings, "select file_name, status from marts.submissions order by file_name")
    assert [name for name, _ in rows] == sorted([p.name for p in samples] + ["not_a_workbook.xlsx"])
    ledger = {p.rsplit("/", 1)[-1] for p in memory.find(f"{root}/ledger/submissions")}
    assert ledger >= {f"{sid}.parquet" for sid, _ in _sql(settings, "select submission_id, 1 from marts.submissions")}
    assert not (settings.home / "raw").exists(), "nothing in the default raw-zone location"
    assert not (settings.home / "ledger").exists(), "nothing in the default ledger location"


@pytest.mark.slow
def test_a_damaged_folder_in_memory_is_rebuilt_before_the_next_build(memory_run):
    settings, _, memory, root = memory_run
    victim = submission_folders(settings.raw)[0]
    tape = f"{victim.path}/loan_tape.parquet"
    intact = memory.cat_file(tape)
    memory.pipe_file(tape, intact[: len(intact) // 2])
    assert not is_intact(victim)
    assert repair_raw_zone(settings) == [victim.name]
    assert memory.cat_file(tape) == intact and is_intact(victim)
    assert any(p.startswith(f"{root}/raw/.damaged/{victim.name}-") for p in memory.find(f"{root}/raw/.damaged"))


def test_xcom_carries_ids_and_the_worker_resolves_them(tmp_path, samples):
    other = tmp_path / "other-disk" / "raw"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(RAW_ZONE_ENV, other.as_uri())  # file:///...: a second local filesystem, by URL
        settings = Settings.from_env(tmp_path / "home").ensure()
        for path in samples:  # one of them is the samples' deliberately invalid workbook
            shutil.copy2(path, settings.landing / path.name)
        (settings.landing / "notes.txt").write_text("not a workbook")
        (batch,) = pipeline.receive_in_batches(settings)
        payload = json.dumps(batch)
        assert str(tmp_path) not in payload and all("archived_path" not in r for r in batch), payload
        assert all(r["archive_key"].startswith(r["sha256"]) and "/" not in r["archive_key"] for r in batch)
        records = pipeline.ingest_batch(batch, settings)
        (accepted,) = [r for r in records if r["status"] != "rejected"]
        assert (other / accepted["submission_id"] / CHECKSUMS).is_file()
        assert not (settings.home / "raw").exists()
        assert oct((other / accepted["submission_id"]).stat().st_mode & 0o777) == oct(0o700)  # owner-only stays on a local filesystem
        assert pipeline.check_run([batch], [], settings) == len(samples) + 1
        with pytest.raises(ValueError, match="not an archive key"):
            pipeline.ingest_batch([{**batch[0], "archive_key": "../../etc/passwd"}], settings)


# Functions and syntax DuckDB has and portable SQL (or dbt's cross-database macros) does not.
DUCKDB_ONLY = re.compile(
    r"(?<![.\w])(?:(?:read_parquet|read_csv(?:_auto)?|read_json(?:_auto)?|parquet_scan|list_\w+|array_\w+|struct_\w+|regexp_\w+|strftime|strptime|"
    r"epoch\w*|date_diff|datediff|make_date|arg_max|arg_min|count_if|string_split|str_split|unnest|exclude|columns)\s*\(|qualify\b|union_by_name\b)",
    re.IGNORECASE,
)


def test_duckdb_only_sql_lives_in_the_marked_macros_only():
    """The models' SQL is portable; what only DuckDB runs goes to macros/duckdb_only/ (none today).
    The sources' `external_location` (dbt-duckdb's own source config, generated by codegen) is
    the one DuckDB-only read of the raw zone, documented in docs/scaling.md."""
    project = DBT_PROJECT_DIR
    offending = []
    for path in [*(project / "models").rglob("*.sql"), *(project / "macros").rglob("*.sql")]:
        if "duckdb_only" in path.parts:
            continue
        code = re.sub(r"--[^\n]*|\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        offending += [f"{path.relative_to(project)}: {m.group(0)}" for m in DUCKDB_ONLY.finditer(code)]
    assert not offending, offending
