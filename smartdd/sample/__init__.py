"""Synthetic filled submissions, for demos, tests and load tests.

A fixed cast of investees reports quarter after quarter. Each quarter's figures come from a
simulated loan book, one record per loan, so that the Portfolio and Products sheets and the
Loan_Tape reconcile the way a real MFI's would: the tape is the book, the Portfolio sheet is
its totals. Without a tape the book is simply larger and never written out.

Every workbook is the blank template (`build_template`) with values filled in, re-written
in openpyxl's write-only mode so that a 500,000-row Loan_Tape streams from a generator.
Zip entries and document properties carry a fixed timestamp: the same seed gives the same
bytes.
"""

from __future__ import annotations

import math
import shutil
import zipfile
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from smartdd.methodology.pricing import ProductTerms, periods_per_year, price_product
from smartdd.spec import Indicator, load_catalogue, load_spec
from smartdd.spec.template import RESPONSE_LABELS, VALUE_COLUMN, YES_NO_LABELS, build_template


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    fx_usd: float  # units of currency per USD, order of magnitude of late 2026
    fx_volatility: float  # quarterly, log scale; 0 for a peg
    language: str
    institutions: tuple[tuple[str, str], ...]  # (name, legal form), one per investee there
    staff: tuple[str, ...]  # who prepares the workbook
    branches: tuple[str, ...]
    women: tuple[str, ...]
    men: tuple[str, ...]
    surnames: tuple[str, ...]
    national_id: str  # pattern: # digit, % digit 1-9, @ letter, $ sex letter F/M
    phone: str
    surname_first: bool = False  # Khmer order
    two_surnames: bool = False  # Andean paternal + maternal surnames


