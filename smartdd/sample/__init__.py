"""Synthetic filled submissions, for demos, tests and load tests.

A fixed cast of investees reports quarter after quarter. Each quarter's figures come from a
simulated loan book, one record per loan, so that the Portfolio and Products sheets and the
Loan_Tape reconcile the way a real MFI's would: the tape is the book, the Portfolio sheet is
its totals. Without a tape the book is simply larger and never written out.

The package, one concern a module:
  cast.yaml, cast.py  the cast as data: countries, product archetypes, texts investees write
  investees.py        the investees of a run and their priced products
  loan_book.py        a quarter-end's loan book, one record per loan
  simulate.py         one investee-quarter's sheets, and the planned defects
  workbook.py         `write_samples`: filling the template, streaming the tape, the fixed-time zip

This module only re-exports the public names.
"""

from smartdd.sample.cast import (
    ARCHETYPES,
    CAST_COUNTRIES,
    COMPLAINT_WEIGHTS,
    COUNTRIES,
    EVIDENCE,
    GAP_COMMENTS,
    GENERIC_EVIDENCE,
    NOT_APPLICABLE_COMMENT,
    Archetype,
    Country,
)
from smartdd.sample.investees import Investee, Product, build_cast
from smartdd.sample.loan_book import Contracts, LoanBook
from smartdd.sample.simulate import Submission, quarter_ends, quarter_start
from smartdd.sample.workbook import file_name, write_samples

__all__ = [
    "ARCHETYPES",
    "CAST_COUNTRIES",
    "COMPLAINT_WEIGHTS",
    "COUNTRIES",
    "EVIDENCE",
    "GAP_COMMENTS",
    "GENERIC_EVIDENCE",
    "NOT_APPLICABLE_COMMENT",
    "Archetype",
    "Contracts",
    "Country",
    "Investee",
    "LoanBook",
    "Product",
    "Submission",
    "build_cast",
    "file_name",
    "quarter_ends",
    "quarter_start",
    "write_samples",
]
