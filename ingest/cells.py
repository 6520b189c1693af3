"""Cell values that carry more meaning than their Python type.

The readers hand these to the coercion step so that it can tell a 12 % cell from a 0.12
cell, an Excel error from an empty cell, a formula Excel never calculated from a blank, and
Excel's 29 Feb 1900 (which never existed) from 28 Feb.
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


class PhantomLeapDay:
    """A date cell holding Excel's serial 60: 29 Feb 1900, a day that never existed.

    Excel keeps Lotus 1-2-3's leap-year bug; openpyxl and fastexcel read serial 60 as
    1900-02-28, the same day as serial 59. The readers hand this on instead, for an error.
    """

    def __repr__(self) -> str:
        return "PhantomLeapDay()"

    def __str__(self) -> str:
        return "1900-02-29"


PHANTOM_LEAP_DAY = PhantomLeapDay()
