"""VPC Lattice resource gateways and configurations through boto3, in-process and against the server."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of, make_provider, make_vpc, new_account, share_and_accept


def _gateway(aws, account=None, name="gw-a"):
    account = account or new_account()
    session = aws.session(account)
    vpc_id, subnets = make_vpc(session, "10.0.0.0/16")
    lattice = session.client("vpc-lattice")
    return (
        account,
        lattice,
        vpc_id,
        subnets,
        lattice.create_resource_gateway(name=name, vpcIdentifier=vpc_id, subnetIds=subnets),
    )


def test_gateway_lifecycle(aws_any):
    account, lattice, vpc_id, subnets, gw = _gateway(aws_any)
    assert re.fullmatch(r"rgw-[0-9a-f]{17}", gw["id"])
    assert gw["arn"] == f"arn:aws:vpc-lattice:us-east-1:{account}:resourcegateway/{gw['id']}"
    assert gw["status"] == "CREATE_IN_PROGRESS"
    assert gw["vpcIdentifier"] == vpc_id
    aws_any.clock.advance(seconds=1)
    got = lattice.get_resource_gateway(resourceGatewayIdentifier=gw["arn"])
    assert got["status"] == "ACTIVE"
    assert got["vpcId"] == vpc_id and "vpcIdentifier" not in got
    assert got["subnetIds"] == subnets
    assert [g["id"] for g in lattice.list_resource_gateways()["items"]] == [gw["id"]]
    sg = (
        aws_any.session(account)
        .client("ec2")
        .create_security_group(GroupName="gw", Description="gw", VpcId=vpc_id)["GroupId"]
    )
    updated = lattice.update_resource_gateway(resourceGatewayIdentifier=gw["id"], securityGroupIds=[sg])
    assert updated["securityGroupIds"] == [sg]
    deleted = lattice.delete_resource_gateway(resourceGatewayIdentifier=gw["id"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    aws_any.clock.advance(seconds=1)
    with pytest.raises(ClientError) as exc:
        lattice.get_resource_gateway(resourceGatewayIdentifier=gw["id"])
    assert error_of(exc) == ("ResourceNotFoundException", 404)
    assert lattice.list_resource_gateways()["items"] == []


@pytest.mark.parametrize("name", ["Upper", "rgw-reserved", "-lead", "trail-", "dou--ble", "x" * 41])
def test_gateway_name_rules(aws_any, name):
    session = aws_any.session(new_account())
    vpc_id, subnets = make_vpc(session, "10.0.0.0/16")
    with pytest.raises(ClientError) as exc:
        session.client("vpc-lattice").create_resource_gateway(
            name=name, vpcIdentifier=vpc_id, subnetIds=subnets
        )
    assert error_of(exc) == ("ValidationException", 400)
    assert session.client("vpc-lattice").list_resource_gateways()["items"] == []


def test_gateway_errors(aws_any):
    account, lattice, vpc_id, subnets, gw = _gateway(aws_any)
    ec2 = aws_any.session(account).client("ec2")
    other_vpc, other_subnets = make_vpc(aws_any.session(account), "10.9.0.0/16")
    cases = [
        ({"name": "gw-a", "vpcIdentifier": vpc_id, "subnetIds": subnets}, ("ConflictException", 409)),
        (
            {"name": "gw-b", "vpcIdentifier": "vpc-0123456789abcdef0", "subnetIds": subnets},
            ("ResourceNotFoundException", 404),
        ),
        ({"name": "gw-c", "vpcIdentifier": vpc_id, "subnetIds": other_subnets}, ("ValidationException", 400)),
        (
            {"name": "gw-d", "vpcIdentifier": vpc_id, "subnetIds": ["subnet-0123456789abcdef0"]},
            ("ResourceNotFoundException", 404),
        ),
        ({"name": "gw-e", "vpcIdentifier": vpc_id}, ("ValidationException", 400)),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as exc:
            lattice.create_resource_gateway(**kwargs)
        assert error_of(exc) == expected, kwargs
    assert [g["id"] for g in lattice.list_resource_gateways()["items"]] == [gw["id"]]  # nothing half-created
    assert ec2.describe_vpcs(VpcIds=[other_vpc])["Vpcs"]
    for ident, expected in [
        ("rgw-0123456789abcdef0", ("ResourceNotFoundException", 404)),
        ("not-a-gateway-identifier", ("ValidationException", 400)),
        (gw["arn"].replace(account, "999999999999"), ("ResourceNotFoundException", 404)),
    ]:
        with pytest.raises(ClientError) as exc:
            lattice.get_resource_gateway(resourceGatewayIdentifier=ident)
        assert error_of(exc) == expected
    # another account cannot see the gateway at all
    with pytest.raises(ClientError) as exc:
        aws_any.session(new_account()).client("vpc-lattice").get_resource_gateway(
            resourceGatewayIdentifier=gw["arn"]
        )
    assert error_of(exc) == ("ResourceNotFoundException", 404)


def test_configuration_lifecycle_and_listing(aws_any):
    provider = make_provider(aws_any)
    lattice = aws_any.session(provider.account).client("vpc-lattice")
    cfg = provider.configuration
    assert re.fullmatch(r"rcfg-[0-9a-f]{17}", cfg["id"])
    assert cfg["arn"] == f"arn:aws:vpc-lattice:us-east-1:{provider.account}:resourceconfiguration/{cfg['id']}"
    assert cfg["status"] == "CREATE_IN_PROGRESS"
    got = lattice.get_resource_configuration(resourceConfigurationIdentifier=cfg["arn"])
    assert got["status"] == "ACTIVE"
    assert got["resourceConfigurationDefinition"] == {
        "dnsResource": {"domainName": "hello.internal.example", "ipAddressType": "IPV4"}
    }
    assert got["portRanges"] == ["8080"] and got["protocol"] == "TCP" and got["type"] == "SINGLE"
    ip_cfg = lattice.create_resource_configuration(
        name="by-ip",
        type="SINGLE",
        portRanges=["1-65535"],
        resourceGatewayIdentifier=provider.gateway["arn"],
        resourceConfigurationDefinition={"ipResource": {"ipAddress": "10.0.1.10"}},
    )
    arn_cfg = lattice.create_resource_configuration(
        name="by-arn",
        type="ARN",
        resourceGatewayIdentifier=provider.gateway["id"],
        resourceConfigurationDefinition={
            "arnResource": {"arn": f"arn:aws:rds:us-east-1:{provider.account}:db:orders"}
        },
    )
    group = lattice.create_resource_configuration(
        name="grp", type="GROUP", portRanges=["443"], resourceGatewayIdentifier=provider.gateway["id"]
    )
    child = lattice.create_resource_configuration(
        name="child",
        type="CHILD",
        resourceConfigurationGroupIdentifier=group["id"],
        resourceConfigurationDefinition={"dnsResource": {"domainName": "db.internal.example"}},
    )
    assert child["resourceGatewayId"] == provider.gateway["id"]
    assert child["resourceConfigurationGroupId"] == group["id"]
    listed = lattice.list_resource_configurations(resourceGatewayIdentifier=provider.gateway["id"])["items"]
    assert {c["id"] for c in listed} == {cfg["id"], ip_cfg["id"], arn_cfg["id"], group["id"], child["id"]}
    first = lattice.list_resource_configurations(maxResults=2)
    assert len(first["items"]) == 2 and first["nextToken"]
    rest = lattice.list_resource_configurations(maxResults=10, nextToken=first["nextToken"])
    assert len(rest["items"]) == 3 and "nextToken" not in rest
    with pytest.raises(ClientError) as exc:
        lattice.list_resource_configurations(nextToken="garbage")
    assert error_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        lattice.delete_resource_configuration(resourceConfigurationIdentifier=group["id"])
    assert error_of(exc) == ("ConflictException", 409)
    updated = lattice.update_resource_configuration(
        resourceConfigurationIdentifier=ip_cfg["id"], portRanges=["5432"]
    )
    assert updated["portRanges"] == ["5432"]
    lattice.delete_resource_configuration(resourceConfigurationIdentifier=ip_cfg["arn"])
    with pytest.raises(ClientError) as exc:
        lattice.get_resource_configuration(resourceConfigurationIdentifier=ip_cfg["id"])
    assert error_of(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        lattice.delete_resource_gateway(resourceGatewayIdentifier=provider.gateway["id"])
    assert error_of(exc) == ("ConflictException", 409)


# (a SINGLE without portRanges is valid: all TCP ports, as tests/fidelity checks)
BAD_CONFIGURATIONS = [
    {
        "type": "BOGUS",
        "portRanges": ["80"],
        "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.0.1"}},
    },
    {"type": "SINGLE", "portRanges": ["80"]},
    {
        "type": "SINGLE",
        "portRanges": ["0"],
        "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.0.1"}},
    },
    {
        "type": "SINGLE",
        "portRanges": ["70000"],
        "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.0.1"}},
    },
    {
        "type": "SINGLE",
        "portRanges": ["9-3"],
        "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.0.1"}},
    },
    {
        "type": "SINGLE",
        "portRanges": ["80"],
        "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.0.300"}},
    },
    {
        "type": "SINGLE",
        "portRanges": ["80"],
        "resourceConfigurationDefinition": {"dnsResource": {"domainName": "bad domain"}},
    },
    {
        "type": "ARN",
        "portRanges": ["80"],
        "resourceConfigurationDefinition": {
            "arnResource": {"arn": "arn:aws:rds:us-east-1:111111111111:db:x"}
        },
    },
    {
        "type": "SINGLE",
        "portRanges": ["80"],
        "resourceConfigurationDefinition": {
            "arnResource": {"arn": "arn:aws:rds:us-east-1:111111111111:db:x"}
        },
    },
    {
        "type": "GROUP",
        "portRanges": ["80"],
        "resourceConfigurationDefinition": {"ipResource": {"ipAddress": "10.0.0.1"}},
    },
]


def test_configuration_validation(aws_any):
    _account, lattice, _, _, gw = _gateway(aws_any)
    for kwargs in BAD_CONFIGURATIONS:
        with pytest.raises(ClientError) as exc:
            lattice.create_resource_configuration(
                name="bad-one", resourceGatewayIdentifier=gw["id"], **kwargs
            )
        assert error_of(exc) == ("ValidationException", 400), kwargs
    assert lattice.list_resource_configurations()["items"] == []  # nothing half-created


def test_configuration_unknown_gateway_and_names(aws_any):
    _account, lattice, _, _, gw = _gateway(aws_any)
    definition = {"ipResource": {"ipAddress": "10.0.0.1"}}
    with pytest.raises(ClientError) as exc:
        lattice.create_resource_configuration(
            name="cfg",
            type="SINGLE",
            portRanges=["80"],
            resourceGatewayIdentifier="rgw-0123456789abcdef0",
            resourceConfigurationDefinition=definition,
        )
    assert error_of(exc) == ("ResourceNotFoundException", 404)
    lattice.create_resource_configuration(
        name="cfg",
        type="SINGLE",
        portRanges=["80"],
        resourceGatewayIdentifier=gw["id"],
        resourceConfigurationDefinition=definition,
    )
    with pytest.raises(ClientError) as exc:
        lattice.create_resource_configuration(
            name="cfg",
            type="SINGLE",
            portRanges=["80"],
            resourceGatewayIdentifier=gw["id"],
            resourceConfigurationDefinition=definition,
        )
    assert error_of(exc) == ("ConflictException", 409)
    with pytest.raises(ClientError) as exc:
        lattice.create_resource_configuration(
            name="rcfg-x",
            type="SINGLE",
            portRanges=["80"],
            resourceGatewayIdentifier=gw["id"],
            resourceConfigurationDefinition=definition,
        )
    assert error_of(exc) == ("ValidationException", 400)


def test_client_token_idempotency(aws_any):
    _account, lattice, vpc_id, subnets, _ = _gateway(aws_any)
    first = lattice.create_resource_gateway(
        name="tok-gw", vpcIdentifier=vpc_id, subnetIds=subnets, clientToken="t-1"
    )
    again = lattice.create_resource_gateway(
        name="tok-gw", vpcIdentifier=vpc_id, subnetIds=subnets, clientToken="t-1"
    )
    assert again["id"] == first["id"]
    with pytest.raises(ClientError) as exc:
        lattice.create_resource_gateway(
            name="tok-gw2", vpcIdentifier=vpc_id, subnetIds=subnets, clientToken="t-1"
        )
    assert error_of(exc) == ("ConflictException", 409)


def test_tags(aws_any):
    _account, lattice, vpc_id, subnets, _ = _gateway(aws_any)
    gw = lattice.create_resource_gateway(
        name="tagged", vpcIdentifier=vpc_id, subnetIds=subnets, tags={"team": "a"}
    )
    assert lattice.list_tags_for_resource(resourceArn=gw["arn"])["tags"] == {"team": "a"}
    lattice.tag_resource(resourceArn=gw["arn"], tags={"env": "dev"})
    lattice.untag_resource(resourceArn=gw["arn"], tagKeys=["team"])
    assert lattice.list_tags_for_resource(resourceArn=gw["arn"])["tags"] == {"env": "dev"}
    with pytest.raises(ClientError) as exc:
        lattice.tag_resource(resourceArn=gw["arn"], tags={"aws:reserved": "x"})
    assert error_of(exc) == ("ValidationException", 400)


def test_shared_configuration_visible_to_consumer_only_after_accept(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    lattice = aws_any.session(consumer).client("vpc-lattice")
    with pytest.raises(ClientError) as exc:
        lattice.get_resource_configuration(resourceConfigurationIdentifier=provider.configuration["arn"])
    assert error_of(exc) == ("ResourceNotFoundException", 404)
    share_and_accept(aws_any, provider, consumer)
    got = lattice.get_resource_configuration(resourceConfigurationIdentifier=provider.configuration["arn"])
    assert got["id"] == provider.configuration["id"]
    assert lattice.list_resource_configurations()["items"] == []  # listing shows own configurations only