COUNTRIES = {
    c.code: c
    for c in (
        Country(
            "KE", "KES", 129.2, 0.015, "en",
            (("Jamii Imara Microfinance Bank", "Bank"), ("Mavuno Credit Ltd", "NBFI"),
             ("Umoja Women's Finance Trust", "NGO")),
            ("Grace Wanjiru, Head of MIS", "Peter Otieno, Finance Manager"),
            ("Nairobi-Kibera", "Nakuru", "Kisumu", "Eldoret", "Machakos", "Thika", "Meru"),
            ("Wanjiku", "Akinyi", "Njeri", "Wambui", "Achieng", "Atieno", "Mercy", "Faith",
             "Grace", "Esther", "Nafula", "Chebet", "Jepkoech", "Mwikali"),
            ("John", "Peter", "Joseph", "Kamau", "Kiprono", "David", "Samuel", "Ochieng",
             "Mutua", "Brian"),
            ("Mwangi", "Otieno", "Kamau", "Ochieng", "Wanjiru", "Kariuki", "Njoroge",
             "Odhiambo", "Mutua", "Kiprotich", "Cheruiyot", "Wafula", "Barasa", "Omondi",
             "Kimani", "Maina", "Onyango", "Korir", "Nyambura"),
            "%#######", "07## ### ###",
        ),
        Country(
            "PE", "PEN", 3.55, 0.02, "es",
            (("Caja Rural Progreso Andino", "NBFI"), ("Edpyme Mujer Emprendedora", "NBFI"),
             ("Financiera Ayllu", "Bank")),
            ("Rosa Huamán, Jefa de Riesgos", "Luis Chávez, Contador General"),
            ("Huancayo", "Ayacucho", "Cusco", "Juliaca", "Puno", "Huánuco", "Lima-Ate"),
            ("María", "Rosa", "Carmen", "Juana", "Luz", "Yolanda", "Elena", "Flor", "Gladys",
             "Nélida", "Maribel", "Sonia"),
            ("José", "Juan", "Luis", "Carlos", "Jorge", "Víctor", "Wilber", "Edwin", "Julio",
             "Percy"),
            ("Quispe", "Mamani", "Huamán", "Flores", "Condori", "Rojas", "Chávez", "Torres",
             "Ramos", "Mendoza", "Vargas", "Apaza", "Ccama", "Gutiérrez"),
            "%#######", "9## ### ###", two_surnames=True,
        ),
        Country(
            "UG", "UGX", 3620.0, 0.02, "en",
            (("Tukolere Wamu Microfinance", "NBFI"), ("Kyakabi Savings and Credit", "Cooperative")),
            ("Sarah Nakato, MIS Officer", "Moses Okello, Finance Manager"),
            ("Kampala-Nateete", "Mbarara", "Gulu", "Jinja", "Masaka", "Lira"),
            ("Nakato", "Namukasa", "Babirye", "Nansubuga", "Auma", "Akello", "Nabirye",
             "Kyomugisha", "Atuhaire", "Namatovu"),
            ("Mukasa", "Okello", "Ssebunya", "Kato", "Musoke", "Tumusiime", "Byaruhanga", "Opio",
             "Wasswa", "Ssali"),
            ("Nankya", "Mugisha", "Kiggundu", "Ssempijja", "Lubega", "Tumwine", "Nsubuga", "Okot",
             "Ochola", "Kagwa", "Namusoke", "Byamukama"),
            "C$##%#####@@@@", "07## ######",
        ),
        Country(
            "KH", "KHR", 4015.0, 0.005, "en",
            (("Angkor Prosper Microfinance Plc", "NBFI"), ("Mekong Rural Credit Plc", "NBFI")),
            ("Sok Channary, Reporting Manager", "Chea Piseth, CFO"),
            ("Siem Reap", "Battambang", "Kampong Cham", "Takeo", "Prey Veng", "Phnom Penh"),
            ("Sreymom", "Channary", "Bopha", "Sophea", "Kanha", "Chanthou", "Sothea", "Leakena",
             "Sokunthea", "Malis"),
            ("Vuthy", "Rithy", "Sovann", "Piseth", "Sambath", "Veasna", "Kosal", "Borey",
             "Samnang", "Dara"),
            ("Sok", "Chan", "Kim", "Heng", "Meas", "Chea", "Pich", "Ly", "Seng", "Touch", "Nhem",
             "Prak"),
            "%########", "0## ### ###", surname_first=True,
        ),
        Country(
            "IN", "INR", 88.5, 0.01, "en",
            (("Sakhi Samriddhi Microfin Ltd", "NBFI"), ("Gramin Udaya Finance", "NGO")),
            ("Lakshmi Narayanan, MIS Head", "Arjun Rao, Finance Controller"),
            ("Madurai", "Tiruchirappalli", "Salem", "Dharwad", "Bhubaneswar", "Cuttack"),
            ("Lakshmi", "Savitri", "Geeta", "Sunita", "Anita", "Kavita", "Meena", "Radha",
             "Pushpa", "Rekha", "Shanti", "Parvathi", "Selvi", "Manjula"),
            ("Ramesh", "Suresh", "Raju", "Mahesh", "Anil", "Ravi", "Murugan", "Ganesh", "Prakash",
             "Venkatesh"),
            ("Devi", "Kumari", "Naik", "Reddy", "Patil", "Yadav", "Gowda", "Das", "Sahu", "Behera",
             "Pradhan", "Murugan"),
            "%### #### ####", "+91 9#########",
        ),
        Country(
            "BO", "BOB", 6.96, 0.0, "es",
            (("Sumaj Warmi IFD", "NGO"), ("Pachamama Microcrédito", "NBFI")),
            ("Ruth Choque, Responsable de Información", "Marco Vargas, Gerente de Finanzas"),
            ("El Alto", "La Paz", "Cochabamba", "Oruro", "Potosí", "Sucre"),
            ("Juana", "Lidia", "Martha", "Sabina", "Teodora", "María", "Rosa", "Elizabeth",
             "Ruth", "Virginia"),
            ("Mario", "Freddy", "Juan", "René", "Marco", "Fidel", "Gonzalo", "Ramiro"),
            ("Mamani", "Quispe", "Choque", "Condori", "Ticona", "Flores", "Huanca", "Limachi",
             "Copa", "Gutiérrez", "Vargas", "Poma"),
            "%###### LP", "7#######", two_surnames=True,
        ),
        Country(
            "TZ", "TZS", 2455.0, 0.015, "en",
            (("Tujenge Microfinance Bank", "Bank"), ("Kilimo Credit Ltd", "NBFI")),
            ("Neema Mushi, MIS Manager", "Baraka Mollel, Accountant"),
            ("Arusha", "Moshi", "Dodoma", "Mwanza", "Mbeya", "Morogoro"),
            ("Neema", "Rehema", "Zawadi", "Amina", "Mwanaidi", "Halima", "Upendo", "Joyce",
             "Saida", "Tumaini"),
            ("Juma", "Baraka", "Hamisi", "Emmanuel", "Salum", "Rashidi", "Godfrey", "Athumani",
             "Mussa", "Frank"),
            ("Mushi", "Massawe", "Mollel", "Mwakyusa", "Kimaro", "Shirima", "Lyimo", "Swai",
             "Mrema", "Temba"),
            "19##%###-#####-#####-##", "07## ### ###",
        ),
        Country(
            "NG", "NGN", 1480.0, 0.03, "en",
            (("Ireti Microfinance Bank", "Bank"), ("Arewa Women Credit Ltd", "NBFI")),
            ("Funmilayo Adeyemi, Head of Reporting", "Ibrahim Bello, CFO"),
            ("Kano", "Kaduna", "Ibadan", "Abeokuta", "Enugu", "Onitsha"),
            ("Ngozi", "Aisha", "Funmilayo", "Chiamaka", "Bukola", "Halima", "Blessing", "Amaka",
             "Kemi", "Hauwa", "Yetunde", "Zainab"),
            ("Chinedu", "Ibrahim", "Emeka", "Tunde", "Musa", "Olusegun", "Abdullahi", "Babatunde",
             "Uche", "Sani"),
            ("Okafor", "Adeyemi", "Bello", "Musa", "Eze", "Ogunleye", "Abubakar", "Nwosu",
             "Okonkwo", "Balogun", "Ibrahim", "Adebayo"),
            "%##########", "080########",
        ),
    )
}  # fmt: skip

# Who reports, in order: two pairs share a market, so some borrowers hold loans at both.
CAST_COUNTRIES = ("KE", "PE", "UG", "KH", "KE", "IN", "BO", "TZ", "NG", "PE")


@dataclass(frozen=True)
class Archetype:
    """A family of microloan products and the ranges its terms are drawn from."""

    code: str
    names: dict[str, str]
    lending_method: str | None  # None: either
    amount_usd: tuple[float, float]
    installments: tuple[int, ...]
    frequency: str
    nominal: tuple[float, float]
    rate_period: str
    interest_method: str
    upfront_fee_pct: tuple[float, float]
    insurance_pct: tuple[float | None, ...] = (None,)
    savings_pct: tuple[float | None, ...] = (None,)
    term_days: tuple[int, ...] = ()
    flat_fee_usd: tuple[float, float] | None = None


