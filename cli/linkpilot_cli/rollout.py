"""The StackSet rollout as a plan: pure functions over plain data, no AWS call (the calls are in
``linkpilot_cli.adapters.stacksets``; the template and parameters files are read and checked in
``linkpilot_cli.rollout_input``).

What the rollout does with what exists (create or update; OUs no longer requested are reported, never
deleted), what it sends (the StackSet's arguments, the template inline or by URL, the operation preferences,
the OUs and Regions of the instances) and how an operation's per-instance results read (progress, failures).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

TEMPLATE_BODY_MAX = 51_200  # bytes; larger templates must be passed by URL (S3)
DONE_STATUSES = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})


class RolloutError(ValueError):
    """The rollout's input is unusable; no StackSet call that changes anything was made."""


@dataclass(frozen=True)
class RolloutRequest:
    stack_set_name: str
    template_body: str
    ou_ids: tuple[str, ...]
    regions: tuple[str, ...]
    parameters: tuple[tuple[str, str], ...] = ()
    capabilities: tuple[str, ...] = ()
    description: str = ""
    retain_stacks_on_account_removal: bool = False
    call_as: str = "SELF"
    max_concurrent_percentage: int = 25
    failure_tolerance_percentage: int = 0
    template_url: str = ""  # set when the body was uploaded to S3 instead of sent inline


@dataclass(frozen=True)
class StackSetState:
    """What exists: the StackSet's id and the OUs it has instances in (or was deployed to)."""

    stack_set_id: str
    ou_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RolloutPlan:
    create: bool  # no StackSet yet: create it; otherwise update it (every existing instance)
    stack_set_id: str = ""
    untargeted_ous: tuple[str, ...] = ()  # OUs with instances that are no longer requested (kept)

    @property
    def planned_action(self) -> str:
        return "planned-create" if self.create else "planned-update"


@dataclass
class RolloutReport:
    stack_set_name: str
    action: str = ""  # created | updated | planned-create | planned-update
    stack_set_id: str = ""
    operations: list[dict[str, Any]] = field(default_factory=list)
    untargeted_ous: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(op["status"] == "SUCCEEDED" for op in self.operations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack_set_name": self.stack_set_name,
            "action": self.action,
            "stack_set_id": self.stack_set_id,
            "ok": self.ok,
            "operations": self.operations,
            "ous_no_longer_requested": self.untargeted_ous,
        }


# ------------------------------------------------------------------------------------------- the plan
def plan(request: RolloutRequest, existing: StackSetState | None) -> RolloutPlan:
    """Create the StackSet, or update it; OUs that have instances but are no longer requested are kept."""
    if existing is None:
        return RolloutPlan(create=True)
    untargeted = tuple(sorted(existing.ou_ids - set(request.ou_ids)))
    return RolloutPlan(create=False, stack_set_id=existing.stack_set_id, untargeted_ous=untargeted)


def stack_set_arguments(request: RolloutRequest) -> dict[str, Any]:
    """What CreateStackSet and UpdateStackSet both take: service-managed, with automatic deployment."""
    return {
        "StackSetName": request.stack_set_name,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in request.parameters],
        "Capabilities": list(request.capabilities),
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {
            "Enabled": True,
            "RetainStacksOnAccountRemoval": request.retain_stacks_on_account_removal,
        },
        "CallAs": request.call_as,
        **({"Description": request.description} if request.description else {}),
    }


def template_arguments(request: RolloutRequest) -> dict[str, str]:
    """The template by URL when it was uploaded, else inline (within CloudFormation's inline limit)."""
    if request.template_url:
        return {"TemplateURL": request.template_url}
    size = len(request.template_body.encode())
    if size > TEMPLATE_BODY_MAX:
        raise RolloutError(
            f"template is {size} bytes, over the {TEMPLATE_BODY_MAX}-byte "
            "inline limit: pass --template-bucket to upload it to S3"
        )
    return {"TemplateBody": request.template_body}


def operation_preferences(request: RolloutRequest) -> dict[str, Any]:
    return {
        "RegionConcurrencyType": "PARALLEL",
        "MaxConcurrentPercentage": request.max_concurrent_percentage,
        "FailureTolerancePercentage": request.failure_tolerance_percentage,
    }


def instance_arguments(request: RolloutRequest) -> dict[str, Any]:
    """CreateStackInstances for every requested OU and Region (instances that exist are left as they are)."""
    return {
        "StackSetName": request.stack_set_name,
        "DeploymentTargets": {"OrganizationalUnitIds": list(request.ou_ids)},
        "Regions": list(request.regions),
        "OperationPreferences": operation_preferences(request),
        "CallAs": request.call_as,
    }


def template_key(request: RolloutRequest) -> str:
    """Where an uploaded template goes in the bucket: one key per StackSet and template content."""
    digest = hashlib.sha256(request.template_body.encode()).hexdigest()[:16]
    return f"linkpilot-stacksets/{request.stack_set_name}/{digest}.json"


def with_template_url(request: RolloutRequest, url: str) -> RolloutRequest:
    return replace(request, template_url=url)


# ------------------------------------------------------------------------------------------- the results
def progress_line(
    action: str, operation_id: str, status: str, results: Iterable[Mapping[str, Any]], seconds: float
) -> str:
    """One progress line: the operation's status and how many instances succeeded, failed, are running."""
    counts: dict[str, int] = {}
    for summary in results:
        key = str(summary.get("Status", "")).lower() or "unknown"
        counts[key] = counts.get(key, 0) + 1
    done = counts.get("succeeded", 0)
    failed = counts.get("failed", 0) + counts.get("cancelled", 0)
    waiting = sum(counts.values()) - done - failed
    return (
        f"{action} {operation_id}: {status}, instances {done} succeeded, {failed} failed, "
        f"{waiting} in progress ({seconds:.0f}s)"
    )


def operation_result(
    action: str, operation_id: str, status: str, results: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """An operation's line of the report; for one that did not succeed, every instance that did not."""
    result: dict[str, Any] = {"action": action, "operation_id": operation_id, "status": status}
    if status != "SUCCEEDED":
        result["failures"] = [
            {
                "account": f.get("Account", ""),
                "region": f.get("Region", ""),
                "status": f.get("Status", ""),
                "reason": f.get("StatusReason", ""),
            }
            for f in results
            if f.get("Status") != "SUCCEEDED"
        ]
    return result


def timed_out(action: str, operation_id: str, status: str) -> dict[str, Any]:
    """The line of an operation this run stopped waiting for (it goes on in AWS)."""
    return {"action": action, "operation_id": operation_id, "status": f"TIMED_OUT ({status})"}
