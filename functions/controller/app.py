"""Controller Lambda handler: parse, load the policy from SSM, run the one reconcile, publish metrics.

Thin by design; the work is in ``linkpilot.consumer.controller`` (tested without Lambda), the wiring in
``linkpilot.consumer.wiring``. Triggers: EventBridge rule on RAM's state changes (a hint), the reconcile
schedule, a change of the policy parameter, or ``{"linkpilot": "reconcile"}``; and the stack's
``ManagedEndpointsCleanup`` custom resource (uninstall: ``linkpilot.consumer.uninstall``), answered only
for this stack's own resource: any other payload that looks like a custom resource request is ignored.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.consumer.controller import handle_event
from linkpilot.consumer.uninstall import is_custom_resource_event
from linkpilot.consumer.wiring import ControllerFunction, ControllerSettings
from linkpilot.observability import observability

logger, metrics = observability()
FUNCTION = ControllerFunction(ControllerSettings.from_env(), boto3.Session, parameters.get_parameter)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_custom_resource_event(event):
        result = FUNCTION.custom_resource(event)
        if result.get("status") == "ignored":
            # not this stack's cleanup resource: nothing read, written or sent (fields bounded and escaped)
            logger.warning("custom resource request ignored", extra={"ignored": result})
        else:
            logger.info("custom resource answered", extra={"result": result})
        return result
    return handle_event(
        event,
        policy_parameter=FUNCTION.settings.policy_parameter_name,
        load_policy=FUNCTION.load_policy,
        controller=FUNCTION.controller,
        logger=logger,
        metrics=metrics,
    )
