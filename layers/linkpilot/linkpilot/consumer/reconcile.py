"""The one reconcile every trigger runs (RAM event, schedule, policy change, ``linkpilot reconcile``).

Level-triggered, like a Kubernetes controller: read the world (three list calls), plan with the pure
planner, act on the difference, record what happened. Every write carries a deterministic token, so a
concurrent or repeated run converges on the same result. One failed action never blocks the others: a
refusal is recorded; a transient or unexpected error is recorded too and makes the report's outcome a
``Retry``, so the Lambda handler raises after the run and the platform retries (then the DLQ keeps the event).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

from linkpilot.consumer.directory import refresh_directory
from linkpilot.consumer.follow_ups import FollowUpReport, FollowUpStatus, run_follow_up
from linkpilot.consumer.models import (
    CREATE_KINDS,
    DELETE_KINDS,
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
)
from linkpilot.consumer.planning import PlanRules, compile_rules, needs_inspection, plan_actions
from linkpilot.consumer.policy import TrustPolicy
from linkpilot.consumer.ports import AssociationsPort, Controller, Ec2Port
from linkpilot.consumer.probe_refresh import probe_plan, refresh_probe
from linkpilot.consumer.record import record_run
from linkpilot.consumer.report import (
    DirectoryRefresh,
    DirectoryStatus,
    ProbeRefresh,
    ProbeStatus,
    ReconcileReport,
    new_run_id,
)
from linkpilot.errors import AwsError, Refused
from linkpilot.lease import Covered, GiveBack, Lease, lease_held, new_owner


# --- the reconcile -----------------------------------------------------------------------------
def observe(
    rules: PlanRules, controller: Controller, missing_since: Mapping[str, datetime] | None = None
) -> ObservedState:
    """Read the world: three list calls in parallel (and the grace marks), then the contents of trusted
    pending invitations. One endpoint read gives both the managed endpoints and the unmanaged ones in the
    policy's VPC. ``missing_since`` given: the marks this run already holds (no re-read)."""
    vpc_id = rules.endpoints.placement.vpc_id
    with ThreadPoolExecutor(max_workers=4) as pool:
        invitations_f = pool.submit(controller.ports.ram.invitations)
        shared_f = pool.submit(controller.ports.ram.shared_resources, rules.shares.listed_types)
        endpoints_f = pool.submit(controller.ports.ec2.observed_endpoints, vpc_id)
        associations_f = pool.submit(_observe_associations, vpc_id, controller)
        marks = controller.ports.grace_marks.missing_since() if missing_since is None else dict(missing_since)
        invitations = invitations_f.result()
        shared = shared_f.result()
        endpoints, unmanaged = endpoints_f.result()
        associations, unmanaged_associations = associations_f.result()
    ceiling = controller.options.trust_ceiling
    to_inspect = [inv for inv in invitations if needs_inspection(rules.shares, inv, ceiling)]
    pending: dict[str, tuple[ShareResource, ...]] = {}
    refused: dict[str, str] = {}

    def inspect(inv: Invitation) -> list[ShareResource] | Refused | None:
        try:
            return controller.ports.ram.pending_resources(inv)
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
        endpoints=(*endpoints, *associations),
        inspection_refused=refused,
        trust_ceiling=ceiling,
        unmanaged_endpoints=(*unmanaged, *unmanaged_associations),
        missing_since=marks,
        associations_observed=controller.ports.associations is not None,
    )


def _observe_associations(vpc_id: str, controller: Controller) -> tuple[list[Endpoint], list[Endpoint]]:
    """The service-network VPC associations (when the controller has VPC Lattice access): VPC Lattice
    lists them per VPC, so every VPC of the account is read, to see ours wherever they are."""
    if controller.ports.associations is None:
        return [], []
    return controller.ports.associations.observed_associations(controller.ports.ec2.vpc_ids(), vpc_id)


LEASE_NAME = "reconcile"


