"""Builders of hostile and broken workbook files for the ingest safety tests.

Each builder writes one file into ``directory`` and returns its path. They are
deterministic and fast (the largest, the zip bomb, takes well under a second).
"""

from __future__ import annotations

import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET1 = "xl/worksheets/sheet1.xml"


def valid_xlsx(directory: Path, name: str = "valid.xlsx") -> Path:
    """A small real workbook written by openpyxl: two sheets, text, numbers, a date."""
    import datetime

    from openpyxl import Workbook

    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover.append(["investee_id", "MFI01"])
    cover.append(["period_end", datetime.date(2024, 3, 31)])
    loans = wb.create_sheet("Loans")
    loans.append(["loan_id", "amount", "currency"])
    for i in range(1, 51):
        loans.append([f"L{i:04d}", 1000.5 * i, "KES"])
    path = Path(directory) / name
    wb.save(path)
    return path


def empty(directory: Path) -> Path:
    return _write(directory, "empty.xlsx", b"")


def not_a_zip(directory: Path) -> Path:
    """Random bytes (seeded; the first byte is forced so it cannot look like a zip or OLE2)."""
    data = b"\x07" + random.Random(0).randbytes(4095)
    return _write(directory, "random.xlsx", data)


def csv_renamed(directory: Path) -> Path:
    text = "loan_id,amount,currency\nL0001,1000.50,KES\nL0002,2001.00,KES\n"
    return _write(directory, "loans.xlsx", text.encode("utf-8"))


def html_renamed(directory: Path) -> Path:
    """What many core-banking systems export as 'Excel': an HTML table."""
    html = "<html><body><table><tr><td>loan_id</td><td>amount</td></tr></table></body></html>"
    return _write(directory, "report.xlsx", html.encode())


def pdf_renamed(directory: Path) -> Path:
    return _write(directory, "report.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")


def legacy_xls(directory: Path) -> Path:
    """A minimal OLE2 container whose directory lists a 'Workbook' stream, as .xls files do."""
    return _write(directory, "old.xls", _ole2(["Root Entry", "Workbook", "\x05SummaryInformation"]))


def encrypted_xlsx(directory: Path) -> Path:
    """A minimal OLE2 container with the streams Excel writes for a password-protected .xlsx."""
    names = ["Root Entry", "\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"]
    return _write(directory, "protected.xlsx", _ole2(names))


def truncated_zip(directory: Path) -> Path:
    """A valid workbook cut in half, as by an interrupted upload."""
    data = valid_xlsx(directory, "whole.xlsx").read_bytes()
    return _write(directory, "truncated.xlsx", data[: len(data) // 2])


def bad_crc(directory: Path) -> Path:
    """A valid workbook whose sheet1 CRC in the central directory is wrong (a flipped bit on disk)."""
    data = bytearray(valid_xlsx(directory, "whole.xlsx").read_bytes())
    entry = _central_entry(data, SHEET1)
    crc = struct.unpack_from("<I", data, entry + 16)[0]
    struct.pack_into("<I", data, entry + 16, crc ^ 0x1)
    return _write(directory, "bad_crc.xlsx", bytes(data))


def zip_bomb_sheet(directory: Path, inflated_bytes: int = 64 * 2**20) -> Path:
    """A valid-looking workbook whose sheet1.xml is ``inflated_bytes`` of repeated rows.

    Deflates about 400:1 (64 MiB -> ~160 KB), so it breaks the ratio limit; with
    smaller SafetyLimits it also breaks the member and total limits. Streamed into
    the zip so building it never holds the sheet in memory.
    """
    row = b'<row><c t="n"><v>0</v></c></row>'
    block = row * (2**20 // len(row))
    head = _sheet_xml_head("A1:A1")
    path = Path(directory) / "bomb.xlsx"
    _copy_xlsx(valid_xlsx(directory, "base.xlsx"), path, skip={SHEET1})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open(SHEET1, "w") as out:
            out.write(head)
            written = len(head)
            while written < inflated_bytes:
                rows = max(1, (inflated_bytes - written) // len(row))  # whole rows only: well-formed XML
                piece = block[: rows * len(row)]
                out.write(piece)
                written += len(piece)
            out.write(b"</sheetData></worksheet>")
    return path


def lying_sizes(directory: Path, declared: int = 1000) -> Path:
    """A workbook whose sheet1.xml declares ``declared`` bytes but inflates to ~5 MB.

    The sizes are patched in both the local header and the central directory, so
    only a reader that counts the bytes it actually inflates can notice.
    """
    path = Path(directory) / "lying.xlsx"
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 100_000))
    sheet = _sheet_xml_head("A1:A99999") + rows + b"</sheetData></worksheet>"
    _copy_xlsx(valid_xlsx(directory, "base.xlsx"), path, replace={SHEET1: sheet})
    data = bytearray(path.read_bytes())
    entry = _central_entry(data, SHEET1)
    struct.pack_into("<I", data, entry + 24, declared)  # central directory: uncompressed size
    local = struct.unpack_from("<I", data, entry + 42)[0]
    struct.pack_into("<I", data, local + 22, declared)  # local header: uncompressed size
    path.write_bytes(bytes(data))
    return path


def entity_bomb(directory: Path, padding: int = 0) -> Path:
    """'Billion laughs' in sheet1.xml; ``padding`` bytes of comment before the DOCTYPE
    (legal XML) defeat scanners that only look at the first few KB."""
    lols = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    prolog = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    pad = f"<!--{'x' * padding}-->\n" if padding else ""
    doctype = f"<!DOCTYPE worksheet [{''.join(lols)}]>\n"
    body = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    sheet = (prolog + pad + doctype + body).encode()
    path = Path(directory) / ("entity_bomb_padded.xlsx" if padding else "entity_bomb.xlsx")
    return _copy_xlsx(valid_xlsx(directory, "base.xlsx"), path, replace={SHEET1: sheet})


def huge_dimension(directory: Path, ref: str = "A1:XFD1048576") -> Path:
    """A valid workbook whose sheet1.xml declares the used range ``ref``."""
    base = valid_xlsx(directory, "base.xlsx")
    with zipfile.ZipFile(base) as zf:
        sheet = zf.read(SHEET1)
    sheet, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % ref.encode(), sheet)
    assert count == 1, "openpyxl no longer writes <dimension>?"
    return _copy_xlsx(base, Path(directory) / "huge_dimension.xlsx", replace={SHEET1: sheet})


def docx_renamed(directory: Path) -> Path:
    """The skeleton of a Word document: a zip with [Content_Types].xml but no xl/workbook.xml."""
    return _zip(
        directory,
        "letter.xlsx",
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>',
        },
    )


