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
            s: real.client(s) for s in ("sts", "ec2", "ssm", "resourcegroupstaggingapi")
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
    monkeypatch.setattr("linkpilot_cli.adapters.acceptance_aws.time.sleep", slept.append)
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
