"""An acceptance run's options, and what a run on real accounts creates and costs (``--plan`` prints it).

The cost is an estimate at us-east-1 list prices when this was written (the rates are named in the plan;
docs/cost.md has the method): partial hours are billed as whole hours, so a run of about an hour and a half
is priced at two hours of everything billed by the hour. Rates the repository has no public source for are
marked as assumed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

TAG_KEY: Final = "linkpilot:acceptance"
BILLED_HOURS: Final = 2  # a run takes about 75 minutes; each partial hour is billed whole
DEFAULT_REGION: Final = "us-east-1"
ZONES: Final = 2  # the run's VPCs have two subnets in two Availability Zones


class OptionError(ValueError):
    """Unusable options: one line, exit 2, nothing called."""


@dataclass(frozen=True)
class AcceptanceOptions:
    aws: bool = False
    provider_profile: str = ""
    consumer_profile: str = ""
    region: str = ""
    yes: bool = False
    plan: bool = False
    record: Path | None = None
    report_root: Path = Path(".acceptance")
    run_id: str = ""  # a fresh one when empty


def check_options(options: AcceptanceOptions) -> None:
    if options.aws and not (options.provider_profile and options.consumer_profile):
        raise OptionError("--aws needs both --provider-profile and --consumer-profile")
    if not options.aws and (options.provider_profile or options.consumer_profile or options.region):
        raise OptionError("--provider-profile, --consumer-profile and --region go with --aws")
    if options.aws and options.provider_profile == options.consumer_profile:
        raise OptionError("--provider-profile and --consumer-profile must name two different accounts")


def new_run_id(now: datetime | None = None) -> str:
    """``<UTC time>-<6 hex>``: unique, sortable, usable in stack names and tag values."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Item:
    account: str  # "provider" | "consumer"
    what: str
    hourly_usd: float = 0.0  # per unit, for BILLED_HOURS
    units: int = 1
    rate: str = "no hourly charge"  # where the rate comes from, or that it is assumed

    @property
    def cost(self) -> float:
        return self.hourly_usd * self.units * BILLED_HOURS


@dataclass(frozen=True)
class Plan:
    run_id: str
    region: str
    provider_stack: str
    consumer_stack: str
    items: tuple[Item, ...]
    fixed_usd: float  # per-run charges that are not hourly (requests, metrics, logs): an upper bound

    @property
    def total_usd(self) -> float:
        return sum(i.cost for i in self.items) + self.fixed_usd


def stack_names(run_id: str) -> tuple[str, str]:
    return f"linkpilot-acc-{run_id}-provider", f"linkpilot-acc-{run_id}-consumer"


def aws_plan(options: AcceptanceOptions, run_id: str) -> Plan:
    provider_stack, consumer_stack = stack_names(run_id)
    endpoint_rate = "$0.01 per endpoint per AZ-hour (assumed: the interface endpoint rate)"
    items = (
        Item("provider", "VPC with 2 subnets in 2 AZs, no internet gateway, no NAT (run-made, tagged)"),
        Item(
            "provider",
            f"stack {provider_stack} (sam deploy): resource gateway, resource configuration (HTTP 8080), RAM "
            "share, onboarding function, state and audit tables, SNS topic, alarms",
        ),
        Item(
            "provider",
            "sample target EC2 instance t4g.nano (the stack's CreateSampleTarget)",
            0.0042,
            1,
            "$0.0042/h",
        ),
        Item("provider", "second resource configuration (TCP 8080 on the sample target), added to the share"),
        Item(
            "provider",
            "service network + its resource association (a third configuration), shared over RAM",
            0.025,
            1,
            "$0.025/h (assumed: no public rate found for a configuration in a service network)",
        ),
        Item("consumer", "VPC with 2 subnets in 2 AZs (run-made, tagged); the probe uses its default group"),
        Item("consumer", "3 SSM parameters naming them (the baseline the stack reads)"),
        Item(
            "consumer",
            f"stack {consumer_stack} (sam deploy): controller, probe (in the VPC), schedules, alarms, "
            "dashboard",
        ),
        Item(
            "consumer", "Resource endpoints made by the controller (web, TCP)", 0.01 * ZONES, 2, endpoint_rate
        ),
        Item(
            "consumer",
            "a ServiceNetwork endpoint made by the controller (endpoint mode)",
            0.01 * ZONES,
            1,
            endpoint_rate,
        ),
        Item("consumer", "one service-network VPC association (association mode)"),
        Item(
            "both",
            "the stacks' audit tables: a stack delete keeps them (DeletionPolicy Retain); the run deletes",
        ),
        Item("both", "SAM's artifact bucket (aws-sam-cli-managed-default), made once if absent and kept"),
    )
    # CloudWatch: ~20 custom metrics at $0.30/month, ~15 alarms at $0.10/month, one dashboard at $3/month,
    # prorated by the hour; Lambda, DynamoDB on demand, SNS, SSM, EventBridge, S3, CloudWatch Logs: requests
    # and kilobytes. Together well under this bound.
    return Plan(run_id, options.region or DEFAULT_REGION, provider_stack, consumer_stack, items, 0.10)


