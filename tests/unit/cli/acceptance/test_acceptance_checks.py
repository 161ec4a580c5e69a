"""The acceptance checks: one per behaviour the docs mark UNVERIFIED, and honest verdicts per target."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from linkpilot_cli.acceptance.catalogue import CATALOGUE, CHECKS, verdicts
from linkpilot_cli.acceptance.checks import Observation, Target, Verdict
from linkpilot_cli.acceptance.report import Report, StepResult

DOCS = Path(__file__).resolve().parents[4] / "docs"
MARKED = ("aws-behaviour.md", "limitations.md", "security.md")


def _unverified_lines() -> list[tuple[str, int, str]]:
    return [
        (name, number, line)
        for name in MARKED
        for number, line in enumerate((DOCS / name).read_text().splitlines(), 1)
        if "UNVERIFIED" in line
    ]


def test_every_line_the_docs_mark_unverified_is_a_named_check() -> None:
    lines = _unverified_lines()
    assert len(lines) >= 20  # the docs hold about thirty such lines: a wrong path would find none
    uncovered = [
        f"{name}:{number}"
        for name, number, line in lines
        if not any(ref.path == name and ref.phrase in line for check in CATALOGUE for ref in check.docs)
    ]
    assert uncovered == [], f"UNVERIFIED lines no acceptance check names: {uncovered}"


def test_every_check_names_a_line_that_is_in_the_docs() -> None:
    stale = [
        (check.name, ref.phrase)
        for check in CATALOGUE
        for ref in check.docs
        if ref.phrase not in (DOCS / ref.path).read_text()
    ]
    assert stale == []


def test_check_names_are_unique_and_kebab_case() -> None:
    names = [c.name for c in CATALOGUE]
    assert len(names) == len(set(names)) == len(CHECKS)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)


def test_the_local_target_never_verifies_or_contradicts() -> None:
    seen = [Observation("endpoint-state-case", "State values read back: Available", True)]
    seen.append(Observation("association-arn-account", "the ARN names another account", False))
    results = verdicts(Target.LOCAL, seen)
    assert {r.verdict for r in results} == {Verdict.NOT_REACHED}
    by_name = {r.name: r.observed for r in results}
    assert by_name["endpoint-state-case"].startswith("emulated, not evidence of AWS: State values")
    assert by_name["invitation-expiry"] == "not exercised locally"


def test_on_aws_an_observation_settles_its_check_either_way() -> None:
    results = {
        r.name: r
        for r in verdicts(
            Target.AWS,
            [
                Observation("endpoint-state-case", "Available", True),
                Observation("association-arn-account", "the ARN names another account", False),
                Observation("share-usable-lag", "seen, no verdict", None),
            ],
        )
    }
    assert results["endpoint-state-case"].verdict is Verdict.VERIFIED
    assert results["association-arn-account"].verdict is Verdict.CONTRADICTED
    assert results["share-usable-lag"].verdict is Verdict.NOT_REACHED
    assert results["invitation-expiry"].observed == "the story does not reach it"
    assert results["ram-associating-time"].observed == "the run stopped before it"
    assert [r.name for r in results.values()] == [c.name for c in CATALOGUE]


def test_an_observation_for_an_unknown_check_is_a_driver_bug() -> None:
    with pytest.raises(KeyError):
        verdicts(Target.AWS, [Observation("no-such-check", "x", True)])


def test_the_report_file_and_table(tmp_path: Path) -> None:
    checks = verdicts(Target.AWS, [Observation("endpoint-state-case", "\x1b[31mAvailable" + "x" * 500, True)])
    report = Report(Target.AWS, "20261205034744-6ee6ea", [StepResult("deploy", True)], checks)
    path = report.write(tmp_path)
    assert path == tmp_path / "20261205034744-6ee6ea" / "report.json"
    data = json.loads(path.read_text())
    assert data["target"] == "aws" and data["passed"] is True
    assert set(data["checks"][0]) == {"name", "verdict", "observed"}
    assert data["checks"][0]["verdict"] == "verified" and len(data["checks"][0]["observed"]) < 400
    table = report.table()
    assert "\x1b" not in "\n".join(table)  # an observation quotes AWS: escaped in the table
    assert table[0] == f"Checks: {len(checks)}"  # the CLI's one table style: a title with the count,
    assert table[1].split() == ["CHECK", "VERDICT", "OBSERVED"]  # UPPER-CASE headers, the rows under them
    (row,) = [line.split() for line in table[2:] if line.split()[0] == "endpoint-state-case"]
    assert row[1] == "verified" and row[2].startswith("\\x1b[31mAvailablexxx")
    assert table[-1].startswith("1 verified, 0 contradicted")


def test_a_contradiction_or_a_failed_step_fails_the_run(tmp_path: Path) -> None:
    bad = verdicts(Target.AWS, [Observation("endpoint-state-case", "available", False)])
    assert not Report(Target.AWS, "r1", [StepResult("deploy", True)], bad).passed
    assert not Report(Target.AWS, "r1", [StepResult("deploy", False)], []).passed
    assert not Report(Target.AWS, "r1", [], []).passed
    with pytest.raises(ValueError, match="not a run id"):
        Report(Target.LOCAL, "../escape", [], []).write(tmp_path)
