"""Static checks of provider/template.yaml that sam validate / cfn-lint do not make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linkpilot_local.cfn import load_template

TEMPLATE = Path(__file__).parents[2] / "provider" / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def test_runtime_architecture_and_layer(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    layer = template["Resources"]["LinkpilotLayer"]
    assert layer["Properties"]["ContentUri"] == "../layers/linkpilot/"
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}


# The onboarding function's least-privilege check lives in tests/reliability/test_iam_exactness.py, with
# the other functions' (static and against the calls recorded across the integration suite).


def test_share_principals_are_left_to_the_onboarding_function(template: dict[str, Any]) -> None:
    share = template["Resources"]["ResourceShare"]["Properties"]
    assert "Principals" not in share
    assert share["AllowExternalPrincipals"] == {"Ref": "AllowExternalPrincipals"}


def test_triggers_are_the_parameter_change_and_a_schedule(template: dict[str, Any]) -> None:
    events = template["Resources"]["OnboardingFunction"]["Properties"]["Events"]
    pattern = events["ConsumerListChanged"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.ssm"]
    assert pattern["detail-type"] == ["Parameter Store Change"]
    assert pattern["detail"]["name"] == [{"Ref": "ConsumerListParameter"}]
    assert events["Schedule"]["Properties"]["ScheduleExpression"] == {"Ref": "OnboardingSchedule"}


def test_sample_target_is_reachable_only_from_the_gateway_and_requires_imdsv2(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    ingress = resources["SampleTargetSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ingress == [
        {
            "IpProtocol": "tcp",
            "FromPort": 8080,
            "ToPort": 8080,
            "SourceSecurityGroupId": {"Fn::GetAtt": ["ResourceGatewaySecurityGroup", "GroupId"]},
            "Description": "HTTP responder, reachable from the resource gateway only",
        }
    ]
    instance = resources["SampleTargetInstance"]
    assert instance["Condition"] == "UseSampleTarget"
    assert instance["Properties"]["MetadataOptions"]["HttpTokens"] == "required"
    ami = template["Parameters"]["SampleTargetAmiId"]
    assert ami["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert ami["Default"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    user_data = instance["Properties"]["UserData"]["Fn::Base64"]
    assert "printf 'HTTP/1.1 200 OK\\nContent-Type: text/plain\\n\\nHello, World!' | nc -l 8080" in user_data


def test_every_parameter_is_documented(template: dict[str, Any]) -> None:
    docs = (TEMPLATE.parents[1] / "docs" / "configuration.md").read_text()
    for name, spec in template["Parameters"].items():
        assert spec.get("Description"), name
        assert f"`{name}`" in docs, f"docs/configuration.md does not describe {name}"
