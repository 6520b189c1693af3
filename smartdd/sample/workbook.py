"""Writing the samples: each simulated submission filled into the blank template and saved.

Every workbook is the blank template (`build_template`) with values filled in, re-written
in openpyxl's write-only mode so that a 500,000-row Loan_Tape streams from a generator.
Zip entries and document properties carry a fixed timestamp: the same seed gives the same
bytes.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from copy import copy
from datetime import date, datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from smartdd.sample.cast import Country
from smartdd.sample.investees import build_cast
from smartdd.sample.simulate import Submission, plan_defects, quarter_ends, simulate_quarter
from smartdd.spec import load_spec
from smartdd.spec.template import VALUE_COLUMN, YES_NO_LABELS, build_template


def write_samples(
    out_dir: Path,
    investees: int = 6,
    quarters: int = 2,
    loan_tape_rows: int = 300,
    seed: int = 42,
    defects: bool = True,
    last_period_end: date = date(2026, 9, 30),
    jobs: int = 1,
) -> list[Path]:
    """Write `investees` × `quarters` filled workbooks into `out_dir`; return their paths.

    With `defects`, the last quarter holds exactly one workbook the pipeline must reject
    (PAR90 above PAR30 and no legal form) and up to two that only carry warnings.
    With `jobs` > 1 the workbooks are written by that many processes (same bytes: the
    simulation stays sequential, only the writing is spread).
    """
    if investees < 1 or quarters < 1 or loan_tape_rows < 0:
        raise ValueError("investees and quarters must be at least 1, loan_tape_rows at least 0")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cast = build_cast(investees, seed, loan_tape_rows)
    period_ends = quarter_ends(last_period_end, quarters)
    planted = plan_defects(investees, seed) if defects else {}
    submissions = []
    for investee in cast:
        previous = None
        for position, period_end in enumerate(period_ends):
            submission = simulate_quarter(investee, cast, position, period_end, previous, seed)
            previous = dict(submission.portfolio)
            if period_end == period_ends[-1] and investee.index in planted:
                planted[investee.index](submission)
            submissions.append(submission)
    with_tape = [loan_tape_rows > 0] * len(submissions)
    if jobs <= 1:
        return list(map(_write_submission, submissions, [out_dir] * len(submissions), with_tape))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_write_submission, submissions, [out_dir] * len(submissions), with_tape, chunksize=4))


def file_name(investee_id: str, period_end: date) -> str:
    """The workbook's file name, by investee and quarter: MFI-KE-001_2026Q3.xlsx."""
    return f"{investee_id}_{period_end.year}Q{period_end.month // 3}.xlsx"


def _write_submission(submission: Submission, out_dir: Path, with_tape: bool) -> Path:
    investee = submission.investee
    wb = build_template(investee.country.language)
    _fill_key_values(wb["Cover"], submission.cover)
    _fill_key_values(wb["Portfolio"], submission.portfolio)
    _fill_table(wb["Products"], submission.products)
    _fill_by_key(wb["CP_Assessment"], "indicator_code", submission.assessment)
    _fill_table(wb["Complaints"], submission.complaints)
    streamed = {"Loan_Tape": _tape_rows(submission)} if with_tape else {}
    if not with_tape:
        del wb["Loan_Tape"]
    path = out_dir / file_name(investee.investee_id, submission.period_end)
    prepared = datetime.combine(submission.period_end + timedelta(days=20), time(9, 30))
    _save_streaming(wb, path, streamed, prepared)
    return path


def _fill_key_values(ws: Worksheet, values: dict) -> None:
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[VALUE_COLUMN - 1].value = values[row[0].value]


def _header(ws: Worksheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1] if cell.value}


def _fill_table(ws: Worksheet, rows: list[dict]) -> None:
    columns = _header(ws)
    for r, row in enumerate(rows, start=2):
        for name, value in row.items():
            ws.cell(row=r, column=columns[name], value=value)


def _fill_by_key(ws: Worksheet, key: str, rows: list[dict]) -> None:
    """Fill the pre-filled rows of a table, matching them on `key`."""
    columns = _header(ws)
    by_key = {row[key]: row for row in rows}
    for r in range(2, ws.max_row + 1):
        row = by_key.get(ws.cell(row=r, column=columns[key]).value, {})
        for name, value in row.items():
            ws.cell(row=r, column=columns[name], value=value)


