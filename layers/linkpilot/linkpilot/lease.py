"""One run at a time per account: a lease with an expiry, held in a DynamoDB table the stack owns.

Reserved concurrency is not usable for this (new accounts with a low concurrency quota refuse any
``ReservedConcurrentExecutions``), and it would not cover ``linkpilot reconcile`` from a shell either.
Instead every run (Lambda or CLI) takes the lease before it reads anything, and gives it back at the end:

- taking it is a strongly consistent read of the lease (``peek``), then, if nobody holds it, one conditional
  write that succeeds only when nobody holds it or the holder's expiry has passed (a crashed holder blocks
  the others for at most ``ttl``);
- ``ttl`` exceeds the function's timeout, so Lambda has ended a holder before anyone else can take its lease;
  the holder also stops writing once less than ``margin`` of its lease is left (``Lease.allows_writes``);
- a run that finds it held waits (polling, at most ``wait_s``), then reads the world afresh: it never acts on
  reads taken before the other run finished. If it is still held after ``wait_s``, ``LeaseBusy`` (a
  ``Transient``) makes the Lambda invocation fail and be retried by the platform;
- with ``coalesce_since``, a run whose trigger is a mere hint (a RAM event, the schedule) stops instead of
  waiting when the holder took the lease after that time, or after this run first read the lease: the
  holder's reads come after this run's trigger, so its reconcile covers it (``Covered``). A policy change or
  an operator's run always waits and runs.
- a take that fails (throttling, timeout) may have been written, or may still be written later (a request
  in flight outlives the client's timeout): the lease is marked given back by this owner at once (best
  effort), which the late take's condition refuses, rather than left to block the others until it expires.

Every time here is the SHARED clock's (``SharedClock``), never the clock of whoever runs: the CLI runs on
laptops whose clocks may be off by minutes or hours, and a runner's own clock would let it hold the lease
alongside another run (a clock behind), block every run long after it ended (a clock ahead), or cut a grace
short. The shared clock is AWS's, as the state table's answers date themselves (HTTP ``Date``), carried
forward between answers by this process's monotonic clock (elapsed time needs no agreement between hosts):

- a take compares the lease's expiry with ``earliest()`` (never later than AWS's time), so nobody takes a
  lease before it has expired by AWS's clock; the expiry it writes is its ``earliest()`` plus ``ttl``;
- the holder judges what is left with ``latest()`` (never earlier than AWS's time), so it stops writing while
  the lease is still its own by every taker's judgement;
- a give-back records ``latest()`` as the lease's last change: a take that began earlier (``earliest()``)
  can never land after it. A run that has READ the give-back (``peek``) is no such take: while the give-back's
  time is not yet past on its reading, it takes over exactly the item it read (``take_over``), so a hand-over
  waits for no clock.

Every run holds it the one way, ``with lease_held(...)`` (a reconcile, a cleanup, an onboarding pass): the run
begins its own reading of the shared clock, takes the lease, and gives it back at the end (or, for a stack
delete, keeps it; a reconcile's give-back is best effort).

This module holds the decisions (pure, tested with a fake); ``linkpilot.aws.state_table`` the writes and the
readings of AWS's clock.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from linkpilot.errors import AwsError, Transient
from linkpilot.follow_up import FollowUp


@dataclass(frozen=True)
class Lease:
    """A lease this process holds (or, as ``holder`` in ``LeasePort``, the one another holds)."""

    name: str
    owner: str
    expires_at: datetime
    acquired_at: datetime | None = None
    # the item's last change (a take, or a give-back's time): a take that began before it is refused
    changed_at: datetime | None = None
    # the pending follow-up the item records: carried over by a take, replaced by the holder's give-back
    follow_up: FollowUp | None = None

    def remaining_s(self, now: datetime) -> float:
        return (self.expires_at - now).total_seconds()

    def allows_writes(self, now: datetime, margin_s: float) -> bool:
        """Whether a write may start now: more than ``margin_s`` of the lease is left."""
        return self.remaining_s(now) > margin_s


class LeasePort(Protocol):
    def peek(self, name: str) -> Lease | None:
        """The lease as it stands (strongly consistent; None: never taken). Its answer dates the shared
        clock, so a run reads the lease and AWS's time in one call before it takes anything."""
        ...

    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        """Take ``lease`` if free or expired at ``now``: None when taken, else the current holder's lease."""
        ...

    def take_over(self, lease: Lease, seen: Lease) -> Lease | None:
        """Take ``lease`` in place of ``seen`` (a lease ``peek`` found given back or expired) only if nothing
        changed since: None when taken, else the current holder. For a give-back whose time is not yet
        past on this run's reading of the clock (it errs late): having read it, this run is no request
        sent before it."""
        ...

    def release(self, lease: Lease, now: datetime) -> None:
        """Give the lease back if this owner still holds it (no-op otherwise); ``now``: when (the shared
        clock's ``latest``), so that a take sent before the release cannot land after it."""
        ...

    def abandon(self, lease: Lease, now: datetime) -> None:
        """After a take whose answer was lost: leave ``lease`` given back by this owner if it is free, expired
        or ours, so that the take, if it is still in flight and lands later, finds it given back by us and
        fails (no-op when another run holds it)."""
        ...

    def abandon_over(self, lease: Lease, seen: Lease) -> None:
        """``abandon`` after a ``take_over`` whose answer was lost: if the lease is still ``seen`` (or ours),
        leave it given back by this owner, keeping ``seen``'s last change, so the take-over fails if it
        lands later."""
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
    """How long to sleep before trying again: until the holder's expiry (or, for a lease given back, until
    the give-back's time has passed on ``now``'s clock), at most ``poll_s`` (the holder usually releases well
    before it), never more than the waiting budget left; 0 means give up."""
    if left_s <= 0:
        return 0.0
    blocked_until = max(holder.expires_at, holder.changed_at or holder.expires_at)
    until_free = max((blocked_until - now).total_seconds(), 0.0) + 0.05
    return max(0.0, min(poll_s, until_free, left_s))


