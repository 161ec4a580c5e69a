"""Probe function: probes the targets in its input, prints EMF metrics, logs failures. No AWS API calls.

Input: ``{"defaults": {...}, "targets": [...]}`` (the controller's probe schedule, or a direct invoke). An
invalid target entry is reported as ``invalid`` and the others are still probed; a malformed input as a
whole raises, so the platform counts an error (the probe-errors alarm) and no metrics are emitted (the
failing-targets alarm treats that missing data as breaching).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from linkpilot.probe import InvalidEvent, Resolver, probe_event
from linkpilot.probe.emf import emf_records

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(
    event: dict[str, Any], context: LambdaContext, resolver: Resolver | None = None
) -> dict[str, Any]:
    started_ms = int(time.time() * 1000)
    try:
        results = probe_event(event, resolver=resolver)
    except InvalidEvent as exc:
        logger.error("probe input rejected", extra={"reason": str(exc), "probe_input": event})
        raise
    for record in emf_records(results, timestamp_ms=started_ms):
        sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    rows = [r.to_dict() for r in results]
    for row in rows:
        if not row["ok"]:
            logger.warning("probe target failed", extra={"probe": row})
    failed = sum(not row["ok"] for row in rows)
    logger.info("probe run", extra={"targets": len(rows), "failed": failed})
    return {"targets": len(rows), "failed": failed, "results": rows}
