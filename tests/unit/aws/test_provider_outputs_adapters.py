"""Contracts of the provider's audit (DynamoDB) and notification (SNS) outputs, through the adapters both
sides share."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from botocore.stub import ANY, Stubber

from linkpilot.aws.audit import AuditTable
from linkpilot.aws.notify import SnsNotifier
from linkpilot.provider.service import AuditEntry, Outputs

SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/0c5f4a9e-1111-2222-3333-444455556666"
TOPIC = "arn:aws:sns:us-east-1:111111111111:linkpilot-provider"


def test_audit_item_has_keys_ttl_and_reason() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    out = Outputs(AuditTable(client, "audit"), SnsNotifier(boto3.client("sns"), TOPIC), 30, lambda: at)
    with Stubber(client) as stub:
        stub.add_response(
            "put_item",
            {},
            {
                "TableName": "audit",
                "ConditionExpression": "attribute_not_exists(pk)",  # never overwrites a record
                "Item": {
                    "pk": {"S": SHARE},
                    "sk": ANY,
                    "source": {"S": "provider-onboarding"},
                    "event": {"S": "associate"},
                    "outcome": {"S": "done"},
                    "reason": {"S": "declared consumer not on the share"},
                    "principal": {"S": "222222222222"},
                    "consumer_list_digest": {"S": "abc"},
                    "detail": {"S": "{}"},
                    "expires_at": {"N": str(int(datetime(2026, 1, 31, tzinfo=UTC).timestamp()))},
                },
            },
        )
        out.record(
            AuditEntry(
                share_arn=SHARE,
                event="associate",
                outcome="done",
                reason="declared consumer not on the share",
                principal="222222222222",
                consumer_list_digest="abc",
            )
        )
        stub.assert_no_pending_responses()


def test_notification_is_json_and_subject_fits_sns_limit() -> None:
    client = boto3.client("sns", region_name="us-east-1")
    sent: dict[str, str] = {}

    def capture(params: dict[str, str], **_: object) -> None:
        sent.update(params)

    client.meta.events.register("provide-client-params.sns.Publish", capture)
    with Stubber(client) as stub:
        stub.add_response("publish", {"MessageId": "m-1"})
        SnsNotifier(client, TOPIC).publish("x" * 150, ["change"], {"principal": "222222222222", "ok": True})
    assert len(sent["Subject"]) == 100
    assert json.loads(sent["Message"]) == {"principal": "222222222222", "ok": True}
    assert sent["MessageAttributes"] == {"kinds": {"DataType": "String.Array", "StringValue": '["change"]'}}
    assert sent["TopicArn"] == TOPIC
