"""The endpoint probe: targets in, verdicts out; used alike by the probe function, the CLI and the demo.

Stdlib only on this path (no boto3, no pydantic, no asyncio): the probe function's cold start pays for
nothing else. :mod:`linkpilot.probe.emf` (Powertools' EMF serializer) is imported only by metric emitters.
"""

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

__all__ = [
    "BODY",
    "CERT_EXPIRING",
    "CONNECT",
    "DEGRADED",
    "DNS",
    "DOWN",
    "INVALID",
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
