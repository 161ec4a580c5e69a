"""The probe target model's kinds and new fields, and backward compatibility with today's schedule inputs."""

from __future__ import annotations

import json

import pytest

from linkpilot.consumer.models import ProbeTarget
from linkpilot.consumer.policy import ProbeSettings
from linkpilot.consumer.probe_inputs import shard_inputs
from linkpilot.probe import contract as c
from linkpilot.probe import parse_event, parse_target
from linkpilot.probe.client import select_addresses

DNS = "vpce-1.rcfg-1.x.vpc-lattice-rsc.us-east-1.on.aws"
ARN = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-1"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def entry(**kw: object) -> dict[str, object]:
    return {"endpoint_id": "vpce-1", "dns_name": DNS, **kw}


def test_todays_schedule_input_still_parses_with_the_scheme_as_kind():
    """What the controller writes today (policy defaults with ``scheme``, no ``kind``) is probed as before."""
    for scheme in ("http", "https"):
        (text,) = shard_inputs(
            ProbeSettings(scheme=scheme, port=8443),
            [ProbeTarget("vpce-1", DNS, ARN), ProbeTarget("vpce-2", DNS, ARN, {"path": "/health"})],
        )
        batch = parse_event(json.loads(text))
        assert batch.invalid == []
        assert [(t.kind, t.port, t.path, t.address_family) for _, t in batch.targets] == [
            (scheme, 8443, "/", c.DEFAULT_ADDRESS_FAMILY),
            (scheme, 8443, "/health", c.DEFAULT_ADDRESS_FAMILY),
        ]
        assert all(t.cert_expiry_days == c.DEFAULT_CERT_EXPIRY_DAYS for _, t in batch.targets)


def test_kind_wins_over_the_older_scheme_field():
    assert parse_target(entry(kind="tcp"), {"scheme": "https"}).kind == "tcp"
    assert parse_target(entry(kind="tls", port=443)).url == f"tls://{DNS}:443"
    assert parse_target(entry(kind="tcp", dns_name="::1", port=22)).url == "tcp://[::1]:22"


def test_new_fields_are_carried():
    t = parse_target(
        entry(
            kind="tls",
            ca_bundle=PEM,
            cert_expiry_days=30,
            address_family="dualstack",
            child_arn=ARN + "/child",
        )
    )
    assert (t.ca_bundle, t.cert_expiry_days, t.address_family, t.child_arn) == (
        PEM,
        30,
        "dualstack",
        ARN + "/child",
    )
    assert t.to_dict()["kind"] == "tls"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "udp"}, "kind must be one of http, https, tcp, tls"),
        ({"kind": None, "scheme": "tcp"}, "scheme must be 'http' or 'https'"),
        ({"ca_bundle": "not a pem"}, "ca_bundle must be null or PEM certificates"),
        ({"ca_bundle": PEM * 1000}, f"at most {c.MAX_CA_BUNDLE} characters"),
        ({"cert_expiry_days": -1}, "cert_expiry_days must be an integer from 0 to 365"),
        ({"cert_expiry_days": True}, "cert_expiry_days must be an integer"),
        ({"address_family": "ipv5"}, "address_family must be one of ipv4, ipv6, dualstack"),
        ({"child_arn": "child"}, "child_arn must be an ARN or null"),
    ],
)
def test_new_fields_are_validated(fields, message):
    with pytest.raises(ValueError, match=None) as info:
        parse_target(entry(**fields))
    assert message in str(info.value)


def test_address_selection_follows_the_family_and_is_bounded():
    answer = ["10.0.0.1", "fd00::1", "10.0.0.2", "10.0.0.1"]
    pick = lambda family: select_addresses(parse_target(entry(address_family=family)), answer)  # noqa: E731
    assert pick("ipv4") == (["10.0.0.1", "10.0.0.2"], None)
    assert pick("ipv6") == (["fd00::1"], None)
    assert pick("dualstack") == (["10.0.0.1", "fd00::1", "10.0.0.2"], None)
    many = [f"10.0.0.{i}" for i in range(1, 20)]
    assert select_addresses(parse_target(entry()), many)[0] == many[: c.MAX_ADDRESSES]
    assert select_addresses(parse_target(entry()), ["nope"]) == (
        [],
        "resolver returned 'nope', not an IP address",
    )
