"""Adapter contracts with botocore's Stubber: exact requests (page sizes, tokens, tags) and error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber
from consumer_fakes import TRUSTED, make_policy

from linkpilot.aws.audit import AuditTable, AuditWriteIncomplete
from linkpilot.aws.ec2_endpoints import Ec2Endpoints
from linkpilot.aws.notify import SnsNotifier
from linkpilot.aws.probe_schedules import ProbeSchedules
from linkpilot.aws.ram_consumer import RamConsumer
from linkpilot.consumer.models import Invitation, InvitationOutcome
from linkpilot.errors import Refused, Transient

INV = f"arn:aws:ram:us-east-1:{TRUSTED}:resource-share-invitation/inv-1"
SHARE = f"arn:aws:ram:us-east-1:{TRUSTED}:resource-share/share-1"
CFG = f"arn:aws:vpc-lattice:us-east-1:{TRUSTED}:resourceconfiguration/rcfg-0123456789abcdef0"


def stubbed(service: str):
    client = boto3.client(service, region_name="us-east-1")
    return client, Stubber(client)


# --- RAM ---------------------------------------------------------------------------------------------
def test_invitations_follow_tokens_through_empty_pages():
    client, stub = stubbed("ram")
    item = {
        "resourceShareInvitationArn": INV,
        "resourceShareArn": SHARE,
        "resourceShareName": "s",
        "senderAccountId": TRUSTED,
        "status": "PENDING",
        "invitationTimestamp": datetime(2026, 1, 1, tzinfo=UTC),
    }
    stub.add_response(
        "get_resource_share_invitations",
        {"resourceShareInvitations": [], "nextToken": "t1"},
        {"maxResults": 500},
    )
    stub.add_response(
        "get_resource_share_invitations",
        {"resourceShareInvitations": [item]},
        {"maxResults": 500, "nextToken": "t1"},
    )
    with stub:
        (inv,) = RamConsumer(client).invitations()
    assert inv.arn == INV and inv.sender_account_id == TRUSTED and inv.status == "PENDING"
    stub.assert_no_pending_responses()


def test_shared_resources_asks_for_other_accounts_configurations():
    client, stub = stubbed("ram")
    stub.add_response(
        "list_resources",
        {
            "resources": [
                {
                    "arn": CFG,
                    "type": "vpc-lattice:ResourceConfiguration",
                    "resourceShareArn": SHARE,
                    "status": "AVAILABLE",
                }
            ]
        },
        {
            "resourceOwner": "OTHER-ACCOUNTS",
            "resourceType": "vpc-lattice:ResourceConfiguration",
            "maxResults": 500,
        },
    )
    with stub:
        (res,) = RamConsumer(client).shared_resources()
    assert (res.arn, res.share_arn, res.status) == (CFG, SHARE, "AVAILABLE")


def test_pending_resources_of_an_invitation_that_moved_on_is_none():
    client, stub = stubbed("ram")
    stub.add_client_error("list_pending_invitation_resources", "ResourceShareInvitationExpiredException")
    with stub:
        assert RamConsumer(client).pending_resources(Invitation(INV, SHARE, "s", TRUSTED, "PENDING")) is None


def test_pending_resources_lists_the_share_contents():
    client, stub = stubbed("ram")
    stub.add_response(
        "list_pending_invitation_resources",
        {"resources": [{"arn": CFG, "type": "vpc-lattice:ResourceConfiguration", "resourceShareArn": SHARE}]},
        {"resourceShareInvitationArn": INV, "maxResults": 500},
    )
    with stub:
        (res,) = RamConsumer(client).pending_resources(Invitation(INV, SHARE, "s", TRUSTED, "PENDING"))
    assert res.arn == CFG


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, InvitationOutcome.DONE),
        ("ResourceShareInvitationAlreadyAcceptedException", InvitationOutcome.ALREADY),
        ("ResourceShareInvitationExpiredException", InvitationOutcome.EXPIRED),
    ],
)
def test_accept_passes_the_token_and_maps_outcomes(code, expected):
    client, stub = stubbed("ram")
    if code:
        stub.add_client_error("accept_resource_share_invitation", code)
    else:
        stub.add_response(
            "accept_resource_share_invitation", {}, {"resourceShareInvitationArn": INV, "clientToken": "tok"}
        )
    with stub:
        assert RamConsumer(client).accept(INV, "tok") is expected


def test_accept_refusal_and_throttling():
    client, stub = stubbed("ram")
    stub.add_client_error("accept_resource_share_invitation", "IdempotentParameterMismatchException")
    stub.add_client_error("accept_resource_share_invitation", "ThrottlingException", http_status_code=429)
    ram = RamConsumer(client)
    with stub:
        with pytest.raises(Refused) as refused:
            ram.accept(INV, "tok")
        assert refused.value.code == "IdempotentParameterMismatchException"
        with pytest.raises(Transient):
            ram.accept(INV, "tok")


def test_reject_maps_already_rejected_and_refuses_an_accepted_one():
    client, stub = stubbed("ram")
    stub.add_client_error(
        "reject_resource_share_invitation", "ResourceShareInvitationAlreadyRejectedException"
    )
    stub.add_client_error(
        "reject_resource_share_invitation", "ResourceShareInvitationAlreadyAcceptedException"
    )
    ram = RamConsumer(client)
    with stub:
        assert ram.reject(INV, "tok") is InvitationOutcome.ALREADY
        with pytest.raises(Refused):
            ram.reject(INV, "tok")


# --- EC2 ---------------------------------------------------------------------------------------------
def test_managed_endpoints_filters_on_the_tag_with_the_largest_page():
    client, stub = stubbed("ec2")
    endpoint = {
        "VpcEndpointId": "vpce-0123456789abcdef0",
        "VpcEndpointType": "Resource",
        "VpcId": "vpc-0123456789abcdef0",
        "State": "Available",
        "ResourceConfigurationArn": CFG,
        "Tags": [{"Key": "linkpilot:managed", "Value": "true"}],
    }
    interface = {**endpoint, "VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface"}
    stub.add_response(
        "describe_vpc_endpoints",
        {"VpcEndpoints": [endpoint, interface]},
        {"Filters": [{"Name": "tag:linkpilot:managed", "Values": ["true"]}], "MaxResults": 1000},
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": []},
        {"VpcEndpointIds": ["vpce-0123456789abcdef0"], "MaxResults": 100},
    )
    with stub:
        (ep,) = Ec2Endpoints(client).managed_endpoints()
    assert ep.state == "available" and ep.managed and ep.associations == ()


@pytest.mark.parametrize(
    ("answer", "state"),
    # AWS prints a Resource endpoint's State capitalised (AWS CLI example 4 of create-vpc-endpoint: Pending);
    # Interface/Gateway examples print lower case: the adapter reads either as the lower-case name
    [
        ("Pending", "pending"),
        ("Available", "available"),
        ("available", "available"),
        ("Deleting", "deleting"),
    ],
)
def test_managed_endpoints_read_the_state_case_insensitively(answer, state):
    client, stub = stubbed("ec2")
    endpoint = {
        "VpcEndpointId": "vpce-0123456789abcdef0",
        "VpcEndpointType": "Resource",
        "State": answer,
        "Tags": [{"Key": "linkpilot:managed", "Value": "true"}],
    }
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": [endpoint]}, {"Filters": ANY, "MaxResults": 1000}
    )
    if state != "deleting":  # rows are read for live endpoints only
        stub.add_response(
            "describe_vpc_endpoint_associations",
            {"VpcEndpointAssociations": []},
            {"VpcEndpointIds": ["vpce-0123456789abcdef0"], "MaxResults": 100},
        )
    with stub:
        (ep,) = Ec2Endpoints(client).managed_endpoints()
    assert ep.state == state


@pytest.mark.parametrize(
    ("answer", "ip_type", "family"),
    # AWS answers upper case (terraform's acceptance test: IPV4), the botocore enum is lower case
    [
        ("IPV4", "ipv4", "ipv4"),
        ("ipv6", "ipv6", "ipv6"),
        ("DualStack", "dualstack", "dualstack"),
        (None, "", "dualstack"),
    ],
)
def test_managed_endpoints_read_the_ip_address_type_case_insensitively(answer, ip_type, family):
    client, stub = stubbed("ec2")
    endpoint = {
        "VpcEndpointId": "vpce-0123456789abcdef0",
        "VpcEndpointType": "Resource",
        "State": "available",
        "Tags": [{"Key": "linkpilot:managed", "Value": "true"}],
    }
    if answer is not None:
        endpoint["IpAddressType"] = answer
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": [endpoint]}, {"Filters": ANY, "MaxResults": 1000}
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {"VpcEndpointAssociations": []},
        {"VpcEndpointIds": ["vpce-0123456789abcdef0"], "MaxResults": 100},
    )
    with stub:
        (ep,) = Ec2Endpoints(client).managed_endpoints()
    assert (ep.ip_address_type, ep.address_family) == (ip_type, family)


def test_create_sends_type_placement_token_and_the_three_tags():
    client, stub = stubbed("ec2")
    policy = make_policy()
    expected = {
        "VpcEndpointType": "Resource",
        "VpcId": policy.endpoint.vpc_id,
        "ResourceConfigurationArn": CFG,
        "SubnetIds": list(policy.endpoint.subnet_ids),
        "SecurityGroupIds": list(policy.endpoint.security_group_ids),
        "IpAddressType": "ipv4",
        "PrivateDnsEnabled": False,
        "ClientToken": "tok",
        "TagSpecifications": [
            {
                "ResourceType": "vpc-endpoint",
                "Tags": [
                    {"Key": "linkpilot:managed", "Value": "true"},
                    {"Key": "linkpilot:resource-configuration-arn", "Value": CFG},
                    {"Key": "linkpilot:resource-share-arn", "Value": SHARE},
                ],
            }
        ],
    }
    stub.add_response("create_vpc_endpoint", {"VpcEndpoint": {"VpcEndpointId": "vpce-new"}}, expected)
    with stub:
        assert Ec2Endpoints(client).create(policy.endpoint, CFG, SHARE, "tok") == "vpce-new"


@pytest.mark.parametrize(
    ("code", "message", "category"),
    [
        (
            "InvalidParameter",
            "The VPC endpoint subnets must share at least one Availability Zone",
            "availability-zone mismatch",
        ),
        ("VpcEndpointLimitExceeded", "The maximum number of VPC endpoints has been reached.", "quota"),
        ("UnauthorizedOperation", "You are not authorized", "permission"),
        ("InvalidSubnetID.NotFound", "no such subnet", "invalid request"),
    ],
)
def test_create_refusals_get_plain_categories(code, message, category):
    client, stub = stubbed("ec2")
    stub.add_client_error("create_vpc_endpoint", code, message)
    with stub, pytest.raises(Refused) as refused:
        Ec2Endpoints(client).create(make_policy().endpoint, CFG, SHARE, "tok")
    assert refused.value.category == category and refused.value.code == code


def test_create_throttling_propagates():
    client, stub = stubbed("ec2")
    stub.add_client_error("create_vpc_endpoint", "RequestLimitExceeded", http_status_code=503)
    with stub, pytest.raises(Transient):
        Ec2Endpoints(client).create(make_policy().endpoint, CFG, SHARE, "tok")


def test_delete_batches_and_reports_unsuccessful_items():
    client, stub = stubbed("ec2")
    ids = [f"vpce-{i:017x}" for i in range(30)]
    stub.add_response(
        "delete_vpc_endpoints",
        {
            "Unsuccessful": [
                {"ResourceId": ids[1], "Error": {"Code": "InvalidVpcEndpoint.NotFound", "Message": "gone"}},
                {"ResourceId": ids[2], "Error": {"Code": "UnauthorizedOperation", "Message": "no"}},
            ]
        },
        {"VpcEndpointIds": ids[:25]},
    )
    stub.add_response("delete_vpc_endpoints", {"Unsuccessful": []}, {"VpcEndpointIds": ids[25:]})
    with stub:
        result = Ec2Endpoints(client).delete(ids)
    assert result[ids[0]] is None and result[ids[1]] is None
    assert result[ids[2]] is not None and result[ids[2]].category == "permission"
    assert set(result) == set(ids)


# --- Scheduler ---------------------------------------------------------------------------------------
def schedules(client):
    return ProbeSchedules(
        client,
        group="g",
        function_arn="arn:aws:lambda:us-east-1:222222222222:function:probe",
        role_arn="arn:aws:iam::222222222222:role/r",
    )


def test_published_reads_the_digest_from_shard_zero():
    client, stub = stubbed("scheduler")
    summary = {
        "Name": "linkpilot-probe-000",
        "Arn": "arn:aws:scheduler:us-east-1:1:schedule/g/linkpilot-probe-000",
    }
    stub.add_response(
        "list_schedules",
        {"Schedules": [summary]},
        {"GroupName": "g", "NamePrefix": "linkpilot-probe-", "MaxResults": 100},
    )
    stub.add_response(
        "get_schedule",
        {"Description": "Linkpilot probe targets; digest=abc123 shards=1"},
        {"GroupName": "g", "Name": "linkpilot-probe-000"},
    )
    with stub:
        found = schedules(client).published()
    assert found.digest == "abc123" and found.names == ("linkpilot-probe-000",)


def test_publish_deletes_extra_shards_then_writes_shard_zero_last():
    client, stub = stubbed("scheduler")
    stub.add_response("delete_schedule", {}, {"GroupName": "g", "Name": "linkpilot-probe-002"})
    common = {
        "GroupName": "g",
        "ScheduleExpression": "rate(1 minute)",
        "Description": "Linkpilot probe targets; digest=d shards=2",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": ANY,
    }
    stub.add_response("create_schedule", {"ScheduleArn": "a"}, {**common, "Name": "linkpilot-probe-001"})
    stub.add_response("update_schedule", {"ScheduleArn": "a"}, {**common, "Name": "linkpilot-probe-000"})
    with stub:
        schedules(client).publish(["{}", "{}"], "d", ["linkpilot-probe-000", "linkpilot-probe-002"])
    stub.assert_no_pending_responses()


def test_publish_create_conflict_from_a_concurrent_run_becomes_an_update():
    client, stub = stubbed("scheduler")
    stub.add_client_error("create_schedule", "ConflictException", http_status_code=409)
    stub.add_response("update_schedule", {"ScheduleArn": "a"})
    with stub:
        schedules(client).publish(["{}"], "d", [])
    stub.assert_no_pending_responses()


# --- DynamoDB and SNS --------------------------------------------------------------------------------
def test_audit_writes_one_put_per_record_that_never_overwrites():
    """PutItem, not BatchWriteItem (whose grant would let the role delete audit items); a put whose
    condition fails found its own earlier try (its answer lost): already written, not an error."""
    client, stub = stubbed("dynamodb")
    records = [{"pk": f"p{i}", "sk": "s", "expires_at": 1, "detail": ""} for i in range(3)]
    for i in range(3):
        params = {
            "TableName": "t",
            "Item": {"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "expires_at": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if i == 1:
            stub.add_client_error("put_item", "ConditionalCheckFailedException", expected_params=params)
        else:
            stub.add_response("put_item", {}, params)
    with stub:
        AuditTable(client, "t").write(records)
    stub.assert_no_pending_responses()


def test_audit_writes_the_other_records_then_raises_when_one_fails():
    client, stub = stubbed("dynamodb")
    stub.add_client_error("put_item", "ValidationException", "Item size has exceeded the maximum")
    stub.add_response("put_item", {})
    stub.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
    with stub, pytest.raises(AuditWriteIncomplete) as raised:
        AuditTable(client, "t").write([{"pk": "a"}, {"pk": "b"}, {"pk": "c"}])
    stub.assert_no_pending_responses()  # the second record was still written
    assert raised.value.code == "ValidationException"
    assert "2 of 3 audit item(s) not written" in raised.value.message


def test_notification_has_kinds_attribute():
    client, stub = stubbed("sns")
    stub.add_response(
        "publish",
        {"MessageId": "m"},
        {
            "TopicArn": "arn:aws:sns:us-east-1:222222222222:t",
            "Subject": "Linkpilot: 1 accepted",
            "Message": ANY,
            "MessageAttributes": {
                "kinds": {"DataType": "String.Array", "StringValue": '["accept", "error"]'}
            },
        },
    )
    with stub:
        SnsNotifier(client, "arn:aws:sns:us-east-1:222222222222:t").publish(
            "Linkpilot: 1 accepted", ["error", "accept"], {"run_id": "r"}
        )