def _took_after(holder: Lease, since: datetime | Callable[[], datetime], first: Lease | None) -> bool:
    """Whether ``holder`` took the lease after this run's trigger: by the shared clock (its take dated at or
    after ``since``), or by order (the lease has changed hands since this run first read it: that take
    landed after the first read, which came after the trigger). The clock reads to a second or so; the
    order needs none, but knows nothing of a take that had landed before the first read."""
    if holder.acquired_at is None:  # a holder the table did not name: not known to have come after
        return False
    if isinstance(since, datetime) and holder.acquired_at >= since:
        return True
    return first is None or holder.owner != first.owner


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
    coalesce_since: datetime | Callable[[], datetime] | None = None,
) -> tuple[Lease | Covered, float]:
    """Take the lease, waiting for a holder to release it or expire. Returns it and the seconds waited, or
    ``Covered`` (see ``coalesce_since`` above).

    ``clock``: the shared clock's ``earliest`` (a bound never later than the shared time), never a runner's
    own clock. ``coalesce_since`` is on the shared clock too: a time after the trigger arrived, or (a
    callable: the shared clock's ``latest``) read after the first ``peek``, which came after the trigger.
    Each try reads the lease first (``peek``): a held lease costs no write. The waiting budget counts the
    sleeps (not the clock), so a simulated clock cannot stretch it."""
    waited = 0.0
    since = coalesce_since
    first: tuple[Lease | None] | None = None  # the lease as this run first saw it
    while True:
        seen = port.peek(name)  # no write while another run holds it; the answer dates the clock
        now = clock()
        if first is None:
            first = (seen,)
            if callable(since):  # on the shared clock, after the first reading: later than the trigger
                since = since()
        carried = seen.follow_up if seen is not None else None  # the take keeps the item's follow-up
        mine = Lease(name, owner, now + timedelta(seconds=timing.ttl_s), now, follow_up=carried)
        if seen is not None and seen.expires_at >= now:
            holder = seen  # held, on the shared clock: nothing is written
        else:  # free, given back or expired
            # a give-back whose time is not past on this run's reading (it errs late): take over what we saw
            over = (
                seen if seen is not None and seen.changed_at is not None and seen.changed_at >= now else None
            )
            try:
                taken = port.try_acquire(mine, now) if over is None else port.take_over(mine, over)
            except Exception:
                with contextlib.suppress(Exception):
                    # the write may have landed although its answer was lost, or may still land later
                    if over is None:
                        port.abandon(mine, now)
                    else:
                        port.abandon_over(mine, over)
                raise
            if taken is None:
                return mine, waited
            holder = taken
        if since is not None and _took_after(holder, since, first[0]):
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


class GiveBack(StrEnum):
    """What a run does with its lease when it ends."""

    YES = "yes"  # give it back; a failure to do so raises (the run is retried)
    BEST_EFFORT = "best-effort"  # give it back; if AWS refuses or fails, it expires by itself within its ttl
    NO = "no"  # keep it until it expires (a stack delete: no run may act after it)


