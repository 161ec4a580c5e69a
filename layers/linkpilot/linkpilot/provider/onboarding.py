"""The onboarding function's work, between the thin handler and the service: run one pass (the event is
only a hint: every invocation reads the parameter and the share afresh), publish metrics, log the summary.

A consumer list or share that is unusable changes nothing and is reported (``OnboardingConfigErrors``);
throttling and service errors raise ``Transient``, so Lambda retries the invocation.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from linkpilot.lease import Lease, LeaseTiming, OwnClock, acquire, new_owner
from linkpilot.provider.ports import ConfigurationNotFound
from linkpilot.provider.service import SyncReport, observe_connections, run_onboarding
from linkpilot.provider.wiring import Collaborators, OnboardingFunction

LEASE_NAME = "onboarding"


def _one_pass_at_a_time(function: OnboardingFunction, parts: Collaborators) -> SyncReport:
    """One pass, under the stack's lease when configured (a parameter change and the schedule never act
    on the share at the same time; a pass that waited reads the list and the share afresh). ``LeaseBusy``
    (a ``Transient``) raises, so Lambda retries the invocation."""

    def one_pass() -> SyncReport:
        return run_onboarding(
            share_arn=function.settings.share_arn,
            mode=function.settings.sharing_mode,
            consumer_list=parts.consumer_list,
            share=parts.share,
            out=parts.out,
        )

    if parts.lease is None:
        return one_pass()
    settings = function.settings
    # the lease runs on the time every pass shares (AWS's, from the state table), not this host's clock
    shared = parts.shared_clock or OwnClock(lambda: datetime.now(UTC))
    shared.begin()
    lease, _ = acquire(
        parts.lease,
        name=LEASE_NAME,
        owner=new_owner("onboarding"),
        timing=LeaseTiming(ttl_s=settings.lease_seconds, wait_s=settings.lease_wait_seconds),
        clock=shared.earliest,
        sleep=time.sleep,
    )
    if not isinstance(lease, Lease):  # pragma: no cover - acquire returns Covered only when asked to
        raise TypeError("onboarding never coalesces")
    try:
        return one_pass()
    finally:
        parts.lease.release(lease, shared.latest())


def handle_event(
    event: Any, *, function: OnboardingFunction, logger: Logger, metrics: Metrics
) -> dict[str, Any]:
    logger.info("onboarding triggered", extra={"raw_event": event})
    parts = function.collaborators()
    report = _one_pass_at_a_time(function, parts)
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    summary = report.summary()
    settings = function.settings
    if parts.endpoints is not None and settings.configurations:
        try:
            view = observe_connections(
                report,
                configurations=settings.configurations,
                endpoints=parts.endpoints,
                now=parts.out.clock(),
                overdue_hours=settings.endpoint_overdue_hours,
            )
        except ConfigurationNotFound as err:
            logger.error("consumer endpoints not readable", extra={"error": str(err)})
            metrics.add_metric(name="OnboardingConfigErrors", unit=MetricUnit.Count, value=1)
            summary["connections_error"] = str(err)
        else:
            if view is not None:
                for name, value in view.metrics().items():
                    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
                summary["connected_consumers"] = [r.account for r in view.connected]
                summary["declared_without_endpoint"] = [r.account for r in view.without_endpoint]
                summary["overdue"] = [r.account for r in view.rows if r.overdue]
    if report.error:
        logger.error("onboarding made no change", extra=summary)
    else:
        logger.info("onboarding pass done", extra=summary)
    return summary
