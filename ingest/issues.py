"""A problem found in a workbook, addressed to the person who will fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Issue:
    sheet: str
    cell: str  # "B12", "" when the problem is the whole sheet or file
    severity: str  # error | warning | info
    rule: str  # machine code, e.g. "required", "not_a_number"
    message: str  # one plain sentence: what was found and what is expected

    def as_row(self) -> dict:
        return asdict(self)


def has_errors(issues: list[Issue]) -> bool:
    return any(i.severity == ERROR for i in issues)
