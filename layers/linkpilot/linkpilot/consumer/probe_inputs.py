"""The probe function's input, as the controller publishes it in the probe schedule(s). Pure.

Contract with the probe function (which makes no AWS calls of its own)::

    {"defaults": {kind, port, path, server_name, host_header, expected_status, expected_body, timeout_s,
                  cert_expiry_days, ca_bundle},
     "targets": [{"endpoint_id", "dns_name", "resource_configuration_arn", "address_family",
                  ["child_arn",] <the matching policy override's fields>}]}

A target's settings are ``defaults`` updated with its own keys. ``address_family`` is the endpoint's
IpAddressType (ipv4, ipv6, dualstack): the probe tries the addresses of that family.

The Scheduler's target input size is bounded, so the targets are split into shards, each a complete input
of its own; the digest of all shards tells the controller whether the schedules already carry exactly this
input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from linkpilot.consumer.models import ProbeTarget
from linkpilot.consumer.policy import ProbeSettings

# EventBridge Scheduler documents no maximum for Target.Input in the botocore model or the CloudFormation
# schema; 8,192 characters is the limit of an EventBridge rule target's Input, the strictest documented
# figure for the family, so every shard stays below it (configurable: PROBE_INPUT_MAX_CHARS).
DEFAULT_MAX_INPUT_CHARS = 8192


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def shard_inputs(
    defaults: ProbeSettings | None, targets: Sequence[ProbeTarget], max_chars: int = DEFAULT_MAX_INPUT_CHARS
) -> list[str]:
    """Probe inputs, each under ``max_chars``, together holding every target once (sorted by endpoint id).

    No targets -> one input with an empty target list, never none: the controller keeps one schedule so
    the probe still runs and reports ``ProbeTargetsFailed = 0``. (With no schedule at all the failing-targets
    alarm, which treats missing data as breaching, would sit in ALARM on a stack with no endpoints.) A single
    target too big for ``max_chars`` raises ``ValueError``: a limit that small is a configuration error.
    """
    head = {"defaults": (defaults or ProbeSettings()).probe_input()}
    empty_len = len(_dumps({**head, "targets": []}))
    shards: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = empty_len
    for target in sorted(targets, key=lambda t: t.endpoint_id):
        item = target.to_json()
        item_len = len(_dumps(item)) + (1 if current else 0)
        if empty_len + len(_dumps(item)) > max_chars:
            raise ValueError(f"probe target {target.endpoint_id} alone exceeds {max_chars} characters")
        if current and size + item_len > max_chars:
            shards.append(current)
            current, size = [], empty_len
            item_len = len(_dumps(item))
        current.append(item)
        size += item_len
    if current or not shards:
        shards.append(current)
    return [_dumps({**head, "targets": shard}) for shard in shards]


def inputs_digest(inputs: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:32]
