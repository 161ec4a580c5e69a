"""The one reconcile every trigger runs (RAM event, schedule, policy change, ``linkpilot reconcile``).

Level-triggered, like a Kubernetes controller: read the world (three list calls), plan with the pure
planner, act on the difference, record what happened. Every write carries a deterministic token, so a
concurrent or repeated run converges on the same result. One failed action never blocks the others: a
refusal is recorded; a transient or unexpected error is recorded too and makes ``report.retryable`` true,
so the Lambda handler raises after the run and the platform retries (then the DLQ keeps the event).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from linkpilot.consumer.audit import audit_records, notification, read_failure_record
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
        report = ReconcileReport(run_id, trigger, True, started, plan, results, _probe_plan(plan, controller))
        return report
    results = _execute(controller, plan)
    probe, probe_error = _refresh_probe(plan, controller)
    report = ReconcileReport(run_id, trigger, False, started, plan, results, probe, probe_error)
    return _record(report, controller)


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


def _delete_endpoints(controller: Controller, deletes: Sequence[Action]) -> list[ActionResult]:
    if not deletes:
        return []
    try:
        refused = controller.ec2.delete([a.endpoint_id for a in deletes])
    except AwsError as exc:
        return [_failure(a, exc) for a in deletes]
    results = []
    for a in deletes:
        why = refused.get(a.endpoint_id)
        results.append(_failure(a, why) if why else ActionResult(a, Outcome.DONE, endpoint_id=a.endpoint_id))
    return results


def _execute(controller: Controller, plan: Plan) -> tuple[ActionResult, ...]:
    invitation_actions = [
        a for a in plan.actions if a.kind in {ActionKind.ACCEPT_INVITATION, ActionKind.REJECT_INVITATION}
    ]
    answered_list = _parallel(controller, lambda a: _answer_invitation(controller, a), invitation_actions)
    # never a create for a configuration accepted in this run: the plan waits until RAM lists it AVAILABLE
    creates = plan.of_kind(ActionKind.CREATE_ENDPOINT)
    created = _parallel(controller, lambda a: _create_endpoint(controller, a), creates)
    deleted = _delete_endpoints(controller, plan.of_kind(ActionKind.DELETE_ENDPOINT))
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
