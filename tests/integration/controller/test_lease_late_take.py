"""A take of the run lease whose answer was lost can still land later (a request in flight outlives the
client's read timeout). Against DynamoDB (moto) and the real ``StateTable`` adapter: after the failed take is
abandoned, the same take arriving late must be refused, or it would hold the lease for a run that already
ended and block every run for the lease's ttl (seen as a stall in the delivery-fault test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from linkpilot.aws.state_table import StateTable
from linkpilot.lease import Lease, LeaseTiming, acquire

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TABLE = "state"


@pytest.fixture
def table() -> Iterator[StateTable]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(  # the template's StateTable key
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield StateTable(ddb, TABLE)


def take(owner: str, at: datetime, ttl_s: int = 330) -> Lease:
    return Lease("reconcile", owner, at + timedelta(seconds=ttl_s), at)


def test_a_late_take_after_abandon_is_refused(table: StateTable) -> None:
    earlier = take("run-b", T0)
    assert table.try_acquire(earlier, T0) is None
    table.release(earlier, T0 + timedelta(seconds=1))  # the lease is free: given back by run-b

    mine = take("run-a", T0 + timedelta(seconds=5))
    table.abandon(mine, T0 + timedelta(seconds=5))  # run-a's take failed; its request is still in flight
    holder = table.try_acquire(mine, T0 + timedelta(seconds=6))  # ...and lands now
    assert holder is not None and holder.owner == "run-a" and holder.expires_at.timestamp() == 0

    nxt = take("run-c", T0 + timedelta(seconds=7))
    assert table.try_acquire(nxt, T0 + timedelta(seconds=7)) is None  # the next run is not blocked


def test_the_old_give_back_would_have_left_the_late_take_holding_the_lease(table: StateTable) -> None:
    """The failure this guards against: a plain release (owner must match) does nothing on a free lease,
    so the late take lands and holds the lease for its whole ttl."""
    earlier = take("run-b", T0)
    assert table.try_acquire(earlier, T0) is None
    table.release(earlier, T0 + timedelta(seconds=1))
    mine = take("run-a", T0 + timedelta(seconds=5))
    table.release(mine, T0 + timedelta(seconds=5))  # not ours: a no-op
    assert table.try_acquire(mine, T0 + timedelta(seconds=6)) is None  # the late take holds it
    blocked = table.try_acquire(take("run-c", T0 + timedelta(seconds=7)), T0 + timedelta(seconds=7))
    assert blocked is not None and blocked.owner == "run-a"


def test_a_take_sent_while_another_run_held_the_lease_cannot_land_after_its_release(
    table: StateTable,
) -> None:
    """The path abandon cannot close: run-a's take is sent (and abandoned) while run-b holds the lease, so
    the abandon changes nothing; run-b then gives the lease back, and run-a's take lands after that. The
    release records when it happened, so a take that began before it fails its condition."""
    held = take("run-b", T0)
    assert table.try_acquire(held, T0) is None
    mine = take("run-a", T0 + timedelta(seconds=5))
    table.abandon(mine, T0 + timedelta(seconds=5))  # run-b holds it: nothing changes
    table.release(held, T0 + timedelta(seconds=6))
    holder = table.try_acquire(mine, T0 + timedelta(seconds=5))  # run-a's request, as sent at +5 s, lands
    assert holder is not None and holder.owner == "run-b" and holder.expires_at.timestamp() == 0
    nxt = take("run-c", T0 + timedelta(seconds=7))
    assert table.try_acquire(nxt, T0 + timedelta(seconds=7)) is None  # a take begun after it succeeds


def test_abandon_gives_back_a_take_that_landed_and_leaves_another_holder_alone(table: StateTable) -> None:
    mine = take("run-a", T0)
    assert table.try_acquire(mine, T0) is None  # landed, but the answer was lost
    table.abandon(mine, T0)
    assert table.try_acquire(take("run-c", T0 + timedelta(seconds=1)), T0 + timedelta(seconds=1)) is None

    other = take("run-d", T0 + timedelta(seconds=2))
    table.abandon(other, T0 + timedelta(seconds=2))  # run-c holds it: nothing changes
    holder = table.try_acquire(other, T0 + timedelta(seconds=3))
    assert holder is not None and holder.owner == "run-c"


def test_acquire_abandons_a_take_that_raised(table: StateTable) -> None:
    class LostAnswer(StateTable):
        def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
            super().try_acquire(lease, now)
            raise TimeoutError("read timeout")

    lost = LostAnswer(table._ddb, TABLE)  # same table, a transport that loses answers
    with pytest.raises(TimeoutError):
        acquire(
            lost,
            name="reconcile",
            owner="run-a",
            timing=LeaseTiming(),
            clock=lambda: T0,
            sleep=lambda s: None,
        )
    later = T0 + timedelta(seconds=1)
    assert table.try_acquire(take("run-c", later), later) is None


# --- issue 22.3: the give-back's time errs late (AWS's clock, read to the second); a run that has read the
# give-back takes over exactly that item, and only that item ------------------------------------------------
def test_a_take_over_lands_only_on_the_give_back_it_read(table: StateTable) -> None:
    held = take("run-b", T0)
    assert table.try_acquire(held, T0) is None
    table.release(held, T0 + timedelta(seconds=2))  # its time errs late: ahead of the next take's reading
    mine = take("run-a", T0 + timedelta(seconds=1))
    refused = table.try_acquire(mine, T0 + timedelta(seconds=1))
    assert refused is not None and refused.owner == "run-b"  # begun "before" the give-back: refused
    seen = table.peek("reconcile")
    assert seen is not None and seen.changed_at == T0 + timedelta(seconds=2)
    assert table.take_over(mine, seen) is None  # having read the give-back, run-a is no stale request
    again = table.take_over(take("run-c", T0 + timedelta(seconds=1)), seen)  # the same item is gone
    assert again is not None and again.owner == "run-a"
    live = table.peek("reconcile")
    assert live is not None and live.owner == "run-a" and live.changed_at == T0 + timedelta(seconds=2)
    # the last change stays the give-back's: a take sent before it still cannot land
    stale = table.try_acquire(take("run-d", T0 + timedelta(seconds=1.5)), T0 + timedelta(seconds=400))
    assert stale is not None and stale.owner == "run-a"


def test_a_take_over_whose_answer_was_lost_cannot_land_after_it_was_given_back(table: StateTable) -> None:
    held = take("run-b", T0)
    assert table.try_acquire(held, T0) is None
    table.release(held, T0 + timedelta(seconds=2))
    seen = table.peek("reconcile")
    assert seen is not None
    mine = take("run-a", T0 + timedelta(seconds=1))
    table.abandon_over(mine, seen)  # run-a's take-over failed; its request is still in flight
    late = table.take_over(mine, seen)  # ...and lands now
    assert late is not None and late.owner == "run-a" and late.expires_at.timestamp() == 0
    after = table.peek("reconcile")
    assert after is not None and after.changed_at == T0 + timedelta(seconds=2)  # the give-back's time kept
    nxt = take("run-c", T0 + timedelta(seconds=3))
    assert table.try_acquire(nxt, T0 + timedelta(seconds=3)) is None  # the next run is not blocked


def test_abandon_over_gives_back_a_take_over_that_landed(table: StateTable) -> None:
    held = take("run-b", T0)
    assert table.try_acquire(held, T0) is None
    table.release(held, T0 + timedelta(seconds=2))
    seen = table.peek("reconcile")
    assert seen is not None
    mine = take("run-a", T0 + timedelta(seconds=1))
    assert table.take_over(mine, seen) is None  # landed, but the answer was lost
    table.abandon_over(mine, seen)
    given_back = table.peek("reconcile")
    assert given_back is not None and given_back.owner == "run-a" and given_back.expires_at.timestamp() == 0
    assert table.try_acquire(take("run-c", T0 + timedelta(seconds=3)), T0 + timedelta(seconds=3)) is None


def test_every_answer_of_the_table_reads_awss_clock(table: StateTable) -> None:
    """The table's answers are dated (moto dates them with the host's clock): the reading is what they say,
    whatever the caller passes as ``now``."""
    table.clock.begin()
    assert table.peek("reconcile") is None
    stamp = table.clock.stamp()
    assert stamp.microsecond == 0 and abs((stamp - datetime.now(UTC)).total_seconds()) < 5
