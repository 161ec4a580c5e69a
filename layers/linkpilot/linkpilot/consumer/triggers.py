"""Which trigger an event is (a RAM event, the schedule, a change of the policy parameter, a manual run), or
none: pure, no I/O. The controller's runtime (``linkpilot.runtime.controller``) runs the reconcile for a
trigger and ignores anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Trigger(StrEnum):
    RAM_EVENT = "ram-event"
    SCHEDULE = "schedule"
    POLICY_CHANGE = "policy-change"
    MANUAL = "manual"


# What every EventBridge event carries (the envelope AWS documents); anything else is not one.
_EVENTBRIDGE_KEYS = frozenset(
    {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
)

# A direct invocation (console, CLI, ``aws lambda invoke``) asks for a reconcile with this payload.
MANUAL_EVENT = {"linkpilot": "reconcile"}


@dataclass(frozen=True)
class _Envelope:
    source: str
    detail_type: str
    detail: dict[str, Any]


def _eventbridge(event: object) -> _Envelope | None:
    """The event's source, detail type and detail, if it has the envelope EventBridge documents.

    Checked here rather than with Powertools: its parser models cost the controller about 0.6 x
    ``import boto3`` at every cold start, and its EventBridge data class about 0.1 x (the package imports
    every event's data class), for what is a handful of type checks.
    """
    if not isinstance(event, dict) or not event.keys() >= _EVENTBRIDGE_KEYS:
        return None
    texts = [event[k] for k in ("source", "detail-type", "account", "region", "id", "version", "time")]
    if not all(isinstance(t, str) for t in texts) or not isinstance(event["detail"], dict):
        return None
    resources = event["resources"]
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        return None
    try:
        datetime.fromisoformat(event["time"])
    except ValueError:
        return None
    return _Envelope(event["source"], event["detail-type"], event["detail"])


def classify_event(event: object, policy_parameter: str | None) -> Trigger | None:
    """Which trigger an event is; None for anything else (the event is only ever a hint to reconcile)."""
    if event == MANUAL_EVENT:
        return Trigger.MANUAL
    parsed = _eventbridge(event)
    if parsed is None:
        return None
    if parsed.source == "aws.ram":
        return Trigger.RAM_EVENT
    if parsed.source in {"aws.events", "aws.scheduler"} and parsed.detail_type == "Scheduled Event":
        return Trigger.SCHEDULE
    if parsed.source == "aws.ssm" and parsed.detail_type == "Parameter Store Change" and policy_parameter:
        name = parsed.detail.get("name")
        return Trigger.POLICY_CHANGE if name in {policy_parameter, policy_parameter.lstrip("/")} else None
    return None
