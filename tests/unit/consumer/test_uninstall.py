"""Uninstall (issue 13): the custom resource's answers and the cleanup, with the in-memory account."""

from __future__ import annotations

import pytest
from consumer_fakes import VPC, FakeAccount

from linkpilot.consumer.models import MANAGED_TAG
from linkpilot.consumer.uninstall import (
    custom_resource_refusal,
    custom_resource_reply,
    describe_request,
    is_custom_resource_event,
    remove_managed_endpoints,
)
from linkpilot.errors import Refused, Transient


def event(request: str, delete: str = "true") -> dict:
    return {
        "RequestType": request,
        "ResponseURL": "http://127.0.0.1:1/response",
        "StackId": "arn:aws:cloudformation:us-east-1:222222222222:stack/lp/1",
        "RequestId": "r-1",
        "LogicalResourceId": "ManagedEndpointsCleanup",
        "ResourceType": "Custom::LinkpilotManagedEndpoints",
        "ResourceProperties": {"ServiceToken": "arn:...", "DeleteManagedEndpoints": delete},
    }


def account_with_endpoints() -> FakeAccount:
    account = FakeAccount()
    account.add_endpoint(
        endpoint_id="vpce-ours",
        vpc_id=VPC,
        state="available",
        resource_configuration_arn="c1",
        tags={MANAGED_TAG: "true"},
    )
    account.add_endpoint(
        endpoint_id="vpce-theirs",
        vpc_id=VPC,
        state="available",
        resource_configuration_arn="c2",
        tags={"team": "db"},
    )
    return account


def test_whatever_looks_like_a_custom_resource_request_is_taken_as_one():
    assert is_custom_resource_event(event("Delete"))
    assert not is_custom_resource_event({"linkpilot": "reconcile"})
    # a partial one too: it is then refused as such (below), never taken for another trigger
    assert is_custom_resource_event({"RequestType": "Delete"})
    assert is_custom_resource_event({"ResponseURL": "https://example.com/"})


STACK = "arn:aws:cloudformation:us-east-1:222222222222:stack/lp/6c5e2f30-1a2b-11f0-9d3e-0a1b2c3d4e5f"
GENUINE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/"
    "arn%3Aaws%3Acloudformation%3Aus-east-1%3A222222222222%3Astack/lp/6c5e2f30%7CManagedEndpointsCleanup%7Cr-1"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
)


def genuine(**changes: object) -> dict:
    return {**event("Delete"), "StackId": STACK, "ResponseURL": GENUINE_URL, **changes}


@pytest.mark.parametrize(
    "url",
    [
        GENUINE_URL,
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?Signature=s",
        "https://cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com/x",
        "https://CloudFormation-Custom-Resource-Response-useast1.S3.amazonaws.com:443/x",
    ],
)
def test_this_stacks_cleanup_request_with_a_cloudformation_response_url_is_answered(url):
    assert custom_resource_refusal(genuine(ResponseURL=url), STACK) is None
    for request in ("Create", "Update"):
        assert custom_resource_refusal(genuine(RequestType=request, ResponseURL=url), STACK) is None


def test_other_partitions_response_hosts():
    cn = "arn:aws-cn:cloudformation:cn-north-1:222222222222:stack/lp/1134083a-2608-1e91-9897-022501a2c456"
    url = "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x"
    assert custom_resource_refusal(genuine(StackId=cn, ResponseURL=url), cn) is None
    gov = "arn:aws-us-gov:cloudformation:us-gov-west-1:222222222222:stack/lp/1"
    url = "https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com/x"
    assert custom_resource_refusal(genuine(StackId=gov, ResponseURL=url), gov) is None
    global_host = "https://cloudformation-custom-resource-response-usgovwest1.s3.amazonaws.com/x"
    assert custom_resource_refusal(genuine(StackId=gov, ResponseURL=global_host), gov) is not None


