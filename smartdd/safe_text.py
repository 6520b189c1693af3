"""Text that came from an investee's workbook, made safe for the formats we write it into."""

from __future__ import annotations


def keep_as_text(cells) -> None:
    """openpyxl stores a string starting with '=' as a formula; values that came from investees'
    workbooks must stay text (formula injection)."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
