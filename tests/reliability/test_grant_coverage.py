"""Paths the other integration tests do not take but the controller's IAM policy grants for, exercised against
the local AWS so the IAM exactness test sees every granted call made (rather than excusing it)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from linkpilot.consumer.reconcile import reconcile

from .support import controller_world

pytestmark = pytest.mark.integration


def test_probe_schedules_shrinking_deletes_the_surplus_schedules(local_aws):
    cw = controller_world()
    provider = cw.Provider.create(local_aws)
    consumer = cw.Consumer.create(local_aws)
    local_aws.set_organization_sharing([provider.account, consumer.account], enabled=True)
    shares = [
        provider.share(consumer.account, [provider.configuration(f"cfg-{i}")], name=f"s{i}") for i in range(5)
    ]
    policy = consumer.policy([provider.account])

    def run() -> None:
        controller = consumer.controller()
        controller.options = replace(controller.options, probe_input_max_chars=800)  # ~two targets per input
        report = reconcile(policy, controller)
        assert not report.failed, report.to_json()["errors"]
        local_aws.clock.advance(seconds=1)

    run()  # creates the five endpoints
    run()  # they are available: five probe targets in three inputs
    assert len(consumer.schedules()) == 3
    for share in shares[1:]:
        provider.unshare(share, consumer.account)
    start = len(local_aws.call_log)
    run()  # four configurations missing: their endpoints wait out the grace
    local_aws.clock.advance(minutes=policy.unshare_grace_minutes)
    run()  # four endpoints deleted; one target left
    run()
    assert len(consumer.schedules()) == 1
    deleted = [
        op for _a, svc, op in local_aws.call_log[start:] if svc == "scheduler" and op == "DeleteSchedule"
    ]
    assert len(deleted) == 2
