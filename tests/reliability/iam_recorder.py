"""Attributes every call the in-process local AWS logs to the Lambda function whose code made it.

``aws.call_log`` says (account, service, operation). Which *function* made a call is read from the Python
stack at the moment the emulation logs it: the outermost frame in a function's own code decides
(its handler, its service module, or — in the reconcile's worker threads — its adapters). Calls made by
test set-up, by the emulation itself or by operator commands (``linkpilot status``) belong to no function.

Installed for the whole pytest session by tests/reliability/conftest.py, so the integration and
end-to-end tests that run before the reliability suite are recorded too.

IAM exactness is a pass of its own (``make unit``): the main pytest run, in parallel, records with
``LINKPILOT_IAM_RECORD_DIR=DIR`` — each process (each xdist worker) writes ``calls-<worker>.json`` when its
session ends, and the controlling process writes ``run.json`` saying whether the run covered ``SUITE`` and
passed. The exactness test then runs alone with ``LINKPILOT_IAM_CALLS=DIR`` and reads the union.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECORD_DIR_ENV = "LINKPILOT_IAM_RECORD_DIR"  # where a recording run writes
CALLS_DIR_ENV = "LINKPILOT_IAM_CALLS"  # where the exactness pass reads
# The suites whose tests drive the functions against the local AWS; a record is complete when a run covered
# them all.
SUITE = (
    "tests/integration/controller",
    "tests/integration/provider",
    "tests/e2e",
    "tests/reliability/test_delivery_faults.py",
    "tests/reliability/test_grant_coverage.py",
    "tests/reliability/test_malformed_corpus.py",
)
# The one marker expression a complete recording run may use: it leaves out the exactness test itself.
RECORDING_MARKEXPR = "not after_all_calls_recorded"
_PKG = "layers/linkpilot/linkpilot/"

# Source files (or directories, ending in "/") of each function, relative to the repository root.
FUNCTION_CODE: dict[str, tuple[str, ...]] = {
    # The outermost frame decides: the shared adapters (aws/audit.py, aws/notify.py) are attributed to the
    # wing that called them.
    "controller": (
        "functions/controller/",
        _PKG + "runtime/controller.py",
        _PKG + "consumer/",
        "cli/linkpilot_cli/commands/reconcile.py",  # the CLI runs the same reconcile with the same adapters
        _PKG + "aws/ram_consumer.py",
        _PKG + "aws/ec2_endpoints.py",
        _PKG + "aws/lattice_associations.py",
        _PKG + "aws/probe_schedules.py",
        _PKG + "aws/probe_now.py",
        _PKG + "aws/follow_up_queue.py",
        _PKG + "aws/ssm_directory.py",
        _PKG + "aws/events.py",
    ),
    "onboarding": (
        "functions/onboarding/",
        _PKG + "runtime/onboarding.py",
        _PKG + "provider/",
        _PKG + "aws/ram_provider.py",
        _PKG + "aws/lattice_provider.py",
        _PKG + "aws/ssm_parameters.py",
    ),
    "probe": ("functions/probe/", _PKG + "runtime/probe.py", _PKG + "probe/"),
    # not Lambda functions: a person runs these with their own credentials
    "operator": (
        "cli/linkpilot_cli/commands/status.py",
        "cli/linkpilot_cli/commands/stackset.py",
        "cli/linkpilot_cli/commands/provider.py",
        "cli/linkpilot_cli/adapters/",  # their own: StackSets, the template bucket, probe metrics and logs
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


# API operations whose IAM action has another name (IAM service authorization reference)
IAM_ACTION = {("lambda", "Invoke"): "InvokeFunction"}


def record(service: str, operation: str) -> None:
    operation = IAM_ACTION.get((service, operation), operation)
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


def session_covers_suite(config: Any) -> bool:
    """Whether this session selected every test of SUITE (then the union of its records is complete)."""
    opt = config.option
    if opt.keyword or (opt.markexpr and opt.markexpr != RECORDING_MARKEXPR):
        return False
    if getattr(opt, "lf", False) or getattr(opt, "deselect", None) or any("::" in a for a in config.args):
        return False
    args = [Path(a).resolve() for a in config.args] or [Path(config.rootpath).resolve()]
    return all(any(ROOT / s == a or a in (ROOT / s).parents for a in args) for s in SUITE)


def read_record_dir(directory: Path) -> dict[str, dict[str, str]]:
    """The union of a recording run's per-process records; raises ValueError if the run was not complete."""
    run_file = directory / "run.json"
    if not run_file.exists():
        raise ValueError(f"{directory} holds no finished recording run (no run.json)")
    run = json.loads(run_file.read_text())
    if not run.get("complete"):
        raise ValueError(f"the recording run in {directory} was not complete: {run}")
    merged: dict[str, dict[str, str]] = {}
    for part in sorted(directory.glob("calls-*.json")):
        for function, calls in json.loads(part.read_text()).items():
            for call, test in calls.items():
                merged.setdefault(function, {}).setdefault(call, test)
    return merged


def write_records(session: Any, exitstatus: int) -> None:
    """At session end (tests/conftest.py): this process's records, and run.json from the controlling one."""
    directory = os.environ.get(RECORD_DIR_ENV)
    if not directory:
        return
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    (out / f"calls-{worker or 'main'}.json").write_text(json.dumps(snapshot(), indent=1, sort_keys=True))
    if worker is None:  # the controlling process ends after every worker has written its part
        complete = int(exitstatus) == 0 and session_covers_suite(session.config)
        (out / "run.json").write_text(json.dumps({"complete": complete, "exitstatus": int(exitstatus)}))
