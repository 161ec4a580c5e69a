"""The steps of a run on AWS as they happen (``Steps``: one line each, the results for the report) and the
undo actions of what they made (``Teardown``); ``StepFailed`` stops the story."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from linkpilot_cli.acceptance.report import StepResult


class StepFailed(Exception):
    """A step's expectation did not hold: the story stops, the teardown runs."""


@dataclass
class Teardown:
    """Undo actions, run last-registered first; each failure is noted and the rest still run."""

    undo: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, what: str, action: Callable[[], None]) -> None:
        self.undo.append((what, action))

    def run(self, out: TextIO) -> None:
        while self.undo:
            what, action = self.undo.pop()
            print(f"  teardown: {what}", file=out, flush=True)
            try:
                action()
            except KeyboardInterrupt:
                self.failed.append(f"{what} (interrupted)")
                print("  teardown interrupted: the rest is left; run again or delete by tag", file=out)
                self.failed += [w for w, _ in reversed(self.undo)]
                self.undo.clear()
                return
            except Exception as exc:  # noqa: BLE001 - one failed undo must not stop the others
                self.failed.append(f"{what}: {exc}")


@dataclass
class Steps:
    """The story's steps as they run: one line each, the results for the report."""

    out: TextIO
    results: list[StepResult] = field(default_factory=list)

    def run(self, title: str, body: Callable[[], str | None]) -> None:
        print(f"… {title}", file=self.out, flush=True)
        try:
            detail = body() or ""
        except Exception as exc:
            why = str(exc) if isinstance(exc, StepFailed | TimeoutError) else repr(exc)
            self.results.append(StepResult(title, False, why))
            print(f"✗ {title}: {why}", file=self.out, flush=True)
            raise StepFailed(why) from exc
        self.results.append(StepResult(title, True, detail))
        print(f"✓ {title}" + (f": {detail}" if detail else ""), file=self.out, flush=True)
