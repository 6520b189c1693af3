"""Scan a worksheet's XML for what readers lose: error cells, uncalculated formulas, cell types.

Fast readers return error cells (#N/A) and formulas without a cached value as empty, and
openpyxl returns an uncalculated formula as None too. One pass over the decompressed XML
finds their addresses so they can be reported, not lost. On request it also lists, for a few
columns, the cells stored as text or as TRUE/FALSE: a reader that renders every cell as a
string cannot tell those apart.

Two scans find the same cells. `_ExactScan` is expat (refusing any DTD) calling back for
every element: exact for any well-formed sheet, but several times longer than fastexcel takes
to read the sheet. `_FastScan` runs regexes at C speed (in chunks cut at row ends) that find
the few candidate cells, and reads each candidate's tag again attribute by attribute (any
order, either quote, any spacing). It is used only where patterns cannot misread markup: in
well-formed XML that holds no `<!` (comment, CDATA section, DTD), no `<?` past the XML
declaration (processing instruction) and no character reference, every `<` starts a tag.
`_Plain` checks that at the speed of bytes.find, and that no namespace is redeclared below the
root. Every writer we know of saves sheets like this. Whenever the fast scan finds a cell to
report, and for any small sheet, expat reads the whole sheet too (at C speed, no callback per
element): a sheet that is not well-formed XML raises BrokenXml, so no report rests on patterns
alone. Any other sheet (say a comment holding a fake `<c t="e">`) gets the exact scan.

One assumption remains on the fast side: each cell carries its `r` reference, as every writer
writes it (ECMA-376 allows leaving it out; the exact scan counts cells as openpyxl does).
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from defusedxml.ElementTree import fromstring

from smartdd.messages import phrase

_CHUNK = 8 * 2**20
_EXPAT_CHUNK = 2**20  # expat copies what it is fed into its own buffer: feed it less at a time
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_ATTR = rb"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')"""
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DECLARATION = re.compile(rb"""(?:\xef\xbb\xbf)?\s*(?:<\?xml\s[^>]*?\?>)?\s*""")
_ROOT = re.compile(rb"<(?:([\w.-]+):)?worksheet((?:" + _ATTR + rb")*)\s*>")
_TEXT_TYPES = ("s", "str", "inlineStr")


class BrokenXml(ValueError):
    """A sheet that is not well-formed XML, or that declares a DTD: no reader should guess at it.

    `code` is the catalogue's phrase for what is wrong (smartdd/messages), `params` its parameters."""

    def __init__(self, code: str, **params):
        super().__init__(phrase(code, params))
        self.code, self.params = code, params

    def __reduce__(self):
        return (_broken_xml, (self.code, self.params))


def _broken_xml(code: str, params: dict) -> BrokenXml:
    return BrokenXml(code, **params)


@dataclass
class SheetScan:
    errors: dict[str, str] = field(default_factory=dict)  # cell -> "#N/A"
    uncached_formulas: set[str] = field(default_factory=set)
    text_rows: dict[str, list[int]] = field(default_factory=dict)  # column letter -> rows of text cells
    bool_rows: dict[str, list[int]] = field(default_factory=dict)  # column letter -> rows of TRUE/FALSE cells

    def below(self, row: int) -> SheetScan:
        """Only the cells from `row` down (the rows above a table's header are no data)."""
        if row <= 1:
            return self
        return SheetScan(
            {cell: text for cell, text in self.errors.items() if _split(cell)[1] >= row},
            {cell for cell in self.uncached_formulas if _split(cell)[1] >= row},
            {letter: [r for r in rows if r >= row] for letter, rows in self.text_rows.items()},
            {letter: [r for r in rows if r >= row] for letter, rows in self.bool_rows.items()},
        )

    def finds_any(self) -> bool:
        return bool(self.errors or self.uncached_formulas or any(self.text_rows.values()) or any(self.bool_rows.values()))


def scan_sheet_xml(zf: zipfile.ZipFile, member: str, text_in: Iterable[str] = (), bools_in: Iterable[str] = (), from_row: int = 1) -> SheetScan:
    """Errors and uncached formulas of the sheet; text cells of the `text_in` columns, TRUE/FALSE cells of `bools_in`; rows from `from_row`."""
    text_in, bools_in = list(text_in), list(bools_in)
    plain, fast = _Plain(), None
    for data in _whole_rows(zf, member):
        if data:
            plain.check(data)
            if not plain.plain:
                break
            fast = fast or _FastScan(plain.prefix, text_in, bools_in)
            fast.scan(data)
    if plain.plain and fast is not None and not fast.unsure:
        found = fast.result.below(from_row)
        if not found.finds_any() and zf.getinfo(member).file_size > _CHUNK:
            return found  # nothing to report in a large sheet: fastexcel's own parser reads it
        _well_formed(zf, member)
        return found
    return _exact_scan(zf, member, text_in, bools_in).below(from_row)


