"""The sample cast, loaded once from `cast.yaml`: countries, product archetypes and the texts investees write.

The YAML holds the data; this module gives it types. Lists become tuples, so the frozen
dataclasses hold no mutable lists, and mappings keep the YAML's order, which the seeded
draws depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CAST_PATH = Path(__file__).with_name("cast.yaml")


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


def _frozen(value):
    """Lists as tuples, at any depth; mappings keep their keys and order."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def _load(path: Path = CAST_PATH) -> dict:
    return _frozen(yaml.safe_load(path.read_text(encoding="utf-8")))


_CAST = _load()

COUNTRIES: dict[str, Country] = {code: Country(code=code, **raw) for code, raw in _CAST["countries"].items()}

# Who reports, in order: two pairs share a market, so some borrowers hold loans at both.
CAST_COUNTRIES: tuple[str, ...] = _CAST["cast_countries"]

# The first is a group lender's main product, the second an individual lender's.
ARCHETYPES: tuple[Archetype, ...] = tuple(Archetype(code=code, **raw) for code, raw in _CAST["archetypes"].items())

COMPLAINT_WEIGHTS: dict[str, float] = _CAST["complaint_weights"]

# The document an investee cites for each practice, by language.
EVIDENCE: dict[str, dict[str, str]] = _CAST["evidence"]
# Cited for an indicator the catalogue gained after this list was written.
GENERIC_EVIDENCE: dict[str, str] = _CAST["generic_evidence"]

GAP_COMMENTS: dict[str, tuple[str, ...]] = _CAST["gap_comments"]
NOT_APPLICABLE_COMMENT: dict[str, str] = _CAST["not_applicable_comment"]
