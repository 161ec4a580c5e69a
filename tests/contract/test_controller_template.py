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
from linkpilot.consumer.uninstall import CLEANUP_LOGICAL_ID, CLEANUP_RESOURCE_TYPE
from linkpilot_local.cfn import load_template

ROOT = Path(__file__).parents[2]
ADAPTERS = ROOT / "layers" / "linkpilot" / "linkpilot" / "aws"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    raw = template["Resources"]["ControllerFunction"]["Properties"]["Policies"][0]["Statement"]
    # a conditional statement is {"Fn::If": [condition, statement, NoValue or another statement]}: check each
    # statement it can add
    out = []
    for s in raw:
        branches = s["Fn::If"][1:] if "Fn::If" in s else [s]
        out.extend(b for b in branches if b != {"Ref": "AWS::NoValue"})
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# boto3 client attribute in each adapter -> IAM service prefix
_CLIENTS = {
    "_ram": "ram",
    "_ec2": "ec2",
    "_scheduler": "scheduler",
    "_ddb": "dynamodb",
    "_sns": "sns",
    "_ssm": "ssm",
    "_events": "events",
    "_lattice": "vpc-lattice",
    "_sqs": "sqs",
    "_lambda": "lambda",
}
# API operations whose IAM action has another name
_IAM_NAMES = {"lambda:Invoke": "lambda:InvokeFunction"}
_CONTROLLER_ADAPTERS = [
    "ram_consumer.py",
    "ec2_endpoints.py",
    "lattice_associations.py",
    "probe_schedules.py",
    "audit.py",
    "notify.py",
    "ssm_directory.py",
    "events.py",
    "state_table.py",
    "follow_up_queue.py",
    "probe_now.py",
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
            call = f"{_CLIENTS[attr]}:{''.join(p.title() for p in op.split('_'))}"
            calls.add(_IAM_NAMES.get(call, call))
    return calls


def test_controller_grants_exactly_the_calls_it_makes(template):
    granted = {a for s in _statements(template) for a in _as_list(s["Action"])}
    made = _adapter_calls() | {"ssm:GetParameter"}  # the handler's policy load (Powertools parameters)
    # iam:PassRole for the probe schedule; CreateVpcEndpoint's dependent actions per the IAM reference
    dependent = {
        "iam:PassRole",
        "ec2:CreateTags",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "route53:AssociateVPCWithHostedZone",
        # permission-only, needed by CreateVpcEndpoint of type ServiceNetwork (granted when service networks
        # are taken)
        "vpc-lattice:CreateServiceNetworkVpcEndpointAssociation",
        # the tags given to CreateServiceNetworkVpcAssociation are authorized as TagResource
        "vpc-lattice:TagResource",
        # what Lambda's event source mapping reads the follow-up queue with, on the function's behalf
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
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
    reject = by_sid["RamRejectUntrustedInvitationsOnly"]
    assert reject["Condition"] == {"StringNotEquals": {"ram:ShareOwnerAccountId": {"Ref": "TrustedAccounts"}}}
    assert by_sid["DeleteOnlyManagedEndpoints"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/linkpilot:managed": "true"},
        "Null": {
            "aws:ResourceTag/linkpilot:resource-configuration-arn": "false",
            "ec2:VpceServiceName": "true",
        },
    }
    assert by_sid["TagEndpointsOnlyWhileCreatingThem"]["Condition"] == {
        "StringEquals": {"ec2:CreateAction": "CreateVpcEndpoint"}
    }


def test_creates_hold_the_managed_tag_and_the_private_dns_preference(template):
    creates = [s for s in _statements(template) if s["Sid"] == "CreateOnlyManagedTaggedEndpoints"]
    assert len(creates) == 2  # private DNS on / off
    on, off = creates
    domains = {
        "ForAllValues:StringEquals": {
            "ec2:VpcePrivateDnsSpecifiedDomains": {"Ref": "EndpointPrivateDnsDomains"}
        }
    }
    preference = {"ec2:VpcePrivateDnsPreference": {"Ref": "EndpointPrivateDnsPreference"}}
    # no service name: Resource and ServiceNetwork endpoints only, never an Interface/Gateway endpoint of any
    # account's service (issue 22.6; UNVERIFIED that the key is absent for a Resource endpoint)
    no_service = {"Null": {"ec2:VpceServiceName": "true"}}
    assert on["Condition"] == {
        "StringEquals": {"aws:RequestTag/linkpilot:managed": "true", **preference},
        **domains,
        **no_service,
    }
    assert off["Condition"] == {
        "StringEquals": {"aws:RequestTag/linkpilot:managed": "true"},
        "StringEqualsIfExists": preference,
        **domains,
        **no_service,
    }
    allowed = template["Parameters"]["EndpointPrivateDnsPreference"]["AllowedValues"]
    assert "ALL_DOMAINS" not in allowed and template["Parameters"]["EndpointPrivateDnsPreference"][
        "Default"
    ] == ("VERIFIED_DOMAINS_ONLY")


def test_private_dns_associates_only_the_policy_vpc(template):
    (r53,) = [s for s in _statements(template) if s["Action"] == "route53:AssociateVPCWithHostedZone"]
    assert r53["Condition"] == {
        "ForAllValues:StringEquals": {
            "route53:VPCs": {"Fn::Sub": "VPCId=${EndpointVpcId},VPCRegion=${AWS::Region}"}
        },
        "Null": {"route53:VPCs": "false"},
    }


def test_state_table_grants_only_the_lease_and_grace_items(template):
    (state,) = [s for s in _statements(template) if s["Sid"] == "RunLeaseAndGraceMarks"]
    assert state["Resource"] == {"Fn::GetAtt": ["StateTable", "Arn"]}
    assert state["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["lease#reconcile", "grace#endpoints"]}
    }
    env = template["Resources"]["ControllerFunction"]["Properties"]["Environment"]["Variables"]
    timeout = template["Resources"]["ControllerFunction"]["Properties"]["Timeout"]
    assert int(env["LINKPILOT_LEASE_SECONDS"]) > timeout  # Lambda ends a holder before its lease expires
    assert "ReservedConcurrentExecutions" not in template["Resources"]["ControllerFunction"]["Properties"]


def test_endpoints_get_the_stacks_security_group_unless_the_operator_names_one(template):
    sg = template["Resources"]["EndpointSecurityGroup"]
    assert sg["Condition"] == "NoEndpointSecurityGroups"
    policy = template["Resources"]["PolicyParameter"]["Properties"]["Value"]["Fn::Sub"][1]["Groups"]
    assert policy["Fn::If"][:2] == ["NoEndpointSecurityGroups", {"Fn::Sub": '["${EndpointSecurityGroup}"]'}]
    (ingress,) = sg["Properties"]["SecurityGroupIngress"]
    assert ingress["SourceSecurityGroupId"] == {"Fn::Select": [0, {"Ref": "ProbeSecurityGroupIds"}]}
    assert ingress["FromPort"] == ingress["ToPort"] == {"Ref": "ProbePort"}


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
        "HasServiceNetworks": params["AllowedServiceNetworkArns"] != [""],
        "NoEndpointSecurityGroups": params["EndpointSecurityGroupIds"] == [""],
        "HasPrivateDnsDomains": params["EndpointPrivateDnsDomains"] != [""],
        "HasProbeExpectedBody": params["ProbeExpectedBody"] != "",
        "EndpointPrivateDnsOn": params["EndpointPrivateDns"] == "true",
    }
    assert set(conditions) <= set(template["Conditions"])
    value = template["Resources"]["PolicyParameter"]["Properties"]["Value"]
    stack_group = {"EndpointSecurityGroup": STACK_GROUP}  # the stack's own group's id
    return str(_resolve(value, params, conditions, stack_group))


STACK_GROUP = "sg-0ccccccccccccccc1"


def test_policy_parameter_with_defaults_trusts_nobody(template):
    policy = parse_policy(_render_policy(template))
    assert policy.trusted_accounts == ()
    assert policy.allowed_resource_configuration_arns is None
    assert policy.endpoint.security_group_ids == (STACK_GROUP,)  # never the VPC's default group
    assert policy.endpoint.private_dns_preference == "VERIFIED_DOMAINS_ONLY"
    assert policy.endpoint.private_dns_specified_domains == ()
    assert policy.probe.defaults.expected_body is None
    assert policy.delete_endpoints_on_unshare is True
    assert policy.unshare_grace_minutes == 15
    assert policy.service_networks is None  # no service network is taken unless the stack names some


def test_policy_parameter_with_every_value_set(template):
    policy = parse_policy(
        _render_policy(
            template,
            TrustedAccounts=["111111111111", "222222222222"],
            AllowedResourceConfigurationArns=["arn:aws:vpc-lattice:*:111111111111:resourceconfiguration/*"],
            AllowedServiceNetworkArns=[
                "arn:aws:vpc-lattice:*:111111111111:servicenetwork/*",
                "arn:aws:vpc-lattice:*:222222222222:servicenetwork/sn-0123456789abcdef0",
            ],
            UntrustedInvitations="reject",
            EndpointSecurityGroupIds=["sg-0bbbbbbbbbbbbbbb1"],
            EndpointPrivateDns="true",
            EndpointPrivateDnsPreference="SPECIFIED_DOMAINS_ONLY",
            EndpointPrivateDnsDomains=["db.example.com", "*.api.example.com"],
            UnshareGraceMinutes=60,
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
    assert policy.endpoint.security_group_ids == ("sg-0bbbbbbbbbbbbbbb1",)
    assert policy.endpoint.private_dns_preference == "SPECIFIED_DOMAINS_ONLY"
    assert policy.endpoint.private_dns_specified_domains == ("db.example.com", "*.api.example.com")
    assert policy.unshare_grace_minutes == 60
    assert policy.delete_endpoints_on_unshare is False
    assert policy.service_networks is not None and policy.service_networks.mode == "endpoint"
    assert policy.service_networks.allowed_arns == (
        "arn:aws:vpc-lattice:*:111111111111:servicenetwork/*",
        "arn:aws:vpc-lattice:*:222222222222:servicenetwork/sn-0123456789abcdef0",
    )
    assert policy.probe.defaults.expected_body == "Hello, World!"
    assert policy.probe.defaults.port == 443 and policy.probe.defaults.timeout_s == 3
    assert policy.probe.defaults.kind == "https"


def test_every_probe_kind_the_stack_parameter_allows_is_a_policy_kind(template):
    from linkpilot.probe import contract as c

    allowed = template["Parameters"]["ProbeScheme"]["AllowedValues"]
    assert tuple(allowed) == c.KINDS
    for kind in allowed:
        assert parse_policy(_render_policy(template, ProbeScheme=kind)).probe.defaults.kind == kind


def test_stack_delete_removes_managed_endpoints_only_when_asked(template):
    cleanup = template["Resources"]["ManagedEndpointsCleanup"]
    assert cleanup["Type"] == "Custom::LinkpilotManagedEndpoints"
    assert cleanup["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["ControllerFunction", "Arn"]},
        "DeleteManagedEndpoints": {"Ref": "DeleteEndpointsOnStackDelete"},
        "StateTable": {"Ref": "StateTable"},  # deleted before the table that holds the lease it keeps
    }
    assert template["Parameters"]["DeleteEndpointsOnStackDelete"]["Default"] == "false"


def test_the_function_knows_its_stack_and_the_cleanup_resource_it_answers(template):
    """Issue 22.1: the controller answers only its own stack's cleanup resource, as declared here."""
    env = template["Resources"]["ControllerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LINKPILOT_STACK_ID"] == {"Ref": "AWS::StackId"}
    customs = {k: r["Type"] for k, r in template["Resources"].items() if r["Type"].startswith("Custom::")}
    assert customs == {CLEANUP_LOGICAL_ID: CLEANUP_RESOURCE_TYPE}


def test_only_the_stacks_rules_schedule_and_cloudformation_can_be_granted_invoke(template):
    """Issue 22.1: no resource policy of the template lets anyone else invoke a function. The controller's
    only events are EventBridge rules and a schedule (SAM gives each a Lambda permission for
    events.amazonaws.com with SourceArn = that rule); no function URL, no other event source, no explicit
    permission; the only IAM grants of lambda:InvokeFunction are on the probe: the probe scheduler role's and
    the controller's (new targets probed at once). The controller's follow-up queue reaches it through an
    event source mapping of the stack's own (Lambda polls with the function's role: no resource policy)."""
    resources = template["Resources"]
    controller = resources["ControllerFunction"]["Properties"]
    assert {e["Type"] for e in controller["Events"].values()} == {"EventBridgeRule", "Schedule"}
    for name, fn in resources.items():
        if fn["Type"] == "AWS::Serverless::Function":
            assert "FunctionUrlConfig" not in fn["Properties"], name
            assert "AutoPublishAlias" not in fn["Properties"], name
    assert "Events" not in resources["ProbeFunction"]["Properties"]  # invoked by its schedules' role only
    assert not [
        k for k, r in resources.items() if r["Type"] in {"AWS::Lambda::Permission", "AWS::Lambda::Url"}
    ]
    grants = []
    for name, resource in resources.items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            document = policy.get("PolicyDocument", policy) if isinstance(policy, dict) else {}
            for statement in document.get("Statement", []):
                branches = statement["Fn::If"][1:] if "Fn::If" in statement else [statement]
                for st in branches:
                    if isinstance(st, dict) and "lambda:" in str(st.get("Action", "")):
                        grants.append((name, st["Action"], st["Resource"]))
    assert grants == [
        ("ControllerFunction", "lambda:InvokeFunction", {"Fn::GetAtt": ["ProbeFunction", "Arn"]}),
        ("ProbeSchedulerRole", "lambda:InvokeFunction", {"Fn::GetAtt": ["ProbeFunction", "Arn"]}),
    ]
    mappings = {
        k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    assert mappings == {
        "FollowUpRuns": {
            "EventSourceArn": {"Fn::GetAtt": ["FollowUpQueue", "Arn"]},
            "FunctionName": {"Ref": "ControllerFunction"},
            "BatchSize": 1,
            "Enabled": True,
        }
    }


def test_service_network_endpoints_are_deleted_by_their_tag_and_need_a_grant_only_with_networks(template):
    """A managed ServiceNetwork endpoint names its network (not a configuration): its own delete statement,
    as narrow as the resource endpoints' one; the permission-only association grant exists only when the
    stack takes service networks."""
    raw = template["Resources"]["ControllerFunction"]["Properties"]["Policies"][0]["Statement"]
    by_sid = {s.get("Sid"): s for s in _statements(template)}
    delete = by_sid["DeleteOnlyManagedServiceNetworkEndpoints"]
    assert delete["Action"] == "ec2:DeleteVpcEndpoints"
    assert delete["Condition"] == {
        "StringEquals": {"aws:ResourceTag/linkpilot:managed": "true"},
        "Null": {"aws:ResourceTag/linkpilot:service-network-arn": "false", "ec2:VpceServiceName": "true"},
    }
    (conditional,) = [
        s for s in raw if "Fn::If" in s and s["Fn::If"][1].get("Sid") == "ServiceNetworkEndpointAssociation"
    ]
    condition, grant, otherwise = conditional["Fn::If"]
    assert (condition, otherwise) == ("HasServiceNetworks", {"Ref": "AWS::NoValue"})
    assert grant["Action"] == "vpc-lattice:CreateServiceNetworkVpcEndpointAssociation"
    assert template["Conditions"]["HasServiceNetworks"] == {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "AllowedServiceNetworkArns"}]}, ""]}]
    }


