"""The lazy workbook reads shared strings exactly as openpyxl does, only faster and only as far as needed."""

from __future__ import annotations

import io

import pytest
from openpyxl.reader.strings import read_string_table
from smartdd.ingest.lazy_workbook import parse_shared_strings

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
ITEMS = [
    "<si><t>plain</t></si>",
    '<si><t xml:space="preserve"> spaced </t></si>',
    "<si><t/></si>",
    "<si/>",
    "<si><t></t></si>",
    "<si><t>a &amp; b &lt;c&gt; &quot;d&quot; &#233; &#x20AC;</t></si>",
    "<si><t>line\r\nbreak\rhere</t></si>",
    "<si><t>_x005F_x000D_ and x005F_</t></si>",
    '<si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> rest</t></r></si>',
    '<si><t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh><phoneticPr fontId="1"/></si>',
    "<si><t>é€𝄞</t></si>",
    "<si><t><![CDATA[cdata <x>]]></t></si>",
]


@pytest.mark.parametrize(
    "head", ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n', "", "<?xml version='1.0'?>"], ids=["utf-8", "bare", "no-encoding"]
)
def test_shared_strings_are_read_as_openpyxl_reads_them(head):
    xml = (head + f'<sst {NS} count="12" uniqueCount="12">' + "".join(ITEMS) + "</sst>").encode()
    assert list(parse_shared_strings(xml)) == read_string_table(io.BytesIO(xml))


def test_prefixed_shared_strings_go_through_openpyxl():
    items = "".join(i.replace("<", "<x:").replace("<x:/", "</x:") for i in ITEMS[:5])
    xml = f'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</x:sst>'.encode()
    assert list(parse_shared_strings(xml)) == read_string_table(io.BytesIO(xml)) == ["plain", " spaced ", "", "", ""]
