"""What one reconcile did: its plan, each action's result, the probe refresh, as metrics and as JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from linkpilot.consumer.follow_ups import FollowUpReport, FollowUpStatus
from linkpilot.consumer.models import DELETE_KINDS, ActionKind, ActionResult, Outcome, Plan, Verdict
from linkpilot.foreign import MESSAGE_FIELD_BYTES, bound_tree
from linkpilot.outcome import Done, Retry, RetryWhy


def new_run_id(started: datetime) -> str:
    """A run's id: when it started (to the second, as ``YYYYMMDDTHHMMSSZ``) and 8 random hex digits."""
    return f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


class ProbeStatus(StrEnum):
    """What a run did with the probe schedules' input."""

    UNCHANGED = "unchanged"
    UPDATED = "updated"
    PLANNED = "planned"  # a dry run
    NOT_CONFIGURED = "not-configured"
    FAILED = "failed"
    COVERED = "covered"  # another run, which took the lease after this trigger, does it
    SKIPPED = "skipped"  # the lease ran out first: left for the next run


class DirectoryStatus(StrEnum):
    """What a run did with the endpoint directory (SSM parameters and state-change events)."""

    UNCHANGED = "unchanged"
    UPDATED = "updated"
    NOT_CONFIGURED = "not-configured"
    FAILED = "failed"
    SKIPPED = "skipped"  # the lease ran out first: left for the next run


@dataclass(frozen=True)
class ProbeRefresh:
    status: ProbeStatus
    targets: int = 0
    shards: int = 0
    detail: str = ""
    probed_now: int = 0  # new targets the probe function was invoked for at once

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ProbeStatus(self.status))  # given as its text: checked


@dataclass(frozen=True)
class DirectoryRefresh:
    """What the endpoint directory (SSM parameters and state-change events) did in one run."""

    status: DirectoryStatus
    written: int = 0
    deleted: int = 0
    events: int = 0
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "status", DirectoryStatus(self.status)
        )  # a status given as its text: checked


