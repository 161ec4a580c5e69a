"""Probe function: probes the targets in its input, publishes EMF metrics, logs failures. No AWS API calls.

Thin by design; the work is in ``linkpilot.probe`` (standard library only) and the metrics in
``linkpilot.probe.emf``. The handler has the same shape as the other two: ``observability()`` builds
the Logger and Metrics at cold start. The probe has no settings of its own: everything it checks comes in
the input, and the service name and namespace are Powertools' own.

Input: ``{"defaults": {...}, "targets": [...]}`` (the controller's probe schedule, or a direct invoke). A
target without ``kind`` is checked as its ``scheme`` says (http or https), as before kinds existed. Every
address of a target's name is probed; a target that is not ok is logged with its verdict (degraded, down,
cert_expiring, invalid), reason and per-address results. An invalid target entry is reported as
``invalid`` and the others are still probed; a malformed input as a whole raises, so the platform counts
an error (the probe-errors alarm) and only ``ProbeInputRejected`` is emitted, no target metric (the
failing-targets alarm treats that missing data as breaching).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.observability import observability
from linkpilot.probe import InvalidEvent, Resolver, probe_event
from linkpilot.probe.emf import publish

logger, metrics = observability()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, resolver: Resolver | None = None
) -> dict[str, Any]:
    started_ms = int(time.time() * 1000)
    try:
        results = probe_event(event, resolver=resolver)
    except InvalidEvent as exc:
        logger.error("probe input rejected", extra={"reason": str(exc), "probe_input": event})
        metrics.add_metric(name="ProbeInputRejected", unit="Count", value=1)  # flushed by log_metrics
        raise
    publish(results, metrics, timestamp_ms=started_ms)  # the aggregate is flushed by log_metrics
    rows = [r.to_dict() for r in results]
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
        if not row["ok"]:
            logger.warning("probe target failed", extra={"probe": row})
    failed = sum(not row["ok"] for row in rows)
    logger.info("probe run", extra={"targets": len(rows), "failed": failed, "verdicts": verdicts})
    return {"targets": len(rows), "failed": failed, "verdicts": verdicts, "results": rows}
