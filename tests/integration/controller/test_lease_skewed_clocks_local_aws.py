"""Issue 22, item 3: the run lease and the unshare grace never go by the clock of whoever runs.

A runner's own clock is the controller's ``clock`` seam: the Lambda hosts' clocks agree, a laptop running
``linkpilot reconcile`` or ``cleanup`` may be minutes or hours off. Each finding of the attacker's trial is
reproduced here with such a runner against the local AWS, whose answers are dated (HTTP ``Date``) by its
simulated clock, as AWS dates its own:

- a runner whose clock lags (or runs ahead) held the lease alongside a correct run;
- a runner one hour ahead blocked every correct run (exit 4) for about an hour, whether it ended normally
  or crashed holding the lease;
- a runner 20 minutes ahead (or a marker 20 minutes behind) deleted an endpoint whose configuration went
  missing one minute earlier, in spite of the 15-minute grace.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import reconcile
from linkpilot.lease import LeaseBusy, LeaseTiming
from linkpilot_cli import main as cli

pytestmark = pytest.mark.integration

AHEAD = timedelta(hours=1)


@pytest.fixture
def world(local_aws: Any) -> tuple[Any, Provider, Consumer]:
    return local_aws, Provider.create(local_aws), Consumer.create(local_aws)


def runner(aws: Any, consumer: Consumer, skew: timedelta, **timing: float) -> Any:
    """A controller whose runner's own clock is off by ``skew``; a wait for the lease is simulated time."""
    ctl = consumer.controller()
    ctl.clock.own = lambda: aws.clock.now() + skew
    ctl.clock.sleep = lambda s: aws.clock.advance(seconds=s)
    if timing:
        ctl.options = replace(ctl.options, lease_timing=LeaseTiming(**timing))
    return ctl


class _ReadsThen:
    """RAM reads that first run ``inner`` (another run, started while this one holds the lease)."""

    def __init__(self, ram: Any, inner: Any) -> None:
        self._ram, self._inner = ram, inner
        self.outcome: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ram, name)

    def invitations(self) -> Any:
        if self.outcome is None:
            try:
                self.outcome = self._inner()
            except LeaseBusy as busy:
                self.outcome = busy
        return self._ram.invitations()


@pytest.mark.parametrize(
    ("outer_skew", "inner_skew"),
    [(-timedelta(minutes=10), timedelta(0)), (timedelta(0), AHEAD)],
    ids=["a lagging runner holds it, a correct run tries", "a correct run holds it, one ahead tries"],
)
def test_no_runner_takes_the_lease_while_another_holds_it_whatever_its_clock(
    world: Any, outer_skew: timedelta, inner_skew: timedelta
) -> None:
    """Finding 1: the lease item was judged by each runner's own clock. A lagging runner wrote an expiry
    already past for everybody else; a runner ahead saw a live lease as expired. Either way two runs held
    it at once."""
    aws, provider, consumer = world
    policy = consumer.policy([provider.account])
    holder = runner(aws, consumer, outer_skew)
    other = runner(aws, consumer, inner_skew, wait_s=0)  # one look: held means LeaseBusy
    reads = _ReadsThen(holder.ports.ram, lambda: reconcile(policy, other, trigger="test"))
    holder.ports.ram = reads
    reconcile(policy, holder, trigger="test")
    assert isinstance(reads.outcome, LeaseBusy), f"two runs held the lease: {reads.outcome!r}"
    # given back: the next correct run takes it at once
    assert reconcile(policy, runner(aws, consumer, timedelta(0), wait_s=0)).results == ()


def test_a_runner_an_hour_ahead_does_not_block_the_next_run_after_it_ended(world: Any) -> None:
    """Finding 2, a normal run: its give-back recorded its own time (an hour ahead) as the lease's last
    change, and every correct run's take, begun "earlier", was refused for an hour."""
    aws, provider, consumer = world
    policy = consumer.policy([provider.account])
    reconcile(policy, runner(aws, consumer, AHEAD))
    correct = runner(aws, consumer, timedelta(0), wait_s=60, poll_s=1)
    began = aws.clock.now()
    assert reconcile(policy, correct).results == ()  # LeaseBusy before: "held" for an hour
    assert aws.clock.now() - began < timedelta(seconds=5)  # no wait worth the name (the simulated sleeps)


