"""The submission spec, loaded once from `submission_spec.yaml`.

Everything that knows about sheets and fields (template writer, reader, expectation suites,
sample generator, raw-zone schema, dbt source docs) asks this module, so adding a field is
one edit of the YAML.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from smartdd.methodology import methodology_version as current_methodology_version
from smartdd.paths import SEEDS_DIR

SPEC_PATH = Path(__file__).with_name("submission_spec.yaml")
CATALOGUE_PATH = SEEDS_DIR / "cp_indicators.csv"

# Parquet / DuckDB type of each spec type.
SQL_TYPES = {
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "int": "BIGINT",
    "number": "DOUBLE",
    "pct": "DOUBLE",
    "date": "DATE",
    "yn": "BOOLEAN",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool | str = False
    description: str = ""
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    le: str | None = None
    ge: str | None = None
    values: tuple[str, ...] = ()
    pattern: str | None = None
    pii: str | None = None  # "drop" or "hash"
    unique: bool = False
    ref: str | None = None
    default: object = None
    quarter_end: bool = False

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @property
    def always_required(self) -> bool:
        return self.required is True

    def required_when(self, row: dict) -> bool:
        """Evaluate a conditional requirement such as "currency != USD" against a row."""
        if isinstance(self.required, bool):
            return self.required
        match = re.fullmatch(r"\s*(\w+)\s*(==|!=)\s*(\S+)\s*", self.required)
        if not match:
            raise ValueError(f"bad condition in spec for {self.name}: {self.required!r}")
        other, op, value = match.groups()
        actual = row.get(other)
        if actual is None:
            return False
        return (str(actual) == value) == (op == "==")


@dataclass(frozen=True)
class Sheet:
    name: str
    kind: str  # "key_value" or "table"
    required: bool
    description: str
    fields: tuple[Field, ...]
    min_rows: int = 0
    display_columns: tuple[str, ...] = ()

    @property
    def table_name(self) -> str:
        """Name of the raw-zone table (and dbt source) for this sheet."""
        return self.name.lower()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        """Fields that reach the raw zone (PII marked `drop` never does)."""
        return tuple(f for f in self.fields if f.pii != "drop")


@dataclass(frozen=True)
class Plausibility:
    """Bounds outside which a value is a mistake whatever its field's rules: one place, the YAML's `plausibility`."""

    max_abs_number: float  # |x| of any number, int or pct field
    earliest_date: dt.date  # of any date field
    not_after_receipt: tuple[str, ...]  # "Sheet.field" dates that cannot be after the day of receipt
    receipt_grace_days: int
    max_maturity_years: int  # Loan_Tape.maturity_date after Cover.period_end

    def latest_date(self, received: dt.date) -> dt.date:
        """The last plausible day for a `not_after_receipt` date of a file received on `received`."""
        return received + dt.timedelta(days=self.receipt_grace_days)


@dataclass(frozen=True)
class Spec:
    version: int
    template_version: str
    sheets: tuple[Sheet, ...]
    plausibility: Plausibility
    synonyms: dict = field(default_factory=dict)
    instructions_sheet: str = "README"

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)


def _field(name: str, raw: dict) -> Field:
    raw = dict(raw)
    raw["values"] = tuple(str(v) for v in raw.get("values", ()))
    return Field(name=name, **raw)


@cache
def load_spec(path: Path = SPEC_PATH) -> Spec:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sheets = []
    for name, raw in data["sheets"].items():
        sheets.append(
            Sheet(
                name=name,
                kind=raw["kind"],
                required=raw["required"],
                description=raw.get("description", ""),
                fields=tuple(_field(fname, f) for fname, f in raw["fields"].items()),
                min_rows=raw.get("min_rows", 0),
                display_columns=tuple(raw.get("display_columns", ())),
            )
        )
    return Spec(
        version=data["version"],
        template_version=data["template_version"],
        sheets=tuple(sheets),
        synonyms=data.get("synonyms", {}),
        instructions_sheet=data.get("instructions_sheet", "README"),
        plausibility=_plausibility(data["plausibility"]),
    )


def _plausibility(raw: dict) -> Plausibility:
    return Plausibility(**{**raw, "max_abs_number": float(raw["max_abs_number"]), "not_after_receipt": tuple(raw["not_after_receipt"])})


@dataclass(frozen=True)
class Indicator:
    code: str
    principle_code: str
    essential: bool
    na_allowed: bool
    weight: float
    text: dict[str, str]


@cache
def load_catalogue(path: Path = CATALOGUE_PATH, methodology_version: str | None = None) -> tuple[Indicator, ...]:
    """The CP indicator catalogue of one methodology version (default: the one in force); the dbt seed is its only copy."""
    methodology_version = methodology_version or current_methodology_version()
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["methodology_version"] == methodology_version]
    return tuple(
        Indicator(
            code=r["indicator_code"],
            principle_code=r["principle_code"],
            essential=r["is_essential"].lower() == "true",
            na_allowed=r["is_na_allowed"].lower() == "true",
            weight=float(r["weight"]),
            text={lang: r[f"text_{lang}"] for lang in ("en", "fr", "es")},
        )
        for r in rows
    )


def normalise_name(name: object) -> str:
    """Match names case-insensitively, ignoring spaces and underscores (spec rule)."""
    return re.sub(r"[\s_]+", "", str(name or "")).lower()