def _tape_rows(submission: Submission) -> Iterator[list]:
    """Loan_Tape rows in the spec's column order, generated one at a time."""
    investee, book = submission.investee, submission.book
    country = investee.country
    yes, no = YES_NO_LABELS[country.language]
    codes = [p.fields["product_code"] for p in investee.products]
    period_end = submission.period_end
    names = [f.name for f in load_spec().sheet("Loan_Tape").fields]
    for i in range(book.product.size):
        person = int(book.person[i])
        female = bool(book.female[i])
        disbursed_on = period_end - timedelta(days=int(book.age_days[i]))
        row = {
            "loan_id": f"LN{disbursed_on:%y}{int(book.client_number[i]):08d}",
            "client_id": f"{int(book.client_number[i]):09d}",
            "national_id": _national_id(country, person, female, investee.compact_ids),
            "client_name": _client_name(country, person, female),
            "phone": _from_pattern(country.phone, person ^ 0x5BD1E995, female),
            "gender": "F" if female else "M",
            "rural": yes if book.rural[i] else no,
            "branch": country.branches[int(book.branch[i])],
            "product_code": codes[int(book.product[i])],
            "disbursement_date": disbursed_on,
            "maturity_date": disbursed_on + timedelta(days=int(book.term_days[i])),
            "disbursed_amount": float(book.disbursed[i]),
            "outstanding_principal": float(book.outstanding[i]),
            "days_past_due": int(book.days_past_due[i]),
            "restructured": yes if book.restructured[i] else no,
            "written_off": yes if book.written_off[i] else no,
            "installment_amount": float(book.installment[i]),
            "monthly_income": float(book.income[i]),
            "other_lender_loans": int(book.other_loans[i]),
        }
        yield [row[name] for name in names]


def _national_id(country: Country, person: int, female: bool, compact: bool) -> str:
    text = _from_pattern(country.national_id, person, female)
    return "".join(ch for ch in text if ch.isalnum()) if compact else text


def _client_name(country: Country, person: int, female: bool) -> str:
    draws = _draws(person ^ 0xA5A5)
    first = _choose(country.women if female else country.men, next(draws))
    surnames = [_choose(country.surnames, next(draws))]
    if country.two_surnames:
        surnames.append(_choose(country.surnames, next(draws)))
    parts = [*surnames, first] if country.surname_first else [first, *surnames]
    return " ".join(parts)


def _choose(options: tuple[str, ...], draw: int) -> str:
    return options[draw % len(options)]


def _draws(h: int) -> Iterator[int]:
    """Pseudo-random integers from a person's hash (a 64-bit LCG; its high bits)."""
    while True:
        h = (h * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        yield h >> 33


def _from_pattern(pattern: str, h: int, female: bool) -> str:
    """Fill '#' (digit), '%' (digit 1-9), '@' (letter), '$' (F/M) from the hash `h`."""
    out = []
    for ch, top in zip(pattern, _draws(h), strict=False):
        if ch == "#":
            out.append(str(top % 10))
        elif ch == "%":
            out.append(str(1 + top % 9))
        elif ch == "@":
            out.append(chr(65 + top % 26))
        elif ch == "$":
            out.append("F" if female else "M")
        else:
            out.append(ch)
    return "".join(out)


def _save_streaming(wb: Workbook, path: Path, streamed: dict[str, Iterator[list]], when: datetime) -> None:
    """Re-write `wb` in write-only mode, appending each streamed sheet's rows after its own."""
    out = Workbook(write_only=True)
    styles: dict[tuple, StyleArray] = {}
    for ws in wb.worksheets:
        target = out.create_sheet(ws.title)
        _copy_sheet(ws, target, styles)
        for row in streamed.get(ws.title, ()):
            target.append(row)
    out.properties.creator = "smartdd sample"
    out.properties.title = wb.properties.title
    out.properties.created = out.properties.modified = when
    with _FixedTimeZip(path, when) as archive:
        ExcelWriter(out, archive).save()


def _copy_sheet(source: Worksheet, target, styles: dict[tuple, StyleArray]) -> None:
    """Values, styles, comments, widths, panes and drop-downs, as write-only mode allows."""
    for letter, dimension in source.column_dimensions.items():
        if dimension.customWidth:
            target.column_dimensions[letter].width = dimension.width
    target.freeze_panes = source.freeze_panes
    for validation in source.data_validations.dataValidation:
        target.data_validations.append(copy(validation))
    for row in source.iter_rows():
        target.append([_copy_cell(cell, target, styles) for cell in row])


def _copy_cell(cell: Cell, target, styles: dict[tuple, StyleArray]) -> WriteOnlyCell | None:
    if cell.value is None and not cell.has_style and cell.comment is None:
        return None
    copied = WriteOnlyCell(target, value=cell.value)
    if cell.has_style:
        # Style indices differ between workbooks: translate each distinct style once.
        key = tuple(cell._style)
        if key not in styles:
            copied.font = copy(cell.font)
            copied.fill = copy(cell.fill)
            copied.alignment = copy(cell.alignment)
            copied.number_format = cell.number_format
            styles[key] = copied._style
        copied._style = copy(styles[key])
    if cell.comment is not None:
        copied.comment = copy(cell.comment)
    return copied


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one timestamp, so the same content gives the same bytes."""

    def __init__(self, path: Path, when: datetime):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = when.timetuple()[:6]

    def _entry(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self._date_time)
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, name, data, *args, **kwargs):
        if isinstance(name, str):
            name = self._entry(name)
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        with (
            open(filename, "rb") as source,
            self.open(self._entry(arcname), "w", force_zip64=True) as target,
        ):
            shutil.copyfileobj(source, target, 1 << 20)
