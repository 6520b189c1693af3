"""Keep every received file once, by content, with when it was first received.

`received_at` is the earliest modification time of these bytes under any name (when the upload
completed), clamped to the moment of receipt. It is stored beside the archived copy so re-runs,
and batches split in any way, order resubmissions identically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from pathlib import Path

from smartdd.records import ReceivedFile
from smartdd.storage import write_text_atomic

# Archive names never derive from the landed name beyond a short known suffix: any name the
# filesystem allows (250 characters, control characters, bytes that are not UTF-8) archives.
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def landed_at(path: Path, now: dt.datetime) -> dt.datetime:
    """When the upload completed (its modification time), never later than the moment of receipt:
    a clock in the year 2400 must not make a file supersede every correction sent after it."""
    return min(dt.datetime.fromtimestamp(path.lstat().st_mtime, tz=dt.UTC), now)


def archive_file(path: Path, archive_dir: Path, name: str, now: dt.datetime | None = None) -> ReceivedFile:
    """Copy `path` into the archive (once per content) and return its receipt.

    The hash is computed on the bytes as copied, so a file still being written can never be
    archived under a hash that does not match what was stored. `received_at` is the earliest
    arrival of these bytes under any name.
    """
    archive_dir.mkdir(parents=True, exist_ok=True)
    arrived = landed_at(path, now or dt.datetime.now(dt.UTC))
    tmp = archive_dir / f".incoming-{os.getpid()}-{secrets.token_hex(8)}.part"
    try:
        sha = _copy_and_hash(path, tmp)
        suffix = path.suffix.lower()
        stored = archive_dir / f"{sha}{suffix if _SUFFIX.fullmatch(suffix) else '.bin'}"
        if not stored.exists():
            os.replace(tmp, stored)
    finally:
        tmp.unlink(missing_ok=True)
    receipt = archive_dir / f"{sha}.json"
    meta = json.loads(receipt.read_text()) if receipt.exists() else {}
    first_seen = dt.datetime.fromisoformat(meta["received_at"]) if "received_at" in meta else arrived
    meta["received_at"] = min(first_seen, arrived).isoformat()
    names = meta.setdefault("file_names", [])
    if name not in names:
        names.append(name)
    meta["size"] = stored.stat().st_size
    write_text_atomic(receipt, json.dumps(meta, indent=2, sort_keys=True))
    return ReceivedFile(
        sha256=sha,
        size=meta["size"],
        received_at=dt.datetime.fromisoformat(meta["received_at"]),
        archived_path=stored,
        first_name=names[0],
        name=name,
    )


def known_receipt(archive_dir: Path, sha256: str, name: str) -> ReceivedFile | None:
    """The receipt of bytes already in the archive under this name, without copying them again."""
    receipt = archive_dir / f"{sha256}.json"
    stored = [p for p in archive_dir.glob(f"{sha256}.*") if p.suffix != ".json"]
    if not receipt.exists() or not stored:
        return None
    meta = json.loads(receipt.read_text())
    if name not in meta.get("file_names", []):
        return None
    return ReceivedFile(
        sha256=sha256,
        size=meta["size"],
        received_at=dt.datetime.fromisoformat(meta["received_at"]),
        archived_path=stored[0],
        first_name=meta["file_names"][0],
        name=name,
    )


def refused_entry(path: Path, name: str, reason: str, now: dt.datetime | None = None) -> ReceivedFile:
    """A landed entry that is not taken (a symbolic link): accounted for, never followed or copied."""
    digest = hashlib.sha256(f"refused\0{name}".encode("utf-8", "surrogateescape")).hexdigest()
    return ReceivedFile(
        sha256=digest, size=0, received_at=landed_at(path, now or dt.datetime.now(dt.UTC)), archived_path=Path(), name=name, first_name=name, refused=reason
    )


def _copy_and_hash(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(2**20):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()
