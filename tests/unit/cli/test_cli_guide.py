"""docs/cli.md shows the CLI's conventions with its real output (issue 26): the "after" of its
before-and-after error and table, and the one-line errors it quotes, are what ``linkpilot`` prints today. A
change to a message, a header or a table's layout fails here until the guide says the same."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from linkpilot_cli import main as cli
from linkpilot_cli.commands.cleanup import cleanup_table
from linkpilot_cli.output import Output

GUIDE = (Path(__file__).parents[3] / "docs" / "cli.md").read_text(encoding="utf-8")


def _blocks() -> list[list[str]]:
    """The guide's console blocks, as lines."""
    return [part.split("```", 1)[0].splitlines() for part in GUIDE.split("```console\n")[1:]]


def _after(command: str) -> list[str]:
    """The lines of the guide's "# after" example of a before-and-after block that follows ``command``."""
    tail = GUIDE.split(f"Before and after, one {command}", 1)[1]
    block = tail.split("```console\n", 1)[1].split("```", 1)[0]
    after = block.split("# after", 1)[1].splitlines()[1:]
    return [line for line in after if line.strip()]


def _shown_error(argv: str) -> str:
    """The line the guide shows after ``$ linkpilot <argv>``."""
    for lines in _blocks():
        for i, line in enumerate(lines):
            if line.split("#")[0].strip() == f"$ linkpilot {argv}":
                return lines[i + 1]
    raise AssertionError(f"docs/cli.md shows no `linkpilot {argv}`")


def test_the_before_and_after_error_is_the_real_one(capsys):
    assert cli.main(["status", "--output", "yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == _after("error")


@pytest.mark.parametrize(
    "argv",
    ["status --windw 30", "provider stats", "status --region us-east-7"],
)
def test_the_one_line_errors_the_guide_quotes_are_the_real_ones(argv, capsys):
    assert cli.main(argv.split()) == 2
    assert capsys.readouterr().err.splitlines() == [_shown_error(argv)]


def test_the_before_and_after_table_is_the_real_one():
    document = {
        "managed_endpoints": [
            {
                "endpoint_id": "vpce-0a1b2c3d4e5f60718",
                "vpc_id": "vpc-0123456789abcdef0",
                "state": "available",
                "resource_configuration_arn": (
                    "arn:aws:vpc-lattice:us-east-1:210000000001:resourceconfiguration/rcfg-0aa11bb22cc33dd44"
                ),
            }
        ],
        "deleted": [],
        "refused": {},
    }
    out = io.StringIO()
    Output("cleanup", "table", stdout=out, stderr=io.StringIO(), env={}).document(
        document, [cleanup_table(document)]
    )
    assert out.getvalue().splitlines() == _after("table")
