"""Provider onboarding Lambda handler: keeps the RAM share's principals equal to the declared consumer list
(a change of the list parameter, or the schedule: the event is only a hint).

The same shape in every function: the runtime (``linkpilot.runtime.onboarding``) holds the settings, wiring
and glue; this module builds it once at cold start and hands each event to it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.observability import observability
from linkpilot.runtime.onboarding import OnboardingFunction as Function

logger, metrics = observability()
FUNCTION = Function.from_env()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return FUNCTION.handle(event, logger, metrics)
