"""Local AWS: service networks, their resource-configuration associations and their RAM shares."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Provider, http_get, make_provider, make_vpc, new_account

SN_TYPE = "vpc-lattice:ServiceNetwork"


def _network(aws: Any, provider: Provider, name: str = "shared-net") -> dict[str, Any]:
    lattice = aws.session(provider.account).client("vpc-lattice")
    network = lattice.create_service_network(name=name)
    lattice.create_service_network_resource_association(
        serviceNetworkIdentifier=network["id"],
        resourceConfigurationIdentifier=provider.configuration["id"],
    )
    aws.clock.advance(seconds=1)
    return network


def _share(aws: Any, provider: Provider, arn: str, consumer: str) -> dict[str, Any]:
    ram = aws.session(provider.account).client("ram")
    share = ram.create_resource_share(name="net-share", resourceArns=[arn], principals=[consumer])
    return share["resourceShare"]


def _accept(aws: Any, consumer: str, share_arn: str) -> None:
    ram = aws.session(consumer).client("ram")
    invitation = ram.get_resource_share_invitations(resourceShareArns=[share_arn])["resourceShareInvitations"]
    ram.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation[0]["resourceShareInvitationArn"], clientToken="accept-sn"
    )
    aws.clock.advance(seconds=60)  # RAM completes an accept asynchronously


def test_service_network_create_get_list_and_associations(inproc: Any) -> None:
    provider = make_provider(inproc)
    lattice = inproc.session(provider.account).client("vpc-lattice")
    network = lattice.create_service_network(name="shared-net")
    assert network["arn"].endswith(f":servicenetwork/{network['id']}")
    assert network["sharingConfig"] == {"enabled": True}
    created = lattice.create_service_network_resource_association(
        serviceNetworkIdentifier=network["arn"],
        resourceConfigurationIdentifier=provider.configuration["arn"],
    )
    assert created["status"] == "CREATE_IN_PROGRESS"
    assert created["id"].startswith("snra-")
    inproc.clock.advance(seconds=1)
    rows = lattice.list_service_network_resource_associations(serviceNetworkIdentifier=network["id"])["items"]
    assert [(r["resourceConfigurationArn"], r["status"]) for r in rows] == [
        (provider.configuration["arn"], "ACTIVE")
    ]
    assert rows[0]["dnsEntry"]["domainName"].endswith(".vpc-lattice-rsc.us-east-1.on.aws")
    listed = lattice.list_service_networks()["items"]
    assert [(n["id"], n["numberOfAssociatedResourceConfigurations"]) for n in listed] == [(network["id"], 1)]
    with pytest.raises(ClientError) as dup:
        lattice.create_service_network_resource_association(
            serviceNetworkIdentifier=network["id"],
            resourceConfigurationIdentifier=provider.configuration["id"],
        )
    assert dup.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as busy:
        lattice.delete_service_network(serviceNetworkIdentifier=network["id"])
    assert busy.value.response["Error"]["Code"] == "ConflictException"
    lattice.delete_service_network_resource_association(
        serviceNetworkResourceAssociationIdentifier=rows[0]["id"]
    )
    lattice.delete_service_network(serviceNetworkIdentifier=network["id"])
    inproc.clock.advance(seconds=1)
    assert lattice.list_service_networks()["items"] == []


def test_bad_names_and_identifiers_are_refused(inproc: Any) -> None:
    account = new_account()
    lattice = inproc.session(account).client("vpc-lattice")
    for name in ("Upper-case", "double--hyphen", "-lead", "trail-"):
        with pytest.raises(ClientError) as bad:
            lattice.create_service_network(name=name)
        assert bad.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        lattice.get_service_network(serviceNetworkIdentifier="sn-0123456789abcdef0")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_configuration_that_disallows_shareable_networks_is_refused(inproc: Any) -> None:
    provider = make_provider(inproc)
    lattice = inproc.session(provider.account).client("vpc-lattice")
    lattice.update_resource_configuration(
        resourceConfigurationIdentifier=provider.configuration["id"],
        allowAssociationToShareableServiceNetwork=False,
    )
    network = lattice.create_service_network(name="shared-net")
    with pytest.raises(ClientError) as refused:
        lattice.create_service_network_resource_association(
            serviceNetworkIdentifier=network["id"],
            resourceConfigurationIdentifier=provider.configuration["id"],
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    private = lattice.create_service_network(name="private-net", sharingConfig={"enabled": False})
    lattice.create_service_network_resource_association(
        serviceNetworkIdentifier=private["id"], resourceConfigurationIdentifier=provider.configuration["id"]
    )


def test_shared_service_network_is_listed_by_type_and_visible_to_the_consumer(inproc: Any) -> None:
    provider = make_provider(inproc)
    consumer = new_account()
    network = _network(inproc, provider)
    share = _share(inproc, provider, network["arn"], consumer)
    ram = inproc.session(consumer).client("ram")
    invitation = ram.get_resource_share_invitations(resourceShareArns=[share["resourceShareArn"]])[
        "resourceShareInvitations"
    ][0]
    pending = ram.list_pending_invitation_resources(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )["resources"]
    assert [(r["arn"], r["type"]) for r in pending] == [(network["arn"], SN_TYPE)]
    _accept(inproc, consumer, share["resourceShareArn"])
    rows = ram.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceType=SN_TYPE)["resources"]
    assert [(r["arn"], r["type"], r["status"]) for r in rows] == [(network["arn"], SN_TYPE, "AVAILABLE")]
    configs = ram.list_resources(
        resourceOwner="OTHER-ACCOUNTS", resourceType="vpc-lattice:ResourceConfiguration"
    )["resources"]
    assert configs == []
    lattice = inproc.session(consumer).client("vpc-lattice")
    assert lattice.get_service_network(serviceNetworkIdentifier=network["arn"])["id"] == network["id"]
    assert [n["id"] for n in lattice.list_service_networks()["items"]] == [network["id"]]


def test_unshared_network_cannot_be_read_and_disabled_sharing_cannot_be_shared(inproc: Any) -> None:
    provider = make_provider(inproc)
    stranger = new_account()
    network = _network(inproc, provider)
    with pytest.raises(ClientError) as hidden:
        inproc.session(stranger).client("vpc-lattice").get_service_network(
            serviceNetworkIdentifier=network["arn"]
        )
    assert hidden.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lattice = inproc.session(provider.account).client("vpc-lattice")
    private = lattice.create_service_network(name="private-net", sharingConfig={"enabled": False})
    with pytest.raises(ClientError) as refused:
        _share(inproc, provider, private["arn"], stranger)
    assert refused.value.response["Error"]["Code"] == "OperationNotPermittedException"


def _consumer_with_network(aws: Any) -> tuple[Provider, dict[str, Any], str, Any, str, list[str]]:
    provider = make_provider(aws)
    consumer = new_account()
    network = _network(aws, provider)
    share = _share(aws, provider, network["arn"], consumer)
    _accept(aws, consumer, share["resourceShareArn"])
    session = aws.session(consumer)
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    return provider, network, consumer, session.client("ec2"), vpc_id, subnets


def _sn_endpoint(
    ec2: Any, vpc_id: str, subnets: list[str], network_arn: str, **kwargs: Any
) -> dict[str, Any]:
    return ec2.create_vpc_endpoint(
        VpcEndpointType="ServiceNetwork",
        VpcId=vpc_id,
        SubnetIds=subnets,
        ServiceNetworkArn=network_arn,
        **kwargs,
    )["VpcEndpoint"]


def test_service_network_endpoint_lists_a_row_per_associated_configuration(inproc: Any, target: Any) -> None:
    provider, network, _, ec2, vpc_id, subnets = _consumer_with_network(inproc)
    created = _sn_endpoint(ec2, vpc_id, subnets[:1], network["arn"], ClientToken="sn-1")
    assert created["VpcEndpointType"] == "ServiceNetwork"
    assert created["ServiceNetworkArn"] == network["arn"]
    assert "DnsEntries" not in created or created["DnsEntries"] == []
    assert not created.get("NetworkInterfaceIds")
    again = _sn_endpoint(ec2, vpc_id, subnets[:1], network["arn"], ClientToken="sn-1")
    assert again["VpcEndpointId"] == created["VpcEndpointId"]
    inproc.clock.advance(seconds=1)
    described = ec2.describe_vpc_endpoints(VpcEndpointIds=[created["VpcEndpointId"]])["VpcEndpoints"][0]
    assert (described["State"].lower(), described["ServiceNetworkArn"]) == ("available", network["arn"])
    assert not described.get("ResourceConfigurationArn")
    rows = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[created["VpcEndpointId"]])[
        "VpcEndpointAssociations"
    ]
    assert [
        (r["AssociatedResourceArn"], r["ServiceNetworkArn"], r["AssociatedResourceAccessibility"])
        for r in rows
    ] == [(provider.configuration["arn"], network["arn"], "Accessible")]
    assert rows[0]["ServiceNetworkName"] == "shared-net"
    name = rows[0]["DnsEntry"]["DnsName"]
    assert name.startswith(f"{created['VpcEndpointId']}-snra-")
    # the target is reached through the endpoint's row, on loopback
    inproc.map_target("hello.internal.example", 8080, ("127.0.0.1", target.port))
    assert http_get(inproc.resolve(name), 8080, name).endswith(b"Hello, World!")
    # a second configuration joins the network: a second row, reachable too
    lattice = inproc.session(provider.account).client("vpc-lattice")
    second = lattice.create_resource_configuration(
        name="second",
        type="SINGLE",
        portRanges=["9090"],
        resourceGatewayIdentifier=provider.gateway["id"],
        resourceConfigurationDefinition={"dnsResource": {"domainName": "second.internal.example"}},
    )
    lattice.create_service_network_resource_association(
        serviceNetworkIdentifier=network["id"], resourceConfigurationIdentifier=second["id"]
    )
    inproc.clock.advance(seconds=1)
    rows = ec2.describe_vpc_endpoint_associations(
        Filters=[{"Name": "service-network-arn", "Values": [network["arn"]]}]
    )["VpcEndpointAssociations"]
    assert sorted(r["AssociatedResourceArn"] for r in rows) == sorted(
        [provider.configuration["arn"], second["arn"]]
    )
    second_name = next(r for r in rows if r["AssociatedResourceArn"] == second["arn"])["DnsEntry"]["DnsName"]
    inproc.map_target("second.internal.example", 9090, ("127.0.0.1", target.port))
    assert http_get(inproc.resolve(second_name), 9090, second_name).endswith(b"Hello, World!")


def test_service_network_endpoint_needs_the_network_shared(inproc: Any) -> None:
    provider = make_provider(inproc)
    network = _network(inproc, provider)
    stranger = new_account()
    session = inproc.session(stranger)
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    with pytest.raises(ClientError) as refused:
        _sn_endpoint(session.client("ec2"), vpc_id, subnets[:1], network["arn"])
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as mixed:
        session.client("ec2").create_vpc_endpoint(
            VpcEndpointType="ServiceNetwork",
            VpcId=vpc_id,
            SubnetIds=subnets[:1],
            ServiceNetworkArn=network["arn"],
            ResourceConfigurationArn=provider.configuration["arn"],
        )
    assert mixed.value.response["Error"]["Code"] == "InvalidParameterCombination"


def test_unshared_network_makes_rows_inaccessible_and_stops_traffic(inproc: Any, target: Any) -> None:
    provider, network, consumer, ec2, vpc_id, subnets = _consumer_with_network(inproc)
    endpoint = _sn_endpoint(ec2, vpc_id, subnets[:1], network["arn"])
    inproc.clock.advance(seconds=1)
    inproc.map_target("hello.internal.example", 8080, ("127.0.0.1", target.port))
    row = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint["VpcEndpointId"]])[
        "VpcEndpointAssociations"
    ][0]
    name = row["DnsEntry"]["DnsName"]
    ip = inproc.resolve(name)
    assert http_get(ip, 8080, name).endswith(b"Hello, World!")
    ram = inproc.session(provider.account).client("ram")
    share_arn = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"][0]["resourceShareArn"]
    ram.disassociate_resource_share(resourceShareArn=share_arn, principals=[consumer])
    inproc.clock.advance(seconds=60)
    row = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint["VpcEndpointId"]])[
        "VpcEndpointAssociations"
    ][0]
    assert row["AssociatedResourceAccessibility"] == "Inaccessible"
    try:  # refused: accepted and closed at once (or reset)
        reply = http_get(ip, 8080, name, timeout=1)
    except OSError:
        reply = b""
    assert reply == b""
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    inproc.clock.advance(seconds=1)
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[])["VpcEndpoints"] == []
