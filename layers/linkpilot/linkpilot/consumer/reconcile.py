"""The one reconcile every trigger runs (RAM event, schedule, policy change, ``linkpilot reconcile``).

Level-triggered, like a Kubernetes controller: read the world (three list calls), plan with the pure
planner, act on the difference, record what happened. Every write carries a deterministic token, so a
concurrent or repeated run converges on the same result. One failed action never blocks the others: a
refusal is recorded; a transient or unexpected error is recorded too and makes ``report.retryable`` true,
so the Lambda handler raises after the run and the platform retries (then the DLQ keeps the event).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

from linkpilot.consumer.audit import audit_records, notification, read_failure_record
from linkpilot.consumer.directory import refresh_directory
from linkpilot.consumer.models import (
    Action,
    ActionKind,
    ActionResult,
    Invitation,
    InvitationOutcome,
    ObservedState,
    Outcome,
    Plan,
    ShareResource,
)
from linkpilot.consumer.plan import needs_inspection, plan_actions
from linkpilot.consumer.policy import TrustPolicy
from linkpilot.consumer.ports import Controller
from linkpilot.consumer.probe_inputs import inputs_digest, shard_inputs
from linkpilot.consumer.report import ProbeRefresh, ReconcileReport
from linkpilot.errors import AwsError, Refused
from linkpilot.lease import Covered, Lease, acquire, new_owner


# --- the reconcile -----------------------------------------------------------------------------
def observe(
    policy: TrustPolicy, controller: Controller, missing_since: Mapping[str, datetime] | None = None
) -> ObservedState:
    """Read the world: three list calls in parallel (and the grace marks), then the contents of trusted
    pending invitations. One endpoint read gives both the managed endpoints and the unmanaged ones in the
    policy's VPC. ``missing_since`` given: the marks this run already holds (no re-read)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        invitations_f = pool.submit(controller.ram.invitations)
        shared_f = pool.submit(controller.ram.shared_resources, policy.shared_resource_types)
        endpoints_f = pool.submit(controller.ec2.observed_endpoints, policy.endpoint.vpc_id)
        marks = controller.grace_marks.missing_since() if missing_since is None else dict(missing_since)
        invitations = invitations_f.result()
        shared = shared_f.result()
        endpoints, unmanaged = endpoints_f.result()
    ceiling = controller.trust_ceiling
    to_inspect = [inv for inv in invitations if needs_inspection(policy, inv, ceiling)]
    pending: dict[str, tuple[ShareResource, ...]] = {}
    refused: dict[str, str] = {}

    def inspect(inv: Invitation) -> list[ShareResource] | Refused | None:
        try:
            return controller.ram.pending_resources(inv)
        except Refused as exc:  # e.g. AccessDenied on this one invitation: its refusal, not the run's
            return exc

    for inv, resources in zip(to_inspect, _parallel(controller, inspect, to_inspect), strict=True):
        if isinstance(resources, Refused):
            refused[inv.arn] = str(resources)
        elif resources is not None:
            pending[inv.arn] = tuple(resources)
    return ObservedState(
        invitations=tuple(invitations),
        pending_resources=pending,
        shared_resources=tuple(shared),
        endpoints=tuple(endpoints),
        inspection_refused=refused,
        trust_ceiling=ceiling,
        unmanaged_endpoints=tuple(unmanaged),
        missing_since=marks,
    )


LEASE_NAME = "reconcile"


def reconcile(
    policy: TrustPolicy,
    controller: Controller,
    *,
    dry_run: bool = False,
    trigger: str = "manual",
    coalesce: bool = False,
) -> ReconcileReport:
    """Take the account's lease (when configured; a dry run only reads), then read, plan, act, record.

    Read errors raise (nothing was changed); action errors are in the report; ``LeaseBusy`` raises when
    another run held the lease longer than this one could wait (nothing was read or changed). ``coalesce``
    (a RAM event or the schedule): a run that took the lease after this one began covers it; this one then
    reads and changes nothing (probe status "covered").
    """
    if dry_run or controller.lease is None:
        return _reconcile(policy, controller, None, dry_run=dry_run, trigger=trigger)
    port = controller.lease
    began = controller.clock()
    lease, _ = acquire(
        port,
        name=LEASE_NAME,
        owner=new_owner(trigger),
        timing=controller.lease_timing,
        clock=controller.clock,
        sleep=controller.sleep,
        coalesce_since=began if coalesce else None,
    )
    if isinstance(lease, Covered):
        run_id = f"{began:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        covered = ProbeRefresh("covered", detail=f"run {lease.holder.owner} began after this trigger")
        return ReconcileReport(run_id, trigger, False, began, Plan(), (), covered)
    try:
        return _reconcile(policy, controller, lease, dry_run=False, trigger=trigger)
    finally:
        # not given back (AWS refused or failed): it expires by itself within its ttl; the next run waits
        with contextlib.suppress(AwsError):
            port.release(lease)


