"""Local AWS: service networks, their resource-configuration associations and their RAM shares."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Provider, make_provider, new_account

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
