"""The acceptance suite's named checks and verdicts, as types (the catalogue itself: ``catalogue``).

A check names the doc lines it settles (``DocRef``: a file and a phrase of the line), the question AWS
answers and what a run on real accounts looks at. A driver reports what it saw as an ``Observation``
(``holds``: whether what the docs assume held); ``verdicts`` turns them into one ``CheckResult`` per check.

Only a run against AWS can verify or contradict anything. Against the local AWS every check is ``not
reached``: what the emulation showed is reported as emulated, never as evidence (docs/aws-behaviour.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    VERIFIED = "verified"
    CONTRADICTED = "contradicted"
    NOT_REACHED = "not reached"


class Target(StrEnum):
    LOCAL = "local"  # the local AWS (moto + linkpilot_local): never evidence of AWS
    AWS = "aws"


@dataclass(frozen=True)
class DocRef:
    path: str  # under docs/
    phrase: str  # a phrase of the line that marks the behaviour UNVERIFIED


@dataclass(frozen=True)
class Check:
    name: str
    question: str
    docs: tuple[DocRef, ...]
    on_aws: str  # what a run on real accounts looks at; "" when the story cannot reach it


@dataclass(frozen=True)
class Observation:
    check: str
    seen: str  # what the run observed, in words (bounded and escaped where it is shown)
    holds: bool | None = None  # whether what the docs assume held; None: seen, but it settles nothing


@dataclass(frozen=True)
class CheckResult:
    name: str
    verdict: Verdict
    observed: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "verdict": str(self.verdict), "observed": self.observed}
