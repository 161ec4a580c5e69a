"""--record's sanitiser and recorder: no account id, public address or real id survives; placeholders are
consistent; the fixtures have the format of tests/fidelity/fixtures."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import boto3
from botocore.stub import Stubber

from linkpilot_cli.acceptance.checks import Target
from linkpilot_cli.acceptance.sanitise import Sanitiser
from linkpilot_cli.adapters.recorder import Recorder

ACCOUNT, OTHER = "123456789012", "210987654321"
ENDPOINT = "vpce-019b90d6f16d4f958"
CONFIG = "rcfg-07129f3acded87625"
PUBLIC_V4, PUBLIC_V6 = "54.239.28.85", "2600:1f18:4a3:6902::12"
ANSWER = {
    "VpcEndpoints": [
        {
            "VpcEndpointId": ENDPOINT,
            "OwnerId": ACCOUNT,
            "ResourceConfigurationArn": (
                f"arn:aws:vpc-lattice:us-east-1:{OTHER}:resourceconfiguration/{CONFIG}"
            ),
            "NetworkInterfaceIds": ["eni-0a1b2c3d4e5f60718"],
            "SubnetIds": ["subnet-0123456789abcdef0"],
            "Tags": [
                {
                    "Key": "linkpilot:resource-share-arn",
                    "Value": (
                        f"arn:aws:ram:us-east-1:{OTHER}:resource-share/7ab63972-b505-7e2a-420d-6f5d3a2c1b0e"
                    ),
                }
            ],
            "DnsEntries": [
                {
                    "DnsName": f"{ENDPOINT}.{CONFIG}.4232ccc.vpc-lattice-rsc.us-east-1.on.aws",
                    "HostedZoneId": "Z03265862FOUNWMZOKUF4",
                }
            ],
            "Addresses": [PUBLIC_V4, PUBLIC_V6, "10.1.2.3"],
            "CreationTimestamp": datetime(2026, 12, 5, 3, 40, 51, tzinfo=UTC),
            "Count": int(ACCOUNT),
            "Contact": "ops@example.com",
            "SessionToken": "IQoJb3JpZ2luX2VjE",
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
        }
    ]
}
REAL = [
    ACCOUNT,
    OTHER,
    ENDPOINT,
    CONFIG,
    "eni-0a1b2c3d4e5f60718",
    "subnet-0123456789abcdef0",
    "4232ccc",
    "7ab63972-b505-7e2a-420d-6f5d3a2c1b0e",
    "Z03265862FOUNWMZOKUF4",
    PUBLIC_V4,
    PUBLIC_V6,
    "10.1.2.3",
    "ops@example.com",
    "IQoJb3JpZ2luX2VjE",
    "ASIAIOSFODNN7EXAMPLE",
]


def test_no_account_id_address_or_real_id_survives() -> None:
    text = json.dumps(Sanitiser().tree(ANSWER))
    assert [r for r in REAL if r in text] == []
    assert re.search(r"(?<!\d)\d{12}(?!\d)", text) is None
    assert "2026-12-05T03:40:51+00:00" in text  # times are kept: they are what a fixture is about


def test_placeholders_are_consistent_within_a_recording() -> None:
    s = Sanitiser()
    first = s.tree(ANSWER)["VpcEndpoints"][0]
    again = s.tree({"VpcEndpointIds": [ENDPOINT], "Owner": ACCOUNT})
    assert again == {"VpcEndpointIds": [first["VpcEndpointId"]], "Owner": first["OwnerId"]}
    assert first["DnsEntries"][0]["DnsName"].startswith(first["VpcEndpointId"] + ".")
    assert first["OwnerId"] != first["ResourceConfigurationArn"].split(":")[4]  # two accounts, two names
    assert first["VpcEndpointId"] == "<vpce-1>" and first["ResourceConfigurationArn"].endswith("/<rcfg-1>")


def test_words_times_and_names_are_left_alone() -> None:
    s = Sanitiser()
    kept = [
        "Available",
        "vpc-lattice-rsc",
        "12:34:56",
        "arn:aws:iam::aws:policy/ReadOnly",
        "TCP",
        "1-65535",
        "linkpilot:managed",
        "2026-12-05T03:40:51Z",
        "3.11.2",
    ]
    assert [s.text(k) for k in kept] == kept


def _recording() -> Recorder:
    recorder = Recorder(Target.AWS, "20261205034744-6ee6ea")
    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    recorder.attach(session)
    ec2 = session.client("ec2")
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_vpc_endpoints",
            {"VpcEndpoints": [{"VpcEndpointId": ENDPOINT, "OwnerId": ACCOUNT, "State": "Available"}]},
            {"VpcEndpointIds": [ENDPOINT]},
        )
        stub.add_response(
            "describe_vpc_endpoints",
            {"VpcEndpoints": [{"VpcEndpointId": ENDPOINT, "OwnerId": ACCOUNT, "State": "Available"}]},
            {"VpcEndpointIds": [ENDPOINT]},
        )
        stub.add_client_error("delete_vpc_endpoints", "UnauthorizedOperation", http_status_code=403)
        ec2.describe_vpc_endpoints(VpcEndpointIds=[ENDPOINT])
        ec2.describe_vpc_endpoints(VpcEndpointIds=[ENDPOINT])
        with contextlib.suppress(ec2.exceptions.ClientError):
            ec2.delete_vpc_endpoints(VpcEndpointIds=[ENDPOINT])
    return recorder


def test_the_recorder_writes_fixtures_in_the_evidence_format(tmp_path: Path) -> None:
    recorder = _recording()
    assert [e.operation for e in recorder.exchanges] == [
        "DescribeVpcEndpoints",
        "DescribeVpcEndpoints",
        "DeleteVpcEndpoints",
    ]
    written = recorder.write(tmp_path / "rec")
    names = sorted(p.name for p in written)
    # identical exchanges are written once; an error is a fixture of its own, named by its code
    assert names == [
        "ec2.DeleteVpcEndpoints.rec-1.error.UnauthorizedOperation.json",
        "ec2.DescribeVpcEndpoints.rec-1.json",
    ]
    fixture = json.loads((tmp_path / "rec" / names[1]).read_text())
    assert fixture["operation"] == "ec2:DescribeVpcEndpoints"
    assert fixture["source"]["kind"] == "linkpilot-acceptance"
    assert fixture["request"] == {"VpcEndpointIds": ["<vpce-1>"]}
    assert fixture["response"] == {
        "VpcEndpoints": [{"VpcEndpointId": "<vpce-1>", "OwnerId": "<account-1>", "State": "Available"}]
    }
    assert {"absent_keys", "unverified"} <= set(fixture)
    error = json.loads((tmp_path / "rec" / names[0]).read_text())
    assert error["error"] == {"Code": "UnauthorizedOperation"} and "response" not in error
    assert all(ACCOUNT not in p.read_text() and ENDPOINT not in p.read_text() for p in written)


def test_a_local_recording_says_it_is_the_emulation() -> None:
    recorder = Recorder(Target.LOCAL, "r1")
    recorder._after(
        http_response=SimpleNamespace(status_code=200, headers={}),
        parsed={"Account": ACCOUNT},
        model=SimpleNamespace(name="GetCallerIdentity", service_model=SimpleNamespace(service_name="sts")),
        context={},
    )
    assert recorder.exchanges == []  # STS answers carry credentials: never recorded
    recorder._after(
        http_response=SimpleNamespace(status_code=200, headers={"Date": "Sat, 05 Dec 2026 03:40:51 GMT"}),
        parsed={"Parameter": {"Name": "/x"}},
        model=SimpleNamespace(name="GetParameter", service_model=SimpleNamespace(service_name="ssm")),
        context={},
    )
    (fixture,) = recorder.fixtures().values()
    assert fixture["source"]["kind"] == "local-emulation"
    assert recorder.exchanges[0].date == "Sat, 05 Dec 2026 03:40:51 GMT"


PUBLIC_HOST = "ec2-54-239-28-85.compute-1.amazonaws.com"
ADVERSARIAL = {
    # an ARN inside a JSON string inside JSON (a policy document, an SSM value)
    "Policy": json.dumps(
        {"Resource": f"arn:aws:vpc-lattice:us-east-1:{OTHER}:resourceconfiguration/{CONFIG}", "Sid": "x"}
    ),
    "Bucket": f"aws-sam-cli-managed-default-samclisourcebucket-{ACCOUNT}",  # an account id in a name
    "RoleId": "AROA3XFRBF535PLBIFPI4",  # IAM unique ids are 21 characters
    "UserId": "AROA3XFRBF535PLBIFPI4:botocore-session-1",
    "PrincipalId": "AIDAJQABLZS4A3QDU576Q",
    "Location": (  # a presigned URL: its token, credential and signature
        "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2FwEa"
        "&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261205%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    ),
    "PublicDnsName": PUBLIC_HOST,
    "PrivateDnsName": "ip-10-1-2-3.ec2.internal",
    "Ipv6": ["[2600:1f18:4a3:6902::12]:443", "2600:1F18:04A3:6902::/56", "::ffff:54.239.28.85"],
    "HostedZone": "/hostedzone/Z03265862FOUNWMZOKUF4",
    "Url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q?arn%3Aaws%3Alambda%3Aus-east-1%3A{OTHER}%3Afunction",
    "DnsName": f"{ENDPOINT}-4kq3vbw7.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
    "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:lp-acc-ControllerFunction-ZXvQ8MF5nNjV",
    "Error": "timed out connecting to 54.239.28.86.",  # an address ending a sentence
    "Reverse": "87.28.239.54.in-addr.arpa",
}
ADVERSARIAL_REAL = [
    "54.239.28.86",
    "87.28.239.54",
    "AROA3XFRBF535PLBIFPI4",
    "AIDAJQABLZS4A3QDU576Q",
    "IQoJb3JpZ2luX2VjEJr",
    "ASIAIOSFODNN7EXAMPLE",
    "54-239-28-85",
    "54.239.28.85",
    "10-1-2-3",
    "2600:1f18:4a3:6902::12",
    "2600:1F18:04A3:6902::",
    "Z03265862FOUNWMZOKUF4",
    "4kq3vbw7",
    "ZXvQ8MF5nNjV",
]


def test_adversarial_inputs_leave_no_account_address_or_id() -> None:
    s = Sanitiser()
    text = json.dumps(s.tree(ADVERSARIAL))
    assert [r for r in [*REAL, *ADVERSARIAL_REAL] if r in text] == []
    assert re.search(r"(?<!\d)\d{12}(?!\d)", text) is None
    assert "<secret>" in text and "ControllerFunction-<name-suffix-1>" in text


def test_an_account_id_is_one_placeholder_wherever_it_appears() -> None:
    s = Sanitiser()
    owner = s.text(ACCOUNT)
    assert s.text(f"linkpilot-audit-{ACCOUNT}") == f"linkpilot-audit-{owner}"  # in a name: the same one
    assert s.text(f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q").endswith(f"/{owner}/q")
    # an address and the EC2 host name built from it share their placeholder
    address = s.text("54.239.28.85")
    assert s.text(PUBLIC_HOST) == f"ec2-{address}.compute-1.amazonaws.com"
    kept = ["lp-acc-ProbeFunction", "linkpilot:resource-configuration-arn", "t4g.nano", "03:40:51Z"]
    assert [s.text(k) for k in kept] == kept  # words and times, not ids