ARCHETYPES = (
    Archetype(
        "GRP-W", {"en": "Group loan (weekly)", "es": "Crédito grupal (semanal)"}, "group",
        (150, 450), (16, 20, 24, 26), "weekly", (2.0, 3.5), "month", "flat", (1.0, 2.0),
        insurance_pct=(1.0, 1.5, 2.0), savings_pct=(10.0, 15.0, 20.0),
    ),
    Archetype(
        "IND-M", {"en": "Individual business loan", "es": "Crédito individual microempresa"},
        "individual", (700, 2500), (6, 9, 12, 18), "monthly", (24.0, 42.0), "year",
        "declining", (1.5, 3.0), insurance_pct=(None, 1.0), flat_fee_usd=(2.0, 6.0),
    ),
    Archetype(
        "TRD-F", {"en": "Trader loan (fortnightly)", "es": "Crédito comerciante (quincenal)"},
        None, (250, 800), (12, 13, 24), "fortnightly", (2.5, 3.5), "month", "declining",
        (1.0, 2.5),
    ),
    Archetype(
        "AGR-B", {"en": "Harvest loan (bullet)", "es": "Crédito agrícola de campaña"},
        "individual", (400, 1500), (1,), "bullet", (26.0, 36.0), "year", "declining",
        (1.5, 2.5), insurance_pct=(None, 1.5), term_days=(150, 180, 240, 270),
    ),
)  # fmt: skip

# Installment periods per month, for the client's monthly debt service (bullet: per term).
_PER_MONTH = {"weekly": 52 / 12, "fortnightly": 26 / 12, "monthly": 1.0}
_PERIOD_DAYS = {"weekly": 7.0, "fortnightly": 14.0, "monthly": 365.25 / 12}

COMPLAINT_WEIGHTS = {
    "pricing_fees": 0.25,
    "collection_practices": 0.10,
    "staff_conduct": 0.15,
    "data_privacy": 0.03,
    "product_terms": 0.20,
    "insurance_claims": 0.12,
    "other": 0.15,
}

# The document an investee cites for each practice, by language.
EVIDENCE = {
    "en": {
        "CP1.1a": "Market study 2025 and Product Development Policy v2",
        "CP1.1b": "Loan application form, optional products section",
        "CP1.2a": "Product review, Board minutes March 2026",
        "CP1.3a": "Code of Conduct §4 (sales practices), training attendance lists",
        "CP1.3b": "Disbursement checklist, contract reading step",
        "CP2.1a": "Credit Manual v5 §3 (repayment capacity analysis)",
        "CP2.1b": "Credit Manual v5 §3.4 (maximum debt service 40 % of income)",
        "CP2.1c": "Credit approval matrix (credit committee)",
        "CP2.2a": "Credit bureau agreement and monthly reporting log",
        "CP2.3a": "Market saturation study, Board minutes 2025",
        "CP2.4a": "Quarterly portfolio quality report to the Board",
        "CP2.4b": "Rescheduling Policy v2",
        "CP2.5a": "Staff incentive scheme 2026",
        "CP3.1a": "Key Facts Statement with APR, signed by the client",
        "CP3.1b": "Repayment schedule (sample)",
        "CP3.2a": "Loan contract in local language; read-aloud procedure",
        "CP3.2b": "Branch price posters and website tariff page",
        "CP3.3a": "Loan contract clause 12 (changes of terms, prepayment)",
        "CP4.1a": "Pricing Policy, approved by the Board 2025",
        "CP4.2a": "Peer pricing benchmark 2025",
        "CP4.2b": "Credit Manual §7 (penalties)",
        "CP4.3a": "Insurance claims ratio report 2025",
        "CP5.1a": "Code of Conduct, signed copies in HR files",
        "CP5.2a": "Non-discrimination Policy",
        "CP5.3a": "Collection Policy v3, list of forbidden practices",
        "CP5.3b": "Collateral recovery procedure",
        "CP5.4a": "Whistle-blowing Policy and confidential hotline",
        "CP5.4b": "Insurance claims register",
        "CP6.1a": "Information Security Policy v3, internal audit 2025",
        "CP6.1b": "Confidentiality undertakings, HR files",
        "CP6.2a": "Client consent form",
        "CP6.2b": "Data access and correction procedure",
        "CP7.1a": "Toll-free complaints line and suggestion boxes",
        "CP7.1b": "Complaints register (CRM), 30-day deadline",
        "CP7.2a": "Branch complaint posters; disbursement script",
        "CP7.3a": "Quarterly complaints report to the Board",
    },
    "es": {
        "CP1.1a": "Estudio de mercado 2025 y Política de desarrollo de productos v2",
        "CP1.1b": "Solicitud de crédito, sección de productos opcionales",
        "CP1.2a": "Revisión de productos, acta de Directorio de marzo 2026",
        "CP1.3a": "Código de conducta §4 (prácticas de venta), listas de asistencia",
        "CP1.3b": "Lista de verificación del desembolso, lectura del contrato",
        "CP2.1a": "Reglamento de créditos v5 §3 (análisis de capacidad de pago)",
        "CP2.1b": "Reglamento de créditos v5 §3.4 (cuota máxima 40 % del ingreso)",
        "CP2.1c": "Matriz de aprobación de créditos (comité de créditos)",
        "CP2.2a": "Convenio con la central de riesgos y registro de reportes mensuales",
        "CP2.3a": "Estudio de saturación de mercado, acta de Directorio 2025",
        "CP2.4a": "Informe trimestral de calidad de cartera al Directorio",
        "CP2.4b": "Política de reprogramaciones v2",
        "CP2.5a": "Esquema de incentivos del personal 2026",
        "CP3.1a": "Hoja resumen con TCEA firmada por el cliente",
        "CP3.1b": "Cronograma de pagos (muestra)",
        "CP3.2a": "Contrato en idioma local; procedimiento de lectura en voz alta",
        "CP3.2b": "Tarifarios en agencias y en la página web",
        "CP3.3a": "Cláusula 12 del contrato (cambios de condiciones, prepago)",
        "CP4.1a": "Política de precios aprobada por el Directorio 2025",
        "CP4.2a": "Comparativo de tasas de la competencia 2025",
        "CP4.2b": "Reglamento de créditos §7 (penalidades)",
        "CP4.3a": "Informe de siniestralidad de seguros 2025",
        "CP5.1a": "Código de conducta firmado, legajos de RR. HH.",
        "CP5.2a": "Política de no discriminación",
        "CP5.3a": "Política de cobranza v3, lista de prácticas prohibidas",
        "CP5.3b": "Procedimiento de ejecución de garantías",
        "CP5.4a": "Política de denuncias y línea confidencial",
        "CP5.4b": "Registro de siniestros de seguros",
        "CP6.1a": "Política de seguridad de la información v3, auditoría interna 2025",
        "CP6.1b": "Compromisos de confidencialidad, legajos de RR. HH.",
        "CP6.2a": "Formulario de consentimiento del cliente",
        "CP6.2b": "Procedimiento de acceso y rectificación de datos",
        "CP7.1a": "Línea gratuita de reclamos y buzones de sugerencias",
        "CP7.1b": "Registro de reclamos (CRM), plazo de 30 días",
        "CP7.2a": "Afiches de reclamos en agencias; guion de desembolso",
        "CP7.3a": "Informe trimestral de reclamos al Directorio",
    },
}
# Cited for an indicator the catalogue gained after this list was written.
GENERIC_EVIDENCE = {"en": "Operations Manual", "es": "Manual de operaciones"}

