"""An acceptance run's report: the story's steps, the verdict table, and ``.acceptance/<run id>/report.json``
(``{"target", "run_id", "passed", "steps": [...], "checks": [{"name", "verdict", "observed"}]}``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from linkpilot.foreign import bound
from linkpilot_cli.acceptance.checks import CheckResult, Observation, Target, Verdict

OBSERVED_CHARS: Final = 300  # an observation quotes AWS answers: bounded in the table and the file
RUN_ID: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class StepResult:
    title: str
    ok: bool
    detail: str = ""


@dataclass
class RunResult:
    """What a target's driver hands back: the story's steps, what it observed, why it stopped early."""

    steps: list[StepResult] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    error: str = ""
    interrupted: bool = False  # Ctrl-C (the AWS target tore down first)
    leftovers: list[str] = field(default_factory=list)  # what the teardown could not remove (AWS)


@dataclass
class Report:
    target: Target
    run_id: str
    steps: list[StepResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    error: str = ""  # why the run stopped early, if it did

    @property
    def passed(self) -> bool:
        """Every step of the story held and no check was contradicted."""
        return (
            not self.error
            and bool(self.steps)
            and all(s.ok for s in self.steps)
            and all(c.verdict is not Verdict.CONTRADICTED for c in self.checks)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "target": str(self.target),
            "run_id": self.run_id,
            "passed": self.passed,
            "error": self.error,
            "steps": [{"title": s.title, "ok": s.ok, "detail": s.detail} for s in self.steps],
            "checks": [{**c.to_json(), "observed": bound(c.observed, OBSERVED_CHARS)} for c in self.checks],
        }

    def write(self, root: Path) -> Path:
        """Writes ``<root>/<run id>/report.json``; returns its path."""
        if not RUN_ID.match(self.run_id):
            raise ValueError(f"not a run id: {self.run_id!r}")
        path = root / self.run_id / "report.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path

    def table(self) -> list[str]:
        """The verdict table, one row per check, in the CLI's one table style (``linkpilot_cli.output``,
        which escapes every cell: observations quote AWS answers); then the count of each verdict."""
        from linkpilot_cli.output import Table, render_table

        rows = tuple((c.name, str(c.verdict), bound(c.observed, OBSERVED_CHARS)) for c in self.checks)
        lines = render_table(Table("check", "Checks", ("CHECK", "VERDICT", "OBSERVED"), rows))
        counts = {v: sum(c.verdict is v for c in self.checks) for v in Verdict}
        lines.append(", ".join(f"{n} {v}" for v, n in counts.items()) + f" (target: {self.target})")
        return lines
