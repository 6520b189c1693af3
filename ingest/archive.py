"""Keep every received file once, by content, with when it was first received.

`received_at` is the landing file's modification time when smartdd first saw it (when the
upload completed). It is stored beside the archived copy so re-runs, and batches split in
any way, order resubmissions identically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReceivedFile:
    path: Path  # the file in the landing folder
    sha256: str
    size: int
    received_at: dt.datetime  # UTC
    archived_path: Path
    first_name: str = ""  # the name this content first arrived under

    @property
    def is_duplicate(self) -> bool:
        """The same bytes arrived earlier under another name: account for it, don't process twice."""
        return bool(self.first_name) and self.first_name != self.path.name

    @property
    def submission_id(self) -> str:
        if self.is_duplicate:
            return hashlib.sha256(f"{self.sha256}/{self.path.name}".encode()).hexdigest()[:16]
        return self.sha256[:16]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(path: Path, archive_dir: Path) -> ReceivedFile:
    """Copy `path` into the archive (once per content) and return its receipt."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    sha = sha256_of(path)
    stored = archive_dir / f"{sha}{path.suffix.lower() or '.bin'}"
    receipt = archive_dir / f"{sha}.json"
    if not stored.exists():
        tmp = stored.with_name(stored.name + ".part")
        shutil.copyfile(path, tmp)
        os.replace(tmp, stored)
    meta = json.loads(receipt.read_text()) if receipt.exists() else {}
    if "received_at" not in meta:
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        meta["received_at"] = mtime.isoformat()
    names = meta.setdefault("file_names", [])
    if path.name not in names:
        names.append(path.name)
    meta["size"] = path.stat().st_size
    _write_json(receipt, meta)
    return ReceivedFile(
        path=path,
        sha256=sha,
        size=meta["size"],
        received_at=dt.datetime.fromisoformat(meta["received_at"]),
        archived_path=stored,
        first_name=names[0],
    )


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)
