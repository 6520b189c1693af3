"""The published warehouse opens in the DuckDB analysts have: a real DuckDB 1.4 client (its own
throwaway venv, cached) reads it read-only; the dbt docs are published beside it; publishing
never disturbs a reader holding the old file."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import duckdb
import pytest

from smartdd.config import Settings
from smartdd.pipeline import publish as publish_module
from smartdd.pipeline.publish import copy_database, publish, storage_version_of
from smartdd.pipeline.warehouse import BuildResult

OLDEST_CLIENT = "1.4"


@functools.cache
def build_demo_home(root: Path) -> Settings:
    """A home built by the pipeline's own functions (no Airflow): 3 investees, 2 quarters, with
    the sample generator's defects. Built once per test session (test_analysts_docs uses it too)."""
    from smartdd import pipeline
    from smartdd.sample import write_samples

    settings = Settings.from_env(root / "home").ensure()
    write_samples(settings.landing, investees=3, quarters=2, loan_tape_rows=40, seed=11, defects=True)
    for batch in pipeline.receive_in_batches(settings):
        pipeline.ingest_batch(batch, settings)
    pipeline.build_and_publish(settings)
    return settings


def demo_home(tmp_path_factory) -> Settings:
    return build_demo_home(tmp_path_factory.getbasetemp() / "analyst-demo")


