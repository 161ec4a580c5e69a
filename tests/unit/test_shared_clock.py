"""Issue 22.3, the pure parts: the shared clock read off dated answers (bounds that hold whatever the runner's
own clock says), the take-over of a lease given back "in the future" of a run's reading, and coalescing by
the order of the lease's changes."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from consumer_fakes import NOW

from linkpilot.aws.state_table import served_at
from linkpilot.lease import (
    Covered,
    Lease,
    LeaseTiming,
    NoSharedTime,
    ReadingClock,
    TimeReading,
    acquire,
    next_wait_s,
)


# --- a reading of AWS's clock ------------------------------------------------------------------
def test_every_bound_holds_for_any_moment_the_answer_was_dated() -> None:
    """AWS dates an answer to the second (rounded down) at some moment between the request leaving and the
    answer arriving; ``earliest`` never passes the true time and ``latest`` never falls behind it."""
    rng = random.Random(7)
    for _ in range(2000):
        sent = rng.uniform(0, 1000)
        received = sent + rng.uniform(0, 3)
        dated_at = rng.uniform(sent, received)  # on the monotonic clock
        true_at_dating = NOW + timedelta(seconds=rng.uniform(0, 86400))
        served = true_at_dating.replace(microsecond=0)
        reading = TimeReading(served, sent, received)
        later = received + rng.uniform(0, 600)
        true_later = true_at_dating + timedelta(seconds=later - dated_at)
        assert reading.earliest(later) <= true_later <= reading.latest(later)


def test_the_bounds_are_a_second_and_the_round_trip_apart() -> None:
    reading = TimeReading(NOW, sent=10.0, received=10.25)
    assert reading.earliest(10.25) == NOW
    gap = (reading.latest(10.25) - reading.earliest(10.25)).total_seconds()
    assert gap == pytest.approx(1.25, abs=1e-3)


def test_a_date_header_is_read_as_utc_and_its_absence_is_no_reading() -> None:
    answer = {"ResponseMetadata": {"HTTPHeaders": {"date": "Mon, 30 Nov 2026 08:52:14 GMT"}}}
    assert served_at(answer) == datetime(2026, 11, 30, 8, 52, 14, tzinfo=UTC)
    assert served_at({"ResponseMetadata": {"HTTPHeaders": {}}}) is None
    assert served_at({"ResponseMetadata": {"HTTPHeaders": {"date": "not a date"}}}) is None
    assert served_at({}) is None


class Mono:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_a_run_reads_the_clock_afresh_and_keeps_the_newest_reading() -> None:
    mono = Mono()
    reads: list[float] = []
    clock: ReadingClock

    def read() -> None:
        reads.append(mono.t)
        clock.observe(NOW, mono.t, mono.t)

    clock = ReadingClock(read, mono)
    assert clock.stamp() == NOW and reads == [100.0]  # no reading yet: one is taken
    mono.t = 160.0
    assert clock.earliest() == NOW + timedelta(seconds=60 * (1 - 5e-4))  # carried forward, not re-read
    clock.observe(NOW + timedelta(seconds=30), 130.0, 130.5)  # an older answer that arrived earlier
    clock.observe(NOW + timedelta(seconds=61), 160.0, 160.0)
    assert clock.stamp() == NOW + timedelta(seconds=61)
    clock.observe(NOW + timedelta(seconds=30), 130.0, 130.5)  # arrived before the newest: not taken
    assert clock.stamp() == NOW + timedelta(seconds=61) and reads == [100.0]
    clock.begin()  # the next run: what an earlier run read is not used (a frozen process loses time)
    assert clock.stamp() == NOW and reads == [100.0, 160.0]


def test_no_dated_answer_means_no_lease_rather_than_the_runners_clock() -> None:
    clock = ReadingClock(lambda: None, Mono())
    with pytest.raises(NoSharedTime):
        clock.earliest()


# --- taking over a give-back ----------------------------------------------------------------------
class GivenBackAhead:
    """A lease given back with a last change later than the taker's reading (the give-back's time errs
    late): the conditional take refuses, the take-over of exactly that item succeeds."""

    def __init__(self, seen: Lease, fail_take_over: bool = False) -> None:
        self.seen = seen
        self.fail_take_over = fail_take_over
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def peek(self, name: str) -> Lease:
        self.calls.append("peek")
        return self.seen

    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        self.calls.append("try_acquire")
        return self.seen if self.seen.changed_at and self.seen.changed_at >= now else None

    def take_over(self, lease: Lease, seen: Lease) -> Lease | None:
        self.calls.append(f"take_over {seen.owner}")
        if self.fail_take_over:
            raise TimeoutError("answer lost")
        return None

    def abandon(self, lease: Lease, now: datetime) -> None:
        self.calls.append("abandon")

    def abandon_over(self, lease: Lease, seen: Lease) -> None:
        self.calls.append(f"abandon_over {seen.owner}")

    def release(self, lease: Lease, now: datetime) -> None:
        self.calls.append("release")


def _given_back(by: str, at: datetime) -> Lease:
    return Lease("r", by, datetime.fromtimestamp(0, UTC), at - timedelta(seconds=30), at)


def test_a_give_back_ahead_of_the_reading_is_taken_over_without_waiting() -> None:
    table = GivenBackAhead(_given_back("before", NOW + timedelta(seconds=1.5)))
    lease, waited = acquire(
        table, name="r", owner="me", timing=LeaseTiming(), clock=lambda: NOW, sleep=lambda s: None
    )
    assert isinstance(lease, Lease) and lease.owner == "me" and waited == 0
    assert table.calls == ["peek", "take_over before"]


def test_a_lost_take_over_is_given_back_over_the_same_item() -> None:
    table = GivenBackAhead(_given_back("before", NOW + timedelta(seconds=1.5)), fail_take_over=True)
    with pytest.raises(TimeoutError):
        acquire(table, name="r", owner="me", timing=LeaseTiming(), clock=lambda: NOW, sleep=lambda s: None)
    assert table.calls == ["peek", "take_over before", "abandon_over before"]


def test_a_give_back_already_past_is_taken_with_the_ordinary_conditional_write() -> None:
    table = GivenBackAhead(_given_back("before", NOW - timedelta(seconds=1)))
    lease, _ = acquire(
        table, name="r", owner="me", timing=LeaseTiming(), clock=lambda: NOW, sleep=lambda s: None
    )
    assert isinstance(lease, Lease) and table.calls == ["peek", "try_acquire"]


def test_a_held_lease_costs_no_write_while_waiting() -> None:
    held = Lease("r", "other", NOW + timedelta(seconds=100), NOW, NOW)
    table = GivenBackAhead(held)
    table.try_acquire = lambda *a: pytest.fail("a write while the lease is held")  # type: ignore[method-assign]
    with pytest.raises(Exception, match="LeaseBusy"):
        acquire(
            table,
            name="r",
            owner="me",
            timing=LeaseTiming(wait_s=3, poll_s=1),
            clock=lambda: NOW,
            sleep=lambda s: None,
        )
    assert table.calls == ["peek"] * 4


def test_a_wait_for_a_give_back_lasts_until_its_time_has_passed() -> None:
    ahead = _given_back("before", NOW + timedelta(seconds=0.4))
    assert next_wait_s(ahead, NOW, poll_s=1, left_s=60) == pytest.approx(0.45)


# --- coalescing ---------------------------------------------------------------------------------
class TakenInBetween:
    """Free at the first read; another run's take lands before this run's own write."""

    def __init__(self, other: Lease) -> None:
        self.other = other

    def peek(self, name: str) -> Lease | None:
        return None

    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        return self.other

    def abandon(self, lease: Lease, now: datetime) -> None:  # pragma: no cover - nothing raises here
        return None


def test_a_hint_is_covered_by_a_take_that_landed_after_its_first_read_whatever_its_clock_said() -> None:
    """The clocks cannot order takes within a second; the lease's changes can: a take that landed after this
    run first read the lease came after this run's trigger."""
    other = Lease("r", "other", NOW + timedelta(seconds=330), NOW - timedelta(seconds=2), NOW)
    covered, _ = acquire(
        TakenInBetween(other),
        name="r",
        owner="hint",
        timing=LeaseTiming(),
        clock=lambda: NOW,
        sleep=lambda s: None,
        coalesce_since=lambda: NOW + timedelta(seconds=1),
    )
    assert isinstance(covered, Covered) and covered.holder.owner == "other"


def test_a_hint_is_not_covered_by_the_holder_it_first_read() -> None:
    holder = Lease("r", "earlier", NOW + timedelta(seconds=2), NOW - timedelta(seconds=1), NOW)
    table: Any = GivenBackAhead(holder)
    clock = [NOW]

    def sleep(s: float) -> None:
        clock[0] += timedelta(seconds=s)

    mine, waited = acquire(
        table,
        name="r",
        owner="hint",
        timing=LeaseTiming(poll_s=1),
        clock=lambda: clock[0],
        sleep=sleep,
        coalesce_since=lambda: NOW + timedelta(seconds=1),
    )
    assert isinstance(mine, Lease) and mine.owner == "hint" and waited > 0
