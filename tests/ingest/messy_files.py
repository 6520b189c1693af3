"""Builders of messy-but-valid submission workbooks for the reading-rule tests.

`base()` is a complete submission, sheet by sheet, that reads with no issue at all. Each
builder changes it the way investees do (a title above the header, columns moved, numbers
typed as text, a formula...), writes it with openpyxl into `directory` and returns the path.
What openpyxl cannot write — a formula with a cached value, an uncalculated formula, a lying
<dimension> — is patched into the sheet XML afterwards, as Excel or another tool would save it.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from smartdd.ingest.xmlscan import sheet_members

PATCHED = "__patched__"  # placeholder written by openpyxl, replaced in the XML
_INLINE_TEXT = re.compile(r'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"([^>]*)><is>(<t[^>]*>[^<]*</t>|<t\s*/>)</is></c>')
_SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

COVER = {
    "investee_id": "MFI01",
    "institution_name": "Crédito Andino",
    "country": "BO",
    "currency": "BOB",
    "period_end": dt.date(2024, 3, 31),
    "fx_rate_usd": 6.96,
    "legal_form": "NGO",
    "template_version": "1.0",
    "prepared_by": "Ana Quispe",
    "language": "es",
}
PORTFOLIO = {
    "active_borrowers": 1200,
    "active_borrowers_women": 800,
    "active_borrowers_rural": 500,
    "gross_loan_portfolio": 2_500_000.0,
    "gross_loan_portfolio_start": 2_400_000.0,
    "par30": 125_000.0,
    "par90": 50_000.0,
    "restructured_portfolio": 20_000.0,
    "write_offs_period": 5_000.0,
    "loan_loss_reserve": 60_000.0,
    "loans_disbursed_period": 300,
    "amount_disbursed_period": 600_000.0,
    "interest_fee_income_period": 210_000.5,
    "operating_expenses_period": 150_000.0,
    "loan_officers": 12,
    "clients_start_period": 1150,
    "clients_exited_period": 90,
    "credit_bureau_checked_pct": 95,
    "multiple_lender_borrowers_pct": 18.5,
    "data_breaches_period": 0,
    "staff_trained_cp_pct": 100,
}
PRODUCTS = [
    {
        "product_code": "IND-M",
        "product_name": "Crédito individual",
        "lending_method": "individual",
        "loan_amount": 5000,
        "installments": 12,
        "repayment_frequency": "monthly",
        "term_days": None,
        "nominal_rate_pct": 2.5,
        "rate_period": "month",
        "interest_method": "declining",
        "upfront_fee_pct": 1.5,
        "upfront_fee_flat": 10,
        "insurance_pct": 1.2,
        "compulsory_savings_pct": 0,
        "tax_on_interest_pct": 13,
        "disclosed_apr_pct": 38.2,
        "active_loans": 700,
        "outstanding_portfolio": 1_700_000.0,
    },
    {
        "product_code": "GRP-B",
        "product_name": "Banca comunal",
        "lending_method": "group",
        "loan_amount": 800,
        "installments": 1,
        "repayment_frequency": "bullet",
        "term_days": 120,
        "nominal_rate_pct": 24,
        "rate_period": "year",
        "interest_method": "flat",
        "upfront_fee_pct": None,
        "upfront_fee_flat": None,
        "insurance_pct": None,
        "compulsory_savings_pct": 10,
        "tax_on_interest_pct": None,
        "disclosed_apr_pct": None,
        "active_loans": 500,
        "outstanding_portfolio": 800_000.0,
    },
]
CP_ASSESSMENT = [
    {
        "indicator_code": "1.1",
        "principle": "P1",
        "indicator": "Products fit client needs",
        "response": "Sí",
        "evidence": "Manual de crédito 3.2",
        "comment": None,
    },
    {
        "indicator_code": "1.2",
        "principle": "P1",
        "indicator": "Over-indebtedness prevention",
        "response": "Parcialmente",
        "evidence": "Política 7",
        "comment": "En curso",
    },
]
CP_ASSESSMENT_READ = [{**row, "response": canonical} for row, canonical in zip(CP_ASSESSMENT, ["Yes", "Partially"], strict=True)]
COMPLAINTS = [
    {"category": "pricing_fees", "received": 12, "resolved": 10, "resolved_within_30d": 9},
    {"category": "staff_conduct", "received": 3, "resolved": 3, "resolved_within_30d": 3},
]
LOAN_TAPE = [
    {
        "loan_id": f"LN{i:05d}",
        "client_id": f"{1000 + i:06d}",
        "national_id": f"{4_500_000 + i * 7} LP",
        "client_name": name,
        "phone": f"+591 7{i:07d}",
        "gender": gender,
        "rural": rural,
        "branch": "El Alto",
        "product_code": "IND-M" if i % 2 else "GRP-B",
        "disbursement_date": dt.date(2023, 6 + i, 15),
        "maturity_date": dt.date(2024, 6 + i, 15),
        "disbursed_amount": 5000.0 + i,
        "outstanding_principal": 2500.25 * i,
        "days_past_due": 3 * i,
        "restructured": "N",
        "written_off": "N",
        "installment_amount": 466.67,
        "monthly_income": 3200.0,
        "other_lender_loans": i % 3,
    }
    for i, (name, gender, rural) in enumerate(
        [("Ana Mamani", "F", "Y"), ("Juan Quispe", "M", "N"), ("Rosa Condori", "F", "Y"), ("Luis Choque", "M", "N")], start=1
    )
]
TABLES = {"Products": PRODUCTS, "CP_Assessment": CP_ASSESSMENT, "Complaints": COMPLAINTS, "Loan_Tape": LOAN_TAPE}
KEY_VALUES = {"Cover": COVER, "Portfolio": PORTFOLIO}
KEY_VALUE_HEADER = ["code", "description", "value", "comment"]


@dataclass
class Draft:
    """One sheet as it will be written: its rows (row 1 first) and what openpyxl cannot write."""

    name: str  # the sheet in the spec
    rows: list[list]
    title: str = ""  # the sheet's name in the workbook (default: the spec's)
    formats: dict[str, str] = field(default_factory=dict)  # cell -> number format
    merged: list[str] = field(default_factory=list)
    xml: dict[str, str] = field(default_factory=dict)  # cell -> the <c> element to put in the sheet XML
    dimension: str | None = None  # the declared used range to write instead of the true one

    def __post_init__(self):
        self.title = self.title or self.name

    def cell(self, column: str, index: int = 0) -> str:
        """A table cell: `column`'s letter on the `index`-th row below the header."""
        header_at = self.header_row()
        letter = get_column_letter(self.rows[header_at].index(column) + 1)
        return f"{letter}{header_at + 2 + index}"

    def code_cell(self, code: str) -> str:
        """A key-value sheet's value cell for `code`."""
        for number, row in enumerate(self.rows, start=1):
            if row and row[0] == code:
                return f"C{number}"
        raise KeyError(code)

    def header_row(self) -> int:
        """Index of the first row holding two of the sheet's column names."""
        names = set(TABLES[self.name][0])
        return next(index for index, row in enumerate(self.rows) if len(names.intersection(v for v in row if isinstance(v, str))) >= 2)

    def set(self, cell: str, value) -> None:
        letter, number = re.fullmatch(r"([A-Z]+)(\d+)", cell).groups()
        column = column_index_from_string(letter) - 1
        row = self.rows[int(number) - 1]
        row.extend([None] * (column + 1 - len(row)))
        row[column] = value

    def formula(self, cell: str, element: str) -> None:
        """Replace `cell` in the saved XML by `element` (a <c> element without its r attribute)."""
        self.set(cell, PATCHED)
        self.xml[cell] = element.replace("<c", f'<c r="{cell}"', 1)


