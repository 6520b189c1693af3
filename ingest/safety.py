"""Safety gate for workbooks sent by outside institutions.

Two tools, used in this order by the reader:

* ``check_workbook_file(path)`` runs in the calling process *before any parser*
  touches the file. It only reads the file's first bytes, the zip central
  directory and then streams every zip member through a byte counter (never
  holding more than about 1 MiB in memory). It raises ``RejectedFile`` with a
  reason an MFI data officer can act on.
* ``run_isolated(fn, ...)`` runs the actual parsing in a separate process with a
  memory cap and a timeout, so a file that still manages to blow up a parser
  (the Rust readers fastexcel/calamine abort the whole process on a zip bomb,
  and openpyxl just runs on) costs one child process, not the pipeline.

Every ``RejectedFile.reason`` is a complete, plain-English sentence meant to be
forwarded to the investee as-is.
"""

from __future__ import annotations

import codecs
import ctypes
import os
import pickle
import posixpath
import re
import signal
import struct
import subprocess
import sys
import tempfile
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from defusedxml import ElementTree as SafeET

__all__ = ["SafetyLimits", "RejectedFile", "check_workbook_file", "run_isolated"]

T = TypeVar("T")
MiB = 2**20


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


class RejectedFile(Exception):
    """The file cannot be processed; ``reason`` says why and what the sender should do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------
# Reasons. Kept together so the wording stays consistent and reviewable.
# --------------------------------------------------------------------------------------

_RESAVE = "Open it in Excel, choose File > Save As > Excel Workbook (.xlsx) and send the .xlsx file."
_RESAVE_SAME = "Open it in Excel, check it, save it again and send it again."

R_EMPTY = "The file is empty (0 bytes). Save the workbook again in Excel and send it again."
R_LEGACY_XLS = "This is an old-format Excel file (.xls, Excel 97-2003), not an .xlsx workbook. " + _RESAVE
R_ENCRYPTED = (
    "The file is password-protected. Remove the password in Excel (File > Info > Protect Workbook > "
    "Encrypt with Password, delete the password, click OK, save) and send it again."
)
R_OTHER_OLE2 = "This is an old-format Office file (for example a Word .doc), not an Excel workbook. " + _RESAVE
R_TEXT = "This is a text/CSV file, not an Excel workbook. " + _RESAVE
R_MARKUP = "This is a web page (HTML) or XML file, not an Excel workbook (some systems export these under an Excel file name). " + _RESAVE
R_PDF = "This is a PDF file, not an Excel workbook. Please send the Excel (.xlsx) workbook itself."
R_NOT_EXCEL = (
    "This file is not an Excel workbook: its contents are not in any spreadsheet format we recognise. Please send the workbook saved from Excel as .xlsx."
)
R_CORRUPT = "The file is damaged or incomplete (it may have been cut off while saving, uploading or sending). " + _RESAVE_SAME
R_ZIP_PASSWORD = "The file is a password-protected zip archive, not an Excel workbook. Please send the .xlsx workbook itself, without a password."
R_ODS = "This is an OpenDocument spreadsheet (LibreOffice/OpenOffice .ods), not an Excel workbook. " + _RESAVE
R_XLSB = "This is an Excel Binary Workbook (.xlsb), which we cannot read. " + _RESAVE
R_DOCX = "This is a Word document, not an Excel workbook. Please send the Excel (.xlsx) workbook."
R_PPTX = "This is a PowerPoint presentation, not an Excel workbook. Please send the Excel (.xlsx) workbook."
R_OTHER_ZIP = "This is a zip archive, not an Excel workbook. Please send the .xlsx workbook itself, not a compressed folder."
R_ENTITIES = (
    "The file contains XML entity definitions, which Excel never writes; it was made by unusual software "
    "or altered after saving, and we cannot process it safely. " + _RESAVE_SAME
)
_UNPACK_ADVICE = "Delete unused sheets, rows, columns and pictures, save the workbook and send it again."


def _too_large(size: int, limit: int) -> str:
    return f"The file is too large ({_mb(size)}; the limit is {_mb(limit)}). " + _UNPACK_ADVICE


def _too_many_members(what: str, limit: int) -> str:
    return (
        f"The file is made of {what} internal parts, more than the {limit:,} a normal workbook has. "
        "It was made by unusual software or is damaged. " + _RESAVE_SAME
    )


def _unpacks_too_big(total: int, limit: int) -> str:
    return f"The workbook unpacks to {_mb(total)} of data, more than the {_mb(limit)} we can process. " + _UNPACK_ADVICE


def _part_too_big(label: str, size: int, limit: int) -> str:
    return f"{_cap(label)} unpacks to {_mb(size)}, more than the {_mb(limit)} we accept for one part. " + _UNPACK_ADVICE


def _ratio_too_high(label: str, ratio: float) -> str:
    return (
        f"{_cap(label)} unpacks to {ratio:,.0f} times its packed size, which real workbooks never do "
        "(the file looks like a 'zip bomb', built to exhaust memory). We cannot process it. "
        "If it is a normal workbook, " + _RESAVE_SAME[0].lower() + _RESAVE_SAME[1:]
    )


def _lying_size(label: str, declared: int) -> str:
    return (
        f"{_cap(label)} holds more data than the file's own index declares ({declared:,} bytes); "
        "the file is damaged or was deliberately altered, and we cannot process it. " + _RESAVE_SAME
    )


def _unusual_compression(method: int) -> str:
    return f"The file is packed in a way Excel never uses (zip compression method {method}). " + _RESAVE_SAME


def _too_many_rows(sheet: str, rows: int, ref: str, limit: int) -> str:
    return (
        f'Sheet "{sheet}" declares {rows:,} rows (used range {ref}), more than the {limit:,} we accept. '
        "This usually means formatting or formulas were applied down to the bottom of the sheet. "
        "Select the empty rows below your data, delete them (right-click > Delete), save and send it again."
    )


def _too_many_columns(sheet: str, cols: int, ref: str, limit: int) -> str:
    return (
        f'Sheet "{sheet}" declares {cols:,} columns (used range {ref}), more than the {limit:,} we accept. '
        "This usually means formatting was applied across whole rows. Select the empty columns to the "
        "right of your data, delete them (right-click > Delete), save and send it again."
    )


def _timed_out(seconds: float) -> str:
    return f"Reading the file took longer than {seconds:g} seconds, so it was stopped. The file is probably very large or malformed. " + _UNPACK_ADVICE


def _out_of_memory(limit: int, how: str = "") -> str:
    how = f" ({how})" if how else ""
    return f"Reading the file needed more memory than the limit of {_mb(limit)}{how}. The file is probably very large or malformed. " + _UNPACK_ADVICE


def _mb(n: int) -> str:
    return f"{n / MiB:,.1f} MB" if n < 10 * MiB else f"{n / MiB:,.0f} MB"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


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
            raise RejectedFile(_too_many_members("far too many", limits.max_members))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, struct.error, EOFError, OSError, NotImplementedError) as exc:
        raise RejectedFile(R_CORRUPT) from exc
    with zf, path.open("rb") as raw:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise RejectedFile(_too_many_members(f"{len(infos):,}", limits.max_members))
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


def _part_label(member: str, sheet_names: dict[str, str]) -> str:
    """Name a zip member in words a data officer recognises."""
    if member in sheet_names:
        return f'the sheet "{sheet_names[member]}"'
    if member.lower() == "xl/sharedstrings.xml":
        return "the text stored in the cells (xl/sharedStrings.xml)"
    if _WORKSHEET_RE.match(member):
        return f"a sheet ({member})"
    return f'the internal part "{member}"'


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


def _inflate(raw, info: zipfile.ZipInfo, label: str) -> Iterator[bytes]:
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


# --------------------------------------------------------------------------------------
# run_isolated
# --------------------------------------------------------------------------------------

# The child is a fresh interpreter: it receives the parent's sys.path first, so that
# this module and fn's module import exactly as in the parent, then hands over.
_BOOTSTRAP = (
    "import pickle, sys\nwith open(sys.argv[1], 'rb') as f:\n    sys.path[:] = pickle.load(f)\nfrom {module} import _child_main\n_child_main(*sys.argv[1:])\n"
)

_SIGNAL_WORDS = {
    signal.SIGABRT: "the reading program aborted itself, which it does when it cannot get more memory",
    signal.SIGKILL: "the reading program was killed, usually because the computer ran out of memory",
    signal.SIGSEGV: "the reading program crashed with an invalid memory access",
    signal.SIGBUS: "the reading program crashed with an invalid memory access",
}


def run_isolated(fn: Callable[..., T], *args, memory_bytes: int = 3 * 2**30, timeout_s: float = 300, **kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` in a child process capped at ``memory_bytes`` and ``timeout_s``.

    Returns fn's (picklable) return value. Raises the child's exception when it can
    be pickled (a RuntimeError describing it otherwise, with the child traceback
    attached as a note), and ``RejectedFile`` when the child runs out of time,
    raises MemoryError, or is killed by a signal (the Rust readers abort on
    allocation failure). fn must be a module-level function of an importable
    module (not ``__main__``), and its arguments must be picklable.

    Why a fresh interpreter (subprocess) rather than multiprocessing: Airflow and
    Celery run tasks inside daemonic processes, where multiprocessing refuses to
    start children ("daemonic processes are not allowed to have children",
    apache/airflow#13298, #14896), and forking a parent that runs threads is
    unsafe. The child inherits nothing but the environment and sys.path. On Linux
    it is also told to die with its parent, so a killed task leaves no orphan.
    RLIMIT_AS is not enforced on macOS; the timeout still is.
    """
    call = pickle.dumps((fn, args, kwargs))  # fails here, clearly, for unpicklable fn/args
    with tempfile.TemporaryDirectory(prefix="smartdd-isolated-") as tmp:
        request, result = Path(tmp, "request.pickle"), Path(tmp, "result.pickle")
        with request.open("wb") as f:
            pickle.dump(list(sys.path), f)
            f.write(call)
        command = [sys.executable, "-c", _BOOTSTRAP.format(module=__name__), str(request), str(result), str(memory_bytes), str(os.getpid())]
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RejectedFile(_timed_out(timeout_s)) from None
        finally:
            if proc.poll() is None:  # timeout, or the parent itself was interrupted
                proc.kill()
                proc.wait()
        return _collect(proc.returncode, result, memory_bytes)


