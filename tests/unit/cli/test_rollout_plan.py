"""The StackSet rollout's plan (``linkpilot_cli.rollout``) and the request it starts from
(``linkpilot_cli.rollout_input.new_request``): pure functions over plain data, no AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linkpilot_cli import rollout
from linkpilot_cli.rollout import RolloutError, RolloutRequest, StackSetState
from linkpilot_cli.rollout_input import new_request

REQUEST = RolloutRequest(
    stack_set_name="linkpilot-consumer",
    template_body='{"Resources":{}}',
    ou_ids=("ou-ab12-aaaaaaaa", "ou-ab12-bbbbbbbb"),
    regions=("us-east-1", "eu-west-1"),
    parameters=(("TrustedAccounts", "111111111111"),),
    capabilities=("CAPABILITY_IAM",),
)


def test_no_stack_set_is_a_create_and_an_existing_one_an_update_keeping_ous_no_longer_requested() -> None:
    created = rollout.plan(REQUEST, None)
    assert (created.create, created.planned_action, created.untargeted_ous) == (True, "planned-create", ())
    existing = StackSetState("linkpilot-consumer:1", frozenset({"ou-ab12-aaaaaaaa", "ou-old1-cccccccc"}))
    updated = rollout.plan(REQUEST, existing)
    assert (updated.create, updated.planned_action) == (False, "planned-update")
    assert updated.stack_set_id == "linkpilot-consumer:1"
    assert updated.untargeted_ous == ("ou-old1-cccccccc",)  # reported, never deleted


def test_the_stack_set_is_service_managed_with_automatic_deployment() -> None:
    arguments = rollout.stack_set_arguments(REQUEST)
    assert arguments == {
        "StackSetName": "linkpilot-consumer",
        "Parameters": [{"ParameterKey": "TrustedAccounts", "ParameterValue": "111111111111"}],
        "Capabilities": ["CAPABILITY_IAM"],
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
        "CallAs": "SELF",
    }  # no Description when the template has none
    kept = RolloutRequest(
        **{**REQUEST.__dict__, "retain_stacks_on_account_removal": True, "description": "d", "call_as": "X"}
    )
    assert rollout.stack_set_arguments(kept)["AutoDeployment"]["RetainStacksOnAccountRemoval"] is True
    assert rollout.stack_set_arguments(kept)["Description"] == "d"
    assert rollout.stack_set_arguments(kept)["CallAs"] == "X"


def test_instances_for_every_requested_ou_and_region_with_the_operation_preferences() -> None:
    request = RolloutRequest(**{**REQUEST.__dict__, "max_concurrent_percentage": 50})
    assert rollout.instance_arguments(request) == {
        "StackSetName": "linkpilot-consumer",
        "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-aaaaaaaa", "ou-ab12-bbbbbbbb"]},
        "Regions": ["us-east-1", "eu-west-1"],
        "OperationPreferences": {
            "RegionConcurrencyType": "PARALLEL",
            "MaxConcurrentPercentage": 50,
            "FailureTolerancePercentage": 0,
        },
        "CallAs": "SELF",
    }


def test_the_template_goes_inline_up_to_the_limit_and_by_url_once_uploaded() -> None:
    at_limit = RolloutRequest(**{**REQUEST.__dict__, "template_body": "x" * rollout.TEMPLATE_BODY_MAX})
    assert rollout.template_arguments(at_limit) == {"TemplateBody": at_limit.template_body}
    over = RolloutRequest(**{**REQUEST.__dict__, "template_body": "é" * (rollout.TEMPLATE_BODY_MAX // 2 + 1)})
    with pytest.raises(RolloutError, match=r"51202 bytes.*--template-bucket"):  # bytes, not characters
        rollout.template_arguments(over)
    uploaded = rollout.with_template_url(over, "https://b.s3.us-east-1.amazonaws.com/k.json")
    assert rollout.template_arguments(uploaded) == {
        "TemplateURL": "https://b.s3.us-east-1.amazonaws.com/k.json"
    }
    assert uploaded.template_body == over.template_body


def test_an_uploaded_template_has_one_key_per_stack_set_and_content() -> None:
    key = rollout.template_key(REQUEST)
    assert key.startswith("linkpilot-stacksets/linkpilot-consumer/") and key.endswith(".json")
    assert rollout.template_key(REQUEST) == key
    other = RolloutRequest(**{**REQUEST.__dict__, "template_body": '{"Resources":{"T":{}}}'})
    assert rollout.template_key(other) != key


def results(*statuses: str) -> list[dict[str, Any]]:
    return [
        {"Account": f"{n:012d}", "Region": "us-east-1", "Status": s, "StatusReason": f"{s} here"}
        for n, s in enumerate(statuses, start=1)
    ]


def test_progress_counts_succeeded_failed_and_everything_else_as_in_progress() -> None:
    line = rollout.progress_line(
        "create-stack-instances",
        "op-1",
        "RUNNING",
        results("SUCCEEDED", "FAILED", "CANCELLED", "RUNNING", "PENDING", ""),
        42.4,
    )
    assert (
        line == "create-stack-instances op-1: RUNNING, instances 1 succeeded, 2 failed, 3 in progress (42s)"
    )


def test_an_operation_that_did_not_succeed_lists_every_instance_that_did_not() -> None:
    ok = rollout.operation_result("update-stack-set", "op-u", "SUCCEEDED", results("SUCCEEDED"))
    assert ok == {"action": "update-stack-set", "operation_id": "op-u", "status": "SUCCEEDED"}
    failed = rollout.operation_result(
        "create-stack-instances", "op-i", "STOPPED", results("SUCCEEDED", "FAILED")
    )
    assert failed["failures"] == [
        {"account": "000000000002", "region": "us-east-1", "status": "FAILED", "reason": "FAILED here"}
    ]
    assert rollout.timed_out("create-stack-instances", "op-i", "RUNNING")["status"] == "TIMED_OUT (RUNNING)"
    report = rollout.RolloutReport("n", operations=[ok, failed])
    assert not report.ok and report.as_dict()["ok"] is False


TEMPLATE = {
    "Description": "d" * 2000,
    "Parameters": {"Label": {"Type": "String"}},
    "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r"}}},
}


def test_a_request_is_the_canonical_template_its_capabilities_and_checked_parameters(tmp_path: Path) -> None:
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"Label": "v"}))
    request = new_request(TEMPLATE, params, name="n", ou_ids=["ou-1"], regions=["us-east-1"], call_as="X")
    assert json.loads(request.template_body) == TEMPLATE and " " not in request.template_body.replace("d", "")
    assert request.capabilities == ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")
    assert request.parameters == (("Label", "v"),)
    assert len(request.description) == 1024
    assert (request.ou_ids, request.regions, request.call_as) == (("ou-1",), ("us-east-1",), "X")


def test_targets_are_checked_before_the_parameters_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(RolloutError, match="--ou-ids and --regions need at least one value"):
        new_request(TEMPLATE, missing, name="n", ou_ids=[], regions=["us-east-1"])
    with pytest.raises(RolloutError, match="cannot read it"):
        new_request(TEMPLATE, missing, name="n", ou_ids=["ou-1"], regions=["us-east-1"])
