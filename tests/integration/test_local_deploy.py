"""The local deployer builds both real templates in the local AWS, and what it builds is usable."""

from __future__ import annotations

import pytest

from linkpilot.consumer.policy import parse_policy
from linkpilot_local.deploy import DeployError, deploy_stack, stackset_instance_stack_name, write_baseline
from linkpilot_local.fixtures import make_vpc

pytestmark = pytest.mark.integration


BASELINE = {
    "EndpointVpcId": "/linkpilot/consumer/endpoint-vpc-id",
    "EndpointSubnetIds": "/linkpilot/consumer/endpoint-subnet-ids",
    "ProbeSecurityGroupIds": "/linkpilot/consumer/probe-security-group-ids",
}


def test_consumer_template_deploys_and_its_policy_document_parses(local_aws):
    session = local_aws.session("222222222222")
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    # the account baseline: per-account values in SSM, named by the template's defaults
    written = write_baseline(
        session,
        "template.yaml",
        {
            "EndpointVpcId": vpc_id,
            "EndpointSubnetIds": subnets,
            "ProbeSecurityGroupIds": ["sg-0123456789abcdef0"],
        },
    )
    assert written == BASELINE
    # the name a StackSet gives the instance stack, with a set name that makes it 128 characters long
    longest = stackset_instance_stack_name("s" * (128 - len("StackSet--") - 36))
    assert len(longest) == 128
    stack = deploy_stack(
        session,
        "template.yaml",
        stack_name=longest,
        parameters={  # no per-account value: what a StackSet passes to every account
            "TrustedAccounts": ["111111111111", "111111111112"],
            "AllowedResourceConfigurationArns": [
                "arn:aws:vpc-lattice:*:111111111111:resourceconfiguration/*"
            ],
            "UntrustedInvitations": "reject",
            "ProbeExpectedBody": "Hello, World!",
        },
    )
    assert stack.parameters["EndpointVpcId"] == vpc_id
    assert stack.parameters["EndpointSubnetIds"] == subnets
    assert stack.parameters["ProbeSecurityGroupIds"] == ["sg-0123456789abcdef0"]
    assert stack.parameters["ProbeSubnetIds"] == [] and stack.parameters["EndpointSecurityGroupIds"] == []
    document = session.client("ssm").get_parameter(Name=stack.physical["PolicyParameter"])["Parameter"][
        "Value"
    ]
    policy = parse_policy(document)  # the template's !Sub-built JSON is a valid policy
    assert policy.trusted_accounts == ("111111111111", "111111111112")
    assert policy.untrusted_invitations == "reject"
    assert policy.endpoint.vpc_id == vpc_id
    assert policy.endpoint.subnet_ids == tuple(subnets)
    controller = stack.functions["ControllerFunction"]
    assert controller.environment["LINKPILOT_POLICY_PARAMETER"] == stack.physical["PolicyParameter"]
    assert controller.inbox_queue_url  # its EventBridge rules deliver somewhere the demo can read
    alarms = session.client("cloudwatch").describe_alarms()["MetricAlarms"]
    names = {a["AlarmName"] for a in alarms}
    assert stack.physical["ProbeTargetsFailingAlarm"] in names
    assert all(a["AlarmActions"] == [stack.physical["AlertsTopic"]] for a in alarms)
    assert all(a["OKActions"] == a["AlarmActions"] for a in alarms)  # the topic hears the all-clear too
    # no AlertEmail: no subscription (AlertEmailSubscription's condition is false)
    assert "AlertEmailSubscription" in stack.skipped
    topic_subscriptions = session.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.physical["AlertsTopic"]
    )
    assert topic_subscriptions["Subscriptions"] == []


def test_alert_email_subscribes_the_address_to_the_alerts_topic(local_aws):
    session = local_aws.session("222222222222")
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    write_baseline(
        session,
        "template.yaml",
        {
            "EndpointVpcId": vpc_id,
            "EndpointSubnetIds": subnets,
            "ProbeSecurityGroupIds": ["sg-0123456789abcdef0"],
        },
    )
    stack = deploy_stack(
        session, "template.yaml", stack_name="lp", parameters={"AlertEmail": "ops@example.com"}
    )
    subscriptions = session.client("sns").list_subscriptions_by_topic(TopicArn=stack.physical["AlertsTopic"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [
        ("email", "ops@example.com")
    ]


def test_provider_template_deploys_gateway_configuration_and_share(local_aws):
    session = local_aws.session("111111111111")
    vpc_id, subnets = make_vpc(session, "10.0.0.0/16")
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


def test_ssm_parameter_names_can_be_overridden_and_a_comma_separated_string_is_a_list(local_aws):
    session = local_aws.session("222222222222")
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/team-a/vpc", Type="String", Value=vpc_id)
    ssm.put_parameter(Name="/team-a/subnets", Type="String", Value=" , ".join(subnets))
    ssm.put_parameter(Name="/team-a/probe-sgs", Type="StringList", Value="sg-0123456789abcdef0")
    stack = deploy_stack(
        session,
        "template.yaml",
        stack_name="lp",
        parameters={
            "EndpointVpcId": "/team-a/vpc",
            "EndpointSubnetIds": "/team-a/subnets",
            "ProbeSecurityGroupIds": "/team-a/probe-sgs",
        },
    )
    document = ssm.get_parameter(Name=stack.physical["PolicyParameter"])["Parameter"]["Value"]
    assert parse_policy(document).endpoint.subnet_ids == tuple(subnets)
    assert parse_policy(document).endpoint.vpc_id == vpc_id


def test_a_missing_baseline_parameter_is_named_and_nothing_is_created(local_aws):
    session = local_aws.session("222222222222")
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    write_baseline(session, "template.yaml", {"EndpointVpcId": vpc_id, "EndpointSubnetIds": subnets})
    with pytest.raises(
        DeployError, match="ProbeSecurityGroupIds: SSM parameter /linkpilot/consumer/probe-sec"
    ):
        deploy_stack(session, "template.yaml", stack_name="lp", parameters={})
    names = {p["Name"] for p in session.client("ssm").describe_parameters()["Parameters"]}
    assert names == {BASELINE["EndpointVpcId"], BASELINE["EndpointSubnetIds"]}  # no stack resource
    assert session.client("sns").list_topics()["Topics"] == []


def test_a_plain_value_for_an_ssm_typed_parameter_is_refused(local_aws):
    session = local_aws.session("222222222222")
    with pytest.raises(DeployError, match=r"EndpointSubnetIds .* takes the name of an SSM parameter"):
        deploy_stack(
            session, "template.yaml", stack_name="lp", parameters={"EndpointSubnetIds": ["subnet-1"]}
        )
    with pytest.raises(DeployError, match=r"unknown parameters: EndpointVpc$"):
        deploy_stack(session, "template.yaml", stack_name="lp", parameters={"EndpointVpc": "vpc-1"})


def test_missing_parameters_are_refused_before_anything_is_created(local_aws):
    session = local_aws.session("111111111111")
    with pytest.raises(DeployError, match="VpcId, SubnetIds"):
        deploy_stack(session, "provider/template.yaml", stack_name="lpp", parameters={})
    assert session.client("ssm").describe_parameters()["Parameters"] == []


def test_a_stack_name_cloudformation_refuses_is_refused(local_aws):
    session = local_aws.session("222222222222")
    for bad in ("StackSet-" + "s" * 120, "1-starts-with-a-digit", "has_underscore"):
        with pytest.raises(DeployError, match="stack name"):
            deploy_stack(session, "template.yaml", stack_name=bad, parameters={})