GAP_COMMENTS = {
    "en": ("Policy drafted, Board approval pending", "Implemented in two of three regions",
           "Staff training planned next quarter", "Under review with the new MIS"),
    "es": ("Política en borrador, pendiente de aprobación", "Implementado en dos de tres regiones",
           "Capacitación prevista el próximo trimestre", "En revisión con el nuevo sistema"),
}  # fmt: skip
NOT_APPLICABLE_COMMENT = {
    "en": "No such product or practice",
    "es": "No aplica a nuestros productos",
}


@dataclass(frozen=True)
class Product:
    fields: dict  # the Products sheet values that do not change by quarter
    share: float  # share of the investee's loans
    period_days: float
    period_rate: float
    per_month: float  # installments per month, for DSTI
    apr_pct: float


@dataclass(frozen=True)
class Investee:
    index: int
    investee_id: str
    institution_name: str
    legal_form: str
    prepared_by: str
    country: Country
    products: tuple[Product, ...]
    book_size: int  # loans in the book
    client_base: int  # first client number
    women_share: float
    rural_share: float
    caseload: float  # borrowers per loan officer
    par30_start: float
    par30_trend: float  # per quarter
    dsti_median: float
    other_lenders_p: tuple[float, float, float, float]  # P(0, 1, 2, 3 loans elsewhere)
    cp_maturity: float  # P(Yes) on a non-essential indicator
    weak_essential: str | None  # an essential practice answered No
    complaints_per_1000: float  # per year
    exit_rate: float  # per quarter
    growth: float  # per quarter, loan sizes
    partner: int | None  # an earlier investee in the same market
    shared_share: float  # share of borrowers who also borrow from the partner
    compact_ids: bool  # writes national ids without spaces or dashes
    yield_factor: float  # income collected per unit of contractual APR


@dataclass
class LoanBook:
    """One quarter-end's loans, one array element per loan."""

    product: np.ndarray
    disbursed: np.ndarray
    outstanding: np.ndarray
    days_past_due: np.ndarray
    restructured: np.ndarray
    written_off: np.ndarray
    age_days: np.ndarray  # days from disbursement to period end
    term_days: np.ndarray  # days from disbursement to maturity
    installment: np.ndarray
    income: np.ndarray
    other_loans: np.ndarray
    female: np.ndarray
    rural: np.ndarray
    branch: np.ndarray
    client_number: np.ndarray
    person: np.ndarray  # uint64 identity hash: same person, same hash, at any investee

    @property
    def active(self) -> np.ndarray:
        return ~self.written_off


@dataclass
class Submission:
    investee: Investee
    period_end: date
    cover: dict
    portfolio: dict
    products: list[dict]
    assessment: list[dict]
    complaints: list[dict]
    book: LoanBook


def write_samples(
    out_dir: Path,
    investees: int = 6,
    quarters: int = 2,
    loan_tape_rows: int = 300,
    seed: int = 42,
    defects: bool = True,
    last_period_end: date = date(2026, 9, 30),
) -> list[Path]:
    """Write `investees` × `quarters` filled workbooks into `out_dir`; return their paths.

    With `defects`, the last quarter holds exactly one workbook the pipeline must reject
    (PAR90 above PAR30 and no legal form) and up to two that only carry warnings.
    """
    if investees < 1 or quarters < 1 or loan_tape_rows < 0:
        raise ValueError("investees and quarters must be at least 1, loan_tape_rows at least 0")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cast = build_cast(investees, seed, loan_tape_rows)
    period_ends = quarter_ends(last_period_end, quarters)
    planted = _plan_defects(investees, seed) if defects else {}
    paths = []
    for investee in cast:
        previous = None
        for position, period_end in enumerate(period_ends):
            submission = _submission(investee, cast, position, period_end, previous, seed)
            previous = dict(submission.portfolio)
            if period_end == period_ends[-1] and investee.index in planted:
                planted[investee.index](submission)
            paths.append(_write_submission(submission, out_dir, with_tape=loan_tape_rows > 0))
    return paths


def quarter_ends(last: date, count: int) -> list[date]:
    """The `count` calendar quarter ends up to `last`, oldest first."""
    if (last.month % 3, (last + timedelta(days=1)).day) != (0, 1):
        raise ValueError(f"{last} is not a calendar quarter end")
    ends = [last]
    while len(ends) < count:
        ends.insert(0, quarter_start(ends[0]) - timedelta(days=1))
    return ends


