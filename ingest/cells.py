"""Cell values that carry more meaning than their Python type.

The readers hand these to the coercion step so that it can tell a 12 % cell from a 0.12
cell, an Excel error from an empty cell, and a formula Excel never calculated from a blank.
"""

from __future__ import annotations


class PercentValue(float):
    """A number in a cell with Excel's percentage format: 0.12 displayed as 12 %."""


class ExcelError(str):
    """An error cell such as #DIV/0! or #N/A (never read as empty)."""


class UncachedFormula:
    """A formula cell saved without its computed value (the file was never recalculated)."""

    def __repr__(self) -> str:
        return "UncachedFormula()"


UNCACHED = UncachedFormula()
