"""The XML scan finds what readers lose, in any chunking, and nothing that merely looks like it."""

from __future__ import annotations

import io
import zipfile

import pytest
import smartdd.ingest.xmlscan
from smartdd.ingest.xmlscan import scan_sheet_xml

ROWS = [
    '<c r="A1" t="inlineStr"><is><t>says t="b" and t="e"></t></is></c><c r="B1"><f>IF(t="e",1,2)</f><v>1</v></c>',
    '<c r="A2" t="e"><v>#N/A</v></c><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="C2" t="b"><v>1</v></c>',
    '<c r="A3"><f>SUM(B1:B2)</f></c><c r="B3"><f>1+1</f><v/></c><c r="C3" t="str"><f>IF(1,"","")</f><v></v></c><c r="D3"><f t="shared" si="0"/></c>',
    '<c r="A4" s="1" t="s"><v>0</v></c><c r="B4" t="str"><f>A1</f><v>x</v></c><c r="C4"><v>45382</v></c>',
]


def scan(rows: list[str], prefix: str = "", **columns):
    p = f"{prefix}:" if prefix else ""
    body = "".join(f'<{p}row r="{n}">{row}</{p}row>' for n, row in enumerate(rows, start=1))
    if prefix:
        body = (
            body.replace("<c ", f"<{p}c ")
            .replace("</c>", f"</{p}c>")
            .replace("<f", f"<{p}f")
            .replace("</f>", f"</{p}f>")
            .replace("<v", f"<{p}v")
            .replace("</v>", f"</{p}v>")
        )
    xmlns = f' xmlns:{prefix}="main"' if prefix else ' xmlns="main"'
    xml = f"<{p}worksheet{xmlns}><{p}sheetData>{body}</{p}sheetData></{p}worksheet>".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("sheet.xml", xml)
    with zipfile.ZipFile(buffer) as zf:
        return scan_sheet_xml(zf, "sheet.xml", **columns)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_scan_finds_errors_uncached_formulas_text_and_boolean_cells(prefix):
    found = scan(ROWS, prefix, text_in=["A", "B"], bools_in=["A", "B", "C"])
    assert found.errors == {"A2": "#N/A", "B2": "#DIV/0!"}
    assert found.uncached_formulas == {"A3", "B3", "D3"}  # C3 is a formula whose result is ""
    assert found.text_rows == {"A": [1, 4], "B": [4]}
    assert found.bool_rows == {"A": [], "B": [], "C": [2]}


def test_scan_is_the_same_whatever_the_chunks(monkeypatch):
    whole = scan(ROWS * 50, text_in=["A"], bools_in=["C"])
    monkeypatch.setattr(smartdd.ingest.xmlscan, "_CHUNK", 97)  # cuts inside nearly every row
    chunked = scan(ROWS * 50, text_in=["A"], bools_in=["C"])
    assert chunked == whole
    assert len(whole.text_rows["A"]) == 100
