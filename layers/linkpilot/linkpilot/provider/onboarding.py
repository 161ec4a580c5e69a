"""The onboarding function's work, between the thin handler and the service: run one pass (the event is
only a hint: every invocation reads the parameter and the share afresh), publish metrics, log the summary.

A consumer list or share that is unusable changes nothing and is reported (``OnboardingConfigErrors``);
throttling and service errors raise ``Transient``, so Lambda retries the invocation.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from linkpilot.provider.ports import ConfigurationNotFound
from linkpilot.provider.service import observe_connections, run_onboarding
from linkpilot.provider.wiring import OnboardingFunction


def handle_event(
    event: Any, *, function: OnboardingFunction, logger: Logger, metrics: Metrics
) -> dict[str, Any]:
    logger.info("onboarding triggered", extra={"raw_event": event})
    parts = function.collaborators()
    report = run_onboarding(
        share_arn=function.settings.share_arn,
        mode=function.settings.sharing_mode,
        consumer_list=parts.consumer_list,
        share=parts.share,
        out=parts.out,
    )
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
