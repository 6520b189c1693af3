"""Why a file is refused before or while it is parsed: every reason a code of the message catalogue.

Each reason is a `Said`: the English sentence (what `submissions.reason` and the ledger keep),
which also carries its code and parameters so the feedback says it in the investee's language.
The words are in `smartdd/messages/*.yaml`.
"""

from __future__ import annotations

from smartdd.messages import Said, code_of

MiB = 2**20


class RejectedFile(Exception):
    """The file cannot be processed; ``reason`` says why and what the sender should do (a `Said`)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        known = code_of(reason)
        self.reason = Said(known[0], **known[1]) if known else reason  # a sentence made by hand has no code

    @property
    def code(self) -> str:
        return getattr(self.reason, "code", "")

    @property
    def params(self) -> dict:
        return getattr(self.reason, "params", {})


R_SYMLINK = Said("symlink")
R_NOT_REGULAR = Said("not_regular")
R_EMPTY = Said("empty")
R_LEGACY_XLS = Said("legacy_xls")
R_ENCRYPTED = Said("encrypted")
R_OTHER_OLE2 = Said("other_ole2")
R_TEXT = Said("text")
R_MARKUP = Said("markup")
R_PDF = Said("pdf")
R_NOT_EXCEL = Said("not_excel")
R_CORRUPT = Said("corrupt")
R_ZIP_PASSWORD = Said("zip_password")
R_ODS = Said("ods")
R_XLSB = Said("xlsb")
R_DOCX = Said("docx")
R_PPTX = Said("pptx")
R_OTHER_ZIP = Said("other_zip")
R_ENTITIES = Said("entities")


def _too_large(size: int, limit: int) -> Said:
    return Said("too_large", size=size, limit=limit)


def _too_many_members(count: int | None, limit: int) -> Said:
    """`count` None: far too many to count (the central directory alone is too large)."""
    return Said("far_too_many_members", limit=limit) if count is None else Said("too_many_members", count=count, limit=limit)


def _unpacks_too_big(total: int, limit: int) -> Said:
    return Said("unpacks_too_big", size=total, limit=limit)


def _part_too_big(part: dict, size: int, limit: int) -> Said:
    return Said("part_too_big", **part, size=size, limit=limit)


def _ratio_too_high(part: dict, ratio: float) -> Said:
    return Said("ratio_too_high", **part, ratio=ratio)


def _lying_size(part: dict, declared: int) -> Said:
    return Said("lying_size", **part, declared=declared)


def _unusual_compression(method: int) -> Said:
    return Said("unusual_compression", method=method)


def _too_many_rows(sheet: str, rows: int, ref: str, limit: int) -> Said:
    return Said("declares_too_many_rows", sheet=sheet, rows=rows, ref=ref, limit=limit)


def _too_many_columns(sheet: str, cols: int, ref: str, limit: int) -> Said:
    return Said("declares_too_many_columns", sheet=sheet, columns=cols, ref=ref, limit=limit)


def _timed_out(seconds: float) -> Said:
    return Said("timed_out", seconds=seconds)


def _out_of_memory(limit: int, how: dict | None = None) -> Said:
    """`how`: the phrase saying how the reading program ended ({"how": code, ...its parameters}), if known."""
    return Said("out_of_memory_how", limit=limit, **how) if how else Said("out_of_memory", limit=limit)
