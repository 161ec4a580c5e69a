"""One outcome per run, and what the runtime does with it.

Like controller-runtime's ``Result{Requeue, RequeueAfter}`` with its error, and kopf's
``TemporaryError(delay)`` and ``PermanentError``, a run (a reconcile, an onboarding pass, a cleanup) ends
in one of three outcomes:

- ``Done``: the run finished. ``failed``: something was refused (recorded and reported; the next scheduled
  run tries again): no retry.
- ``Retry(reason, after=None)``: run again, ``after`` seconds from now when given (the platform's own backoff
  otherwise). ``why`` says what stopped or spoiled the run: another run held the lease (``BUSY``: nothing
  read or changed), AWS failed (``AWS``: a read, or a call before anything was decided; nothing changed), or
  the run acted and something failed transiently (``INCOMPLETE``). ``cause``: the error that stopped it.
- ``Terminal(reason)``: a retry cannot help (an invalid policy, an unusable consumer list): nothing changed.

Two maps read it, each in one place: :func:`conclude` here, for a function's runtime (return, or raise so
that Lambda retries the invocation and, after its retries, the dead-letter queue keeps the event), and the
operator CLI's ``exit_code`` (its ``outcome`` module) for the command's exit status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from linkpilot.lease import LeaseBusy


class RetryWhy(StrEnum):
    BUSY = "busy"  # another run held the account's lease: nothing read or changed
    AWS = "aws"  # AWS failed before anything was decided: nothing changed
    INCOMPLETE = "incomplete"  # the run acted; an action or a later write failed transiently


@dataclass(frozen=True)
class Done:
    failed: bool = False  # something was refused: recorded and reported, not retried


@dataclass(frozen=True)
class Retry:
    reason: str
    after: float | None = None  # seconds; None: the platform's own backoff
    why: RetryWhy = RetryWhy.INCOMPLETE
    cause: Exception | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Terminal:
    reason: str
    problems: tuple[str, ...] = ()


type RunOutcome = Done | Retry | Terminal


class RetryLater(RuntimeError):
    """Raised by a runtime for a ``Retry`` that no error stopped (the run finished, something failed
    transiently), so the platform retries the invocation."""


def retry_for(exc: Exception) -> Retry:
    """The outcome of a run an AWS failure stopped: another run's lease (``LeaseBusy``), or AWS itself."""
    why = RetryWhy.BUSY if isinstance(exc, LeaseBusy) else RetryWhy.AWS
    return Retry(str(exc), why=why, cause=exc)


def conclude[T](outcome: RunOutcome, result: T) -> T:
    """What a function's runtime does with a run's outcome: ``Done`` and ``Terminal`` return ``result`` (a
    terminal outcome is reported, never retried: no retry storm); ``Retry`` raises, so the platform retries
    the invocation: the error that stopped the run, else ``RetryLater`` with the reason."""
    if isinstance(outcome, Retry):
        if outcome.cause is not None:
            raise outcome.cause
        raise RetryLater(outcome.reason)
    return result