def quarter_start(period_end: date) -> date:
    return date(period_end.year, period_end.month - 2, 1)


def file_name(investee_id: str, period_end: date) -> str:
    return f"{investee_id}_{period_end.year}Q{period_end.month // 3}.xlsx"


# --- the cast ---------------------------------------------------------------------------


def build_cast(count: int, seed: int, loan_tape_rows: int) -> list[Investee]:
    """The investees, each drawn from its own stream so adding one changes no other."""
    rng = np.random.default_rng([seed, 0])
    stressed = int(rng.integers(count))  # PAR and over-indebtedness drifting up
    weak = int(rng.integers(count))  # answers one essential practice No
    essentials = [i.code for i in load_catalogue() if i.essential]
    cast: list[Investee] = []
    for index in range(count):
        code = CAST_COUNTRIES[index % len(CAST_COUNTRIES)]
        same_market = [i for i in cast if i.country.code == code]
        irng = np.random.default_rng([seed, 1, index])
        cast.append(
            _investee(
                index,
                COUNTRIES[code],
                same_market,
                irng,
                loan_tape_rows,
                stressed=index == stressed,
                weak_essential=str(irng.choice(essentials)) if index == weak else None,
            )
        )
    return cast


def _investee(
    index: int,
    country: Country,
    same_market: list[Investee],
    rng: np.random.Generator,
    loan_tape_rows: int,
    stressed: bool,
    weak_essential: str | None,
) -> Investee:
    name, legal_form = country.institutions[len(same_market) % len(country.institutions)]
    group_lender = rng.random() < 0.6
    products = _products(country, rng, group_lender)
    p0 = rng.uniform(0.55, 0.85)
    return Investee(
        index=index,
        investee_id=f"MFI-{country.code}-{len(same_market) + 1:03d}",
        institution_name=name,
        legal_form=legal_form,
        prepared_by=str(rng.choice(country.staff)),
        country=country,
        products=products,
        book_size=loan_tape_rows or int(rng.integers(4_000, 60_000)),
        client_base=int(rng.integers(10_000, 400_000)),
        women_share=rng.uniform(0.75, 0.95) if group_lender else rng.uniform(0.55, 0.75),
        rural_share=rng.uniform(0.3, 0.8),
        caseload=rng.uniform(180, 520),
        par30_start=rng.uniform(0.02, 0.08),
        par30_trend=0.03 if stressed else rng.normal(0, 0.008),
        dsti_median=0.42 if stressed else rng.uniform(0.22, 0.32),
        other_lenders_p=(p0, *(np.array([0.6, 0.28, 0.12]) * (1 - p0))),
        cp_maturity=rng.uniform(0.72, 0.95),
        weak_essential=weak_essential,
        complaints_per_1000=rng.uniform(0.5, 10),
        exit_rate=rng.uniform(0.05, 0.10),
        growth=rng.uniform(0.0, 0.05),
        partner=same_market[0].index if same_market else None,
        shared_share=rng.uniform(0.03, 0.09),
        compact_ids=bool(rng.random() < 0.5),
        yield_factor=rng.uniform(0.7, 0.9),
    )


def _products(country: Country, rng: np.random.Generator, group_lender: bool) -> tuple:
    main = ARCHETYPES[0] if group_lender else ARCHETYPES[1]
    others = [a for a in ARCHETYPES if a is not main]
    extra = rng.choice(len(others), size=int(rng.integers(1, 4)), replace=False)
    chosen = [main, *(others[i] for i in sorted(extra))]
    shares = rng.dirichlet([4.0] + [1.5] * (len(chosen) - 1))
    return tuple(_product(a, country, rng, float(s)) for a, s in zip(chosen, shares, strict=True))


def _product(a: Archetype, country: Country, rng: np.random.Generator, share: float) -> Product:
    unit = _money_unit(country)
    term = int(rng.choice(a.term_days)) if a.term_days else None
    fields = {
        "product_code": a.code,
        "product_name": a.names[country.language],
        "lending_method": a.lending_method or str(rng.choice(["group", "individual"])),
        "loan_amount": _nice(rng.uniform(*a.amount_usd) * country.fx_usd, unit),
        "installments": int(rng.choice(a.installments)),
        "repayment_frequency": a.frequency,
        "term_days": term,
        "nominal_rate_pct": round(rng.uniform(*a.nominal), 1),
        "rate_period": a.rate_period,
        "interest_method": a.interest_method,
        "upfront_fee_pct": round(rng.uniform(*a.upfront_fee_pct), 1),
        "upfront_fee_flat": (_nice(rng.uniform(*a.flat_fee_usd) * country.fx_usd, unit / 10) if a.flat_fee_usd else None),
        "insurance_pct": _pick(rng, a.insurance_pct),
        "compulsory_savings_pct": _pick(rng, a.savings_pct),
    }
    terms = ProductTerms(**{k: v for k, v in fields.items() if k in _TERMS and v is not None})
    apr = price_product(terms).apr_pct
    fields["disclosed_apr_pct"] = _disclosed_apr(rng, apr, fields)
    per_year = periods_per_year(a.frequency, term)
    nominal = fields["nominal_rate_pct"] / 100
    return Product(
        fields=fields,
        share=share,
        period_days=term or _PERIOD_DAYS[a.frequency],
        period_rate=nominal * 12 / per_year if a.rate_period == "month" else nominal / per_year,
        per_month=_PER_MONTH[a.frequency] if a.frequency in _PER_MONTH else 365.25 / 12 / term,
        apr_pct=apr,
    )


_TERMS = set(ProductTerms.__dataclass_fields__)


def _pick(rng: np.random.Generator, options: tuple) -> float | None:
    value = options[int(rng.integers(len(options)))]
    return None if value is None else float(value)