def base() -> dict[str, Draft]:
    drafts = {
        name: Draft(name, [KEY_VALUE_HEADER] + [[code, f"{code} (hint)", value] for code, value in values.items()]) for name, values in KEY_VALUES.items()
    }
    for name, rows in TABLES.items():
        columns = list(rows[0])
        drafts[name] = Draft(name, [columns] + [[row[c] for c in columns] for row in rows])
    return drafts


def write(directory: Path, name: str, drafts: dict[str, Draft]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for draft in drafts.values():
        ws = wb.create_sheet(draft.title)
        for row in draft.rows:
            ws.append(row)
        for cell, number_format in draft.formats.items():
            ws[cell].number_format = number_format
        for cells in draft.merged:
            ws.merge_cells(cells)
    path = Path(directory) / f"{name}.xlsx"
    wb.save(path)
    _patch(path, drafts)
    return path


def _patch(path: Path, drafts: dict[str, Draft]) -> None:
    with zipfile.ZipFile(path) as zf:
        members = sheet_members(zf)
        parts = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    for draft in drafts.values():
        member = members[draft.title]
        xml = parts[member].decode()
        for cell, element in draft.xml.items():
            xml, found = re.subn(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)', element, xml, count=1)
            assert found, f"{draft.title}!{cell} not found in the sheet XML"
        if draft.dimension:
            xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{draft.dimension}"/>', xml)
        parts[member] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def with_shared_strings(path: Path) -> Path:
    """The same workbook as Excel saves it: every text in the shared-string table (openpyxl writes them inline)."""
    strings: dict[str, int] = {}

    def shared(m: re.Match) -> str:
        index = strings.setdefault(m.group(4), len(strings))
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"{m.group(3)}><v>{index}</v></c>'

    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = _INLINE_TEXT.sub(shared, parts[name].decode()).encode()
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{_SPREADSHEET_NS}" uniqueCount="{len(strings)}">' + "".join(f"<si>{t}</si>" for t in strings) + "</sst>"
    ).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" Id="rIdSST"/></Relationships>',
    )
    target = path.with_name(f"{path.stem}_shared.xlsx")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return target


