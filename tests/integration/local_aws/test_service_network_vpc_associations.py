"""Local AWS: service-network VPC associations (create/get/list/delete, tags, statuses, AWS's rules)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import make_provider, make_vpc, new_account
from .test_service_networks import _accept, _network, _share


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def _consumer_with_network(aws: Any) -> tuple[str, str, dict[str, Any], str]:
    """(consumer account, its VPC, the provider's network shared with it and accepted, provider account)."""
    provider = make_provider(aws)
    consumer = new_account()
    network = _network(aws, provider)
    share = _share(aws, provider, network["arn"], consumer)
    _accept(aws, consumer, share["resourceShareArn"])
    vpc_id, _ = make_vpc(aws.session(consumer), "10.9.0.0/16")
    return consumer, vpc_id, network, provider.account


def test_create_get_list_tag_and_delete_an_association_on_a_shared_network(inproc: Any) -> None:
    consumer, vpc_id, network, provider = _consumer_with_network(inproc)
    ec2 = inproc.session(consumer).client("ec2")
    sg = ec2.create_security_group(GroupName="lattice", Description="clients", VpcId=vpc_id)["GroupId"]
    lattice = inproc.session(consumer).client("vpc-lattice")
    created = lattice.create_service_network_vpc_association(
        serviceNetworkIdentifier=network["arn"],
        vpcIdentifier=vpc_id,
        securityGroupIds=[sg],
        tags={"linkpilot:managed": "true"},
        clientToken="assoc-1",
    )
    assert created["id"].startswith("snva-") and len(created["id"]) == 22
    arn = f"arn:aws:vpc-lattice:us-east-1:{consumer}:servicenetworkvpcassociation/{created['id']}"
    assert created["arn"] == arn
    assert (created["status"], created["createdBy"], created["securityGroupIds"]) == (
        "CREATE_IN_PROGRESS",
        consumer,
        [sg],
    )
    replay = lattice.create_service_network_vpc_association(
        serviceNetworkIdentifier=network["arn"],
        vpcIdentifier=vpc_id,
        securityGroupIds=[sg],
        tags={"linkpilot:managed": "true"},
        clientToken="assoc-1",
    )
    assert replay["id"] == created["id"]
    with pytest.raises(ClientError) as early:
        lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["id"])
    assert _code(early) == "ConflictException"
    inproc.clock.advance(seconds=1)
    got = lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["arn"])
    assert (got["status"], got["vpcId"], got["serviceNetworkArn"]) == ("ACTIVE", vpc_id, network["arn"])
    by_vpc = lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"]
    by_network = lattice.list_service_network_vpc_associations(serviceNetworkIdentifier=network["id"])
    by_network = by_network["items"]
    assert [r["id"] for r in by_vpc] == [r["id"] for r in by_network] == [created["id"]]
    owner = inproc.session(provider).client("vpc-lattice")
    seen = owner.list_service_network_vpc_associations(serviceNetworkIdentifier=network["id"])["items"]
    assert [(r["id"], r["createdBy"]) for r in seen] == [(created["id"], consumer)]
    assert owner.get_service_network(serviceNetworkIdentifier=network["id"])["numberOfAssociatedVPCs"] == 1
    with pytest.raises(ClientError) as busy:
        owner.delete_service_network(serviceNetworkIdentifier=network["id"])
    assert _code(busy) == "ConflictException"
    lattice.tag_resource(resourceArn=created["arn"], tags={"linkpilot:service-network-arn": network["arn"]})
    tags = lattice.list_tags_for_resource(resourceArn=created["arn"])["tags"]
    assert tags == {"linkpilot:managed": "true", "linkpilot:service-network-arn": network["arn"]}
    deleted = lattice.delete_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=created["id"]
    )
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    again = lattice.delete_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=created["id"]
    )
    assert again["status"] == "DELETE_IN_PROGRESS"  # the model marks the delete idempotent
    rows = lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"]
    assert [r["status"] for r in rows] == ["DELETE_IN_PROGRESS"]
    inproc.clock.advance(seconds=1)
    assert lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"] == []
    with pytest.raises(ClientError) as gone:
        lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["id"])
    assert _code(gone) == "ResourceNotFoundException"