def _disclosed_apr(rng: np.random.Generator, apr: float, fields: dict) -> float | None:
    """Most MFIs state the true APR; some quote the nominal rate as if it were; some nothing."""
    how = rng.choice(["true", "nominal", "none"], p=[0.6, 0.25, 0.15])
    if how == "true":
        return round(apr, 1)
    if how == "nominal":
        yearly = 12 if fields["rate_period"] == "month" else 1
        return round(fields["nominal_rate_pct"] * yearly, 1)
    return None


def _money_unit(country: Country) -> float:
    """Loan sizes are round numbers: 100 KES, 10 PEN, 10,000 UGX."""
    return 10.0 ** max(0, round(math.log10(country.fx_usd)))


def _decimals(country: Country) -> int:
    return 0 if country.fx_usd >= 100 else 2


def _nice(value, unit: float):
    """Round to a multiple of `unit` (at least one unit); arrays or scalars."""
    rounded = np.maximum(np.round(np.asarray(value) / unit), 1) * unit
    return float(rounded) if np.ndim(rounded) == 0 else rounded


# --- one quarter ------------------------------------------------------------------------


def _submission(
    investee: Investee,
    cast: list[Investee],
    position: int,
    period_end: date,
    previous: dict | None,
    seed: int,
) -> Submission:
    rng = np.random.default_rng([seed, 2, investee.index, position])
    book = _loan_book(investee, cast, position, rng, seed)
    portfolio = _portfolio(investee, book, position, period_end, previous, rng)
    language = investee.country.language
    return Submission(
        investee=investee,
        period_end=period_end,
        cover=_cover(investee, period_end, seed),
        portfolio=portfolio,
        products=_product_rows(investee, book),
        assessment=_assessment(investee, rng, language),
        complaints=_complaints(investee, portfolio["active_borrowers"], rng),
        book=book,
    )


def _cover(investee: Investee, period_end: date, seed: int) -> dict:
    country = investee.country
    return {
        "investee_id": investee.investee_id,
        "institution_name": investee.institution_name,
        "country": country.code,
        "currency": country.currency,
        "period_end": period_end,
        "fx_rate_usd": _fx_rate(country, period_end, seed),
        "legal_form": investee.legal_form,
        "prepared_by": investee.prepared_by,
        "language": country.language,
    }


def _fx_rate(country: Country, period_end: date, seed: int) -> float:
    """One rate per country and date, whoever reports it; four significant digits."""
    ordinal = list(COUNTRIES).index(country.code)
    rng = np.random.default_rng([seed, 3, ordinal, period_end.toordinal()])
    rate = country.fx_usd * math.exp(rng.normal(0, country.fx_volatility))
    return float(f"{rate:.4g}")


def _loan_book(investee: Investee, cast: list[Investee], position: int, rng: np.random.Generator, seed: int) -> LoanBook:
    contracts = _contracts(investee, position, rng)
    paid, dpd, restructured, written_off = _repayment(investee, position, contracts, rng)
    n, days = paid.size, contracts.period_days
    # A late loan's first missed installment fell due `dpd` days ago.
    age = np.where(dpd > 0, (paid + 1) * days + dpd, (paid + rng.random(n)) * days)
    installment = contracts.installment()
    per_month = np.array([p.per_month for p in investee.products])[contracts.product]
    dsti = np.clip(rng.lognormal(math.log(investee.dsti_median), 0.45, n), 0.04, 0.95)
    owner_share, person = _people(investee, cast, position, n, rng, seed)
    decimals = _decimals(investee.country)
    return LoanBook(
        product=contracts.product,
        disbursed=contracts.disbursed,
        outstanding=np.round(contracts.balance(paid), decimals),
        days_past_due=dpd,
        restructured=restructured,
        written_off=written_off,
        age_days=np.round(age).astype(np.int64),
        term_days=np.round(contracts.installments * days).astype(np.int64),
        installment=np.round(installment, decimals),
        income=_nice(installment * per_month / dsti, _money_unit(investee.country) / 10),
        other_loans=rng.choice(4, size=n, p=_normalised(investee.other_lenders_p)),
        female=_unit_interval(person, 0) < owner_share[0],
        rural=_unit_interval(person, 16) < owner_share[1],
        branch=rng.integers(len(investee.country.branches), size=n),
        client_number=investee.client_base + position * _churn(investee) + np.arange(n),
        person=person,
    )


@dataclass
class Contracts:
    """Each loan's contract: its product's terms and the amount disbursed."""

    product: np.ndarray
    installments: np.ndarray
    period_days: np.ndarray
    rate: np.ndarray  # per installment period
    flat: np.ndarray
    disbursed: np.ndarray

    def balance(self, paid: np.ndarray) -> np.ndarray:
        """Principal still owed after `paid` installments (flat: equal principal; else annuity)."""
        amount, n, rate = self.disbursed, self.installments, self.rate
        growth_n = (1 + rate) ** n
        annuity = amount * (growth_n - (1 + rate) ** paid) / np.where(rate > 0, growth_n - 1, 1)
        return np.where(self.flat | (rate <= 0), amount * (n - paid) / n, annuity)

    def installment(self) -> np.ndarray:
        amount, n, rate = self.disbursed, self.installments, self.rate
        annuity = amount * rate / (1 - (1 + rate) ** -n)
        return np.where(self.flat, amount / n + amount * rate, annuity)


def _contracts(investee: Investee, position: int, rng: np.random.Generator) -> Contracts:
    products = investee.products
    product = rng.choice(len(products), size=investee.book_size, p=_normalised([p.share for p in products]))

    def per_loan(values) -> np.ndarray:
        return np.array(values)[product]

    size = per_loan([p.fields["loan_amount"] for p in products]) * (1 + investee.growth) ** position
    return Contracts(
        product=product,
        installments=per_loan([p.fields["installments"] for p in products]),
        period_days=per_loan([p.period_days for p in products]),
        rate=per_loan([p.period_rate for p in products]),
        flat=per_loan([p.fields["interest_method"] == "flat" for p in products]),
        disbursed=_nice(size * rng.lognormal(0, 0.35, product.size), _money_unit(investee.country)),
    )