class Corpus:
    """Builds each workbook once per test session, whichever tests read it and with which reader."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.built: dict[tuple, Path] = {}

    def __call__(self, builder, *args) -> Path:
        key = (builder, args)
        if key not in self.built:
            directory = self.directory / str(len(self.built))
            directory.mkdir()
            self.built[key] = builder(directory, *args)
        return self.built[key]


# ---- the messy workbooks, one reading rule each --------------------------------------------


def clean(directory: Path) -> Path:
    return write(directory, "clean", base())


def sheet_names_in_other_case(directory: Path) -> Path:
    drafts = base()
    for name, title in {"Loan_Tape": "loan tape", "Portfolio": "PORTFOLIO", "CP_Assessment": "Cp Assessment", "Complaints": " complaints"}.items():
        drafts[name].title = title
    return write(directory, "sheet_names", drafts)


def unknown_sheet(directory: Path) -> Path:
    drafts = base()
    drafts["Notes"] = Draft("Notes", [["Sent by Ana, call me"]])
    return write(directory, "unknown_sheet", drafts)


def header_below_title(directory: Path) -> Path:
    """Products and Loan_Tape with a title, a blank row and a note above the header (on row 4)."""
    drafts = base()
    for name in ("Products", "Loan_Tape"):
        drafts[name].rows[:0] = [[f"{name} — Crédito Andino, March 2024"], [], ["Amounts in BOB"]]
    drafts["Cover"].rows[:0] = [["Cover sheet"]]
    return write(directory, "header_on_row_4", drafts)


def columns_in_any_order(directory: Path) -> Path:
    drafts = base()
    for name in ("Products", "Loan_Tape"):
        draft = drafts[name]
        order = list(reversed(range(len(draft.rows[0]))))
        draft.rows = [[row[i] for i in order] for row in draft.rows]
    return write(directory, "columns_reversed", drafts)


def unknown_column(directory: Path) -> Path:
    """Products and Loan_Tape with a 'notes' column (T / U) the template does not have."""
    drafts = base()
    for name in ("Products", "Loan_Tape"):
        for number, row in enumerate(drafts[name].rows):
            row.append("notes" if number == 0 else "see file")
    return write(directory, "unknown_column", drafts)


def missing_required_column(directory: Path) -> Path:
    """Complaints without 'resolved'; Loan_Tape without 'gender' (required) and 'phone' (optional)."""
    drafts = base()
    for name, dropped in (("Complaints", {"resolved"}), ("Loan_Tape", {"gender", "phone"})):
        draft = drafts[name]
        keep = [i for i, column in enumerate(draft.rows[0]) if column not in dropped]
        draft.rows = [[row[i] for i in keep] for row in draft.rows]
    return write(directory, "missing_column", drafts)


def duplicate_column(directory: Path) -> Path:
    """Loan_Tape with a second 'gender' column (T) full of X."""
    drafts = base()
    for number, row in enumerate(drafts["Loan_Tape"].rows):
        row.append("gender" if number == 0 else "X")
    return write(directory, "duplicate_column", drafts)


def missing_sheet_code_and_header(directory: Path) -> Path:
    """No Complaints (required) nor Loan_Tape (optional), no currency code, Products' header unrecognisable."""
    drafts = base()
    del drafts["Complaints"], drafts["Loan_Tape"]
    drafts["Cover"].rows = [row for row in drafts["Cover"].rows if row[0] != "currency"]
    drafts["Products"].rows[0] = [c.upper() + "?" for c in drafts["Products"].rows[0]]
    return write(directory, "missing", drafts)


