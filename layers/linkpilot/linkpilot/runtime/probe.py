"""The probe function's runtime: probe the targets in the input, publish EMF metrics, log the failures.

No AWS API call and no boto3 (a cold-start test holds it): the work is in ``linkpilot.probe`` (standard
library only), the metrics in ``linkpilot.probe.emf``. The probe has no settings of its own: everything it
checks comes in the input, and the service name and namespace are Powertools' own.

A target that is not ok is logged with its verdict (degraded, down, cert_expiring, invalid), reason and
per-address results. An invalid target entry is reported as ``invalid`` and the others are still probed; a
malformed input as a whole raises, so the platform counts an error (the probe-errors alarm) and only
``ProbeInputRejected`` is emitted, no target metric (the failing-targets alarm treats that missing data as
breaching).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linkpilot.probe import InvalidEvent, ProbeRun, Resolver, probe_event
from linkpilot.probe.emf import publish

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics


class ProbeFunction:
    """The probe function: nothing to wire but the clock that dates the run's metrics."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    @classmethod
    def from_env(cls) -> ProbeFunction:
        return cls()

    def handle(
        self, event: Any, logger: Logger, metrics: Metrics, resolver: Resolver | None = None
    ) -> dict[str, Any]:
        """One invocation. ``resolver``: how names resolve (the demo and tests point them at loopback)."""
        started_ms = int(self._clock() * 1000)
        try:
            results = probe_event(event, resolver=resolver)
        except InvalidEvent as exc:
            logger.error("probe input rejected", extra={"reason": str(exc), "probe_input": event})
            metrics.add_metric(name="ProbeInputRejected", unit="Count", value=1)  # flushed by log_metrics
            raise
        publish(results, metrics, timestamp_ms=started_ms)  # the aggregate is flushed by log_metrics
        run = ProbeRun.of(results)
        for row in run.failed_rows:
            logger.warning("probe target failed", extra={"probe": row})
        logger.info("probe run", extra=run.counts())
        return run.to_dict()
