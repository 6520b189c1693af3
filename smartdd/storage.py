"""Where files live and how they are written: the one storage module (fsspec / universal-pathlib).

A *zone* (landing, archive, raw zone, ledger, ...) is a `UPath`: a local path by default (a
`PosixUPath`, which is also a `pathlib.Path`), or any fsspec URL (`file:///other/disk`,
`memory://raw` in tests, `s3://bucket/raw` with `s3fs` installed). Code that must work on every
filesystem goes through the zone's fsspec filesystem (`fs_and_path`); code that only ever runs
on a local zone may use it as a `Path`.

Every stage that writes a file the pipeline or a person reads later goes through `atomic_path`
(a crash leaves the old file or none, never a torn one): on a local zone one rename; on an
object store one `put` (an object appears whole or not at all).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem
from upath import UPath

LOCAL_PROTOCOLS = frozenset({"", "file", "local"})


def zone(location: str | os.PathLike) -> UPath:
    """A location as a UPath: a path without a protocol is local (relative ones resolved, `~` expanded)."""
    if isinstance(location, UPath):
        return location
    text = os.fspath(location)
    if "://" not in text:
        return UPath(Path(text).expanduser().resolve())
    return UPath(text)


def is_local(location: str | os.PathLike) -> bool:
    """On this machine's filesystem (a plain path or a file:// URL), so POSIX renames and modes apply."""
    return isinstance(location, Path) or isinstance(zone(location).fs, LocalFileSystem)


def local_path(location: str | os.PathLike) -> Path:
    """The local path of a local zone (ValueError for a remote one)."""
    if isinstance(location, Path):
        return Path(location)
    where = zone(location)
    if not isinstance(where.fs, LocalFileSystem):
        raise ValueError(f"{where} is not on the local filesystem")
    return Path(where.path)


def fs_and_path(location: str | os.PathLike) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem of a location and the location's path on it (no protocol)."""
    where = zone(location)
    return where.fs, where.path


def native(location: str | os.PathLike) -> Path | UPath:
    """A local zone as a plain `pathlib.Path` (os functions, modes and symbolic links apply to
    it), any other as its UPath (read and written through its fsspec filesystem)."""
    return local_path(location) if is_local(location) else zone(location)


def files_under(location: str | os.PathLike) -> list[str]:
    """The names (relative, POSIX) of every file under a location, through its fsspec filesystem,
    sorted. For object stores, which hold no links, pipes or devices; local folders are walked by
    their callers, who must see those."""
    fs, root = fs_and_path(location)
    if not fs.exists(root):
        return []
    base = PurePosixPath(root.rstrip("/") or "/")
    return sorted(PurePosixPath(found).relative_to(base).as_posix() for found in fs.find(root, withdirs=False))


def size_of(location: str | os.PathLike) -> int:
    fs, path = fs_and_path(location)
    return fs.size(path)


def modified_at(location: str | os.PathLike) -> dt.datetime:
    """When a file was last written (UTC), as its filesystem records it (an object's last-modified)."""
    fs, path = fs_and_path(location)
    try:
        when = fs.modified(path)
    except NotImplementedError:
        info = fs.info(path)
        when = next((info[k] for k in ("mtime", "LastModified", "last_modified", "updated", "created") if info.get(k) is not None), None)
        if when is None:
            raise ValueError(f"{location}: its filesystem records no modification time") from None
    if isinstance(when, int | float):
        when = dt.datetime.fromtimestamp(when, tz=dt.UTC)
    elif isinstance(when, str):
        when = dt.datetime.fromisoformat(when)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def fetch_file(source: str | os.PathLike, target: Path, max_bytes: int) -> int:
    """Copy a file of any filesystem into a new local file `target`, owner-only (0600); never more
    than `max_bytes` + 1 bytes are read, so a file over the limit is known to be so without being
    downloaded whole. Returns the bytes written (over `max_bytes`: the copy is cut short)."""
    fs, path = fs_and_path(source)
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as dst, fs.open(path, "rb") as src:
        while written <= max_bytes and (chunk := src.read(min(2**20, max_bytes + 1 - written))):
            dst.write(chunk)
            written += len(chunk)
    return written


def make_private_dir(location: str | os.PathLike, mode: int = 0o700) -> None:
    """Create a folder; on a local filesystem owner-only (`mode`). Object stores have no modes:
    access there is the bucket's policy."""
    if is_local(location):
        path = local_path(location)
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
    else:
        fs, path = fs_and_path(location)
        fs.makedirs(path, exist_ok=True)


def sha256_of(location: str | os.PathLike) -> str:
    fs, path = fs_and_path(location)
    digest = hashlib.sha256()
    with fs.open(path, "rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary local path; on success it becomes `target` whole.

    Local: the temporary file is beside `target` and replaces it in one rename. Remote: it is a
    private local temporary file, uploaded with one `put` on success. The temporary name never
    derives from the target's name beyond its suffix, so any target name the filesystem allows
    also works for its temporary twin."""
    if isinstance(target, Path) or is_local(target):
        target = local_path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".tmp-{secrets.token_hex(8)}{target.suffix}.part"
        try:
            yield tmp
            os.replace(tmp, target)
        finally:
            _remove(tmp)
        return
    with tempfile.TemporaryDirectory(prefix="smartdd-put-") as scratch:
        tmp = Path(scratch) / f"part{zone(target).suffix}"
        yield tmp
        put_file(tmp, target)


def put_file(local: Path, target: str | os.PathLike) -> None:
    """A finished local file uploaded to `target` with one `put` (an object appears whole or not at all)."""
    fs, path = fs_and_path(target)
    fs.makedirs(zone(target).parent.path, exist_ok=True)
    fs.put_file(str(local), path)


def _remove(tmp: Path) -> None:
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)


def write_text_atomic(target: str | os.PathLike, text: str):
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def copy_tree_to_local(source: str | os.PathLike, target: Path) -> Path:
    """Every file under `source` (any filesystem) copied to the local folder `target`, which is
    written beside and renamed into place (an earlier copy is replaced whole)."""
    fs, root = fs_and_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{secrets.token_hex(8)}.part"
    try:
        tmp.mkdir()
        for remote in fs.find(root):
            local = tmp / Path(remote).relative_to(Path(root))
            local.parent.mkdir(parents=True, exist_ok=True)
            fs.get_file(remote, str(local))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        _remove(tmp)
    return target


# Errors of the machine, not of a workbook: the operator fixes them, the file waits for the next run.
_INFRASTRUCTURE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO, errno.EMFILE, errno.ENFILE, errno.ENOMEM}


class InfrastructureFault(RuntimeError):
    """Disk full, permission denied, I/O error: the run fails with this message for the operator;
    nothing is recorded against the investee and the file is processed again on the next run."""


def is_infrastructure_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in _INFRASTRUCTURE_ERRNOS


def infrastructure_fault(doing: str, what: str, error: OSError) -> InfrastructureFault:
    return InfrastructureFault(
        f"{doing} {what} failed: {os.strerror(error.errno)} (errno {error.errno}). This is a problem of the machine, not of the "
        "submission: nothing was recorded against the investee, and the file will be processed on the next run once it is fixed."
    )
