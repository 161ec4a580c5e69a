"""The controller function's work, between the thin handler and the reconcile: which event is this, load
the policy, run the one reconcile, publish metrics, decide between "return" and "raise for a retry".

- Unknown or malformed event: logged raw, nothing read or written, returns normally (no retry storm).
- Policy that does not validate: ``PolicyErrors`` (alarmed), nothing changed, returns normally (a retry
  cannot fix it). Policy that cannot be read (missing parameter, SSM error): ``PolicyErrors`` and raise.
- Reading AWS failed, or an action failed transiently: ``ReconcileErrors`` and raise, so Lambda retries
  the invocation and, after its retries, the DLQ keeps the event (alarmed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from linkpilot.consumer.policy import PolicyError, TrustPolicy, parse_policy
from linkpilot.consumer.ports import Controller
from linkpilot.consumer.reconcile import reconcile
from linkpilot.consumer.record import record_read_failure
from linkpilot.errors import AwsError
from linkpilot.foreign import MESSAGE_FIELD_BYTES, bound_tree
from linkpilot.lease import LeaseBusy


class Trigger(StrEnum):
    RAM_EVENT = "ram-event"
    SCHEDULE = "schedule"
    POLICY_CHANGE = "policy-change"
    MANUAL = "manual"


class ReconcileIncomplete(RuntimeError):
    """Some action failed transiently (or unexpectedly): raised after the run so the platform retries."""


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


def handle_event(
    event: Any,
    *,
    policy_parameter: str | None,
    load_policy: Callable[[bool], str],
    controller: Callable[[], Controller],
    logger: Logger,
    metrics: Metrics,
) -> dict[str, Any]:
    """``load_policy(force_fetch)`` returns the policy JSON; ``controller()`` builds the adapters."""
    trigger = classify_event(event, policy_parameter)
    if trigger is None:
        logger.warning("unrecognised event: nothing read or changed", extra={"raw_event": event})
        return {"status": "ignored", "reason": "unrecognised event"}
    logger.info("reconcile triggered", extra={"trigger": trigger.value, "raw_event": event})

    try:
        document = load_policy(trigger is Trigger.POLICY_CHANGE)
    except Exception:
        # Missing parameter, access denied or SSM throttling (Powertools wraps them all): nothing can be
        # decided. Alarm, and raise so the platform retries in case it was transient.
        metrics.add_metric(name="PolicyErrors", unit=MetricUnit.Count, value=1)
        logger.exception("policy could not be loaded: nothing changed")
        raise
    try:
        policy: TrustPolicy = parse_policy(document, source="policy parameter")
    except PolicyError as exc:
        metrics.add_metric(name="PolicyErrors", unit=MetricUnit.Count, value=1)
        logger.error("policy invalid: nothing changed", extra={"problems": list(exc.problems)})
        return {"status": "policy-error", "problems": list(exc.problems)}
    metrics.add_metric(name="PolicyErrors", unit=MetricUnit.Count, value=0)

    ctl = controller()
    try:
        # an event or the schedule is only a hint: a run that began after it covers it
        hint = trigger in {Trigger.RAM_EVENT, Trigger.SCHEDULE}
        report = reconcile(policy, ctl, trigger=trigger.value, coalesce=hint)
    except LeaseBusy:
        # another run held the account's lease all along: nothing read or changed; retried by the platform
        metrics.add_metric(name="LeaseBusy", unit=MetricUnit.Count, value=1)
        logger.warning("another reconcile holds the lease: raising so the invocation is retried")
        raise
    except AwsError as exc:
        metrics.add_metric(name="ReconcileErrors", unit=MetricUnit.Count, value=1)
        logger.exception("reading AWS failed: nothing changed; raising so the invocation is retried")
        problems = record_read_failure(ctl, trigger.value, exc)
        if problems:
            logger.error("the failed run could not be recorded", extra={"problems": problems})
        raise
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    # each string bounded: a name another account chose must not make the log line exceed CloudWatch Logs'
    # 256 KB event size (cut there, the line is no longer JSON) nor the invocation's result
    summary = bound_tree(report.to_json(), MESSAGE_FIELD_BYTES)
    logger.info("reconcile finished", extra={"summary": summary})
    if report.retryable:
        raise ReconcileIncomplete("; ".join(summary["errors"]))
    return {"status": "failed" if report.failed else "ok", "summary": summary}
