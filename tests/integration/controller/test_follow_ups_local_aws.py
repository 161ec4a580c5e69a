"""Follow-up runs and the first probe of a new target, against the local AWS: the real adapters (SQS delay
messages, the lease item's record, Lambda's asynchronous invoke) and the real reconcile."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.follow_ups import stale_follow_up as stale
from linkpilot.consumer.reconcile import LEASE_NAME, reconcile
from linkpilot.runtime.controller import ControllerSettings
from linkpilot_cli.commands.status import collect_status, status_tables

pytestmark = pytest.mark.integration


def with_follow_ups(consumer: Consumer) -> str:
    sqs = consumer.session.client("sqs")
    url = sqs.create_queue(QueueName="linkpilot-follow-ups")["QueueUrl"]
    env = {
        "LINKPILOT_AUDIT_TABLE": str(consumer.settings.audit_table_name),
        "LINKPILOT_STATE_TABLE": str(consumer.settings.state_table_name),
        "LINKPILOT_TOPIC_ARN": str(consumer.settings.notification_topic_arn),
        "LINKPILOT_PROBE_SCHEDULE_GROUP": str(consumer.settings.probe_schedule_group),
        "LINKPILOT_PROBE_FUNCTION_ARN": str(consumer.settings.probe_function_arn),
        "LINKPILOT_PROBE_SCHEDULER_ROLE_ARN": str(consumer.settings.probe_scheduler_role_arn),
        "LINKPILOT_PUBLISH_ENDPOINTS": "true",
        "LINKPILOT_FOLLOW_UP_QUEUE": url,
    }
    consumer.settings = ControllerSettings.from_env(env)
    return url


def messages(consumer: Consumer, url: str) -> list[dict]:
    sqs = consumer.session.client("sqs")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in got]


def test_an_accept_arranges_a_follow_up_that_creates_the_endpoint_and_probes_it_at_once(local_aws):
    provider, consumer = Provider.create(local_aws), Consumer.create(local_aws)
    url = with_follow_ups(consumer)
    provider.share(consumer.account, [provider.configuration("hello")])
    policy = consumer.policy([provider.account])

    accepted = reconcile(policy, consumer.controller(), trigger="ram-event")
    follow_up = accepted.follow_up
    assert follow_up.status == "arranged" and follow_up.record is not None
    assert follow_up.delay_s is not None and 14 <= follow_up.delay_s <= 16
    assert "waiting for the share to become visible" in follow_up.record.reason
    held = consumer.controller().ports.lease.peek(LEASE_NAME)
    assert held is not None and held.follow_up == follow_up.record  # recorded with the lease
    assert messages(consumer, url) == []  # not before it is due
    assert any(a["record"] == "follow-up" and "next run at" in a["reason"] for a in consumer.audit())
    status = collect_status(consumer.session, None, state_table="linkpilot-state", probe_log_group="")
    assert status.next_run is not None and status.next_run.at == follow_up.record.due_at.isoformat()
    assert status.to_json()["next_run"]["because"] == follow_up.record.reason
    assert status_tables(status)[-1].rows == ((status.next_run.at, follow_up.record.reason),)

    local_aws.clock.advance(seconds=follow_up.delay_s)
    (body,) = messages(consumer, url)
    assert body["token"] == follow_up.record.token
    assert stale(consumer.controller(), body["token"], LEASE_NAME) is None
    assert stale(consumer.controller(), "f" * 32, LEASE_NAME) is not None  # another token: stale

    created = reconcile(policy, consumer.controller(), trigger="follow-up", follow_up_token=body["token"])
    assert [r.action.kind.value for r in created.results] == ["create-endpoint"]
    assert created.follow_up.status == "arranged"  # the endpoint is pending: the next look, 15 s on
    assert created.follow_up.record is not None and created.follow_up.record.token != body["token"]

    local_aws.clock.advance(seconds=created.follow_up.delay_s or 15)
    (body,) = messages(consumer, url)
    before = len(local_aws.emulation.invocations)
    ready = reconcile(policy, consumer.controller(), trigger="follow-up", follow_up_token=body["token"])
    assert ready.probe.status == "updated" and ready.probe.probed_now == 1
    (invoked,) = local_aws.emulation.invocations[before:]
    assert invoked.function == consumer.settings.probe_function_arn
    assert [t["endpoint_id"] for t in json.loads(invoked.payload)["targets"]] == [
        e["VpcEndpointId"] for e in consumer.endpoints()
    ]
    assert ready.follow_up.status == "none" and ready.follow_up.record is None  # nothing waits any more
    assert consumer.controller().ports.lease.peek(LEASE_NAME).follow_up is None

    again = reconcile(policy, consumer.controller(), trigger="schedule")
    assert again.probe.status == "unchanged" and len(local_aws.emulation.invocations) == before + 1


def test_an_earlier_need_replaces_the_pending_follow_up_and_the_replaced_one_is_stale(local_aws):
    provider, consumer = Provider.create(local_aws), Consumer.create(local_aws)
    url = with_follow_ups(consumer)
    provider.share(consumer.account, [provider.configuration("one")], name="one")
    policy = consumer.policy([provider.account])
    first = reconcile(policy, consumer.controller()).follow_up.record
    assert first is not None
    # a later record is replaced by a run that needs an earlier look (a new share accepted now)
    controller = consumer.controller()
    held = controller.ports.lease.peek(LEASE_NAME)
    later = replace(first, due_at=datetime.fromisoformat("2099-01-01T00:00:00+00:00"))
    controller.ports.lease.release(replace(held, follow_up=later), held.expires_at)
    provider.share(consumer.account, [provider.configuration("two")], name="two")
    second = reconcile(policy, consumer.controller()).follow_up
    assert second.status == "arranged" and second.record is not None
    assert second.record.token not in {first.token, later.token}
    assert stale(consumer.controller(), later.token, LEASE_NAME) is not None
    local_aws.clock.advance(seconds=20)
    assert len(messages(consumer, url)) == 2  # two messages, one of them current
