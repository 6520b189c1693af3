"""Why a file is refused before or while it is parsed: every reason a plain sentence for the investee.

Kept together so the wording stays consistent and reviewable.
"""

from __future__ import annotations

MiB = 2**20


class RejectedFile(Exception):
    """The file cannot be processed; ``reason`` says why and what the sender should do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_RESAVE = "Open it in Excel, choose File > Save As > Excel Workbook (.xlsx) and send the .xlsx file."
_RESAVE_SAME = "Open it in Excel, check it, save it again and send it again."

R_SYMLINK = "This entry in the landing folder is a symbolic link, not a file; links are never followed. Put the workbook itself in the landing folder."
R_NOT_REGULAR = "This entry in the landing folder is not a regular file (a pipe, socket or device). Put the workbook itself in the landing folder."
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
