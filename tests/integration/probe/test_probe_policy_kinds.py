"""From the trust policy to a verdict: a policy with a tcp override for one ARN glob, the input the controller
publishes for it, and the probe judging each target with its kind against real loopback servers (the
endpoints' names resolved by an injected resolver)."""

from __future__ import annotations

import json
import random
import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    Endpoint,
    EndpointAssociation,
    ObservedState,
    ShareResource,
)
from linkpilot.consumer.planning import compile_rules, plan_actions
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE, parse_policy
from linkpilot.consumer.probe_inputs import shard_inputs
from linkpilot.probe import probe_event

from .conftest import LOOPBACK, make_certificate, reply, tls_handler

pytestmark = pytest.mark.network

PROVIDER = "111111111111"
VPC = "vpc-0123456789abcdef0"
HELLO = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"
WEB = f"arn:aws:vpc-lattice:us-east-1:{PROVIDER}:resourceconfiguration/rcfg-0web"
DB = f"arn:aws:vpc-lattice:us-east-1:{PROVIDER}:resourceconfiguration/rcfg-0pgdb"
DB_GLOB = f"arn:aws:vpc-lattice:*:{PROVIDER}:resourceconfiguration/rcfg-0pg*"


def policy(probe: dict[str, Any]) -> Any:
    return parse_policy(
        json.dumps(
            {
                "trusted_accounts": [PROVIDER],
                "endpoint": {"vpc_id": VPC, "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]},
                "probe": probe,
            }
        )
    )


def endpoint(config: str, eid: str, ip_type: str = "ipv4") -> Endpoint:
    return Endpoint(
        endpoint_id=eid,
        vpc_id=VPC,
        state="available",
        resource_configuration_arn=config,
        tags={MANAGED_TAG: "true", CONFIGURATION_TAG: config},
        ip_address_type=ip_type,
        associations=(  # the DNS name lives in the endpoint's association row
            EndpointAssociation(
                association_id=f"{eid}-asc",
                endpoint_id=eid,
                associated_resource_arn=config,
                dns_name=f"{eid}.rcfg.vpc-lattice-rsc.us-east-1.on.aws",
                accessibility="accessible",
            ),
        ),
    )


def shared(endpoints: tuple[Endpoint, ...]) -> tuple[ShareResource, ...]:
    """The configurations are shared by a trusted account (else the plan deletes their endpoints)."""
    share = f"arn:aws:ram:us-east-1:{PROVIDER}:resource-share/s-1"
    return tuple(
        ShareResource(e.resource_configuration_arn, RESOURCE_CONFIGURATION_TYPE, share) for e in endpoints
    )


def publish(probe: dict[str, Any], *endpoints: Endpoint) -> dict[str, Any]:
    """What the controller writes into the probe schedule for this policy and these endpoints."""
    plan = plan_actions(
        compile_rules(policy(probe)),
        ObservedState(shared_resources=shared(endpoints), endpoints=endpoints),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    (only,) = shard_inputs(plan.probe_defaults, plan.probe_targets)
    event: dict[str, Any] = json.loads(only)
    return event


def silent(conn: socket.socket) -> None:
    """A TCP service that never speaks first (a database waiting for its client's startup message)."""
    conn.settimeout(3)
    conn.recv(1)


def test_a_tcp_override_for_one_glob_is_judged_as_tcp(serve):
    web = serve(reply(HELLO))
    db = serve(silent)
    probe = {
        "defaults": {"kind": "http", "port": web.port, "expected_body": "Hello", "timeout_s": 1.5},
        "overrides": [{"match": DB_GLOB, "kind": "tcp", "port": db.port}],
    }
    event = publish(probe, endpoint(WEB, "vpce-web"), endpoint(DB, "vpce-db"))
    names = {t["dns_name"]: LOOPBACK for t in event["targets"]}
    results = {r.target: r for r in probe_event(event, resolver=lambda name: [names[name]])}
    assert (results["vpce-web"].kind, results["vpce-web"].verdict) == ("http", "ok"), results["vpce-web"]
    assert (results["vpce-db"].kind, results["vpce-db"].verdict) == ("tcp", "ok"), results["vpce-db"]
    assert results["vpce-db"].url.startswith("tcp://") and results["vpce-db"].status_code is None

    # the override is what makes the database pass: without it the same listener fails the http check
    event = publish({**probe, "overrides": [{"match": DB_GLOB, "port": db.port}]}, endpoint(DB, "vpce-db"))
    (as_http,) = probe_event(event, resolver=lambda name: [LOOPBACK])
    assert (as_http.kind, as_http.verdict) == ("http", "down"), as_http


def test_an_rds_like_configuration_is_probed_with_tcp_on_port_5432(serve):
    """The README's example: an ARN-type configuration for a Postgres database, overridden to kind tcp on 5432
    while the others keep the HTTP defaults. 5432 on a loopback address of its own (127.0.0.0/8)."""
    host = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    try:
        db = serve(silent, host=host, port=5432)
    except OSError as exc:
        pytest.skip(f"cannot listen on {host}:5432 here: {exc}")
    event = publish(
        {
            "defaults": {"port": 8080, "path": "/health", "timeout_s": 1.5},
            "overrides": [{"match": DB_GLOB, "kind": "tcp", "port": 5432}],
        },
        endpoint(DB, "vpce-db"),
    )
    (target,) = event["targets"]
    assert (target["kind"], target["port"]) == ("tcp", 5432)
    (result,) = probe_event(event, resolver=lambda name: [host])
    assert (result.verdict, result.kind, result.url) == ("ok", "tcp", f"tcp://{target['dns_name']}:5432"), (
        result
    )
    db.stop()
    (result,) = probe_event(event, resolver=lambda name: [host])
    assert (result.verdict, result.reason) == ("down", "connect"), result


def test_the_published_address_family_selects_the_addresses_probed(serve):
    """An ipv4 endpoint is probed on its IPv4 addresses only, a dualstack one on both (::1 here)."""
    v4 = serve(reply(HELLO))
    try:
        v6 = serve(reply(HELLO), host="::1", port=v4.port)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    probe = {"defaults": {"port": v4.port, "timeout_s": 1.5}}
    both = [LOOPBACK, "::1"]
    (r4,) = probe_event(publish(probe, endpoint(WEB, "vpce-4", "ipv4")), resolver=lambda name: both)
    (r46,) = probe_event(publish(probe, endpoint(WEB, "vpce-46", "dualstack")), resolver=lambda name: both)
    assert [a.address for a in r4.addresses] == [LOOPBACK] and r4.ok, r4
    assert [a.address for a in r46.addresses] == both and r46.ok, r46
    v6.stop()
    (r46,) = probe_event(publish(probe, endpoint(WEB, "vpce-46", "dualstack")), resolver=lambda name: both)
    assert r46.verdict == "degraded" and [a.ok for a in r46.addresses] == [True, False], r46


@pytest.mark.parametrize(
    ("ip_type", "family"),
    [("ipv4", "ipv4"), ("ipv6", "ipv6"), ("dualstack", "dualstack"), ("", "dualstack"), ("x", "dualstack")],
)
def test_the_published_target_follows_the_endpoints_address_type(ip_type, family):
    (target,) = publish({}, endpoint(WEB, "vpce-1", ip_type))["targets"]
    assert target["address_family"] == family


def test_a_tls_override_with_its_ca_bundle_and_certificate_threshold(serve, tmp_path):
    """A tls configuration trusted through the policy's CA bundle: ok with a certificate good for 60 days,
    cert_expiring when the policy's threshold (21 days) is above the days left (10)."""
    name = "vpce-tls.rcfg.vpc-lattice-rsc.us-east-1.on.aws"
    glob = f"arn:aws:vpc-lattice:*:{PROVIDER}:resourceconfiguration/rcfg-0tls*"
    cfg = WEB.replace("rcfg-0web", "rcfg-0tls")
    for days, verdict in ((60, "ok"), (10, "cert_expiring")):
        cert, key = make_certificate(tmp_path / str(days), name, days=days)
        server = serve(tls_handler(cert, key))
        override = {"match": glob, "kind": "tls", "port": server.port, "ca_bundle": cert.read_text()}
        event = publish(
            {"defaults": {"timeout_s": 2.0, "cert_expiry_days": 21}, "overrides": [override]},
            endpoint(cfg, "vpce-tls"),
        )
        (target,) = event["targets"]
        assert (target["kind"], target["ca_bundle"]) == ("tls", cert.read_text())
        (result,) = probe_event(event, resolver=lambda _: [LOOPBACK])
        assert (result.kind, result.verdict) == ("tls", verdict), result
        assert result.cert_days_left is not None and days - 1 < result.cert_days_left <= days
    # without the bundle the system's trust store does not know the self-signed CA: a tls failure
    event = publish(
        {"defaults": {"timeout_s": 2.0}, "overrides": [{**override, "ca_bundle": None}]},
        endpoint(cfg, "vpce-tls"),
    )
    (result,) = probe_event(event, resolver=lambda _: [LOOPBACK])
    assert (result.verdict, result.reason) == ("down", "tls"), result
