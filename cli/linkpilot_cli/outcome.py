"""The one map from a run's outcome (``linkpilot.outcome``) to a command's exit status, and the one place a
command's AWS work is guarded: a command runs it through :func:`attempt` and, when it stopped, says why with
:func:`stopped`.

=========================================  ======================================================
outcome                                    exit status
=========================================  ======================================================
``Done()``                                 0 ``EXIT_OK``
``Done(failed=True)``                      1 ``EXIT_FAILED`` (something was refused)
``Retry(why=INCOMPLETE)``                  1 ``EXIT_FAILED`` (the run acted; something failed)
``Retry(why=AWS)``                         3 ``EXIT_READ_FAILED`` (AWS failed; nothing changed)
``Retry(why=BUSY)``                        4 ``EXIT_BUSY`` (another run held the lease)
``Terminal``                               2 ``EXIT_INVALID`` (a retry cannot help: fix the input)
=========================================  ======================================================
"""

from __future__ import annotations

from collections.abc import Callable

from linkpilot.outcome import Done, Retry, RetryWhy, RunOutcome, Terminal, retry_for
from linkpilot_cli.output import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
    Output,
)

__all__ = ["Retry", "attempt", "exit_code", "stopped"]

_RETRY_EXIT = {RetryWhy.BUSY: EXIT_BUSY, RetryWhy.AWS: EXIT_READ_FAILED, RetryWhy.INCOMPLETE: EXIT_FAILED}
BUSY_MESSAGE = "another run holds the account's lease, nothing changed"


def exit_code(outcome: RunOutcome) -> int:
    if isinstance(outcome, Done):
        return EXIT_FAILED if outcome.failed else EXIT_OK
    if isinstance(outcome, Terminal):
        return EXIT_INVALID
    return _RETRY_EXIT[outcome.why]


def attempt[T](work: Callable[[], T]) -> T | Retry:
    """``work()``'s result, or the ``Retry`` of the AWS failure that stopped it: another run's lease, or AWS
    itself (botocore's errors, an adapter's translation of them, an answer botocore cannot parse)."""
    from linkpilot.aws.errors import ANY_AWS_FAILURE

    try:
        return work()
    except ANY_AWS_FAILURE as exc:
        return retry_for(exc)


def stopped(out: Output, outcome: Retry, *, failure: str, document: bool = False) -> int:
    """Say why the command stopped, in one line on stderr (``failure``: what an AWS failure means for this
    command, e.g. "reading AWS failed, nothing changed"), and return its exit status. ``document``: also
    the JSON error document on stdout, for ``--output json``."""
    what = BUSY_MESSAGE if outcome.why is RetryWhy.BUSY else failure
    if document and out.format == "json":
        out.document({"ok": False, "error": outcome.why.value, "detail": outcome.reason}, [])
    out.error(f"{what}: {outcome.reason}")
    return exit_code(outcome)
