"""The operator CLI only presents: its commands parse, call and render.

- boto3 sessions and clients are made in one module, ``linkpilot_cli/aws.py``; no other module of the CLI
  imports boto3, names ``boto3.`` or calls ``.client(``/``.resource(``/``Session(``;
- the AWS SDK (boto3, botocore) is imported only there and in the operator's adapters
  (``linkpilot_cli/adapters/``), which make the calls; the commands, the plans and the renderer never see it;
- no module of the CLI is over 300 lines, and there is one ``status`` module (the command's);
- ``linkpilot --version`` loads no command, no AWS SDK and no adapter.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "cli" / "linkpilot_cli"
SESSIONS = CLI / "aws.py"  # the one module that makes boto3 sessions and clients
ADAPTERS = CLI / "adapters"
MAX_LINES = 300
_BOTO3_NAME = re.compile(r"(?<![\w.])boto3\.")


def _modules() -> list[Path]:
    return sorted(CLI.rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def client_making(source: str) -> list[str]:
    """What in ``source`` makes (or reaches for) a boto3 session or client: ``import boto3``, ``boto3.``,
    a call of ``.client(``, ``.resource(`` or ``Session(``."""
    found = [f"line {n}: boto3." for n, line in enumerate(source.splitlines(), 1) if _BOTO3_NAME.search(line)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "boto3"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "boto3":
            found.append(f"line {node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (isinstance(func, ast.Attribute) and name in {"client", "resource"}) or name == "Session":
                found.append(f"line {node.lineno}: {name}(")
    return found


def sdk_imports(source: str) -> list[str]:
    """The modules of the AWS SDK ``source`` imports, at run time (imports under TYPE_CHECKING are types)."""
    tree = ast.parse(source)
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return [m for m in found if m.split(".")[0] in {"boto3", "botocore"}]


def test_the_scans_find_what_they_look_for() -> None:
    sample = (
        "import boto3\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import botocore.client\n"
        "def f(session):\n    return session.client('ec2'), boto3.Session(), x.resource('s3')\n"
        "from botocore.exceptions import ClientError\n"
    )
    assert (
        len(client_making(sample)) == 5
    )  # import boto3, boto3. (once per line), client(, Session(, resource(
    assert sdk_imports(sample) == ["boto3", "botocore.exceptions"]
    assert client_making("from mypy_boto3_ec2 import EC2Client\nsession_from(args)\n") == []


def test_boto3_sessions_and_clients_are_made_only_in_linkpilot_cli_aws() -> None:
    assert client_making(SESSIONS.read_text()), "aws.py makes no client (did the layout change?)"
    found = {_rel(p): hits for p in _modules() if p != SESSIONS and (hits := client_making(p.read_text()))}
    assert found == {}


def test_only_the_sessions_module_and_the_adapters_import_the_aws_sdk() -> None:
    allowed = {SESSIONS, *ADAPTERS.glob("*.py")}
    found = {_rel(p): hits for p in _modules() if p not in allowed and (hits := sdk_imports(p.read_text()))}
    assert found == {}


def test_no_cli_module_is_over_300_lines() -> None:
    long = {_rel(p): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these modules: {long}"


def test_there_is_one_status_module() -> None:
    assert [_rel(p) for p in _modules() if p.stem == "status"] == ["cli/linkpilot_cli/commands/status.py"]


def test_version_loads_no_command_no_aws_sdk_and_no_adapter() -> None:
    script = (
        "import contextlib, io, json, sys\n"
        "from linkpilot_cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['--version'])\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    heavy = ("boto3", "botocore", "linkpilot.aws", "linkpilot_cli.commands", "linkpilot_cli.adapters")
    assert [m for m in loaded if m.startswith(heavy)] == []