def safe_expat() -> expat.XMLParserType:
    """A namespace-aware expat parser ("uri local" names) that refuses any DTD (entity bombs, external entities): no part of a workbook needs one."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    return parser


def _refuse_dtd(*_) -> None:
    raise BrokenXml("xml_dtd")


def parse_with(parser: expat.XMLParserType, data: bytes, final: bool = False) -> None:
    """Feed `parser`; malformed XML raises BrokenXml (with expat's position, never the text)."""
    try:
        parser.Parse(data, final)
    except expat.ExpatError as problem:
        raise BrokenXml("xml_malformed", detail=expat.ErrorString(problem.code), line=problem.lineno) from None


def _well_formed(zf: zipfile.ZipFile, member: str) -> None:
    """expat reads the whole sheet at C speed (no callback per element); BrokenXml if it is not well formed."""
    parser = safe_expat()
    with zf.open(member) as stream:
        while chunk := stream.read(_EXPAT_CHUNK):
            parse_with(parser, chunk)
    parse_with(parser, b"", final=True)


class _Plain:
    """Byte checks, chunk by chunk, that a sheet holds nothing a pattern could misread (see the module's docstring)."""

    def __init__(self):
        self.plain = True
        self.prefix: bytes | None = None  # the cells' namespace prefix, as the root's: b"" or b"x:"
        self.uri: bytes | None = None

    def check(self, data: bytes) -> None:
        start = self._root(data) if self.prefix is None else 0
        for byte, pair in ((b"!", b"<!"), (b"?", b"<?"), (b"&", b"&#")):  # one byte first: memchr outruns a pair search
            if byte in data and data.find(pair, start) >= 0:
                self.plain = False
        for at in _find_all(data, b"xmlns", start) if b"x" in data else ():  # a namespace declared below the root
            m = _ATTRIBUTE.match(data, at)
            prefix = m.group(1).partition(b":")[2] if m else b""
            if not m or (prefix + b":" if prefix else b"") == self.prefix or (m.group(2) if m.group(2) is not None else m.group(3)) == self.uri:
                self.plain = False  # the cells' prefix rebound, or the sheet's namespace under a second prefix

    def _root(self, data: bytes) -> int:
        """The root's prefix and namespace; where its start tag ends. A UTF-16 or non-UTF-8 sheet, or any prolog but a declaration, is not plain."""
        declaration = _DECLARATION.match(data)
        root = _ROOT.match(data, declaration.end())
        encoding = re.search(rb"""encoding\s*=\s*["']([\w.-]+)""", declaration.group())
        if not root or (encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8")):
            self.plain, self.prefix = False, b""
            return len(data)
        self.prefix = root.group(1) + b":" if root.group(1) else b""
        attributes = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTRIBUTE.finditer(root.group(2))}
        declared = {name.partition(b":")[2]: uri for name, uri in attributes.items() if name == b"xmlns" or name.startswith(b"xmlns:")}
        self.uri = declared.get(root.group(1) or b"")
        if self.uri is None or list(declared.values()).count(self.uri) != 1:
            self.plain = False
        return root.end()


class _FastScan:
    """The searches for one sheet, with its namespace prefix (`x:` in some writers, usually none).

    Each looks for text that ordinary cells lack ("e", <f, "b"), so it skips them at C speed;
    only the text-cell pattern must look at every cell. A candidate the patterns cannot
    settle sets `unsure`, and the exact scan decides instead.
    """

    def __init__(self, prefix: bytes, text_in: list[str], bools_in: list[str]):
        self.prefix, self.unsure = prefix, False
        self.result = SheetScan(text_rows={c: [] for c in text_in}, bool_rows={c: [] for c in bools_in})
        p = re.escape(prefix)
        self.cell = re.compile(rb"<" + p + rb"c((?:" + _ATTR + rb")*)\s*(/?)>")
        self.cell_start = b"<" + prefix + b"c"
        self.formula = re.compile(rb"<" + p + rb"f(?=[\s/>])")
        self.formula_element = re.compile(rb"<" + p + rb"f(?:" + _ATTR + rb")*\s*(?:/>|>[^<]*</" + p + rb"f\s*>)\s*")
        self.value = re.compile(rb"<" + p + rb"v(?:" + _ATTR + rb")*\s*(?:/>|>([^<]*)</" + p + rb"v\s*>)")
        self.cell_end = re.compile(rb"</" + p + rb"c\s*>")
        self.text = _text_pattern(p, text_in) if text_in else None

    def scan(self, data: bytes) -> None:
        scan = self.result
        quotes = (b'"', b"'") if b"'" in data else (b'"',)  # most sheets hold no apostrophe: one search, not two
        for quoted in (q + b"e" + q for q in quotes):
            for at in _find_all(data, quoted):
                cell = self._cell_at(data, at, b"e")
                if cell and (value := self._content(data, cell)[1]) is not None:
                    scan.errors[cell[0]] = value
        for m in self.formula.finditer(data):
            self._formula(data, m.start())
        if self.text:
            _append_in_sheet_order(scan.text_rows, [(m.start(), *(g.decode() for g in m.groups() if g is not None)) for m in self.text.finditer(data)])
        if scan.bool_rows:
            found = [(at, *_split(cell[0])) for q in quotes for at in _find_all(data, q + b"b" + q) if (cell := self._cell_at(data, at, b"b"))]
            _append_in_sheet_order(scan.bool_rows, [f for f in found if f[1] in scan.bool_rows])

    def _cell_at(self, data: bytes, at: int, kind: bytes) -> tuple[str, dict, int] | None:
        """(reference, attributes, end of tag) of the cell whose `t` attribute is the `kind` quoted at `at`."""
        start = data.rfind(b"<", 0, at)
        m = self.cell.match(data, start)
        if not m or at >= m.end():
            return None  # a text or formula that happens to read "e", or another tag
        attributes = _attributes(m.group(1))
        if attributes.get("t") != kind.decode():
            return None
        if "r" not in attributes:
            self.unsure = True
            return None
        return attributes["r"], attributes, -1 if m.group(2) else m.end()

    def _content(self, data: bytes, cell: tuple[str, dict, int]) -> tuple[bool, str | None]:
        """(has a formula, the value's text or None) of a cell whose start tag ends at cell[2]."""
        at = cell[2]
        if at < 0:
            return False, None
        while data[at : at + 1].isspace():
            at += 1
        formula = self.formula_element.match(data, at)
        if formula:
            at = formula.end()
        value = self.value.match(data, at)
        if value:
            return bool(formula), html.unescape((value.group(1) or b"").decode())
        if not self.cell_end.match(data, at):
            self.unsure = True  # children in an order the patterns do not know
        return bool(formula), None

    def _formula(self, data: bytes, at: int) -> None:
        start = data.rfind(self.cell_start, 0, at)
        while start >= 0 and not (m := self.cell.match(data, start)):
            start = data.rfind(self.cell_start, 0, start)
        if start < 0 or data[m.end() : at].strip() or m.group(2):
            self.unsure = True  # a formula that is not a cell's first child
            return
        attributes = _attributes(m.group(1))
        if "r" not in attributes:
            self.unsure = True
            return
        _, value = self._content(data, (attributes["r"], attributes, m.end()))
        if _uncached(attributes.get("t"), value):
            self.result.uncached_formulas.add(attributes["r"])


def _text_pattern(p: bytes, text_in: list[str]) -> re.Pattern:
    """Cells of the `text_in` columns stored as text; the groups that match are (column letter, row).

    Its first branch takes the form every writer saves (`<c r="J5" s="3" t="s">`) and leaves
    other cells after a few bytes; the second any other spelling or order of the attributes.
    """
    letters = b"|".join(c.encode() for c in sorted(text_in, key=len, reverse=True))
    kinds = b"|".join(k.encode() for k in _TEXT_TYPES)
    is_text = rb"""\s+t\s*=\s*(?:"(?:""" + kinds + rb""")"|'(?:""" + kinds + rb""")')"""
    in_columns = rb"""\s+r\s*=\s*(?:"(""" + letters + rb""")(\d+)"|'(""" + letters + rb""")(\d+)')"""

    def other_than(name: bytes) -> bytes:
        return rb"""(?:\s+(?!""" + name + rb"""\s*=)[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""

    canonical = rb' r="(' + letters + rb')(\d+)"' + other_than(b"t") + is_text
    other = rb'(?!\sr=")(?:' + in_columns + other_than(b"t") + is_text + rb"|" + other_than(b"r") + is_text + other_than(b"r") + in_columns + rb")"
    return re.compile(rb"<" + p + rb"c(?:" + canonical + rb"|" + other + rb")")


def _append_in_sheet_order(rows: dict[str, list[int]], found: list[tuple[int, str, int]]) -> None:
    for _, letter, row in sorted(found):
        rows[letter].append(int(row))


def _uncached(kind: str | None, value: str | None) -> bool:
    """A formula with no value, or an empty one; but a formula whose result is "" is saved as t="str" with an empty value."""
    return value is None or (value == "" and kind != "str")


def _attributes(raw: bytes) -> dict[str, str]:
    return {m.group(1).decode(): (m.group(2) if m.group(2) is not None else m.group(3)).decode() for m in _ATTRIBUTE.finditer(raw)}


def _find_all(data: bytes, needle: bytes, start: int = 0) -> Iterator[int]:
    at = data.find(needle, start)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


def _split(cell: str) -> tuple[str, int]:
    m = _CELL_REF.fullmatch(cell)
    return (m.group(1), int(m.group(2))) if m else ("", 0)


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


_ROW_END = re.compile(rb"</(?:\w+:)?row\s*>")


def _after_last_row(data: bytes) -> int:
    for window in (2**16, len(data)):  # rows are short: look near the end first
        ends = [m.end() for m in _ROW_END.finditer(data, max(0, len(data) - window))]
        if ends:
            return ends[-1]
    return 0


# ---- the exact scan: expat calls back for every element -----------------------------------


class _ExactScan:
    """What the fast scan finds, from expat's view of every element; cells without `r` are counted as openpyxl counts them.

    The handlers compare whole names ("uri c") set from the root's namespace: elements of any
    other namespace are not cells.
    """

    def __init__(self, text_in: list[str], bools_in: list[str]):
        self.result = SheetScan(text_rows={c: [] for c in text_in}, bool_rows={c: [] for c in bools_in})
        self.names: tuple[str, ...] | None = None  # row, c, f, v
        self.row, self.previous = 0, None  # the row, and the reference of its previous cell
        self.cell: list = []  # reference, type, has formula, value parts (None: no value)
        self.value: list | None = None

    def start(self, name: str, attributes: dict) -> None:
        if self.names is None:
            uri = name.rpartition(" ")[0]
            self.names = tuple(f"{uri} {local}" if uri else local for local in ("row", "c", "f", "v"))
        row, c, f, v = self.names
        if name == c:
            self._start_cell(attributes)
        elif name == v and self.cell:
            self.value = self.cell[3] = []
        elif name == f and self.cell:
            self.cell[2] = True
        elif name == row:
            number = attributes.get("r", "")
            self.row, self.previous = int(number) if number.isdigit() else self.row + 1, None

    def _start_cell(self, attributes: dict) -> None:
        reference = attributes.get("r") or self._next_reference()
        kind = attributes.get("t")
        self.cell = [reference, kind, False, None]
        self.previous = reference
        if kind is None or kind == "n":
            return
        letter, row = _split(reference)
        scan = self.result
        if kind in _TEXT_TYPES and letter in scan.text_rows:
            scan.text_rows[letter].append(row)
        elif kind == "b" and letter in scan.bool_rows:
            scan.bool_rows[letter].append(row)

    def _next_reference(self) -> str:
        """A cell without `r` is the one after the previous cell of its row (or A), as openpyxl counts."""
        letter = _split(self.previous)[0] if self.previous else ""
        return f"{_column_letter(_column_number(letter) + 1)}{self.row}"

    def end(self, name: str) -> None:
        if self.value is not None and name == self.names[3]:
            self.value = None
        elif name == self.names[1] and self.cell:
            reference, kind, formula, parts = self.cell
            if kind == "e" or formula:
                value = None if parts is None else "".join(parts)
                if kind == "e" and value is not None:
                    self.result.errors[reference] = value
                if formula and _uncached(kind, value):
                    self.result.uncached_formulas.add(reference)
            self.cell = []

    def text(self, data: str) -> None:
        if self.value is not None:
            self.value.append(data)


def _exact_scan(zf: zipfile.ZipFile, member: str, text_in: list[str], bools_in: list[str]) -> SheetScan:
    scan = _ExactScan(text_in, bools_in)
    parser = safe_expat()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = scan.start, scan.end, scan.text
    with zf.open(member) as stream:
        while chunk := stream.read(_EXPAT_CHUNK):
            parse_with(parser, chunk)
    parse_with(parser, b"", final=True)
    return scan.result


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---- which part holds which sheet ---------------------------------------------------------


def sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map each sheet title to its XML member, from workbook.xml and its relationships (parsed by defusedxml)."""
    rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{{{_PACKAGE_REL_NS}}}Relationship")}
    members = {}
    for sheet in fromstring(zf.read("xl/workbook.xml"), forbid_dtd=True).iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_REL_NS}}}id"))
        if sheet.get("name") is None or target is None:
            continue
        target = target.lstrip("/")
        members[sheet.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return members
