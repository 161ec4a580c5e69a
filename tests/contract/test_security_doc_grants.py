"""The IAM tables of the docs name exactly the actions the templates grant, function by function.

docs/security.md ("Every grant, what bounds it, what stays your job") has one table per function: the
controller's (template.yaml) and the onboarding function's (provider/template.yaml); docs/how-it-works.md
("IAM of the onboarding function") lists the onboarding function's again. The first column of each row
names the actions in backticks (``service:Action``; a bare ``Action`` after one takes its service). A grant
added to a template without a row, or a row left behind after a grant is removed, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reliability.support import FUNCTIONS, function_statements, granted_actions

from linkpilot_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ROOT / "docs" / "security.md"
HOW_IT_WORKS = ROOT / "docs" / "how-it-works.md"

# `service:Action`, optionally followed by bare actions of the same service: `, `Other`, `Third``
_ACTIONS = re.compile(r"`([a-z0-9-]+):([A-Za-z0-9]+)`((?:\s*,\s*`[A-Z][A-Za-z0-9]+`)*)")


def actions_in(cell: str) -> set[str]:
    """``service:Action`` names in a cell's backticks; a bare ``Action`` right after one, in the same comma
    list, takes its service (other backticked words, such as stack parameters, are not actions)."""
    found: set[str] = set()
    for service, action, bare in _ACTIONS.findall(cell):
        found.add(f"{service}:{action}")
        found.update(f"{service}:{name}" for name in re.findall(r"`([A-Za-z0-9]+)`", bare))
    return found


def _section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading)
    level = heading.split(" ", 1)[0]
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].startswith("#") and len(lines[i].split(" ", 1)[0]) <= len(level)
        ),
        len(lines),
    )
    return lines[start + 1 : end]


def _first_cells(lines: list[str]) -> list[str]:
    rows = [line for line in lines if line.startswith("|")]
    return [row.split("|")[1] for row in rows[2:]]  # after the header and the |---| line


def documented_in_security() -> dict[str, set[str]]:
    """Per function, the actions of its table in security.md: a table belongs to the function named in the
    paragraph just before it ("controller function", "onboarding function")."""
    tables: dict[str, list[str]] = {}
    owner: str | None = None
    for line in _section(SECURITY.read_text(), "## Every grant, what bounds it, what stays your job"):
        if not line.startswith("|"):
            lowered = line.lower()
            if "controller function" in lowered:
                owner = "controller"
            elif "onboarding function" in lowered:
                owner = "onboarding"
            continue
        assert owner is not None, f"a grant table in security.md with no function named before it: {line}"
        tables.setdefault(owner, []).append(line)
    return {name: set().union(*(actions_in(c) for c in _first_cells(rows))) for name, rows in tables.items()}


def documented_in_how_it_works() -> set[str]:
    cells = _first_cells(_section(HOW_IT_WORKS.read_text(), "### IAM of the onboarding function"))
    return set().union(*(actions_in(c) for c in cells))


def granted(function: str) -> set[str]:
    path, logical_id = FUNCTIONS[function]
    return granted_actions(function_statements(load_template(path), logical_id))


def test_the_cell_parser_reads_prefixed_and_bare_actions():
    assert actions_in("`dynamodb:GetItem`, `PutItem` on the state table (`lease#reconcile`)") == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    }
    assert actions_in("`ec2:CreateVpcEndpoint` on `vpc-endpoint/*` and `*`") == {"ec2:CreateVpcEndpoint"}
    assert actions_in("`vpc-lattice:TagResource` (only with `ServiceNetworkMode=association`, `Other`)") == {
        "vpc-lattice:TagResource"
    }


@pytest.mark.parametrize("function", ["controller", "onboarding"])
def test_security_md_names_exactly_what_each_function_is_granted(function):
    documented = documented_in_security()[function]
    actual = granted(function)
    assert actual - documented == set(), (
        f"granted in the template, missing from security.md: {actual - documented}"
    )
    assert documented - actual == set(), f"in security.md, granted by no template: {documented - actual}"


def test_how_it_works_names_exactly_what_the_onboarding_function_is_granted():
    documented = documented_in_how_it_works()
    actual = granted("onboarding")
    assert actual - documented == set(), f"missing from how-it-works.md: {actual - documented}"
    assert documented - actual == set(), f"in how-it-works.md, not granted: {documented - actual}"


def test_the_probe_is_granted_nothing_as_security_md_says():
    assert granted("probe") == set()
    assert "**The probe has no AWS permissions**" in SECURITY.read_text()


def test_a_grant_added_without_its_row_fails(monkeypatch):
    """The check itself: the controller granted one action more than its table names."""
    real = function_statements

    def one_more(template, logical_id):
        extra = {"Effect": "Allow", "Action": "ec2:DescribeRouteTables", "Resource": "*"}
        return [*real(template, logical_id), extra]

    monkeypatch.setattr(f"{__name__}.function_statements", one_more)
    with pytest.raises(AssertionError, match="ec2:DescribeRouteTables"):
        test_security_md_names_exactly_what_each_function_is_granted("controller")
