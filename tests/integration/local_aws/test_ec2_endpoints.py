"""EC2 resource endpoints through boto3: validation, idempotency, filters, delete, associations."""

from __future__ import annotations

import socket

import pytest
from botocore.exceptions import ClientError

from .conftest import (
    association_dns_name,
    error_of,
    http_get,
    make_provider,
    make_vpc,
    new_account,
    share_and_accept,
)


@pytest.fixture
def world(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = share_and_accept(aws_any, provider, consumer)
    session = aws_any.session(consumer)
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    return aws_any, provider, consumer, share, session.client("ec2"), vpc_id, subnets


def _create(ec2, vpc_id, subnets, cfg_arn, **kwargs):
    return ec2.create_vpc_endpoint(
        VpcEndpointType="Resource",
        VpcId=vpc_id,
        SubnetIds=subnets,
        ResourceConfigurationArn=cfg_arn,
        PrivateDnsEnabled=kwargs.pop("PrivateDnsEnabled", False),
        **kwargs,
    )


def test_create_validation_errors_create_nothing(world):
    aws, provider, consumer, _, ec2, vpc_id, subnets = world
    cfg = provider.configuration["arn"]
    other_vpc, other_subnets = make_vpc(aws.session(consumer), "10.2.0.0/16")
    other_sg = ec2.create_security_group(GroupName="x", Description="x", VpcId=other_vpc)["GroupId"]
    stranger_cfg = make_provider(aws).configuration["arn"]  # exists, but not shared with the consumer
    cases = [
        ({"VpcId": "vpc-0123456789abcdef0"}, "InvalidVpcID.NotFound"),
        ({"SubnetIds": ["subnet-0123456789abcdef0"]}, "InvalidSubnetID.NotFound"),
        ({"SubnetIds": other_subnets}, "InvalidParameter"),
        ({"SecurityGroupIds": ["sg-0123456789abcdef0"]}, "InvalidGroup.NotFound"),
        ({"SecurityGroupIds": [other_sg]}, "InvalidParameter"),
        ({"ResourceConfigurationArn": stranger_cfg}, "InvalidParameter"),
        ({"ResourceConfigurationArn": cfg[:-17] + "0123456789abcdef0"}, "InvalidParameter"),
        ({"ResourceConfigurationArn": "arn:aws:s3:::bucket"}, "InvalidParameterValue"),
        ({"ServiceName": "com.amazonaws.us-east-1.s3"}, "InvalidParameterCombination"),
        ({"SubnetIds": [subnets[0], subnets[0]]}, "DuplicateSubnetsInSameZone"),
        ({"DryRun": True}, "DryRunOperation"),
    ]
    for override, expected in cases:
        kwargs = {"VpcId": vpc_id, "SubnetIds": subnets, "ResourceConfigurationArn": cfg, **override}
        with pytest.raises(ClientError) as exc:
            ec2.create_vpc_endpoint(VpcEndpointType="Resource", **kwargs)
        assert error_of(exc)[0] == expected, override
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc_endpoint(VpcEndpointType="Resource", VpcId=vpc_id, SubnetIds=subnets)
    assert error_of(exc)[0] == "MissingParameter"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NetworkInterfaces"
    ]
    assert enis == []


def test_zone_overlap_with_gateway_is_required(world):
    aws, provider, consumer, _, ec2, _, _ = world
    vpc_id, subnets = make_vpc(aws.session(consumer), "10.3.0.0/16", zones=("us-east-1c",))
    with pytest.raises(ClientError) as exc:
        _create(ec2, vpc_id, subnets, provider.configuration["arn"])
    assert error_of(exc) == ("InvalidParameter", 400)


def test_client_token_idempotency(world):
    _, provider, _, _, ec2, vpc_id, subnets = world
    cfg = provider.configuration["arn"]
    first = _create(ec2, vpc_id, subnets, cfg, ClientToken="ep-1")["VpcEndpoint"]
    again = _create(ec2, vpc_id, subnets, cfg, ClientToken="ep-1")
    assert again["VpcEndpoint"]["VpcEndpointId"] == first["VpcEndpointId"]
    assert again["ClientToken"] == "ep-1"
    with pytest.raises(ClientError) as exc:
        _create(ec2, vpc_id, subnets[:1], cfg, ClientToken="ep-1")
    assert error_of(exc) == ("IdempotentParameterMismatch", 400)
    assert len(ec2.describe_vpc_endpoints()["VpcEndpoints"]) == 1


