"""The onboarding function's work, between the thin handler and the service: run one pass (the event is
only a hint: every invocation reads the parameter and the share afresh), publish metrics, log the summary.

A consumer list or share that is unusable changes nothing and is reported (``OnboardingConfigErrors``);
throttling and service errors raise ``Transient``, so Lambda retries the invocation.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from linkpilot.provider.service import run_onboarding
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
    if report.error:
        logger.error("onboarding made no change", extra=summary)
    else:
        logger.info("onboarding pass done", extra=summary)
    return summary