FORGED = {
    "another account's stack": {"StackId": STACK.replace("222222222222", "333333333333")},
    "another stack of this account": {"StackId": STACK.replace("stack/lp/", "stack/other/")},
    "this stack's name with another id": {"StackId": STACK[:-4] + "ffff"},
    "another logical id": {"LogicalResourceId": "SomethingElse"},
    "another resource type": {"ResourceType": "Custom::Other"},
    "an unknown request type": {"RequestType": "Purge"},
    "no ResourceType": {"ResourceType": None},
    "a StackId that is not text": {"StackId": ["arn"]},
    "plain http": {"ResponseURL": GENUINE_URL.replace("https://", "http://")},
    "another host": {"ResponseURL": "https://attacker.example/cfn"},
    "loopback": {"ResponseURL": "https://127.0.0.1/cfn"},
    "another Region's bucket": {
        "ResponseURL": "https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com/x"
    },
    "this bucket on another Region's host": {
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.us-west-2.amazonaws.com/x"
    },
    "the bucket's name as a subdomain of another host": {
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example/"
    },
    "user information before another host": {
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com@attacker.example/"
    },
    "another port": {
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/x"
    },
    "path-style on S3": {
        "ResponseURL": "https://s3.us-east-1.amazonaws.com/cloudformation-custom-resource-response-useast1/x"
    },
    "not a URL": {"ResponseURL": "https://[::1/x"},
}


@pytest.mark.parametrize("changes", FORGED.values(), ids=FORGED.keys())
def test_a_request_that_is_not_this_stacks_cleanup_resource_is_refused(changes):
    forged = genuine(**changes)
    assert custom_resource_refusal(forged, STACK)
    described = describe_request(forged)
    assert "Signature" not in described["ResponseURL"]  # a presigned URL's credential is never logged


def test_without_its_stack_id_the_function_answers_no_request():
    assert "LINKPILOT_STACK_ID" in (custom_resource_refusal(genuine(), None) or "")
    assert custom_resource_refusal({"RequestType": "Delete"}, STACK) == (
        "fields missing or not text: ResponseURL, StackId, RequestId, LogicalResourceId, ResourceType"
    )


def test_a_refused_requests_fields_are_bounded_and_escaped_for_the_log():
    forged = genuine(
        LogicalResourceId="x" * 5000,
        ResourceType='Custom::A\n{"level":"INFO"}\x1b[2J\u202e',
        StackId=42,
        ResponseURL="https://attacker.example/" + "p" * 10_000,
    )
    described = describe_request(forged)
    assert len(described["LogicalResourceId"]) < 200 and described["LogicalResourceId"].endswith(
        "...(5000 characters)"
    )
    assert described["ResourceType"] == 'Custom::A\\n{"level":"INFO"}\\x1b[2J\\u202e'
    assert described["StackId"] == "<int>"
    assert described["ResponseURL"] == "https://attacker.example"
    assert all(text.isascii() and text.isprintable() for text in described.values())


def test_delete_with_the_parameter_on_removes_managed_endpoints_only():
    account = account_with_endpoints()
    body, report = custom_resource_reply(
        event("Delete"), lambda: remove_managed_endpoints(account, dry_run=False)
    )
    assert body["Status"] == "SUCCESS" and report is not None and report.deleted == ("vpce-ours",)
    assert list(account.endpoints) == ["vpce-theirs"]
    assert body["PhysicalResourceId"] == "ManagedEndpointsCleanup-linkpilot" and body["RequestId"] == "r-1"


def test_delete_with_the_parameter_off_and_create_update_change_nothing():
    account = account_with_endpoints()
    for request, delete in (("Delete", "false"), ("Create", "true"), ("Update", "true")):
        body, report = custom_resource_reply(
            event(request, delete), lambda: remove_managed_endpoints(account, dry_run=False)
        )
        assert body["Status"] == "SUCCESS" and report is None
    assert sorted(account.endpoints) == ["vpce-ours", "vpce-theirs"]
    assert account.ops("Delete") == []


def test_a_refused_or_failed_delete_fails_the_resource_with_the_reason():
    account = account_with_endpoints()

    def refused(ids):  # type: ignore[no-untyped-def]
        return {i: Refused("UnauthorizedOperation", "no", "permission") for i in ids}

    account.delete = refused  # type: ignore[method-assign]
    body, _ = custom_resource_reply(event("Delete"), lambda: remove_managed_endpoints(account, dry_run=False))
    assert body["Status"] == "FAILED" and "UnauthorizedOperation" in body["Reason"]

    account2 = account_with_endpoints()
    account2.faults["DescribeVpcEndpoints"] = [Transient("ThrottlingException", "slow down")]
    body2, _ = custom_resource_reply(
        event("Delete"), lambda: remove_managed_endpoints(account2, dry_run=False)
    )
    assert body2["Status"] == "FAILED" and "ThrottlingException" in body2["Reason"]


def test_dry_run_lists_and_deletes_nothing():
    account = account_with_endpoints()
    report = remove_managed_endpoints(account, dry_run=True)
    assert [e.endpoint_id for e in report.endpoints] == ["vpce-ours"] and report.deleted == ()
    assert account.ops("Delete") == []