def ods_renamed(directory: Path) -> Path:
    return _zip(
        directory,
        "sheet.xlsx",
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b'<?xml version="1.0"?><office:document-content/>',
        },
    )


def xlsb_renamed(directory: Path) -> Path:
    return _zip(
        directory,
        "binary.xlsx",
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "xl/workbook.bin": b"\x83\x01\x00",
        },
    )


def plain_zip(directory: Path) -> Path:
    """A compressed folder holding a workbook, renamed .xlsx."""
    return _zip(directory, "folder.xlsx", {"report/loans.xlsx": valid_xlsx(directory).read_bytes()})


def too_many_members(directory: Path, count: int = 10_001) -> Path:
    """A valid workbook padded with ``count`` tiny extra members."""
    path = _copy_xlsx(valid_xlsx(directory, "base.xlsx"), Path(directory) / "many_parts.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        for i in range(count):
            zf.writestr(f"customXml/pad{i}.dat", b"")
    return path


# ----------------------------------------------------------------------------- helpers


def _write(directory: Path, name: str, data: bytes) -> Path:
    path = Path(directory) / name
    path.write_bytes(data)
    return path


def _zip(directory: Path, name: str, members: dict[str, bytes]) -> Path:
    path = Path(directory) / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def _copy_xlsx(src: Path, dst: Path, replace: dict[str, bytes] | None = None, skip: set[str] = frozenset()) -> Path:
    """Copy a zip member by member, replacing or dropping some members."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in skip:
                continue
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


def _sheet_xml_head(ref: str) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="%s"/><sheetData>' % ref.encode()
    )


def _central_entry(data: bytes | bytearray, member: str) -> int:
    """Offset of ``member``'s central-directory entry (signature PK\\x01\\x02)."""
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == member.encode():
            return pos
        pos += 4
    raise KeyError(member)


def _ole2(stream_names: list[str]) -> bytes:
    """An OLE2 header sector followed by one directory sector listing ``stream_names``.

    Only what detection needs: magic, and 128-byte directory entries with the
    UTF-16LE name and its byte length (including the terminating NUL) at offset 64.
    """
    header = OLE2_MAGIC + bytes(512 - len(OLE2_MAGIC))
    entries = b""
    for name in stream_names:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry = bytearray(128)
        entry[: len(encoded)] = encoded
        struct.pack_into("<H", entry, 64, len(encoded))
        entry[66] = 5 if name == "Root Entry" else 2  # object type: root storage / stream
        entries += bytes(entry)
    directory = entries + bytes(-len(entries) % 512)
    return header + directory + zlib.compress(b"filler") + bytes(512)