def key_values_shuffled(directory: Path) -> Path:
    """Portfolio rows in reverse order, an unknown code, and par30 twice (the second one differs)."""
    drafts = base()
    portfolio = drafts["Portfolio"]
    portfolio.rows = [portfolio.rows[0]] + list(reversed(portfolio.rows[1:]))
    portfolio.rows.append(["staff_count", "not in the template", 85])
    portfolio.rows.append(["PAR 30", "again, other spelling", 999.0])
    return write(directory, "key_values_shuffled", drafts)


def value_in_portfolio(directory: Path, code: str, value, number_format: str | None = None) -> Path:
    """Portfolio with one value replaced (numbers and percentages as investees type them)."""
    drafts = base()
    cell = drafts["Portfolio"].code_cell(code)
    drafts["Portfolio"].set(cell, value)
    if number_format:
        drafts["Portfolio"].formats[cell] = number_format
    return write(directory, f"portfolio_{code}", drafts)


def period_end_as(directory: Path, value, number_format: str | None = None) -> Path:
    drafts = base()
    cell = drafts["Cover"].code_cell("period_end")
    drafts["Cover"].set(cell, value)
    if number_format:
        drafts["Cover"].formats[cell] = number_format
    return write(directory, "period_end", drafts)


def percent_cells_in_products(directory: Path) -> Path:
    """upfront_fee_pct as 12, '12 %', '12%', a 0.12 cell formatted 0%, and a plain 0.5."""
    drafts = base()
    products = drafts["Products"]
    products.rows.extend([list(products.rows[1]) for _ in range(3)])
    for index, value in enumerate([12, "12 %", "12%", 0.12, 0.5]):
        products.set(products.cell("upfront_fee_pct", index), value)
    products.formats[products.cell("upfront_fee_pct", 3)] = "0%"
    return write(directory, "percent_cells", drafts)


YES_NO = ["Y", "n", "Yes", "no", "Oui", "NON", "Sí", "si", "TRUE", "false", "1", "0", True, False, 1, 0]


def yes_no_spellings(directory: Path) -> Path:
    """Loan_Tape.rural in every accepted spelling (one loan each), then 'maybe'."""
    drafts = base()
    tape = drafts["Loan_Tape"]
    template = tape.rows[1]
    tape.rows[1:] = [list(template) for _ in range(len(YES_NO) + 1)]
    for index, value in enumerate([*YES_NO, "maybe"]):
        tape.set(tape.cell("loan_id", index), f"LN{index:05d}")
        tape.set(tape.cell("rural", index), value)
    return write(directory, "yes_no", drafts)


