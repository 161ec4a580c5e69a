"""The one reconcile every trigger runs (RAM event, schedule, policy change, ``linkpilot reconcile``).

Level-triggered, like a Kubernetes controller: read the world (three list calls), plan with the pure
planner, act on the difference, record what happened. Every write carries a deterministic token, so a
concurrent or repeated run converges on the same result. One failed action never blocks the others: a
refusal is recorded; a transient or unexpected error is recorded too and makes ``report.retryable`` true,
so the Lambda handler raises after the run and the platform retries (then the DLQ keeps the event).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from linkpilot.audit import audit_records, notification, read_failure_record
from linkpilot.aws.consumer_errors import ActionRefused, error_code, error_message
from linkpilot.models import (
    Action,
    ActionKind,
    ActionResult,
    Endpoint,
    Invitation,
    InvitationOutcome,
    ObservedState,
    Outcome,
    Plan,
    ShareResource,
    Verdict,
)
from linkpilot.plan import needs_inspection, plan_actions
from linkpilot.policy import EndpointPlacement, TrustPolicy
from linkpilot.probe_schedule import DEFAULT_MAX_INPUT_CHARS, inputs_digest, shard_inputs


# --- ports: what the reconcile needs from AWS (the adapters in linkpilot.aws implement them) ---------
class RamPort(Protocol):
    def invitations(self) -> list[Invitation]: ...
    def shared_resources(self) -> list[ShareResource]: ...
    def pending_resources(self, invitation: Invitation) -> list[ShareResource] | None: ...
    def accept(self, invitation_arn: str, client_token: str) -> InvitationOutcome: ...
    def reject(self, invitation_arn: str, client_token: str) -> InvitationOutcome: ...


class Ec2Port(Protocol):
    def managed_endpoints(self) -> list[Endpoint]: ...
    def create(
        self, placement: EndpointPlacement, configuration_arn: str, share_arn: str, client_token: str
    ) -> str: ...
    def delete(self, endpoint_ids: Sequence[str]) -> Mapping[str, ActionRefused | None]: ...


class PublishedInputsLike(Protocol):
    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def digest(self) -> str | None: ...


class SchedulesPort(Protocol):
    @property
    def key(self) -> str: ...
    def published(self) -> PublishedInputsLike: ...
    def publish(self, inputs: Sequence[str], digest: str, existing: Sequence[str]) -> None: ...


class AuditPort(Protocol):
    def write(self, records: Sequence[Mapping[str, str | int]]) -> None: ...


class NotifyPort(Protocol):
    def publish(self, subject: str, kinds: Sequence[str], message: Mapping[str, Any]) -> None: ...


class ControllerMemory:
    """What a warm process remembers between runs, to skip writes and reads that would change nothing.

    The probe schedules' digest (so a no-op run need not read the schedules) and the audit records of
    standing conditions already written (an ignored invitation is recorded once, not every five minutes).
    Entries expire after ``ttl_s``; a cold start simply reads and writes once more. Never a source of truth.
    """

    def __init__(self, ttl_s: float = 900.0, max_audit_keys: int = 20_000) -> None:
        self.ttl_s = ttl_s
        self._max_audit_keys = max_audit_keys
        self._probe: dict[str, tuple[str, float]] = {}
        self._audited: dict[str, float] = {}
        self._lock = threading.Lock()

    def probe_digest(self, key: str) -> str | None:
        with self._lock:
            entry = self._probe.get(key)
            return entry[0] if entry and time.monotonic() - entry[1] < self.ttl_s else None

    def remember_probe(self, key: str, digest: str | None) -> None:
        with self._lock:
            if digest is None:
                self._probe.pop(key, None)
            else:
                self._probe[key] = (digest, time.monotonic())

    def unseen(self, keys: Iterable[str]) -> set[str]:
        """Of ``keys``, those not recorded within the TTL (and marks them recorded)."""
        now = time.monotonic()
        with self._lock:
            fresh = {k for k in keys if now - self._audited.get(k, -1e18) >= self.ttl_s}
            if len(self._audited) + len(fresh) > self._max_audit_keys:
                self._audited.clear()
            self._audited.update(dict.fromkeys(fresh, now))
            return fresh

    def forget_audited(self, keys: Iterable[str]) -> None:
        with self._lock:
            for k in keys:
                self._audited.pop(k, None)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Controller:
    """The reconcile's collaborators. ``schedules``, ``audit`` and ``notifier`` are optional (CLI use)."""

    ram: RamPort
    ec2: Ec2Port
    schedules: SchedulesPort | None = None
    audit: AuditPort | None = None
    notifier: NotifyPort | None = None
    memory: ControllerMemory = field(default_factory=ControllerMemory)
    clock: Callable[[], datetime] = _utcnow
    max_workers: int = 8
    probe_input_max_chars: int = DEFAULT_MAX_INPUT_CHARS
    audit_retention_days: int = 90


