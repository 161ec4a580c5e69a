"""The demo's readable timeline: one line per step with wall time, simulated time, result and duration,
and the expectations each step checks. The run passes only if every expectation held."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from linkpilot.foreign import escape


class ExpectationFailed(AssertionError):
    pass


def quoted(items: Iterable[str]) -> str:
    """Strings as a reader sees them in a line: each in double quotes, comma-separated ("none" if none)."""
    return ", ".join(f'"{item}"' for item in items) or "none"


@dataclass
class Step:
    title: str
    started: float
    details: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    checks: int = 0

    def expect(self, condition: object, what: str) -> None:
        """Records one expectation; a failed one ends the step (and the demo) with ``what`` as the reason."""
        self.checks += 1
        if not condition:
            self.failures.append(what)
            raise ExpectationFailed(what)

    def note(self, text: str, *, rendered: bool = False) -> None:
        """A line under the step. Escaped (``linkpilot.foreign.escape``: names, DNS names and replies come
        from the provider's side); ``rendered``: a line of the CLI's renderer, which escaped it already."""
        self.details.append(text if rendered else escape(text))


class Timeline:
    def __init__(self, out: TextIO, sim_now: Callable[[], datetime], *, color: bool = False) -> None:
        self.out = out
        self.sim_now = sim_now
        self.t0 = time.perf_counter()
        self.steps: list[Step] = []
        self.color = color

    def _mark(self, ok: bool) -> str:
        sym = "✓" if ok else "✗"
        if self.color:
            return f"\033[32m{sym}\033[0m" if ok else f"\033[31m{sym}\033[0m"
        return sym

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        step = Step(title, time.perf_counter())
        self.steps.append(step)
        ok = False
        try:
            yield step
            ok = True
        finally:
            took = (time.perf_counter() - step.started) * 1000
            wall = step.started - self.t0
            sim = self.sim_now().strftime("%H:%M:%S")
            self.say(f"{wall:7.2f}s  {sim}  {self._mark(ok)} {title}  ({took:.0f} ms)")
            for d in step.details:
                self.say(f"{'':21}{d}")
            for f in step.failures:
                self.say(f"{'':21}expected: {escape(f)}")

    @property
    def checks(self) -> int:
        return sum(s.checks for s in self.steps)

    @property
    def ok(self) -> bool:
        return all(not s.failures for s in self.steps)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0
