"""Safety gate for workbooks sent by outside institutions, before any parser touches them.

``check_workbook_file(path)`` only reads the file's first bytes, the zip central directory and
then streams every zip member through a byte counter (never holding more than about 1 MiB in
memory). It raises ``RejectedFile`` (reasons in ``rejections``) with a reason an MFI data
officer can act on. The parsing itself then runs in a child process (``isolation``).
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree as SafeET
from smartdd.ingest.rejections import (
    R_CORRUPT,
    R_DOCX,
    R_EMPTY,
    R_ENCRYPTED,
    R_ENTITIES,
    R_LEGACY_XLS,
    R_MARKUP,
    R_NOT_EXCEL,
    R_ODS,
    R_OTHER_OLE2,
    R_OTHER_ZIP,
    R_PDF,
    R_PPTX,
    R_TEXT,
    R_XLSB,
    R_ZIP_PASSWORD,
    MiB,
    RejectedFile,
    _lying_size,
    _part_too_big,
    _ratio_too_high,
    _too_large,
    _too_many_columns,
    _too_many_members,
    _too_many_rows,
    _unpacks_too_big,
    _unusual_compression,
)

__all__ = ["SafetyLimits", "RejectedFile", "check_workbook_file"]


@dataclass(frozen=True)
class SafetyLimits:
    """Limits applied by ``check_workbook_file``. The defaults fit any real submission."""

    max_file_bytes: int = 100 * MiB  # size on disk
    max_uncompressed_bytes: int = 1 * 2**30  # sum of the declared sizes of all zip members
    max_member_bytes: int = 512 * MiB  # one member (a sheet, sharedStrings, ...)
    max_compression_ratio: float = 100.0  # per member, only for members over 1 MiB unpacked
    max_members: int = 10_000
    max_rows: int = 1_000_000  # bottom row of a sheet's declared <dimension>
    max_columns: int = 200  # rightmost column of a sheet's declared <dimension>


# --------------------------------------------------------------------------------------
# check_workbook_file
# --------------------------------------------------------------------------------------

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF_BYTES = 8192
_CHUNK = 1 * MiB  # read / inflate granularity; bounds memory use
_RATIO_MIN_SIZE = 1 * MiB  # small members may legitimately compress extremely well
_MAX_CD_ENTRY_BYTES = 1024  # generous size of one central-directory entry
_SHEET_HEAD_BYTES = 16 * 1024  # <dimension> sits right after <sheetPr>, near the top
_NAMES_PART_MAX = 16 * MiB  # cap for workbook.xml / its rels, parsed only to name sheets
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ENTITY_MARKERS = tuple(marker.encode(enc) for marker in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be"))
_WORKSHEET_RE = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_DIMENSION_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,9})$")


def check_workbook_file(path: Path, limits: SafetyLimits = SafetyLimits()) -> None:
    """Reject a file that is not a plain .xlsx workbook or that could exhaust a parser.

    Returns None when the file may be handed to a parser; raises ``RejectedFile``
    otherwise. Checks, cheapest first: empty; too large on disk; old .xls,
    password-protected xlsx and other OLE2 files; text/CSV, HTML/XML and PDF
    renamed to .xlsx; not a zip; damaged zip; too many members; a zip that is not a
    workbook (.docx, .ods, .xlsb, any other zip); declared sizes and compression
    ratio (zip bomb); then every member is inflated through a counter that stops
    as soon as it exceeds the member's declared size (declared sizes can lie) and
    the CRC is verified; XML members are scanned in full for ``<!DOCTYPE`` /
    ``<!ENTITY`` (entity bombs); finally each worksheet's declared ``<dimension>``.

    Dimension choice: openpyxl's read-only mode trusts ``<dimension ref>`` and
    pads every row to its width, so ``A1:XFD1048576`` turns a tiny sheet into
    billions of empty cells. We reject a sheet whose declared bottom row exceeds
    ``max_rows`` or whose rightmost column exceeds ``max_columns``, and the reason
    tells the sender to delete the empty rows/columns (which makes Excel shrink
    the range on save). A missing or unreadable dimension is not an error; it is
    only an early hint, the member-size limits are the real guarantee.

    Does not check: macros, formulas, hidden sheets, or whether the sheets match
    the submission template — that is the reader's job.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile(R_EMPTY)
    if size > limits.max_file_bytes:
        raise RejectedFile(_too_large(size, limits.max_file_bytes))
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
        if head.startswith(_OLE2_MAGIC):
            raise RejectedFile(_classify_ole2(f))
    if not head.startswith(b"PK"):
        raise RejectedFile(_classify_non_zip(head))
    _check_zip(path, limits)


def _classify_ole2(f) -> str:
    """Tell password-protected xlsx from legacy .xls by the OLE2 stream names."""
    names = _ole2_stream_names(f, {"EncryptionInfo", "EncryptedPackage", "Workbook", "Book"})
    if names & {"EncryptionInfo", "EncryptedPackage"}:
        return R_ENCRYPTED
    if names & {"Workbook", "Book"}:
        return R_LEGACY_XLS
    return R_OTHER_OLE2