def formulas(directory: Path) -> Path:
    """Cached formula values (Portfolio, Loan_Tape) and formulas Excel never calculated."""
    drafts = base()
    portfolio, tape = drafts["Portfolio"], drafts["Loan_Tape"]
    portfolio.formula(portfolio.code_cell("gross_loan_portfolio"), "<c><f>SUM(Products!R2:R3)</f><v>2500000</v></c>")
    portfolio.formula(portfolio.code_cell("par90"), "<c><f>C7*0.4</f><v>50000</v></c>")
    portfolio.formula(portfolio.code_cell("active_borrowers"), "<c><f>COUNTA(Loan_Tape!A:A)-1</f></c>")  # never calculated
    portfolio.formula(portfolio.code_cell("loan_loss_reserve"), "<c><f>C5*0.024</f><v/></c>")  # optional, never calculated
    tape.formula(tape.cell("installment_amount", 0), "<c><f>ROUND(L2/12,2)</f><v>466.67</v></c>")
    tape.formula(tape.cell("branch", 1), '<c t="str"><f>"El "&amp;"Alto"</f><v>El Alto</v></c>')
    tape.formula(tape.cell("disbursed_amount", 2), "<c><f>5000+3</f></c>")  # required, never calculated
    tape.formula(tape.cell("monthly_income", 3), '<c t="str"><f>IF(1,"","")</f><v></v></c>')  # a calculated empty text
    return write(directory, "formulas", drafts)


def error_cells(directory: Path) -> Path:
    drafts = base()
    portfolio, tape = drafts["Portfolio"], drafts["Loan_Tape"]
    portfolio.set(portfolio.code_cell("par30"), "#DIV/0!")
    tape.set(tape.cell("outstanding_principal", 1), "#N/A")
    tape.formula(tape.cell("client_id", 2), '<c t="e"><f>VLOOKUP(A4,X:Y,2,0)</f><v>#N/A</v></c>')
    tape.formula(tape.cell("maturity_date", 3), '<c t="e"><f>B5+"x"</f><v>#VALUE!</v></c>')
    return write(directory, "error_cells", drafts)


def ids_and_numbers_as_text(directory: Path) -> Path:
    """Ids with leading zeros, numbers in text cells, and texts pandas would turn into missing values."""
    drafts = base()
    tape, cover = drafts["Loan_Tape"], drafts["Cover"]
    tape.set(tape.cell("client_id", 0), "000123")
    tape.set(tape.cell("loan_id", 1), 123)
    tape.set(tape.cell("client_id", 1), 4567.0)
    tape.set(tape.cell("national_id", 2), 1234567.25)
    tape.set(tape.cell("branch", 2), "N/A")
    tape.set(tape.cell("branch", 3), "  null  ")
    cover.set(cover.code_cell("country"), "NA")  # Namibia
    cover.set(cover.code_cell("prepared_by"), "None")
    return write(directory, "ids_as_text", drafts)


def numbers_as_text_in_loan_tape(directory: Path) -> Path:
    """Amounts typed as text the way different locales write them, and some that cannot be read."""
    drafts = base()
    tape = drafts["Loan_Tape"]
    template = tape.rows[1]
    texts = ["1 234,5", "1,234.50", "1.234,5", "1\u00a0234", "  42 ", "000123", "1e3", "1,234", "12abc", "nan", "inf", "", True, dt.date(2024, 1, 5)]
    tape.rows[1:] = [list(template) for _ in texts]
    for index, value in enumerate(texts):
        tape.set(tape.cell("loan_id", index), f"LN{index:05d}")
        tape.set(tape.cell("disbursed_amount", index), value)
        tape.set(tape.cell("days_past_due", index), value)
    return write(directory, "numbers_as_text", drafts)


def dates_in_loan_tape(directory: Path) -> Path:
    """Real dates, a date with a time, ISO text, other text dates, a number, a time of day."""
    drafts = base()
    tape = drafts["Loan_Tape"]
    template = tape.rows[1]
    values = [
        (dt.date(2023, 7, 15), "yyyy-mm-dd"),
        (dt.datetime(2023, 7, 15, 14, 30), "dd/mm/yyyy hh:mm"),
        (dt.date(2023, 7, 15), "d-mmm-yy"),
        ("2023-07-15", None),
        ("15/07/2023", None),
        ("2023-07-15 00:00:00", None),
        ("2023-02-30", None),
        (45122, None),
        (dt.time(10, 30), "hh:mm"),
    ]
    tape.rows[1:] = [list(template) for _ in values]
    for index, (value, number_format) in enumerate(values):
        tape.set(tape.cell("loan_id", index), f"LN{index:05d}")
        tape.set(tape.cell("disbursement_date", index), value)
        if number_format:
            tape.formats[tape.cell("disbursement_date", index)] = number_format
    return write(directory, "dates", drafts)


