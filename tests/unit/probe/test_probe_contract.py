"""The trust policy's probe settings and the probe's input validation agree: same defaults, same limits.

Both take them from ``linkpilot.probe.contract``; these tests check the two validators accept and refuse the
same values at every limit, so that a policy the controller accepts never yields probe inputs the probe
refuses (and the other way round).
"""

from __future__ import annotations

from typing import Any

import pytest

from linkpilot.consumer.policy import ProbeOverride, ProbeSettings
from linkpilot.probe import InvalidTarget, parse_target
from linkpilot.probe import contract as c
from linkpilot.probe.model import DEFAULTS, KNOWN_FIELDS
from linkpilot.spec import SpecError

BASE = {"endpoint_id": "vpce-1", "dns_name": "vpce-1.example"}


def probe_accepts(field: str, value: Any) -> bool:
    try:
        parse_target({**BASE, field: value})
    except InvalidTarget:
        return False
    return True


def policy_accepts(field: str, value: Any) -> bool:
    try:
        ProbeSettings.load({field: value})
        ProbeOverride.load({"match": "arn:*", field: value})
    except SpecError:
        return False
    return True


def test_every_policy_setting_is_a_probe_field_with_the_same_default():
    defaults = ProbeSettings().to_json()
    assert set(defaults) <= KNOWN_FIELDS
    # what the probe makes of a target that says nothing (kind: from the older scheme field's default)
    effective = parse_target(BASE).to_dict()
    published = ProbeSettings().probe_input()
    assert set(published) == set(defaults) - {"scheme"}
    assert {k: effective[k] for k in published} == published
    assert {k: DEFAULTS[k] for k in published if k != "kind"} == {
        k: v for k, v in published.items() if k != "kind"
    }


LIMITS = [
    ("port", c.MIN_PORT, c.MIN_PORT - 1),
    ("port", c.MAX_PORT, c.MAX_PORT + 1),
    ("expected_status", c.MIN_STATUS, c.MIN_STATUS - 1),
    ("expected_status", c.MAX_STATUS, c.MAX_STATUS + 1),
    ("timeout_s", c.MAX_TIMEOUT_S, c.MAX_TIMEOUT_S + 0.5),
    ("timeout_s", 0.001, 0.0),
    ("path", "/" + "a" * (c.MAX_PATH - 1), "/" + "a" * c.MAX_PATH),
    ("path", "/ok", "no-slash"),
    ("path", "/ok", "/with space"),
    ("expected_body", "x" * c.MAX_EXPECTED_BODY, "x" * (c.MAX_EXPECTED_BODY + 1)),
    ("expected_body", "x", ""),
    ("host_header", "h" * c.MAX_HOST_HEADER, "h" * (c.MAX_HOST_HEADER + 1)),
    ("host_header", "app.internal:8443", "a\r\nb"),
    ("server_name", "a." * 126 + "a", "a." * 126 + "ab"),  # 253 characters, then 254
    ("scheme", "https", "ftp"),
    ("kind", "tcp", "udp"),
    ("cert_expiry_days", 0, -1),
    ("cert_expiry_days", c.MAX_CERT_EXPIRY_DAYS, c.MAX_CERT_EXPIRY_DAYS + 1),
    ("ca_bundle", None, "no certificate here"),
]


@pytest.mark.parametrize(
    ("field", "inside", "outside"), LIMITS, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(LIMITS)]
)
def test_policy_and_probe_agree_at_every_limit(field, inside, outside):
    assert (policy_accepts(field, inside), probe_accepts(field, inside)) == (True, True)
    assert (policy_accepts(field, outside), probe_accepts(field, outside)) == (False, False)


def test_the_contract_fits_the_probe_function_and_its_stack_parameter():
    from pathlib import Path

    from linkpilot_local.cfn import load_template

    template = load_template(Path(__file__).parents[3] / "template.yaml")
    timeout_param = template["Parameters"]["ProbeTimeoutSeconds"]
    assert timeout_param["MaxValue"] <= c.MAX_TIMEOUT_S
    # every target of an invocation shares the function's time: its deadline must leave room to report
    assert template["Resources"]["ProbeFunction"]["Properties"]["Timeout"] >= c.MAX_TIMEOUT_S + 10