@contextlib.contextmanager
def lease_held(
    port: LeasePort | None,
    *,
    name: str,
    owner: str,
    timing: LeaseTiming,
    clock: SharedClock,
    sleep: Callable[[float], None],
    coalesce: bool = False,
    give_back: GiveBack = GiveBack.YES,
    give_back_as: Callable[[Lease], Lease] | None = None,
) -> Iterator[Lease | Covered | None]:
    """One run under the lease ``name``: the one way a reconcile, a cleanup and an onboarding pass take it.

    Begins the run's own reading of the shared ``clock`` (none carried over from an earlier run), takes the
    lease as :func:`acquire` does (``LeaseBusy`` when it stays held longer than ``timing.wait_s``), yields
    it, and at the end gives it back as ``give_back`` says, at the clock's ``latest`` (so a take sent before
    the give-back cannot land after it); ``give_back_as`` gives back the lease it returns for the one held
    (a reconcile records its follow-up so). ``port`` None (no state table, or a run that only reads):
    nothing is taken, yields None. ``coalesce`` (a trigger that is only a hint): yields ``Covered``, having
    taken nothing, when a run that took the lease after this one's first reading of the clock covers it.
    """
    clock.begin()
    if port is None:
        yield None
        return
    lease, _ = acquire(
        port,
        name=name,
        owner=owner,
        timing=timing,
        clock=clock.earliest,
        sleep=sleep,
        # covered only by a run that took the lease after this one's first reading of the shared clock
        # (``latest``, read after the lease's first read): the trigger came before both
        coalesce_since=clock.latest if coalesce else None,
    )
    if isinstance(lease, Covered):
        yield lease
        return
    try:
        yield lease
    finally:
        returned = give_back_as(lease) if give_back_as is not None else lease
        if give_back is GiveBack.BEST_EFFORT:
            with contextlib.suppress(AwsError):
                port.release(returned, clock.latest())
        elif give_back is GiveBack.YES:
            port.release(returned, clock.latest())


# --- the shared clock ------------------------------------------------------------------------------
class SharedClock(Protocol):
    """The time every run of an account reads alike: AWS's, as the state table's answers date themselves;
    never the clock of whoever runs. Bounds, because AWS dates an answer to the second and answers travel."""

    def begin(self) -> None:
        """A new run: forget earlier readings (a process frozen between runs may have lost elapsed time)."""
        ...

    def stamp(self) -> datetime:
        """The shared time as last read (AWS: whole seconds), never later than now: the time a run plans
        with (grace marks, the creation-time rule, create tokens)."""
        ...

    def earliest(self) -> datetime:
        """Never later than the shared time now."""
        ...

    def latest(self) -> datetime:
        """Never earlier than the shared time now."""
        ...


@dataclass(frozen=True)
class OwnClock:
    """One process's own clock standing in for the shared one: a runner with no state table (no lease, grace
    marks in its own memory: the same clock marks and judges) and unit tests."""

    clock: Callable[[], datetime]

    def begin(self) -> None:
        return None

    def stamp(self) -> datetime:
        return self.clock()

    def earliest(self) -> datetime:
        return self.clock()

    def latest(self) -> datetime:
        return self.clock()


# A monotonic clock's rate may be off by as much as NTP corrects a clock's frequency, at most 500 ppm
# (RFC 5905): elapsed time is stretched or shrunk by it so that each bound stays a bound.
MONOTONIC_RATE_ERROR = 5e-4


@dataclass(frozen=True)
class TimeReading:
    """One dated answer: ``served`` is its ``Date`` (AWS's clock while answering, to the second, rounded
    down); ``sent`` and ``received`` are this process's monotonic clock around the call."""

    served: datetime
    sent: float
    received: float

    def earliest(self, at: float) -> datetime:
        """The answer was dated no later than it arrived, and the date is rounded down."""
        elapsed = max(0.0, at - self.received) * (1 - MONOTONIC_RATE_ERROR)
        return self.served + timedelta(seconds=elapsed)

    def latest(self, at: float) -> datetime:
        """The answer was dated after the request left, within the second the date names."""
        elapsed = max(0.0, at - self.sent) * (1 + MONOTONIC_RATE_ERROR)
        return self.served + timedelta(seconds=1 + elapsed)


class NoSharedTime(Transient):
    """The state table's answer carried no ``Date``: there is no shared time to take a lease by (retried)."""


class ReadingClock:
    """A ``SharedClock`` from dated answers: the adapter ``observe``s every answer; the bounds come from the
    newest reading of this run, carried forward by the monotonic clock; ``read`` asks for one (a state table
    read) when the run has none yet."""

    def __init__(self, read: Callable[[], None], monotonic: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self.monotonic = monotonic
        self._newest: TimeReading | None = None
        self._lock = threading.Lock()

    def observe(self, served: datetime, sent: float, received: float) -> None:
        reading = TimeReading(served, sent, received)
        with self._lock:
            if self._newest is None or reading.received >= self._newest.received:
                self._newest = reading

    def begin(self) -> None:
        with self._lock:
            self._newest = None

    def _reading(self) -> TimeReading:
        with self._lock:
            newest = self._newest
        if newest is None:
            self._read()
            with self._lock:
                newest = self._newest
        if newest is None:
            raise NoSharedTime("NoSharedTime", "the state table's answer carried no Date header")
        return newest

    def stamp(self) -> datetime:
        return self._reading().served

    def earliest(self) -> datetime:
        reading = self._reading()
        return reading.earliest(self.monotonic())

    def latest(self) -> datetime:
        reading = self._reading()
        return reading.latest(self.monotonic())
