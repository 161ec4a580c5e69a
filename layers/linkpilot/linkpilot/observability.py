"""The Powertools Logger, Tracer and Metrics the controller's handler and service share (built once).

Service name from ``POWERTOOLS_SERVICE_NAME``; metrics in the ``Linkpilot`` namespace as CloudWatch EMF.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = "Linkpilot"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=NAMESPACE)
