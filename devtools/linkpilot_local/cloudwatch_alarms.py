"""What moto's CloudWatch lacks for Linkpilot: Embedded Metric Format ingestion and alarm evaluation.

In AWS, Lambda's log pipeline turns EMF records printed on stdout into metrics, and CloudWatch evaluates every
alarm once a period. moto stores metrics and alarms but does neither. This module does both against moto's
CloudWatch through ordinary boto3 clients, on an explicit clock (the caller passes ``now``), so a demo or a
test can play minutes of probing in seconds:

- :func:`put_emf_records` reads EMF records (JSON lines or dicts) and calls ``PutMetricData`` with their
  timestamps, namespaces, dimensions and units;
- :func:`evaluate_alarms` evaluates every single-metric alarm the way CloudWatch documents it
  ("M out of N" with ``DatapointsToAlarm``, ``TreatMissingData``), moves changed alarms with
  ``SetAlarmState`` and publishes the alarm notification to the alarm's (or OK) actions' SNS topics.

Metric-math alarms are not evaluated (reported as skipped); Linkpilot defines none.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def put_emf_records(cloudwatch: Any, records: Iterable[str | Mapping[str, Any]]) -> int:
    """Turns EMF records into PutMetricData calls, as CloudWatch Logs does for Lambda. Returns datapoints put.

    Lines that are not EMF (ordinary log lines) are ignored, as CloudWatch ignores them.
    """
    put = 0
    batches: dict[str, list[dict[str, Any]]] = {}
    for raw in records:
        record = _as_record(raw)
        if record is None:
            continue
        meta = record["_aws"]
        timestamp = datetime.fromtimestamp(meta["Timestamp"] / 1000, tz=UTC)
        for directive in meta.get("CloudWatchMetrics", []):
            namespace = directive["Namespace"]
            dimension_sets = directive.get("Dimensions") or [[]]
            for metric in directive.get("Metrics", []):
                name = metric["Name"]
                if name not in record:
                    continue
                values = record[name] if isinstance(record[name], list) else [record[name]]
                for dims in dimension_sets:
                    for value in values:
                        datum: dict[str, Any] = {
                            "MetricName": name,
                            "Timestamp": timestamp,
                            "Value": float(value),
                            # sorted: moto matches GetMetricData dimensions in order (CloudWatch does not)
                            "Dimensions": [{"Name": d, "Value": str(record[d])} for d in sorted(dims)],
                        }
                        if metric.get("Unit"):
                            datum["Unit"] = metric["Unit"]
                        batches.setdefault(namespace, []).append(datum)
    for namespace, data in batches.items():
        for start in range(0, len(data), 1000):  # PutMetricData takes at most 1,000 datums
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 1000])
            put += len(data[start : start + 1000])
    return put


def _as_record(raw: str | Mapping[str, Any]) -> dict[str, Any] | None:
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw.startswith("{"):
            return None
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            return None
    else:
        parsed = dict(raw)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("_aws"), dict):
        return None
    return parsed


@dataclass(frozen=True)
class AlarmTransition:
    name: str
    old_state: str
    new_state: str
    reason: str
    at: datetime


def evaluate_alarms(
    cloudwatch: Any,
    now: datetime,
    sns: Any | None = None,
    alarm_names: list[str] | None = None,
) -> list[AlarmTransition]:
    """Evaluates alarms at ``now`` (CloudWatch's periodic evaluation). Returns the state changes made."""
    kwargs: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"]}
    if alarm_names:
        kwargs["AlarmNames"] = alarm_names
    alarms = [
        a
        for page in cloudwatch.get_paginator("describe_alarms").paginate(**kwargs)
        for a in page["MetricAlarms"]
    ]
    transitions = []
    for alarm in alarms:
        if "MetricName" not in alarm:  # metric-math alarm
            continue
        new_state, reason = _alarm_state(cloudwatch, alarm, now)
        old_state = alarm["StateValue"]
        if new_state is None or new_state == old_state:
            continue
        cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=new_state, StateReason=reason)
        transitions.append(AlarmTransition(alarm["AlarmName"], old_state, new_state, reason, now))
        if sns is not None and alarm.get("ActionsEnabled", True):
            actions = {
                "ALARM": "AlarmActions",
                "OK": "OKActions",
                "INSUFFICIENT_DATA": "InsufficientDataActions",
            }
            for topic_arn in alarm.get(actions[new_state], []):
                if ":sns:" in topic_arn:
                    sns.publish(
                        TopicArn=topic_arn,
                        Subject=f'{new_state}: "{alarm["AlarmName"]}"'[:100],
                        Message=json.dumps(
                            {
                                "AlarmName": alarm["AlarmName"],
                                "NewStateValue": new_state,
                                "OldStateValue": old_state,
                                "NewStateReason": reason,
                                "StateChangeTime": now.isoformat(),
                            }
                        ),
                    )
    return transitions


def _alarm_state(cloudwatch: Any, alarm: Mapping[str, Any], now: datetime) -> tuple[str | None, str]:
    period = int(alarm["Period"])
    evaluation_periods = int(alarm["EvaluationPeriods"])
    to_alarm = int(alarm.get("DatapointsToAlarm") or evaluation_periods)
    compare = _COMPARE.get(alarm["ComparisonOperator"])
    if compare is None:
        return None, f"comparison {alarm['ComparisonOperator']} not evaluated locally"
    statistic = alarm.get("Statistic") or "Average"
    treat_missing = alarm.get("TreatMissingData", "missing")
    # The newest complete period ends at the last period boundary at or before now.
    end = datetime.fromtimestamp(now.timestamp() // period * period, tz=UTC)
    breaching = present = 0
    values: list[float | None] = []
    for i in range(evaluation_periods):
        p_end = end - timedelta(seconds=period * i)
        p_start = p_end - timedelta(seconds=period)
        points = cloudwatch.get_metric_statistics(
            Namespace=alarm["Namespace"],
            MetricName=alarm["MetricName"],
            Dimensions=alarm.get("Dimensions", []),
            StartTime=p_start,
            EndTime=p_end,
            Period=period,
            Statistics=[statistic],
        )["Datapoints"]
        value = points[0][statistic] if points else None
        values.append(value)
        if value is None:
            if treat_missing == "breaching":
                breaching += 1
                present += 1
            elif treat_missing == "notBreaching":
                present += 1
            continue
        present += 1
        if compare(value, float(alarm["Threshold"])):
            breaching += 1
    shown = ", ".join("missing" if v is None else f"{v:g}" for v in reversed(values))
    reason = (
        f"{breaching} of the last {evaluation_periods} datapoints breaching "
        f"({alarm['ComparisonOperator']} {alarm['Threshold']:g}; needs {to_alarm}) [{shown}]"
    )
    if breaching >= to_alarm:
        return "ALARM", reason
    if present == 0:
        if treat_missing == "ignore":
            return None, reason
        return "INSUFFICIENT_DATA", reason
    return "OK", reason
