"""Provider onboarding Lambda handler: keeps the RAM share's principals equal to the declared consumer list.

Triggered by a change of the consumer list parameter (EventBridge "Parameter Store Change") and a schedule;
the event is only a hint, every invocation reads the parameter and the share afresh.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.onboarding_service import OnboardingSettings, run_onboarding

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def build_collaborators(settings: OnboardingSettings) -> dict[str, Any]:
    import boto3

    from linkpilot.aws.provider_audit import DynamoAuditLog
    from linkpilot.aws.provider_notify import SnsNotifier
    from linkpilot.aws.ram_provider import RamShareAdmin

    return {
        "ssm_client": boto3.client("ssm"),
        "share": RamShareAdmin(boto3.client("ram")),
        "audit": DynamoAuditLog(
            boto3.client("dynamodb"), settings.audit_table, ttl_days=settings.audit_ttl_days
        ),
        "notifier": SnsNotifier(boto3.client("sns"), settings.topic_arn),
    }


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, **collaborators: Any) -> dict[str, Any]:
    settings = OnboardingSettings.from_env()
    report = run_onboarding(settings, **(collaborators or build_collaborators(settings)))
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    summary = report.summary()
    if report.error:
        logger.error("onboarding made no change", extra=summary)
    else:
        logger.info("onboarding pass done", extra=summary)
    return summary
