"""Follow-up runs: a run that ends with work only time will finish arranges its own next run soon, rather
than leaving it to the reconcile schedule (every 5 minutes).

Work that only time finishes (a ``Wait``):

- an accepted share RAM does not list yet (acceptance completes asynchronously);
- an endpoint of ours ``pending``, or a service-network VPC association of ours ``CREATE_IN_PROGRESS``
  (neither EC2 nor VPC Lattice sends an event when it becomes available);
- an endpoint awaiting the unshare grace whose grace ends before the next scheduled run.

When to look next (``plan_follow_up``, pure): a grace's end exactly; anything else by capped backoff counted
from when it began to wait: 15, 30, 60, then every 120 s (checks at +15, +45, +105, +225, +345, … s), and no
more follow-ups once it has waited ``OVERDUE`` (15 minutes, far beyond what AWS takes): from then on the
reconcile schedule alone looks at it, and the ``WaitsOverdue`` metric (alarmed) says something is stuck. So a
fault that keeps an endpoint pending forever costs at most 10 follow-up runs, never a loop.

At most one follow-up is pending per account (``coalesce``, under the run lease): the lease item records the
pending one (``FollowUp``: when, its token, why). A run keeps it when it comes no later than what the run
wants, replaces it when the run needs an earlier one, and clears it when nothing waits. The message of a
follow-up that is no longer the recorded one is stale: its run stops after one read (``is_current``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from linkpilot.consumer.models import (
    CREATE_KINDS,
    DELETE_KINDS,
    SHARE_TAG,
    ActionResult,
    Endpoint,
    GraceEndpoint,
    ObservedState,
    Outcome,
    Plan,
    Waiting,
)
from linkpilot.errors import AwsError
from linkpilot.follow_up import FollowUp
from linkpilot.foreign import MESSAGE_FIELD_BYTES, bound
from linkpilot.lease import Lease

if TYPE_CHECKING:
    from linkpilot.consumer.ports import Controller

BACKOFF_S: tuple[int, ...] = (15, 30, 60, 120)  # the intervals; the last one repeats (the cap)
OVERDUE = timedelta(minutes=15)  # waited this long: no more follow-ups, the schedule and the alarm take over
# a pending follow-up due at most this much later than the one wanted is kept (no call to replace it)
COALESCE = timedelta(seconds=2)
MAX_DELAY_S = 900  # SQS DelaySeconds: 0-900 (SendMessage, botocore model)
REASON_BYTES = 512  # a reason names ARNs another account chose: bounded where it is stored or sent


@dataclass(frozen=True)
class Wait:
    """Work that only time will finish. ``since``: when it began to wait (None: unknown). ``at``: an
    exact time to look again (a grace's end) instead of the backoff. ``known``: ``since`` comes from AWS
    (an endpoint's creation time) or from this run, not an estimate: only such a wait counts as overdue."""

    subject: str
    reason: str
    since: datetime | None = None
    at: datetime | None = None
    known: bool = False

    def next_check(self, now: datetime) -> datetime | None:
        """When to look again: ``at``, or the first backoff point after ``now``; None once overdue (or when
        it is unknown since when it waits)."""
        if self.at is not None:
            return self.at
        if self.since is None or now - self.since >= OVERDUE:
            return None
        offset, step = 0.0, 0
        age = (now - self.since).total_seconds()
        while offset <= age:
            offset += BACKOFF_S[min(step, len(BACKOFF_S) - 1)]
            step += 1
        at = self.since + timedelta(seconds=offset)
        # an estimated start (an invitation's time, before the accept) never asks for a look sooner than
        # the first step from now: the run that accepted knew the start exactly and asked for that
        return at if self.known else max(at, now + timedelta(seconds=BACKOFF_S[0]))

    def overdue(self, now: datetime) -> bool:
        return self.known and self.since is not None and now - self.since >= OVERDUE


def waits_of(
    waiting: Iterable[Waiting],
    endpoints: Iterable[Endpoint],
    *,
    created: Iterable[str],
    awaiting_grace: Iterable[GraceEndpoint],
    now: datetime,
    horizon: timedelta,
) -> list[Wait]:
    """The run's waits: shares not listed yet (``waiting`` that says since when), our endpoints and
    associations still pending (``endpoints``, as read; ``created``: ids this run created, waiting since
    ``now``), and grace ends within ``horizon`` (the reconcile schedule's interval: a later end is for a
    later scheduled run to arrange)."""
    # an accepted share RAM no longer lists whose endpoints we made was listed once: it was unshared (its
    # invitation stays ACCEPTED for days), not accepted recently, and time will not bring it back
    onboarded = {e.tags.get(SHARE_TAG, "") for e in endpoints if e.managed}
    waits = [
        # since this run's start: the accept this run made (exact); else the invitation's time (an estimate)
        Wait(w.resource_configuration_arn or w.share_arn, w.reason, since=w.since, known=w.since == now)
        for w in waiting
        if w.since is not None and (w.resource_configuration_arn or w.share_arn not in onboarded)
    ]
    made = set(created)
    for e in endpoints:
        if e.managed and e.state == "pending" and e.endpoint_id not in made:
            what = "service-network VPC association" if e.is_association else "endpoint"
            pending = "CREATE_IN_PROGRESS" if e.is_association else "pending"
            waits.append(
                Wait(e.endpoint_id, f"{what} {pending}", since=e.created_at, known=e.created_at is not None)
            )
    waits.extend(Wait(i, "created by this run: pending", since=now, known=True) for i in sorted(made))
    waits.extend(
        Wait(g.endpoint_id, f"its unshare grace ends at {g.delete_after.isoformat()}", at=g.delete_after)
        for g in awaiting_grace
        if g.delete_after - now <= horizon
    )
    return waits


def plan_follow_up(waits: Sequence[Wait], now: datetime) -> tuple[datetime, str] | None:
    """The earliest next check among ``waits``, and why ("endpoint vpce-… pending since …"); None: nothing
    that time will finish waits (or only what is overdue)."""
    best: tuple[datetime, str] | None = None
    for w in waits:
        at = w.next_check(now)
        if at is None:
            continue
        since = f" since {w.since.isoformat()}" if w.since is not None and w.at is None else ""
        reason = f"{w.subject}: {w.reason}{since}"
        if best is None or at < best[0]:
            best = (at, reason)
    return best


class Choice(StrEnum):
    NONE = "none"  # nothing waits, nothing pending
    KEEP = "kept"  # the pending follow-up comes soon enough
    ARRANGE = "arranged"  # a new one (replacing a later pending one, if any)
    CLEAR = "cleared"  # nothing waits any more: the pending one is forgotten (its message will be stale)


def coalesce(
    wanted: tuple[datetime, str] | None, pending: FollowUp | None, consumed: bool
) -> tuple[Choice, FollowUp | None]:
    """What to do with the one follow-up an account may have pending, and the record to keep. ``consumed``:
    ``pending`` has fired already (it triggered this run, or was due before this run began: this run covers
    it), so it no longer counts."""
    live = None if consumed else pending
    if wanted is None:
        return (Choice.CLEAR, None) if live is not None else (Choice.NONE, None)
    due, reason = wanted
    if live is not None and live.due_at <= due + COALESCE:
        return Choice.KEEP, live
    return Choice.ARRANGE, FollowUp(due, uuid.uuid4().hex, bound(reason, REASON_BYTES))


def delay_s(due: datetime, earliest_now: datetime) -> int:
    """SQS's whole-second delay for a run due at ``due``, from the shared clock's ``earliest`` (never later
    than AWS's time now): the message is never delivered before ``due``; at least 1, at most 900."""
    return max(1, min(MAX_DELAY_S, math.ceil((due - earliest_now).total_seconds())))


# --- the reconcile's step ------------------------------------------------------------------------------
class FollowUpStatus(StrEnum):
    NONE = "none"
    KEPT = "kept"
    ARRANGED = "arranged"
    CLEARED = "cleared"
    FAILED = "failed"
    NOT_CONFIGURED = "not-configured"
    SKIPPED = "skipped"  # the lease ran out first, or a dry run


@dataclass(frozen=True)
class FollowUpReport:
    """What a run did about its next run: the status, the follow-up it leaves pending (``record``, written
    to the lease item at the give-back), and its overdue waits (the ``WaitsOverdue`` metric)."""

    status: FollowUpStatus
    record: FollowUp | None = None
    overdue: tuple[str, ...] = ()
    detail: str = ""
    delay_s: int | None = None
    waits: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", FollowUpStatus(self.status))

    def to_json(self) -> dict[str, object]:
        record = self.record
        return {
            "status": self.status.value,
            "next_run_at": record.due_at.isoformat() if record else None,
            "because": record.reason if record else None,
            "delay_s": self.delay_s,
            "waits": self.waits,
            "overdue": list(self.overdue),
            "detail": self.detail or None,
        }


@dataclass
class FollowUpInputs:
    """What the run knows when it decides: its waits, the pending follow-up (from the lease item) and
    whether it has fired (``consumed``)."""

    waits: list[Wait] = field(default_factory=list)
    pending: FollowUp | None = None
    consumed: bool = False


def arrange_follow_up(controller: Controller, inputs: FollowUpInputs, now: datetime) -> FollowUpReport:
    """Decide the next run and, when a new one is wanted, send its message (the port: an SQS delay message
    to the controller function). A failed send is a side error of the run (retried like the others); the
    pending record is then kept as it was."""
    overdue = tuple(w.subject for w in inputs.waits if w.overdue(now))
    port = controller.ports.follow_ups
    if port is None:
        return FollowUpReport(FollowUpStatus.NOT_CONFIGURED, inputs.pending, overdue, waits=len(inputs.waits))
    choice, record = coalesce(plan_follow_up(inputs.waits, now), inputs.pending, inputs.consumed)
    status = FollowUpStatus(choice.value)
    if choice is not Choice.ARRANGE or record is None:
        return FollowUpReport(status, record, overdue, waits=len(inputs.waits))
    delay = delay_s(record.due_at, controller.clock.shared_time.earliest())
    try:
        port.send(record, delay)
    except AwsError as exc:
        failed = FollowUpStatus.FAILED
        return FollowUpReport(failed, inputs.pending, overdue, str(exc), waits=len(inputs.waits))
    return FollowUpReport(status, record, overdue, delay_s=delay, waits=len(inputs.waits))


def run_follow_up(
    controller: Controller,
    plan: Plan,
    state: ObservedState,
    results: Sequence[ActionResult],
    *,
    started: datetime,
    lease: Lease | None,
    token: str | None,
) -> FollowUpReport:
    """A reconcile's next run, if work only time will finish waits. Only under the lease: it is what keeps
    an account's follow-ups to one (a one-shot run without a state table arranges none). The pending
    follow-up has fired if it triggered this run (``token``), or was due before this run began (``started``:
    this run covers it)."""
    if lease is None:
        return FollowUpReport(FollowUpStatus.NOT_CONFIGURED, detail="no run lease (no state table)")
    done = [r for r in results if r.outcome is Outcome.DONE]
    created = {r.endpoint_id for r in done if r.action.kind in CREATE_KINDS}
    gone = {r.action.endpoint_id for r in done if r.action.kind in DELETE_KINDS}
    waits = waits_of(
        plan.waiting,
        [e for e in state.endpoints if e.endpoint_id not in gone],
        created=created,
        awaiting_grace=plan.awaiting_grace,
        now=started,
        horizon=controller.options.follow_up_horizon,
    )
    pending = lease.follow_up
    consumed = pending is not None and (pending.token == token or pending.due_at <= started)
    # now as late as AWS's time can be (``started`` is rounded down): a run woken at a check never asks for
    # that same check again
    now = controller.clock.shared_time.latest()
    return arrange_follow_up(controller, FollowUpInputs(waits, pending, consumed), now)


def stale_follow_up(controller: Controller, token: str, lease_name: str) -> str | None:
    """Why a follow-up message carrying ``token`` is stale (no longer the follow-up the lease item records:
    replaced by an earlier one, cleared because nothing waits, a duplicate delivery), or None when it is
    the pending one, or when there is no lease to tell. One read of the lease item, nothing taken."""
    if controller.ports.lease is None:
        return None
    held = controller.ports.lease.peek(lease_name)
    pending = held.follow_up if held is not None else None
    if is_current(pending, token):
        return None
    now = "none" if pending is None else f"the one due at {pending.due_at.isoformat()}"
    return f"a stale follow-up (the pending follow-up is {now}): nothing read or changed"


def is_current(pending: FollowUp | None, token: str) -> bool:
    """Whether a follow-up message carrying ``token`` is the account's pending follow-up. Any other (one
    replaced by an earlier one, one cleared because nothing waits, a duplicate delivery) is stale."""
    return pending is not None and pending.token == token


def follow_up_reason(report: FollowUpReport) -> str:
    """ "next run at … because …" (the audit record and the log line), bounded."""
    if report.record is None:
        return ""
    text = f"next run at {report.record.due_at.isoformat()} because {report.record.reason}"
    return bound(text, MESSAGE_FIELD_BYTES)