def reconcile(
    policy: TrustPolicy,
    controller: Controller,
    *,
    dry_run: bool = False,
    trigger: str = "manual",
    coalesce: bool = False,
    follow_up_token: str | None = None,
    confirmed_deletes: Collection[str] | None = None,
) -> ReconcileReport:
    """Take the account's lease (when configured; a dry run only reads), then read, plan, act, record, and
    arrange the next run when work only time will finish waits (``linkpilot.consumer.follow_ups``; the
    follow-up is recorded with the lease at its give-back). ``follow_up_token``: the follow-up that triggered
    this run (it has fired). ``confirmed_deletes``: the only endpoint ids it may delete (a person's yes:
    ``linkpilot reconcile``); others planned are skipped, never deleted. ``None`` (the Lambda's): no limit.

    Read errors raise (nothing was changed); action errors are in the report; ``LeaseBusy`` raises when
    another run held the lease longer than this one could wait (nothing was read or changed). ``coalesce``
    (a RAM event or the schedule): a run that took the lease after this one began covers it; this one then
    reads and changes nothing (probe status "covered").

    Every time that guards something (the lease, the grace, the creation-time rule) is the shared clock's
    (``controller.clock.shared_time``: AWS's, from the state table), never the runner's own clock.
    """
    shared = controller.clock.shared_time
    finished: list[ReconcileReport] = []

    def with_follow_up(lease: Lease) -> Lease:
        """The lease as given back: recording the follow-up the run leaves pending (unchanged if it ended
        before deciding)."""
        return replace(lease, follow_up=finished[0].follow_up.record) if finished else lease

    with lease_held(
        None if dry_run else controller.ports.lease,
        name=LEASE_NAME,
        owner=new_owner(trigger),
        timing=controller.options.lease_timing,
        clock=shared,
        sleep=controller.clock.sleep,
        coalesce=coalesce,
        # not given back (AWS refused or failed): it expires by itself within its ttl; the next run waits
        give_back=GiveBack.BEST_EFFORT,
        give_back_as=with_follow_up,
    ) as lease:
        if isinstance(lease, Covered):
            began = shared.stamp()
            covered = ProbeRefresh(
                ProbeStatus.COVERED, detail=f"run {lease.holder.owner} began after this trigger"
            )
            return ReconcileReport(
                run_id=new_run_id(began),
                trigger=trigger,
                dry_run=False,
                started_at=began,
                plan=Plan(),
                results=(),
                probe=covered,
                follow_up=FollowUpReport(FollowUpStatus.SKIPPED, detail="covered by another run"),
            )
        run = functools.partial(_reconcile, follow_up_token=follow_up_token, only=confirmed_deletes)
        report = run(policy, controller, lease, dry_run=dry_run, trigger=trigger)
        finished.append(report)
        return report


def _reconcile(
    policy: TrustPolicy,
    controller: Controller,
    lease: Lease | None,
    *,
    dry_run: bool,
    trigger: str,
    follow_up_token: str | None = None,
    only: Collection[str] | None = None,
) -> ReconcileReport:
    shared = controller.clock.shared_time
    # before the reads, on the shared clock (AWS's second of the lease take): what was created after it is
    # not this run's to delete, and a configuration first seen missing now is marked missing since then
    started = shared.stamp()
    run_id = new_run_id(started)
    rules = compile_rules(policy)
    state = observe(rules, controller)
    plan = plan_actions(rules, state, started)
    # what every report of this run says about the run itself
    this_run = functools.partial(
        ReconcileReport, run_id=run_id, trigger=trigger, started_at=started, plan=plan
    )
    if dry_run:
        results = tuple(ActionResult(a, Outcome.PLANNED) for a in plan.actions)
        report = this_run(
            dry_run=True,
            results=results,
            probe=probe_plan(plan, controller),
            follow_up=FollowUpReport(FollowUpStatus.SKIPPED, detail="dry run"),
        )
        return report

    def writable() -> bool:
        # the holder's view of what is left errs late (``latest``): it stops before any taker could start
        return lease is None or lease.allows_writes(shared.latest(), controller.options.lease_timing.margin_s)

    results = _execute(controller, plan, writable, lambda: _confirm_deletes(controller, plan, started), only)
    if not writable():
        # what follows writes from this run's reads (grace marks, probe targets, directory): another run
        # may hold the lease by now, so it is left for the next run, like any late phase
        skipped = ProbeRefresh(ProbeStatus.SKIPPED, len(plan.probe_targets), detail=_LEASE_RUNNING_OUT)
        late = (f"grace marks, probe schedules, endpoint directory: {_LEASE_RUNNING_OUT}",)
        pending = lease.follow_up if lease is not None else None
        report = this_run(
            dry_run=False,
            results=results,
            probe=skipped,
            side_errors=late,
            directory=DirectoryRefresh(DirectoryStatus.SKIPPED),
            follow_up=FollowUpReport(FollowUpStatus.SKIPPED, pending, detail=_LEASE_RUNNING_OUT),
        )
        return record_run(report, controller)
    side: tuple[str, ...] = ()
    if dict(plan.missing_since) != dict(state.missing_since):
        try:
            controller.ports.grace_marks.save_missing(plan.missing_since)
        except AwsError as exc:
            side = (f"grace marks: {exc}",)
    probe, probe_error = refresh_probe(plan, controller)
    deleted = [
        r.action.endpoint_id for r in results if r.action.kind in DELETE_KINDS and r.outcome is Outcome.DONE
    ]
    directory, directory_error = refresh_directory(controller, state.endpoints, deleted)
    follow_up = run_follow_up(
        controller, plan, state, results, started=started, lease=lease, token=follow_up_token
    )
    failed = follow_up.status is FollowUpStatus.FAILED
    follow_up_error = (f"follow-up run: {follow_up.detail}",) if failed else ()
    errors = (*side, *probe_error, *directory_error, *follow_up_error)
    report = this_run(
        dry_run=False,
        results=results,
        probe=probe,
        side_errors=errors,
        directory=directory,
        follow_up=follow_up,
    )
    return record_run(report, controller)