def duckdb_client(version: str = OLDEST_CLIENT) -> Path:
    """The python of a venv with `duckdb==<version>.*` from PyPI, cached in the user's cache folder."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "smartdd-tests" / f"duckdb-{version}"
    python = cache / "bin" / "python"

    def installed() -> bool:
        probe = subprocess.run([str(python), "-c", "import duckdb; print(duckdb.__version__)"], capture_output=True, text=True)
        return probe.returncode == 0 and probe.stdout.startswith(version + ".")

    if not (python.exists() and installed()):
        shutil.rmtree(cache, ignore_errors=True)
        venv.create(cache, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"duckdb=={version}.*"], check=True, timeout=600)
        assert installed()
    return python


def run_in_client(python: Path, warehouse: Path, queries: list[str]) -> list:
    """Each query's rows, as JSON, from a read-only connection of the other client."""
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "out = {'version': duckdb.__version__, 'rows': [con.sql(q).fetchall() for q in json.loads(sys.argv[2])]}\n"
        "print(json.dumps(out, default=str))\n"
    )
    done = subprocess.run([str(python), "-c", script, str(warehouse), json.dumps(queries)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def client14() -> Path:
    return duckdb_client()


@pytest.mark.slow
def test_the_published_warehouse_is_in_the_1_4_format_with_its_dbt_docs_beside_it(tmp_path_factory):
    settings = demo_home(tmp_path_factory)
    assert storage_version_of(settings.warehouse).startswith("v1.4.0")
    assert not list(settings.work.glob("smartdd.build.duckdb*")) and not list(settings.warehouse_dir.glob("*.wal"))
    page = settings.warehouse_dir / "docs" / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "cp_scorecard" in text and "dbt" in text.lower()
    assert oct(page.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_a_duckdb_1_4_client_opens_the_published_warehouse_read_only(tmp_path_factory, client14):
    settings = demo_home(tmp_path_factory)
    query = "select investee_id, period_end::varchar, rating, screening, round(overall_score, 6) from marts.cp_scorecard order by 1, 2"
    answer = run_in_client(client14, settings.warehouse, [query, "select count(*) from marts.submissions"])
    assert answer["version"].startswith(OLDEST_CLIENT + ".")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        expected = [list(r) for r in con.sql(query).fetchall()]
    assert answer["rows"][0] == json.loads(json.dumps(expected, default=str)) and expected
    assert answer["rows"][1][0][0] >= 6


def _small_database(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.sql(
            f"""
            create schema marts;
            create table marts.t as select range as i, 'x' || range as s, (range / 3)::decimal(18, 4) as d, date '2026-09-30' as period_end,
                [range, {value}] as l, {{'a': range}} as st from range(1000);
            create view marts.v as select i, s from marts.t where i < 10;
            create table marts.value as select {value} as v;
            """
        )
    return path


def test_copy_database_keeps_every_table_view_and_row_in_the_older_format(tmp_path):
    source = _small_database(tmp_path / "build.duckdb", 1)
    target = copy_database(source, tmp_path / "published.duckdb", "v1.4.0")
    assert storage_version_of(target).startswith("v1.4.0") and storage_version_of(source) != storage_version_of(target)
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*), sum(i), sum(d) from marts.t").fetchone() == (1000, 499500, pytest.approx(166500, abs=1))
        assert con.execute("select count(*) from marts.v").fetchone() == (10,)
    with pytest.raises(ValueError, match="v1.4.0"):
        copy_database(source, tmp_path / "x.duckdb", "1.4")


def test_a_reader_holding_the_old_warehouse_keeps_its_view_while_a_new_one_is_published(tmp_path, monkeypatch):
    monkeypatch.setattr(publish_module, "generate_docs", lambda build, settings: None)  # no dbt here
    settings = Settings.from_env(tmp_path / "home").ensure()
    publish(BuildResult(build_file=_small_database(settings.work / "smartdd.build.duckdb", 1), log_file=tmp_path / "log"), settings)
    reader = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        publish(BuildResult(build_file=_small_database(settings.work / "smartdd.build.duckdb", 2), log_file=tmp_path / "log"), settings)
        assert reader.execute("select v from marts.value").fetchone() == (1,)  # the old file, whole
    finally:
        reader.close()
    fresh = duckdb.connect()
    fresh.execute("attach ? as w (read_only)", [str(settings.warehouse)])
    assert fresh.execute("select v from w.marts.value").fetchone() == (2,)
    assert sorted(p.name for p in settings.warehouse_dir.iterdir()) == ["smartdd.duckdb"]  # no temporary, no WAL


def test_the_oldest_client_is_the_documented_one():
    text = (Path(__file__).resolve().parents[1] / "docs" / "analysts.md").read_text(encoding="utf-8")
    assert f"DuckDB {OLDEST_CLIENT}" in text and publish_module.STORAGE_VERSION == "v1.4.0"


def test_the_docs_are_generated_again_only_when_what_they_show_changed(tmp_path, monkeypatch):
    """docs_key: the build's manifest (without parse times) and the built relations' columns."""
    generated = []

    def fake_generate_docs(build, settings):  # the real `dbt docs generate`: test_the_published_warehouse_is_in_the_1_4_format...
        page = settings.work / "static_index.html"
        page.write_text(f"docs {len(generated)}")
        generated.append(build.build_file)
        return page

    monkeypatch.setattr(publish_module, "generate_docs", fake_generate_docs)
    settings = Settings.from_env(tmp_path / "home").ensure()
    manifest = settings.work / "dbt_target" / "manifest.json"
    manifest.parent.mkdir(parents=True)

    def publish_a_build(value: int, nodes: dict, extra_column: bool = False) -> int:
        manifest.write_text(json.dumps({"metadata": {"dbt_version": "1.11.0", "invocation_id": str(len(generated))}, "nodes": nodes}))
        build = _small_database(settings.work / "smartdd.build.duckdb", value)
        if extra_column:
            with duckdb.connect(str(build)) as con:
                con.execute("alter table marts.value add column note varchar")
        publish(BuildResult(build_file=build, log_file=tmp_path / "log"), settings)
        return len(generated)

    model = {"model.smartdd.value": {"raw_code": "select 1 as v", "created_at": 1.0}}
    assert publish_a_build(1, model) == 1
    assert publish_a_build(2, {"model.smartdd.value": {**model["model.smartdd.value"], "created_at": 2.0}}) == 1  # new data, new parse time
    assert (settings.warehouse_dir / "docs" / "index.html").read_text() == "docs 0"
    assert publish_a_build(2, {"model.smartdd.value": {"raw_code": "select 2 as v", "created_at": 2.0}}) == 2  # the model's code
    assert publish_a_build(2, {"model.smartdd.value": {"raw_code": "select 2 as v", "created_at": 2.0}}, extra_column=True) == 3
    (settings.warehouse_dir / "docs" / "index.html").unlink()
    assert publish_a_build(3, {"model.smartdd.value": {"raw_code": "select 2 as v", "created_at": 2.0}}, extra_column=True) == 4
    assert (settings.warehouse_dir / "docs" / "index.html").read_text() == "docs 3"
