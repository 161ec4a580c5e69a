"""``linkpilot doctor`` against the local AWS, consumer and provider side: every check runs, each is
printed with its fix, and a broken baseline is a failure (exit 1)."""

from __future__ import annotations

import io
import json

import pytest

from linkpilot_cli.doctor import DoctorOptions, run_doctor
from linkpilot_local.fixtures import make_vpc

pytestmark = pytest.mark.integration
CONSUMER, PROVIDER = "222222222222", "111111111111"


def _doctor(session, options: DoctorOptions) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = run_doctor(DoctorOptions(**{**options.__dict__, "output": "json"}), session, out)
    return code, json.loads(out.getvalue())


def test_a_consumer_account_with_its_baseline_passes(local_aws) -> None:
    session = local_aws.session(CONSUMER)
    vpc, subnets = make_vpc(session, "10.1.0.0/16")
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/linkpilot/consumer/endpoint-vpc-id", Value=vpc, Type="String")
    ssm.put_parameter(
        Name="/linkpilot/consumer/endpoint-subnet-ids", Value=",".join(subnets), Type="StringList"
    )
    code, found = _doctor(session, DoctorOptions("consumer"))
    by_name = {f["name"]: f for f in found}
    assert code == 0, found
    assert by_name["lattice-resource-configurations"]["status"] == "ok"
    assert by_name["subnets-cover-zones"]["status"] == "ok"
    assert by_name["endpoint-quota"]["detail"].startswith(f"0 resource/service-network endpoint(s) in {vpc}")
    assert by_name["permission ec2:CreateSecurityGroup"]["status"] == "ok"  # DryRun: nothing made
    assert by_name["permission ec2:DeleteVpcEndpoints"]["status"] == "ok"
    assert (
        session.client("ec2").describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["linkpilot-doctor"]}]
        )["SecurityGroups"]
        == []
    )
    # what the local AWS cannot answer is said, never passed: IAM's simulator, the StackSet roles
    assert by_name["permissions (simulated)"]["status"] == "skipped"
    assert by_name["stackset-roles"]["status"] == "warn" and by_name["stackset-roles"]["fix"]
    assert all(f["fix"] for f in found if f["status"] != "ok")


def test_subnets_of_one_zone_or_of_two_vpcs_are_reported(local_aws) -> None:
    session = local_aws.session(CONSUMER)
    vpc, subnets = make_vpc(session, "10.1.0.0/16")
    _other, other_subnets = make_vpc(session, "10.2.0.0/16")
    code, found = _doctor(session, DoctorOptions("consumer", vpc, (subnets[0],)))
    cover = next(f for f in found if f["name"] == "subnets-cover-zones")
    assert code == 0 and cover["status"] == "warn" and "the VPC also uses" in cover["detail"]
    code, found = _doctor(session, DoctorOptions("consumer", vpc, (subnets[0], other_subnets[0])))
    cover = next(f for f in found if f["name"] == "subnets-cover-zones")
    assert code == 1 and cover["status"] == "fail" and cover["fix"]
    code, found = _doctor(session, DoctorOptions("consumer", vpc, ("subnet-0000000000000000f",)))
    assert (
        code == 1
        and "does not exist" in next(f for f in found if f["name"] == "subnets-cover-zones")["detail"]
    )


def test_a_consumer_without_a_baseline_fails_with_the_fix(local_aws) -> None:
    code, found = _doctor(local_aws.session(CONSUMER), DoctorOptions("consumer"))
    cover = next(f for f in found if f["name"] == "subnets-cover-zones")
    assert code == 1 and cover["status"] == "fail" and "baseline" in cover["fix"]


def test_the_provider_side_and_the_table(local_aws) -> None:
    session = local_aws.session(PROVIDER)
    vpc, _ = make_vpc(session, "10.0.0.0/16")
    code, found = _doctor(session, DoctorOptions("provider", vpc, allow_external=False))
    sharing = next(f for f in found if f["name"] == "ram-organization-sharing")
    # the local AWS puts the account in no organization: a stack sharing within one cannot work
    assert (
        code == 1 and sharing["status"] == "fail" and "enable-sharing-with-aws-organization" in sharing["fix"]
    )
    code, found = _doctor(session, DoctorOptions("provider", vpc))
    assert code == 0 and next(f for f in found if f["name"] == "ram-organization-sharing")["status"] == "ok"
    out = io.StringIO()
    assert run_doctor(DoctorOptions("provider", vpc), session, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("ok      lattice-resource-configurations")
    assert any(line.strip().startswith("fix: ") for line in lines)


def test_the_command_with_the_accounts_credentials(local_aws, monkeypatch, capsys) -> None:
    from linkpilot_cli import main as cli

    session = local_aws.session(CONSUMER)
    vpc, subnets = make_vpc(session, "10.1.0.0/16")
    creds = session.get_credentials().get_frozen_credentials()
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in (
        ("AWS_ACCESS_KEY_ID", creds.access_key),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_key),
        ("AWS_SESSION_TOKEN", creds.token),
    ):
        monkeypatch.setenv(name, value)
    argv = ["doctor", "--vpc-id", vpc, "--subnet-ids", ",".join(subnets), "--region", "us-east-1"]
    assert cli.main([*argv, "--output", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert isinstance(found, list) and found[0]["name"] == "lattice-resource-configurations"
    assert {f["side"] for f in found} == {"consumer"}
    assert cli.main([*argv, "--output", "text"]) == 0
    assert "check\tok\tsubnets-cover-zones" in capsys.readouterr().out
