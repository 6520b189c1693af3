"""Which reports are up to date: a hash of everything each document shows, kept in reports/.

An investee's two documents of a quarter (due-diligence report, own scorecard) depend on its
rows of every mart up to that quarter and on the quarter's portfolio statistics (medians,
quartiles); the portfolio views of a quarter on every row of that quarter and the one before,
and on the exposures. Each hash also covers the renderer (the code and templates of
smartdd.reports), so a change of layout renders everything again. A document whose hash is
unchanged and whose files exist is not rendered again.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from smartdd.storage import write_text_atomic

FILE_NAME = ".render_manifest.json"
_PACKAGE = Path(__file__).parent


@cache
def renderer_version() -> str:
    digest = hashlib.sha256()
    for path in sorted([*_PACKAGE.glob("*.py"), *(_PACKAGE / "templates").glob("*")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row (every column but the derived `period`), in one vectorised pass."""
    return pd.util.hash_pandas_object(frame.drop(columns=["period"], errors="ignore"), index=False).to_numpy()


def digest(parts: dict[str, tuple[list[str], np.ndarray]], *extra: str) -> str:
    """parts: name -> (columns, row hashes) of each frame a document shows; extra: other text it depends on."""
    out = hashlib.sha256(renderer_version().encode())
    for name in sorted(parts):
        columns, hashes = parts[name]
        out.update(name.encode() + b"\x1f" + "\x1f".join(columns).encode() + b"\x1d")
        out.update(np.ascontiguousarray(hashes).tobytes())
    for text in extra:
        out.update(b"\x1e" + text.encode())
    return out.hexdigest()


class Manifest:
    def __init__(self, reports_dir: Path):
        self.path = reports_dir / FILE_NAME
        try:
            self.entries: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def is_current(self, key: str, digest: str, outputs: list[Path]) -> bool:
        return self.entries.get(key) == digest and all(p.is_file() for p in outputs)

    def record(self, key: str, digest: str) -> None:
        self.entries[key] = digest

    def save(self) -> Path:
        return write_text_atomic(self.path, json.dumps(self.entries, indent=0, sort_keys=True))
