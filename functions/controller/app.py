"""Controller Lambda handler: the consumer's one reconcile, for every trigger (RAM events, the schedule, a
policy change, ``{"linkpilot": "reconcile"}``) and the stack's ``ManagedEndpointsCleanup`` custom resource.

The same shape in every function: the runtime (``linkpilot.runtime.controller``) holds the settings, wiring
and glue; this module builds it once at cold start and hands each event to it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.observability import observability
from linkpilot.runtime.controller import ControllerFunction as Function

logger, metrics = observability()
FUNCTION = Function.from_env()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return FUNCTION.handle(event, logger, metrics)
