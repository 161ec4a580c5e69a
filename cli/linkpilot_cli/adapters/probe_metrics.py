"""CloudWatch: the probe's last verdict per endpoint, from its ``ProbeSuccess`` metric.

The only module that calls CloudWatch. ``GetMetricData`` (all pages, at most 500 queries a call) with the
minimum over each minute, so any failing run of that minute counts; the newest datapoint within the window
is the verdict (``linkpilot_cli.probe_verdicts``). Failures leave as ``Transient`` (``translates_errors``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from linkpilot.aws.errors import translates_errors
from linkpilot_cli.probe_verdicts import ProbeVerdict

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

QUERIES_PER_CALL = 500  # GetMetricData takes at most 500 queries a call


@translates_errors
class ProbeMetrics:
    def __init__(
        self,
        cloudwatch: CloudWatchClient,
        *,
        namespace: str = "Linkpilot",
        probe_service: str = "linkpilot-probe",
    ) -> None:
        self._cloudwatch = cloudwatch
        self._namespace = namespace
        self._service = probe_service

    def last_verdicts(
        self,
        endpoint_ids: Sequence[str],
        *,
        window: timedelta,
        now: datetime,
        progress: Callable[[str], None] = lambda _: None,
    ) -> dict[str, ProbeVerdict]:
        """The newest ProbeSuccess datapoint per endpoint within ``window`` before ``now``."""
        verdicts: dict[str, ProbeVerdict] = {}
        batches = [
            endpoint_ids[i : i + QUERIES_PER_CALL] for i in range(0, len(endpoint_ids), QUERIES_PER_CALL)
        ]
        for n, batch in enumerate(batches, start=1):
            if len(batches) > 1:
                progress(f"probe metrics batch {n}/{len(batches)}")
            paginator = self._cloudwatch.get_paginator("get_metric_data")
            for page in paginator.paginate(
                MetricDataQueries=[self._query(i, endpoint_id) for i, endpoint_id in enumerate(batch)],
                StartTime=now - window,
                EndTime=now,
                ScanBy="TimestampDescending",
            ):
                for result in page["MetricDataResults"]:
                    endpoint_id = batch[int(result["Id"][1:])]
                    pairs = sorted(zip(result["Timestamps"], result["Values"], strict=True), reverse=True)
                    if pairs and endpoint_id not in verdicts:
                        at, value = pairs[0]
                        verdicts[endpoint_id] = ProbeVerdict(ok=value >= 1, at=at, health=value)
        return verdicts

    def _query(self, index: int, endpoint_id: str) -> Any:
        return {
            "Id": f"e{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": self._namespace,
                    "MetricName": "ProbeSuccess",
                    # CloudWatch matches dimensions as a set; sorted by name suits order-sensitive fakes
                    "Dimensions": [
                        {"Name": "EndpointId", "Value": endpoint_id},
                        {"Name": "service", "Value": self._service},
                    ],
                },
                "Period": 60,
                "Stat": "Minimum",
            },
            "ReturnData": True,
        }
