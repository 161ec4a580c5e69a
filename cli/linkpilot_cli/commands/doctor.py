"""``linkpilot doctor``: checks an account before the first deploy (``linkpilot_cli.doctor``)."""

from __future__ import annotations

from dataclasses import asdict

import click

from linkpilot_cli import validate
from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import Table
from linkpilot_cli.registry import READ_FAILED, exit_codes

DESCRIPTION = """\
Checks an account before the first deploy, read-only: VPC Lattice resource configurations in the Region;
consumer side, the endpoint subnets (--subnet-ids, else the account baseline's SSM parameters) lie in one
VPC and cover its zones, and resource endpoints are left under the per-VPC quota; provider side, RAM sharing
with the organization where the stack relies on it (--within-organization: AllowExternalPrincipals=false);
the StackSet roles; the deploying principal's permissions (EC2 DryRun, IAM's policy simulator). Each check
is printed with its fix; --output json gives them as a list."""


@command(
    "doctor",
    summary="check an account before the first deploy (consumer or provider side)",
    description=DESCRIPTION,
    examples=(
        "linkpilot doctor",
        "linkpilot doctor --side consumer --vpc-id vpc-0123456789abcdef0 \\\n"
        "      --subnet-ids subnet-0a1b2c3d,subnet-0e4f5a6b",
        "linkpilot doctor --side provider --within-organization --output json",
    ),
    exit_codes=exit_codes(
        "no check failed (warnings may remain)",
        "an option is invalid",
        failed="a check failed",
        read=READ_FAILED,
    ),
    aws=True,
    output=True,
)
@click.option(
    "--side",
    type=click.Choice(["consumer", "provider"]),
    default="consumer",
    show_default=True,
    help="which stack the account gets",
)
@click.option(
    "--vpc-id",
    default="",
    metavar="VPC",
    callback=validate.optional_vpc_id,
    help="the endpoint VPC (consumer) or the stack's VpcId (provider)",
)
@click.option(
    "--subnet-ids",
    default="",
    metavar="IDS",
    callback=validate.optional_subnet_ids,
    help="consumer: the endpoint subnets, comma separated",
)
@click.option(
    "--within-organization",
    is_flag=True,
    help="provider: the stack shares only inside the organization (AllowExternalPrincipals=false)",
)
def COMMAND(
    call: Invocation, *, side: str, vpc_id: str, subnet_ids: tuple[str, ...], within_organization: bool
) -> int:
    from linkpilot_cli.adapters.doctor_reads import DoctorReads
    from linkpilot_cli.doctor import FAIL, DoctorOptions, diagnose
    from linkpilot_cli.outcome import Retry, attempt, stopped

    options = DoctorOptions(
        side=side, vpc_id=vpc_id, subnet_ids=subnet_ids, allow_external=not within_organization
    )
    out, session = call.out, call.session()  # a bad Region or profile stops here, before any output
    out.progress(f"checking this account for the {side} stack")
    findings = attempt(lambda: diagnose(DoctorReads(session), options))
    if isinstance(findings, Retry):  # no credentials, no answer: no check could be made
        return stopped(out, findings, failure="reading AWS failed")
    if out.format == "json":
        out.json([asdict(f) for f in findings])
    else:
        rows = tuple((f.status, f.name, f.detail, f.fix) for f in findings)
        out.document({}, [Table("check", f"Doctor ({side})", ("status", "check", "observed", "fix"), rows)])
    return 1 if any(f.status == FAIL for f in findings) else 0