def test_a_runner_an_hour_ahead_that_crashed_holding_the_lease_blocks_for_the_lease_only(world: Any) -> None:
    """Finding 2, a crash: the lease it left expired an hour late. Now it expires after its ttl on AWS's
    clock, whatever the crashed runner's clock said."""
    aws, provider, consumer = world
    policy = consumer.policy([provider.account])
    crashed = runner(aws, consumer, AHEAD)

    class NeverGivesBack:  # the process died before its ``finally``
        def __init__(self, table: Any) -> None:
            self._table = table

        def __getattr__(self, name: str) -> Any:
            return getattr(self._table, name)

        def release(self, *_args: Any) -> None:
            return None

    crashed.ports.lease = NeverGivesBack(crashed.ports.lease)
    reconcile(policy, crashed)
    ttl = crashed.options.lease_timing.ttl_s
    correct = runner(aws, consumer, timedelta(0), wait_s=ttl + 60, poll_s=10)
    began = aws.clock.now()
    assert reconcile(policy, correct).results == ()  # LeaseBusy before: held for an hour and more
    waited = (aws.clock.now() - began).total_seconds()
    assert ttl - 15 <= waited <= ttl + 5  # blocked until the lease expired on AWS's clock, not before


def test_the_cli_is_not_refused_after_a_runner_an_hour_ahead(
    world: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """Finding 2 as the operator met it: ``linkpilot reconcile`` exited 4 (another run holds the lease)."""
    aws, provider, consumer = world
    policy = consumer.policy([provider.account])
    reconcile(policy, runner(aws, consumer, AHEAD))
    consumer.use_credentials(monkeypatch)
    monkeypatch.setenv("LINKPILOT_LEASE_WAIT_SECONDS", "5")
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(consumer.policy_doc([provider.account])))
    assert cli.main(["reconcile", "--policy", str(policy_file)]) == 0


@pytest.mark.parametrize(
    ("marker_skew", "judge_skew"),
    [(timedelta(0), timedelta(minutes=20)), (-timedelta(minutes=20), timedelta(0))],
    ids=["judged by a runner 20 minutes ahead", "marked by a runner 20 minutes behind"],
)
def test_the_unshare_grace_runs_on_awss_clock_whoever_marks_or_judges(
    world: Any, marker_skew: timedelta, judge_skew: timedelta
) -> None:
    """Finding 3: the mark was the marking runner's time, and the judgement the judging runner's: one real
    minute after the configuration went missing, a skewed pair counted 21 minutes and deleted the endpoint.
    Both are AWS's time now: the endpoint stays for the whole grace, and goes once it has passed."""
    aws, provider, consumer = world
    cfg = provider.configuration("hello")
    share = provider.share(consumer.account, [cfg])
    policy = consumer.policy([provider.account], unshare_grace_minutes=15)
    consumer.onboard(policy)
    (endpoint,) = consumer.endpoints(managed_only=True)
    aws.clock.advance(seconds=2)

    provider.unshare(share, consumer.account)
    marked = reconcile(policy, runner(aws, consumer, marker_skew))
    assert marked.results == () and len(marked.plan.awaiting_grace) == 1

    aws.clock.advance(minutes=1)
    judged = reconcile(policy, runner(aws, consumer, judge_skew))
    assert judged.results == (), "deleted one minute into a 15-minute grace"
    assert [e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True)] == [endpoint["VpcEndpointId"]]

    aws.clock.advance(minutes=14)
    gone = reconcile(policy, runner(aws, consumer, judge_skew))
    assert [(r.action.kind.value, r.outcome.value) for r in gone.results] == [("delete-endpoint", "done")]
