"""Probe function: probes the targets in its input, prints EMF metrics, logs failures. No AWS API calls.

Input: ``{"defaults": {...}, "targets": [...]}`` (the controller's probe schedule, or a direct invoke). A
target without ``kind`` is checked as its ``scheme`` says (http or https), as before kinds existed. Every
address of a target's name is probed; a target that is not ok is logged with its verdict (degraded, down,
cert_expiring, invalid), reason and per-address results. An invalid target entry is reported as
``invalid`` and the others are still probed; a malformed input as a whole raises, so the platform counts
an error (the probe-errors alarm) and no metrics are emitted (the failing-targets alarm treats that missing
data as breaching).
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
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
        if not row["ok"]:
            logger.warning("probe target failed", extra={"probe": row})
    failed = sum(not row["ok"] for row in rows)
    logger.info("probe run", extra={"targets": len(rows), "failed": failed, "verdicts": verdicts})
    return {"targets": len(rows), "failed": failed, "verdicts": verdicts, "results": rows}
