"""The byte-level scans at the exact byte: tests for mutants bench/mutate.py found surviving (area safety).

- `entity_scan_overlap_one_short`: the entity scan keeps the last len(longest marker) - 1 bytes
  of a chunk; one byte fewer and a UTF-16 `<!DOCTYPE` (18 bytes) that starts 17 bytes before a
  1 MiB inflate boundary gets past it. The straddling test in test_safety.py cuts a UTF-8 marker
  after 1, 4 or 8 bytes only.
- `char_references_trusted`: a character reference in an attribute hides a cell type from the patterns.
- `second_prefix_trusted`: the sheet's namespace bound to a second prefix hides `<x:c>` cells from the patterns.
- `sheet_rows_cut_across_chunks`: the sheet scan reads 8 MiB at a time and carries the part of
  the last row that a chunk cut over to the next; dropping it loses the cells in it, silently
  when the cut falls between two cells (the chunking test in test_xmlscan.py cuts inside tags,
  where the fast scan notices and falls back to the exact one).
"""

from __future__ import annotations

import base64
import io
import random
import zipfile

import hostile_files as hf
import pytest
import smartdd.ingest.xmlscan
from smartdd.ingest.safety import RejectedFile, SafetyLimits, check_workbook_file
from smartdd.ingest.xmlscan import scan_sheet_xml

_INFLATE_CHUNK = 2**20  # safety._inflate's chunk (test_safety's straddling test relies on it too)


def _rejection(path) -> str | None:
    try:
        check_workbook_file(path, SafetyLimits())
    except RejectedFile as rejected:
        return str(rejected)
    return None


@pytest.mark.parametrize(("marker", "before_boundary"), [("<!DOCTYPE".encode("utf-16-le"), 17), ("<!ENTITY".encode("utf-16-be"), 15)])
def test_the_longest_markers_cut_one_byte_from_their_end_are_found(tmp_path, marker, before_boundary):
    assert len(marker) == before_boundary + 1  # all but the marker's last byte in the first chunk
    prolog = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!--'
    start = _INFLATE_CHUNK - before_boundary
    filler = base64.b64encode(random.Random(before_boundary).randbytes(_INFLATE_CHUNK))  # incompressible: no zip-bomb ratio
    comment = filler[: start - len(prolog)]
    sheet = prolog + comment + marker + b'--><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    assert sheet.index(marker) == start
    path = hf._copy_xlsx(hf.valid_xlsx(tmp_path, "base.xlsx"), tmp_path / "straddling.xlsx", replace={hf.SHEET1: sheet})
    assert "XML entity definitions" in (_rejection(path) or "accepted")


def _sheet(rows: list[str]) -> bytes:
    body = "".join(f'<row r="{n}">{row}</row>' for n, row in enumerate(rows, start=1))
    return f'<worksheet xmlns="main"><sheetData>{body}</sheetData></worksheet>'.encode()


def _scan(xml: bytes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("sheet.xml", xml)
    with zipfile.ZipFile(buffer) as zf:
        return scan_sheet_xml(zf, "sheet.xml", text_in=["A"])


def test_a_row_cut_between_two_cells_keeps_both_halves(monkeypatch):
    rows = [f'<c r="A{n}" t="e"><v>#N/A</v></c><c r="B{n}" t="s"><v>0</v></c>' for n in range(1, 41)]
    xml = _sheet(rows)
    whole = _scan(xml)
    assert set(whole.errors) == {f"A{n}" for n in range(1, 41)}
    cut = xml.index(b"</c>", xml.index(b'<row r="25">')) + len(b"</c>")  # between A25 and B25, past the middle: two chunks
    assert len(xml) - cut <= cut
    monkeypatch.setattr(smartdd.ingest.xmlscan, "_CHUNK", cut)
    assert _scan(xml) == whole


def test_a_cell_type_written_as_a_character_reference_is_still_an_error_cell():
    """`char_references_trusted`: `t="&#101;"` is `t="e"` to any XML parser, not to a pattern: the scan must notice
    the reference and read the sheet exactly, or the #N/A is read as an empty cell."""
    found = _scan(_sheet(['<c r="A1" t="s"><v>0</v></c>', '<c r="A2" t="&#101;"><v>#N/A</v></c>']))
    assert found.errors == {"A2": "#N/A"}


def test_the_sheet_namespace_under_a_second_prefix_is_read_exactly():
    """`second_prefix_trusted`: with the namespace bound to both "" and `x:`, `<x:c>` is a cell like `<c>`; the patterns
    look for one prefix only, so the scan must fall back to the exact one."""
    xml = (
        b'<worksheet xmlns="main" xmlns:x="main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        b'<row r="2"><x:c r="A2" t="e"><x:v>#N/A</x:v></x:c><x:c r="B2"><x:f>SUM(A1:A2)</x:f></x:c></row></sheetData></worksheet>'
    )
    found = _scan(xml)
    assert found.errors == {"A2": "#N/A"} and found.uncached_formulas == {"B2"}