def test_describe_filters_and_states(world):
    aws, provider, _, _, ec2, vpc_id, subnets = world
    cfg = provider.configuration["arn"]
    tags = [{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "linkpilot:managed", "Value": "true"}]}]
    managed = _create(ec2, vpc_id, subnets, cfg, TagSpecifications=tags)["VpcEndpoint"]
    other = _create(ec2, vpc_id, subnets[:1], cfg)["VpcEndpoint"]
    # printed as AWS CLI example 4 of create-vpc-endpoint prints a Resource endpoint's create
    assert (managed["State"], managed["IpAddressType"]) == ("Pending", "IPV4")
    assert managed["VpcEndpointType"] == "Resource"
    assert not managed.get("NetworkInterfaceIds") and not managed.get("DnsEntries")  # as AWS answers a create
    described = ec2.describe_vpc_endpoints(VpcEndpointIds=[managed["VpcEndpointId"]])["VpcEndpoints"][0]
    assert len(described["NetworkInterfaceIds"]) == 2 and not described.get("DnsEntries")
    entry = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[managed["VpcEndpointId"]])[
        "VpcEndpointAssociations"
    ][0]["DnsEntry"]
    assert entry["DnsName"].startswith(f"{managed['VpcEndpointId']}.{provider.configuration['id']}.")
    assert entry["DnsName"].endswith(".vpc-lattice-rsc.us-east-1.on.aws") and entry[
        "HostedZoneId"
    ].startswith("Z")

    def ids(filters):
        return sorted(e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"])

    assert ids([{"Name": "tag:linkpilot:managed", "Values": ["true"]}]) == [managed["VpcEndpointId"]]
    assert ids([{"Name": "vpc-endpoint-type", "Values": ["Resource"]}]) == sorted(
        [managed["VpcEndpointId"], other["VpcEndpointId"]]
    )
    assert ids([{"Name": "vpc-endpoint-type", "Values": ["Interface"]}]) == []
    # the filter takes the documented lower-case values (botocore model, DescribeVpcEndpoints Filters)
    assert len(ids([{"Name": "vpc-endpoint-state", "Values": ["pending"]}])) == 2
    aws.clock.advance(seconds=1)
    assert ids([{"Name": "vpc-endpoint-state", "Values": ["pending"]}]) == []
    assert len(ids([{"Name": "vpc-endpoint-state", "Values": ["available"]}])) == 2
    got = ec2.describe_vpc_endpoints(VpcEndpointIds=[managed["VpcEndpointId"]])["VpcEndpoints"][0]
    assert got["ResourceConfigurationArn"] == cfg and "PolicyDocument" not in got and "ServiceName" not in got
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoints(VpcEndpointIds=["vpce-0123456789abcdef0"])
    assert error_of(exc)[0] == "InvalidVpcEndpointId.NotFound"
    ec2.create_tags(Resources=[other["VpcEndpointId"]], Tags=[{"Key": "linkpilot:managed", "Value": "true"}])
    assert len(ids([{"Name": "tag:linkpilot:managed", "Values": ["true"]}])) == 2


def test_delete_reports_unsuccessful_and_stops_traffic(world, target):
    aws, provider, _, _, ec2, vpc_id, subnets = world
    endpoint = _create(ec2, vpc_id, subnets, provider.configuration["arn"])["VpcEndpoint"]
    aws.clock.advance(seconds=1)
    aws.map_target("hello.internal.example", 8080, ("127.0.0.1", target.port))
    name = association_dns_name(ec2, endpoint["VpcEndpointId"])
    ip = aws.resolve(name)
    assert http_get(ip, 8080, name).endswith(b"Hello, World!")
    lattice = aws.session(provider.account).client("vpc-lattice")
    assoc = lattice.list_resource_endpoint_associations(
        resourceConfigurationIdentifier=provider.configuration["id"]
    )
    assert [a["vpcEndpointId"] for a in assoc["items"]] == [endpoint["VpcEndpointId"]]
    out = ec2.delete_vpc_endpoints(
        VpcEndpointIds=[endpoint["VpcEndpointId"], "vpce-0123456789abcdef0", "nope"]
    )
    assert {u["ResourceId"]: u["Error"]["Code"] for u in out["Unsuccessful"]} == {
        "vpce-0123456789abcdef0": "InvalidVpcEndpoint.NotFound",
        "nope": "InvalidVpcEndpointId.Malformed",
    }
    # the botocore model's State enum (UNVERIFIED how AWS prints a deleting Resource endpoint)
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"][0]["State"] == "Deleting"
    with pytest.raises(socket.gaierror):
        aws.resolve(name)
    with pytest.raises(OSError):
        http_get(ip, 8080, name, timeout=1)
    aws.clock.advance(seconds=1)
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    assert (
        lattice.list_resource_endpoint_associations(
            resourceConfigurationIdentifier=provider.configuration["id"]
        )["items"]
        == []
    )
    again = ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    assert again["Unsuccessful"][0]["Error"]["Code"] == "InvalidVpcEndpoint.NotFound"


def test_associations_private_dns_and_modify(world):
    aws, provider, consumer, _, ec2, vpc_id, subnets = world
    endpoint = _create(ec2, vpc_id, subnets, provider.configuration["arn"], PrivateDnsEnabled=True)[
        "VpcEndpoint"
    ]
    aws.clock.advance(seconds=1)
    rows = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint["VpcEndpointId"]])[
        "VpcEndpointAssociations"
    ]
    assert len(rows) == 1
    row = rows[0]
    assert row["AssociatedResourceArn"] == provider.configuration["arn"]
    assert row["AssociatedResourceAccessibility"] == "Accessible"
    assert row["DnsEntry"]["DnsName"].startswith(
        f"{endpoint['VpcEndpointId']}.{provider.configuration['id']}."
    )
    assert row["PrivateDnsEntry"]["DnsName"] == "hello.internal.example"
    assert aws.resolve("hello.internal.example") == aws.resolve(row["DnsEntry"]["DnsName"])
    filtered = ec2.describe_vpc_endpoint_associations(
        Filters=[{"Name": "associated-resource-accessibility", "Values": ["Inaccessible"]}]
    )
    assert filtered["VpcEndpointAssociations"] == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoint_associations(VpcEndpointIds=["vpce-0123456789abcdef0"])
    assert error_of(exc)[0] == "InvalidVpcEndpointId.NotFound"
    sg = ec2.create_security_group(GroupName="ep", Description="ep", VpcId=vpc_id)["GroupId"]
    assert ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], AddSecurityGroupIds=[sg])[
        "Return"
    ]
    groups = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])["VpcEndpoints"][0][
        "Groups"
    ]
    assert sg in [g["GroupId"] for g in groups]
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], RemoveSubnetIds=[subnets[0]])
    assert error_of(exc)[0] == "InvalidParameter"
    lattice = aws.session(provider.account).client("vpc-lattice")
    by_owner = lattice.list_resource_endpoint_associations(
        resourceConfigurationIdentifier=provider.configuration["arn"], vpcEndpointOwner=consumer
    )["items"]
    assert [(a["vpcEndpointOwner"], a["resourceConfigurationName"]) for a in by_owner] == [
        (consumer, "hello")
    ]
    with pytest.raises(ClientError) as exc:
        aws.session(consumer).client("vpc-lattice").list_resource_endpoint_associations(
            resourceConfigurationIdentifier=provider.configuration["arn"]
        )
    assert error_of(exc) == ("AccessDeniedException", 403)


