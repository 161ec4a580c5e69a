"""Every adapter list read follows all pages and stops on a repeated token instead of looping forever.

Five reads use botocore's paginators (the service models declare one for each: ``paginators-1.json``), whose
``PageIterator`` raises ``PaginationError`` when "The same next token was received twice" (botocore
``paginate.py``); ``ListPendingInvitationResources`` and ``DescribeVpcEndpointAssociations`` have no
paginator, so their loops carry the same guard. The adapters turn that error into ``Transient`` like every
unexpected botocore error. Every request and response goes through botocore's ``Stubber``, which checks
them against the service model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot.aws.ec2_endpoints import Ec2Endpoints
from linkpilot.aws.probe_schedules import ProbeSchedules
from linkpilot.aws.ram_consumer import RamConsumer
from linkpilot.aws.ram_provider import RamShareAdmin
from linkpilot.consumer.models import Invitation
from linkpilot.errors import Transient

SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/share-1"
INV = "arn:aws:ram:us-east-1:111111111111:resource-share-invitation/inv-1"
PENDING_INVITATION = Invitation(
    arn=INV, share_arn=SHARE, share_name="s", sender_account_id="111111111111", status="PENDING"
)
CFG = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0123456789abcdef0"
ENDPOINT = "vpce-0123456789abcdef0"
# an available managed Resource endpoint, as DescribeVpcEndpoints lists it (no DnsEntries for this type)
LIVE_ENDPOINT = {
    "VpcEndpointId": ENDPOINT,
    "VpcEndpointType": "Resource",
    "VpcId": "vpc-1",
    "State": "Available",
    "ResourceConfigurationArn": CFG,
    "Tags": [{"Key": "linkpilot:managed", "Value": "true"}],
}
# one of its DescribeVpcEndpointAssociations rows (the AWS CLI example's shape)
ROW = {
    "Id": "vpce-rsc-asc-0a810ca6ac8866bf9",
    "VpcEndpointId": ENDPOINT,
    "AssociatedResourceAccessibility": "Accessible",
    "DnsEntry": {
        "DnsName": f"{ENDPOINT}.rcfg-0123456789abcdef0.4232ccc.vpc-lattice-rsc.us-east-1.on.aws",
        "HostedZoneId": "Z03265862FOUNWMZOKUF4",
    },
    "AssociatedResourceArn": CFG,
}


def _client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")


def _schedules(client: Any) -> ProbeSchedules:
    return ProbeSchedules(
        client,
        group="g",
        function_arn="arn:aws:lambda:us-east-1:222222222222:function:probe",
        role_arn="arn:aws:iam::222222222222:role/r",
    )


# (service, operation, output token, result key, one item, the read)
CASES: dict[str, tuple[str, str, str, str, dict[str, Any], Callable[[Any], Any]]] = {
    "GetResourceShareInvitations": (
        "ram",
        "get_resource_share_invitations",
        "nextToken",
        "resourceShareInvitations",
        {"resourceShareInvitationArn": INV, "resourceShareArn": SHARE, "status": "PENDING"},
        lambda c: RamConsumer(c).invitations(),
    ),
    "ListResources": (
        "ram",
        "list_resources",
        "nextToken",
        "resources",
        {"arn": CFG, "type": "vpc-lattice:ResourceConfiguration", "resourceShareArn": SHARE},
        lambda c: RamConsumer(c).shared_resources(),
    ),
    "ListPendingInvitationResources": (
        "ram",
        "list_pending_invitation_resources",
        "nextToken",
        "resources",
        {"arn": CFG, "type": "vpc-lattice:ResourceConfiguration"},
        lambda c: RamConsumer(c).pending_resources(PENDING_INVITATION),
    ),
    "GetResourceShareAssociations": (
        "ram",
        "get_resource_share_associations",
        "nextToken",
        "resourceShareAssociations",
        {"associatedEntity": "222222222222", "status": "ASSOCIATED"},
        lambda c: RamShareAdmin(c).principal_associations(SHARE),
    ),
    "DescribeVpcEndpoints": (
        "ec2",
        "describe_vpc_endpoints",
        "NextToken",
        "VpcEndpoints",
        # a live endpoint: after the pages, its association rows are read (stubbed in the tests below)
        LIVE_ENDPOINT,
        lambda c: Ec2Endpoints(c).managed_endpoints(),
    ),
    "DescribeVpcEndpointAssociations": (
        "ec2",
        "describe_vpc_endpoint_associations",
        "NextToken",
        "VpcEndpointAssociations",
        ROW,
        lambda c: Ec2Endpoints(c).associations([ENDPOINT])[ENDPOINT],
    ),
    "ListSchedules": (
        "scheduler",
        "list_schedules",
        "NextToken",
        "Schedules",
        {"Name": "linkpilot-probe-000"},
        lambda c: _schedules(c).published().names,
    ),
}


def _page(case: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    _service, _op, token_key, result_key, _item, _read = CASES[case]
    return {result_key: items, **({token_key: token} if token else {})}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_page_is_read_including_past_an_empty_one(case: str) -> None:
    service, operation, _token, _key, item, read = CASES[case]
    client = _client(service)
    stub = Stubber(client)
    stub.add_response(operation, _page(case, [item], "t1"))
    stub.add_response(operation, _page(case, [], "t2"))  # an empty page with a token: keep going
    stub.add_response(operation, _page(case, [item], None))
    if case == "ListSchedules":  # then the first schedule is read for its digest
        stub.add_response("get_schedule", {"Name": "linkpilot-probe-000", "Description": ""})
    if case == "DescribeVpcEndpoints":  # then the live endpoint's association rows, once for its id
        stub.add_response(
            "describe_vpc_endpoint_associations",
            {"VpcEndpointAssociations": [ROW]},
            {"VpcEndpointIds": [ENDPOINT], "MaxResults": 100},
        )
    with stub:
        found = read(client)
        stub.assert_no_pending_responses()
    assert len(found) == 2
    if case == "DescribeVpcEndpoints":  # the rows reached the endpoints: their DNS names come from them
        assert [e.dns_name for e in found] == [ROW["DnsEntry"]["DnsName"]] * 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_repeated_token_stops_the_read(case: str) -> None:
    service, operation, _token, _key, item, read = CASES[case]
    client = _client(service)
    stub = Stubber(client)
    stub.add_response(operation, _page(case, [item], "t1"))
    stub.add_response(operation, _page(case, [item], "t1"))  # the same token again: a loop
    with stub, pytest.raises(Transient) as raised:
        read(client)
    assert raised.value.code == "PaginationError"
    assert "same next token" in raised.value.message


def test_the_pending_resources_loop_stops_on_any_token_seen_before() -> None:
    """Stronger than botocore's check (the previous token only): t1, t2, t1 is a loop too."""
    client = _client("ram")
    stub = Stubber(client)
    item = CASES["ListPendingInvitationResources"][4]
    for token in ("t1", "t2", "t1"):
        stub.add_response(
            "list_pending_invitation_resources", _page("ListPendingInvitationResources", [item], token)
        )
    with stub, pytest.raises(Transient, match="same next token"):
        RamConsumer(client).pending_resources(PENDING_INVITATION)


def test_the_five_paginators_exist_and_the_two_looped_reads_have_none() -> None:
    """The premise, from the installed botocore models."""
    assert not _client("ec2").can_paginate("describe_vpc_endpoint_associations")
    assert _client("ram").can_paginate("get_resource_share_invitations")
    assert _client("ram").can_paginate("list_resources")
    assert _client("ram").can_paginate("get_resource_share_associations")
    assert not _client("ram").can_paginate("list_pending_invitation_resources")
    assert _client("ec2").can_paginate("describe_vpc_endpoints")
    assert _client("scheduler").can_paginate("list_schedules")
    assert _client("cloudformation").can_paginate("list_stack_set_operation_results")
