"""Publish a finished build: it replaces the warehouse analysts read in one atomic rename.

Analysts holding the old file open keep a consistent view; nobody ever sees a half-built
warehouse, and a failed build never reaches this step.
"""

from __future__ import annotations

import os
from pathlib import Path

from smartdd.config import Settings
from smartdd.pipeline.warehouse import BuildResult


def publish(build: BuildResult, settings: Settings) -> Path:
    """Atomically replace the published warehouse with the finished build file."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    stale_wal = settings.warehouse.with_name(settings.warehouse.name + ".wal")
    os.replace(build.build_file, settings.warehouse)
    # A WAL left by someone who opened the old file read-write would be replayed into the new one.
    stale_wal.unlink(missing_ok=True)
    return settings.warehouse
