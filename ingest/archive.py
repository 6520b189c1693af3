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
from pathlib import Path

from smartdd.records import ReceivedFile
from smartdd.storage import write_text_atomic


def archive_file(path: Path, archive_dir: Path, name: str | None = None) -> ReceivedFile:
    """Copy `path` into the archive (once per content) and return its receipt.

    The hash is computed on the bytes as copied, so a file still being written can never be
    archived under a hash that does not match what was stored.
    """
    archive_dir.mkdir(parents=True, exist_ok=True)
    name = name or path.name
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    tmp = archive_dir / f".incoming-{os.getpid()}-{abs(hash(name))}.part"
    sha = _copy_and_hash(path, tmp)
    stored = archive_dir / f"{sha}{path.suffix.lower() or '.bin'}"
    if stored.exists():
        tmp.unlink()
    else:
        os.replace(tmp, stored)
    receipt = archive_dir / f"{sha}.json"
    meta = json.loads(receipt.read_text()) if receipt.exists() else {}
    meta.setdefault("received_at", mtime.isoformat())
    names = meta.setdefault("file_names", [])
    if name not in names:
        names.append(name)
    meta["size"] = stored.stat().st_size
    write_text_atomic(receipt, json.dumps(meta, indent=2, sort_keys=True))
    return ReceivedFile(
        path=path,
        sha256=sha,
        size=meta["size"],
        received_at=dt.datetime.fromisoformat(meta["received_at"]),
        archived_path=stored,
        first_name=names[0],
        name=name,
    )


def _copy_and_hash(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(2**20):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()
