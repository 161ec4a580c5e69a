"""The Powertools Logger and Metrics of every function, built the same way (once, at cold start).

Service name from ``POWERTOOLS_SERVICE_NAME`` (set per function in the templates); metrics in the
``Linkpilot`` namespace as CloudWatch EMF.

Tracing: the functions run with Lambda's active tracing, which records each invocation's segment without
any SDK in the function. Powertools' Tracer (the X-Ray SDK) is not imported: it was most of the controller's
and onboarding function's cold-start import time, and its subsegments (one per boto3 call) add little that
the invocation segment, the audit trail and the structured logs do not already show.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

NAMESPACE = "Linkpilot"


def observability() -> tuple[Logger, Metrics]:
    """The function's Logger and Metrics; call once at module level of the handler (its cold start)."""
    return Logger(), Metrics(namespace=NAMESPACE)
