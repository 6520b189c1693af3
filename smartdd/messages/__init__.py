"""Every problem smartdd reports is a code with parameters; this renders it in English, French or Spanish.

The catalogues (`en.yaml`, `fr.yaml`, `es.yaml`, side by side) are the one source of the words:
- `messages`: one template per code, in `str.format` syntax over the code's parameters;
- `phrases`: parts of a message chosen by a parameter (`{problem!p}`: the phrase named by `problem`);
- `suffixes`: added when their parameter is present (`found`: " Found: …");
- `fields`: each spec field's label, and `descriptions` the form a patterned field takes;
- `expected`: what a code's rule expects, said short (the feedback's "what is expected" column),
  keyed by message code or by reading phrase (`{x!e}`: the expectation named by `x`).

Conversions and format specs the templates use, beyond Python's own:
`{x!f}` a field: its code, or for the investee its label with the code in brackets;
`{x!q}` a field in quotes ('code'), or its label and code; `{x!p}` a phrase; `{x!d}` a field's
expected form; `{x!a}` a self-assessment answer (or a list of values, answers among them) as the
template in that language offers it;
`{n:mb}` a size in MB; `{x:cap}` capitalised; `{xs:and}` a list joined with "and"; numbers are
written in the language's way (1,234.5 / 1 234,5). Parameters are JSON: no loan-tape value
is ever one of them (the callers name the cell instead).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import string
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # the records import pyarrow: a parsing worker that only words a rejection does without
    from smartdd.records import Issue

LANGUAGES = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"
CATALOGUE_DIR = Path(__file__).parent
MiB = 2**20
_NARROW_NBSP = "\u202f"


@cache
def catalogue(lang: str) -> dict:
    data = yaml.load((CATALOGUE_DIR / f"{lang}.yaml").read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {section: data.get(section) or {} for section in ("messages", "phrases", "suffixes", "fields", "descriptions", "words", "expected")}


def language(*candidates: object) -> str:
    """The first candidate that is a catalogue language (the Cover's, then the template's), else English."""
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip().lower() in LANGUAGES:
            return candidate.strip().lower()
    return DEFAULT_LANGUAGE


def render(code: str, params: dict | None = None, lang: str = DEFAULT_LANGUAGE, labels: bool = False) -> str:
    """The message of `code` in `lang`. `labels`: fields by their label and [code] (for the investee), else by code."""
    lang = language(lang)
    params = dict(params or {})
    words = catalogue(lang)
    text = _Formatter(lang, labels, params).format(words["messages"][code], **params)
    if text.endswith(".."):  # an abbreviation ends the sentence: "S.O."
        text = text[:-1]
    for key, suffix in words["suffixes"].items():
        if params.get(key) is not None:
            text += _Formatter(lang, labels, params).format(suffix, **params)
    return text


def phrase(key: str, params: dict | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A phrase of the catalogue (a part of a message) on its own, e.g. as an exception's text."""
    params = dict(params or {})
    return _Formatter(language(lang), False, params).format(catalogue(language(lang))["phrases"][key], **params)