def _collect(returncode: int, result: Path, memory_bytes: int):
    """Turn the child's exit status and result file into a value or an exception."""
    if returncode < 0:
        raise RejectedFile(_out_of_memory(memory_bytes, _signal_words(-returncode)))
    try:
        with result.open("rb") as f:
            outcome = pickle.load(f)
    except Exception as exc:  # noqa: BLE001 - no usable result: describe the exit instead
        raise RuntimeError(f"The isolated worker exited with code {returncode} without a result") from exc
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "memory":
        raise RejectedFile(_out_of_memory(memory_bytes))
    exc, child_traceback = outcome[1], outcome[2]
    exc.add_note("Traceback in the isolated worker:\n" + child_traceback)
    raise exc


def _signal_words(number: int) -> str:
    try:
        sig = signal.Signals(number)
    except ValueError:
        return f"the reading program was stopped by signal {number}"
    words = _SIGNAL_WORDS.get(sig, "the reading program was stopped by the operating system")
    return f"{words}; signal {sig.name}"


def _child_main(request: str, result: str, memory_bytes: str, parent_pid: str) -> None:
    """Entry point of the child process (called by _BOOTSTRAP)."""
    _die_with_parent(int(parent_pid))
    _limit_memory(int(memory_bytes))
    try:
        with open(request, "rb") as f:
            pickle.load(f)  # sys.path, already applied by the bootstrap
            fn, args, kwargs = pickle.load(f)
        outcome = ("ok", fn(*args, **kwargs))
    except MemoryError:
        outcome = ("memory",)
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        outcome = ("error", _portable(exc), traceback.format_exc())
    try:
        payload = pickle.dumps(outcome)
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable return value
        payload = pickle.dumps(("error", TypeError(f"fn's result cannot be sent back: {exc}"), ""))
    with open(result, "wb") as f:
        f.write(payload)


def _portable(exc: BaseException) -> Exception:
    """The exception itself if it survives a pickle round trip, else a RuntimeError describing it.

    SystemExit/KeyboardInterrupt are wrapped too: re-raised in the parent they
    would stop the pipeline instead of failing one file.
    """
    if isinstance(exc, Exception):
        try:
            return pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001
            pass
    return RuntimeError(f"{type(exc).__qualname__}: {exc}")


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the timeout still applies
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory_bytes = min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))


def _die_with_parent(parent_pid: int) -> None:
    """Linux only: get SIGKILL if the parent dies, so a killed Airflow task leaves no orphan."""
    if not sys.platform.startswith("linux"):
        return
    try:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
