"""Keyed hashing of client identifiers, and the key that makes it safe.

`client_id` and `national_id` become HMAC-SHA256 hashes; `client_name` and `phone` are
dropped. The key never lives in the repository or the smartdd home folder, so a copy of the
warehouse alone cannot be reversed by hashing guessed identities.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from smartdd.paths import REPO_ROOT
from smartdd.spec import Sheet

KEY_ENV = "SMARTDD_HMAC_KEY"
KEY_FILE_ENV = "SMARTDD_HMAC_KEY_FILE"
MIN_KEY_BYTES = 16
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


class MissingKey(RuntimeError):
    """No usable pseudonymisation key: smartdd refuses to run rather than store identities."""


def load_key(home: Path | None = None) -> bytes:
    if os.environ.get(KEY_ENV):
        key = os.environ[KEY_ENV].encode()
    elif os.environ.get(KEY_FILE_ENV):
        path = Path(os.environ[KEY_FILE_ENV]).expanduser().resolve()
        for forbidden in filter(None, (REPO_ROOT, home)):
            if path.is_relative_to(Path(forbidden).resolve()):
                raise MissingKey(f"The key file {path} is inside {forbidden}; keep it outside the repository and the smartdd home folder.")
        if not path.is_file():
            raise MissingKey(f"{KEY_FILE_ENV} points to {path}, which does not exist.")
        if path.stat().st_mode & 0o077:  # as ssh does with a private key
            raise MissingKey(f"The key file {path} is readable or writable by other users; make it owner-only: chmod 600 {path}")
        key = path.read_bytes().strip()
    else:
        raise MissingKey(
            f"No pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV} (a file outside the repository "
            "and the home folder) to a secret of at least 16 characters. Client identifiers are hashed with it."
        )
    if len(key) < MIN_KEY_BYTES:
        raise MissingKey(f"The pseudonymisation key is shorter than {MIN_KEY_BYTES} characters.")
    return key


def keyed_hash(key: bytes, values: pd.Series) -> pd.Series:
    """HMAC-SHA256 hex digest of str(value) for each value; missing values stay missing.

    The key's inner and outer pads are hashed once and copied for each value, as the `hmac`
    module does inside (RFC 2104), but without building an HMAC object per value: half the
    cost of `hmac.new`, about 1 s for the ids of a 500,000-row loan tape instead of 2.
    """
    inner, outer = _pads(key)

    def one(value) -> str:
        digest = inner.copy()
        digest.update(str(value).encode("utf-8"))
        keyed = outer.copy()
        keyed.update(digest.digest())
        return keyed.hexdigest()

    missing = values.isna().to_numpy()
    hashed = [None if gone else one(value) for value, gone in zip(values.tolist(), missing, strict=True)]
    return pd.Series(hashed, index=values.index, dtype="string")


def _pads(key: bytes) -> tuple:
    """SHA-256 states fed with the key XOR the HMAC inner and outer pads."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def normalise_national_id(values: pd.Series) -> pd.Series:
    """Upper-case, digits and letters only, so 'ab-123 45' at one lender matches 'AB12345' at another."""
    return values.astype("string").str.upper().str.replace(_NOT_ALNUM, "", regex=True).replace("", pd.NA)


def pseudonymise(frame: pd.DataFrame, sheet: Sheet, key: bytes) -> pd.DataFrame:
    out = frame.copy()
    for f in sheet.fields:
        if f.pii == "drop" and f.name in out:
            out = out.drop(columns=f.name)
        elif f.pii == "hash" and f.name in out:
            source = normalise_national_id(out[f.name]) if f.name == "national_id" else out[f.name]
            out[f.name] = keyed_hash(key, source)
    return out
