"""Custom domain names in the local AWS: a resource endpoint's private DNS answers for the configuration's
custom domain name when its private DNS preference admits it, in the VPC that enabled it only; an application
in that VPC reaches the target by the custom name."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from linkpilot_local import LocalAws
from linkpilot_local.fixtures import make_vpc
from linkpilot_local.private_dns import admitted

from .conftest import HelloTarget, http_get, new_account, share_and_accept
from .conftest import Provider as ProviderRecord

pytestmark = [pytest.mark.integration, pytest.mark.network]

CUSTOM = "db.provider.example"


def provider_with_custom_domain(
    aws: LocalAws, *, verified: bool, verification: str = "published"
) -> ProviderRecord:
    """A provider whose configuration has the custom domain name; ``verified``: with a domain verification
    of ``provider.example`` whose TXT record is ``published`` (VERIFIED) or still ``pending``."""
    account = new_account()
    session = aws.session(account)
    vpc_id, subnets = make_vpc(session, "10.0.0.0/16")
    lattice = session.client("vpc-lattice")
    gateway = lattice.create_resource_gateway(name="provider-gw", vpcIdentifier=vpc_id, subnetIds=subnets)
    extra: dict[str, Any] = {}
    if verified:
        started = lattice.start_domain_verification(domainName="provider.example")
        extra["domainVerificationIdentifier"] = started["id"]
        if verification == "published":
            aws.emulation.verify_domain(started["id"])
    configuration = lattice.create_resource_configuration(
        name="database",
        type="SINGLE",
        portRanges=["8080"],
        resourceGatewayIdentifier=gateway["id"],
        resourceConfigurationDefinition={
            "dnsResource": {"domainName": "db.internal.example", "ipAddressType": "IPV4"}
        },
        customDomainName=CUSTOM,
        **extra,
    )
    aws.clock.advance(seconds=1)
    return ProviderRecord(account, vpc_id, subnets, gateway, configuration)


def endpoint_in_new_vpc(
    aws: LocalAws, consumer: str, cidr: str, arn: str, **options: Any
) -> tuple[str, dict]:
    vpc_id, subnets = make_vpc(aws.session(consumer), cidr)
    created = (
        aws.session(consumer)
        .client("ec2")
        .create_vpc_endpoint(
            VpcEndpointType="Resource",
            VpcId=vpc_id,
            SubnetIds=subnets,
            ResourceConfigurationArn=arn,
            **options,
        )["VpcEndpoint"]
    )
    return vpc_id, created


def private_names(aws: LocalAws, consumer: str, endpoint_id: str) -> list[str]:
    rows = (
        aws.session(consumer)
        .client("ec2")
        .describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint_id])["VpcEndpointAssociations"]
    )
    return [r["PrivateDnsEntry"]["DnsName"] for r in rows if "PrivateDnsEntry" in r]


def test_the_custom_name_resolves_in_the_vpc_that_enabled_it_only(
    inproc: LocalAws, target: HelloTarget
) -> None:
    aws = inproc
    provider = provider_with_custom_domain(aws, verified=True)
    aws.map_target("db.internal.example", 8080, ("127.0.0.1", target.port))
    consumer = new_account()
    share_and_accept(aws, provider, consumer)
    arn = provider.configuration["arn"]
    with_dns, endpoint = endpoint_in_new_vpc(
        aws,
        consumer,
        "10.1.0.0/16",
        arn,
        PrivateDnsEnabled=True,
        DnsOptions={"PrivateDnsPreference": "VERIFIED_DOMAINS_ONLY"},
    )
    without_dns, other = endpoint_in_new_vpc(aws, consumer, "10.2.0.0/16", arn, PrivateDnsEnabled=False)
    aws.clock.advance(seconds=1)
    assert private_names(aws, consumer, endpoint["VpcEndpointId"]) == [CUSTOM]
    assert private_names(aws, consumer, other["VpcEndpointId"]) == []

    ip = aws.resolve(CUSTOM, with_dns)
    assert http_get(ip, 8080, CUSTOM).endswith(b"Hello, World!")
    with pytest.raises(socket.gaierror):
        aws.resolve(CUSTOM, without_dns)  # that VPC did not enable private DNS: no zone for the name
    # the generated names resolve from anywhere (public DNS)
    (row,) = (
        aws.session(consumer)
        .client("ec2")
        .describe_vpc_endpoint_associations(VpcEndpointIds=[other["VpcEndpointId"]])[
            "VpcEndpointAssociations"
        ]
    )
    generated = row["DnsEntry"]["DnsName"]
    assert aws.resolve(generated, with_dns) == aws.resolve(generated)

    aws.session(consumer).client("ec2").delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    aws.clock.advance(seconds=5)
    with pytest.raises(socket.gaierror):
        aws.resolve(CUSTOM, with_dns)


@pytest.mark.parametrize(
    ("verified", "options", "expected"),
    [
        (False, {"PrivateDnsPreference": "VERIFIED_DOMAINS_ONLY"}, []),
        (
            False,
            {},
            [],
        ),  # no preference: the emulation applies VERIFIED_DOMAINS_ONLY (AWS default UNVERIFIED)
        (False, {"PrivateDnsPreference": "ALL_DOMAINS"}, [CUSTOM]),
        (
            False,
            {
                "PrivateDnsPreference": "SPECIFIED_DOMAINS_ONLY",
                "PrivateDnsSpecifiedDomains": ["*.provider.example"],
            },
            [CUSTOM],
        ),
        (
            True,
            {
                "PrivateDnsPreference": "SPECIFIED_DOMAINS_ONLY",
                "PrivateDnsSpecifiedDomains": ["other.example"],
            },
            [],
        ),
        (
            True,
            {
                "PrivateDnsPreference": "VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS",
                "PrivateDnsSpecifiedDomains": ["other.example"],
            },
            [CUSTOM],
        ),
    ],
)
def test_the_private_dns_preference_decides(
    inproc: LocalAws, verified: bool, options: dict[str, Any], expected: list[str]
) -> None:
    aws = inproc
    provider = provider_with_custom_domain(aws, verified=verified)
    consumer = new_account()
    share_and_accept(aws, provider, consumer)
    dns = {"DnsOptions": options} if options else {}
    _, endpoint = endpoint_in_new_vpc(
        aws, consumer, "10.1.0.0/16", provider.configuration["arn"], PrivateDnsEnabled=True, **dns
    )
    assert private_names(aws, consumer, endpoint["VpcEndpointId"]) == expected


def test_a_verification_counts_only_once_its_record_is_published(inproc: LocalAws) -> None:
    """A configuration naming a domain verification reads it back PENDING (terraform's domainVerification
    acceptance test) and is not verified for VERIFIED_DOMAINS_ONLY until the TXT record is published."""
    aws = inproc
    provider = provider_with_custom_domain(aws, verified=True, verification="pending")
    consumer = new_account()
    share_and_accept(aws, provider, consumer)
    lattice = aws.session(provider.account).client("vpc-lattice")
    got = lattice.get_resource_configuration(resourceConfigurationIdentifier=provider.configuration["id"])
    assert got["domainVerificationStatus"] == "PENDING"
    _, endpoint = endpoint_in_new_vpc(
        aws,
        consumer,
        "10.1.0.0/16",
        provider.configuration["arn"],
        PrivateDnsEnabled=True,
        DnsOptions={"PrivateDnsPreference": "VERIFIED_DOMAINS_ONLY"},
    )
    assert private_names(aws, consumer, endpoint["VpcEndpointId"]) == []
    aws.emulation.verify_domain(got["domainVerificationId"])
    assert private_names(aws, consumer, endpoint["VpcEndpointId"]) == [CUSTOM]


def test_an_unknown_verification_is_refused(inproc: LocalAws) -> None:
    """The emulation refuses a configuration naming a verification it does not know (UNVERIFIED: AWS's
    error for it)."""
    from botocore.exceptions import ClientError

    account = new_account()
    session = inproc.session(account)
    vpc_id, subnets = make_vpc(session, "10.0.0.0/16")
    lattice = session.client("vpc-lattice")
    gateway = lattice.create_resource_gateway(name="provider-gw", vpcIdentifier=vpc_id, subnetIds=subnets)
    with pytest.raises(ClientError) as excinfo:
        lattice.create_resource_configuration(
            name="database",
            type="SINGLE",
            resourceGatewayIdentifier=gateway["id"],
            resourceConfigurationDefinition={"dnsResource": {"domainName": CUSTOM, "ipAddressType": "IPV4"}},
            customDomainName=CUSTOM,
            domainVerificationIdentifier="dv-0123456789abcdef0",
        )
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_specified_domains_need_a_specified_preference(inproc: LocalAws) -> None:
    from botocore.exceptions import ClientError

    aws = inproc
    provider = provider_with_custom_domain(aws, verified=True)
    consumer = new_account()
    share_and_accept(aws, provider, consumer)
    with pytest.raises(ClientError) as excinfo:
        endpoint_in_new_vpc(
            aws,
            consumer,
            "10.1.0.0/16",
            provider.configuration["arn"],
            PrivateDnsEnabled=True,
            DnsOptions={
                "PrivateDnsPreference": "VERIFIED_DOMAINS_ONLY",
                "PrivateDnsSpecifiedDomains": [CUSTOM],
            },
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_wildcards_match_labels_in_front_only() -> None:
    assert admitted(
        "db.provider.example",
        verified=False,
        preference="SPECIFIED_DOMAINS_ONLY",
        specified=["*.provider.example"],
    )
    assert not admitted(
        "provider.example",
        verified=False,
        preference="SPECIFIED_DOMAINS_ONLY",
        specified=["*.provider.example"],
    )
    assert not admitted(
        "db.otherprovider.example",
        verified=False,
        preference="SPECIFIED_DOMAINS_ONLY",
        specified=["*.provider.example"],
    )
    assert not admitted(None, verified=True, preference="ALL_DOMAINS")
