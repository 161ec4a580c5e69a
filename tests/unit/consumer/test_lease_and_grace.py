"""The pure parts of issue 13: lease decisions (with a fake lease table), the unshare grace, the rule that
no run deletes an endpoint created after its observation began, and unmanaged endpoints serving an
allowed configuration (no create, reported)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from consumer_fakes import NOW, RCFG, TRUSTED, VPC, config_arn, make_policy, share_arn

from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    ActionKind,
    Endpoint,
    ObservedState,
    Outcome,
    ShareResource,
)
from linkpilot.consumer.planning import compile_rules, plan_actions
from linkpilot.consumer.ports import Controller, Ports, ReconcileOptions, RunClock
from linkpilot.consumer.reconcile import reconcile
from linkpilot.errors import Transient
from linkpilot.lease import Covered, Lease, LeaseBusy, LeaseTiming, acquire, next_wait_s
from linkpilot.outcome import Retry


class FakeLeaseTable:
    """The conditional write, in memory: free, expired, or already ours."""

    def __init__(self) -> None:
        self.held: Lease | None = None
        self.lock = threading.Lock()
        self.log: list[str] = []

    def peek(self, name: str) -> Lease | None:
        with self.lock:
            return self.held

    def try_acquire(self, lease: Lease, now):  # type: ignore[no-untyped-def]
        with self.lock:
            h = self.held
            if h is None or h.expires_at < now or h.owner == lease.owner:
                self.held = lease
                self.log.append(f"take {lease.owner}")
                return None
            return h

    def release(self, lease: Lease, now: datetime | None = None) -> None:
        with self.lock:
            if self.held is not None and self.held.owner == lease.owner:
                self.held = None
                self.log.append(f"release {lease.owner}")

    def abandon(self, lease: Lease, now) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            h = self.held
            if h is None or h.expires_at < now or h.owner == lease.owner:
                self.held = None
                self.log.append(f"abandon {lease.owner}")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def sleep(self, s: float) -> None:
        self.now += timedelta(seconds=s)


def res(n: int) -> ShareResource:
    return ShareResource(config_arn(TRUSTED, n), RCFG, share_arn(TRUSTED, n), "AVAILABLE")


def managed(n: int, eid: str, **kw) -> Endpoint:  # type: ignore[no-untyped-def]
    c = config_arn(TRUSTED, n)
    return Endpoint(
        eid, VPC, kw.pop("state", "available"), c, {MANAGED_TAG: "true", CONFIGURATION_TAG: c}, **kw
    )


# --- lease -----------------------------------------------------------------------------------------
def test_a_free_lease_is_taken_at_once():
    table, clock = FakeLeaseTable(), Clock()
    lease, waited = acquire(table, name="r", owner="a", timing=LeaseTiming(), clock=clock, sleep=clock.sleep)
    assert (lease.owner, waited) == ("a", 0.0) and lease.expires_at == NOW + timedelta(seconds=330)


def test_a_held_lease_is_waited_for_until_released():
    table, clock = FakeLeaseTable(), Clock()
    acquire(table, name="r", owner="a", timing=LeaseTiming(), clock=clock, sleep=clock.sleep)
    releases_after = iter([False, False, True])

    def sleep(s: float) -> None:
        clock.sleep(s)
        if next(releases_after):
            table.release(table.held)  # type: ignore[arg-type]

    lease, waited = acquire(
        table, name="r", owner="b", timing=LeaseTiming(poll_s=1), clock=clock, sleep=sleep
    )
    assert lease.owner == "b" and waited == 3.0


def test_a_crashed_holders_lease_is_taken_once_expired():
    table, clock = FakeLeaseTable(), Clock()
    acquire(table, name="r", owner="crashed", timing=LeaseTiming(ttl_s=30), clock=clock, sleep=clock.sleep)
    lease, waited = acquire(
        table, name="r", owner="b", timing=LeaseTiming(wait_s=60, poll_s=10), clock=clock, sleep=clock.sleep
    )
    assert lease.owner == "b" and 30 <= waited <= 31


def test_a_lease_held_longer_than_the_wait_raises_busy_and_takes_nothing():
    table, clock = FakeLeaseTable(), Clock()
    acquire(table, name="r", owner="a", timing=LeaseTiming(), clock=clock, sleep=clock.sleep)
    with pytest.raises(LeaseBusy):
        acquire(
            table, name="r", owner="b", timing=LeaseTiming(wait_s=5, poll_s=1), clock=clock, sleep=clock.sleep
        )
    assert table.held is not None and table.held.owner == "a"


def test_wait_never_exceeds_the_budget_or_the_holders_expiry():
    holder = Lease("r", "a", NOW + timedelta(seconds=2))
    assert next_wait_s(holder, NOW, poll_s=10, left_s=100) == pytest.approx(2.05)
    assert next_wait_s(holder, NOW, poll_s=1, left_s=100) == 1
    assert next_wait_s(holder, NOW, poll_s=10, left_s=0.5) == 0.5
    assert next_wait_s(holder, NOW, poll_s=10, left_s=0) == 0


def test_no_write_starts_with_less_than_the_margin_left():
    lease = Lease("r", "a", NOW + timedelta(seconds=30))
    assert lease.allows_writes(NOW, margin_s=20)
    assert not lease.allows_writes(NOW + timedelta(seconds=11), margin_s=20)


def test_reconcile_takes_and_gives_back_the_lease_and_skips_writes_when_it_runs_out():
    from consumer_fakes import FakeAccount

    account, table, clock = FakeAccount(), FakeLeaseTable(), Clock()
    account.org_share(TRUSTED, 1)
    ctl = Controller(
        Ports(ram=account, ec2=account, lease=table),
        ReconcileOptions(lease_timing=LeaseTiming(ttl_s=330)),
        RunClock(clock),
    )
    report = reconcile(make_policy(), ctl)
    assert [r.outcome for r in report.results] == [Outcome.DONE]
    assert table.log[0].startswith("take ") and table.log[-1].startswith("release ") and table.held is None
    # a run whose lease is nearly spent writes nothing and asks for a retry
    account2 = FakeAccount()
    account2.org_share(TRUSTED, 2)
    ctl2 = Controller(
        Ports(ram=account2, ec2=account2, lease=FakeLeaseTable()),
        ReconcileOptions(lease_timing=LeaseTiming(ttl_s=10)),
        RunClock(clock),
    )
    report2 = reconcile(make_policy(), ctl2)
    assert [(r.outcome, r.retryable) for r in report2.results] == [(Outcome.SKIPPED, True)]
    assert account2.endpoints == {}
    # nor the writes that follow from its reads (grace marks, probe schedules, directory): retried too
    assert (report2.probe.status, report2.directory.status) == ("skipped", "skipped")
    assert isinstance(report2.outcome, Retry) and "running out" in report2.side_errors[0]


# --- grace -----------------------------------------------------------------------------------------
def test_a_configuration_missing_once_keeps_its_endpoint_until_the_grace_has_passed():
    policy = make_policy(unshare_grace_minutes=15)
    ep = managed(1, "vpce-1", created_at=NOW - timedelta(days=1))
    first = plan_actions(compile_rules(policy), ObservedState(endpoints=(ep,)), NOW)
    assert first.actions == () and first.missing_since == {"vpce-1": NOW}
    assert [g.delete_after for g in first.awaiting_grace] == [NOW + timedelta(minutes=15)]
    assert [t.endpoint_id for t in first.probe_targets] == []  # no dns name in this fixture
    later = NOW + timedelta(minutes=14)
    within = plan_actions(
        compile_rules(policy), ObservedState(endpoints=(ep,), missing_since=first.missing_since), later
    )
    assert within.actions == () and within.missing_since == {"vpce-1": NOW}
    after = NOW + timedelta(minutes=15)
    gone = plan_actions(
        compile_rules(policy), ObservedState(endpoints=(ep,), missing_since=first.missing_since), after
    )
    assert [(a.kind, a.endpoint_id) for a in gone.actions] == [(ActionKind.DELETE_ENDPOINT, "vpce-1")]


def test_a_configuration_back_before_the_grace_clears_the_mark():
    policy = make_policy()
    ep = managed(1, "vpce-1", created_at=NOW - timedelta(days=1))
    back = ObservedState(shared_resources=(res(1),), endpoints=(ep,), missing_since={"vpce-1": NOW})
    plan = plan_actions(compile_rules(policy), back, NOW + timedelta(hours=1))
    assert plan.actions == () and plan.missing_since == {} and plan.awaiting_grace == ()


def test_a_disallowed_configuration_needs_no_grace():
    policy = make_policy(
        allowed_resource_configuration_arns=["arn:aws:vpc-lattice:*:*:resourceconfiguration/none"]
    )
    ep = managed(1, "vpce-1", created_at=NOW - timedelta(days=1))
    plan = plan_actions(
        compile_rules(policy), ObservedState(shared_resources=(res(1),), endpoints=(ep,)), NOW
    )
    assert [a.endpoint_id for a in plan.actions] == ["vpce-1"]


# --- created after the observation ------------------------------------------------------------------
def test_no_delete_of_an_endpoint_created_after_the_observation_began():
    policy = make_policy(unshare_grace_minutes=0)
    newer = managed(1, "vpce-new", created_at=NOW + timedelta(seconds=1))
    older = managed(2, "vpce-old", created_at=NOW - timedelta(seconds=2))
    plan = plan_actions(compile_rules(policy), ObservedState(endpoints=(newer, older)), NOW)
    assert [a.endpoint_id for a in plan.actions] == ["vpce-old"]
    assert "vpce-new" not in plan.missing_since


# --- unmanaged endpoints -------------------------------------------------------------------------
def test_an_untagged_endpoint_serving_an_allowed_configuration_is_reported_not_created_over():
    policy = make_policy()
    untagged = Endpoint("vpce-was-ours", VPC, "available", config_arn(TRUSTED, 1), {CONFIGURATION_TAG: "x"})
    plan = plan_actions(
        compile_rules(policy), ObservedState(shared_resources=(res(1),), unmanaged_endpoints=(untagged,)), NOW
    )
    assert plan.actions == ()
    assert [(u.endpoint_id, u.resource_configuration_arn) for u in plan.unmanaged] == [
        ("vpce-was-ours", config_arn(TRUSTED, 1))
    ]
    # an unmanaged endpoint in another VPC, or for a configuration nobody allowed, changes nothing
    elsewhere = Endpoint("vpce-x", "vpc-0ffffffffffffffff", "available", config_arn(TRUSTED, 1))
    plan2 = plan_actions(
        compile_rules(policy),
        ObservedState(shared_resources=(res(1),), unmanaged_endpoints=(elsewhere,)),
        NOW,
    )
    assert [a.kind for a in plan2.actions] == [ActionKind.CREATE_ENDPOINT] and plan2.unmanaged == ()


def test_a_hint_is_covered_by_a_run_that_took_the_lease_after_it_began():
    table, clock = FakeLeaseTable(), Clock()
    began = clock()
    clock.sleep(1)
    _holder, _ = acquire(table, name="r", owner="later", timing=LeaseTiming(), clock=clock, sleep=clock.sleep)
    covered, waited = acquire(
        table,
        name="r",
        owner="hint",
        timing=LeaseTiming(),
        clock=clock,
        sleep=clock.sleep,
        coalesce_since=began,
    )
    assert isinstance(covered, Covered) and covered.holder.owner == "later" and waited == 0


def test_a_hint_waits_for_a_run_that_took_the_lease_before_it_began():
    table, clock = FakeLeaseTable(), Clock()
    acquire(table, name="r", owner="earlier", timing=LeaseTiming(ttl_s=5), clock=clock, sleep=clock.sleep)
    clock.sleep(1)
    mine, waited = acquire(
        table,
        name="r",
        owner="hint",
        timing=LeaseTiming(),
        clock=clock,
        sleep=clock.sleep,
        coalesce_since=clock(),
    )
    assert isinstance(mine, Lease) and mine.owner == "hint" and waited > 0


def test_a_take_whose_answer_was_lost_is_given_back():
    class LostAnswer(FakeLeaseTable):
        def try_acquire(self, lease, now):  # type: ignore[no-untyped-def]
            super().try_acquire(lease, now)  # written...
            raise Transient("RequestTimeout", "...but the answer never came")

    table, clock = LostAnswer(), Clock()
    with pytest.raises(Transient):
        acquire(table, name="r", owner="a", timing=LeaseTiming(), clock=clock, sleep=clock.sleep)
    assert table.held is None  # not left to block every run for the lease's ttl


@pytest.mark.parametrize("give_back", ["release", "abandon"])
def test_giving_the_lease_back_is_retried_after_an_error_and_done_once_the_condition_fails(
    give_back: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lease left behind blocks every run until it expires: both ways of giving it back (release after a
    run; abandon after a take whose answer was lost) try again after an AWS error, and stop at a failed
    condition (nothing of ours to give back)."""
    import boto3
    from botocore.stub import Stubber

    from linkpilot.aws import state_table

    monkeypatch.setattr(state_table.time, "sleep", lambda _s: None)
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    table = state_table.StateTable(client, "linkpilot-state")
    lease = Lease("reconcile", "schedule-0123456789ab", NOW + timedelta(seconds=330), NOW)

    def give() -> None:
        if give_back == "release":
            table.release(lease, NOW)  # the shared clock's time of the give-back
        else:
            table.abandon(lease, NOW)

    with Stubber(client) as stub:
        stub.add_client_error("put_item", "InternalServerError", http_status_code=500)
        stub.add_response("put_item", {})
        give()
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        stub.add_client_error("put_item", "ConditionalCheckFailedException", http_status_code=400)
        give()
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        for _ in range(state_table.RELEASE_TRIES):
            stub.add_client_error("put_item", "InternalServerError", http_status_code=500)
        with pytest.raises(Transient):
            give()
