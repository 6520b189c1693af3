"""How the worked example writes numbers, formulas, cells and tables in Markdown."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def num(value, digits: int = 4) -> str:
    """A result as the warehouse holds it, rounded for reading."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def given(value) -> str:
    """An input as written in the workbook (no rounding beyond 10 significant digits)."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,.10g}"
    return str(value)


def substitute(formula: str, values: dict) -> str:
    """The formula with each known name replaced by its value (the formula is not evaluated)."""
    return _NAME.sub(lambda m: given(values[m.group(0)]) if m.group(0) in values else m.group(0), formula)


def column(where: dict, sheet: str, field: str) -> str:
    found = where.get((sheet, field))
    return found["column_letter"] if found else "–"


def cell(where: dict, sheet: str, field: str, row: int | None = None) -> str:
    found = where.get((sheet, field))
    if not found:
        return "–"
    number = found["row_number"] if found["row_number"] is not None else row
    return f"{sheet}!{found['column_letter']}{number}" if number is not None else f"{sheet}!{found['column_letter']}"


def evidence_text(evidence: str | None) -> str:
    """A red flag's evidence (JSON list of conditions) in words."""
    try:
        conditions = json.loads(evidence or "[]")
    except ValueError:
        return evidence or ""
    parts = []
    for c in conditions:
        if "indicator_code" in c:
            parts.append(f"{c['indicator_code']} answered {c['answer']}")
        else:
            parts.append(f"{c['metric']} = {given(c['value'])} {c['comparison']} {given(c['threshold'])}")
    return "; ".join(parts)


def table(headers: list[str], body: Iterable[Iterable]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in body:
        lines.append("| " + " | ".join(str(value).replace("|", "\\|") for value in row) + " |")
    return lines + [""]


def heading(level: int, text: str) -> list[str]:
    return ["#" * level + " " + text, ""]
