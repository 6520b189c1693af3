"""An openpyxl read-only workbook that parses only what is read.

`openpyxl.load_workbook(read_only=True)` does two things up front that cost minutes on a
large loan tape, even when the loan tape itself is read by fastexcel:

* it parses the whole shared-string table: Excel stores every distinct text of the workbook
  there (each loan id, client id, name...), 400,000 strings for a 100,000-row tape, which
  openpyxl parses in 16 s;
* it reads each sheet's declared <dimension>, parsing a sheet without one to its end.

Here the shared strings are parsed only as far as the cells read need (they are usually
stored in sheet order, so the small sheets before the loan tape need the first few), plain
strings by a regex (1 s for those 400,000), anything else (rich text, entities) by openpyxl
itself. Sheets are opened on demand with no size: the reader never trusts the declared
dimension anyway (it may lie either way). Built from openpyxl's own parts (pinned 3.1.x);
tests/ingest/test_lazy_workbook.py holds it equal to openpyxl.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring, iterparse

_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
# <si><t>plain text</t></si> (nearly every string), any other <si>, or an empty one
_ITEM = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<&\r]*)</t></si>|<si>(.*?)</si>|<si/>', re.S)
_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml([^>]*)\?>)?\s*<sst[\s>]")  # no prefix: <sst>, not <x:sst>
_ENCODING = re.compile(rb"""encoding=["']([\w.-]+)""")


class LazyWorkbook:
    def __init__(self, path: Path):
        self._reader = ExcelReader(path, read_only=True, data_only=True, keep_links=False)
        self._reader.read_manifest()
        self._strings = _SharedStrings(self._reader)
        self._reader.read_workbook()
        apply_stylesheet(self._reader.archive, self._reader.wb)  # number formats: 12 % cells, dates
        self._members = {
            sheet.name: rel.target
            for sheet, rel in self._reader.parser.find_sheets()
            if rel.target in self._reader.valid_files and "chartsheet" not in rel.Type
        }

    @property
    def sheetnames(self) -> list[str]:
        return list(self._members)

    def __getitem__(self, title: str) -> ReadOnlyWorksheet:
        return _UnsizedWorksheet(self._reader.wb, title, self._members[title], self._strings)

    def close(self) -> None:
        self._reader.archive.close()


class _UnsizedWorksheet(ReadOnlyWorksheet):
    """A read-only sheet that does not read its declared dimension: rows are read to their end."""

    def _get_size(self) -> None:
        pass


class _SharedStrings:
    """The shared-string table, parsed up to the highest index asked for so far."""

    def __init__(self, reader: ExcelReader):
        part = reader.package.find(SHARED_STRINGS)
        self._archive, self._member = reader.archive, part.PartName[1:] if part is not None else None
        self._parsed: Iterator[str] | None = None
        self._strings: list[str] = []

    def __getitem__(self, index: int) -> str:
        if self._parsed is None:
            self._parsed = parse_shared_strings(self._archive.read(self._member)) if self._member else iter(())
        for text in self._parsed if len(self._strings) <= index else ():
            self._strings.append(text)
            if len(self._strings) > index:
                break
        return self._strings[index]  # IndexError when a cell points past the table, as in openpyxl


def parse_shared_strings(data: bytes) -> Iterator[str]:
    """Each string of sharedStrings.xml as openpyxl's read_string_table gives it, one at a time."""
    if not _plain_utf8(data):  # another encoding, or prefixed tags (<x:si>): openpyxl reads it all
        yield from _parse_with_openpyxl(data)
        return
    escaped_underscores = b"x005F_" in data
    for m in _ITEM.finditer(data):
        plain, other = m.group(1), m.group(2)
        text = plain.decode() if plain is not None else _one_with_openpyxl(other or b"")
        yield text.replace("x005F_", "") if escaped_underscores else text


def _plain_utf8(data: bytes) -> bool:
    head = _HEAD.match(data)
    encoding = _ENCODING.search(head.group(1) or b"") if head else None
    return head is not None and (encoding is None or encoding.group(1).lower() in (b"utf-8", b"utf8"))


def _one_with_openpyxl(body: bytes) -> str:
    return Text.from_tree(fromstring(b'<si xmlns="' + SHEET_MAIN_NS.encode() + b'">' + body + b"</si>")).content


def _parse_with_openpyxl(data: bytes) -> Iterator[str]:
    for _, node in iterparse(io.BytesIO(data)):
        if node.tag == _STRING_TAG:
            yield Text.from_tree(node).content.replace("x005F_", "")
            node.clear()
