"""A red flag's evidence in words: the value against its threshold, the answer, the cells as ranges."""

from __future__ import annotations

import json
import re

from smartdd.reports.format import CATALOGUE, metric_label, metric_value

from smartdd.safe_text import printable

_CELL = re.compile(r"^(?P<sheet>.+)!(?P<c1>[A-Z]+)(?P<r1>\d+)(?::(?P<c2>[A-Z]+)(?P<r2>\d+))?$")
COMPARISONS = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below", "=": "equal to"}


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def cell_ranges(cells: list[str]) -> list[str]:
    """Cells and ranges as few rectangular ranges as they make, sheet by sheet, in first-seen order:
    Products!D3 … Products!P3 -> Products!D3:P3."""
    sheets: dict[str, list[list[int]]] = {}
    odd = []
    for cell in cells:
        match = _CELL.match(cell.strip())
        if not match:
            odd.append(cell.strip())
            continue
        c1, r1 = _column_number(match["c1"]), int(match["r1"])
        c2, r2 = (_column_number(match["c2"]), int(match["r2"])) if match["c2"] else (c1, r1)
        sheets.setdefault(match["sheet"], []).append([c1, r1, c2, r2])
    out = []
    for sheet, rects in sheets.items():
        for c1, r1, c2, r2 in _merge(rects):
            start = f"{_column_letters(c1)}{r1}"
            out.append(f"{sheet}!{start}" if (c1, r1) == (c2, r2) else f"{sheet}!{start}:{_column_letters(c2)}{r2}")
    return [printable(c) for c in out + [c for c in odd if c]]


def _merge(rects: list[list[int]]) -> list[list[int]]:
    rects = sorted({tuple(r) for r in rects})
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(rects):
            for j, b in enumerate(rects):
                if i == j:
                    continue
                side_by_side = a[1] == b[1] and a[3] == b[3] and a[2] + 1 == b[0]
                stacked = a[0] == b[0] and a[2] == b[2] and a[3] + 1 == b[1]
                if side_by_side or stacked:
                    rects[i] = (a[0], a[1], b[2], b[3])
                    del rects[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(rects, key=lambda r: (r[0], r[1]))


def split_cells(text) -> list[str]:
    return [c for c in str(text or "").split(", ") if c]


def conditions(evidence_json, indicator_text=lambda code: "") -> list[dict]:
    """One entry per condition that held: {words, cells}."""
    try:
        items = json.loads(evidence_json or "[]")
    except (TypeError, ValueError):
        return []
    return [{"words": condition_words(item, indicator_text), "cells": cell_ranges(item.get("cells") or [])} for item in items]


def condition_words(item: dict, indicator_text=lambda code: "") -> str:
    if "indicator_code" in item:
        code = str(item["indicator_code"])
        practice = indicator_text(code)
        return f"{code} answered {item.get('answer')}" + (f": “{practice}”" if practice else "")
    code = str(item.get("metric"))
    value, threshold, comparison = item.get("value"), item.get("threshold"), item.get("comparison")
    label = metric_label(code)
    unit = CATALOGUE[code].unit if code in CATALOGUE else ""
    if unit == "boolean":
        return f"{label}: {'yes' if value else 'no'}"
    words = COMPARISONS.get(comparison, comparison)
    if comparison == "=":
        return f"{label} is {metric_value(code, value)}"
    return f"{label} is {metric_value(code, value)}, {words} the threshold of {metric_value(code, threshold)}"
