"""Helpers the reliability suite shares: the templates' IAM policies (read with linkpilot_local.cfn's
loader), the integration tests' worlds (loaded, not copied), a metrics recorder and IAM-style denials
in the local AWS."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
CORPUS = TESTS / "corpus"

# Each Lambda function with an IAM policy: (template, logical id of the function).
FUNCTIONS: dict[str, tuple[Path, str]] = {
    "controller": (ROOT / "template.yaml", "ControllerFunction"),
    "probe": (ROOT / "template.yaml", "ProbeFunction"),
    "onboarding": (ROOT / "provider" / "template.yaml", "OnboardingFunction"),
}


# --- templates (read with linkpilot_local.cfn.load_template: intrinsics in their long form) ----------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def function_statements(template: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    """Every inline IAM statement of a SAM function's ``Policies``; a conditional statement
    (``!If [cond, statement, !Ref AWS::NoValue]``) counts with the statement it can add."""
    props = template["Resources"][logical_id]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in as_list(props.get("Policies", [])):
        if not isinstance(policy, dict) or "Statement" not in policy:
            raise AssertionError(f"{logical_id}: only inline statements are checked, found {policy!r}")
        for raw in policy["Statement"]:
            if "Fn::If" in raw:
                _cond, when_true, when_false = raw["Fn::If"]
                for branch in (when_true, when_false):
                    if branch != {"Ref": "AWS::NoValue"}:
                        statements.append(branch)
            else:
                statements.append(raw)
    return statements


def granted_actions(statements: Iterable[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s.get("Effect", "Allow") == "Allow" for a in as_list(s["Action"])}


# --- the integration tests' worlds, loaded from where they live ----------------------------------------
def load_helper(path: Path) -> ModuleType:
    """Import a helper module kept next to other tests (one module object per process, like the e2e test)."""
    if path.stem in sys.modules:
        return sys.modules[path.stem]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def controller_world() -> ModuleType:
    return load_helper(TESTS / "integration" / "controller" / "controller_world.py")


def provider_world() -> ModuleType:
    return load_helper(TESTS / "integration" / "provider" / "provider_world.py")


def load_function_app(name: str) -> ModuleType:
    """A fresh instance of ``functions/<name>/app.py``: what a new Lambda container imports."""
    spec = importlib.util.spec_from_file_location(f"{name}_app_fresh", ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- metrics ------------------------------------------------------------------------------------------
class MetricsRecorder:
    """Stands in for Powertools ``Metrics`` in ``handle_event`` when deliveries run concurrently (Powertools
    keeps one metric set per process, so concurrent handlers in one process would mix their metrics)."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        with self._lock:
            self.values.setdefault(name, []).append(float(value))


# --- IAM-style denials in the local AWS -----------------------------------------------------------------
@contextlib.contextmanager
def denied(operations: set[tuple[str, str]], account: str | None = None) -> Iterator[list[tuple[str, str]]]:
    """While active, the local AWS answers ``(service, Operation)`` calls as IAM would answer a call the role
    may not make: HTTP 403 ``UnauthorizedOperation`` (EC2) or ``AccessDeniedException`` (others). The call
    is in ``aws.call_log`` like any other. Yields the list of calls denied."""
    from linkpilot_local import emulation
    from linkpilot_local.dispatch import identify, serialize
    from linkpilot_local.errors import AwsError

    original = emulation.Emulation.handle
    hits: list[tuple[str, str]] = []

    def handle(self: Any, request: Any) -> Any:
        ident = identify(request)
        if (
            ident is not None
            and ident.operation is not None
            and (ident.service, ident.operation) in operations
            and (account is None or ident.account == account)
        ):
            with self.lock:
                self.call_log.append((ident.account, ident.service, ident.operation))
                hits.append((ident.service, ident.operation))
            code = "UnauthorizedOperation" if ident.service == "ec2" else "AccessDeniedException"
            message = f"not authorized to perform: {ident.service}:{ident.operation} (denied by the test)"
            error = AwsError(code, message, status=403)
            return serialize(request, ident.service, ident.operation, error, request_id="denied")
        return original(self, request)

    emulation.Emulation.handle = handle  # type: ignore[method-assign]
    try:
        yield hits
    finally:
        emulation.Emulation.handle = original  # type: ignore[method-assign]


# Operation-name prefixes of calls that change AWS state (as opposed to reads).
WRITE_PREFIXES = (
    "Accept",
    "Associate",
    "Attach",
    "Batch",
    "Create",
    "Delete",
    "Detach",
    "Disassociate",
    "Modify",
    "Publish",
    "Put",
    "Reject",
    "Replace",
    "Send",
    "Set",
    "Start",
    "Stop",
    "Tag",
    "Terminate",
    "Untag",
    "Update",
)


def is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES)
