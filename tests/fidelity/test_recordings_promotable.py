"""A recording of `linkpilot acceptance --aws --record` has the fixtures' format: promoted as is, it passes
the checks every fixture passes; a recording of the local AWS says so and is refused as evidence."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from linkpilot_cli.acceptance.checks import Target
from linkpilot_cli.adapters.recorder import Recorder

from .evidence import KINDS, Fixture, operation_model, walk


def _recorded(target: Target) -> dict[str, dict]:
    recorder = Recorder(target, "20261205040000-abcdef")
    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    recorder.attach(session)
    ec2 = session.client("ec2")
    answer = {
        "VpcEndpoints": [
            {
                "VpcEndpointId": "vpce-019b90d6f16d4f958",
                "VpcEndpointType": "Resource",
                "State": "Available",
                "OwnerId": "123456789012",
                "IpAddressType": "IPV4",
                "ResourceConfigurationArn": (
                    "arn:aws:vpc-lattice:us-east-1:210987654321:resourceconfiguration/rcfg-07129f3acded87625"
                ),
            }
        ]
    }
    with Stubber(ec2) as stub:
        stub.add_response("describe_vpc_endpoints", answer, {"VpcEndpointIds": ["vpce-019b90d6f16d4f958"]})
        ec2.describe_vpc_endpoints(VpcEndpointIds=["vpce-019b90d6f16d4f958"])
    return recorder.fixtures()


def test_a_recording_on_aws_is_a_well_formed_fixture() -> None:
    ((name, data),) = _recorded(Target.AWS).items()
    fx = Fixture(name, data)
    assert data["source"]["kind"] in KINDS
    assert name.split(".", 1)[0] == fx.service
    op = operation_model(fx)
    findings = [f for f in walk(data["response"], op.output_shape) if f.problem != "enum-case"]
    assert findings == []
    assert sorted(f.path for f in walk(data["response"], op.output_shape)) == ["VpcEndpoints[].IpAddressType"]
    assert [f for f in walk(data["request"], op.input_shape) if f.problem != "enum-case"] == []


def test_a_recording_of_the_local_aws_is_never_evidence() -> None:
    ((_, data),) = _recorded(Target.LOCAL).items()
    assert data["source"]["kind"] == "local-emulation" and data["source"]["kind"] not in KINDS
