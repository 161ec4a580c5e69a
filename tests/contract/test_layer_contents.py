"""The Lambda layer holds only what the functions import: no operator CLI, no development tooling, and no
module that no function reaches. (scripts/check_build.py checks the same of the built layer.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "linkpilot"
PACKAGE = LAYER / "linkpilot"
FUNCTIONS = sorted((ROOT / "functions").glob("*/app.py"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(LAYER).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every linkpilot module a file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m in MODULES}


def _reachable() -> set[str]:
    seen: set[str] = set()
    todo = [m for app in FUNCTIONS for m in _imports(app)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages run too
        todo.extend(_imports(MODULES[name]))
    return seen


def test_the_layer_holds_no_operator_or_development_code() -> None:
    names = {p.name for p in LAYER.rglob("*")}
    assert not {"linkpilot_cli", "commands", "cli.py", "linkpilot_local", "linkpilot_demo"} & names
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "argparse" not in text, f"{path.relative_to(ROOT)} looks like CLI code"
        assert "linkpilot_cli" not in text and "linkpilot_local" not in text, path


def test_every_layer_module_is_imported_by_a_function() -> None:
    assert len(FUNCTIONS) == 3
    unused = sorted(set(MODULES) - _reachable())
    assert unused == [], f"layer modules no function imports (move them out of the layer): {unused}"


def test_no_layer_module_is_over_400_lines() -> None:
    long = {name: n for name, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}, f"split these modules: {long}"


def test_no_core_module_imports_botocore() -> None:
    """Adapters (linkpilot.aws) translate AWS errors; the wings' cores never see botocore."""
    for name, path in MODULES.items():
        if name.startswith(("linkpilot.aws", "linkpilot.runtime")):  # adapters, and where they are built
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0] in {"botocore", "boto3"} for m in modules), (
                f"{name} imports {modules}"
            )