def field_label(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A field's label in `lang`, with its code in brackets: "Legal form [legal_form]"."""
    label = catalogue(language(lang))["fields"].get(name)
    return f"{label} [{name}]" if label else name


def expectation(code: str, params: dict | None = None, lang: str = DEFAULT_LANGUAGE, labels: bool = True) -> str:
    """What the rule of `code` expects, said short in `lang` ("a number ≥ 0"); "" when the code states none."""
    lang = language(lang)
    params = dict(params or {})
    template = catalogue(lang)["expected"].get(code)
    return _Formatter(lang, labels, params).format(template, **params) if template else ""


def expectation_of(issue: Issue, lang: str = DEFAULT_LANGUAGE) -> str:
    """An issue's expectation for the investee in `lang`; "" for an issue with no code or none to state."""
    if not issue.code:
        return ""
    try:
        return expectation(issue.code, json.loads(issue.params or "{}"), lang)
    except (KeyError, IndexError, ValueError, TypeError):  # a parameter it needs is missing: say nothing rather than fail
        return ""


def render_issue(issue: Issue, lang: str = DEFAULT_LANGUAGE) -> str:
    """An issue's message for the investee in `lang`; an issue with no code (made by hand) keeps its text."""
    if not issue.code:
        return issue.message
    return render(issue.code, json.loads(issue.params or "{}"), lang, labels=True)


def problem(sheet: str, cell: str, severity: str, code: str, /, *, rule: str | None = None, **params) -> Issue:
    """An Issue of `code` with its parameters and its English message; `rule` defaults to the code."""
    from smartdd.records import Issue

    params = jsonable(params)
    return Issue(sheet, cell, severity, rule or code, render(code, params), code=code, params=json.dumps(params, ensure_ascii=False, sort_keys=True))


def restated(issue: Issue, /, **changes) -> Issue:
    """The issue with some parameters changed, its English message rendered again."""
    from smartdd.records import Issue

    params = {**json.loads(issue.params or "{}"), **jsonable(changes)}
    return Issue(
        issue.sheet,
        issue.cell,
        issue.severity,
        issue.rule,
        render(issue.code, params),
        code=issue.code,
        params=json.dumps(params, ensure_ascii=False, sort_keys=True),
    )


class Said(str):
    """An English sentence that keeps its code and parameters, so it can be said again in another language.

    Used where a reason travels as text (a `RejectedFile`'s reason, a refused landing entry).
    """

    code: str
    params: dict

    def __new__(cls, code: str, /, **params) -> Said:
        params = jsonable(params)
        said = super().__new__(cls, render(code, params))
        said.code, said.params = code, params
        return said

    def __reduce__(self):
        return (_said, (self.code, self.params))

    def in_language(self, lang: str, labels: bool = True) -> str:
        return render(self.code, self.params, lang, labels)


def _said(code: str, params: dict) -> Said:
    return Said(code, **params)


def code_of(text: str) -> tuple[str, dict] | None:
    """The code of an English sentence without parameters (a reason that travelled as plain text), else None."""
    if isinstance(text, Said):
        return text.code, text.params
    for code, template in catalogue(DEFAULT_LANGUAGE)["messages"].items():
        if "{" not in template and template == text:
            return code, {}
    return None


def jsonable(params: dict) -> dict:
    """Parameters as JSON values: numpy and pandas scalars as Python ones, dates as ISO text, whole floats as ints."""
    return {k: _plain(v) for k, v in params.items()}


def _plain(value):
    if isinstance(value, Said):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, float)):  # a numpy scalar
        value = value.item()
    if isinstance(value, dt.datetime) or type(value).__name__ == "Timestamp":
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return str(value)


class _Formatter(string.Formatter):
    def __init__(self, lang: str, labels: bool, params: dict):
        self.lang, self.labels, self.params, self.words = lang, labels, params, catalogue(lang)

    def get_value(self, key, args, kwargs):
        return kwargs[key]

    def convert_field(self, value, conversion):
        if conversion == "f":
            return field_label(value, self.lang) if self.labels else value
        if conversion == "q":
            return field_label(value, self.lang) if self.labels else f"'{value}'"
        if conversion == "p":
            return _Formatter(self.lang, self.labels, self.params).format(self.words["phrases"][value], **self.params)
        if conversion == "e":
            return _Formatter(self.lang, self.labels, self.params).format(self.words["expected"].get(value, ""), **self.params)
        if conversion == "d":
            return self.words["descriptions"].get(value) or _spec_description(value)
        if conversion == "a":
            from smartdd.spec.template import RESPONSE_LABELS  # the answers as the template offers them

            labels = RESPONSE_LABELS[self.lang]
            return [labels.get(v, v) for v in value] if isinstance(value, list) else labels.get(value, value)
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        if format_spec == "mb":
            return self._number(f"{value / MiB:,.1f}" if value < 10 * MiB else f"{value / MiB:,.0f}") + " " + self.words["words"]["mb"]
        if format_spec == "cap":
            text = str(value)
            return text[:1].upper() + text[1:]
        if format_spec == "and" and isinstance(value, list):
            items = [str(v) for v in value]
            return items[0] if len(items) < 2 else ", ".join(items[:-1]) + f" {self.words['words']['and']} " + items[-1]
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._number(format(value, format_spec))
        return str(value)

    def _number(self, text: str) -> str:
        if self.lang == "en":
            return text
        return text.replace(",", "\0").replace(".", ",").replace("\0", _NARROW_NBSP)


def _spec_description(name: str) -> str:
    from smartdd.spec import load_spec

    for sheet in load_spec().sheets:
        for f in sheet.fields:
            if f.name == name:
                return f.description
    return name


def reason_issue(reason: str, rule: str, severity: str = "error", sheet: str = "", cell: str = "") -> Issue:
    """An issue saying `reason` (a `Said` keeps its code and parameters; other text is kept as it is)."""
    from smartdd.records import Issue

    known = code_of(reason)
    if known is None:
        return Issue(sheet, cell, severity, rule, str(reason))
    return problem(sheet, cell, severity, known[0], rule=rule, **known[1])
