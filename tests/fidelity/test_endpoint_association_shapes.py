"""The EC2 adapter reads the recorded real shapes right: a Resource endpoint's DNS names come from its
association rows (the evidence fixtures ``ec2.DescribeVpcEndpointAssociations*``), never from ``DnsEntries``,
which AWS does not return for a Resource endpoint (``ec2.DescribeVpcEndpoints.resource-endpoint``).

botocore's Stubber validates each recorded response against the installed service model before the adapter
sees it; the planner then makes one probe target per accessible row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from linkpilot.aws.ec2_endpoints import Ec2Endpoints
from linkpilot.consumer.models import CONFIGURATION_TAG, MANAGED_TAG, ObservedState, ShareResource
from linkpilot.consumer.planning import compile_rules, plan_actions
from linkpilot.consumer.policy import parse_policy

from .evidence import fixture

NOW = datetime(2026, 1, 1, tzinfo=UTC)
VPC = "vpc-0123456789abcdef0"


def _read(association_fixture: str) -> tuple[list[Any], dict[str, Any]]:
    """The adapter's endpoints for the recorded Resource endpoint and the recorded association rows."""
    rows = fixture(association_fixture).data["response"]
    (row,) = rows["VpcEndpointAssociations"]
    (item,) = fixture("ec2.DescribeVpcEndpoints.resource-endpoint").data["response"]["VpcEndpoints"]
    config = row.get("ResourceConfigurationGroupArn") or row["AssociatedResourceArn"]
    # the fixture records only what terraform asserted; the id, state and tags are ours to set
    endpoint = {
        **item,
        "VpcEndpointId": row["VpcEndpointId"],
        "VpcId": VPC,
        "State": "Available",
        "ResourceConfigurationArn": config,
        "Tags": [{"Key": MANAGED_TAG, "Value": "true"}, {"Key": CONFIGURATION_TAG, "Value": config}],
    }
    assert "DnsEntries" not in endpoint
    client = boto3.client("ec2", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [endpoint]})
    stub.add_response("describe_vpc_endpoint_associations", rows)
    with stub:
        endpoints = Ec2Endpoints(client).managed_endpoints()
    stub.assert_no_pending_responses()
    return endpoints, row


def _targets(endpoints: list[Any], config: str, account: str) -> Any:
    endpoint = {"vpc_id": VPC, "subnet_ids": ["subnet-0123456789abcdef0"]}
    policy = parse_policy(json.dumps({"trusted_accounts": [account], "endpoint": endpoint}))
    share = f"arn:aws:ram:us-east-1:{account}:resource-share/s"
    shared = (ShareResource(config, "vpc-lattice:ResourceConfiguration", share, "AVAILABLE"),)
    return plan_actions(
        compile_rules(policy), ObservedState(shared_resources=shared, endpoints=tuple(endpoints)), NOW
    )


def test_the_aws_cli_example_row_gives_the_probe_target():
    endpoints, row = _read("ec2.DescribeVpcEndpointAssociations")
    (endpoint,) = endpoints
    (association,) = endpoint.associations
    assert association.association_id == row["Id"]
    assert association.accessible  # "Accessible": compared case-insensitively
    assert association.dns_name == row["DnsEntry"]["DnsName"]
    assert association.associated_resource_arn == row["AssociatedResourceArn"] and association.group_arn == ""
    config = row["AssociatedResourceArn"]
    plan = _targets(endpoints, config, config.split(":")[4])
    (target,) = plan.probe_targets
    assert (target.endpoint_id, target.dns_name) == (row["VpcEndpointId"], row["DnsEntry"]["DnsName"])
    assert "child_arn" not in target.to_json()


def test_the_private_dns_group_child_row_is_read_with_both_names_and_its_group():
    endpoints, row = _read("ec2.DescribeVpcEndpointAssociations.private-dns-group-child")
    (association,) = endpoints[0].associations
    assert association.dns_name == row["DnsEntry"]["DnsName"]
    assert association.private_dns_name == row["PrivateDnsEntry"]["DnsName"]
    assert association.group_arn == row["ResourceConfigurationGroupArn"]
    group = row["ResourceConfigurationGroupArn"]
    plan = _targets(endpoints, group, group.split(":")[4])
    (target,) = plan.probe_targets
    # the probe uses the endpoint's own name (DnsEntry), labelled with the child it reaches
    assert target.dns_name == row["DnsEntry"]["DnsName"]
    assert target.resource_configuration_arn == group
    assert target.to_json()["child_arn"] == row["AssociatedResourceArn"]
