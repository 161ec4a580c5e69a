"""EMF ingestion and alarm evaluation against moto's CloudWatch and SNS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from linkpilot_local.cloudwatch_alarms import evaluate_alarms, put_emf_records

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def emf(at: datetime, failed: int, endpoint: str = "vpce-0123456789abcdef0") -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(at.timestamp() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": "Linkpilot",
                        "Dimensions": [["service"]],
                        "Metrics": [{"Name": "ProbeTargetsFailed", "Unit": "Count"}],
                    },
                    {
                        "Namespace": "Linkpilot",
                        "Dimensions": [["EndpointId"]],
                        "Metrics": [{"Name": "ProbeLatency", "Unit": "Milliseconds"}],
                    },
                ],
            },
            "service": "probe",
            "EndpointId": endpoint,
            "ProbeTargetsFailed": failed,
            "ProbeLatency": [1.5, 2.5],
        }
    )


@pytest.fixture
def aws():
    with mock_aws():
        cw = boto3.client("cloudwatch", region_name="us-east-1")
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        cw.put_metric_alarm(
            AlarmName="targets-failing",
            Namespace="Linkpilot",
            MetricName="ProbeTargetsFailed",
            Dimensions=[{"Name": "service", "Value": "probe"}],
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=3,
            DatapointsToAlarm=2,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="breaching",
            AlarmActions=[topic],
            OKActions=[topic],
        )
        yield cw, sns, sqs, queue_url


def test_emf_records_become_metrics_and_ordinary_lines_are_ignored(aws):
    cw, *_ = aws
    n = put_emf_records(cw, ["START RequestId: x", "{not json", emf(T0, 0)])
    assert n == 3  # one ProbeTargetsFailed, two ProbeLatency values
    stats = cw.get_metric_statistics(
        Namespace="Linkpilot",
        MetricName="ProbeLatency",
        Dimensions=[{"Name": "EndpointId", "Value": "vpce-0123456789abcdef0"}],
        StartTime=T0 - timedelta(minutes=1),
        EndTime=T0 + timedelta(minutes=1),
        Period=120,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert stats[0]["Maximum"] == 2.5


def test_alarm_goes_to_alarm_after_m_of_n_and_back_to_ok(aws):
    cw, _, sqs, queue_url = aws
    sns = boto3.client("sns", region_name="us-east-1")
    minute = timedelta(minutes=1)
    for i in range(3):
        put_emf_records(cw, [emf(T0 + i * minute + timedelta(seconds=5), 0)])
    evaluate_alarms(cw, T0 + 3 * minute, sns)
    assert cw.describe_alarms(AlarmNames=["targets-failing"])["MetricAlarms"][0]["StateValue"] == "OK"
    put_emf_records(cw, [emf(T0 + 3 * minute + timedelta(seconds=5), 1)])
    assert evaluate_alarms(cw, T0 + 4 * minute, sns) == []  # 1 of 3 breaching: still OK
    put_emf_records(cw, [emf(T0 + 4 * minute + timedelta(seconds=5), 1)])
    (t,) = evaluate_alarms(cw, T0 + 5 * minute, sns)
    assert (t.old_state, t.new_state) == ("OK", "ALARM")
    assert "2 of the last 3" in t.reason
    assert cw.describe_alarms(AlarmNames=["targets-failing"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    for i in (5, 6):
        put_emf_records(cw, [emf(T0 + i * minute + timedelta(seconds=5), 0)])
    (t,) = evaluate_alarms(cw, T0 + 7 * minute, sns)
    assert t.new_state == "OK"
    bodies = [
        json.loads(json.loads(m["Body"])["Message"])["NewStateValue"]
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert bodies[-2:] == ["ALARM", "OK"]


def test_missing_data_treated_as_breaching_raises_the_alarm(aws):
    cw, sns, *_ = aws
    put_emf_records(cw, [emf(T0 + timedelta(seconds=5), 0)])
    assert [t.new_state for t in evaluate_alarms(cw, T0 + timedelta(minutes=1), sns)] == [
        "ALARM"
    ]  # 2 missing
    # a dead probe publishes nothing: still ALARM, no new transition
    assert evaluate_alarms(cw, T0 + timedelta(minutes=10), sns) == []
