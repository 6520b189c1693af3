"""The house rules of docs/architecture.md, checked on the source: rooms, import order, module size."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS = PYPROJECT["tool"]["setuptools"]["package-dir"]

# Later wings may import earlier ones and the floor; never the other way round.
FLOOR = ("smartdd.paths", "smartdd.records", "smartdd.storage", "smartdd.safe_text", "smartdd.spec", "smartdd.methodology", "smartdd.messages")
WINGS = ("smartdd.ingest", "smartdd.expectations", "smartdd.reports")
COMPOSERS = ("smartdd.pipeline", "smartdd.cli", "smartdd.airflow_run", "smartdd.config", "smartdd.codegen", "smartdd.sample")


def modules() -> dict[str, Path]:
    """Every shipped module by its dotted name, found through the build's package-dir mapping."""
    found = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in (REPO / folder).rglob("*.py"):
            relative = path.relative_to(REPO / folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            name = ".".join([package, *parts])
            if package == "smartdd" and len(parts) and f"smartdd.{parts[0]}" in PACKAGE_DIRS:
                continue
            found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    out = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, node.module])
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {i for i in out if i.startswith("smartdd")}


def room(module: str) -> str:
    for prefix in (*FLOOR, *WINGS, *COMPOSERS):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return module


def test_only_smartdd_is_installed():
    assert set(PACKAGE_DIRS) == {"smartdd", *WINGS}
    assert all(p == "smartdd" or p.startswith("smartdd.") for p in PYPROJECT["tool"]["setuptools"]["packages"])


def test_no_shipped_module_is_over_500_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, f"split these modules (over 500 lines): {long}"


def test_the_floor_imports_no_wing_and_wings_import_no_later_wing():
    known = modules()
    for name, path in known.items():
        mine = room(name)
        for imported in imports_of(path, name):
            theirs = room(imported)
            if mine in FLOOR:
                assert theirs in FLOOR, f"{name} (the floor) imports {imported}"
            elif mine in WINGS:
                assert theirs in FLOOR or theirs in WINGS[: WINGS.index(mine) + 1], f"{name} imports a later room: {imported}"


def test_no_import_cycles():
    known = modules()
    graph = {name: {i for i in imports_of(path, name) if i in known and i != name} for name, path in known.items()}
    visiting, done, cycles = [], set(), []

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            cycles.append(visiting[visiting.index(node) :] + [node])
            return
        visiting.append(node)
        for nxt in graph[node]:
            if not node.startswith(nxt + "."):  # importing one's own parent package is not a cycle
                visit(nxt)
        visiting.pop()
        done.add(node)

    for name in graph:
        visit(name)
    assert not cycles, f"import cycles: {cycles}"
