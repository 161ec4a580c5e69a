"""A fault that keeps an endpoint pending forever, against the local AWS, for a simulated hour: the follow-up
runs stay bounded (at most one pending at a time, capped backoff, none once the wait is overdue) and the
overdue wait is alarmed, not a storm. The controller runs through its runtime (``handle_event``) on its real
triggers: the follow-up queue's messages once receivable, and the reconcile schedule every 5 minutes."""

from __future__ import annotations

import itertools
import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from linkpilot.consumer.policy import parse_policy
from linkpilot.runtime.controller import ControllerSettings, handle_event
from linkpilot_demo.world import scheduled_event
from linkpilot_local import LocalAws, moto_compat
from linkpilot_local.cfn import load_template
from linkpilot_local.delays import Delays

from .support import ROOT, MetricsRecorder, controller_world

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
FOREVER = timedelta(days=7)
SCHEDULE = timedelta(minutes=5)


def test_an_endpoint_pending_forever_yields_bounded_follow_ups_and_an_alarm():
    cw = controller_world()
    with LocalAws(delays=Delays(endpoint_pending=FOREVER)) as aws:
        provider, consumer = cw.Provider.create(aws), cw.Consumer.create(aws)
        aws.set_organization_sharing([provider.account, consumer.account], enabled=True)
        sqs = consumer.session.client("sqs")
        url = sqs.create_queue(QueueName="linkpilot-follow-ups")["QueueUrl"]
        settings = consumer.settings
        consumer.settings = ControllerSettings.from_env(
            {
                "LINKPILOT_STATE_TABLE": str(settings.state_table_name),
                "LINKPILOT_AUDIT_TABLE": str(settings.audit_table_name),
                "LINKPILOT_FOLLOW_UP_QUEUE": url,
            }
        )
        provider.share(consumer.account, [provider.configuration("stuck")])
        policy = parse_policy(json.dumps(consumer.policy_doc([provider.account])))
        metrics = MetricsRecorder()
        runs: list[tuple[float, str]] = []  # (seconds since start, trigger)
        start = aws.clock.now()

        def run(event: Any, trigger: str) -> None:
            handle_event(
                event,
                policy_parameter=None,
                load_policy=lambda _force: json.dumps(consumer.policy_doc([provider.account])),
                controller=consumer.controller,
                logger=logging.getLogger("test"),
                metrics=metrics,
            )
            runs.append(((aws.clock.now() - start).total_seconds(), trigger))

        def pending_messages() -> list[float]:
            return moto_compat.sqs_message_times(consumer.account, aws.region, url.rsplit("/", 1)[1])

        assert policy.trusted_accounts
        run({"linkpilot": "reconcile"}, "manual")  # the run that creates the endpoint
        most_pending = len(pending_messages())
        next_schedule = start + SCHEDULE
        while aws.clock.now() - start < timedelta(hours=1):
            due = [aws.clock.now() + timedelta(hours=1)] + [
                start.fromtimestamp(t, start.tzinfo) for t in pending_messages()
            ]
            at = min([*due, next_schedule])
            if at > aws.clock.now():
                aws.clock.advance(at - aws.clock.now())
            if aws.clock.now() >= next_schedule:
                next_schedule += SCHEDULE
                run(scheduled_event(consumer.account, "us-east-1", aws.clock.now()), "schedule")
            for m in sqs.receive_message(QueueUrl=url).get("Messages", []):
                run({"Records": [{"eventSource": "aws:sqs", "body": m["Body"]}]}, "follow-up")
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            most_pending = max(most_pending, len(pending_messages()))

        (endpoint,) = consumer.endpoints(managed_only=True)
        assert endpoint["State"].lower() == "pending"
        follow_ups = [t for t, trigger in runs if trigger == "follow-up"]
        assert most_pending <= 1, "more than one follow-up pending at a time"
        gaps = [b - a for a, b in itertools.pairwise([0.0, *follow_ups])]
        assert follow_ups and max(gaps) <= 120 + 5, f"backoff not capped: {gaps}"
        # none once the wait is overdue (15 minutes), whatever the schedule's runs see afterwards
        assert max(follow_ups) <= 15 * 60 + 120 + 5 and len(follow_ups) <= 10, follow_ups
        assert len(runs) <= 1 + 10 + 12, f"a storm: {len(runs)} runs in an hour"
        # the overdue wait is reported on every run after 15 minutes: the WaitsOverdue alarm's metric
        overdue = metrics.values["WaitsOverdue"]
        assert overdue[0] == 0 and overdue[-1] == 1
        alarm = load_template(ROOT / "template.yaml")["Resources"]["WaitsOverdueAlarm"]["Properties"]
        assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "WaitsOverdue",
            1,
            "GreaterThanOrEqualToThreshold",
        )
