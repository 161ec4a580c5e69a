"""The probe through the local data path, IPv6 included: a dualstack endpoint answers on its 127.x address
and on ``::1``; the probe, resolving like the VPC resolver, checks both."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from local_aws.conftest import (
    HelloTarget,
    association_dns_name,
    make_provider,
    make_vpc,
    new_account,
    share_and_accept,
)

from linkpilot.probe import Target, probe_targets
from linkpilot_local import LocalAws

pytestmark = pytest.mark.network


def free_port_on_both() -> int:
    for _ in range(20):
        with socket.socket(socket.AF_INET6) as s6:
            s6.bind(("::1", 0))
            port = int(s6.getsockname()[1])
            with socket.socket() as s4:
                try:
                    s4.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


@pytest.fixture
def world() -> Iterator[tuple[LocalAws, Any, dict[str, str], int, Callable[[str], None]]]:
    port = free_port_on_both()
    hello = HelloTarget()
    with LocalAws(region="us-east-1") as aws:
        provider = make_provider(aws, ports=(str(port),))
        consumer = new_account()
        share_and_accept(aws, provider, consumer)
        session = aws.session(consumer)
        vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
        ec2 = session.client("ec2")
        names = {}

        def create(ip_type: str) -> None:
            endpoint = ec2.create_vpc_endpoint(
                VpcEndpointType="Resource",
                VpcId=vpc_id,
                SubnetIds=subnets,
                ResourceConfigurationArn=provider.configuration["arn"],
                IpAddressType=ip_type,
            )["VpcEndpoint"]
            # the DNS name is the endpoint association's (a Resource endpoint has no DnsEntries)
            names[ip_type] = association_dns_name(ec2, endpoint["VpcEndpointId"])
            names[f"{ip_type}-id"] = endpoint["VpcEndpointId"]
            aws.clock.advance(seconds=1)

        create("ipv4")
        create("dualstack")
        aws.map_target("hello.internal.example", port, ("127.0.0.1", hello.port))
        yield aws, ec2, names, port, create
    hello.close()


def test_dualstack_endpoint_is_served_and_probed_on_ipv4_and_ipv6(world):
    aws, _, names, port, create = world
    create("ipv6")  # ::1 holds one listener per port: the dualstack endpoint's, made first
    datapath = aws.emulation.datapath
    v4, dual = names["ipv4"], names["dualstack"]
    v4_ips, dual_ips = datapath.addresses(names["ipv4-id"]), datapath.addresses(names["dualstack-id"])
    assert len(v4_ips) == 2 and v4_ips[0] == datapath.resolve(v4)  # one address per subnet (zone)
    assert datapath.resolve_all(v4) == v4_ips
    assert datapath.resolve_all(dual) == [*dual_ips, "::1"]
    assert datapath.resolve_all(names["ipv6"]) == ["::1"]
    targets = [
        Target("vpce-v4", v4, port=port, expected_body="Hello, World!", address_family="ipv4"),
        Target("vpce-dual", dual, port=port, expected_body="Hello, World!", address_family="dualstack"),
        Target("vpce-dual-v6", dual, port=port, expected_body="Hello, World!", address_family="ipv6"),
    ]
    results = probe_targets(targets, resolver=datapath.resolve_all)
    assert [(r.target, r.verdict, [a.address for a in r.addresses]) for r in results] == [
        ("vpce-v4", "ok", v4_ips),
        ("vpce-dual", "ok", [*dual_ips, "::1"]),
        ("vpce-dual-v6", "ok", ["::1"]),
    ], results


def test_a_deleted_dualstack_endpoint_stops_answering_on_ipv6(world):
    aws, ec2, names, port, _ = world
    datapath = aws.emulation.datapath
    (r,) = probe_targets([Target("vpce-dual", "::1", port=port, timeout_s=2.0)])
    assert r.verdict == "ok", r
    ec2.delete_vpc_endpoints(VpcEndpointIds=[names["dualstack-id"]])
    aws.clock.advance(seconds=1)
    (r,) = probe_targets([Target("vpce-dual", "::1", port=port, timeout_s=0.5)])
    assert (r.verdict, r.reason) == ("down", "connect"), r
    with pytest.raises(socket.gaierror):
        datapath.resolve_all(names["dualstack"])


def test_a_black_holed_zone_address_makes_the_endpoint_degraded_until_restored(world):
    aws, _, names, port, _ = world
    first, second = aws.endpoint_addresses(names["ipv4-id"])
    target = Target("vpce-v4", names["ipv4"], port=port, expected_body="Hello, World!", timeout_s=1.0)
    tcp = Target("vpce-v4-tcp", names["ipv4"], port=port, scheme="tcp", timeout_s=1.0)
    aws.black_hole(second)
    for r in probe_targets([target, tcp], resolver=aws.resolver):
        assert r.verdict == "degraded", r
        assert [(a.address, a.reason) for a in r.addresses] == [(first, None), (second, "timeout")], r
    aws.black_hole(second, on=False)
    assert [r.verdict for r in probe_targets([target, tcp], resolver=aws.resolver)] == ["ok", "ok"]
    with pytest.raises(ValueError, match="not an address of an endpoint"):
        aws.black_hole("127.0.0.9")
