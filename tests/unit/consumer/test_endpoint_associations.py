"""Issue 12, defect 1: a Resource endpoint's DNS names come from DescribeVpcEndpointAssociations.

AWS returns no ``DnsEntries`` for a ``Resource`` endpoint (terraform-provider-aws acceptance tests assert
``dns_entry.# = 0``; the botocore model documents ``DnsEntries`` as "(Interface endpoint)"). The rows below
have the shape of the AWS CLI example (awscli ``examples/ec2/describe-vpc-endpoint-associations.rst``);
botocore's Stubber checks every request and response against the model.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from consumer_fakes import NOW, TRUSTED, VPC, make_policy

from linkpilot.aws.ec2_endpoints import ASSOCIATIONS_BATCH, Ec2Endpoints
from linkpilot.consumer.models import ObservedState, ShareResource
from linkpilot.consumer.planning import compile_rules, plan_actions

REGION = "us-east-2"
GROUP = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:resourceconfiguration/rcfg-0a1b2c3d4e5f60001"
CHILD_A = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:resourceconfiguration/rcfg-0a1b2c3d4e5f6000a"
CHILD_B = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:resourceconfiguration/rcfg-0a1b2c3d4e5f6000b"
SINGLE = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:resourceconfiguration/rcfg-07129f3acded87625"
SHARE = f"arn:aws:ram:{REGION}:{TRUSTED}:resource-share/share-1"
TAG_FILTER = {"Filters": [{"Name": "tag:linkpilot:managed", "Values": ["true"]}], "MaxResults": 1000}


def endpoint(eid: str, config: str, state: str = "Available") -> dict:
    """A Resource endpoint as DescribeVpcEndpoints returns it on AWS: no DnsEntries."""
    return {
        "VpcEndpointId": eid,
        "VpcEndpointType": "Resource",
        "VpcId": VPC,
        "State": state,
        "ResourceConfigurationArn": config,
        "Tags": [
            {"Key": "linkpilot:managed", "Value": "true"},
            {"Key": "linkpilot:resource-configuration-arn", "Value": config},
        ],
    }


def row(eid: str, n: int, arn: str, group: str = "", accessibility: str = "Accessible") -> dict:
    rcfg = arn.rsplit("/", 1)[-1]
    item = {
        "Id": f"vpce-rsc-asc-0a810ca6ac8866bf{n}",
        "VpcEndpointId": eid,
        "AssociatedResourceAccessibility": accessibility,
        "DnsEntry": {
            "DnsName": f"{eid}.{rcfg}.4232ccc.vpc-lattice-rsc.{REGION}.on.aws",
            "HostedZoneId": "Z03265862FOUNWMZOKUF4",
        },
        "AssociatedResourceArn": arn,
    }
    if group:
        item["ResourceConfigurationGroupArn"] = group
    return item


def read(endpoints: list[dict], rows: list[dict], ids: list[str]):
    client = boto3.client("ec2", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": endpoints}, TAG_FILTER)
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": rows},
        {"VpcEndpointIds": ids, "MaxResults": 100},
    )
    with stub:
        found = Ec2Endpoints(client).managed_endpoints()
    stub.assert_no_pending_responses()
    return found


def test_probe_targets_come_from_associations_when_the_endpoint_has_no_dns_entries():
    """Fails on the code that read DnsEntries[0]: on AWS that gave no probe target at all."""
    eid = "vpce-019b90d6f16d4f958"
    eps = read([endpoint(eid, SINGLE)], [row(eid, 0, SINGLE)], [eid])
    policy = make_policy()
    state = ObservedState(
        shared_resources=(ShareResource(SINGLE, "vpc-lattice:ResourceConfiguration", SHARE, "AVAILABLE"),),
        endpoints=tuple(eps),
    )
    plan = plan_actions(compile_rules(policy), state, NOW)
    (target,) = plan.probe_targets
    assert target.endpoint_id == eid
    assert target.dns_name == f"{eid}.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.{REGION}.on.aws"
    assert target.resource_configuration_arn == SINGLE and target.child_arn == SINGLE
    assert plan.actions == ()


def test_a_group_configuration_is_probed_per_child():
    eid = "vpce-0aaaaaaaaaaaaaaa1"
    rows = [row(eid, 1, CHILD_A, GROUP), row(eid, 2, CHILD_B, GROUP)]
    eps = read([endpoint(eid, GROUP)], rows, [eid])
    (ep,) = eps
    assert [a.group_arn for a in ep.associations] == [GROUP, GROUP]
    state = ObservedState(
        shared_resources=(ShareResource(GROUP, "vpc-lattice:ResourceConfiguration", SHARE, "AVAILABLE"),),
        endpoints=tuple(eps),
    )
    plan = plan_actions(compile_rules(make_policy()), state, NOW)
    assert [(t.endpoint_id, t.child_arn) for t in plan.probe_targets] == [
        (eid, CHILD_A),
        (eid, CHILD_B),
    ]
    assert len({t.dns_name for t in plan.probe_targets}) == 2
    assert all(t.resource_configuration_arn == GROUP for t in plan.probe_targets)
    assert plan.probe_targets[0].to_json()["child_arn"] == CHILD_A


def test_an_inaccessible_association_is_reported_not_probed():
    eid = "vpce-0aaaaaaaaaaaaaaa1"
    rows = [row(eid, 1, CHILD_A, GROUP), row(eid, 2, CHILD_B, GROUP, accessibility="Inaccessible")]
    rows[1].update(FailureCode="ResourceConfigurationNotAvailable", FailureReason="not available")
    eps = read([endpoint(eid, GROUP)], rows, [eid])
    state = ObservedState(
        shared_resources=(ShareResource(GROUP, "vpc-lattice:ResourceConfiguration", SHARE, "AVAILABLE"),),
        endpoints=tuple(eps),
    )
    plan = plan_actions(compile_rules(make_policy()), state, NOW)
    assert [t.child_arn for t in plan.probe_targets] == [CHILD_A]
    (unprobed,) = plan.unprobed
    assert unprobed.associated_resource_arn == CHILD_B and "inaccessible" in unprobed.reason
    assert "ResourceConfigurationNotAvailable" in unprobed.reason


def test_associations_are_read_for_live_endpoints_only():
    live, gone = "vpce-0aaaaaaaaaaaaaaa1", "vpce-0aaaaaaaaaaaaaaa2"
    eps = read([endpoint(live, SINGLE, "Pending"), endpoint(gone, SINGLE, "Deleting")], [], [live])
    assert [e.associations for e in eps] == [(), ()]


def test_associations_are_batched_and_paginated():
    client = boto3.client("ec2", region_name=REGION)
    stub = Stubber(client)
    ids = [f"vpce-{n:017x}" for n in range(ASSOCIATIONS_BATCH + 3)]
    first, second = ids[:ASSOCIATIONS_BATCH], ids[ASSOCIATIONS_BATCH:]
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": [row(first[0], 0, SINGLE)], "NextToken": "t1"},
        {"VpcEndpointIds": first, "MaxResults": 100},
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": [row(first[1], 1, SINGLE)]},
        {"VpcEndpointIds": first, "MaxResults": 100, "NextToken": "t1"},
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": [row(second[0], 2, SINGLE)]},
        {"VpcEndpointIds": second, "MaxResults": 100},
    )
    with stub:
        rows = Ec2Endpoints(client).associations(list(reversed(ids)))
    stub.assert_no_pending_responses()
    assert sorted(rows) == sorted([first[0], first[1], second[0]])


def test_an_endpoint_deleted_meanwhile_does_not_fail_its_batch():
    client = boto3.client("ec2", region_name=REGION)
    stub = Stubber(client)
    a, b = "vpce-0aaaaaaaaaaaaaaa1", "vpce-0aaaaaaaaaaaaaaa2"
    stub.add_client_error(
        "describe_vpc_endpoint_associations",
        "InvalidVpcEndpointId.NotFound",
        expected_params={"VpcEndpointIds": [a, b], "MaxResults": 100},
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": [row(a, 0, SINGLE)]},
        {"VpcEndpointIds": [a], "MaxResults": 100},
    )
    stub.add_client_error(
        "describe_vpc_endpoint_associations",
        "InvalidVpcEndpointId.NotFound",
        expected_params={"VpcEndpointIds": [b], "MaxResults": 100},
    )
    with stub:
        rows = Ec2Endpoints(client).associations([a, b])
    assert list(rows) == [a]


def test_throttling_while_reading_associations_propagates_as_transient():
    from linkpilot.errors import Transient

    client = boto3.client("ec2", region_name=REGION)
    stub = Stubber(client)
    stub.add_client_error("describe_vpc_endpoint_associations", "RequestLimitExceeded")
    with stub, pytest.raises(Transient):
        Ec2Endpoints(client).associations(["vpce-0aaaaaaaaaaaaaaa1"])


def test_one_endpoint_read_gives_the_managed_set_and_the_unmanaged_ones_in_the_policy_vpc():
    """The reconcile's read: ONE DescribeVpcEndpoints (type Resource, every VPC). The managed endpoints are
    its tagged subset, in any VPC (one left in an earlier VPC is still ours to replace), with their
    association rows; the unmanaged ones are the untagged rest in the policy VPC, with no rows read."""
    ours, elsewhere, untagged, untagged_elsewhere = (f"vpce-0aaaaaaaaaaaaaa{n}" for n in "1234")
    other_vpc = "vpc-0ffffffffffffffff"
    items = [
        endpoint(ours, SINGLE),
        {**endpoint(elsewhere, GROUP), "VpcId": other_vpc},
        {**endpoint(untagged, CHILD_A), "Tags": []},
        {**endpoint(untagged_elsewhere, CHILD_B), "Tags": [], "VpcId": other_vpc},
    ]
    client = boto3.client("ec2", region_name=REGION)
    stub = Stubber(client)
    type_filter = [{"Name": "vpc-endpoint-type", "Values": ["Resource", "ServiceNetwork"]}]
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": items}, {"Filters": type_filter, "MaxResults": 1000}
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": [row(ours, 0, SINGLE), row(elsewhere, 1, CHILD_A, GROUP)]},
        {"VpcEndpointIds": [ours, elsewhere], "MaxResults": 100},
    )
    with stub:
        managed, unmanaged = Ec2Endpoints(client).observed_endpoints(VPC)
    stub.assert_no_pending_responses()
    assert [(e.endpoint_id, len(e.associations)) for e in managed] == [(ours, 1), (elsewhere, 1)]
    assert [(e.endpoint_id, e.associations) for e in unmanaged] == [(untagged, ())]