def associate(client: Any, network_id: str, vpc_id: str) -> dict[str, Any]:
    created: dict[str, Any] = client.create_service_network_vpc_association(
        serviceNetworkIdentifier=network_id, vpcIdentifier=vpc_id
    )
    return created


def test_a_vpc_joins_one_network_through_an_association(inproc: Any) -> None:
    consumer, vpc_id, network, _provider = _consumer_with_network(inproc)
    own = inproc.session(consumer).client("vpc-lattice")
    second = own.create_service_network(name="own-net")
    first = associate(own, network["id"], vpc_id)
    with pytest.raises(ClientError) as twice:
        associate(own, second["id"], vpc_id)
    assert _code(twice) == "ConflictException"
    inproc.clock.advance(seconds=1)
    own.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=first["id"])
    with pytest.raises(ClientError) as disassociating:
        associate(own, second["id"], vpc_id)
    assert _code(disassociating) == "ConflictException"
    inproc.clock.advance(seconds=1)
    after = associate(own, second["id"], vpc_id)
    assert after["securityGroupIds"] == []  # none added by default


def test_bad_requests_are_refused_and_change_nothing(inproc: Any) -> None:
    consumer, vpc_id, network, _provider = _consumer_with_network(inproc)
    lattice = inproc.session(consumer).client("vpc-lattice")
    other_vpc, _ = make_vpc(inproc.session(consumer), "10.8.0.0/16")
    ec2 = inproc.session(consumer).client("ec2")
    foreign_sg = ec2.create_security_group(GroupName="x", Description="x", VpcId=other_vpc)["GroupId"]
    stranger = inproc.session(new_account()).client("vpc-lattice")
    cases: list[tuple[Any, dict[str, Any], str]] = [
        (lattice, {"vpcIdentifier": "vpc-0123456789abcdef0"}, "ResourceNotFoundException"),
        (lattice, {"vpcIdentifier": "not-a-vpc"}, "ValidationException"),
        (lattice, {"vpcIdentifier": vpc_id, "securityGroupIds": [foreign_sg]}, "ValidationException"),
        (lattice, {"vpcIdentifier": vpc_id, "securityGroupIds": [foreign_sg] * 6}, "ValidationException"),
        (stranger, {"vpcIdentifier": vpc_id}, "ResourceNotFoundException"),  # network not shared with it
    ]
    for client, params, code in cases:
        with pytest.raises(ClientError) as err:
            client.create_service_network_vpc_association(serviceNetworkIdentifier=network["arn"], **params)
        assert _code(err) == code, params
    with pytest.raises(ClientError) as unfiltered:
        lattice.list_service_network_vpc_associations()
    assert _code(unfiltered) == "ValidationException"
    with pytest.raises(ClientError) as bad_id:
        lattice.get_service_network_vpc_association(
            serviceNetworkVpcAssociationIdentifier="snva-not-a-valid-id"
        )
    assert _code(bad_id) == "ValidationException"
    assert lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"] == []


def test_association_is_private_to_the_vpc_owner_and_network_owner(inproc: Any) -> None:
    consumer, vpc_id, network, _provider = _consumer_with_network(inproc)
    created = associate(inproc.session(consumer).client("vpc-lattice"), network["id"], vpc_id)
    stranger = inproc.session(new_account()).client("vpc-lattice")
    with pytest.raises(ClientError) as hidden:
        stranger.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["arn"])
    assert _code(hidden) == "ResourceNotFoundException"
    assert stranger.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"] == []


def test_association_outlives_the_share_until_its_owner_deletes_it(aws_any: Any) -> None:
    consumer, vpc_id, network, provider = _consumer_with_network(aws_any)
    lattice = aws_any.session(consumer).client("vpc-lattice")
    created = associate(lattice, network["id"], vpc_id)
    aws_any.clock.advance(seconds=1)
    ram = aws_any.session(provider).client("ram")
    share_arn = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"][0]["resourceShareArn"]
    ram.disassociate_resource_share(resourceShareArn=share_arn, principals=[consumer])
    aws_any.clock.advance(seconds=60)
    rows = lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"]
    assert [(r["id"], r["serviceNetworkArn"]) for r in rows] == [(created["id"], network["arn"])]
    lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["id"])
    aws_any.clock.advance(seconds=1)
    assert lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id)["items"] == []
