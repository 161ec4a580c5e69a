"""The import graph of our packages has no cycle.

Every ``import`` / ``from ... import`` counts, at module level or inside a function, except those only
made for type checking (under ``if TYPE_CHECKING:``), which never run. An edge goes from a module to each
module of the same package it imports (``from .x import name`` imports ``.x``, and ``.x.name`` too when
that is a submodule; ``from . import sub`` in a package's own module needs only ``sub``, the package
being already under import). Parametrised by package so other packages can be checked the same way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "linkpilot": REPO / "layers" / "linkpilot" / "linkpilot",
    "linkpilot_cli": REPO / "cli" / "linkpilot_cli",
    "linkpilot_local": REPO / "devtools" / "linkpilot_local",
    "linkpilot_demo": REPO / "devtools" / "linkpilot_demo",
}


def _modules(package: str, root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree but those in the body of an ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(package: str, root: Path) -> dict[str, set[str]]:
    """{module: modules of ``package`` it imports}."""
    modules = _modules(package, root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here[: len(here) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                submodules = [f"{source}.{alias.name}" for alias in node.names]
                # ``from <ancestor package> import submodule`` needs the ancestor initialised, which it
                # already is (it imports this module); any other name from it is a real edge.
                ancestor = name == source or name.startswith(source + ".")
                names_only = any(sub not in modules for sub in submodules)
                targets = submodules + ([source] if not ancestor or names_only else [])
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_import_graph_is_acyclic(package: str) -> None:
    graph = import_graph(package, PACKAGES[package])
    assert len(graph) > 1, f"no modules found for {package}"
    assert cycles(graph) == []


def test_a_cycle_is_found(tmp_path: Path) -> None:
    """The check itself: a two-module cycle through a function-level import is reported, and an import
    made only under TYPE_CHECKING is not an edge."""
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from .b import thing\n")
    (root / "b.py").write_text("def thing():\n    from . import a\n    return a\n")
    (root / "c.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .a import thing\n"
    )
    graph = import_graph("pkg", root)
    assert graph["pkg.c"] == set()
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
