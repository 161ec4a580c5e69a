"""Controller Lambda handler: parse, load the policy from SSM, run the one reconcile, publish metrics.

Thin by design; the work is in ``linkpilot.controller`` (tested without Lambda). Triggers: EventBridge rule
on ``aws.ram`` (a hint), the reconcile schedule, a change of the policy parameter, or
``{"linkpilot": "reconcile"}``.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.controller import handle_event
from linkpilot.controller_config import ControllerSettings, build_controller
from linkpilot.observability import logger, metrics, tracer
from linkpilot.reconcile import Controller, ControllerMemory

SETTINGS = ControllerSettings.from_env()  # a bad value fails the cold start loudly
POLICY_CACHE_SECONDS = int(os.environ.get("LINKPILOT_POLICY_CACHE_SECONDS", "300"))
_memory = ControllerMemory()
_controller: Controller | None = None


def _load_policy(force_fetch: bool) -> str:
    if not SETTINGS.policy_parameter_name:
        return ""  # parse_policy reports the missing document
    value = parameters.get_parameter(
        SETTINGS.policy_parameter_name, max_age=POLICY_CACHE_SECONDS, force_fetch=force_fetch
    )
    return str(value)


def _controller_factory() -> Controller:
    global _controller  # noqa: PLW0603 - one set of clients per warm container
    if _controller is None:
        _controller = build_controller(SETTINGS, boto3.Session(), _memory)
    return _controller


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_event(
        event,
        policy_parameter=SETTINGS.policy_parameter_name,
        load_policy=_load_policy,
        controller=_controller_factory,
        logger=logger,
        metrics=metrics,
    )