def empty_rows(directory: Path, gap: int) -> Path:
    """Loan_Tape with 2 empty rows after the first loan, then `gap` empty rows before the last one."""
    drafts = base()
    tape = drafts["Loan_Tape"]
    first, *middle, last = tape.rows[1:]
    tape.rows[1:] = [first, [], [None, None, "   "], *middle, *([[]] * gap), last]
    tape.rows.append([None] * 25 + ["a note beside the table, not a loan"])
    return write(directory, f"empty_rows_{gap}", drafts)


def lying_dimension(directory: Path, ref: str) -> Path:
    drafts = base()
    for draft in drafts.values():
        draft.dimension = ref
    return write(directory, f"dimension_{ref.replace(':', '_')}", drafts)


def merged_cells(directory: Path) -> Path:
    """A merged title above Products' header, a header merged over two columns, a branch merged over two loans."""
    drafts = base()
    products, tape = drafts["Products"], drafts["Loan_Tape"]
    products.rows[:0] = [["Products"]]
    products.merged.append("A1:F1")
    header = tape.rows[0]
    position = header.index("other_lender_loans")
    for row in tape.rows:
        row.insert(position + 1, None)  # an empty column under the merged header's second half
    tape.merged.append(f"{get_column_letter(position + 1)}1:{get_column_letter(position + 2)}1")
    tape.merged.append(f"{tape.cell('branch', 0)}:{tape.cell('branch', 1)}")
    return write(directory, "merged", drafts)


def messy_loan_tape(directory: Path) -> Path:
    """Everything at once in a longer loan tape, for the fast-path equivalence test."""
    drafts = base()
    tape = drafts["Loan_Tape"]
    columns = tape.rows[0]
    rows = []
    for i in range(60):
        row = dict(LOAN_TAPE[i % 4])
        row["loan_id"] = f"LN{i:05d}" if i % 7 else i
        row["client_id"] = f"{i:06d}" if i % 5 else float(i)
        row["rural"] = YES_NO[i % len(YES_NO)]
        row["disbursed_amount"] = ["1 234,5", 1234.5, "1,234.50", 1 / 3, 0.1 + 0.2, "x", None, 12345678.123456789][i % 8]
        row["days_past_due"] = [0, "3", 4.0, 2.5, "", True][i % 6]
        row["disbursement_date"] = [dt.date(2023, 1, 1), "2023-01-02", dt.datetime(2023, 1, 3, 9), "03/01/2023", "2023-01-04 00:00:00"][i % 5]
        row["gender"] = ["F", " m ", "f", "X", None][i % 5]
        rows.append([row[c] for c in columns])
    rows[10] = [None] * len(columns)
    rows[11] = []
    tape.rows = [[f"Loan tape {COVER['investee_id']}"], [], columns, *rows, *([[]] * 19), rows[1], *([[]] * 20), rows[2]]
    tape.set(tape.cell("installment_amount", 4), "#N/A")
    tape.formula(tape.cell("monthly_income", 5), "<c><f>A1*2</f></c>")
    tape.formula(tape.cell("outstanding_principal", 6), "<c><f>L9/2</f><v>617.25</v></c>")
    tape.formula(tape.cell("other_lender_loans", 7), '<c t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    tape.formula(tape.cell("maturity_date", 8), '<c t="str"><f>"2024-01-01"</f><v>2024-01-01</v></c>')
    tape.formats[tape.cell("disbursement_date", 2)] = "yyyy-mm-dd hh:mm"
    tape.dimension = "A1:B2"
    return write(directory, "messy_loan_tape", drafts)
