"""The AWS evidence fixtures are well formed: each has a public source, fits the installed botocore model
(keys, types, enum values), and every AWS operation the product calls has one.

What a fixture says about AWS comes from its source (AWS CLI examples, AWS docs, terraform acceptance tests
run against AWS); the botocore model only checks that the recorded shape is a possible one.
"""

from __future__ import annotations

import re

import pytest
import yaml
from botocore import xform_name
from reliability.support import FUNCTIONS, ROOT, function_statements, granted_actions

from linkpilot_local.cfn import load_template

from .evidence import KINDS, Fixture, error_codes, fixture, fixtures, operation_model, service_model, walk

ALL = fixtures()
API = [f for f in ALL if f.is_api_call]

# Operations the issue asks evidence for explicitly (beyond what the IAM policies and the CLI derive).
REQUIRED = {
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcEndpointAssociations",
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteVpcEndpoints",
    "ram:GetResourceShareInvitations",
    "ram:AcceptResourceShareInvitation",
    "ram:RejectResourceShareInvitation",
    "ram:ListPendingInvitationResources",
    "ram:GetResourceShares",
    "ram:ListResources",
    "ram:AssociateResourceShare",
    "ram:DisassociateResourceShare",
    "ram:GetResourceShareAssociations",
    "vpc-lattice:GetResourceConfiguration",
    "vpc-lattice:ListResourceEndpointAssociations",
    "vpc-lattice:CreateResourceGateway",
    "vpc-lattice:CreateResourceConfiguration",
    "scheduler:ListSchedules",
    "scheduler:GetSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:CreateSchedule",
    "ssm:GetParameter",
    "dynamodb:PutItem",
    "dynamodb:BatchWriteItem",
    "sns:Publish",
}

# The RAM errors the product handles by name (policy code and adapters) must each have a fixture.
RAM_ERRORS_HANDLED = {
    "ResourceShareInvitationAlreadyAcceptedException",
    "ResourceShareInvitationAlreadyRejectedException",
    "ResourceShareInvitationExpiredException",
    "ResourceShareInvitationArnNotFoundException",
    "IdempotentParameterMismatchException",
    "InvalidClientTokenException",
    "MalformedArnException",
    "OperationNotPermittedException",
    "ServerInternalException",
    "ServiceUnavailableException",
    "UnknownResourceException",
    "InvalidStateTransitionException",
    "ResourceShareLimitExceededException",
}

# Where the operator CLI's AWS calls live: today in the layer, after the restructuring in cli/.
CLI_SOURCES = [
    *sorted((ROOT / "layers" / "linkpilot" / "linkpilot" / "commands").glob("*.py")),
    ROOT / "layers" / "linkpilot" / "linkpilot" / "status.py",
    *sorted((ROOT / "cli").rglob("*.py")),
]
# client attribute/variable name in the CLI code -> botocore service
CLI_CLIENTS = {"_cfn": "cloudformation", "_s3": "s3", "cloudwatch": "cloudwatch", "_cloudwatch": "cloudwatch"}


def test_there_are_fixtures() -> None:
    assert len(API) >= 40


@pytest.mark.parametrize("fx", ALL, ids=lambda f: f.name)
def test_fixture_has_source_and_honest_fields(fx: Fixture) -> None:
    source = fx.data["source"]
    assert source["kind"] in KINDS, source
    assert source["where"].strip(), "where the evidence was read"
    assert isinstance(fx.data["absent_keys"], list)
    assert isinstance(fx.data["unverified"], list)
    assert sum(k in fx.data for k in ("response", "error", "event")) == 1, "one of response/error/event"
    if source["kind"] == "botocore-model" and not fx.is_error:
        # the model gives shapes and enums, never observed values: nothing but placeholders and enum values
        assert fx.data["unverified"], "a model-only fixture says what it does not know"
    assert fx.name.split(".", 1)[0] == fx.service, "file name starts with the service"


@pytest.mark.parametrize("fx", [f for f in API if not f.is_error], ids=lambda f: f.name)
def test_response_fits_the_model(fx: Fixture) -> None:
    op = operation_model(fx)
    findings = list(walk(fx.data["response"], op.output_shape))
    case_only = sorted(f.path for f in findings if f.problem == "enum-case")
    assert [f for f in findings if f.problem != "enum-case"] == []
    # AWS examples print some enum values in another letter case than the model (EC2 State 'pending' vs
    # 'Pending'); compare case-insensitively, but only where the fixture says so
    assert case_only == sorted(fx.data.get("enum_case_differs", []))


@pytest.mark.parametrize("fx", API, ids=lambda f: f.name)
def test_request_keys_fit_the_model(fx: Fixture) -> None:
    op = operation_model(fx)
    assert [f for f in walk(fx.data["request"], op.input_shape) if f.problem != "enum-case"] == []


@pytest.mark.parametrize("fx", [f for f in API if f.is_error], ids=lambda f: f.name)
def test_error_code_is_one_the_model_lists(fx: Fixture) -> None:
    code = fx.data["error"]["Code"]
    assert code in error_codes(operation_model(fx)), f"{code} is not an error of {fx.operation}"
    assert fx.name.endswith(f".error.{code}")


