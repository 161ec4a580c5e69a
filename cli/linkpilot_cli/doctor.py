"""``linkpilot doctor``: checks an account before its first deploy, on the consumer or the provider side.

Each check is printed with its status (``ok``, ``warn``, ``fail``, ``skipped``) and, unless it is ok, the
fix; ``--output json`` gives them as a list of ``{"name", "side", "status", "detail", "fix"}``. Everything is
read-only: the permission checks use EC2's ``DryRun`` where EC2 offers it and IAM's policy simulator for the
rest. Exit 0 when no check failed, 1 when one did, 2 for unusable options.

Consumer: VPC Lattice resource configurations in the Region; the endpoint subnets (the options, else the
account baseline's SSM parameters) exist, lie in one VPC and cover its zones; resource endpoints left under
the per-VPC quota; the StackSet execution role; the deploying principal's permissions. Provider: VPC Lattice;
RAM sharing with the organization where the stack relies on it (``AllowExternalPrincipals=false``); the
StackSet administration role; the deploying principal's permissions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final, TextIO

from linkpilot.foreign import escape

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "skipped"
BASELINE: Final = {
    "vpc": "/linkpilot/consumer/endpoint-vpc-id",
    "subnets": "/linkpilot/consumer/endpoint-subnet-ids",
}
DEFAULT_ENDPOINT_QUOTA: Final = 200  # resource endpoints per VPC (adjustable): the default when none is read
FEW_LEFT: Final = 10
DEPLOY_ACTIONS: Final = {
    "consumer": ["cloudformation:CreateChangeSet", "iam:CreateRole", "iam:PassRole", "lambda:CreateFunction"],
    "provider": [
        "cloudformation:CreateChangeSet",
        "iam:CreateRole",
        "lambda:CreateFunction",
        "vpc-lattice:CreateResourceGateway",
        "vpc-lattice:CreateResourceConfiguration",
        "ram:CreateResourceShare",
    ],
}
STACKSET_ROLES: Final = {
    "consumer": (
        "AWSServiceRoleForCloudFormationStackSetsOrgMember",
        "AWSCloudFormationStackSetExecutionRole",
    ),
    "provider": (
        "AWSServiceRoleForCloudFormationStackSetsOrgAdmin",
        "AWSCloudFormationStackSetAdministrationRole",
    ),
}


@dataclass(frozen=True)
class DoctorOptions:
    side: str  # "consumer" | "provider"
    vpc_id: str = ""  # consumer: the endpoint VPC (default: the baseline's); provider: the stack's VpcId
    subnet_ids: tuple[str, ...] = ()  # consumer: the endpoint subnets (default: the baseline's)
    allow_external: bool = True  # provider: the stack's AllowExternalPrincipals
    output: str = "table"  # or "json"


@dataclass(frozen=True)
class Finding:
    name: str
    side: str
    status: str
    detail: str
    fix: str = ""


def _three(ok: bool | None, name: str, side: str, detail: str, fix: str, *, unknown: str = WARN) -> Finding:
    status = OK if ok else FAIL if ok is False else unknown
    return Finding(name, side, status, detail, "" if ok else fix)


def lattice(reads: Any, side: str) -> Finding:
    a = reads.lattice_configurations()
    fix = "choose a Region where VPC Lattice resource configurations are offered (Regional availability page)"
    return _three(a.ok, "lattice-resource-configurations", side, a.detail, fix)


def subnets_cover_zones(reads: Any, vpc: str, subnet_ids: list[str]) -> Finding:
    name, fix_base = "subnets-cover-zones", "write the account baseline (docs/deploy.md) or pass --subnet-ids"
    if not subnet_ids:
        return Finding(
            name, "consumer", FAIL, "no endpoint subnets named and no baseline parameter", fix_base
        )
    found = reads.subnets(subnet_ids)
    if found is None:
        return Finding(name, "consumer", FAIL, f"a subnet of {subnet_ids} does not exist", fix_base)
    vpcs = {s["VpcId"] for s in found}
    if len(vpcs) != 1 or (vpc and vpcs != {vpc}):
        return Finding(
            name, "consumer", FAIL, f"the subnets lie in {sorted(vpcs)}, not in {vpc or 'one VPC'}", fix_base
        )
    zones = {s["AvailabilityZone"] for s in found}
    missing = sorted(reads.vpc_zones(vpcs.pop()) - zones)
    detail = f"{len(found)} subnet(s) in {len(zones)} zone(s): {', '.join(sorted(zones))}"
    if missing:
        fix = f"add a subnet of each zone the VPC uses ({', '.join(missing)}): clients there cross zones"
        return Finding(name, "consumer", WARN, detail + f"; the VPC also uses {', '.join(missing)}", fix)
    if len(zones) < 2:
        return Finding(name, "consumer", WARN, detail, "use subnets in two zones or more (one zone failing)")
    return Finding(name, "consumer", OK, detail)


def endpoint_quota(reads: Any, vpc: str) -> Finding:
    used, quota = reads.endpoints_in_vpc(vpc), reads.endpoint_quota()
    source = "applied quota" if quota is not None else "default quota, Service Quotas named none"
    quota = quota if quota is not None else DEFAULT_ENDPOINT_QUOTA
    left = quota - used
    detail = f"{used} resource/service-network endpoint(s) in {vpc}, {left} left of {quota} ({source})"
    status = FAIL if left <= 0 else WARN if left < FEW_LEFT else OK
    fix = "" if status == OK else "ask for a higher 'resource endpoints per VPC' quota (Service Quotas, vpc)"
    return Finding("endpoint-quota", "consumer", status, detail, fix)


def org_sharing(reads: Any, allow_external: bool) -> Finding:
    a = reads.organization_sharing()
    if allow_external:
        detail = (
            f"{a.detail}; the stack shares by invitation too (AllowExternalPrincipals=true): not relied on"
        )
        return Finding("ram-organization-sharing", "provider", OK, detail)
    fix = "from the management account: aws ram enable-sharing-with-aws-organization"
    return _three(a.ok, "ram-organization-sharing", "provider", a.detail, fix)


def stackset_roles(reads: Any, side: str) -> Finding:
    service, self_managed = STACKSET_ROLES[side]
    found = {r: reads.role_exists(r) for r in (service, self_managed)}
    present = [r for r, ok in found.items() if ok]
    if present:
        return Finding("stackset-roles", side, OK, f"{', '.join(present)} exists")
    unknown = any(ok is None for ok in found.values())
    fix = (
        "service-managed StackSets: enable trusted access for CloudFormation StackSets in AWS Organizations; "
        f"self-managed: create {self_managed}; not needed when you deploy with sam deploy"
    )
    detail = "cannot read IAM roles" if unknown else f"neither {service} nor {self_managed} exists"
    return Finding("stackset-roles", side, WARN, detail, fix)


def permissions(reads: Any, side: str, vpc: str, principal: str) -> list[Finding]:
    dry_runs: dict[str, tuple[str, dict[str, Any]]] = {
        "ec2:DescribeVpcEndpoints": ("describe_vpc_endpoints", {})
    }
    if vpc:  # both stacks make security groups in their VPC
        dry_runs["ec2:CreateSecurityGroup"] = (
            "create_security_group",
            {"GroupName": "linkpilot-doctor", "Description": "linkpilot doctor", "VpcId": vpc},
        )
    if side == "consumer":  # linkpilot cleanup, run by a person
        dry_runs["ec2:DeleteVpcEndpoints"] = (
            "delete_vpc_endpoints",
            {"VpcEndpointIds": ["vpce-00000000000000000"]},
        )
    found = []
    for action, (operation, params) in dry_runs.items():
        a = reads.dry_run(operation, **params)
        found.append(
            _three(a.ok, f"permission {action}", side, a.detail, f"grant {action} to the deploying principal")
        )
    decisions = reads.simulate(iam_principal(principal), DEPLOY_ACTIONS[side])
    if decisions is None:
        unchecked = ", ".join(DEPLOY_ACTIONS[side])
        detail = f"iam:SimulatePrincipalPolicy not answered for {principal}: {unchecked} unchecked"
        return [
            *found,
            Finding("permissions (simulated)", side, SKIPPED, detail, "run as a principal that may simulate"),
        ]
    for action in DEPLOY_ACTIONS[side]:
        decision = decisions.get(action, "unknown")
        ok = decision == "allowed"
        found.append(
            Finding(
                f"permission {action}",
                side,
                OK if ok else FAIL,
                f"simulated: {decision}",
                "" if ok else f"grant {action}",
            )
        )
    return found


def iam_principal(arn: str) -> str:
    """The IAM role behind an assumed-role session ARN (``arn:aws:sts::A:assumed-role/R/s`` → role R)."""
    parts = arn.split(":")
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        return f"arn:aws:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    return arn


def diagnose(reads: Any, options: DoctorOptions) -> list[Finding]:
    side = options.side
    _, principal = reads.caller()
    findings = [lattice(reads, side)]
    vpc = ""
    if side == "consumer":
        vpc = options.vpc_id or reads.parameter(BASELINE["vpc"]) or ""
        subnets = list(options.subnet_ids) or [
            s for s in (reads.parameter(BASELINE["subnets"]) or "").split(",") if s
        ]
        findings.append(subnets_cover_zones(reads, vpc, subnets))
        if vpc:
            findings.append(endpoint_quota(reads, vpc))
        else:
            findings.append(
                Finding("endpoint-quota", side, SKIPPED, "no endpoint VPC named", "pass --vpc-id")
            )
    else:
        vpc = options.vpc_id
        findings.append(org_sharing(reads, options.allow_external))
    findings.append(stackset_roles(reads, side))
    return findings + permissions(reads, side, vpc, principal)


def run_doctor(
    options: DoctorOptions, session: Any, out: TextIO, *, reads: Callable[[Any], Any] | None = None
) -> int:
    """The entry function: diagnose, render, exit 0 (no failure) or 1."""
    if reads is None:
        from linkpilot_cli.adapters.doctor_reads import DoctorReads

        reads = DoctorReads
    findings = diagnose(reads(session), options)
    if options.output == "json":
        print(json.dumps([asdict(f) for f in findings], indent=2), file=out)
    else:
        width = max(len(f.name) for f in findings)
        for f in findings:
            print(f"{f.status:7} {f.name:{width}}  {escape(f.detail)}", file=out)
            if f.fix:
                print(f"{'':7} {'':{width}}  fix: {escape(f.fix)}", file=out)
    return 1 if any(f.status == FAIL for f in findings) else 0
