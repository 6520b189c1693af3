"""`smartdd airflow up → trigger --wait → down` with the real scheduler, DAG processor and API
server, on a small landing folder; a second trigger waits for the first, `smartdd run` is
refused meanwhile, and `down` leaves no process behind, whatever the test's outcome."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.parse

import duckdb
import pytest

from smartdd import runlock
from smartdd.config import Settings
from smartdd.pipeline.publish import storage_version_of
from smartdd.scheduler import Api, _port_free, _session_members

pytestmark = [pytest.mark.slow, pytest.mark.long]  # the long tier: `make test-long`
DAG_ID = "quarterly_due_diligence"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**overrides: str) -> dict[str, str]:
    """This test session's environment without its throwaway Airflow (the scheduler gets its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "SMARTDD_AIRFLOW_HOME"}
    return {**env, **overrides}


def _smartdd(*args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smartdd.cli", *map(str, args)], env=env or _env(), capture_output=True, text=True, timeout=timeout)


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def test_up_refuses_without_a_key_and_starts_nothing(tmp_path):
    env = _env()
    env.pop("SMARTDD_HMAC_KEY", None)
    env.pop("SMARTDD_HMAC_KEY_FILE", None)
    result = _smartdd("airflow", "up", "--home", tmp_path / "home", "--port", _free_port(), env=env, timeout=60)
    assert result.returncode == 2 and "No pseudonymisation key" in result.stderr
    assert not (tmp_path / "home" / ".airflow").exists()


def test_up_trigger_wait_down_on_a_small_landing_folder(tmp_path):
    home = tmp_path / "home"
    airflow_home = home / ".airflow"
    assert _smartdd("sample", "-o", home / "landing", "--investees", 2, "--quarters", 1, "--loan-tape-rows", 50).returncode == 0
    port = _free_port()
    first, recorded, leftover, timings = None, [], [], {}
    try:
        started = time.monotonic()
        up = _smartdd("airflow", "up", "--home", home, "--port", port)
        timings["up"] = time.monotonic() - started
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"http://127.0.0.1:{port}" in up.stdout and "log in as 'admin'" in up.stdout
        assert stat.S_IMODE(airflow_home.stat().st_mode) == 0o700
        recorded = json.loads((airflow_home / "smartdd-up.json").read_text())["processes"]

        started = time.monotonic()
        first = subprocess.Popen(
            [sys.executable, "-m", "smartdd.cli", "airflow", "trigger", "--home", str(home), "--wait"],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first_id = first.stdout.readline().split()[1].rstrip(":")
        second = _smartdd("airflow", "trigger", "--home", home, timeout=60)
        assert second.returncode == 0, second.stderr
        second_id = second.stdout.split()[1].rstrip(":")

        api, settings = Api(airflow_home), Settings.from_env(home)
        second_while_first_runs, refused = set(), None
        while first.poll() is None:
            runs = {r["dag_run_id"]: r for r in api.get(f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"]}
            if runs[first_id]["state"] == "running":
                second_while_first_runs.add(runs[second_id]["state"])
            holder = runlock.holder(settings)
            if refused is None and holder is not None and holder.run_id == first_id:
                refused = _smartdd("run", "--landing", home / "landing", "--home", home, timeout=120)
            time.sleep(2)
        out, err = first.communicate(timeout=30)
        timings["triggered run"] = time.monotonic() - started
        assert first.returncode == 0, out + err
        assert "ended: success" in out

        assert refused is not None and refused.returncode != 0, "smartdd run must be refused while a scheduler run holds the home"
        assert f"in use by run {first_id}" in refused.stderr
        assert second_while_first_runs == {"queued"}  # max_active_runs=1: the second waits
        runs = {r["dag_run_id"]: r for r in api.get(f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"]}
        began = _when(runs[second_id]["start_date"])
        assert began is None or began >= _when(runs[first_id]["end_date"])
        api.patch(f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(second_id, safe='')}", {"state": "failed"})  # it has shown it waits

        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            assert con.execute("select count(*) from marts.cp_scorecard").fetchone()[0] >= 1
        assert storage_version_of(settings.warehouse).startswith("v1.4.0")
        assert (settings.warehouse_dir / "docs" / "index.html").stat().st_size > 0
    finally:
        if first is not None and first.poll() is None:
            first.kill()
        started = time.monotonic()
        down = _smartdd("airflow", "down", "--home", home, timeout=120)
        timings["down"] = time.monotonic() - started
        for component in recorded:  # never leave a process behind, even when an assertion failed
            for p in _session_members(component):
                leftover.append(p.cmdline())
                p.kill()
        print("timings (s):", {k: round(v, 1) for k, v in timings.items()}, down.stdout.strip())
    assert down.returncode == 0, down.stdout + down.stderr
    assert leftover == []
    assert _port_free("127.0.0.1", port)
    assert not (airflow_home / "smartdd-up.json").exists()