def _repayment(investee: Investee, position: int, contracts: Contracts, rng: np.random.Generator):
    """Installments paid, days past due, restructured and written-off flags of each loan.

    Loans fall more than 30 days behind until their balances reach the quarter's PAR30
    target; a few more are a little late, restructured while current, or written off.
    """
    n = contracts.product.size
    paid = np.floor(rng.random(n) * contracts.installments)
    dpd = np.zeros(n, dtype=np.int64)
    restructured = np.zeros(n, dtype=bool)
    written_off = np.zeros(n, dtype=bool)

    order, dpd_late, paid_late = _arrears(n, contracts.installments, rng)
    at_risk = _par30_target(investee, position) * contracts.balance(paid).sum()
    in_par = _pick_until(order, contracts.balance(paid_late), at_risk)
    dpd[in_par] = dpd_late[in_par]
    paid[in_par] = paid_late[in_par]
    restructured[in_par] = rng.random(in_par.size) < 0.2

    current = np.flatnonzero(dpd == 0)
    rng.shuffle(current)
    n_early, n_restructured, n_written_off = (round(n * rng.uniform(*share)) for share in ((0.02, 0.05), (0.003, 0.015), (0.003, 0.012)))
    early = current[:n_early]
    dpd[early] = rng.integers(1, 31, early.size)
    restructured[current[n_early : n_early + n_restructured]] = True
    gone = current[n_early + n_restructured :][:n_written_off]
    written_off[gone] = True
    dpd[gone] = rng.integers(181, 366, gone.size)
    paid[gone] = paid_late[gone]
    return paid, dpd, restructured, written_off


def _arrears(n: int, installments: np.ndarray, rng: np.random.Generator):
    """A random order of loans to fall behind, with their days late and installments paid.

    The first two always land in 31–90 and over 90 days, so PAR90 < PAR30 in any book.
    """
    order = rng.permutation(n)
    over_90 = rng.random(n) < rng.uniform(0.35, 0.6)
    dpd = np.where(over_90, rng.integers(91, 361, n), rng.integers(31, 91, n))
    dpd[order[:2]] = (60, 120)
    paid = np.floor(rng.random(n) * installments)
    return order, dpd, paid


def _pick_until(order: np.ndarray, balance: np.ndarray, amount: float) -> np.ndarray:
    """The first loans of `order` whose balances add up to about `amount` (at least two)."""
    cumulative = np.cumsum(balance[order])
    return order[: max(2, int(np.searchsorted(cumulative, amount)))]


def _par30_target(investee: Investee, position: int) -> float:
    return float(np.clip(investee.par30_start + investee.par30_trend * position, 0.012, 0.16))


def _churn(investee: Investee) -> int:
    """Clients leaving (and joining) each quarter."""
    return max(1, round(investee.book_size * investee.exit_rate))


def _people(investee, cast, position, n, rng, seed):
    """Identity hash of each borrower and the (women, rural) shares of who she banks with.

    A few borrowers are clients of the partner investee in the same market too: they get
    the partner's person hash, hence the same national id, name and phone at both.
    """
    owner = np.full(n, investee.index, dtype=np.uint64)
    local = position * _churn(investee) + np.arange(n, dtype=np.uint64)
    if investee.partner is not None:
        partner = cast[investee.partner]
        shared = rng.random(n) < investee.shared_share
        owner[shared] = partner.index
        local[shared] = position * _churn(partner) + rng.integers(0, partner.book_size, int(shared.sum()), dtype=np.uint64)
    person = _mix(_mix(np.uint64(seed) * np.uint64(1_000_003) + owner) ^ local)
    women = np.array([i.women_share for i in cast])[owner.astype(np.int64)]
    rural = np.array([i.rural_share for i in cast])[owner.astype(np.int64)]
    return (women, rural), person


def _mix(x) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread integer hash (wraps modulo 2**64)."""
    x = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unit_interval(person: np.ndarray, shift: int) -> np.ndarray:
    return ((person >> np.uint64(shift)) & np.uint64(0xFFFF)) / 65536


def _normalised(weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()


def _portfolio(
    investee: Investee,
    book: LoanBook,
    position: int,
    period_end: date,
    previous: dict | None,
    rng: np.random.Generator,
) -> dict:
    """The Portfolio sheet: the book's totals plus the flows of the quarter."""
    decimals = _decimals(investee.country)
    active = book.active
    new = active & (book.age_days <= (period_end - quarter_start(period_end)).days)
    borrowers = int(active.sum())
    glp = round(float(book.outstanding[active].sum()), decimals)
    par30 = _sum(book.outstanding, active & ((book.days_past_due > 30) | book.restructured))
    glp_start = previous["gross_loan_portfolio"] if previous else round(glp / (1 + investee.growth), decimals)
    clients_start = previous["active_borrowers"] if previous else round(borrowers * 0.98)
    weighted_apr = sum(p.apr_pct * p.share for p in investee.products)
    avg_glp = (glp + glp_start) / 2
    return {
        "active_borrowers": borrowers,
        "active_borrowers_women": int((active & book.female).sum()),
        "active_borrowers_rural": int((active & book.rural).sum()),
        "gross_loan_portfolio": glp,
        "gross_loan_portfolio_start": glp_start,
        "par30": round(par30, decimals),
        "par90": round(_sum(book.outstanding, active & (book.days_past_due > 90)), decimals),
        "restructured_portfolio": round(_sum(book.outstanding, active & book.restructured), decimals),
        "write_offs_period": round(_sum(book.outstanding, book.written_off), decimals),
        "loan_loss_reserve": round(par30 * rng.uniform(0.7, 1.3), decimals),
        "loans_disbursed_period": int(new.sum()),
        "amount_disbursed_period": round(_sum(book.disbursed, new), decimals),
        "interest_fee_income_period": round(avg_glp * weighted_apr / 100 * investee.yield_factor / 4, decimals),
        "operating_expenses_period": round(avg_glp * rng.uniform(0.12, 0.3) / 4, decimals),
        "loan_officers": _loan_officers(borrowers, investee.caseload),
        "clients_start_period": clients_start,
        "clients_exited_period": min(clients_start, _churn(investee)),
        "credit_bureau_checked_pct": round(rng.uniform(80, 100), 1),
        "multiple_lender_borrowers_pct": round(100 * float((book.other_loans[active] > 0).mean()), 1),
        "data_breaches_period": int(rng.random() < 0.05),
        "staff_trained_cp_pct": round(rng.uniform(65, 100)),
    }


