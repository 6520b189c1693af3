"""The records that cross stage boundaries, each typed and serialised in one place.

- `Issue`: a problem found in a workbook, addressed to the person who will fix it.
- `ReceivedFile`: a landed file once archived (what `receive` hands to the per-workbook stage).
- `SubmissionRecord`: the outcome of one received file (one ledger row, one `marts.submissions` row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
from upath import UPath

ERROR, WARNING, INFO = "error", "warning", "info"
ACCEPTED, WITH_WARNINGS, REJECTED = "accepted", "accepted_with_warnings", "rejected"


@dataclass(frozen=True)
class Issue:
    sheet: str
    cell: str  # "B12", "" when the problem is the whole sheet or file
    severity: str  # error | warning | info
    rule: str  # machine code, e.g. "required", "not_a_number"
    message: str  # one plain sentence in English: what was found and what is expected
    # How the message is said in any language: its code in the catalogue (smartdd.messages), "" for a
    # sentence made by hand, and its parameters as JSON (never a loan-tape value). An issue is the
    # problem it states: two issues with the same message are equal whatever their parameters' form.
    code: str = field(default="", compare=False)
    params: str = field(default="{}", compare=False)

    def as_row(self) -> dict:
        return asdict(self)


def has_errors(issues: list[Issue]) -> bool:
    return any(i.severity == ERROR for i in issues)


ISSUES_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("sheet", pa.string()),
        ("cell", pa.string()),
        ("severity", pa.string()),
        ("rule", pa.string()),
        ("message", pa.string()),
        ("code", pa.string()),
        ("params", pa.string()),
    ]
)


@dataclass(frozen=True)
class ReceivedFile:
    """A landed file once archived. `name` is its path under the landing folder as a person reads
    it (bytes that were not UTF-8 and control characters shown as U+FFFD)."""

    sha256: str
    size: int
    received_at: dt.datetime  # UTC
    archived_path: Path | UPath  # a local path, or an object of a remote archive (SMARTDD_ARCHIVE_URL)
    name: str  # the name it arrived under now (relative to the landing folder)
    first_name: str = ""  # the name this content first arrived under
    refused: str = ""  # why the landed entry was not taken (a symbolic link), else ""

    @property
    def is_duplicate(self) -> bool:
        """The same bytes arrived earlier under another name: account for it, don't process twice."""
        return bool(self.first_name) and self.first_name != self.name

    @property
    def file_name(self) -> str:
        return self.name

    @property
    def submission_id(self) -> str:
        if self.is_duplicate or self.refused:
            return hashlib.sha256(f"{self.sha256}/{self.name}".encode()).hexdigest()[:16]
        return self.sha256[:16]

    def to_dict(self) -> dict:
        """JSON-able (Airflow passes it between tasks as XCom)."""
        out = asdict(self)
        out.update(archived_path=str(self.archived_path), received_at=self.received_at.isoformat())
        return out

    @classmethod
    def from_dict(cls, data: dict) -> ReceivedFile:
        return cls(
            sha256=data["sha256"],
            size=data["size"],
            received_at=dt.datetime.fromisoformat(data["received_at"]),
            archived_path=UPath(data["archived_path"]) if "://" in data["archived_path"] else Path(data["archived_path"]),
            name=data["name"],
            first_name=data.get("first_name", ""),
            refused=data.get("refused", ""),
        )


@dataclass
class SubmissionRecord:
    submission_id: str
    file_name: str
    file_sha256: str
    received_at: dt.datetime
    status: str
    reason: str
    investee_id: str | None = None
    period_end: dt.date | None = None
    errors: int = 0
    warnings: int = 0
    language: str = "en"
    processed_with: str = ""  # the processing version (see pipeline.incremental) that decided it

    def summary(self) -> dict:
        out = asdict(self)
        out["received_at"] = self.received_at.isoformat()
        out["period_end"] = self.period_end.isoformat() if self.period_end else None
        return out

    def as_row(self) -> dict:
        return asdict(self)


LEDGER_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("investee_id", pa.string()),
        ("period_end", pa.date32()),
        ("file_name", pa.string()),
        ("file_sha256", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("errors", pa.int64()),
        ("warnings", pa.int64()),
        ("language", pa.string()),
        ("processed_with", pa.string()),
    ]
)