@dataclass(frozen=True)
class ProbeRefresh:
    status: str  # unchanged | updated | planned | not-configured | failed
    targets: int = 0
    shards: int = 0
    detail: str = ""


@dataclass(frozen=True)
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

    @property
    def failed_results(self) -> tuple[ActionResult, ...]:
        return tuple(r for r in self.results if r.failed)

    @property
    def failed(self) -> bool:
        return bool(self.failed_results or self.side_errors)

    @property
    def retryable(self) -> bool:
        return bool(self.side_errors) or any(r.retryable for r in self.results)

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
            "ReconcileErrors": len(self.failed_results) + len(self.side_errors),
            "UntrustedInvitationsPending": sum(
                1 for d in decisions if d.verdict is Verdict.IGNORE and d.refused_by_policy
            ),
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
            "refused_resources": [
                {"resource_configuration_arn": arn, "share_arn": share, "reason": why}
                for arn, share, why in self.plan.refused_resources
            ],
            "probe_targets": {
                "status": self.probe.status,
                "targets": self.probe.targets,
                "shards": self.probe.shards,
                "detail": self.probe.detail or None,
            },
            "errors": list(self.side_errors)
            + [f"{r.action.kind.value} {r.action.subject}: {r.detail}" for r in self.failed_results],
            "metrics": self.metrics(),
        }


