"""The tests mirror the package, and are named by what they test.

- every directory under tests/unit is a directory of the code it tests: ``tests/unit/consumer`` of
  ``linkpilot/consumer``, ``tests/unit/cli`` of ``cli/linkpilot_cli`` (and ``tests/unit/consumer/planning``
  would be ``linkpilot/consumer/planning``); a test of one of the package's top-level modules (``lease.py``,
  ``outcome.py``, ``foreign.py``) sits in tests/unit itself, and repository-wide checks in tests/contract;
- no test file, test class or test function is named after an issue number (``issue12``): a name says what
  the test checks;
- outside a Python package, every module under tests has a name of its own (pytest puts each test directory
  on ``sys.path``, so two ``x_fakes.py`` would shadow each other), and no test imports a ``conftest`` by
  name (which ``conftest`` that is depends on the order of collection).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
UNIT = TESTS / "unit"
PACKAGE = ROOT / "layers" / "linkpilot" / "linkpilot"
# tests/unit/<name> mirrors this directory
MIRRORS = {
    "consumer": PACKAGE / "consumer",
    "provider": PACKAGE / "provider",
    "probe": PACKAGE / "probe",
    "aws": PACKAGE / "aws",
    "runtime": PACKAGE / "runtime",
    "cli": ROOT / "cli" / "linkpilot_cli",
}
ISSUE = re.compile(r"issue_?\d", re.IGNORECASE)


def _python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _test_directories() -> list[Path]:
    found = (d for d in UNIT.rglob("*") if d.is_dir() and "__pycache__" not in d.parts)
    return sorted(d for d in found if not d.name.startswith("."))


def test_every_unit_test_directory_mirrors_a_directory_of_the_code() -> None:
    assert _test_directories(), "no test directory under tests/unit"
    strays = []
    for directory in _test_directories():
        top, *rest = directory.relative_to(UNIT).parts
        if top not in MIRRORS or not MIRRORS[top].joinpath(*rest).is_dir():
            strays.append(str(directory.relative_to(ROOT)))
    assert strays == [], f"test directories that mirror no package directory ({sorted(MIRRORS)}): {strays}"


def test_every_mirrored_directory_is_a_package_directory() -> None:
    assert [name for name, code in MIRRORS.items() if not (code / "__init__.py").is_file()] == []


def test_no_test_is_named_after_an_issue_number() -> None:
    named = []
    for path in _python_files():
        rel = path.relative_to(ROOT)
        if ISSUE.search(path.stem):
            named.append(str(rel))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            is_test = (is_function and node.name.startswith("test")) or (
                isinstance(node, ast.ClassDef) and node.name.startswith("Test")
            )
            if is_test and ISSUE.search(node.name):
                named.append(f"{rel}::{node.name}")
    assert named == [], f"named after an issue, not after what they test: {named}"


def test_test_modules_outside_packages_have_names_of_their_own() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in _python_files():
        if path.name != "conftest.py" and not (path.parent / "__init__.py").exists():
            by_name[path.stem].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}


def test_no_test_imports_a_conftest_by_name() -> None:
    importers = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(name and name.split(".")[0] == "conftest" for name in names):
                importers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert importers == []
