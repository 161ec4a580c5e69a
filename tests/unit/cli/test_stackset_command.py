"""`linkpilot stackset`: input checks (pure) and the StackSet adapter's CloudFormation request contract
(Stubber)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot_cli.adapters.stacksets import StackSetRollout
from linkpilot_cli.rollout import RolloutError, RolloutRequest
from linkpilot_cli.rollout_input import load_parameters, load_template, required_capabilities

PLAIN: dict[str, Any] = {
    "Description": "consumer",
    "Parameters": {"VpcId": {"Type": "String"}, "Subnets": {"Type": "CommaDelimitedList", "Default": ""}},
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": "b", "S3Key": "k"}}},
    },
}


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_untranslated_sam_template_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RolloutError, match=r"scripts/stackset_translate\.py"):
        load_template(write(tmp_path, "t.json", {**PLAIN, "Transform": "AWS::Serverless-2016-10-31"}))


def test_unpackaged_code_and_non_json_are_refused(tmp_path: Path) -> None:
    local = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "functions/x/"}}}}
    with pytest.raises(RolloutError, match="sam package"):
        load_template(write(tmp_path, "t.json", local))
    with pytest.raises(RolloutError, match="not JSON"):
        load_template(write(tmp_path, "t.yaml", "Resources: {}\n"))


def test_capabilities_follow_the_iam_resources() -> None:
    assert required_capabilities(PLAIN) == ("CAPABILITY_IAM",)
    named = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}}
    assert required_capabilities(named) == ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")
    assert required_capabilities({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}) == ()


def test_parameters_file_in_either_format(tmp_path: Path) -> None:
    as_dict = write(tmp_path, "a.json", {"VpcId": "vpc-1", "Subnets": ["subnet-1", "subnet-2"]})
    as_list = write(
        tmp_path,
        "b.json",
        [
            {"ParameterKey": "VpcId", "ParameterValue": "vpc-1"},
            {"ParameterKey": "Subnets", "ParameterValue": "subnet-1,subnet-2"},
        ],
    )
    expected = (("Subnets", "subnet-1,subnet-2"), ("VpcId", "vpc-1"))
    assert load_parameters(as_dict, PLAIN) == expected
    assert load_parameters(as_list, PLAIN) == expected


def test_unknown_and_missing_parameters_are_named(tmp_path: Path) -> None:
    with pytest.raises(RolloutError) as caught:
        load_parameters(write(tmp_path, "p.json", {"Vpc": "vpc-1"}), PLAIN)
    assert "unknown parameter 'Vpc'" in str(caught.value)
    assert "parameter 'VpcId' has no default" in str(caught.value)


def test_the_consumer_template_needs_no_per_account_value_in_the_parameters_file(tmp_path: Path) -> None:
    """The OU rollout's precondition: every consumer parameter has a default; the per-account ones are
    SSM-typed and name the parameters each account's baseline writes."""
    from linkpilot_local.cfn import load_template as load_yaml_template

    consumer = load_yaml_template(Path(__file__).parents[3] / "template.yaml")
    assert [name for name, spec in consumer["Parameters"].items() if "Default" not in spec] == []
    ssm_typed = {
        name: spec["Default"]
        for name, spec in consumer["Parameters"].items()
        if spec["Type"].startswith("AWS::SSM::Parameter::Value<")
    }
    assert ssm_typed == {
        "EndpointVpcId": "/linkpilot/consumer/endpoint-vpc-id",
        "EndpointSubnetIds": "/linkpilot/consumer/endpoint-subnet-ids",
        "ProbeSecurityGroupIds": "/linkpilot/consumer/probe-security-group-ids",
    }
    shared = write(
        tmp_path, "p.json", {"TrustedAccounts": ["111111111111"], "UntrustedInvitations": "reject"}
    )
    assert load_parameters(shared, consumer) == (
        ("TrustedAccounts", "111111111111"),
        ("UntrustedInvitations", "reject"),
    )
    # another SSM name for every account is fine; an id (or a list of them) is a per-account value
    renamed = write(tmp_path, "r.json", {"EndpointVpcId": "/org/network/vpc-id"})
    assert load_parameters(renamed, consumer) == (("EndpointVpcId", "/org/network/vpc-id"),)
    for value in ("vpc-0123456789abcdef0", ["subnet-0aaaaaaaaaaaaaaa1"], "subnet-1,subnet-2"):
        key = "EndpointVpcId" if value == "vpc-0123456789abcdef0" else "EndpointSubnetIds"
        with pytest.raises(RolloutError, match=f"parameter '{key}' takes the name of an SSM parameter"):
            load_parameters(write(tmp_path, "bad.json", {key: value}), consumer)


