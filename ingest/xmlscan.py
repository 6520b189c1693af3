"""Scan a worksheet's raw XML for cells that readers silently turn into blanks.

Fast readers return error cells (#N/A) and formulas without a cached value as empty, and
openpyxl returns an uncalculated formula as None too. One regex pass over the decompressed
XML (C speed, streamed in chunks) finds their addresses so they can be reported, not lost.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

# <c r="B7" ... t="e"><v>#N/A</v></c>  — an error cell with its text
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*?t="e"[^>]*>(?:<f[^>]*?(?:/>|>[^<]*</f>))?<v>([^<]*)</v>')
# <c r="B7"><f>SUM(A1:A6)</f></c> or <f .../> with no <v> before </c>
_UNCACHED_FORMULA = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)</c>')
_CHUNK = 8 * 2**20
_OVERLAP = 4096  # longer than any single cell element we care about


@dataclass
class SheetScan:
    errors: dict[str, str] = field(default_factory=dict)  # cell -> "#N/A"
    uncached_formulas: set[str] = field(default_factory=set)


def scan_sheet_xml(zf: zipfile.ZipFile, member: str) -> SheetScan:
    scan = SheetScan()
    tail = b""
    with zf.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            for m in _ERROR_CELL.finditer(data):
                scan.errors[m.group(1).decode()] = m.group(2).decode(errors="replace")
            for m in _UNCACHED_FORMULA.finditer(data):
                scan.uncached_formulas.add(m.group(1).decode())
            tail = data[-_OVERLAP:]
    return scan


def sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map each sheet title to its XML member, from workbook.xml and its relationships."""
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {
        rid.decode(): target.decode()
        for rid, target in re.findall(rb'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)
    }
    targets.update(
        {
            rid.decode(): target.decode()
            for target, rid in re.findall(rb'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)
        }
    )
    members = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name = re.search(rb'name="([^"]*)"', tag)
        rid = re.search(rb'(?:\w+:)?id="([^"]*)"', tag)
        if not (name and rid) or rid.group(1).decode() not in targets:
            continue
        target = targets[rid.group(1).decode()].lstrip("/")
        member = target if target.startswith("xl/") else f"xl/{target}"
        members[_unescape(name.group(1).decode())] = member
    return members


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
    )
