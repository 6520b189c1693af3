"""The methodology as applied (the dbt seeds of one methodology version), for texts and the appendix.

The scores themselves come from the marts; the reports read the seeds only for what the marts do
not carry: the practice each indicator attests (in three languages), the thresholds, bands and
flag rules printed in the methodology appendix.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from smartdd.paths import SEEDS_DIR


@cache
def _rows(seed: str, version: str) -> tuple[dict, ...]:
    with (SEEDS_DIR / f"{seed}.csv").open(encoding="utf-8", newline="") as f:
        return tuple(r for r in csv.DictReader(f) if r.get("methodology_version", version) == version)


@dataclass(frozen=True)
class Methodology:
    version: str

    @property
    def principles(self) -> dict[str, str]:
        return {r["principle_code"]: r["principle_name"] for r in _rows("cp_principles", self.version)}

    @property
    def indicators(self) -> list[dict]:
        return list(_rows("cp_indicators", self.version))

    def indicator_text(self, code: str, lang: str = "en") -> str:
        for r in _rows("cp_indicators", self.version):
            if r["indicator_code"] == code:
                return r.get(f"text_{lang}") or r["text_en"]
        return ""

    @property
    def thresholds(self) -> list[dict]:
        return list(_rows("metric_thresholds", self.version))

    @property
    def flag_rules(self) -> list[dict]:
        return list(_rows("red_flag_rules", self.version))

    def flag_description(self, flag_code: str) -> str:
        return next((r["description"] for r in self.flag_rules if r["flag_code"] == flag_code), flag_code)

    @property
    def rating_bands(self) -> list[dict]:
        return sorted(_rows("rating_bands", self.version), key=lambda r: -float(r["min_score"]))

    @property
    def severities(self) -> list[dict]:
        return sorted(_rows("red_flag_severities", self.version), key=lambda r: int(r["severity_order"]))

    @property
    def screenings(self) -> dict[str, dict]:
        return {r["screening"]: r for r in _rows("screening_outcomes", self.version)}

    @property
    def parameters(self) -> dict[str, str]:
        return {r["parameter"]: r["value"] for r in _rows("methodology_parameters", self.version)}

    def band_of(self, rating: str) -> tuple[float, float | None]:
        """The score range [low, high) of a rating band (high None for the top band)."""
        bands = self.rating_bands
        for i, band in enumerate(bands):
            if band["rating"] == rating:
                return float(band["min_score"]), (float(bands[i - 1]["min_score"]) if i else None)
        return 0.0, None

    def band_screening(self, rating: str) -> str:
        return next((b["screening"] for b in self.rating_bands if b["rating"] == rating), "")

    def capping_severities(self) -> dict[str, str]:
        """Severity -> the rating a flag of it caps at (critical -> C by default)."""
        return {s["severity"]: s["rating_cap"] for s in self.severities if s["rating_cap"]}

    def severity_screening(self) -> dict[str, str]:
        return {s["severity"]: s["screening"] for s in self.severities}
