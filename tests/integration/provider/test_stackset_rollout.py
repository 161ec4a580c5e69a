"""StackSet rollout against moto's CloudFormation StackSets and Organizations (service-managed, OU targets),
and the offline translation of the real consumer template (with the SAM CLI's venv)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from linkpilot.consumer.policy import parse_policy
from linkpilot_cli import rollout_input
from linkpilot_cli.commands import stackset

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[3]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
TEMPLATE = {
    "Description": "consumer stand-in",
    "Parameters": {"Label": {"Type": "String"}, "Extra": {"Type": "String", "Default": "x"}},
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Label"}}}},
}


def args(tmp_path: Path, **overrides: Any) -> SimpleNamespace:
    template = tmp_path / "template.json"
    template.write_text(json.dumps(overrides.pop("template", TEMPLATE)))
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"Label": "v1"}))
    argv = [
        "deploy",
        "--template",
        str(template),
        "--name",
        "linkpilot-consumer",
        "--ou-ids",
        overrides.pop("ous"),
        "--regions",
        "us-east-1,eu-west-1",
        "--parameters",
        str(params),
        "--poll-seconds",
        "0",
        *overrides.pop("extra", []),
    ]
    return stackset.parse(argv)


@pytest.fixture
def org() -> Iterator[dict[str, Any]]:
    with mock_aws():
        orgs = boto3.client("organizations", region_name="us-east-1")
        orgs.create_organization(FeatureSet="ALL")
        root = orgs.list_roots()["Roots"][0]["Id"]
        ous = {}
        for name in ("consumers", "later"):
            ou = orgs.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
            account = orgs.create_account(AccountName=name, Email=f"{name}@example.com")[
                "CreateAccountStatus"
            ]
            orgs.move_account(AccountId=account["AccountId"], SourceParentId=root, DestinationParentId=ou)
            ous[name] = (ou, account["AccountId"])
        yield {"ous": ous, "session": boto3.session.Session(region_name="us-east-1")}


def instances(session: boto3.session.Session) -> set[tuple[str, str]]:
    summaries = session.client("cloudformation").list_stack_instances(StackSetName="linkpilot-consumer")[
        "Summaries"
    ]
    return {(s["Account"], s["Region"]) for s in summaries}


def test_create_then_update_and_extend_to_a_new_ou(
    org: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ou1, acct1), (ou2, acct2) = org["ous"]["consumers"], org["ous"]["later"]
    assert stackset.run(args(tmp_path, ous=ou1), session=org["session"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["action"] == "created"
    assert first["ok"] is True
    assert instances(org["session"]) == {(acct1, "us-east-1"), (acct1, "eu-west-1")}
    described = org["session"].client("cloudformation").describe_stack_set(StackSetName="linkpilot-consumer")
    assert described["StackSet"]["PermissionModel"] == "SERVICE_MANAGED"
    assert described["StackSet"]["Parameters"] == [{"ParameterKey": "Label", "ParameterValue": "v1"}]

    assert stackset.run(args(tmp_path, ous=f"{ou1},{ou2}"), session=org["session"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["action"] == "updated"
    assert [op["action"] for op in second["operations"]] == ["update-stack-set", "create-stack-instances"]
    assert instances(org["session"]) == {(a, r) for a in (acct1, acct2) for r in ("us-east-1", "eu-west-1")}


def test_dry_run_changes_nothing(
    org: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ou1, _ = org["ous"]["consumers"]
    assert stackset.run(args(tmp_path, ous=ou1, extra=["--dry-run"]), session=org["session"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "planned-create"
    assert org["session"].client("cloudformation").list_stack_sets()["Summaries"] == []


def test_bad_input_is_refused_before_any_call(
    org: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ou1, _ = org["ous"]["consumers"]
    sam = {**TEMPLATE, "Transform": "AWS::Serverless-2016-10-31"}
    assert stackset.run(args(tmp_path, ous=ou1, template=sam), session=org["session"]) == 2
    assert "stackset_translate.py" in capsys.readouterr().err
    assert org["session"].client("cloudformation").list_stack_sets()["Summaries"] == []


def test_large_template_goes_through_s3(org: dict[str, Any], tmp_path: Path) -> None:
    ou1, acct1 = org["ous"]["consumers"]
    org["session"].client("s3").create_bucket(Bucket="templates")
    padded = {**TEMPLATE, "Metadata": {"padding": "x" * 60_000}}
    code = stackset.run(
        args(tmp_path, ous=ou1, template=padded, extra=["--template-bucket", "templates"]),
        session=org["session"],
    )
    assert code == 0
    keys = [o["Key"] for o in org["session"].client("s3").list_objects_v2(Bucket="templates")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("linkpilot-stacksets/linkpilot-consumer/")
    assert (acct1, "us-east-1") in instances(org["session"])


def translate(packaged: Path, out: Path) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "stackset_translate.py"
    return subprocess.run(
        [str(SAM_PYTHON), str(script), str(packaged), "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )


def translated_consumer(tmp_path: Path, bucket: str) -> Path:
    """The real consumer template as `sam package` would leave it (code on s3://BUCKET/<dir>.zip), expanded
    to plain CloudFormation JSON by the script."""
    packaged = re.sub(
        r"(CodeUri|ContentUri): (\S+)/\n",
        lambda m: f"{m[1]}: s3://{bucket}/{m[2].replace('/', '-')}.zip\n",
        (ROOT / "template.yaml").read_text(),
    )
    (tmp_path / "packaged.yaml").write_text(packaged)
    out = tmp_path / "stackset.json"
    done = translate(tmp_path / "packaged.yaml", out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
def test_consumer_template_translates_to_plain_cloudformation(tmp_path: Path) -> None:
    """The real consumer stack, packaged (code on S3), expands offline and passes the rollout checks."""
    out = translated_consumer(tmp_path, "bucket")
    template = rollout_input.load_template(out)
    assert "Transform" not in template
    assert "CAPABILITY_IAM" in rollout_input.required_capabilities(template)
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert functions and all(f["Properties"]["Code"]["S3Bucket"] == "bucket" for f in functions)

    unpackaged = translate(ROOT / "template.yaml", out)
    assert unpackaged.returncode != 0
    assert "run `sam package` first" in unpackaged.stderr


def account_session(account: str) -> boto3.session.Session:
    """moto maps AssumeRole credentials to the role's account: a session acting in ``account``."""
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="baseline"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def write_account_baseline(session: boto3.session.Session, cidr: str) -> dict[str, Any]:
    """What each consumer account's baseline does before (or after) the OU rollout reaches it."""
    from linkpilot_local.deploy import write_baseline

    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr.replace("0.0/16", f"{i}.0/24"))["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    group = ec2.create_security_group(GroupName="probe", Description="probe", VpcId=vpc_id)["GroupId"]
    values = {"EndpointVpcId": vpc_id, "EndpointSubnetIds": subnets, "ProbeSecurityGroupIds": [group]}
    write_baseline(session, ROOT / "template.yaml", values)
    return values


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
def test_real_consumer_template_rolls_out_to_ous_with_per_account_values_from_each_accounts_baseline(
    org: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One parameters file for every account (no VPC, subnet or security group in it): the per-account
    values are SSM-typed parameters whose defaults name the baseline's SSM parameters, resolved in each
    target account. moto's CloudFormation cannot build CloudWatch alarms or Scheduler schedule groups, so
    the stack instances build the resources that consume the per-account values (the policy parameter, the
    probe function in the VPC) from the real, translated template; the parameter check runs on all of it."""
    full = rollout_input.load_template(translated_consumer(tmp_path, "code"))
    per_account = ("EndpointVpcId", "EndpointSubnetIds", "ProbeSecurityGroupIds")
    assert all(full["Parameters"][p]["Type"].startswith("AWS::SSM::Parameter::Value<") for p in per_account)
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"TrustedAccounts": ["111111111111"], "UntrustedInvitations": "reject"}))
    # the check that used to refuse the consumer stack ("has no default and needs a value") passes
    assert dict(rollout_input.load_parameters(params, full)) == {
        "TrustedAccounts": "111111111111",
        "UntrustedInvitations": "reject",
    }

    # the policy names the endpoints' security group the stack makes when the operator names none
    keep = ("PolicyParameter", "EndpointSecurityGroup", "ProbeFunction", "ProbeFunctionRole")
    subset = {
        **full,
        "Resources": {
            k: v
            for k, v in full["Resources"].items()
            if k in keep or v["Type"] == "AWS::Lambda::LayerVersion"
        },
        "Outputs": {"PolicyParameterName": full["Outputs"]["PolicyParameterName"]},
    }
    template = tmp_path / "subset.json"
    template.write_text(json.dumps(subset))
    s3 = org["session"].client("s3")
    s3.create_bucket(Bucket="code")
    for key in ("functions-controller.zip", "functions-probe.zip", "layers-linkpilot.zip"):
        s3.put_object(Bucket="code", Key=key, Body=_zip_with_app())

    (ou1, acct1), (ou2, acct2) = org["ous"]["consumers"], org["ous"]["later"]
    baselines = {
        acct1: write_account_baseline(account_session(acct1), "10.1.0.0/16"),
        acct2: write_account_baseline(account_session(acct2), "10.2.0.0/16"),
    }
    argv = ["--template", str(template), "--parameters", str(params), "--regions", "us-east-1"]
    deploy = ["deploy", "--name", "linkpilot-consumer", "--poll-seconds", "0", *argv]
    assert stackset.run(stackset.parse([*deploy, "--ou-ids", ou1]), session=org["session"]) == 0
    assert stackset.run(stackset.parse([*deploy, "--ou-ids", f"{ou1},{ou2}"]), session=org["session"]) == 0
    reports = [json.loads(part) for part in re.split(r"\n(?=\{)", capsys.readouterr().out.strip())]
    assert [r["action"] for r in reports] == ["created", "updated"] and all(r["ok"] for r in reports)
    described = org["session"].client("cloudformation").describe_stack_set(StackSetName="linkpilot-consumer")
    assert {p["ParameterKey"] for p in described["StackSet"]["Parameters"]}.isdisjoint(per_account)

    for account, values in baselines.items():
        session = account_session(account)
        ssm = session.client("ssm")
        (name,) = [
            p["Name"] for p in ssm.describe_parameters()["Parameters"] if p["Name"].endswith("/policy")
        ]
        policy = parse_policy(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        assert policy.endpoint.vpc_id == values["EndpointVpcId"]
        assert list(policy.endpoint.subnet_ids) == values["EndpointSubnetIds"]
        assert policy.untrusted_invitations == "reject"
        (probe,) = session.client("lambda").list_functions()["Functions"]
        assert probe["VpcConfig"]["SecurityGroupIds"] == values["ProbeSecurityGroupIds"]
        assert sorted(probe["VpcConfig"]["SubnetIds"]) == sorted(values["EndpointSubnetIds"])


def _zip_with_app() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()
