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
    """Undo actions, run last-registered first; each failure is noted and the rest still run. What failed is
    tried once more after the others: an undo can fail on something a later one removes (a configuration or
    a service network still in use by the consumer's endpoints until the consumer stack's delete). Every undo
    treats "already gone" as done, so running one twice is harmless."""

    undo: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, what: str, action: Callable[[], None]) -> None:
        self.undo.append((what, action))

    def run(self, out: TextIO) -> None:
        todo = list(reversed(self.undo))
        self.undo.clear()
        for attempt in ("teardown", "teardown, again"):
            again: list[tuple[str, Callable[[], None]]] = []
            for i, (what, action) in enumerate(todo):
                print(f"  {attempt}: {what}", file=out, flush=True)
                try:
                    action()
                except KeyboardInterrupt:
                    print("  teardown interrupted: the rest is left; run again or delete by tag", file=out)
                    retried = [w for w, _ in again] if attempt == "teardown" else []  # else noted already
                    self.failed += [*retried, f"{what} (interrupted)", *(w for w, _ in todo[i + 1 :])]
                    return
                except Exception as exc:  # noqa: BLE001 - one failed undo must not stop the others
                    if attempt == "teardown" and not isinstance(exc, TimeoutError):
                        again.append((what, action))  # a wait that ran out has waited enough
                    else:
                        self.failed.append(f"{what}: {exc}")
            todo = again


@dataclass
class Steps:
    """The story's steps as they run: one line each, the results for the report."""

    out: TextIO
    results: list[StepResult] = field(default_factory=list)

    def run(self, title: str, body: Callable[[], str | None]) -> None:
        print(f"… {title}", file=self.out, flush=True)
        try:
            detail = body() or ""
        except KeyboardInterrupt:  # the report names the step Ctrl-C stopped; the run tears down
            self.results.append(StepResult(title, False, "interrupted (Ctrl-C)"))
            print(f"✗ {title}: interrupted", file=self.out, flush=True)
            raise
        except Exception as exc:
            why = str(exc) if isinstance(exc, StepFailed | TimeoutError) else repr(exc)
            self.results.append(StepResult(title, False, why))
            print(f"✗ {title}: {why}", file=self.out, flush=True)
            raise StepFailed(why) from exc
        self.results.append(StepResult(title, True, detail))
        print(f"✓ {title}" + (f": {detail}" if detail else ""), file=self.out, flush=True)
