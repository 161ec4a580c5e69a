"""Probe Lambda handler: probes the targets in its input (``{"defaults": {...}, "targets": [...]}``, the
controller's probe schedule or a direct invoke), publishes EMF metrics, logs failures. No AWS API calls.

The same shape in every function: the runtime (``linkpilot.runtime.probe``) holds the glue; this module builds
it once at cold start and hands each event to it (``resolver``: the demo's and tests' name resolution).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.observability import observability
from linkpilot.runtime.probe import ProbeFunction as Function

logger, metrics = observability()
FUNCTION = Function.from_env()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, resolver: Any = None) -> dict[str, Any]:
    return FUNCTION.handle(event, logger, metrics, resolver=resolver)
