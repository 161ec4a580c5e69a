"""The import graph of all our packages has no cycle, not even one made only for type checking.

One graph holds every module of every first-party package in the tree (``PACKAGES``: the Lambda layer's
``linkpilot``, the operator CLI, the local AWS and the demo, ``bench``, the test packages; each a directory
with an ``__init__.py`` whose parent has none), so a circle across packages (``linkpilot_local`` ->
``linkpilot_demo`` -> ``linkpilot_local``) is one too. Every ``import`` / ``from ... import`` counts: at
module level, inside a function, and under ``if TYPE_CHECKING:`` (an import made only for type checking is
still a dependency between the two modules, and a circle of them means neither can be understood, or
type-checked, without the other; a module that needs another's type for an annotation names a Protocol of
what it uses instead, e.g. ``linkpilot_local/context.py``). An edge goes from a module to each first-party
module it imports (``from .x import name`` imports ``.x``, and ``.x.name`` too when that is a submodule;
``from . import sub`` in a package's own module needs only ``sub``, the package being already under import).
Modules outside packages (``scripts/``, ``functions/*/app.py``, test files) are entry points no package
imports, so no circle runs through them.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_NOT_SOURCE = {"build", "dist", "node_modules", "__pycache__"}  # plus hidden directories and *.egg-info


def find_packages(root: Path) -> dict[str, Path]:
    """{top-level package name: its directory} for every package under ``root``, outside virtualenvs and
    build output."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in _NOT_SOURCE and not d.endswith(".egg-info")
        )
        path = Path(dirpath)
        if "__init__.py" in filenames and not (path.parent / "__init__.py").exists():
            assert path.name not in found, (
                f"two top-level packages named {path.name}: {found[path.name]}, {path}"
            )
            found[path.name] = path
    return found


PACKAGES = find_packages(REPO)


def _modules(packages: dict[str, Path]) -> dict[str, Path]:
    found = {}
    for package, root in packages.items():
        for path in sorted(root.rglob("*.py")):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, wherever it is (``if TYPE_CHECKING:`` included)."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def import_graph(packages: dict[str, Path]) -> dict[str, set[str]]:
    """{module: the modules of ``packages`` it imports}, over all of them."""
    modules = _modules(packages)
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


def test_every_package_is_in_the_graph() -> None:
    expected = {
        "linkpilot": REPO / "layers" / "linkpilot" / "linkpilot",
        "linkpilot_cli": REPO / "cli" / "linkpilot_cli",
        "linkpilot_local": REPO / "devtools" / "linkpilot_local",
        "linkpilot_demo": REPO / "devtools" / "linkpilot_demo",
        "bench": REPO / "bench",
    }
    assert {name: PACKAGES.get(name) for name in expected} == expected
    graph = import_graph(PACKAGES)
    # edges across packages and type-only edges are in it
    assert "linkpilot_local.deploy.stack" in graph["linkpilot_demo.service_networks"]
    assert "linkpilot_demo.context" in graph["linkpilot_demo.zones"]  # under TYPE_CHECKING


def test_import_graph_is_acyclic() -> None:
    assert cycles(import_graph(PACKAGES)) == []


def _package(root: Path, name: str, files: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, text in files.items():
        (root / name / f"{module}.py").write_text(text)


def test_a_cycle_is_found(tmp_path: Path) -> None:
    """The check itself: a two-module cycle through a function-level import is reported, so is one through
    imports made only under TYPE_CHECKING, and one across two packages."""
    type_only = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from {} import {}\n"
    _package(
        tmp_path,
        "pkg",
        {
            "a": "from .b import thing\n",
            "b": "def thing():\n    from . import a\n    return a\n",
            "c": type_only.format(".d", "D") + "\n\nclass C:\n    pass\n",
            "d": type_only.format(".c", "C") + "\n\nclass D:\n    def use(self, c: C) -> None: ...\n",
            "e": "from other.f import F\n",
            "g": "from .a import thing\n",  # imports into the circle, is not part of it
        },
    )
    _package(tmp_path, "other", {"f": type_only.format("pkg.e", "E") + "\n\nclass F: ...\n"})
    packages = find_packages(tmp_path)
    assert packages == {"pkg": tmp_path / "pkg", "other": tmp_path / "other"}
    graph = import_graph(packages)
    assert graph["pkg.c"] == {"pkg.d"}
    assert sorted(cycles(graph)) == [["other.f", "pkg.e"], ["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