@dataclass(frozen=True, kw_only=True)
class ReconcileReport:
    run_id: str
    trigger: str
    dry_run: bool
    started_at: datetime
    plan: Plan
    results: tuple[ActionResult, ...]
    probe: ProbeRefresh
    # failures outside the plan's actions (probe schedules, audit, notification): all retryable
    side_errors: tuple[str, ...] = ()
    directory: DirectoryRefresh = DirectoryRefresh(DirectoryStatus.NOT_CONFIGURED)
    # the next run this one arranged (or kept, or cleared): linkpilot.consumer.follow_ups
    follow_up: FollowUpReport = field(default_factory=lambda: FollowUpReport(FollowUpStatus.NOT_CONFIGURED))

    @property
    def failed_results(self) -> tuple[ActionResult, ...]:
        return tuple(r for r in self.results if r.failed)

    @property
    def failed(self) -> bool:
        return bool(self.failed_results or self.side_errors)

    @property
    def outcome(self) -> Done | Retry:
        """``Retry`` when an action or a later write failed transiently (or unexpectedly): the reason is the
        run's errors, each bounded as in its JSON. Otherwise ``Done``, failed when something was refused."""
        if self.side_errors or any(r.retryable for r in self.results):
            errors = bound_tree(self.errors(), MESSAGE_FIELD_BYTES)
            return Retry("; ".join(errors), why=RetryWhy.INCOMPLETE)
        return Done(failed=self.failed)

    def errors(self) -> list[str]:
        """The side errors, then one line per failed action."""
        return list(self.side_errors) + [
            f"{r.action.kind.value} {r.action.subject}: {r.detail}" for r in self.failed_results
        ]

    def done(self, kind: ActionKind) -> int:
        return sum(1 for r in self.results if r.action.kind is kind and r.outcome is Outcome.DONE)

    def metrics(self) -> dict[str, int]:
        """Counts for the ``Linkpilot`` EMF namespace."""
        decisions = self.plan.decisions
        return {
            "InvitationsAccepted": self.done(ActionKind.ACCEPT_INVITATION),
            "InvitationsRejected": self.done(ActionKind.REJECT_INVITATION),
            "InvitationsIgnored": sum(1 for d in decisions if d.verdict is Verdict.IGNORE),
            "EndpointsCreated": self.done(ActionKind.CREATE_ENDPOINT),
            "EndpointsDeleted": self.done(ActionKind.DELETE_ENDPOINT),
            "AssociationsCreated": self.done(ActionKind.CREATE_ASSOCIATION),
            "AssociationsDeleted": self.done(ActionKind.DELETE_ASSOCIATION),
            "ReconcileErrors": len(self.failed_results) + len(self.side_errors),
            "UntrustedInvitationsPending": sum(
                1 for d in decisions if d.verdict is Verdict.IGNORE and d.refused_by_policy
            ),
            "UnmanagedEndpoints": len(self.plan.unmanaged),
            "EndpointsAwaitingGrace": len(self.plan.awaiting_grace),
            "DeletesCancelled": sum(
                1 for r in self.results if r.action.kind in DELETE_KINDS and r.outcome is Outcome.SKIPPED
            ),
            "FollowUpsArranged": int(self.follow_up.status is FollowUpStatus.ARRANGED),
            # work waiting on AWS far longer than AWS takes (an endpoint pending for 15 minutes): alarmed
            "WaitsOverdue": len(self.follow_up.overdue),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "trigger": self.trigger,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "ok": not self.failed,
            "decisions": [
                {
                    "invitation_arn": d.invitation_arn,
                    "share_arn": d.share_arn,
                    "share_name": d.share_name,
                    "sender_account_id": d.sender_account_id,
                    "verdict": d.verdict.value,
                    "reason": d.reason,
                    "resources": list(d.resource_arns),
                }
                for d in self.plan.decisions
            ],
            "actions": [
                {
                    "action": r.action.kind.value,
                    "outcome": r.outcome.value,
                    "reason": r.action.reason,
                    "invitation_arn": r.action.invitation_arn or None,
                    "resource_configuration_arn": r.action.resource_configuration_arn or None,
                    "share_arn": r.action.share_arn or None,
                    "endpoint_id": r.endpoint_id or r.action.endpoint_id or None,
                    "detail": r.detail or None,
                    "error_code": r.error_code or None,
                }
                for r in self.results
            ],
            "orphaned_endpoints": [
                {
                    "endpoint_id": o.endpoint_id,
                    "resource_configuration_arn": o.resource_configuration_arn,
                    "reason": o.reason,
                }
                for o in self.plan.orphaned
            ],
            "unmanaged_endpoints": [
                {
                    "endpoint_id": u.endpoint_id,
                    "resource_configuration_arn": u.resource_configuration_arn,
                    "reason": u.reason,
                }
                for u in self.plan.unmanaged
            ],
            "awaiting_grace": [
                {
                    "endpoint_id": g.endpoint_id,
                    "resource_configuration_arn": g.resource_configuration_arn,
                    "missing_since": g.missing_since.isoformat(),
                    "delete_after": g.delete_after.isoformat(),
                }
                for g in self.plan.awaiting_grace
            ],
            "refused_resources": [
                {"resource_configuration_arn": arn, "share_arn": share, "reason": why}
                for arn, share, why in self.plan.refused_resources
            ],
            "waiting": [
                {
                    "share_arn": w.share_arn,
                    "resource_configuration_arn": w.resource_configuration_arn or None,
                    "reason": w.reason,
                }
                for w in self.plan.waiting
            ],
            "probe_targets": {
                "status": self.probe.status.value,
                "targets": self.probe.targets,
                "shards": self.probe.shards,
                "detail": self.probe.detail or None,
                "probed_now": self.probe.probed_now,
                "unprobed": [
                    {
                        "endpoint_id": u.endpoint_id,
                        "associated_resource_arn": u.associated_resource_arn,
                        "reason": u.reason,
                    }
                    for u in self.plan.unprobed
                ],
            },
            "endpoint_directory": {
                "status": self.directory.status.value,
                "written": self.directory.written,
                "deleted": self.directory.deleted,
                "events": self.directory.events,
                "detail": self.directory.detail or None,
            },
            "follow_up": self.follow_up.to_json(),
            "errors": self.errors(),
            "metrics": self.metrics(),
        }