def test_service_network_associations_are_granted_only_as_the_mode_needs(template):
    """Read and delete (managed-tag guarded) whenever the stack takes service networks, so that a mode
    change removes what association mode made; create and its tagging only in association mode, for the
    policy's VPC, an allowed network and the endpoint security groups."""
    raw = template["Resources"]["ControllerFunction"]["Properties"]["Policies"][0]["Statement"]
    conditional = {s["Fn::If"][1]["Sid"]: s["Fn::If"][0] for s in raw if "Fn::If" in s}
    assert conditional["ReadServiceNetworkVpcAssociations"] == "HasServiceNetworks"
    assert conditional["DeleteOnlyManagedServiceNetworkVpcAssociations"] == "HasServiceNetworks"
    assert conditional["CreateManagedServiceNetworkVpcAssociationsOfThePolicyVpcOnly"] == (
        "ServiceNetworkAssociations"
    )
    assert (
        conditional["TagServiceNetworkVpcAssociationsOnlyWhileCreatingThem"] == "ServiceNetworkAssociations"
    )
    assert template["Conditions"]["ServiceNetworkAssociations"] == {
        "Fn::And": [
            {"Condition": "HasServiceNetworks"},
            {"Fn::Equals": [{"Ref": "ServiceNetworkMode"}, "association"]},
        ]
    }
    by_sid = {s["Sid"]: s for s in _statements(template)}
    assert by_sid["DeleteOnlyManagedServiceNetworkVpcAssociations"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/linkpilot:managed": "true"},
        "Null": {"aws:ResourceTag/linkpilot:service-network-arn": "false"},
    }
    create = by_sid["CreateManagedServiceNetworkVpcAssociationsOfThePolicyVpcOnly"]["Condition"]
    assert create["StringEquals"] == {
        "vpc-lattice:VpcId": {"Ref": "EndpointVpcId"},
        "aws:RequestTag/linkpilot:managed": "true",
    }
    assert create["ArnLike"] == {"vpc-lattice:ServiceNetworkArn": {"Ref": "AllowedServiceNetworkArns"}}
    assert create["StringEqualsIfExists"] == {
        "vpc-lattice:PrivateDnsPreference": {"Ref": "EndpointPrivateDnsPreference"}
    }
    domains = create["ForAllValues:StringEquals"]["vpc-lattice:PrivateDnsSpecifiedDomains"]
    assert domains == {"Ref": "EndpointPrivateDnsDomains"}
    groups = create["ForAllValues:StringEquals"]["vpc-lattice:SecurityGroupIds"]["Fn::If"]
    assert groups == [
        "NoEndpointSecurityGroups",
        [{"Ref": "EndpointSecurityGroup"}],
        {"Ref": "EndpointSecurityGroupIds"},
    ]
    assert by_sid["TagServiceNetworkVpcAssociationsOnlyWhileCreatingThem"]["Condition"] == {
        "StringEquals": {"vpc-lattice:CreateAction": "CreateServiceNetworkVpcAssociation"}
    }
    env = template["Resources"]["ControllerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["LINKPILOT_SERVICE_NETWORK_ASSOCIATIONS"] == {
        "Fn::If": ["HasServiceNetworks", "true", "false"]
    }
    networks = template["Resources"]["PolicyParameter"]["Properties"]["Value"]["Fn::Sub"][1]["Networks"]
    assert '"mode": "${ServiceNetworkMode}"' in networks["Fn::If"][1]["Fn::Sub"][0]
