"""Every ```sql block of docs/analysts.md runs as written against a demo warehouse, returns rows,
and runs in the oldest DuckDB the page promises (1.4) as well."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from test_publish_format import demo_home, duckdb_client, run_in_client

pytestmark = pytest.mark.slow

PAGE = Path(__file__).resolve().parents[1] / "docs" / "analysts.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_at_least_eight_example_queries():
    assert len(BLOCKS) >= 8


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return demo_home(tmp_path_factory).warehouse


@pytest.mark.parametrize("sql", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_each_sql_block_runs_and_answers(warehouse, sql):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(sql).fetchall()
    assert rows, "an example that answers nothing on the demo data teaches nothing"


def test_every_sql_block_runs_in_duckdb_1_4(warehouse):
    answer = run_in_client(duckdb_client("1.4"), warehouse, BLOCKS)
    assert answer["version"].startswith("1.4.") and all(answer["rows"])
