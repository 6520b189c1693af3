"""Writing files so that a reader never sees half of one: write beside, then one rename.

Every stage that writes a file the pipeline or a person reads later goes through
`atomic_path` (a crash leaves the old file or none, never a torn one).
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename.

    The temporary name never derives from the target's name beyond its suffix, so any target
    name the filesystem allows also works for its temporary twin.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{secrets.token_hex(8)}{target.suffix}.part"
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
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