REQUEST = RolloutRequest(
    stack_set_name="linkpilot-consumer",
    template_body='{"Resources":{}}',
    ou_ids=("ou-ab12-cdefgh34",),
    regions=("us-east-1", "eu-west-1"),
    parameters=(("VpcId", "vpc-1"),),
    capabilities=("CAPABILITY_IAM",),
    description="consumer",
)
PREFERENCES = {
    "RegionConcurrencyType": "PARALLEL",
    "MaxConcurrentPercentage": 25,
    "FailureTolerancePercentage": 0,
}
STACK_SET_ARGS = {
    "StackSetName": "linkpilot-consumer",
    "Parameters": [{"ParameterKey": "VpcId", "ParameterValue": "vpc-1"}],
    "Capabilities": ["CAPABILITY_IAM"],
    "PermissionModel": "SERVICE_MANAGED",
    "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
    "CallAs": "SELF",
    "Description": "consumer",
    "TemplateBody": '{"Resources":{}}',
}
INSTANCE_ARGS = {
    "StackSetName": "linkpilot-consumer",
    "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdefgh34"]},
    "Regions": ["us-east-1", "eu-west-1"],
    "OperationPreferences": PREFERENCES,
    "CallAs": "SELF",
}


def operation(status: str) -> dict[str, Any]:
    return {"StackSetOperation": {"OperationId": "op-1", "Status": status}}


def describe(op_id: str) -> dict[str, str]:
    return {"StackSetName": "linkpilot-consumer", "OperationId": op_id, "CallAs": "SELF"}


def stubbed() -> tuple[StackSetRollout, Stubber, list[float]]:
    client = boto3.client("cloudformation", region_name="us-east-1")
    sleeps: list[float] = []
    return StackSetRollout(client, poll_seconds=5, sleep=sleeps.append), Stubber(client), sleeps


def test_first_rollout_creates_a_service_managed_stack_set_with_auto_deployment() -> None:
    rollout, stub, sleeps = stubbed()
    not_found = "StackSetNotFoundException"
    stub.add_client_error(
        "describe_stack_set",
        not_found,
        "nope",
        expected_params={"StackSetName": "linkpilot-consumer", "CallAs": "SELF"},
    )
    stub.add_response("create_stack_set", {"StackSetId": "linkpilot-consumer:1"}, STACK_SET_ARGS)
    stub.add_response("create_stack_instances", {"OperationId": "op-1"}, INSTANCE_ARGS)
    stub.add_response("describe_stack_set_operation", operation("RUNNING"), describe("op-1"))
    stub.add_response("describe_stack_set_operation", operation("SUCCEEDED"), describe("op-1"))
    with stub:
        report = rollout.deploy(REQUEST)
        stub.assert_no_pending_responses()
    assert report.action == "created"
    assert report.ok
    assert sleeps == [5]


def test_second_rollout_updates_every_instance_then_adds_new_targets() -> None:
    rollout, stub, _ = stubbed()
    stub.add_response(
        "describe_stack_set",
        {"StackSet": {"StackSetId": "linkpilot-consumer:1", "OrganizationalUnitIds": ["ou-old1-abcdefgh"]}},
    )
    stub.add_response("list_stack_instances", {"Summaries": []})
    stub.add_response(
        "update_stack_set", {"OperationId": "op-u"}, STACK_SET_ARGS | {"OperationPreferences": PREFERENCES}
    )
    stub.add_response("describe_stack_set_operation", operation("SUCCEEDED"), describe("op-u"))
    stub.add_response("create_stack_instances", {"OperationId": "op-i"}, INSTANCE_ARGS)
    stub.add_response("describe_stack_set_operation", operation("SUCCEEDED"), describe("op-i"))
    with stub:
        report = rollout.deploy(REQUEST)
        stub.assert_no_pending_responses()
    assert report.action == "updated"
    assert [op["action"] for op in report.operations] == ["update-stack-set", "create-stack-instances"]
    assert report.untargeted_ous == ["ou-old1-abcdefgh"]


def test_failed_operation_is_reported_with_per_account_reasons() -> None:
    rollout, stub, _ = stubbed()
    stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "nope")
    stub.add_response("create_stack_set", {"StackSetId": "linkpilot-consumer:1"})
    stub.add_response("create_stack_instances", {"OperationId": "op-1"})
    stub.add_response("describe_stack_set_operation", operation("FAILED"))
    stub.add_response(
        "list_stack_set_operation_results",
        {
            "Summaries": [
                {
                    "Account": "222222222222",
                    "Region": "us-east-1",
                    "Status": "FAILED",
                    "StatusReason": "boom",
                },
                {"Account": "333333333333", "Region": "us-east-1", "Status": "SUCCEEDED"},
            ]
        },
    )
    with stub:
        report = rollout.deploy(REQUEST)
    assert not report.ok
    assert report.operations[0]["failures"] == [
        {"account": "222222222222", "region": "us-east-1", "status": "FAILED", "reason": "boom"}
    ]