def _confirm_deletes(controller: Controller, plan: Plan, started: datetime) -> dict[str, str]:
    """Re-read the world just before deleting and plan again (same rules, start time and grace marks): an
    endpoint is deleted only if the fresh plan deletes it too. Returns, per endpoint id the fresh plan
    keeps, why. Endpoints created since ``started`` (another run's) are never deleted by either plan."""
    if plan.rules is None:
        raise ValueError("deletes planned without rules: only plan_actions plans deletes")
    fresh = plan_actions(plan.rules, observe(plan.rules, controller, plan.missing_since), started)
    confirmed = {a.endpoint_id for a in fresh.actions if a.kind in DELETE_KINDS}
    return {
        a.endpoint_id: "a fresh read just before deleting no longer calls for it"
        for a in plan.actions
        if a.kind in DELETE_KINDS and a.endpoint_id not in confirmed
    }


def _parallel[T](controller: Controller, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=max(1, min(controller.options.max_workers, len(items)))) as pool:
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
    ram = controller.ports.ram
    answer = ram.accept if action.kind is ActionKind.ACCEPT_INVITATION else ram.reject
    try:
        outcome, detail = _INVITATION_OUTCOMES[answer(action.invitation_arn, action.client_token)]
    except AwsError as exc:
        return _failure(action, exc)
    return ActionResult(action, outcome, detail=detail)


def _create_endpoint(controller: Controller, action: Action) -> ActionResult:
    """A create action: an endpoint (EC2), or a service-network VPC association (VPC Lattice)."""
    if action.placement is None:
        raise ValueError(f"create action without a placement: {action.resource_configuration_arn}")
    port: Ec2Port | AssociationsPort = controller.ports.ec2
    if action.kind is ActionKind.CREATE_ASSOCIATION:
        if controller.ports.associations is None:
            raise ValueError("an association create without VPC Lattice access: the planner never plans one")
        port = controller.ports.associations
    try:
        endpoint_id = port.create(
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
    for kind, port in (
        (ActionKind.DELETE_ENDPOINT, controller.ports.ec2),
        (ActionKind.DELETE_ASSOCIATION, controller.ports.associations),
    ):
        deletes = [a for a in planned if a.kind is kind and a.endpoint_id not in cancelled]
        if not deletes:
            continue
        if port is None:
            raise ValueError("an association delete without VPC Lattice access: the planner never plans one")
        try:
            refused = port.delete([a.endpoint_id for a in deletes])
        except AwsError as exc:
            results.extend(_failure(a, exc) for a in deletes)
            continue
        for a in deletes:
            why = refused.get(a.endpoint_id)
            done = ActionResult(a, Outcome.DONE, endpoint_id=a.endpoint_id)
            results.append(_failure(a, why) if why else done)
    return results


_LEASE_RUNNING_OUT = "the run's lease is running out: left for the next run"
NOT_CONFIRMED = "not among the deletes confirmed before the run: not deleted (run again to be asked about it)"


def _execute(
    controller: Controller,
    plan: Plan,
    writable: Callable[[], bool],
    confirm_deletes: Callable[[], dict[str, str]],
    only: Collection[str] | None = None,
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
        [a for a in plan.actions if a.kind in CREATE_KINDS],
        lambda acts: _parallel(controller, lambda a: _create_endpoint(controller, a), acts),
    )
    deletes = [a for a in plan.actions if a.kind in DELETE_KINDS]
    confirmed = [a for a in deletes if only is None or a.endpoint_id in only]
    deleted = phase(confirmed, lambda acts: _delete_endpoints(controller, acts, confirm_deletes))
    skipped = (ActionResult(a, Outcome.SKIPPED, detail=NOT_CONFIRMED) for a in deletes if a not in confirmed)
    return (*answered_list, *created, *deleted, *skipped)
