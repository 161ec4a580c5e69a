"""Probe results -> CloudWatch Embedded Metric Format records (serialized by Powertools' EMF provider).

Per endpoint (dimensions ``service``, ``EndpointId``), two metrics, as before kinds and addresses:

- ``ProbeSuccess``: the share of the endpoint's addresses that serve (0..1): 1 = ok (or serving with a
  certificate about to expire), strictly between 0 and 1 = degraded, 0 = down. With one address it is the 0/1
  it always was (same name and unit, so ``linkpilot status`` and existing dashboards read it unchanged).
  ``Minimum`` over a period is the worst run; ``< 1`` is degraded or down, ``<= 0`` down.
- ``ProbeLatency``: total milliseconds of a target with at least one serving address.

Per invocation (dimension ``service`` only; a fixed cost, not per endpoint): ``ProbeTargetsFailed`` (not ok,
invalid entries included), ``ProbeTargetsDown``, ``ProbeTargetsDegraded``, ``ProbeCertsExpiring`` (targets
with a certificate within their expiry threshold) and ``ProbeTargetsInvalid``. The alarms watch these. The
aggregate record is emitted on every run, also with no targets: "no datapoint" means "the probe did not run".

The probe function prints these records; the demo feeds the same records to the emulated CloudWatch.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any

from linkpilot.probe.model import CERT_EXPIRING, DEGRADED, DOWN, INVALID, ProbeResult

NAMESPACE = "Linkpilot"
SERVICE = "linkpilot-probe"
ENDPOINT_METRICS = ("ProbeSuccess", "ProbeLatency")
AGGREGATE_METRICS = (
    "ProbeTargetsFailed",
    "ProbeTargetsDown",
    "ProbeTargetsDegraded",
    "ProbeCertsExpiring",
    "ProbeTargetsInvalid",
)


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
    counts = dict.fromkeys(AGGREGATE_METRICS, 0)
    for r in results:
        counts["ProbeTargetsFailed"] += not r.ok
        if r.verdict == INVALID:
            counts["ProbeTargetsInvalid"] += 1
            continue
        counts["ProbeTargetsDown"] += r.verdict == DOWN
        counts["ProbeTargetsDegraded"] += r.verdict == DEGRADED
        counts["ProbeCertsExpiring"] += any(a.reason == CERT_EXPIRING for a in r.addresses)
        p = provider()
        p.add_dimension("EndpointId", r.target or "unknown")
        health = r.healthy_fraction
        p.add_metric("ProbeSuccess", "Count", round(health, 4))
        if health > 0 and r.timings.total is not None:
            p.add_metric("ProbeLatency", "Milliseconds", round(r.timings.total, 3))
        records.append(dict(p.serialize_metric_set()))
    p = provider()
    for name, value in counts.items():
        p.add_metric(name, "Count", value)
    records.append(dict(p.serialize_metric_set()))
    return records
