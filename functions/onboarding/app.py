"""Provider onboarding Lambda handler: keeps the RAM share's principals equal to the declared consumer list.

Thin by design; the work is in ``linkpilot.provider.onboarding``, the wiring in ``linkpilot.provider.wiring``.
Triggered by a change of the consumer list parameter (EventBridge "Parameter Store Change") and a schedule;
the event is only a hint, every invocation reads the parameter and the share afresh.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.observability import observability
from linkpilot.provider.onboarding import handle_event
from linkpilot.provider.wiring import OnboardingFunction, OnboardingSettings

logger, metrics = observability()
FUNCTION = OnboardingFunction(OnboardingSettings.from_env(), boto3.Session)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_event(event, function=FUNCTION, logger=logger, metrics=metrics)
