"""An openpyxl read-only workbook that parses only what is read, and reads what Excel shows.

`openpyxl.load_workbook(read_only=True)` does two things up front that cost minutes on a
large loan tape, even when the loan tape itself is read by fastexcel:

* it parses the whole shared-string table: Excel stores every distinct text of the workbook
  there (each loan id, client id, name...), 400,000 strings for a 100,000-row tape, which
  openpyxl parses in 16 s;
* it reads each sheet's declared <dimension>, parsing a sheet without one to its end.

Here the shared strings are parsed by expat (with no DTD, as `xmlscan.safe_expat` makes it)
only as far as the cells read need: they are usually stored in sheet order, so the small
sheets before the loan tape need the first few (all of them, if it comes to that, at 1.7 µs a
string). A real parser, not patterns: a comment inside the table (`<!-- <si>...</si> -->`) is
no string, and every later cell keeps its own text. Sheets are opened on demand with no size:
the reader never trusts the declared dimension anyway (it may lie either way).

openpyxl reads two kinds of number cells wrongly, and `_CellParser` reads them as Excel shows
them: a value Python cannot read as a whole number, such as NaN, stops openpyxl with a
ValueError (it is read as a non-finite number, for coerce to report), and the date serial
60, 29 Feb 1900, which Excel shows and which never existed, comes out as 28 Feb 1900 (it is
read as PHANTOM_LEAP_DAY). Built from openpyxl's own parts (pinned 3.1.x);
tests/ingest/test_lazy_workbook.py holds the strings equal to openpyxl's.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import WINDOWS_EPOCH
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from smartdd.ingest.cells import PHANTOM_LEAP_DAY
from smartdd.ingest.xmlscan import BrokenXml, parse_with, safe_expat

_STRINGS_CHUNK = 2**16
_SI, _T, _R = (f"{SHEET_MAIN_NS} {name}" for name in ("si", "t", "r"))


class LazyWorkbook:
    def __init__(self, path: Path):
        self._reader = ExcelReader(path, read_only=True, data_only=True, keep_links=False)
        self._reader.read_manifest()
        self._strings = _SharedStrings(self._reader)
        self._reader.read_workbook()
        apply_stylesheet(self._reader.archive, self._reader.wb)  # number formats: 12 % cells, dates
        self._sheets = [
            (sheet.name, rel.target)
            for sheet, rel in self._reader.parser.find_sheets()
            if rel.target in self._reader.valid_files and "chartsheet" not in rel.Type
        ]
        self._members = dict(reversed(self._sheets))  # the first sheet of a name wins, as in Excel's own list

    @property
    def sheetnames(self) -> list[str]:
        """Every sheet's name, in workbook order; a name written twice (no Excel does it) is listed twice."""
        return [name for name, _ in self._sheets]

    def member(self, title: str) -> str:
        """The zip member holding sheet `title`."""
        return self._members[title]

    def __getitem__(self, title: str) -> ReadOnlyWorksheet:
        return _UnsizedWorksheet(self._reader.wb, title, self._members[title], self._strings)

    def close(self) -> None:
        self._strings.close()
        self._reader.archive.close()


class _UnsizedWorksheet(ReadOnlyWorksheet):
    """A read-only sheet that does not read its declared dimension (rows are read to their end) and reads cells with `_CellParser`."""

    def _get_size(self) -> None:
        pass

    def _cells_by_row(self, min_col, min_row, max_col, max_row, values_only=False):
        """openpyxl's own (3.1), with `_CellParser`: rows numbered from 1, a missing row yielded as an empty one."""
        empty_row = ((None if values_only else EMPTY_CELL),) * (max_col + 1 - min_col) if max_col is not None else ()
        counter, idx = min_row, 1
        with self._get_source() as src:
            parser = _CellParser(
                src,
                self._shared_strings,
                data_only=self.parent.data_only,
                epoch=self.parent.epoch,
                date_formats=self.parent._date_formats,
                timedelta_formats=self.parent._timedelta_formats,
            )
            for idx, row in parser.parse():
                if max_row is not None and idx > max_row:
                    break
                for _ in range(counter, idx):  # some rows are missing
                    counter += 1
                    yield empty_row
                if counter <= idx:
                    counter += 1
                    yield self._get_row(row, min_col, max_col, values_only)
        if max_row is not None and max_row < idx:
            for _ in range(counter, max_row + 1):
                yield empty_row


