"""Attributes every call the in-process local AWS logs to the Lambda function whose code made it.

``aws.call_log`` says (account, service, operation). Which *function* made a call is read from the Python
stack at the moment the emulation logs it: the outermost frame in a function's own code decides
(its handler, its service module, or — in the reconcile's worker threads — its adapters). Calls made by
test set-up, by the emulation itself or by operator commands (``linkpilot status``) belong to no function.

Installed for the whole pytest session by tests/reliability/conftest.py, so the integration and
end-to-end tests that run before the reliability suite are recorded too. With ``LINKPILOT_IAM_RECORD=path``
the records are written there as JSON when the session ends (the IAM test's own run of the suite).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_PKG = "layers/linkpilot/linkpilot/"

# Source files (or directories, ending in "/") of each function, relative to the repository root.
FUNCTION_CODE: dict[str, tuple[str, ...]] = {
    # The outermost frame decides: the shared adapters (aws/audit.py, aws/notify.py) are attributed to the
    # wing that called them.
    "controller": (
        "functions/controller/",
        _PKG + "consumer/",
        "cli/linkpilot_cli/commands/reconcile.py",  # the CLI runs the same reconcile with the same adapters
        _PKG + "aws/ram_consumer.py",
        _PKG + "aws/ec2_endpoints.py",
        _PKG + "aws/lattice_associations.py",
        _PKG + "aws/probe_schedules.py",
        _PKG + "aws/ssm_directory.py",
        _PKG + "aws/events.py",
    ),
    "onboarding": (
        "functions/onboarding/",
        _PKG + "provider/",
        _PKG + "aws/ram_provider.py",
        _PKG + "aws/lattice_provider.py",
        _PKG + "aws/ssm_parameters.py",
    ),
    "probe": ("functions/probe/", _PKG + "probe/"),
    # not Lambda functions: a person runs these with their own credentials
    "operator": (
        "cli/linkpilot_cli/commands/status.py",
        "cli/linkpilot_cli/commands/stackset.py",
        "cli/linkpilot_cli/commands/provider.py",
        "devtools/linkpilot_demo/",
    ),
}


def _table() -> list[tuple[str, str]]:
    rows = []
    for function, paths in FUNCTION_CODE.items():
        for rel in paths:
            rows.append((str(ROOT / rel) + ("/" if rel.endswith("/") else ""), function))
    return rows


_TABLE = _table()
_lock = threading.Lock()
# function -> {(service, operation): first test that made the call}
RECORDS: dict[str, dict[tuple[str, str], str]] = {}
UNATTRIBUTED: dict[tuple[str, str], int] = {}


def function_of_stack() -> str | None:
    """The function whose code is the outermost on the current stack, or None."""
    frames = []
    frame = sys._getframe(1)
    while frame is not None:
        frames.append(frame.f_code.co_filename)
        frame = frame.f_back  # type: ignore[assignment]
    for filename in reversed(frames):  # outermost first
        for prefix, function in _TABLE:
            if filename == prefix or (prefix.endswith("/") and filename.startswith(prefix)):
                return function
    return None


def record(service: str, operation: str) -> None:
    function = function_of_stack()
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    with _lock:
        if function is None:
            UNATTRIBUTED[(service, operation)] = UNATTRIBUTED.get((service, operation), 0) + 1
        else:
            RECORDS.setdefault(function, {}).setdefault((service, operation), test)


class _RecordingCallLog(list):  # type: ignore[type-arg]
    """The emulation's call log, recording the calling function of each entry as it is appended."""

    def append(self, item: Any) -> None:
        super().append(item)
        _account, service, operation = item
        record(service, operation)


_installed = False


def install_recorder() -> None:
    """Make every Emulation created from now on record its calls (idempotent)."""
    global _installed  # noqa: PLW0603 - one patch per process
    if _installed:
        return
    from linkpilot_local import emulation

    original_init = emulation.Emulation.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.call_log = _RecordingCallLog(self.call_log)

    emulation.Emulation.__init__ = __init__  # type: ignore[method-assign]
    _installed = True


def snapshot() -> dict[str, dict[str, str]]:
    """{function: {"service:Operation": first test}} of everything recorded so far."""
    with _lock:
        return {
            function: {f"{svc}:{op}": test for (svc, op), test in sorted(calls.items())}
            for function, calls in sorted(RECORDS.items())
        }


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("LINKPILOT_IAM_RECORD")
    if path:
        Path(path).write_text(json.dumps(snapshot(), indent=1, sort_keys=True))
