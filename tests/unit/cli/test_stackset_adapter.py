"""The operator's StackSet adapter (``linkpilot_cli.adapters.stacksets``) and template bucket
(``linkpilot_cli.adapters.s3_templates``): errors by name, what counts as a change, the wait's timeout, and
every request checked against the service model by botocore's ``Stubber``."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot.errors import Refused, Transient
from linkpilot_cli.adapters.s3_templates import TemplateBucket
from linkpilot_cli.adapters.stacksets import StackSetRollout
from linkpilot_cli.rollout import RolloutRequest, StackSetState

REQUEST = RolloutRequest(
    stack_set_name="linkpilot-consumer",
    template_body='{"Resources":{}}',
    ou_ids=("ou-ab12-aaaaaaaa",),
    regions=("us-east-1",),
    call_as="DELEGATED_ADMIN",
)
NAMED = {"StackSetName": "linkpilot-consumer", "CallAs": "DELEGATED_ADMIN"}


def cfn() -> Any:
    return boto3.client("cloudformation", region_name="us-east-1")


def operation(status: str) -> dict[str, Any]:
    return {"StackSetOperation": {"OperationId": "op-1", "Status": status}}


def test_what_exists_is_the_stack_sets_ous_and_those_of_its_instances_on_every_page() -> None:
    client = cfn()
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stack_set",
            {
                "StackSet": {
                    "StackSetId": "linkpilot-consumer:1",
                    "OrganizationalUnitIds": ["ou-ab12-aaaaaaaa"],
                }
            },
            NAMED,
        )
        stub.add_response(
            "list_stack_instances",
            {"Summaries": [{"OrganizationalUnitId": "ou-old1-bbbbbbbb"}], "NextToken": "p2"},
            NAMED,
        )
        stub.add_response(
            "list_stack_instances",
            {"Summaries": [{"OrganizationalUnitId": "ou-old2-cccccccc"}, {"Account": "222222222222"}]},
            {**NAMED, "NextToken": "p2"},
        )
        state = StackSetRollout(client).state(REQUEST)
        stub.assert_no_pending_responses()
    assert state == StackSetState(
        "linkpilot-consumer:1", frozenset({"ou-ab12-aaaaaaaa", "ou-old1-bbbbbbbb", "ou-old2-cccccccc"})
    )


def test_a_dry_run_of_an_update_reads_and_names_the_ous_no_longer_requested() -> None:
    client = cfn()
    rollout = StackSetRollout(client)
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stack_set",
            {
                "StackSet": {
                    "StackSetId": "linkpilot-consumer:1",
                    "OrganizationalUnitIds": ["ou-old1-bbbbbbbb"],
                }
            },
        )
        stub.add_response("list_stack_instances", {"Summaries": []})
        report = rollout.deploy(REQUEST, dry_run=True)
        stub.assert_no_pending_responses()
    assert (report.action, report.stack_set_id, report.untargeted_ous) == (
        "planned-update",
        "linkpilot-consumer:1",
        ["ou-old1-bbbbbbbb"],
    )
    assert not rollout.changed


def test_a_read_error_is_transient_and_nothing_changed() -> None:
    client = cfn()
    rollout = StackSetRollout(client)
    with Stubber(client) as stub:
        stub.add_client_error("describe_stack_set", "AccessDenied", "no", http_status_code=403)
        with pytest.raises(Transient) as raised:
            rollout.deploy(REQUEST)
    assert raised.value.code == "AccessDenied" and not rollout.changed


@pytest.mark.parametrize(
    ("operation_name", "code"),
    [
        ("create_stack_set", "LimitExceededException"),
        ("create_stack_instances", "OperationInProgressException"),
    ],
)
def test_a_change_aws_refuses_is_refused_by_name_and_counts_as_a_change(
    operation_name: str, code: str
) -> None:
    client = cfn()
    rollout = StackSetRollout(client)
    with Stubber(client) as stub:
        stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "none")
        if operation_name == "create_stack_instances":
            stub.add_response("create_stack_set", {"StackSetId": "linkpilot-consumer:1"})
        stub.add_client_error(operation_name, code, "not now")
        with pytest.raises(Refused) as raised:
            rollout.deploy(REQUEST)
    assert raised.value.code == code and rollout.changed


def test_an_unexpected_change_error_is_transient() -> None:
    client = cfn()
    rollout = StackSetRollout(client)
    with Stubber(client) as stub:
        stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "none")
        stub.add_client_error("create_stack_set", "InternalFailure", "oops", http_status_code=500)
        with pytest.raises(Transient):
            rollout.deploy(REQUEST)
    assert rollout.changed


def test_a_failed_update_stops_before_the_instances() -> None:
    client = cfn()
    with Stubber(client) as stub:
        stub.add_response("describe_stack_set", {"StackSet": {"StackSetId": "linkpilot-consumer:1"}})
        stub.add_response("list_stack_instances", {"Summaries": []})
        stub.add_response("update_stack_set", {"OperationId": "op-1"})
        stub.add_response(
            "describe_stack_set_operation", operation("STOPPED"), {**NAMED, "OperationId": "op-1"}
        )
        stub.add_response("list_stack_set_operation_results", {"Summaries": []})
        report = StackSetRollout(client).deploy(REQUEST)
        stub.assert_no_pending_responses()  # no CreateStackInstances
    assert [(op["action"], op["status"]) for op in report.operations] == [("update-stack-set", "STOPPED")]
    assert not report.ok


def test_waiting_stops_after_the_timeout_and_says_so() -> None:
    client = cfn()
    ticks = iter([0.0, 5.0, 11.0])  # started, after the first read, after the second read
    rollout = StackSetRollout(
        client, poll_seconds=5, timeout_seconds=10, sleep=lambda _: None, clock=lambda: next(ticks)
    )
    with Stubber(client) as stub:
        stub.add_response("describe_stack_set_operation", operation("RUNNING"))
        stub.add_response("describe_stack_set_operation", operation("RUNNING"))
        result = rollout.wait(REQUEST, "op-1", "create-stack-instances")
        stub.assert_no_pending_responses()
    assert result == {
        "action": "create-stack-instances",
        "operation_id": "op-1",
        "status": "TIMED_OUT (RUNNING)",
    }


def test_the_template_bucket_puts_the_body_and_gives_its_url() -> None:
    s3 = boto3.client("s3", region_name="eu-west-1")
    with Stubber(s3) as stub:
        stub.add_response(
            "put_object", {}, {"Bucket": "templates", "Key": "linkpilot-stacksets/n/abc.json", "Body": b"{}"}
        )
        url = TemplateBucket(s3, "templates").upload("linkpilot-stacksets/n/abc.json", "{}")
        stub.add_client_error("put_object", "AccessDenied", "no", http_status_code=403)
        with pytest.raises(Transient):
            TemplateBucket(s3, "templates").upload("k", "{}")
    assert url == "https://templates.s3.eu-west-1.amazonaws.com/linkpilot-stacksets/n/abc.json"