def _reconcile(
    policy: TrustPolicy, controller: Controller, lease: Lease | None, *, dry_run: bool, trigger: str
) -> ReconcileReport:
    started = controller.clock()  # before the reads: what was created after it is not this run's to delete
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    state = observe(policy, controller)
    plan = plan_actions(policy, state, started)
    if dry_run:
        results = tuple(ActionResult(a, Outcome.PLANNED) for a in plan.actions)
        report = ReconcileReport(run_id, trigger, True, started, plan, results, _probe_plan(plan, controller))
        return report

    def writable() -> bool:
        return lease is None or lease.allows_writes(controller.clock(), controller.lease_timing.margin_s)

    results = _execute(
        controller, plan, writable, lambda: _confirm_deletes(policy, controller, plan, started)
    )
    side: tuple[str, ...] = ()
    if dict(plan.missing_since) != dict(state.missing_since):
        try:
            controller.grace_marks.save_missing(plan.missing_since)
        except AwsError as exc:
            side = (f"grace marks: {exc}",)
    probe, probe_error = _refresh_probe(plan, controller)
    deleted = [
        r.action.endpoint_id
        for r in results
        if r.action.kind is ActionKind.DELETE_ENDPOINT and r.outcome is Outcome.DONE
    ]
    directory, directory_error = refresh_directory(controller, state.endpoints, deleted)
    errors = (*side, *probe_error, *directory_error)
    report = ReconcileReport(run_id, trigger, False, started, plan, results, probe, errors, directory)
    return _record(report, controller)


def _confirm_deletes(
    policy: TrustPolicy, controller: Controller, plan: Plan, started: datetime
) -> dict[str, str]:
    """Re-read the world just before deleting and plan again (same start time, same grace marks): an
    endpoint is deleted only if the fresh plan deletes it too. Returns, per endpoint id the fresh plan
    keeps, why. Endpoints created since ``started`` (another run's) are never deleted by either plan."""
    fresh = plan_actions(policy, observe(policy, controller, plan.missing_since), started)
    confirmed = {a.endpoint_id for a in fresh.of_kind(ActionKind.DELETE_ENDPOINT)}
    return {
        a.endpoint_id: "a fresh read just before deleting no longer calls for it"
        for a in plan.of_kind(ActionKind.DELETE_ENDPOINT)
        if a.endpoint_id not in confirmed
    }


def _parallel[T](controller: Controller, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=max(1, min(controller.max_workers, len(items)))) as pool:
        return list(pool.map(fn, items))


def _failure(action: Action, exc: Exception) -> ActionResult:
    if isinstance(exc, Refused):
        return ActionResult(action, Outcome.FAILED, detail=str(exc), error_code=exc.code)
    if isinstance(exc, AwsError):
        return ActionResult(action, Outcome.FAILED, detail=str(exc), error_code=exc.code, retryable=True)
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
    except AwsError as exc:
        return _failure(action, exc)
    return ActionResult(action, outcome, detail=detail)


def _create_endpoint(controller: Controller, action: Action) -> ActionResult:
    if action.placement is None:
        raise ValueError(f"create action without a placement: {action.resource_configuration_arn}")
    try:
        endpoint_id = controller.ec2.create(
            action.placement, action.resource_configuration_arn, action.share_arn, action.client_token
        )
    except AwsError as exc:
        return _failure(action, exc)
    return ActionResult(action, Outcome.DONE, endpoint_id=endpoint_id)


