"""The parsing worker pool: long-lived, isolated, and a dead or stuck worker costs one file only."""

from __future__ import annotations

import pool_jobs
import psutil
import pytest
from smartdd.ingest.rejections import RejectedFile
from smartdd.ingest.worker_pool import WorkerPool

JOBS = ["a", "killed", "b", "hangs", "c", "too_big", "raises", "d", "e", "f"]


@pytest.fixture(scope="module")
def outcomes():
    with WorkerPool(size=2, memory_bytes=2 * 2**30, timeout_s=3, max_jobs=3) as pool:
        return dict(pool.map(pool_jobs.work, [(i, (what,)) for i, what in enumerate(JOBS)]))


def test_every_job_gets_an_outcome_in_spite_of_dead_and_stuck_workers(outcomes):
    assert sorted(outcomes) == list(range(len(JOBS)))
    for i, what in enumerate(JOBS):
        if what in "abcdef":
            assert outcomes[i][0] == what


def test_a_killed_worker_rejects_its_file_with_a_reason(outcomes):
    assert isinstance(outcomes[1], RejectedFile) and "memory" in outcomes[1].reason


def test_a_stuck_worker_is_stopped_at_the_timeout(outcomes):
    assert isinstance(outcomes[3], RejectedFile) and "longer than 3 seconds" in outcomes[3].reason


def test_a_worker_over_its_memory_cap_rejects_its_file(outcomes):
    assert isinstance(outcomes[5], RejectedFile) and "memory" in outcomes[5].reason


def test_a_reader_bug_comes_back_as_its_exception_and_the_worker_goes_on(outcomes):
    assert isinstance(outcomes[6], ValueError) and "a reader bug" in str(outcomes[6])


def test_workers_are_reused_then_replaced_and_none_is_left_behind(outcomes):
    pids = [outcomes[i][1] for i, what in enumerate(JOBS) if what in "abcdef"]
    assert len(set(pids)) < len(pids), "a worker parses more than one file"
    assert not [p for p in psutil.Process().children(recursive=True) if "worker_pool" in " ".join(p.cmdline())]
