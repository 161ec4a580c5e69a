"""One run at a time per account: a lease with an expiry, held in a DynamoDB table the stack owns.

Reserved concurrency is not usable for this (new accounts with a low concurrency quota refuse any
``ReservedConcurrentExecutions``), and it would not cover ``linkpilot reconcile`` from a shell either.
Instead every run (Lambda or CLI) takes the lease before it reads anything, and gives it back at the end:

- taking it is one conditional write that succeeds only when nobody holds it or the holder's expiry has
  passed (a crashed holder blocks the others for at most ``ttl``);
- ``ttl`` exceeds the function's timeout, so Lambda has ended a holder before anyone else can take its lease;
  the holder also stops writing once less than ``margin`` of its lease is left (``Lease.allows_writes``);
- a run that finds it held waits (polling, at most ``wait_s``), then reads the world afresh: it never acts on
  reads taken before the other run finished. If it is still held after ``wait_s``, ``LeaseBusy`` (a
  ``Transient``) makes the Lambda invocation fail and be retried by the platform;
- with ``coalesce_since``, a run whose trigger is a mere hint (a RAM event, the schedule) stops instead of
  waiting when the holder took the lease after that time: the holder's reads come after this run's trigger,
  so its reconcile covers it (``Covered``). A policy change or an operator's run always waits and runs.
- a take that fails (throttling, timeout) may have been written, or may still be written later (a request
  in flight outlives the client's timeout): the lease is marked given back by this owner at once (best
  effort), which the late take's condition refuses, rather than left to block the others until it expires.

This module holds the decisions (pure, tested with a fake); ``linkpilot.aws.state_table`` the writes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from linkpilot.errors import Transient


@dataclass(frozen=True)
class Lease:
    """A lease this process holds (or, as ``holder`` in ``LeasePort``, the one another holds)."""

    name: str
    owner: str
    expires_at: datetime
    acquired_at: datetime | None = None

    def remaining_s(self, now: datetime) -> float:
        return (self.expires_at - now).total_seconds()

    def allows_writes(self, now: datetime, margin_s: float) -> bool:
        """Whether a write may start now: more than ``margin_s`` of the lease is left."""
        return self.remaining_s(now) > margin_s


class LeasePort(Protocol):
    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        """Take ``lease`` if free or expired at ``now``: None when taken, else the current holder's lease."""
        ...

    def release(self, lease: Lease, now: datetime | None = None) -> None:
        """Give the lease back if this owner still holds it (no-op otherwise); ``now``: when (the caller's
        clock), so that a take sent before the release cannot land after it."""
        ...

    def abandon(self, lease: Lease, now: datetime) -> None:
        """After a take whose answer was lost: leave ``lease`` given back by this owner if it is free, expired
        or ours, so that the take, if it is still in flight and lands later, finds it given back by us and
        fails (no-op when another run holds it)."""
        ...


class LeaseBusy(Transient):
    """Another run held the lease for longer than this run could wait: retry the run later."""


@dataclass(frozen=True)
class Covered:
    """Not taken: a run that took the lease after this run's trigger covers it (its reads are fresher)."""

    holder: Lease


def new_owner(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def next_wait_s(holder: Lease, now: datetime, poll_s: float, left_s: float) -> float:
    """How long to sleep before trying again: until the holder's expiry, at most ``poll_s`` (the holder
    usually releases well before it), never more than the waiting budget left; 0 means give up."""
    if left_s <= 0:
        return 0.0
    until_expiry = max(holder.remaining_s(now), 0.0) + 0.05
    return max(0.0, min(poll_s, until_expiry, left_s))


@dataclass(frozen=True)
class LeaseTiming:
    ttl_s: float = 330.0  # > the controller function's 300 s timeout (a template test checks this)
    wait_s: float = 60.0
    poll_s: float = 1.0
    margin_s: float = 20.0  # no write starts with less than this left on the lease


def acquire(
    port: LeasePort,
    *,
    name: str,
    owner: str,
    timing: LeaseTiming,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    coalesce_since: datetime | None = None,
) -> tuple[Lease | Covered, float]:
    """Take the lease, waiting for a holder to release it or expire. Returns it and the seconds waited, or
    ``Covered`` (see ``coalesce_since`` above).

    The waiting budget counts the sleeps (not the clock), so a simulated clock cannot stretch it."""
    waited = 0.0
    while True:
        now = clock()
        mine = Lease(name, owner, now + timedelta(seconds=timing.ttl_s), now)
        try:
            holder = port.try_acquire(mine, now)
        except Exception:
            with contextlib.suppress(Exception):
                # the write may have landed although its answer was lost, or may still land later
                port.abandon(mine, now)
            raise
        if holder is None:
            return mine, waited
        if (
            coalesce_since is not None
            and holder.acquired_at is not None
            and holder.acquired_at >= coalesce_since
        ):
            return Covered(holder), waited
        pause = next_wait_s(holder, now, timing.poll_s, timing.wait_s - waited)
        if pause <= 0:
            raise LeaseBusy(
                "LeaseBusy",
                f"lease {name!r} held by {holder.owner} until {holder.expires_at.isoformat()}; "
                f"waited {waited:.0f}s",
            )
        sleep(pause)
        waited += pause
