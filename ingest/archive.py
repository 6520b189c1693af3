"""Keep every received file once, by content, with when it was first received.

`received_at` is the earliest modification time of these bytes under any name (when the upload
completed), clamped to the moment of receipt. It is stored beside the archived copy so re-runs,
and batches split in any way, order resubmissions identically.

The landing zone and the archive are each a local folder (a `pathlib.Path`) or a UPath on
another fsspec filesystem (`smartdd.storage.native`); a remote landed file is read through
fsspec, a remote archive written with one `put` of a finished local copy. Parsers need a local
file: `parsable_copy` fetches a remote archived file into a private local one first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from dataclasses import replace
from pathlib import Path

from smartdd.ingest.rejections import RejectedFile, _too_large
from upath import UPath

from smartdd.records import ReceivedFile
from smartdd.storage import fetch_file, is_local, local_path, modified_at, native, size_of, write_text_atomic

# Archive names never derive from the landed name beyond a short known suffix: any name the
# filesystem allows (250 characters, control characters, bytes that are not UTF-8) archives.
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def landed_at(path: Path | UPath, now: dt.datetime) -> dt.datetime:
    """When the upload completed (its modification time; an object's last-modified), never later
    than the moment of receipt: a clock in the year 2400 must not make a file supersede every
    correction sent after it."""
    if isinstance(path, Path):
        return min(dt.datetime.fromtimestamp(path.lstat().st_mtime, tz=dt.UTC), now)
    return min(modified_at(path), now)


def archive_file(path: Path | UPath, archive_dir: Path | UPath, name: str, now: dt.datetime | None = None) -> ReceivedFile:
    """Copy `path` into the archive (once per content) and return its receipt.

    The hash is computed on the bytes as copied, so a file still being written can never be
    archived under a hash that does not match what was stored. `received_at` is the earliest
    arrival of these bytes under any name. The landed file is only ever read. A remote archive's
    copy is staged in a private temporary folder under `scratch` (the home's `.work/`).
    """
    arrived = landed_at(path, now or dt.datetime.now(dt.UTC))
    archive_dir = native(archive_dir)
    if isinstance(archive_dir, Path):
        sha, stored = _store_locally(path, archive_dir)
    else:
        sha, stored = _upload(path, archive_dir)
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


def _store_locally(path: Path | UPath, archive_dir: Path) -> tuple[str, Path]:
    """Copied beside its final name and renamed into place (a crash leaves no torn copy)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    tmp = archive_dir / f".incoming-{os.getpid()}-{secrets.token_hex(8)}.part"
    try:
        sha = _copy_and_hash(path, tmp)
        stored = archive_dir / _stored_name(sha, path)
        if not stored.exists():
            os.replace(tmp, stored)
    finally:
        tmp.unlink(missing_ok=True)
    return sha, stored


def _upload(path: Path | UPath, archive_dir: UPath) -> tuple[str, UPath]:
    """Streamed into a temporary object beside its final name (hashed on the way), then moved under
    its content's name: an object appears whole or not at all, and a 50 GB upload never fills the
    local disk (the size limit applies when it is parsed, as for a local archive)."""
    tmp = archive_dir / f".incoming-{os.getpid()}-{secrets.token_hex(8)}.part"
    try:
        sha = _copy_and_hash(path, tmp)
        stored = archive_dir / _stored_name(sha, path)
        if not stored.exists():
            tmp.fs.mv(tmp.path, stored.path)
    finally:
        if tmp.exists():
            tmp.fs.rm(tmp.path)
    return sha, stored


def _stored_name(sha: str, landed: Path | UPath) -> str:
    suffix = landed.suffix.lower()
    return f"{sha}{suffix if _SUFFIX.fullmatch(suffix) else '.bin'}"


def known_receipt(archive_dir: Path | UPath, sha256: str, name: str) -> ReceivedFile | None:
    """The receipt of bytes already in the archive under this name, without copying them again."""
    archive_dir = native(archive_dir)
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


def parsable_copy(received: ReceivedFile, folder: Path | None, max_bytes: int) -> ReceivedFile:
    """The receipt with its archived file on this machine, where a parser can open it: a local
    archive's file as it is; a remote one's fetched into `folder` (private; its caller deletes it).
    A file over `max_bytes` is rejected before it is downloaded, and never more than `max_bytes` + 1
    bytes of it are read (the archived object is checked again by `check_workbook_file` once local)."""
    if isinstance(received.archived_path, Path):
        return received
    if is_local(received.archived_path):  # a file:// URL
        return replace(received, archived_path=local_path(received.archived_path))
    if (size := size_of(received.archived_path)) > max_bytes:
        raise RejectedFile(_too_large(size, max_bytes))
    local = folder / f"{received.submission_id}-{received.archived_path.name}"
    if (fetched := fetch_file(received.archived_path, local, max_bytes)) > max_bytes:  # it grew since: still never read past the limit
        raise RejectedFile(_too_large(fetched, max_bytes))
    return replace(received, archived_path=local)


def _copy_and_hash(source: Path | UPath, target: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(2**20):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()