def _delete_endpoints(
    controller: Controller, planned: Sequence[Action], confirm: Callable[[], dict[str, str]]
) -> list[ActionResult]:
    if not planned:
        return []
    try:
        cancelled = confirm()
    except AwsError as exc:
        return [_failure(a, exc) for a in planned]
    results = [
        ActionResult(a, Outcome.SKIPPED, detail=cancelled[a.endpoint_id])
        for a in planned
        if a.endpoint_id in cancelled
    ]
    deletes = [a for a in planned if a.endpoint_id not in cancelled]
    if not deletes:
        return results
    try:
        refused = controller.ec2.delete([a.endpoint_id for a in deletes])
    except AwsError as exc:
        return [*results, *(_failure(a, exc) for a in deletes)]
    for a in deletes:
        why = refused.get(a.endpoint_id)
        results.append(_failure(a, why) if why else ActionResult(a, Outcome.DONE, endpoint_id=a.endpoint_id))
    return results


_LEASE_RUNNING_OUT = "the run's lease is running out: left for the next run"


def _execute(
    controller: Controller,
    plan: Plan,
    writable: Callable[[], bool],
    confirm_deletes: Callable[[], dict[str, str]],
) -> tuple[ActionResult, ...]:
    """Each phase starts only while the run still holds its lease with a margin (else: skipped, retried)."""

    def phase(
        actions: Sequence[Action], run: Callable[[Sequence[Action]], list[ActionResult]]
    ) -> list[ActionResult]:
        if not actions:
            return []
        if not writable():
            return [
                ActionResult(a, Outcome.SKIPPED, detail=_LEASE_RUNNING_OUT, retryable=True) for a in actions
            ]
        return run(actions)

    invitation_actions = [
        a for a in plan.actions if a.kind in {ActionKind.ACCEPT_INVITATION, ActionKind.REJECT_INVITATION}
    ]
    answered_list = phase(
        invitation_actions,
        lambda acts: _parallel(controller, lambda a: _answer_invitation(controller, a), acts),
    )
    # never a create for a configuration accepted in this run: the plan waits until RAM lists it AVAILABLE
    created = phase(
        plan.of_kind(ActionKind.CREATE_ENDPOINT),
        lambda acts: _parallel(controller, lambda a: _create_endpoint(controller, a), acts),
    )
    deleted = phase(
        plan.of_kind(ActionKind.DELETE_ENDPOINT),
        lambda acts: _delete_endpoints(controller, acts, confirm_deletes),
    )
    return (*answered_list, *created, *deleted)


def _probe_inputs(plan: Plan, controller: Controller) -> list[str]:
    return shard_inputs(plan.probe_defaults, plan.probe_targets, controller.probe_input_max_chars)


def _probe_plan(plan: Plan, controller: Controller) -> ProbeRefresh:
    if controller.schedules is None:
        return ProbeRefresh("not-configured", len(plan.probe_targets))
    inputs = _probe_inputs(plan, controller)
    return ProbeRefresh("planned", len(plan.probe_targets), len(inputs))


def _refresh_probe(plan: Plan, controller: Controller) -> tuple[ProbeRefresh, tuple[str, ...]]:
    schedules = controller.schedules
    if schedules is None:
        return ProbeRefresh("not-configured", len(plan.probe_targets)), ()
    try:
        inputs = _probe_inputs(plan, controller)
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
    except (AwsError, ValueError) as exc:
        controller.memory.remember_probe(schedules.key, None)
        detail = str(exc) if isinstance(exc, AwsError) else repr(exc)
        return ProbeRefresh("failed", len(plan.probe_targets), detail=detail), (f"probe schedules: {detail}",)


def record_read_failure(controller: Controller, trigger: str, exc: AwsError) -> list[str]:
    """Audit and notify a run whose reads failed (it raises afterwards, so the platform retries).

    Best effort: the same permission or outage may refuse these writes too; what failed is returned for the
    log, and the error metric, its alarm and the DLQ still show the failure.
    """
    started = controller.clock()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    code, detail = exc.code, exc.message
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
        except AwsError as notify_exc:
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
            except AwsError as exc:
                errors.append(f"notification: {exc}")
    if not errors:
        return report
    return replace(report, side_errors=(*report.side_errors, *errors))