def _loan_officers(borrowers: int, caseload: float) -> int:
    """Officers for the investee's usual caseload, kept within the 150–600 borrowers seen in the field."""
    fewest, most = math.ceil(borrowers / 600), max(1, borrowers // 150)
    return max(1, min(max(round(borrowers / caseload), fewest), most))


def _sum(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].sum())


def _product_rows(investee: Investee, book: LoanBook) -> list[dict]:
    decimals = _decimals(investee.country)
    rows = []
    for k, product in enumerate(investee.products):
        mine = book.active & (book.product == k)
        rows.append(
            {
                **product.fields,
                "active_loans": int(mine.sum()),
                "outstanding_portfolio": round(_sum(book.outstanding, mine), decimals),
            }
        )
    return rows


# Practices that do not apply to some investees, and the test for it.
_NOT_APPLICABLE: dict[str, Callable[[Investee], bool]] = {
    "CP4.3a": lambda i: not any(p.fields["insurance_pct"] or p.fields["compulsory_savings_pct"] for p in i.products),
    "CP5.4b": lambda i: not any(p.fields["insurance_pct"] for p in i.products),
    "CP5.3b": lambda i: all(p.fields["lending_method"] == "group" for p in i.products),
}


def _assessment(investee: Investee, rng: np.random.Generator, language: str) -> list[dict]:
    labels = RESPONSE_LABELS[language]
    rows = []
    for indicator in load_catalogue():
        answer = _answer(investee, indicator, rng)
        row = {"indicator_code": indicator.code, "response": labels[answer]}
        if answer in ("Yes", "Partially"):
            row["evidence"] = EVIDENCE[language].get(indicator.code, GENERIC_EVIDENCE[language])
        if answer in ("Partially", "No"):
            row["comment"] = str(rng.choice(GAP_COMMENTS[language]))
        if answer == "N/A":
            row["comment"] = NOT_APPLICABLE_COMMENT[language]
        rows.append(row)
    return rows


def _answer(investee: Investee, indicator: Indicator, rng: np.random.Generator) -> str:
    """Mostly Yes; gaps are Partially more often than No; N/A only where it is allowed."""
    not_applicable = _NOT_APPLICABLE.get(indicator.code)
    if indicator.na_allowed and not_applicable and not_applicable(investee):
        return "N/A"
    if indicator.code == investee.weak_essential:
        return "No"
    p_yes = 0.92 if indicator.essential else investee.cp_maturity
    if rng.random() < p_yes:
        return "Yes"
    if indicator.essential or rng.random() < 0.75:
        return "Partially"
    return "No"


def _complaints(investee: Investee, borrowers: int, rng: np.random.Generator) -> list[dict]:
    expected = borrowers * investee.complaints_per_1000 / 1000 / 4
    received = rng.multinomial(rng.poisson(expected), list(COMPLAINT_WEIGHTS.values()))
    resolved = rng.binomial(received, rng.uniform(0.85, 1.0))
    on_time = rng.binomial(resolved, rng.uniform(0.75, 0.98))
    return [
        {"category": c, "received": int(r), "resolved": int(s), "resolved_within_30d": int(t)}
        for c, r, s, t in zip(COMPLAINT_WEIGHTS, received, resolved, on_time, strict=True)
    ]


# --- defects ----------------------------------------------------------------------------


def _plan_defects(count: int, seed: int) -> dict[int, Callable[[Submission], None]]:
    """Which investee gets which defect in the last quarter: one invalid, two warned."""
    order = np.random.default_rng([seed, 4]).permutation(count)
    plan = (_swap_par_and_drop_legal_form, _pct_as_fraction, _yes_without_evidence)
    return {int(i): defect for i, defect in zip(order, plan, strict=False)}


def _swap_par_and_drop_legal_form(submission: Submission) -> None:
    """Invalid: PAR30 and PAR90 rows swapped (PAR90 > PAR30) and legal_form left blank."""
    p = submission.portfolio
    p["par30"], p["par90"] = p["par90"], p["par30"]
    submission.cover["legal_form"] = None


def _pct_as_fraction(submission: Submission) -> None:
    """Warning: a share written as a fraction (0.25) in a percent field."""
    p = submission.portfolio
    p["multiple_lender_borrowers_pct"] = round(p["multiple_lender_borrowers_pct"] / 100, 3)


def _yes_without_evidence(submission: Submission) -> None:
    """Warning: two Yes answers without evidence."""
    yes = RESPONSE_LABELS[submission.investee.country.language]["Yes"]
    for row in [r for r in submission.assessment if r["response"] == yes][:2]:
        row["evidence"] = None


# --- writing ----------------------------------------------------------------------------


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
