"""Where smartdd keeps things, and the limits it enforces: one place, overridable by environment.

Every zone is a location of `smartdd.storage` (a `UPath`). All live under the home by default,
on the local disk; `SMARTDD_LANDING_URL`, `SMARTDD_ARCHIVE_URL`, `SMARTDD_RAW_ZONE_URL` and
`SMARTDD_LEDGER_URL` put the landing zone, the archive, the raw zone and the ledger on any fsspec
filesystem instead (`file:///mnt/other/raw`, `s3://bucket/smartdd/raw` with `s3fs` installed;
`memory://raw` in the tests), read and written through fsspec. A workbook from a remote archive
is parsed from a private local copy under `.work/`, deleted after its batch. Quarantine,
feedback, warehouse and reports stay local paths (docs/scaling.md): quarantine and feedback are
written from that local copy, so they work whatever the archive is on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from upath import UPath

from smartdd.ingest.safety import SafetyLimits
from smartdd.paths import DAGS_DIR, DBT_PROJECT_DIR, REPO_ROOT
from smartdd.storage import is_local, make_private_dir, zone

__all__ = ["DAGS_DIR", "DBT_PROJECT_DIR", "REPO_ROOT", "Settings"]

RAW_ZONE_ENV = "SMARTDD_RAW_ZONE_URL"  # the raw zone's fsspec URL or path; empty: <home>/raw
LEDGER_ENV = "SMARTDD_LEDGER_URL"  # the ledger's; empty: <home>/ledger
LANDING_ENV = "SMARTDD_LANDING_URL"  # the landing zone's; empty: <home>/landing
ARCHIVE_ENV = "SMARTDD_ARCHIVE_URL"  # the archive's; empty: <home>/archive
_ZONE_ENVS = {"raw_url": RAW_ZONE_ENV, "ledger_url": LEDGER_ENV, "landing_url": LANDING_ENV, "archive_url": ARCHIVE_ENV}


def _limits_from_env() -> SafetyLimits:
    """SMARTDD_MAX_FILE_MB, SMARTDD_MAX_UNCOMPRESSED_MB, SMARTDD_MAX_ROWS override the defaults."""
    defaults = SafetyLimits()
    mb = 2**20
    return SafetyLimits(
        max_file_bytes=int(os.environ.get("SMARTDD_MAX_FILE_MB", defaults.max_file_bytes // mb)) * mb,
        max_uncompressed_bytes=int(os.environ.get("SMARTDD_MAX_UNCOMPRESSED_MB", defaults.max_uncompressed_bytes // mb)) * mb,
        max_rows=int(os.environ.get("SMARTDD_MAX_ROWS", defaults.max_rows)),
    )


@dataclass(frozen=True)
class Settings:
    home: Path
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    raw_url: str = ""  # SMARTDD_RAW_ZONE_URL; "" is <home>/raw
    ledger_url: str = ""  # SMARTDD_LEDGER_URL; "" is <home>/ledger
    landing_url: str = ""  # SMARTDD_LANDING_URL; "" is <home>/landing
    archive_url: str = ""  # SMARTDD_ARCHIVE_URL; "" is <home>/archive

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        private_by_default()  # every entry point (CLI, DAG task) comes through here before writing anything
        home = Path(home or os.environ.get("SMARTDD_HOME") or "var").expanduser().resolve()
        env = {name: os.environ.get(variable, "").strip() for name, variable in _ZONE_ENVS.items()}
        return cls(home=home, limits=_limits_from_env(), **env)

    @property
    def raw(self) -> UPath:
        """The raw zone: a local `PosixUPath` (also a `pathlib.Path`) by default, else the URL's UPath."""
        return zone(self.raw_url or self.home / "raw")

    @property
    def ledger(self) -> UPath:
        """The ledger (one Parquet file per submission, and its issues): local by default, like `raw`."""
        return zone(self.ledger_url or self.home / "ledger")

    @property
    def landing(self) -> UPath:
        """Where investees' workbooks arrive (never modified or drained by smartdd): local by default."""
        return zone(self.landing_url or self.home / "landing")

    @property
    def archive(self) -> UPath:
        """Every received file once, by content (`<sha256>.xlsx` and its `.json` receipt): local by default."""
        return zone(self.archive_url or self.home / "archive")

    @property
    def raw_is_local(self) -> bool:
        return is_local(self.raw)

    quarantine = property(lambda self: self.home / "quarantine")
    feedback = property(lambda self: self.home / "feedback")
    warehouse_dir = property(lambda self: self.home / "warehouse")
    warehouse = property(lambda self: self.home / "warehouse" / "smartdd.duckdb")
    reports = property(lambda self: self.home / "reports")
    work = property(lambda self: self.home / ".work")  # dbt target/logs, build files

    def ensure(self) -> Settings:
        """Create the home's folders, owner-only: they hold client data (archive, quarantine) and its
        derivatives. Everything this process writes from now on is owner-only too (umask 077)."""
        private_by_default()
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        for folder in (self.landing, self.archive, self.quarantine, self.raw, self.ledger, self.feedback, self.warehouse_dir, self.reports, self.work):
            make_private_dir(folder)  # owner-only on a local filesystem; an object store's access is its policy
        if reports_group_readable():
            self.home.chmod(0o710)  # the group may pass through the home to the reports, and see nothing else
            self.reports.chmod(0o750)
        return self


REPORTS_GROUP_ENV = "SMARTDD_REPORTS_GROUP_READABLE"


def reports_group_readable() -> bool:
    """SMARTDD_REPORTS_GROUP_READABLE=1: the reports (not the data) readable by the owner's group."""
    return os.environ.get(REPORTS_GROUP_ENV, "").strip().lower() in {"1", "true", "yes"}


def private_by_default() -> None:
    """Files and folders this process creates are readable by their owner only."""
    os.umask(0o077)
