"""Static checks of the controller's part of template.yaml that sam validate / cfn-lint do not make:
least privilege (exactly the calls the adapters make, no wildcard actions, valid condition keys) and the
policy parameter rendering to a policy that validates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data

from linkpilot.consumer.policy import parse_policy
from linkpilot_local.cfn import load_template

ROOT = Path(__file__).parents[3]
ADAPTERS = ROOT / "layers" / "linkpilot" / "linkpilot" / "aws"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    raw = template["Resources"]["ControllerFunction"]["Properties"]["Policies"][0]["Statement"]
    # a conditional statement is {"Fn::If": [condition, statement, NoValue]}: check the statement it adds
    return [s["Fn::If"][1] if "Fn::If" in s else s for s in raw]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# boto3 client attribute in each adapter -> IAM service prefix
_CLIENTS = {"_ram": "ram", "_ec2": "ec2", "_scheduler": "scheduler", "_ddb": "dynamodb", "_sns": "sns"}
_CONTROLLER_ADAPTERS = [
    "ram_consumer.py",
    "ec2_endpoints.py",
    "probe_schedules.py",
    "audit.py",
    "notify.py",
]


def _adapter_calls() -> set[str]:
    calls = set()
    for name in _CONTROLLER_ADAPTERS:
        text = (ADAPTERS / name).read_text()
        # a paginator makes the calls of the operation it is named after: get_paginator("list_schedules")
        found = re.findall(r"self\.(_[a-z0-9]+)\.get_paginator\(\s*\"([a-z_]+)\"", text)
        found += [
            (attr, op)
            for attr, op in re.findall(r"self\.(_[a-z0-9]+)\.([a-z_]+)\(", text)
            if op != "get_paginator"
        ]
        for attr, op in found:
            calls.add(f"{_CLIENTS[attr]}:{''.join(p.title() for p in op.split('_'))}")
    return calls


def test_controller_grants_exactly_the_calls_it_makes(template):
    granted = {a for s in _statements(template) for a in _as_list(s["Action"])}
    made = _adapter_calls() | {"ssm:GetParameter"}  # the handler's policy load (Powertools parameters)
    # iam:PassRole for the probe schedule; CreateVpcEndpoint's dependent actions per the IAM reference
    dependent = {
        "iam:PassRole",
        "ec2:CreateTags",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "route53:AssociateVPCWithHostedZone",
    }
    assert made <= granted, made - granted
    assert granted - made == dependent


def test_no_wildcard_actions_and_conditions_are_valid_keys(template):
    for statement in _statements(template):
        for action in _as_list(statement["Action"]):
            assert "*" not in action
            service, name = action.split(":")
            data = get_action_data(service, name)
            assert data, f"{action} is not a known IAM action"
            keys = {k for row in data[service] for k in row["condition_keys"]}
            for _op, conditions in statement.get("Condition", {}).items():
                for key in conditions:
                    generic = re.sub(r"/[^/]+$", "/${TagKey}", key) if "Tag/" in key else key
                    assert key in keys or generic in keys, f"{key} is not a condition key of {action}"
        if statement["Resource"] == "*":
            # only actions that support no resource-level permissions may use "*"
            for action in _as_list(statement["Action"]):
                service, name = action.split(":")
                formats = {row["resource_arn_format"] for row in get_action_data(service, name)[service]}
                assert formats == {"*"}, f"{action} supports resource ARNs; do not grant it on *"


def test_accept_is_limited_to_trusted_owners_and_deletes_to_managed_endpoints(template):
    by_sid = {s["Sid"]: s for s in _statements(template)}
    accept = by_sid["RamInspectAndAcceptTrustedSharesOnly"]
    assert accept["Condition"]["StringEquals"]["ram:ShareOwnerAccountId"] == {"Ref": "TrustedAccounts"}
    assert by_sid["DeleteOnlyManagedEndpoints"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/linkpilot:managed": "true"}
    }
    assert by_sid["CreateOnlyManagedTaggedEndpoints"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/linkpilot:managed": "true"}
    }
    assert by_sid["TagEndpointsOnlyWhileCreatingThem"]["Condition"] == {
        "StringEquals": {"ec2:CreateAction": "CreateVpcEndpoint"}
    }


def test_triggers_retries_dead_letter_queue_and_alarms(template):
    fn = template["Resources"]["ControllerFunction"]["Properties"]
    events = fn["Events"]
    assert events["RamStateChange"]["Properties"]["Pattern"] == {
        "source": ["aws.ram"],
        "detail-type": ["Resource Sharing State Change"],
    }
    assert events["ReconcileTimer"]["Properties"]["Schedule"] == {"Ref": "ReconcileSchedule"}
    assert template["Parameters"]["ReconcileSchedule"]["Default"] == "rate(5 minutes)"
    assert template["Parameters"]["ProbeScheduleExpression"]["Default"] == "rate(1 minute)"
    assert events["PolicyChanged"]["Properties"]["Pattern"]["detail"] == {
        "name": [{"Ref": "PolicyParameter"}]
    }
    on_failure = fn["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    assert fn["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    resources = template["Resources"]
    assert resources["AuditTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    for alarm in ("ReconcileErrorsAlarm", "PolicyErrorsAlarm", "ControllerDeadLetterAlarm"):
        assert resources[alarm]["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    assert resources["ReconcileErrorsAlarm"]["Properties"]["Namespace"] == "Linkpilot"


# --- the policy parameter renders to a valid policy ----------------------------------------------------
def _resolve(node: Any, params: dict[str, Any], conditions: dict[str, bool], local: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(n, params, conditions, local) for n in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return local.get(arg, params.get(arg, f"<{arg}>"))
        if fn == "Fn::If":
            return _resolve(arg[1] if conditions[arg[0]] else arg[2], params, conditions, local)
        if fn == "Fn::Join":
            return arg[0].join(_resolve(arg[1], params, conditions, local))
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else arg
            values = {**local, **{k: _resolve(v, params, conditions, local) for k, v in variables.items()}}
            return re.sub(
                r"\$\{([^}]+)\}", lambda m: str(values.get(m.group(1), params.get(m.group(1), ""))), text
            )
    return {k: _resolve(v, params, conditions, local) for k, v in node.items()}


def _render_policy(template: dict[str, Any], **overrides: Any) -> str:
    params = {k: v.get("Default") for k, v in template["Parameters"].items()}
    params.update(
        EndpointVpcId="vpc-0123456789abcdef0",
        EndpointSubnetIds=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        **overrides,
    )
    for name, spec in template["Parameters"].items():
        if spec["Type"] == "CommaDelimitedList" and isinstance(params[name], str):
            params[name] = params[name].split(",")
    conditions = {
        "HasTrustedAccounts": params["TrustedAccounts"] != [""],
        "HasAllowedArns": params["AllowedResourceConfigurationArns"] != [""],
        "HasEndpointSecurityGroups": params["EndpointSecurityGroupIds"] != [""],
        "HasProbeExpectedBody": params["ProbeExpectedBody"] != "",
        "EndpointPrivateDnsOn": params["EndpointPrivateDns"] == "true",
    }
    assert set(conditions) <= set(template["Conditions"])
    value = template["Resources"]["PolicyParameter"]["Properties"]["Value"]
    return str(_resolve(value, params, conditions, {}))


def test_policy_parameter_with_defaults_trusts_nobody(template):
    policy = parse_policy(_render_policy(template))
    assert policy.trusted_accounts == ()
    assert policy.allowed_resource_configuration_arns is None
    assert policy.endpoint.security_group_ids == ()
    assert policy.probe.defaults.expected_body is None
    assert policy.delete_endpoints_on_unshare is True


def test_policy_parameter_with_every_value_set(template):
    policy = parse_policy(
        _render_policy(
            template,
            TrustedAccounts=["111111111111", "222222222222"],
            AllowedResourceConfigurationArns=["arn:aws:vpc-lattice:*:111111111111:resourceconfiguration/*"],
            UntrustedInvitations="reject",
            EndpointSecurityGroupIds=["sg-0bbbbbbbbbbbbbbb1"],
            EndpointPrivateDns="true",
            EndpointIpAddressType="dualstack",
            DeleteEndpointsOnUnshare="false",
            ProbePort=443,
            ProbePath="/health",
            ProbeScheme="https",
            ProbeExpectedStatus=204,
            ProbeExpectedBody="Hello, World!",
            ProbeTimeoutSeconds=3,
        )
    )
    assert policy.trusted_accounts == ("111111111111", "222222222222")
    assert policy.untrusted_invitations == "reject"
    assert policy.endpoint.private_dns is True and policy.endpoint.ip_address_type == "dualstack"
    assert policy.delete_endpoints_on_unshare is False
    assert policy.probe.defaults.expected_body == "Hello, World!"
    assert policy.probe.defaults.port == 443 and policy.probe.defaults.timeout_s == 3
    assert policy.probe.defaults.kind == "https"


def test_every_probe_kind_the_stack_parameter_allows_is_a_policy_kind(template):
    from linkpilot.probe import contract as c

    allowed = template["Parameters"]["ProbeScheme"]["AllowedValues"]
    assert tuple(allowed) == c.KINDS
    for kind in allowed:
        assert parse_policy(_render_policy(template, ProbeScheme=kind)).probe.defaults.kind == kind
