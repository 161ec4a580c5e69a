"""Which trigger an event is (a RAM event, the schedule, a change of the policy parameter, a manual run), or
none: pure, no I/O. The controller's runtime (``linkpilot.runtime.controller``) runs the reconcile for a
trigger and ignores anything else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Trigger(StrEnum):
    RAM_EVENT = "ram-event"
    SCHEDULE = "schedule"
    POLICY_CHANGE = "policy-change"
    MANUAL = "manual"
    FOLLOW_UP = "follow-up"  # a run an earlier run arranged (linkpilot.consumer.follow_ups)


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


# The body of a follow-up message (linkpilot.aws.follow_up_queue): {"linkpilot": "follow-up", "token", ...}
FOLLOW_UP_KIND = "follow-up"
TOKEN = re.compile(r"[0-9a-f]{32}")


def follow_up_token(event: object) -> str | None:
    """The token of a follow-up: an SQS event (as Lambda's event source mapping delivers it) of one record
    whose body is a follow-up message; None for anything else. The token is all that is taken from it."""
    if not isinstance(event, dict) or set(event) != {"Records"} or not isinstance(event["Records"], list):
        return None
    records = event["Records"]
    if len(records) != 1 or not isinstance(records[0], dict) or records[0].get("eventSource") != "aws:sqs":
        return None
    try:
        body = json.loads(str(records[0].get("body", "")))
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("linkpilot") != FOLLOW_UP_KIND:
        return None
    token = body.get("token")
    return token if isinstance(token, str) and TOKEN.fullmatch(token) else None


def classify_event(event: object, policy_parameter: str | None) -> Trigger | None:
    """Which trigger an event is; None for anything else (the event is only ever a hint to reconcile)."""
    if event == MANUAL_EVENT or follow_up_token(event) is not None:
        return Trigger.MANUAL if event == MANUAL_EVENT else Trigger.FOLLOW_UP
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
