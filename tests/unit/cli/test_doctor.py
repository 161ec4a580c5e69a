"""``linkpilot doctor``'s decisions over stand-in reads: each status and its fix."""

from __future__ import annotations

import io
import json
from typing import Any

from linkpilot_cli.adapters.doctor_reads import Answer
from linkpilot_cli.doctor import (
    DoctorOptions,
    endpoint_quota,
    iam_principal,
    org_sharing,
    permissions,
    run_doctor,
    stackset_roles,
)


class Reads:
    def __init__(self, **answers: Any) -> None:
        self.answers = answers

    def __getattr__(self, name: str) -> Any:
        value = self.answers[name]
        return value if callable(value) else (lambda *a, **k: value)


def test_the_quota_left_decides() -> None:
    assert endpoint_quota(Reads(endpoints_in_vpc=3, endpoint_quota=None), "vpc-1").status == "ok"
    few = endpoint_quota(Reads(endpoints_in_vpc=195, endpoint_quota=None), "vpc-1")
    assert few.status == "warn" and "5 left of 200 (default quota" in few.detail and few.fix
    assert endpoint_quota(Reads(endpoints_in_vpc=50, endpoint_quota=50), "vpc-1").status == "fail"


def test_org_sharing_matters_only_when_the_stack_relies_on_it() -> None:
    off = Reads(organization_sharing=Answer(False, "trusted access for ram.amazonaws.com is off"))
    assert org_sharing(off, allow_external=True).status == "ok"
    relied = org_sharing(off, allow_external=False)
    assert relied.status == "fail" and "enable-sharing-with-aws-organization" in relied.fix
    member = Reads(organization_sharing=Answer(None, "only the management account can list trusted access"))
    assert org_sharing(member, allow_external=False).status == "warn"


def test_stackset_roles_either_kind_will_do() -> None:
    found = {"AWSCloudFormationStackSetExecutionRole": True}
    reads = Reads(role_exists=lambda name: found.get(name, False))
    assert stackset_roles(reads, "consumer").status == "ok"
    unreadable = stackset_roles(Reads(role_exists=None), "provider")
    assert unreadable.status == "warn" and unreadable.detail == "cannot read IAM roles"


def test_permissions_dry_run_and_simulated() -> None:
    dry = {
        "describe_vpc_endpoints": Answer(True, "allowed (DryRun)"),
        "create_security_group": Answer(False, "denied (DryRun: UnauthorizedOperation)"),
        "delete_vpc_endpoints": Answer(None, "inconclusive"),
    }
    reads = Reads(
        dry_run=lambda op, **p: dry[op],
        simulate=lambda arn, actions: {
            a: ("allowed" if a != "iam:PassRole" else "implicitDeny") for a in actions
        },
    )
    found = {f.name: f for f in permissions(reads, "consumer", "vpc-1", "arn:aws:iam::1:user/x")}
    assert found["permission ec2:DescribeVpcEndpoints"].status == "ok"
    assert found["permission ec2:CreateSecurityGroup"].status == "fail"
    assert found["permission ec2:DeleteVpcEndpoints"].status == "warn"
    assert found["permission iam:PassRole"].status == "fail" and found["permission iam:PassRole"].fix
    assert found["permission lambda:CreateFunction"].status == "ok"


def test_an_assumed_role_session_is_simulated_as_its_role() -> None:
    assert (
        iam_principal("arn:aws:sts::123456789012:assumed-role/Admin/me")
        == "arn:aws:iam::123456789012:role/Admin"
    )
    assert iam_principal("arn:aws:iam::123456789012:user/ops") == "arn:aws:iam::123456789012:user/ops"


def test_the_json_is_a_list_and_a_failure_exits_1() -> None:
    reads = Reads(
        caller=("1", "arn:aws:iam::1:user/x"),
        lattice_configurations=Answer(False, "no VPC Lattice endpoint in xx-east-1"),
        organization_sharing=Answer(True, "on"),
        role_exists=True,
        dry_run=Answer(True, "allowed (DryRun)"),
        simulate=None,
    )
    out = io.StringIO()
    assert run_doctor(DoctorOptions("provider", output="json"), None, out, reads=lambda s: reads) == 1
    found = json.loads(out.getvalue())
    assert isinstance(found, list) and set(found[0]) == {"name", "side", "status", "detail", "fix"}
    assert found[0]["status"] == "fail" and "Region" in found[0]["fix"]


def test_ram_trusted_access_on_a_later_page_is_found() -> None:
    import boto3
    from botocore.stub import Stubber

    from linkpilot_cli.adapters.doctor_reads import DoctorReads

    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    reads = DoctorReads(session)
    orgs = reads.c("organizations")
    with Stubber(orgs) as stub:
        stub.add_response("describe_organization", {"Organization": {"Id": "o-abcdefghij"}})
        others = [{"ServicePrincipal": f"service{i}.amazonaws.com"} for i in range(20)]
        stub.add_response(
            "list_aws_service_access_for_organization", {"EnabledServicePrincipals": others, "NextToken": "t"}
        )
        stub.add_response(
            "list_aws_service_access_for_organization",
            {"EnabledServicePrincipals": [{"ServicePrincipal": "ram.amazonaws.com"}]},
            {"NextToken": "t"},
        )
        answer = reads.organization_sharing()
        stub.assert_no_pending_responses()
    assert answer.ok is True and answer.detail.endswith("is on")


def test_a_simulator_that_answers_nothing_parseable_is_no_answer() -> None:
    """Behind ``linkpilot local serve`` the IAM simulator answers an HTML error page: doctor skips the
    simulated check (it said so) rather than stopping with 'reading AWS failed'."""
    from botocore.parsers import ResponseParserError

    from linkpilot_cli.adapters.doctor_reads import DoctorReads

    class Iam:
        def simulate_principal_policy(self, **_: Any) -> Any:
            raise ResponseParserError("Unable to parse response, invalid XML received: b'<!doctype html>'")

    class Session:
        region_name = "us-east-1"

        def client(self, service: str) -> Any:
            assert service == "iam"
            return Iam()

    reads = DoctorReads(Session())
    assert reads.simulate("arn:aws:iam::111111111111:role/ops", ["iam:PassRole"]) is None
