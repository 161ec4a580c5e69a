"""The endpoint probe: targets in, verdicts out; used alike by the probe function, the CLI and the demo.

Stdlib only on this path (no boto3, no pydantic, no asyncio): the probe function's cold start pays for
nothing else. :mod:`linkpilot.probe.emf` (Powertools' EMF serializer) is imported only by metric emitters.

The names below are loaded on first use (PEP 562), so that importing :mod:`linkpilot.probe.contract` (as the
trust policy does) loads neither the socket engine nor the client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkpilot.probe.client import Resolver, default_resolver, probe_event, probe_targets
    from linkpilot.probe.http import Judgement, build_request, judge
    from linkpilot.probe.model import (
        BODY,
        CERT_EXPIRING,
        CONNECT,
        DEGRADED,
        DNS,
        DOWN,
        INVALID,
        NOT_PROBED,
        OK,
        REASONS,
        STATUS,
        TIMEOUT,
        TLS,
        VERDICTS,
        AddressResult,
        InvalidEvent,
        InvalidTarget,
        ProbeBatch,
        ProbeResult,
        Target,
        Timings,
        parse_event,
        parse_target,
    )
    from linkpilot.probe.run import ProbeRun

_SOURCES: dict[str, str] = {
    "Resolver": "linkpilot.probe.client",
    "default_resolver": "linkpilot.probe.client",
    "probe_event": "linkpilot.probe.client",
    "probe_targets": "linkpilot.probe.client",
    "Judgement": "linkpilot.probe.http",
    "build_request": "linkpilot.probe.http",
    "judge": "linkpilot.probe.http",
    "BODY": "linkpilot.probe.model",
    "CERT_EXPIRING": "linkpilot.probe.model",
    "CONNECT": "linkpilot.probe.model",
    "DEGRADED": "linkpilot.probe.model",
    "DNS": "linkpilot.probe.model",
    "DOWN": "linkpilot.probe.model",
    "INVALID": "linkpilot.probe.model",
    "NOT_PROBED": "linkpilot.probe.model",
    "OK": "linkpilot.probe.model",
    "REASONS": "linkpilot.probe.model",
    "STATUS": "linkpilot.probe.model",
    "TIMEOUT": "linkpilot.probe.model",
    "TLS": "linkpilot.probe.model",
    "VERDICTS": "linkpilot.probe.model",
    "AddressResult": "linkpilot.probe.model",
    "InvalidEvent": "linkpilot.probe.model",
    "InvalidTarget": "linkpilot.probe.model",
    "ProbeBatch": "linkpilot.probe.model",
    "ProbeResult": "linkpilot.probe.model",
    "ProbeRun": "linkpilot.probe.run",
    "Target": "linkpilot.probe.model",
    "Timings": "linkpilot.probe.model",
    "parse_event": "linkpilot.probe.model",
    "parse_target": "linkpilot.probe.model",
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value


__all__ = [
    "BODY",
    "CERT_EXPIRING",
    "CONNECT",
    "DEGRADED",
    "DNS",
    "DOWN",
    "INVALID",
    "NOT_PROBED",
    "OK",
    "REASONS",
    "STATUS",
    "TIMEOUT",
    "TLS",
    "VERDICTS",
    "AddressResult",
    "InvalidEvent",
    "InvalidTarget",
    "Judgement",
    "ProbeBatch",
    "ProbeResult",
    "ProbeRun",
    "Resolver",
    "Target",
    "Timings",
    "build_request",
    "default_resolver",
    "judge",
    "parse_event",
    "parse_target",
    "probe_event",
    "probe_targets",
]