def test_owner_can_use_its_own_configuration_from_another_vpc(aws_any):
    provider = make_provider(aws_any)
    session = aws_any.session(provider.account)
    vpc_id, subnets = make_vpc(session, "10.5.0.0/16")
    ec2 = session.client("ec2")
    endpoint = _create(ec2, vpc_id, subnets, provider.configuration["arn"])["VpcEndpoint"]
    assert endpoint["OwnerId"] == provider.account
    with pytest.raises(ClientError) as exc:
        _create(ec2, provider.vpc_id, provider.subnet_ids, provider.configuration["arn"])
    assert error_of(exc)[0] == "InvalidParameter"  # the gateway's own VPC


def test_endpoint_tags_read_by_id_match_moto():
    """ResourceEndpoint.get_tags reads the endpoint's tags by id instead of moto's scan of every tag: the
    same rows as moto's get_tags, for each of several endpoints, and nothing of another resource."""
    from linkpilot_local import LocalAws
    from linkpilot_local.moto_compat import TaggedEC2Resource

    with LocalAws(region="us-east-1") as aws:
        provider = make_provider(aws)
        consumer = new_account()
        share_and_accept(aws, provider, consumer)
        session = aws.session(consumer)
        vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
        ec2 = session.client("ec2")
        for n in range(3):
            spec = [
                {
                    "ResourceType": "vpc-endpoint",
                    "Tags": [{"Key": "n", "Value": str(n)}, {"Key": "k", "Value": "v"}],
                }
            ]
            _create(ec2, vpc_id, subnets, provider.configuration["arn"], TagSpecifications=spec)
        endpoints = list(aws.emulation.endpoints.all())
        assert len(endpoints) == 3
        for endpoint in endpoints:
            rows = endpoint.get_tags()
            assert rows == TaggedEC2Resource.get_tags(endpoint)
            assert {r["key"]: r["value"] for r in rows}["k"] == "v"
            assert {r["resource_id"] for r in rows} == {endpoint.id}
        described = ec2.describe_vpc_endpoints()["VpcEndpoints"]
        assert sorted({t["Key"]: t["Value"] for t in e["Tags"]}["n"] for e in described) == ["0", "1", "2"]
