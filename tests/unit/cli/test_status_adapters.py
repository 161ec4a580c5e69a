"""``linkpilot status``'s own adapters beyond the contract in test_status.py: GetMetricData in batches of 500
queries, a bounded FilterLogEvents read, and AWS errors as ``Transient`` (botocore's ``Stubber``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot.errors import Transient
from linkpilot_cli.adapters import probe_logs
from linkpilot_cli.adapters.probe_logs import ProbeLogs
from linkpilot_cli.adapters.probe_metrics import QUERIES_PER_CALL, ProbeMetrics

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_more_endpoints_than_one_call_takes_are_read_in_batches_with_progress() -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    ids = [f"vpce-{n:017x}" for n in range(QUERIES_PER_CALL + 1)]
    said: list[str] = []
    asked: list[list[dict]] = []
    last = {"Id": "e0", "Timestamps": [NOW], "Values": [0.5], "StatusCode": "Complete"}
    with Stubber(cw) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": []})
        stub.add_response("get_metric_data", {"MetricDataResults": [last]})
        cw.meta.events.register(
            "provide-client-params.cloudwatch.GetMetricData",
            lambda params, **_: asked.append(params["MetricDataQueries"]),
        )
        metrics = ProbeMetrics(cw, namespace="Custom", probe_service="svc")
        verdicts = metrics.last_verdicts(ids, window=timedelta(minutes=5), now=NOW, progress=said.append)
        stub.assert_no_pending_responses()
    assert said == ["probe metrics batch 1/2", "probe metrics batch 2/2"]
    assert [len(q) for q in asked] == [QUERIES_PER_CALL, 1]
    assert asked[1][0]["MetricStat"] == {
        "Metric": {
            "Namespace": "Custom",
            "MetricName": "ProbeSuccess",
            "Dimensions": [{"Name": "EndpointId", "Value": ids[-1]}, {"Name": "service", "Value": "svc"}],
        },
        "Period": 60,
        "Stat": "Minimum",
    }
    assert list(verdicts) == [ids[-1]] and verdicts[ids[-1]].label == "degraded"


def test_no_endpoint_is_no_call() -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(cw):
        assert ProbeMetrics(cw).last_verdicts([], window=timedelta(minutes=5), now=NOW) == {}


def test_a_metrics_error_is_transient() -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(cw) as stub:
        stub.add_client_error("get_metric_data", "InvalidNextToken", "stale")
        with pytest.raises(Transient) as raised:
            ProbeMetrics(cw).last_verdicts(["vpce-1"], window=timedelta(minutes=5), now=NOW)
    assert raised.value.code == "InvalidNextToken"


def test_the_log_read_stops_after_its_page_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe_logs, "LOG_PAGES", 2)
    logs = boto3.client("logs", region_name="us-east-1")
    with Stubber(logs) as stub:
        stub.add_response("filter_log_events", {"events": [], "nextToken": "t1"})
        stub.add_response("filter_log_events", {"events": [], "nextToken": "t2"})
        details = ProbeLogs(logs).last_probe_details("/aws/lambda/x-ProbeFunction", since=NOW, now=NOW)
        stub.assert_no_pending_responses()  # a third page is never asked for
    assert details == {}


def test_a_log_error_is_transient() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    with Stubber(logs) as stub:
        stub.add_client_error("filter_log_events", "ResourceNotFoundException", "no such group")
        with pytest.raises(Transient) as raised:
            ProbeLogs(logs).last_probe_details("/aws/lambda/gone", since=NOW, now=NOW)
    assert raised.value.code == "ResourceNotFoundException"
