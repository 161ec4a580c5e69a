"""The operator CLI installed alone: every command it lists works, and nothing needs moto.

The local AWS and the demo are a distribution of their own (devtools/pyproject.toml, ``linkpilot-local``)
that adds ``linkpilot local`` and ``linkpilot demo`` through the ``linkpilot.commands`` entry-point group.
This test installs the project into a fresh venv from the CLI's lock (requirements/cli.txt: the layer's pins
plus click and rich), offline from uv's cache (which
``make venv`` filled), without linkpilot-local, and runs what a user of that install would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".venv-tools" / "bin" / "uv"


@pytest.fixture(scope="module")
def cli_alone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not UV.exists():
        pytest.skip("uv is installed by `make tools` (every make target that installs runs it)")
    venv = tmp_path_factory.mktemp("cli-alone") / "venv"
    python = venv / "bin" / "python"
    env = {"UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never", "PATH": "/usr/bin:/bin"}
    steps = [
        [str(UV), "venv", "-q", "--python", str(ROOT / ".venv" / "bin" / "python"), str(venv)],
        [str(UV), "pip", "install", "-q", "--offline", "--python", str(python), "--require-hashes",
         "-r", str(ROOT / "requirements/cli.txt")],
        [str(UV), "pip", "install", "-q", "--offline", "--python", str(python), "--no-deps", str(ROOT)],
    ]  # fmt: skip
    for step in steps:
        subprocess.run(step, check=True, capture_output=True, env=env, cwd=ROOT, timeout=120)
    return venv


def _run(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "linkpilot"), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "NO_COLOR": "1"},
        cwd=venv,
    )


def _listed(help_text: str) -> list[str]:
    section = help_text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [
        line.split()[0]
        for line in section.splitlines()
        if line.startswith("  ") and line.strip()[:1].isalpha() and line[2] != " "
    ]


def test_moto_and_the_devtools_are_not_installed(cli_alone: Path) -> None:
    for module in ("moto", "linkpilot_local", "linkpilot_demo"):
        probe = subprocess.run(
            [str(cli_alone / "bin" / "python"), "-c", f"import {module}"],
            check=False,
            capture_output=True,
            timeout=60,
        )
        assert probe.returncode != 0, f"{module} is importable in the CLI-only install"


def test_the_cli_alone_lists_only_the_commands_it_can_run(cli_alone: Path) -> None:
    top = _run(cli_alone, "--help")
    assert top.returncode == 0, top.stderr
    listed = _listed(top.stdout)
    assert listed == [
        "reconcile", "probe", "status", "cleanup", "provider", "stackset", "policy", "init", "completion",
        "doctor", "acceptance",
    ]  # fmt: skip
    for name in listed:
        shown = _run(cli_alone, name, "--help")
        assert shown.returncode == 0, f"linkpilot {name} --help: {shown.stderr}"
        assert f"linkpilot {name}" in shown.stdout
    unknown = _run(cli_alone, "demo")
    assert unknown.returncode == 2
    assert (
        unknown.stderr.startswith("linkpilot: unknown command 'demo'")
        and len(unknown.stderr.splitlines()) == 1
    )


def test_the_cli_alone_runs_commands_that_need_no_aws(cli_alone: Path) -> None:
    schema = _run(cli_alone, "reconcile", "--print-schema")
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["type"] == "object"
    refused = _run(cli_alone, "probe", "ftp://example.invalid/")  # rejected before any connection
    assert refused.returncode == 2, refused.stderr
    policy = cli_alone / "policy.yaml"
    policy.write_text("trusted_accounts: ['111111111111']\nendpoint: {vpc_id: vpc-0123456789abcdef0, "
                      "subnet_ids: [subnet-0123456789abcdef0]}\n")  # fmt: skip
    checked = _run(cli_alone, "policy", "validate", str(policy))  # YAML: the CLI's own pyyaml
    assert checked.returncode == 0, checked.stderr
    assert "complete -o" in _run(cli_alone, "completion", "bash").stdout


def test_the_dev_install_adds_local_and_demo_through_the_entry_point_group() -> None:
    from linkpilot_cli import main as cli
    from linkpilot_cli.registry import load

    found = cli.commands()
    assert found["local"] == "linkpilot_local.cli"
    assert found["demo"] == "linkpilot_demo.cli"
    assert list(found)[: len(cli.BUILTIN_COMMANDS)] == list(cli.BUILTIN_COMMANDS)
    assert load("local").name == "local" and load("demo").name == "demo"