class _CellParser(WorkSheetParser):
    """openpyxl's sheet parser, reading NaN, infinities and the date serial 60 as Excel shows them."""

    def parse_cell(self, element):
        special = self._special_number(element)
        if special is None:
            return super().parse_cell(element)
        element.find(VALUE_TAG).text = "0"  # openpyxl places the cell; its value is ours
        cell = super().parse_cell(element)
        cell.update(value=special, data_type="n")
        return cell

    def _special_number(self, element):
        """A number cell's value when openpyxl would misread it: a non-finite float, or PHANTOM_LEAP_DAY."""
        text = element.findtext(VALUE_TAG) if element.get("t", "n") == "n" else None
        if not text:
            return None
        style = element.get("s")
        is_date = bool(style) and style.isdigit() and int(style) in self.date_formats and int(style) not in self.timedelta_formats
        if not is_date and text.lstrip("-").replace(".", "", 1).isdigit():
            return None  # the common case: plain digits are finite
        try:
            number = float(text)
        except ValueError:
            return math.nan  # not a number at all: never a value
        if not math.isfinite(number):
            return number
        if is_date and self.epoch == WINDOWS_EPOCH and 60 <= number < 61:
            return PHANTOM_LEAP_DAY
        return None


class _SharedStrings:
    """The shared-string table, parsed up to the highest index asked for so far."""

    def __init__(self, reader: ExcelReader):
        part = reader.package.find(SHARED_STRINGS)
        self._stream = reader.archive.open(part.PartName[1:]) if part is not None else None
        self._parsed: Iterator[str] = iter_shared_strings(self._stream) if self._stream else iter(())
        self._strings: list[str] = []

    def __getitem__(self, index: int) -> str:
        for text in self._parsed if len(self._strings) <= index else ():
            self._strings.append(text)
            if len(self._strings) > index:
                break
        return self._strings[index]  # IndexError when a cell points past the table, as in openpyxl

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


def parse_shared_strings(data: bytes) -> Iterator[str]:
    """Each string of sharedStrings.xml as openpyxl's read_string_table gives it, one at a time."""
    return iter_shared_strings(io.BytesIO(data))


def iter_shared_strings(stream: IO[bytes]) -> Iterator[str]:
    """The strings of a sharedStrings.xml stream, read a chunk at a time as they are asked for.

    A string is the text of its <t>, then of each rich-text run's <t> (openpyxl's Text.content);
    phonetic guides (<rPh>) are not part of it.
    """
    strings: list[str] = []
    parser = safe_expat()
    parser.buffer_text, parser.ordered_attributes = True, True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = _string_collector(strings)
    while True:
        chunk = stream.read(_STRINGS_CHUNK)
        try:
            parse_with(parser, chunk, final=not chunk)
        except BrokenXml as broken:
            raise BrokenXml("strings_" + broken.code.removeprefix("xml_"), **broken.params) from None
        yield from strings
        strings.clear()
        if not chunk:
            return


def _string_collector(strings: list[str]):
    """expat's callbacks that append each <si>'s text to `strings` (closures over locals: a third faster than methods)."""
    parts: list[str] = []
    depth, child, collecting = 0, "", False  # elements open from <si> (0: outside), the open child of <si>, in a <t> of the string

    def start(name: str, attributes: list) -> None:
        nonlocal depth, child, collecting
        if depth == 0:
            if name == _SI:
                depth = 1
                parts.clear()
            return
        if depth == 1:
            child = name
        collecting = name == _T and (depth == 1 or (depth == 2 and child == _R))
        depth += 1

    def end(name: str) -> None:
        nonlocal depth, collecting
        collecting = False
        if depth == 1:
            strings.append("".join(parts).replace("x005F_", ""))
        depth = max(depth - 1, 0)

    def text(data: str) -> None:
        if collecting:
            parts.append(data)

    return start, end, text