FIXED: Final = "CloudWatch metrics/alarms/dashboard, Lambda, DynamoDB, SNS, SSM, logs (prorated, requests)"


def render_plan(plan: Plan) -> list[str]:
    """The plan as the CLI's one table (``linkpilot_cli.output``), between what the run promises and what it
    costs."""
    from linkpilot_cli.output import Table, render_table

    rows = [
        (item.account, item.what, f"${item.cost:.2f} ({item.rate})" if item.hourly_usd else "-")
        for item in plan.items
    ]
    rows.append(("both", FIXED, f"< ${plan.fixed_usd:.2f}"))
    lines = [
        f"linkpilot acceptance on AWS, run {plan.run_id}, Region {plan.region}",
        f"every resource is tagged {TAG_KEY}={plan.run_id}; all of it is deleted at the end (also on "
        "failure or Ctrl-C), then both accounts are searched for anything still tagged.",
        "",
        *render_table(
            Table("item", "What the run creates", ("ACCOUNT", "RESOURCE", "EST. COST"), tuple(rows))
        ),
        "",
        f"estimated cost: ${plan.total_usd:.2f} at us-east-1 list prices ({BILLED_HOURS} billed hours; "
        "partial hours are billed whole); check the pricing pages of your Region.",
        "Takes about 75 minutes, and up to 45 more at the end while AWS releases the probe function's",
        "network interfaces (the consumer VPC can go only then; nothing billed meanwhile).",
    ]
    return lines


def provider_parameters(run_id: str, vpc: str, subnets: list[str]) -> dict[str, str]:
    """The provider stack's parameters: the sample target (HTTP 8080), sharing outside the organization, the
    consumer list under the run's own name (the default one belongs to an installation the account may have:
    the stack would fail on it, or the run would change it)."""
    return {
        "ConsumerListParameterName": f"/linkpilot-acceptance/{run_id}/consumers",
        "VpcId": vpc,
        "SubnetIds": ",".join(subnets),
        "CreateSampleTarget": "true",
        "AllowExternalPrincipals": "true",
        "ResourceShareName": f"linkpilot-acc-{run_id}",
    }


def consumer_baseline(
    run_id: str, vpc: str, subnets: list[str], probe_group: str
) -> dict[str, tuple[str, str]]:
    """The account baseline the consumer stack reads: SSM parameter name → (value, type), under the run."""
    prefix = f"/linkpilot-acceptance/{run_id}"
    return {
        f"{prefix}/endpoint-vpc-id": (vpc, "String"),
        f"{prefix}/endpoint-subnet-ids": (",".join(subnets), "StringList"),
        f"{prefix}/probe-security-group-ids": (probe_group, "StringList"),
    }


def consumer_parameters(run_id: str, provider: str, region: str) -> dict[str, str]:
    """The consumer stack's parameters: the run's baseline, the provider trusted, its networks allowed, a
    one-minute reconcile and a two-minute grace (the run's pace), the endpoints deleted with the stack."""
    prefix = f"/linkpilot-acceptance/{run_id}"
    return {
        "EndpointVpcId": f"{prefix}/endpoint-vpc-id",
        "EndpointSubnetIds": f"{prefix}/endpoint-subnet-ids",
        "ProbeSecurityGroupIds": f"{prefix}/probe-security-group-ids",
        "TrustedAccounts": provider,
        "AllowedServiceNetworkArns": f"arn:aws:vpc-lattice:{region}:{provider}:servicenetwork/*",
        "ProbeExpectedBody": "Hello, World!",
        "DeleteEndpointsOnStackDelete": "true",
        "UnshareGraceMinutes": "2",
        "ReconcileSchedule": "rate(1 minute)",
    }


LOCAL_PLAN: Final = (
    "linkpilot acceptance against the local AWS (moto + linkpilot_local), in this process, loopback only:",
    "nothing is created in any AWS account and nothing is billed. Every check is reported 'not reached':",
    "the local AWS is not evidence of AWS.",
)
