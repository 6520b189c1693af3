"""The investor's exposure to each investee (CSV `investee_id,exposure_usd`), for the dashboard.

`smartdd run --exposures FILE` and `smartdd report --exposures FILE` check the file and keep a
copy as `reports/exposures.csv`; the reports use the copy from then on, until another file
replaces it (delete the copy to stop weighting by exposure).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from smartdd.safe_text import printable
from smartdd.storage import write_text_atomic

FILE_NAME = "exposures.csv"
COLUMNS = ("investee_id", "exposure_usd")


class BadExposures(ValueError):
    """The exposures file cannot be used; the message says which line and why."""


def parse_exposures(text: str) -> dict[str, float]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or [f.strip().lower() for f in reader.fieldnames[:2]] != list(COLUMNS):
        raise BadExposures(f"The exposures file must start with the header line {','.join(COLUMNS)}; found {printable(','.join(reader.fieldnames or []))!r}.")
    out: dict[str, float] = {}
    for line, row in enumerate(reader, start=2):
        investee_id = (row.get(reader.fieldnames[0]) or "").strip()
        raw = (row.get(reader.fieldnames[1]) or "").strip().replace(",", "").replace("_", "")
        if not investee_id and not raw:
            continue
        try:
            amount = float(raw)
        except ValueError:
            raise BadExposures(f"Line {line}: exposure_usd {printable(raw)!r} is not a number.") from None
        if not math.isfinite(amount) or amount < 0:
            raise BadExposures(f"Line {line}: exposure_usd must be a finite amount of zero or more; found {printable(raw)!r}.")
        if not investee_id:
            raise BadExposures(f"Line {line}: investee_id is empty.")
        if investee_id in out:
            raise BadExposures(f"Line {line}: investee {printable(investee_id)!r} appears twice.")
        out[investee_id] = amount
    return out


def install_exposures(source: Path, reports_dir: Path) -> Path:
    """Check `source` and keep it as the exposures in force for `reports_dir`."""
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise BadExposures(f"Cannot read the exposures file {source}: {problem}") from None
    parse_exposures(text)
    return write_text_atomic(reports_dir / FILE_NAME, text)


def load_exposures(reports_dir: Path) -> tuple[dict[str, float] | None, str]:
    """The exposures in force (None when no file was given) and the file's text (for the render manifest)."""
    path = reports_dir / FILE_NAME
    if not path.is_file():
        return None, ""
    text = path.read_text(encoding="utf-8")
    return parse_exposures(text), text
