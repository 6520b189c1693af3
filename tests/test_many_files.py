"""No ceiling on the number of files: more than Airflow's 1,024 mapped tasks, through the real DAG.

Airflow refuses to map a task over more than `max_map_length` (1,024) values; the DAG maps its
ingest task over batches of new files, so a landing folder of 1,030 files runs. The files are
small (one sample workbook and 1,029 files that are not workbooks), so the test measures
the accounting, not the reading.
"""

from __future__ import annotations

import duckdb
import pytest

from smartdd.airflow_run import run_quarterly_dag
from smartdd.config import Settings
from smartdd.sample import write_samples

pytestmark = [pytest.mark.slow, pytest.mark.long]  # the long tier: `make test-long`

NOT_WORKBOOKS = 1_029


def test_a_landing_folder_past_airflows_map_limit_runs_and_accounts_for_every_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTDD_BATCH_SIZE", "200")  # 6 mapped ingest tasks for 1,030 files
    settings = Settings.from_env(tmp_path / "home").ensure()
    (sample,) = write_samples(settings.landing, investees=1, quarters=1, loan_tape_rows=20, seed=3, defects=False)
    for i in range(NOT_WORKBOOKS):
        (settings.landing / f"export_{i:04d}.xlsx").write_bytes(f"loan_id,client_id\nL{i},C{i}\n".encode())

    assert run_quarterly_dag(settings) == "success"

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        outcomes = dict(con.sql("select status, count(*) from marts.submissions group by status").fetchall())
        names = {row[0] for row in con.sql("select file_name from marts.submissions").fetchall()}
    assert sum(outcomes.values()) == NOT_WORKBOOKS + 1 > 1_024
    assert outcomes["rejected"] == NOT_WORKBOOKS and outcomes["accepted"] + outcomes.get("accepted_with_warnings", 0) == 1
    assert names == {p.name for p in settings.landing.iterdir()}
    assert len(list(settings.archive.iterdir())) >= NOT_WORKBOOKS + 1