# --- the reconcile -----------------------------------------------------------------------------
def observe(policy: TrustPolicy, controller: Controller) -> ObservedState:
    """Read the world: three list calls in parallel, then the contents of trusted pending invitations."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        invitations_f = pool.submit(controller.ram.invitations)
        shared_f = pool.submit(controller.ram.shared_resources)
        endpoints_f = pool.submit(controller.ec2.managed_endpoints)
        invitations = invitations_f.result()
        shared = shared_f.result()
        endpoints = endpoints_f.result()
    to_inspect = [inv for inv in invitations if needs_inspection(policy, inv)]
    pending: dict[str, tuple[ShareResource, ...]] = {}
    for inv, resources in zip(
        to_inspect, _parallel(controller, controller.ram.pending_resources, to_inspect), strict=True
    ):
        if resources is not None:
            pending[inv.arn] = tuple(resources)
    return ObservedState(
        invitations=tuple(invitations),
        pending_resources=pending,
        shared_resources=tuple(shared),
        endpoints=tuple(endpoints),
    )


def reconcile(
    policy: TrustPolicy, controller: Controller, *, dry_run: bool = False, trigger: str = "manual"
) -> ReconcileReport:
    """Read, plan, act, record. Read errors raise (nothing was changed); action errors are in the report."""
    started = controller.clock()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    state = observe(policy, controller)
    plan = plan_actions(policy, state, started)
    if dry_run:
        results = tuple(ActionResult(a, Outcome.PLANNED) for a in plan.actions)
        report = ReconcileReport(
            run_id, trigger, True, started, plan, results, _probe_plan(policy, plan, controller)
        )
        return report
    results = _execute(policy, controller, plan)
    probe, probe_error = _refresh_probe(policy, plan, controller)
    report = ReconcileReport(run_id, trigger, False, started, plan, results, probe, probe_error)
    return _record(report, controller)


def _parallel[T](controller: Controller, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=max(1, min(controller.max_workers, len(items)))) as pool:
        return list(pool.map(fn, items))


def _failure(action: Action, exc: Exception) -> ActionResult:
    if isinstance(exc, ActionRefused):
        return ActionResult(action, Outcome.FAILED, detail=str(exc), error_code=exc.code)
    if isinstance(exc, ClientError):
        code = error_code(exc)
        return ActionResult(
            action, Outcome.FAILED, detail=f"{code}: {error_message(exc)}", error_code=code, retryable=True
        )
    return ActionResult(
        action, Outcome.FAILED, detail=repr(exc), error_code=type(exc).__name__, retryable=True
    )


_INVITATION_OUTCOMES = {
    InvitationOutcome.DONE: (Outcome.DONE, ""),
    InvitationOutcome.ALREADY: (Outcome.ALREADY_DONE, "already done (another run or a person)"),
    InvitationOutcome.EXPIRED: (Outcome.SKIPPED, "invitation expired before it could be answered"),
}


def _answer_invitation(controller: Controller, action: Action) -> ActionResult:
    answer = controller.ram.accept if action.kind is ActionKind.ACCEPT_INVITATION else controller.ram.reject
    try:
        outcome, detail = _INVITATION_OUTCOMES[answer(action.invitation_arn, action.client_token)]
    except (ActionRefused, ClientError, BotoCoreError) as exc:
        return _failure(action, exc)
    return ActionResult(action, outcome, detail=detail)


def _create_endpoint(
    policy: TrustPolicy, controller: Controller, action: Action, answered: Mapping[str, ActionResult]
) -> ActionResult:
    if action.after_invitation:
        prior = answered.get(action.after_invitation)
        if prior is None or prior.outcome not in {Outcome.DONE, Outcome.ALREADY_DONE}:
            why = prior.detail if prior else "not answered"
            return ActionResult(action, Outcome.SKIPPED, detail=f"invitation was not accepted: {why}")
    try:
        endpoint_id = controller.ec2.create(
            policy.endpoint, action.resource_configuration_arn, action.share_arn, action.client_token
        )
    except (ActionRefused, ClientError, BotoCoreError) as exc:
        return _failure(action, exc)
    return ActionResult(action, Outcome.DONE, endpoint_id=endpoint_id)


def _delete_endpoints(controller: Controller, deletes: Sequence[Action]) -> list[ActionResult]:
    if not deletes:
        return []
    try:
        refused = controller.ec2.delete([a.endpoint_id for a in deletes])
    except (ClientError, BotoCoreError) as exc:
        return [_failure(a, exc) for a in deletes]
    results = []
    for a in deletes:
        why = refused.get(a.endpoint_id)
        results.append(_failure(a, why) if why else ActionResult(a, Outcome.DONE, endpoint_id=a.endpoint_id))
    return results


def _execute(policy: TrustPolicy, controller: Controller, plan: Plan) -> tuple[ActionResult, ...]:
    invitation_actions = [
        a for a in plan.actions if a.kind in {ActionKind.ACCEPT_INVITATION, ActionKind.REJECT_INVITATION}
    ]
    answered_list = _parallel(controller, lambda a: _answer_invitation(controller, a), invitation_actions)
    answered = {r.action.invitation_arn: r for r in answered_list}
    creates = plan.of_kind(ActionKind.CREATE_ENDPOINT)
    created = _parallel(controller, lambda a: _create_endpoint(policy, controller, a, answered), creates)
    deleted = _delete_endpoints(controller, plan.of_kind(ActionKind.DELETE_ENDPOINT))
    return (*answered_list, *created, *deleted)


def _probe_inputs(policy: TrustPolicy, plan: Plan, controller: Controller) -> list[str]:
    return shard_inputs(policy.probe.defaults, plan.probe_targets, controller.probe_input_max_chars)


def _probe_plan(policy: TrustPolicy, plan: Plan, controller: Controller) -> ProbeRefresh:
    if controller.schedules is None:
        return ProbeRefresh("not-configured", len(plan.probe_targets))
    inputs = _probe_inputs(policy, plan, controller)
    return ProbeRefresh("planned", len(plan.probe_targets), len(inputs))


def _refresh_probe(
    policy: TrustPolicy, plan: Plan, controller: Controller
) -> tuple[ProbeRefresh, tuple[str, ...]]:
    schedules = controller.schedules
    if schedules is None:
        return ProbeRefresh("not-configured", len(plan.probe_targets)), ()
    try:
        inputs = _probe_inputs(policy, plan, controller)
        digest = inputs_digest(inputs)
        counts = (len(plan.probe_targets), len(inputs))
        if controller.memory.probe_digest(schedules.key) == digest:
            return ProbeRefresh("unchanged", *counts), ()
        published = schedules.published()
        if published.digest == digest:
            controller.memory.remember_probe(schedules.key, digest)
            return ProbeRefresh("unchanged", *counts), ()
        schedules.publish(inputs, digest, published.names)
        controller.memory.remember_probe(schedules.key, digest)
        return ProbeRefresh("updated", *counts), ()
    except (ClientError, BotoCoreError, ValueError) as exc:
        controller.memory.remember_probe(schedules.key, None)
        detail = f"{error_code(exc)}: {error_message(exc)}" if isinstance(exc, ClientError) else repr(exc)
        return ProbeRefresh("failed", len(plan.probe_targets), detail=detail), (f"probe schedules: {detail}",)


def record_read_failure(controller: Controller, trigger: str, exc: ClientError | BotoCoreError) -> list[str]:
    """Audit and notify a run whose reads failed (it raises afterwards, so the platform retries).

    Best effort: the same permission or outage may refuse these writes too; what failed is returned for the
    log, and the error metric, its alarm and the DLQ still show the failure.
    """
    started = controller.clock()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    detail = error_message(exc) if isinstance(exc, ClientError) else str(exc)
    problems: list[str] = []
    if controller.audit is not None:
        record = read_failure_record(
            run_id,
            trigger,
            started,
            error_code=code,
            detail=detail,
            retention_days=controller.audit_retention_days,
        )
        try:
            controller.audit.write([record])
        except Exception as audit_exc:  # noqa: BLE001 - reported to the caller, which raises the read error
            problems.append(f"audit: {audit_exc}")
    if controller.notifier is not None:
        try:
            controller.notifier.publish(
                "Linkpilot: reconcile failed reading AWS",
                ["error"],
                {
                    "run_id": run_id,
                    "trigger": trigger,
                    "at": started.isoformat(),
                    "errors": [f"{code}: {detail}"],
                },
            )
        except (ClientError, BotoCoreError) as notify_exc:
            problems.append(f"notification: {notify_exc}")
    return problems


def _record(report: ReconcileReport, controller: Controller) -> ReconcileReport:
    """Audit and notify. Failures here are reported (and retried), never allowed to hide the run."""
    errors: list[str] = []
    if controller.audit is not None:
        records, standing = audit_records(report, controller.audit_retention_days)
        # Standing conditions (ignored invitations, orphans, refused resources) are written once per TTL.
        fresh = controller.memory.unseen(standing)
        to_write = [r for r in records if r.get("dedupe", "") == "" or r["dedupe"] in fresh]
        try:
            if to_write:
                controller.audit.write(to_write)
        except Exception as exc:  # noqa: BLE001 - any audit failure is reported and retried, never swallowed
            controller.memory.forget_audited(fresh)
            errors.append(f"audit: {exc}")
    if controller.notifier is not None:
        message = notification(report)
        if message is not None:
            subject, kinds, body = message
            try:
                controller.notifier.publish(subject, kinds, body)
            except (ClientError, BotoCoreError) as exc:
                errors.append(f"notification: {exc}")
    if not errors:
        return report
    return ReconcileReport(
        report.run_id,
        report.trigger,
        report.dry_run,
        report.started_at,
        report.plan,
        report.results,
        report.probe,
        (*report.side_errors, *errors),
    )