@pytest.mark.parametrize("fx", API, ids=lambda f: f.name)
def test_absent_keys_are_model_members_and_really_absent(fx: Fixture) -> None:
    op = operation_model(fx)
    for path in fx.data["absent_keys"]:
        shape, value = op.output_shape, fx.data.get("response", {})
        parts = path.replace("[]", "").split(".")
        for i, part in enumerate(parts):
            while shape is not None and shape.type_name == "list":
                shape = shape.member  # type: ignore[attr-defined]
                value = value[0] if value else {}
            assert shape is not None and part in shape.members, f"{path}: {part} is no member"  # type: ignore[attr-defined]
            if i == len(parts) - 1:
                assert part not in value, f"{path} is recorded as absent but present"
            else:
                shape, value = shape.members[part], value.get(part, {})  # type: ignore[attr-defined]


def _granted_operations() -> dict[str, set[str]]:
    exceptions = yaml.safe_load((ROOT / "tests" / "reliability" / "iam_exceptions.yaml").read_text())
    not_called = exceptions.get("granted_not_called", {})
    granted: dict[str, set[str]] = {}
    for function, (template, logical_id) in FUNCTIONS.items():
        actions = granted_actions(function_statements(load_template(template), logical_id))
        granted[function] = {OPERATION_OF.get(a, a) for a in actions - set(not_called.get(function, {}))}
    return granted


# IAM actions whose API operation has another name (IAM service authorization reference)
OPERATION_OF = {"lambda:InvokeFunction": "lambda:Invoke"}


def test_every_operation_granted_to_a_function_has_a_fixture() -> None:
    """Controller, probe (granted nothing) and onboarding policies. Permission-only grants (iam:PassRole,
    CreateVpcEndpoint's dependent actions) are no API call; iam_exceptions.yaml lists them with reasons."""
    covered = {f.operation for f in API if not f.is_error}
    missing = {fn: sorted(ops - covered) for fn, ops in _granted_operations().items() if ops - covered}
    assert missing == {}
    assert _granted_operations()["controller"], "the parser found the controller's grants"


def _cli_operations() -> set[str]:
    ops: set[str] = set()
    # a call (client.op(...)), a paginator (client.get_paginator("op")) or an operation passed on (client.op)
    pattern = re.compile(
        r"\b(_cfn|_s3|_cloudwatch|cloudwatch)\.(?:get_paginator\(\s*\"([a-z_]+)\"|([a-z_]+)\b(?!\.))"
    )
    for path in CLI_SOURCES:
        if not path.exists():
            continue
        for client, paginated, method in pattern.findall(path.read_text()):
            name = paginated or method
            service = CLI_CLIENTS[client]
            by_snake = {xform_name(o): o for o in service_model(service).operation_names}
            assert name in by_snake, f"{path.name}: {service}.{name} is no operation"
            ops.add(f"{service}:{by_snake[name]}")
    return ops


def test_every_operation_the_cli_calls_has_a_fixture() -> None:
    ops = _cli_operations()
    assert {"cloudformation:CreateStackSet", "s3:PutObject", "cloudwatch:GetMetricData"} <= ops, ops
    covered = {f.operation for f in API if not f.is_error}
    assert sorted(ops - covered) == []


def test_the_operations_asked_for_explicitly_have_fixtures() -> None:
    covered = {f.operation for f in API if not f.is_error}
    assert sorted(REQUIRED - covered) == []


def test_every_ram_error_handled_by_name_has_a_fixture() -> None:
    recorded = {f.data["error"]["Code"] for f in API if f.is_error and f.service == "ram"}
    assert sorted(RAM_ERRORS_HANDLED - recorded) == []


def test_resource_endpoint_has_no_dns_entries_in_describe_vpc_endpoints() -> None:
    """The headline fact: a Resource endpoint's DNS names are not in DescribeVpcEndpoints."""
    described = fixture("ec2.DescribeVpcEndpoints.resource-endpoint")
    assert "VpcEndpoints[].DnsEntries" in described.data["absent_keys"]
    created = fixture("ec2.CreateVpcEndpoint.resource").data["response"]["VpcEndpoint"]
    assert created["VpcEndpointType"] == "Resource" and "DnsEntries" not in created
    associations = fixture("ec2.DescribeVpcEndpointAssociations").data["response"]
    association = associations["VpcEndpointAssociations"][0]
    assert association["DnsEntry"]["DnsName"].endswith(".on.aws")
    ec2 = service_model("ec2")
    assert "(Interface endpoint)" in ec2.shape_for("VpcEndpoint").members["DnsEntries"].documentation


def test_ram_event_fixture_names_the_documented_detail_type() -> None:
    event = fixture("events.ram.ResourceSharingStateChange").data["event"]
    assert event["source"] == "aws.ram"
    assert event["detail-type"] == "Resource Sharing State Change"
