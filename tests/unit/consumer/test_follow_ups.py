"""Follow-up runs (``linkpilot.consumer.follow_ups``): when to look again; at most one pending per account."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from linkpilot.consumer.follow_ups import (
    BACKOFF_S,
    COALESCE,
    OVERDUE,
    Choice,
    Wait,
    coalesce,
    delay_s,
    plan_follow_up,
    waits_of,
)
from linkpilot.consumer.models import MANAGED_TAG, Endpoint, GraceEndpoint, Waiting
from linkpilot.consumer.triggers import Trigger, classify_event, follow_up_token
from linkpilot.follow_up import FollowUp

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
CAP = BACKOFF_S[-1]


def test_backoff_counts_from_when_the_wait_began_and_is_capped():
    wait = Wait("vpce-1", "endpoint pending", since=T0, known=True)
    checks, now = [], T0
    while (at := wait.next_check(now)) is not None:
        checks.append(int((at - T0).total_seconds()))
        now = at
    assert checks[:5] == [15, 45, 105, 225, 345]
    gaps = [b - a for a, b in itertools.pairwise(checks)]
    assert max(gaps) == CAP and all(g == CAP for g in gaps[3:])
    # no follow-up once it has waited OVERDUE: the schedule and the alarm take over
    # the run at the last check finds it overdue and arranges none
    assert timedelta(seconds=checks[-2]) < OVERDUE <= timedelta(seconds=checks[-1])
    assert wait.overdue(T0 + OVERDUE) and not wait.overdue(T0 + OVERDUE - timedelta(seconds=1))
    assert len(checks) == 10


def test_an_estimated_wait_is_never_overdue_and_an_unknown_one_gets_no_follow_up():
    estimated = Wait("share", "not listed", since=T0)
    assert not estimated.overdue(T0 + timedelta(hours=1))
    assert Wait("share", "not listed").next_check(T0) is None


def test_a_grace_end_is_looked_at_exactly_when_it_falls_within_the_schedule_interval():
    grace = GraceEndpoint("vpce-1", "arn:cfg", T0, T0 + timedelta(minutes=15))
    far = waits_of([], [], created=[], awaiting_grace=[grace], now=T0, horizon=timedelta(minutes=5))
    assert far == []
    near = waits_of(
        [],
        [],
        created=[],
        awaiting_grace=[grace],
        now=T0 + timedelta(minutes=11),
        horizon=timedelta(minutes=5),
    )
    assert plan_follow_up(near, T0 + timedelta(minutes=11)) == (
        T0 + timedelta(minutes=15),
        f"vpce-1: its unshare grace ends at {(T0 + timedelta(minutes=15)).isoformat()}",
    )


def test_the_waits_of_a_run():
    pending = Endpoint("vpce-p", "vpc-1", "pending", "arn:cfg", {MANAGED_TAG: "true"}, created_at=T0)
    other = Endpoint("vpce-x", "vpc-1", "pending", "arn:cfg", {}, created_at=T0)  # not ours
    ready = Endpoint("vpce-a", "vpc-1", "available", "arn:cfg", {MANAGED_TAG: "true"}, created_at=T0)
    waiting = [Waiting("arn:share", "arn:cfg2", "not listed", since=T0), Waiting("arn:share", "", "blocked")]
    now = T0 + timedelta(seconds=20)
    waits = waits_of(
        waiting,
        [pending, other, ready],
        created=["vpce-new"],
        awaiting_grace=[],
        now=now,
        horizon=timedelta(0),
    )
    assert [(w.subject, w.known) for w in waits] == [
        ("arn:cfg2", False),
        ("vpce-p", True),
        ("vpce-new", True),
    ]
    due, reason = plan_follow_up(waits, now) or (None, "")
    assert due == now + timedelta(seconds=15) and reason.startswith("vpce-new: created by this run")


def test_coalesce_keeps_one_follow_up():
    soon = FollowUp(T0 + timedelta(seconds=30), "a" * 32, "x")
    assert coalesce(None, None, False) == (Choice.NONE, None)
    assert coalesce(None, soon, False) == (Choice.CLEAR, None)
    assert coalesce((T0 + timedelta(seconds=60), "later"), soon, False) == (Choice.KEEP, soon)
    choice, record = coalesce((T0 + timedelta(seconds=10), "sooner"), soon, False)
    assert choice is Choice.ARRANGE and record is not None and record.token != soon.token
    # a follow-up that has fired no longer counts
    choice, record = coalesce((T0 + timedelta(seconds=60), "later"), soon, True)
    assert choice is Choice.ARRANGE and record is not None and record.due_at == T0 + timedelta(seconds=60)


def test_delay_is_whole_seconds_never_early_and_within_sqs_limits():
    assert delay_s(T0 + timedelta(seconds=14.2), T0) == 15
    assert delay_s(T0 - timedelta(seconds=5), T0) == 1
    assert delay_s(T0 + timedelta(hours=1), T0) == 900


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, list[int]]]:
    """Runs at increasing seconds, each seeing endpoints pending since some earlier second."""
    steps = draw(st.lists(st.integers(1, 400), min_size=1, max_size=30))
    runs, now = [], 0
    for step in steps:
        now += step
        runs.append((now, draw(st.lists(st.integers(0, now), max_size=4))))
    return runs


@settings(max_examples=300, deadline=None)
@given(histories())
def test_at_most_one_pending_never_postponed_capped_and_never_past_overdue(runs):
    pending: FollowUp | None = None
    for second, starts in runs:
        now = T0 + timedelta(seconds=second)
        waits = [
            Wait(f"vpce-{i}", "endpoint pending", since=T0 + timedelta(seconds=s), known=True)
            for i, s in enumerate(starts)
        ]
        wanted = plan_follow_up(waits, now)
        consumed = pending is not None and pending.due_at <= now
        choice, record = coalesce(wanted, pending, consumed)
        if wanted is None:
            assert record is None  # none when nothing waits
        else:
            due = wanted[0]
            assert due > now
            assert due - now <= timedelta(seconds=CAP)  # capped backoff
            # the wait that asked for it has not yet waited OVERDUE
            assert any(
                w.since is not None and due - w.since <= OVERDUE + timedelta(seconds=CAP) for w in waits
            )
            assert record is not None and record.due_at <= due + COALESCE  # never postponed
            if pending is not None and not consumed and choice is Choice.KEEP:
                assert record == pending
        pending = record  # one record: at most one pending follow-up


def test_a_follow_up_message_is_its_own_trigger():
    event = {
        "Records": [
            {"eventSource": "aws:sqs", "body": '{"linkpilot": "follow-up", "token": "' + "ab" * 16 + '"}'}
        ]
    }
    assert follow_up_token(event) == "ab" * 16
    assert classify_event(event, None) is Trigger.FOLLOW_UP
    for bad in (
        {"Records": [{"eventSource": "aws:sqs", "body": "not json"}]},
        {"Records": [{"eventSource": "aws:sqs", "body": '{"linkpilot": "follow-up", "token": "X; rm"}'}]},
        {
            "Records": [
                {"eventSource": "aws:sns", "body": '{"linkpilot": "follow-up", "token": "' + "ab" * 16 + '"}'}
            ]
        },
        {"Records": [], "other": 1},
    ):
        assert follow_up_token(bad) is None and classify_event(bad, None) is None
