"""Scan a worksheet's raw XML for what readers lose: error cells, uncalculated formulas, cell types.

Fast readers return error cells (#N/A) and formulas without a cached value as empty, and
openpyxl returns an uncalculated formula as None too. One pass over the decompressed XML
(regexes at C speed, streamed in chunks cut at row ends) finds their addresses so they can
be reported, not lost. On request it also lists, for a few columns, the cells stored as text
or as TRUE/FALSE: a reader that renders every cell as a string cannot tell those apart.

The patterns assume what every known writer does: `r` is a cell's first attribute.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_CHUNK = 8 * 2**20
_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_BOOL_TYPE = re.compile(rb' t="b"')
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


@dataclass
class SheetScan:
    errors: dict[str, str] = field(default_factory=dict)  # cell -> "#N/A"
    uncached_formulas: set[str] = field(default_factory=set)
    text_rows: dict[str, list[int]] = field(default_factory=dict)  # column letter -> rows of text cells
    bool_rows: dict[str, list[int]] = field(default_factory=dict)  # column letter -> rows of TRUE/FALSE cells


def scan_sheet_xml(zf: zipfile.ZipFile, member: str, text_in: Iterable[str] = (), bools_in: Iterable[str] = ()) -> SheetScan:
    """Errors and uncached formulas of the whole sheet; text cells of the `text_in` columns, TRUE/FALSE cells of `bools_in`."""
    scan = SheetScan(text_rows={c: [] for c in text_in}, bool_rows={c: [] for c in bools_in})
    patterns = None
    for data in _whole_rows(zf, member):
        if patterns is None:
            patterns = _Patterns(_namespace_prefix(data), list(scan.text_rows))
        for m in patterns.error.finditer(data):
            if cell := patterns.tag_ref(data, m.start()):
                scan.errors[cell] = m.group(1).decode(errors="replace")
        for m in patterns.uncached.finditer(data):
            if not _empty_text_result(patterns, data, m):
                scan.uncached_formulas.add(patterns.cell_ref(data, m.start()))
        if patterns.text:
            for m in patterns.text.finditer(data):
                scan.text_rows[m.group(1).decode()].append(int(m.group(2)))
        if scan.bool_rows:
            for m in _BOOL_TYPE.finditer(data):
                letter, row = _split(patterns.tag_ref(data, m.start()))
                if letter in scan.bool_rows:
                    scan.bool_rows[letter].append(row)
    return scan


class _Patterns:
    """The regexes for one sheet, with its namespace prefix (`x:` in some writers, usually none).

    Each starts with text that ordinary cells lack (t="e", <f), so the search skips them at
    C speed; only the text-cell pattern must look at every cell of its columns.
    """

    def __init__(self, prefix: bytes, text_letters: list[str]):
        p = re.escape(prefix)
        formula = rb"<" + p + rb"f\b[^>]*?(?:/>|>[^<]*</" + p + rb"f>)"
        self.cell = re.compile(rb"<" + p + rb'c r="([A-Z]+\d+)"([^>]*)>')
        # t="e" ... (a formula) <v>#N/A</v>
        self.error = re.compile(rb't="e"[^>]*>(?:' + formula + rb")?<" + p + rb"v>([^<]*)</")
        # a formula followed by no value or an empty one, then the end of the cell
        self.uncached = re.compile(formula + rb"(<" + p + rb"v\s*/>|<" + p + rb"v></" + p + rb"v>)?</" + p + rb"c>")
        self.text = None
        if text_letters:
            alternatives = "|".join(sorted(text_letters, key=len, reverse=True)).encode()
            self.text = re.compile(rb"<" + p + rb'c r="(' + alternatives + rb')(\d+)"[^>]*?\st="(?:s|str|inlineStr)"')

    def cell_match(self, data: bytes, position: int) -> re.Match | None:
        """The opening tag of the cell that holds `position`."""
        start = data.rfind(b"<", 0, position)
        while start >= 0:
            m = self.cell.match(data, start)
            if m:
                return m
            start = data.rfind(b"<", 0, start)
        return None

    def cell_ref(self, data: bytes, position: int) -> str:
        m = self.cell_match(data, position)
        return m.group(1).decode() if m else ""

    def tag_ref(self, data: bytes, position: int) -> str:
        """The cell whose opening tag holds `position` (not a text or formula that happens to read t="e")."""
        m = self.cell_match(data, position)
        return m.group(1).decode() if m and position < m.end() else ""


def _split(cell: str) -> tuple[str, int]:
    m = _CELL_REF.fullmatch(cell)
    return (m.group(1), int(m.group(2))) if m else ("", 0)


def _empty_text_result(patterns: _Patterns, data: bytes, m: re.Match) -> bool:
    """A formula whose result is "" is saved as t="str" with an empty value: that is a value."""
    cell = patterns.cell_match(data, m.start())
    return bool(m.group(1)) and cell is not None and b't="str"' in cell.group(2)


def _namespace_prefix(data: bytes) -> bytes:
    m = _ROOT_PREFIX.search(data)
    return (m.group(1) or b"") if m else b""


def _whole_rows(zf: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """The member's bytes in chunks that end at a row end, so no cell is ever cut in two."""
    tail = b""
    with zf.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            cut = _after_last_row(data)
            yield data[:cut]
            tail = data[cut:]
    yield tail


def _after_last_row(data: bytes) -> int:
    for window in (2**16, len(data)):  # rows are short: look near the end first
        ends = [m.end() for m in _ROW_END.finditer(data, max(0, len(data) - window))]
        if ends:
            return ends[-1]
    return 0


def sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map each sheet title to its XML member, from workbook.xml and its relationships."""
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {rid.decode(): target.decode() for rid, target in re.findall(rb'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({rid.decode(): target.decode() for target, rid in re.findall(rb'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
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
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
