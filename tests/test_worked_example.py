"""The worked example reads only relations the dbt exposure `worked_example` declares.

It reads intermediate and staging models besides the marts; the exposure makes dbt parse fail
when one of them is renamed, and these tests keep the exposure and queries.RELATIONS equal and
every query's relation in RELATIONS.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from smartdd.reports.worked_example import queries

from smartdd.config import DBT_PROJECT_DIR

EXPOSURES = DBT_PROJECT_DIR / "models" / "marts" / "_exposures.yml"
PACKAGE = Path(queries.__file__).parent
# schema.name of the warehouse; the lookbehind skips dotted module paths, the name filter methodology.md
_RELATION = re.compile(r"(?<![\w.])(marts|intermediate|staging|methodology)\.([a-z_][a-z0-9_]*)\b")
_REF = re.compile(r"ref\('([^']+)'\)")


def exposure_refs(name: str) -> set[str]:
    exposures = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))["exposures"]
    (found,) = [e for e in exposures if e["name"] == name]
    return {m.group(1) for entry in found["depends_on"] for m in [_REF.fullmatch(entry)] if m}


def relations_named(path: Path, skip: str | None = None) -> set[str]:
    """schema.name of every relation a string literal of the module names (outside the assignment to `skip`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(node)
        for stmt in tree.body
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and skip in {getattr(t, "id", None) for t in getattr(stmt, "targets", [getattr(stmt, "target", None)])}
        for node in ast.walk(stmt)
    }
    texts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skipped]
    return {f"{m.group(1)}.{m.group(2)}" for text in texts for m in _RELATION.finditer(text) if m.group(2) != "md"}


def test_the_exposure_declares_every_relation_the_worked_example_reads():
    declared = exposure_refs("worked_example")
    read = {relation.split(".", 1)[1] for relation in queries.RELATIONS}
    assert len(read) == len(queries.RELATIONS), "two schemas hold a relation of the same name: refs cannot tell them apart"
    assert read - declared == set(), f"add to the exposure worked_example in {EXPOSURES.name}: {sorted(read - declared)}"
    assert declared - read == set(), f"the exposure worked_example declares relations it does not read: {sorted(declared - read)}"


def test_the_queries_read_exactly_the_declared_relations():
    assert relations_named(PACKAGE / "queries.py", skip="RELATIONS") == set(queries.RELATIONS)


def test_only_the_queries_module_queries_the_warehouse():
    """The other modules render: no duckdb, no execute; the models they name (as documentation) are ones read."""
    for path in sorted(set(PACKAGE.glob("*.py")) - {PACKAGE / "queries.py"}):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "duckdb" not in imported, path.name
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in {"execute", "sql"}], path.name
        models = {r for r in relations_named(path) if r.split(".")[0] in {"intermediate", "staging"}}
        assert models <= set(queries.RELATIONS), path.name
