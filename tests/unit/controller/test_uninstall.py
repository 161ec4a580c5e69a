"""Uninstall (issue 13): the custom resource's answers and the cleanup, with the in-memory account."""

from __future__ import annotations

from conftest import VPC
from controller_fakes import FakeAccount

from linkpilot.consumer.models import MANAGED_TAG
from linkpilot.consumer.uninstall import (
    custom_resource_reply,
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


def test_only_custom_resource_requests_are_recognised():
    assert is_custom_resource_event(event("Delete"))
    assert not is_custom_resource_event({"linkpilot": "reconcile"})
    assert not is_custom_resource_event({"RequestType": "Delete"})


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
