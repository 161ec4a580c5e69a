"""Probe results -> CloudWatch Embedded Metric Format documents, through Powertools Metrics.

Per endpoint (dimensions ``service``, ``EndpointId``), two metrics, as before kinds and addresses:

- ``ProbeSuccess``: the share of the endpoint's addresses that serve (0..1): 1 = ok (or serving with a
  certificate about to expire), strictly between 0 and 1 = degraded, 0 = down. With one address it is the 0/1
  it always was (same name and unit, so ``linkpilot status`` and existing dashboards read it unchanged).
  ``Minimum`` over a period is the worst run; ``< 1`` is degraded or down, ``<= 0`` down.
- ``ProbeLatency``: total milliseconds of a target with at least one serving address.

Per invocation (dimension ``service`` only; a fixed cost, not per endpoint): ``ProbeTargetsFailed`` (not ok,
invalid and not-probed entries included), ``ProbeTargetsDown``, ``ProbeTargetsDegraded``,
``ProbeCertsExpiring`` (targets with a certificate within their expiry threshold), ``ProbeTargetsInvalid``
and ``ProbeTargetsNotProbed`` (the prober ran short of file descriptors or another local resource: a
probe-side error, so neither down nor degraded, and no ``ProbeSuccess`` for that endpoint). The alarms watch
these. The aggregate record is emitted on every run, also with no targets: "no datapoint" means "the probe
did not run".

:func:`publish` writes them through the probe function's Powertools ``Metrics`` (from
:func:`linkpilot.observability.observability`): each endpoint's document is flushed at once with its own
``EndpointId`` dimension, and the aggregate metrics stay in ``Metrics`` for ``log_metrics`` to flush at the
end of the invocation. That way a malformed input, which raises before anything is published, emits no
metrics. :func:`emf_records` runs the same code against a collecting EMF provider and returns the documents
instead of printing them; the demo feeds these to the emulated CloudWatch.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any, Protocol

from linkpilot.probe.model import CERT_EXPIRING, DEGRADED, DOWN, INVALID, NOT_PROBED, ProbeResult

NAMESPACE = "Linkpilot"
SERVICE = "linkpilot-probe"
ENDPOINT_METRICS = ("ProbeSuccess", "ProbeLatency")
AGGREGATE_METRICS = (
    "ProbeTargetsFailed",
    "ProbeTargetsDown",
    "ProbeTargetsDegraded",
    "ProbeCertsExpiring",
    "ProbeTargetsInvalid",
    "ProbeTargetsNotProbed",
)


class MetricSink(Protocol):
    """What :func:`publish` uses of Powertools ``Metrics`` (and of its CloudWatch EMF provider)."""

    def add_dimension(self, name: str, value: str) -> None: ...
    def add_metric(self, name: str, unit: Any, value: float) -> None: ...
    def set_timestamp(self, timestamp: int) -> None: ...
    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None: ...


def publish(results: Iterable[ProbeResult], metrics: MetricSink, *, timestamp_ms: int | None = None) -> None:
    """Flush one document per probed endpoint, then add the aggregate metrics to ``metrics`` and leave
    them there for the caller to flush (``@metrics.log_metrics`` in the function).

    ``timestamp_ms`` is the run's start, so that each scheduled run lands in its own minute however long
    it took. The demo passes its simulated clock.
    """
    if timestamp_ms is not None:
        with warnings.catch_warnings():  # a simulated clock (demo) may be outside CloudWatch's window
            warnings.simplefilter("ignore")
            metrics.set_timestamp(timestamp_ms)
    counts = dict.fromkeys(AGGREGATE_METRICS, 0)
    for r in results:
        counts["ProbeTargetsFailed"] += not r.ok
        if r.verdict == INVALID:
            counts["ProbeTargetsInvalid"] += 1
            continue
        if r.verdict == NOT_PROBED:  # no verdict on the endpoint: no ProbeSuccess datapoint either
            counts["ProbeTargetsNotProbed"] += 1
            continue
        counts["ProbeTargetsDown"] += r.verdict == DOWN
        counts["ProbeTargetsDegraded"] += r.verdict == DEGRADED
        counts["ProbeCertsExpiring"] += any(a.reason == CERT_EXPIRING for a in r.addresses)
        metrics.add_dimension("EndpointId", r.target or "unknown")
        health = r.healthy_fraction
        metrics.add_metric("ProbeSuccess", "Count", round(health, 4))
        if health > 0 and r.timings.total is not None:
            metrics.add_metric("ProbeLatency", "Milliseconds", round(r.timings.total, 3))
        metrics.flush_metrics()  # this endpoint's document; its dimension is cleared with it
    for name, value in counts.items():
        metrics.add_metric(name, "Count", value)


def emf_records(
    results: Iterable[ProbeResult],
    *,
    namespace: str | None = None,
    service: str | None = None,
    timestamp_ms: int | None = None,
) -> list[dict[str, Any]]:
    """The documents :func:`publish` writes: one per probed endpoint, then the aggregate (last).

    ``namespace``/``service`` default to ``POWERTOOLS_METRICS_NAMESPACE``/``POWERTOOLS_SERVICE_NAME``, then to
    ``Linkpilot``/``linkpilot-probe``.
    """
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    records: list[dict[str, Any]] = []

    class Collect(AmazonCloudWatchEMFProvider):
        def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
            records.append(dict(self.serialize_metric_set()))
            self.clear_metrics()

    sink = Collect(
        namespace=namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE,
        service=service or os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE,
    )
    publish(results, sink, timestamp_ms=timestamp_ms)
    sink.flush_metrics()
    return records
