"""One probe invocation's results as the probe function reports them (its log lines and its result)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from linkpilot.probe.model import ProbeResult


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """One invocation's results as the probe function reports them: one row per target (``to_dict``), how many
    are not ok, and how many got each verdict (in the order the verdicts first appear)."""

    rows: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, results: Iterable[ProbeResult]) -> ProbeRun:
        return cls(tuple(r.to_dict() for r in results))

    @property
    def failed_rows(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if not row["ok"]]

    @property
    def verdicts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
        return counts

    def counts(self) -> dict[str, Any]:
        """What the run's log line says: ``targets``, ``failed`` and ``verdicts``."""
        return {"targets": len(self.rows), "failed": len(self.failed_rows), "verdicts": self.verdicts}

    def to_dict(self) -> dict[str, Any]:
        """The invocation's result: the counts and every row."""
        return {**self.counts(), "results": list(self.rows)}
