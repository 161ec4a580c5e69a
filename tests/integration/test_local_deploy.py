"""The local deployer builds both real templates in the local AWS, and what it builds is usable."""

from __future__ import annotations

import pytest

from linkpilot.policy import parse_policy
from linkpilot_local.deploy import DeployError, deploy_stack

pytestmark = pytest.mark.integration


def vpc(session, cidr: str) -> tuple[str, list[str]]:
    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.rsplit(".", 2)[0]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.{i}.0/24", AvailabilityZone=z)["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate(["us-east-1a", "us-east-1b"])
    ]
    return vpc_id, subnets


def test_consumer_template_deploys_and_its_policy_document_parses(local_aws):
    session = local_aws.session("222222222222")
    vpc_id, subnets = vpc(session, "10.1.0.0/16")
    stack = deploy_stack(
        session,
        "template.yaml",
        stack_name="lp",
        parameters={
            "TrustedAccounts": ["111111111111", "111111111112"],
            "AllowedResourceConfigurationArns": [
                "arn:aws:vpc-lattice:*:111111111111:resourceconfiguration/*"
            ],
            "UntrustedInvitations": "reject",
            "EndpointVpcId": vpc_id,
            "EndpointSubnetIds": subnets,
            "ProbeSubnetIds": subnets,
            "ProbeSecurityGroupIds": ["sg-0123456789abcdef0"],
            "ProbeExpectedBody": "Hello, World!",
        },
    )
    document = session.client("ssm").get_parameter(Name=stack.physical["PolicyParameter"])["Parameter"][
        "Value"
    ]
    policy = parse_policy(document)  # the template's !Sub-built JSON is a valid policy
    assert policy.trusted_accounts == ("111111111111", "111111111112")
    assert policy.untrusted_invitations == "reject"
    assert policy.endpoint.subnet_ids == tuple(subnets)
    controller = stack.functions["ControllerFunction"]
    assert controller.environment["LINKPILOT_POLICY_PARAMETER"] == stack.physical["PolicyParameter"]
    assert controller.inbox_queue_url  # its EventBridge rules deliver somewhere the demo can read
    alarms = session.client("cloudwatch").describe_alarms()["MetricAlarms"]
    names = {a["AlarmName"] for a in alarms}
    assert stack.physical["ProbeTargetsFailingAlarm"] in names
    assert all(a["AlarmActions"] == [stack.physical["AlertsTopic"]] for a in alarms)


def test_provider_template_deploys_gateway_configuration_and_share(local_aws):
    session = local_aws.session("111111111111")
    vpc_id, subnets = vpc(session, "10.0.0.0/16")
    stack = deploy_stack(
        session,
        "provider/template.yaml",
        stack_name="lpp",
        parameters={"VpcId": vpc_id, "SubnetIds": subnets, "TargetDomainName": "hello.internal.example"},
    )
    cfg = session.client("vpc-lattice").get_resource_configuration(
        resourceConfigurationIdentifier=stack.outputs["ResourceConfigurationArn"]
    )
    assert cfg["resourceConfigurationDefinition"]["dnsResource"]["domainName"] == "hello.internal.example"
    shares = session.client("ram").get_resource_shares(resourceOwner="SELF")["resourceShares"]
    assert [s["resourceShareArn"] for s in shares] == [stack.outputs["ResourceShareArn"]]
    assert "SampleTargetInstance" in stack.skipped


def test_missing_parameters_are_refused_before_anything_is_created(local_aws):
    session = local_aws.session("222222222222")
    with pytest.raises(DeployError, match="EndpointVpcId"):
        deploy_stack(session, "template.yaml", stack_name="lp", parameters={})
    assert session.client("ssm").describe_parameters()["Parameters"] == []
