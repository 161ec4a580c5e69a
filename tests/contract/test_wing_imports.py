"""The wings import no AWS SDK, no Powertools and no adapter.

The consumer and provider wings (``linkpilot.consumer``, ``linkpilot.provider``) speak in their own ports and
errors (``linkpilot.errors``); each function's runtime (``linkpilot.runtime``) builds the adapters over boto3
and holds the Powertools glue. Every import statement counts: at module level, inside a function, and under
``if TYPE_CHECKING:`` (a wing that needs a type from there depends on it all the same).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAYER = Path(__file__).resolve().parents[2] / "layers" / "linkpilot" / "linkpilot"
WINGS = ("consumer", "provider")
FORBIDDEN = ("boto3", "botocore", "aws_lambda_powertools", "linkpilot.aws", "linkpilot.runtime")


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Every module an import statement anywhere in ``tree`` names (``package``: the importing module's
    package, for relative imports); for ``from X import name``, both ``X`` and ``X.name``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - (node.level - 1)] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def forbidden_imports(root: Path, package: str) -> dict[str, list[str]]:
    """{module: the forbidden modules it imports} for every module under ``root`` (package ``package``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        here = name if is_package else name.rpartition(".")[0]
        names = imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path)), here)
        bad = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
        if bad:
            found[name] = bad
    return found


@pytest.mark.parametrize("wing", WINGS)
def test_the_wings_import_no_sdk_powertools_adapter_or_runtime(wing: str) -> None:
    root = LAYER / wing
    assert len(list(root.glob("*.py"))) > 1, f"no modules in {root}"
    assert forbidden_imports(root, f"linkpilot.{wing}") == {}


def test_a_forbidden_import_is_found_wherever_it_is(tmp_path: Path) -> None:
    """The check itself: function-level, TYPE_CHECKING and relative imports all count; a module whose name
    only begins like a forbidden one does not."""
    root = tmp_path / "wing"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("def f():\n    import botocore.config\n")
    type_only = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from {} import {}\n"
    (root / "b.py").write_text(type_only.format("aws_lambda_powertools", "Logger"))
    (root / "c.py").write_text("from ..aws import audit\n")
    (root / "d.py").write_text("from linkpilot import aws\nimport linkpilot.awsome\nimport boto3x\n")
    (root / "e.py").write_text("from linkpilot.errors import AwsError\n")
    assert forbidden_imports(root, "linkpilot.wing") == {
        "linkpilot.wing.a": ["botocore.config"],
        "linkpilot.wing.b": ["aws_lambda_powertools", "aws_lambda_powertools.Logger"],
        "linkpilot.wing.c": ["linkpilot.aws", "linkpilot.aws.audit"],
        "linkpilot.wing.d": ["linkpilot.aws"],
    }