def _ole2_stream_names(f, wanted: set[str]) -> set[str]:
    """Which of ``wanted`` appear as OLE2 directory entries.

    A directory entry is 128 bytes, 128-aligned in the file, starting with the
    UTF-16LE name (NUL-terminated) and holding the name's byte length (including
    the NUL) at offset 64. Checking both avoids matching the word in document text.
    Whole-file scan is fine: the file size was already capped.
    """
    needles = {name: name.encode("utf-16-le") + b"\x00\x00" for name in wanted}
    found: set[str] = set()
    f.seek(0)
    while chunk := f.read(_CHUNK):  # _CHUNK is a multiple of 128, so entries never straddle
        for name, needle in needles.items():
            pos = chunk.find(needle)
            while pos >= 0 and name not in found:
                if pos % 128 == 0 and pos + 66 <= len(chunk) and _u16(chunk, pos + 64) == len(needle):
                    found.add(name)
                pos = chunk.find(needle, pos + 1)
    return found


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from("<H", data, offset)[0]


def _classify_non_zip(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return R_PDF
    if not _looks_like_text(head):
        return R_NOT_EXCEL
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<"):
        return R_MARKUP
    return R_TEXT


def _looks_like_text(head: bytes) -> bool:
    """True for text in any common encoding: UTF-16 with a BOM, or bytes without control characters."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    allowed = b"\t\n\r\f\x1a"  # \x1a: DOS end-of-file marker some old exporters append
    return not any(b < 0x20 and b not in allowed for b in head)


def _check_zip(path: Path, limits: SafetyLimits) -> None:
    with path.open("rb") as f:
        # zipfile loads the whole central directory into memory: bound it first.
        if _central_directory_size(f) > limits.max_members * _MAX_CD_ENTRY_BYTES:
            raise RejectedFile(_too_many_members(None, limits.max_members))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, struct.error, EOFError, OSError, NotImplementedError) as exc:
        raise RejectedFile(R_CORRUPT) from exc
    with zf, path.open("rb") as raw:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise RejectedFile(_too_many_members(len(infos), limits.max_members))
        _check_is_workbook({i.filename.lower() for i in infos})
        sheet_names = _sheet_names(raw, infos)
        _check_declared_sizes(infos, sheet_names, limits)
        heads = {info.filename: _stream_member(raw, info, sheet_names) for info in infos}
    _check_dimensions(heads, sheet_names, limits)


def _central_directory_size(f) -> int:
    """Size of the central directory from the end-of-central-directory record (zip64 aware)."""
    f.seek(0, os.SEEK_END)
    end = f.tell()
    f.seek(max(0, end - (22 + 65535)))  # record is 22 bytes plus a comment of at most 64 KiB
    tail = f.read()
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise RejectedFile(R_CORRUPT)
    size = struct.unpack_from("<I", tail, pos + 12)[0]
    if size != 0xFFFFFFFF:
        return size
    # zip64: the real size is in the zip64 end record, found through the locator just before.
    locator = pos - 20
    if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
        raise RejectedFile(R_CORRUPT)
    f.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
    record = f.read(56)
    if len(record) < 56 or record[:4] != b"PK\x06\x06":
        raise RejectedFile(R_CORRUPT)
    return struct.unpack_from("<Q", record, 40)[0]


def _check_is_workbook(names: set[str]) -> None:
    """An .xlsx is a zip with these two parts; name the most likely other formats."""
    if "[content_types].xml" in names and "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise RejectedFile(R_XLSB)
    if "mimetype" in names and "content.xml" in names:
        raise RejectedFile(R_ODS)
    if "word/document.xml" in names:
        raise RejectedFile(R_DOCX)
    if "ppt/presentation.xml" in names:
        raise RejectedFile(R_PPTX)
    raise RejectedFile(R_OTHER_ZIP)


def _check_declared_sizes(infos: list[zipfile.ZipInfo], sheet_names: dict[str, str], limits: SafetyLimits) -> None:
    """Zip-bomb checks on what the central directory claims (streaming checks the truth)."""
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise RejectedFile(_unpacks_too_big(total, limits.max_uncompressed_bytes))
    for info in infos:
        label = _part_label(info.filename, sheet_names)
        if info.file_size > limits.max_member_bytes:
            raise RejectedFile(_part_too_big(label, info.file_size, limits.max_member_bytes))
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_MIN_SIZE and ratio > limits.max_compression_ratio:
            raise RejectedFile(_ratio_too_high(label, ratio))


def _part_label(member: str, sheet_names: dict[str, str]) -> dict:
    """Name a zip member in words a data officer recognises: a phrase of the catalogue, with its parameters."""
    if member in sheet_names:
        return {"part": "part_sheet", "sheet": sheet_names[member]}
    if member.lower() == "xl/sharedstrings.xml":
        return {"part": "part_shared_strings"}
    if _WORKSHEET_RE.match(member):
        return {"part": "part_worksheet", "member": member}
    return {"part": "part_internal", "member": member}


def _sheet_names(raw, infos: list[zipfile.ZipInfo]) -> dict[str, str]:
    """Map worksheet member names to the sheet names shown in Excel; best effort, {} on any problem.

    Parsed with defusedxml (refuses entities) and only when the parts are small,
    so this is safe to run before the size checks; any rejection it meets is
    swallowed here and raised again by the full streaming pass.
    """
    by_name = {i.filename: i for i in infos}
    try:
        workbook = SafeET.fromstring(_read_small(raw, by_name["xl/workbook.xml"]))
        rels = SafeET.fromstring(_read_small(raw, by_name["xl/_rels/workbook.xml.rels"]))
    except Exception:  # noqa: BLE001 - names are a nicety; the checks below still run
        return {}
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    targets = {r.get("Id"): r.get("Target", "") for r in rels if r.tag.endswith("Relationship")}
    names = {}
    for sheet in workbook.iter():
        if sheet.tag.endswith("}sheet") and sheet.get(rel_ns) in targets:
            target = targets[sheet.get(rel_ns)]
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            names[member] = sheet.get("name", member)
    return names


def _read_small(raw, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _NAMES_PART_MAX:
        raise ValueError("too large to parse for sheet names")
    return b"".join(_inflate(raw, info, _part_label(info.filename, {})))


def _stream_member(raw, info: zipfile.ZipInfo, sheet_names: dict[str, str]) -> bytes:
    """Inflate one member through the size counter and CRC check; return a worksheet's first bytes.

    XML members are scanned in full for entity declarations: a DOCTYPE may legally
    follow any amount of whitespace or comments, so a head-only scan is bypassable.
    """
    label = _part_label(info.filename, sheet_names)
    is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
    overlap = max(len(m) for m in _ENTITY_MARKERS) - 1
    head_size = _SHEET_HEAD_BYTES if _WORKSHEET_RE.match(info.filename) else 0  # only sheets need a head
    head = b""
    tail = b""
    for chunk in _inflate(raw, info, label):
        if len(head) < head_size:
            head += chunk[: head_size - len(head)]
        if is_xml:
            window = tail + chunk
            if any(marker in window for marker in _ENTITY_MARKERS):
                raise RejectedFile(R_ENTITIES)
            tail = window[-overlap:]
    return head


def _inflate(raw, info: zipfile.ZipInfo, label: dict) -> Iterator[bytes]:
    """Yield the member's data in chunks of at most ``_CHUNK`` bytes, verifying as we go.

    Decompresses the raw stream ourselves instead of trusting zipfile, which stops
    reading at the declared size: here any byte beyond the declared size rejects
    the file at once (stopping at the limit), and a short stream or bad CRC too.
    """
    if info.flag_bits & 0x1:
        raise RejectedFile(R_ZIP_PASSWORD)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise RejectedFile(_unusual_compression(info.compress_type))
    produced = 0
    crc = 0
    for chunk in _decompress(_raw_member_data(raw, info), info.compress_type):
        produced += len(chunk)
        if produced > info.file_size:
            raise RejectedFile(_lying_size(label, info.file_size))
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if produced != info.file_size or crc != info.CRC:
        raise RejectedFile(R_CORRUPT)


def _raw_member_data(raw, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's compressed bytes, located through its local header."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise RejectedFile(R_CORRUPT)
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    while remaining:
        data = raw.read(min(remaining, _CHUNK))
        if not data:
            raise RejectedFile(R_CORRUPT)  # compressed data runs past the end of the file
        remaining -= len(data)
        yield data


def _decompress(chunks: Iterator[bytes], method: int) -> Iterator[bytes]:
    if method == zipfile.ZIP_STORED:
        yield from chunks
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as in zip
    try:
        for data in chunks:
            while True:  # max_length bounds each output chunk, whatever the ratio
                out = inflater.decompress(data, _CHUNK)
                if out:
                    yield out
                data = inflater.unconsumed_tail
                if not data and len(out) < _CHUNK:
                    break
    except zlib.error as exc:
        raise RejectedFile(R_CORRUPT) from exc
    if not inflater.eof:
        raise RejectedFile(R_CORRUPT)


def _check_dimensions(heads: dict[str, bytes], sheet_names: dict[str, str], limits: SafetyLimits) -> None:
    for member, head in heads.items():
        if not _WORKSHEET_RE.match(member):
            continue
        match = _DIMENSION_RE.search(head)
        size = _range_size(match.group(1).decode("ascii", "replace")) if match else None
        if size is None:
            continue
        rows, cols = size
        ref = match.group(1).decode("ascii", "replace")
        sheet = sheet_names.get(member, posixpath.basename(member))
        if rows > limits.max_rows:
            raise RejectedFile(_too_many_rows(sheet, rows, ref, limits.max_rows))
        if cols > limits.max_columns:
            raise RejectedFile(_too_many_columns(sheet, cols, ref, limits.max_columns))


def _range_size(ref: str) -> tuple[int, int] | None:
    """(bottom row, rightmost column) of an A1-style range like 'A1:XFD1048576'; None if unreadable."""
    match = _CELL_RE.match(ref.strip().split(":")[-1])
    if not match:
        return None
    col = 0
    for letter in match.group(1).upper():
        col = col * 26 + (ord(letter) - ord("A") + 1)
    return int(match.group(2)), col