def test_dry_run_only_reads() -> None:
    rollout, stub, _ = stubbed()
    stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "nope")
    with stub:
        report = rollout.deploy(REQUEST, dry_run=True)
        stub.assert_no_pending_responses()
    assert report.action == "planned-create"
    assert report.operations == []


def test_oversized_template_needs_a_bucket() -> None:
    rollout, stub, _ = stubbed()
    stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "nope")
    big = RolloutRequest(**{**REQUEST.__dict__, "template_body": "x" * 51_201})
    with stub, pytest.raises(RolloutError, match="--template-bucket"):
        rollout.deploy(big)


def _results(*statuses: tuple[str, str], token: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "Summaries": [
            {"Account": account, "Region": "us-east-1", "Status": status, "StatusReason": f"{status} here"}
            for account, status in statuses
        ]
    }
    if token:
        page["NextToken"] = token
    return page


def test_failures_on_every_page_of_the_operation_results_are_reported() -> None:
    """ListStackSetOperationResults is paginated (botocore's paginator): a failure on page 2 counts too."""
    rollout, stub, _ = stubbed()
    stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "nope")
    stub.add_response("create_stack_set", {"StackSetId": "linkpilot-consumer:1"})
    stub.add_response("create_stack_instances", {"OperationId": "op-1"})
    stub.add_response("describe_stack_set_operation", operation("FAILED"))
    results = {"StackSetName": "linkpilot-consumer", "OperationId": "op-1", "CallAs": "SELF"}
    stub.add_response(
        "list_stack_set_operation_results", _results(("222222222222", "FAILED"), token="p2"), results
    )
    stub.add_response(
        "list_stack_set_operation_results",
        _results(("333333333333", "SUCCEEDED"), ("444444444444", "FAILED")),
        {**results, "NextToken": "p2"},
    )
    with stub:
        report = rollout.deploy(REQUEST)
        stub.assert_no_pending_responses()
    assert [f["account"] for f in report.operations[0]["failures"]] == ["222222222222", "444444444444"]


def test_waiting_reports_progress_with_instance_counts() -> None:
    client = boto3.client("cloudformation", region_name="us-east-1")
    said: list[str] = []
    rollout = StackSetRollout(client, poll_seconds=5, sleep=lambda _: None, progress=said.append)
    stub = Stubber(client)
    stub.add_response("describe_stack_set_operation", operation("RUNNING"))
    stub.add_response(
        "list_stack_set_operation_results",
        _results(("222222222222", "SUCCEEDED"), ("333333333333", "RUNNING"), ("444444444444", "PENDING")),
    )
    stub.add_response("describe_stack_set_operation", operation("FAILED"))
    stub.add_response(
        "list_stack_set_operation_results",
        _results(("222222222222", "SUCCEEDED"), ("333333333333", "SUCCEEDED"), ("444444444444", "FAILED")),
    )
    stub.add_response("list_stack_set_operation_results", _results(("444444444444", "FAILED")))
    with stub:
        result = rollout.wait(REQUEST, "op-1", "create-stack-instances")
        stub.assert_no_pending_responses()
    assert [line.split(" (")[0] for line in said] == [
        "create-stack-instances op-1: RUNNING, instances 1 succeeded, 0 failed, 2 in progress",
        "create-stack-instances op-1: FAILED, instances 2 succeeded, 1 failed, 0 in progress",
    ]
    assert result["failures"][0]["account"] == "444444444444"


def test_a_read_error_before_any_change_is_exit_3_and_a_change_error_exit_1(tmp_path: Path, capsys) -> None:
    from linkpilot_cli.commands import stackset

    template = write(tmp_path, "t.json", {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    args = stackset.parse(
        [
            "deploy",
            "--template",
            str(template),
            "--name",
            "linkpilot-consumer",
            "--ou-ids",
            "ou-ab12-abcdefgh",
            "--regions",
            "us-east-1",
        ]
    )
    args.output = "json"

    class Session:
        def __init__(self, client: Any) -> None:
            self._client = client

        def client(self, _name: str) -> Any:
            return self._client

    client = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("describe_stack_set", "AccessDenied", "no", http_status_code=403)
        assert stackset.run(args, session=Session(client)) == 3
    assert "reading the StackSet failed, nothing changed" in capsys.readouterr().err
    with Stubber(client) as stub:
        stub.add_client_error("describe_stack_set", "StackSetNotFoundException", "nope")
        stub.add_client_error("create_stack_set", "LimitExceededException", "too many")
        assert stackset.run(args, session=Session(client)) == 1
    assert "a StackSet change failed" in capsys.readouterr().err
