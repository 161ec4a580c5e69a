"""Small builders for worlds in the local AWS, shared by tests, benchmarks and the demo."""

from __future__ import annotations

from typing import Any


def make_vpc(
    session: Any, cidr: str, zones: tuple[str, ...] = ("us-east-1a", "us-east-1b")
) -> tuple[str, list[str]]:
    """A VPC (``cidr``, a /16) with one /24 subnet per zone in ``session``'s account: (vpc, subnets)."""
    ec2 = session.client("ec2")
    vpc_id: str = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.rsplit(".", 2)[0]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones, start=1)
    ]
    return vpc_id, subnets


def make_audit_table(dynamodb: Any, name: str) -> str:
    """An audit table with the templates' key schema (``pk``/``sk`` strings), on demand. Returns its name."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name
