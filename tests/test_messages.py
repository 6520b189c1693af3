"""The message catalogue: every code in English, French and Spanish with the same parameters, every
code the code uses in the catalogue, every spec field labelled in every language."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest

from smartdd.messages import LANGUAGES, Said, catalogue, expectation, field_label, problem, render
from smartdd.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [p for folder in ("smartdd", "ingest", "expectations", "reports") for p in (ROOT / folder).rglob("*.py")]
SECTIONS = ("messages", "phrases", "suffixes", "expected")


def _placeholders(template: str) -> set[tuple[str, str | None]]:
    """The parameters a template uses, with their conversion (a field, a phrase...)."""
    return {(name, conversion) for _, name, _, conversion in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("section", SECTIONS)
def test_every_code_exists_in_every_language_with_the_same_parameters(lang, section):
    english, other = catalogue("en")[section], catalogue(lang)[section]
    assert set(other) == set(english), f"{lang}.yaml {section}: missing {set(english) - set(other)}, extra {set(other) - set(english)}"
    for code, template in english.items():
        assert _placeholders(other[code]) == _placeholders(template), f"{lang}.yaml {section}.{code}: not the same parameters as in English"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_spec_field_has_a_label_and_every_patterned_field_its_form(lang):
    fields = {f.name for sheet in load_spec().sheets for f in sheet.fields}
    assert set(catalogue(lang)["fields"]) == fields
    if lang != "en":  # English says the form with the spec's description
        assert {f.name for sheet in load_spec().sheets for f in sheet.fields if f.pattern} <= set(catalogue(lang)["descriptions"])
    assert field_label("legal_form", lang).endswith(" [legal_form]")


def _names(template: str) -> set[str]:
    return {name for name, _ in _placeholders(template)}


def test_every_expectation_is_of_a_code_and_uses_only_its_parameters():
    """`expected` (the feedback's "what is expected") is keyed by a message code, or by a reading phrase
    (`{problem!e}`); it can say only what the code's parameters hold."""
    words = catalogue("en")
    for key, template in words["expected"].items():
        source = words["messages"].get(key, words["phrases"].get(key))
        assert source is not None, f"expected.{key}: neither a message code nor a phrase"
        assert _names(template) <= _names(source), f"expected.{key}: a parameter its code does not have"
    assert _unreadable_phrases() <= set(words["expected"])  # `{problem!e}`: each reason a cell is unreadable has its expectation


def _unreadable_phrases() -> set[str]:
    """The phrases a cell that cannot be read as its type is said with (Unreadable, Implausible)."""
    found = set()
    for path in SHIPPED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Unreadable", "Implausible") and node.args:
                if isinstance(node.args[0], ast.Constant):
                    found.add(node.args[0].value)
    assert len(found) > 5
    return found


def test_the_expectation_is_said_in_each_language():
    params = {"field": "response", "values": ["Yes", "Partially", "No"]}
    assert [expectation("one_of", params, lang) for lang in LANGUAGES] == [
        "one of: Yes, Partially, No",
        "l'une de ces valeurs : Oui, Partiellement, Non",
        "uno de estos valores: Sí, Parcialmente, No",
    ]
    assert expectation("at_least", {"field": "par30", "min": 0}, "fr") == "un nombre ≥ 0"
    assert expectation("unreadable_cell", {"field": "loan_amount", "problem": "not_a_number"}, "es") == "un número"
    assert expectation("corrupt", {}, "fr") == ""  # a file that cannot be read: nothing to expect of a cell


def _literal_codes() -> dict[str, set[str]]:
    """Codes written in the code: the first argument of a problem/Said, the phrase of an Unreadable or BrokenXml,
    and the `code` of a suite's expectation or a phrase parameter (`problem=`, `expected=`, `how=`, `part=`)."""
    found: dict[str, set[str]] = {"messages": set(), "phrases": set()}
    for path in SHIPPED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name == "problem" and len(node.args) >= 4 and isinstance(node.args[3], ast.Constant):
                found["messages"].add(node.args[3].value)
            elif name == "Said" and args:
                found["messages"].add(args[0])
            elif name in ("Unreadable", "Implausible", "BrokenXml") and args:
                found["phrases"].add(args[0])
            for keyword in node.keywords:
                if keyword.arg in ("problem", "expected", "how", "part") and isinstance(keyword.value, ast.Constant):
                    found["phrases"].add(keyword.value.value)
    return found


def test_every_code_used_in_the_code_is_in_the_catalogue():
    found = _literal_codes()
    assert len(found["messages"]) > 40 and len(found["phrases"]) > 5  # the scan sees the call sites
    for section, codes in found.items():
        assert codes <= set(catalogue("en")[section]), f"not in the catalogue's {section}: {codes - set(catalogue('en')[section])}"


def test_every_suite_expectation_names_a_catalogue_code():
    for path in (ROOT / "expectations" / "suites").glob("*.json"):
        for suite_expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            meta = suite_expectation["meta"]
            assert meta["code"] in catalogue("en")["messages"], (path.name, meta)
            for lang in LANGUAGES:
                bounds = dict.fromkeys(meta.get("bound_params", {}), "2026-09-30")  # taken from the workbook
                render(meta["code"], {**meta["params"], **bounds, "found": 1}, lang, labels=True)  # every parameter it needs is there
                assert expectation(meta["code"], {**meta["params"], **bounds}, lang), meta  # and what it expects, said


def test_english_is_the_warehouse_wording_and_the_investee_reads_labels():
    issue = problem("Portfolio", "C12", "error", "not_above", rule="column_pair_values_a_to_be_greater_than_b", field="par90", other="par30", found=32221.1)
    assert issue.message == "par90 must be ≤ par30. Found: 32,221.1."
    assert json.loads(issue.params) == {"field": "par90", "other": "par30", "found": 32221.1}
    assert render(issue.code, json.loads(issue.params), "fr", labels=True) == (
        "Le champ Portefeuille à risque à plus de 90 jours [par90] doit être ≤ Portefeuille à risque à plus de 30 jours [par30]. Valeur trouvée : 32\u202f221,1."
    )
    assert render(issue.code, json.loads(issue.params), "es", labels=True).startswith("El campo Cartera en riesgo a más de 90 días [par90] debe ser ≤")


def test_a_reason_keeps_its_code_across_processes():
    import pickle

    reason = Said("too_large", size=200 * 2**20, limit=100 * 2**20)
    again = pickle.loads(pickle.dumps(reason))
    assert (
        again
        == reason
        == "The file is too large (200 MB; the limit is 100 MB). Delete unused sheets, rows, columns and pictures, save the workbook and send it again."
    )
    assert again.code == "too_large" and again.in_language("fr").startswith("Le fichier est trop volumineux (200 Mo")
