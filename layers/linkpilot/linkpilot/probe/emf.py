"""Probe results -> CloudWatch Embedded Metric Format records (serialized by Powertools' EMF provider).

Per endpoint (dimensions ``service``, ``EndpointId``): ``ProbeSuccess`` (0/1) and, for a successful probe,
``ProbeLatency`` (total milliseconds). Per invocation (dimension ``service`` only): ``ProbeTargetsFailed``
(targets not ok, invalid entries included: an entry that cannot be probed is a target nobody watches) and
``ProbeTargetsInvalid``. The failing-targets alarm watches ``ProbeTargetsFailed``; its record is emitted on
every run, also with no targets, so that "no datapoint" means "the probe did not run".

The probe function prints these records; the demo feeds the same records to the emulated CloudWatch.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any

from linkpilot.probe.model import INVALID, ProbeResult

NAMESPACE = "Linkpilot"
SERVICE = "linkpilot-probe"


def emf_records(
    results: Iterable[ProbeResult],
    *,
    namespace: str | None = None,
    service: str | None = None,
    timestamp_ms: int | None = None,
) -> list[dict[str, Any]]:
    """One record per probed endpoint plus one aggregate record (last).

    ``namespace``/``service`` default to ``POWERTOOLS_METRICS_NAMESPACE``/``POWERTOOLS_SERVICE_NAME``, then to
    ``Linkpilot``/``linkpilot-probe``. ``timestamp_ms``: the run's start, so that each scheduled run lands in
    its own minute however long it took (the demo passes its simulated clock).
    """
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    namespace = namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE
    service = service or os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE

    def provider() -> AmazonCloudWatchEMFProvider:
        p = AmazonCloudWatchEMFProvider(namespace=namespace, service=service)
        if timestamp_ms is not None:
            with warnings.catch_warnings():  # a simulated clock (demo) may be outside CloudWatch's window
                warnings.simplefilter("ignore")
                p.set_timestamp(timestamp_ms)
        return p

    records: list[dict[str, Any]] = []
    failed = invalid = 0
    for r in results:
        if r.verdict == INVALID:
            invalid += 1
            failed += 1
            continue
        failed += not r.ok
        p = provider()
        p.add_dimension("EndpointId", r.target or "unknown")
        p.add_metric("ProbeSuccess", "Count", 1 if r.ok else 0)
        if r.ok and r.timings.total is not None:
            p.add_metric("ProbeLatency", "Milliseconds", round(r.timings.total, 3))
        records.append(dict(p.serialize_metric_set()))
    p = provider()
    p.add_metric("ProbeTargetsFailed", "Count", failed)
    p.add_metric("ProbeTargetsInvalid", "Count", invalid)
    records.append(dict(p.serialize_metric_set()))
    return records
