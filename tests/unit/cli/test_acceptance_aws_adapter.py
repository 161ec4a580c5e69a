"""The acceptance run's AWS adapter against botocore's Stubber: deletes count "not found" as done and stop
on anything else, the VPC delete waits out DependencyViolation, the tag search follows every page."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from linkpilot_cli.adapters.acceptance_aws import Account, wait_for


class Session:
    """Stands in for a boto3 session: stubbed clients, made once each."""

    region_name = "us-east-1"

    def __init__(self) -> None:
        real = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
        self.clients: dict[str, Any] = {
            s: real.client(s)
            for s in ("sts", "ec2", "ssm", "resourcegroupstaggingapi", "ram", "cloudformation", "dynamodb")
        }
        self.stubs = {s: Stubber(c) for s, c in self.clients.items()}
        self.stubs["sts"].add_response(
            "get_caller_identity",
            {"Account": "222222222222", "Arn": "arn:aws:iam::222222222222:user/x", "UserId": "x"},
        )
        for stub in self.stubs.values():
            stub.activate()

    def client(self, service: str) -> Any:
        return self.clients[service]


def test_a_delete_of_something_already_gone_is_done_and_another_error_is_raised() -> None:
    session = Session()
    account = Account(session, "r1")
    ssm = session.stubs["ssm"]
    ssm.add_client_error("delete_parameter", "ParameterNotFound")
    ssm.add_client_error("delete_parameter", "AccessDeniedException")
    account.delete_parameter("/linkpilot-acceptance/r1/endpoint-vpc-id")
    with pytest.raises(ClientError):
        account.delete_parameter("/linkpilot-acceptance/r1/endpoint-vpc-id")
    ssm.assert_no_pending_responses()


def test_the_vpc_delete_waits_while_something_still_holds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    session = Session()
    account = Account(session, "r1")
    ec2 = session.stubs["ec2"]
    ec2.add_response("delete_subnet", {}, {"SubnetId": "subnet-a"})
    ec2.add_client_error("delete_vpc", "DependencyViolation", expected_params={"VpcId": "vpc-1"})
    ec2.add_client_error(
        "delete_subnet", "InvalidSubnetID.NotFound", expected_params={"SubnetId": "subnet-a"}
    )
    ec2.add_response("delete_vpc", {}, {"VpcId": "vpc-1"})
    slept: list[float] = []
    monkeypatch.setattr("linkpilot_cli.adapters.acceptance_shares.time.sleep", slept.append)
    account.delete_vpc("vpc-1", ["subnet-a"])
    assert slept == [30]
    ec2.assert_no_pending_responses()


def test_the_tag_search_follows_every_page() -> None:
    session = Session()
    account = Account(session, "r1")
    tagging = session.stubs["resourcegroupstaggingapi"]
    filters = {"TagFilters": [{"Key": "linkpilot:acceptance", "Values": ["r1"]}]}
    tagging.add_response(
        "get_resources",
        {
            "ResourceTagMappingList": [{"ResourceARN": "arn:aws:ec2:us-east-1:222222222222:vpc/vpc-1"}],
            "PaginationToken": "t",
        },
        filters,
    )
    tagging.add_response(
        "get_resources",
        {
            "ResourceTagMappingList": [{"ResourceARN": "arn:aws:ssm:us-east-1:222222222222:parameter/x"}],
            "PaginationToken": "",
        },
        {**filters, "PaginationToken": "t"},
    )
    assert account.tagged_left() == [
        "arn:aws:ec2:us-east-1:222222222222:vpc/vpc-1",
        "arn:aws:ssm:us-east-1:222222222222:parameter/x",
    ]


def test_a_wait_that_never_holds_names_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match="ALARM: not within 0 s"):
        wait_for("ALARM", lambda: False, timeout_s=0, sleep=lambda s: None)


def test_the_run_vpcs_go_in_zones_named_by_id_which_are_the_same_in_both_accounts() -> None:
    session = Session()
    account = Account(session, "r1")
    ec2 = session.stubs["ec2"]
    zones = [
        {"ZoneName": "us-east-1b", "ZoneId": "use1-az4"},
        {"ZoneName": "us-east-1a", "ZoneId": "use1-az2"},
    ]
    ec2.add_response(
        "describe_availability_zones",
        {"AvailabilityZones": zones},
        {
            "Filters": [
                {"Name": "zone-type", "Values": ["availability-zone"]},
                {"Name": "state", "Values": ["available"]},
            ]
        },
    )
    tags = [{"Key": "linkpilot:acceptance", "Value": "r1"}]
    ec2.add_response(
        "create_vpc",
        {"Vpc": {"VpcId": "vpc-1"}},
        {"CidrBlock": "10.81.0.0/16", "TagSpecifications": [{"ResourceType": "vpc", "Tags": tags}]},
    )
    for i, zone in enumerate(["use1-az2", "use1-az4"]):
        ec2.add_response(
            "create_subnet",
            {"Subnet": {"SubnetId": f"subnet-{i}"}},
            {
                "VpcId": "vpc-1",
                "CidrBlock": f"10.81.{i}.0/24",
                "AvailabilityZoneId": zone,
                "TagSpecifications": [{"ResourceType": "subnet", "Tags": tags}],
            },
        )
    ec2.add_response("describe_security_groups", {"SecurityGroups": [{"GroupId": "sg-1"}]})
    assert account.zone_ids() == ["use1-az2", "use1-az4"]
    assert account.make_vpc("10.81.0.0/16", ["use1-az2", "use1-az4"]) == (
        "vpc-1",
        ["subnet-0", "subnet-1"],
        "sg-1",
    )
    ec2.assert_no_pending_responses()


def test_the_invitations_read_are_the_run_share_s_on_every_page() -> None:
    session = Session()
    account = Account(session, "r1")
    ram = session.stubs["ram"]
    share = "arn:aws:ram:us-east-1:111111111111:resource-share/s1"
    ram.add_response(
        "get_resource_share_invitations",
        {"resourceShareInvitations": [{"status": "PENDING"}], "nextToken": "t"},
        {"resourceShareArns": [share]},
    )
    ram.add_response(
        "get_resource_share_invitations",
        {"resourceShareInvitations": [{"status": "ACCEPTED"}]},
        {"resourceShareArns": [share], "nextToken": "t"},
    )
    assert account.invitations(share) == ["PENDING", "ACCEPTED"]
    ram.assert_no_pending_responses()


def test_what_an_installation_already_has_is_found_in_any_vpc_on_every_page() -> None:
    session = Session()
    account = Account(session, "r1")
    ec2, tagging, ssm = (session.stubs[s] for s in ("ec2", "resourcegroupstaggingapi", "ssm"))
    managed = {"Filters": [{"Name": "tag:linkpilot:managed", "Values": ["true"]}]}
    ec2.add_response(
        "describe_vpc_endpoints",
        {"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "State": "Available"}], "NextToken": "t"},
        managed,
    )
    ec2.add_response(
        "describe_vpc_endpoints",
        {"VpcEndpoints": [{"VpcEndpointId": "vpce-2", "State": "Deleted"}]},
        {**managed, "NextToken": "t"},
    )
    association = "arn:aws:vpc-lattice:us-east-1:222222222222:servicenetworkvpcassociation/snva-1"
    tagging.add_response(
        "get_resources",
        {"ResourceTagMappingList": [{"ResourceARN": association}]},
        {
            "TagFilters": [{"Key": "linkpilot:managed", "Values": ["true"]}],
            "ResourceTypeFilters": ["vpc-lattice:servicenetworkvpcassociation"],
        },
    )
    ssm.add_response(
        "get_parameters_by_path",
        {"Parameters": [{"Name": "/linkpilot/endpoints/vpce-1/endpoint"}]},
        {"Path": "/linkpilot/endpoints", "Recursive": True},
    )
    assert account.linkpilot_already_here() == ["vpce-1", association, "/linkpilot/endpoints/vpce-1/endpoint"]
    for stub in (ec2, tagging, ssm):
        stub.assert_no_pending_responses()


def test_the_table_a_stack_keeps_is_deleted_and_nothing_when_the_stack_made_none() -> None:
    session = Session()
    account = Account(session, "r1")
    cfn, dynamodb = session.stubs["cloudformation"], session.stubs["dynamodb"]
    asked = {"StackName": "s", "LogicalResourceId": "AuditTable"}
    detail = {
        "LogicalResourceId": "AuditTable",
        "ResourceType": "AWS::DynamoDB::Table",
        "LastUpdatedTimestamp": "2026-12-05T04:00:00Z",
        "ResourceStatus": "DELETE_SKIPPED",
        "PhysicalResourceId": "s-AuditTable-1ABC",
    }
    cfn.add_response("describe_stack_resource", {"StackResourceDetail": detail}, asked)
    dynamodb.add_response("delete_table", {}, {"TableName": "s-AuditTable-1ABC"})
    cfn.add_client_error("describe_stack_resource", "ValidationError", expected_params=asked)
    account.delete_stack_table("s", "AuditTable")  # kept by a rolled-back create: deleted
    account.delete_stack_table("s", "AuditTable")  # no such stack (or not in it): nothing to do
    cfn.assert_no_pending_responses()
    dynamodb.assert_no_pending_responses()


def test_a_vpc_made_half_is_deleted_before_the_error_goes_on() -> None:
    # the teardown learns of a VPC only once make_vpc returns: a failure in between must not leave it
    session = Session()
    account = Account(session, "r1")
    ec2 = session.stubs["ec2"]
    ec2.add_response("create_vpc", {"Vpc": {"VpcId": "vpc-1"}})
    ec2.add_response("create_subnet", {"Subnet": {"SubnetId": "subnet-0"}})
    ec2.add_client_error("create_subnet", "InsufficientFreeAddressesInSubnet")
    ec2.add_response("delete_subnet", {}, {"SubnetId": "subnet-0"})
    ec2.add_response("delete_vpc", {}, {"VpcId": "vpc-1"})
    with pytest.raises(ClientError, match="InsufficientFreeAddressesInSubnet"):
        account.make_vpc("10.81.0.0/16", ["use1-az2", "use1-az4"])
    ec2.assert_no_pending_responses()


def test_the_baseline_parameters_are_tagged_as_they_are_made() -> None:
    session = Session()
    account = Account(session, "r1")
    session.stubs["ssm"].add_response(
        "put_parameter",
        {"Version": 1},
        {
            "Name": "/linkpilot-acceptance/r1/endpoint-vpc-id",
            "Value": "vpc-1",
            "Type": "String",
            "Tags": [{"Key": "linkpilot:acceptance", "Value": "r1"}],
        },
    )
    account.put_parameter("/linkpilot-acceptance/r1/endpoint-vpc-id", "vpc-1")
    session.stubs["ssm"].assert_no_pending_responses()


def test_the_directory_deleted_is_the_run_s_endpoints_and_no_others() -> None:
    session = Session()
    account = Account(session, "r1")
    ec2, ssm = session.stubs["ec2"], session.stubs["ssm"]
    ec2.add_response(
        "describe_vpc_endpoints",
        {"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "State": "Available"}]},
        {
            "Filters": [
                {"Name": "vpc-id", "Values": ["vpc-run"]},
                {"Name": "tag:linkpilot:managed", "Values": ["true"]},
            ]
        },
    )
    account.managed_endpoints("vpc-run")
    ssm.add_response(
        "get_parameters_by_path",
        {"Parameters": [{"Name": "/linkpilot/endpoints/vpce-1/endpoint"}]},
        {"Path": "/linkpilot/endpoints/vpce-1", "Recursive": True},
    )
    ssm.add_response("delete_parameter", {}, {"Name": "/linkpilot/endpoints/vpce-1/endpoint"})
    account.delete_directory()  # only what lies under the one endpoint the run saw
    ssm.assert_no_pending_responses()
