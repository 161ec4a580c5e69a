"""``linkpilot status [--policy FILE] [--output table|json|text]``: managed endpoints, their state and last
probe verdict, and pending invitations the policy does not accept. Read-only.

Every read goes through an adapter: endpoints (EC2), service-network VPC associations (VPC Lattice),
invitations (RAM), the endpoint directory's SSM parameters (``GetParametersByPath``: a name is shown as
published only when it was read; one the controller should have written but did not is marked missing), the
newest ``ProbeSuccess`` datapoint (CloudWatch) and the probe function's log line saying which addresses
failed (CloudWatch Logs). This module assembles the report and renders it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import EXIT_OK, InvalidInput
from linkpilot_cli.registry import READ_FAILED, exit_codes
from linkpilot_cli.status_report import (
    EndpointRow,
    InvitationRow,
    NameRow,
    NextRun,
    StatusReport,
    build_status,
    render_table,
    status_tables,
)

__all__ = [  # the report lives in linkpilot_cli.status_report; the demo and the tests find it here too
    "COMMAND",
    "EndpointRow",
    "InvitationRow",
    "NameRow",
    "StatusReport",
    "build_status",
    "collect_status",
    "render_table",
    "status_tables",
]

if TYPE_CHECKING:
    from linkpilot.consumer.models import InvitationDecision
    from linkpilot.consumer.policy import TrustPolicy
    from linkpilot_cli.probe_verdicts import ProbeDetail

DESCRIPTION = """\
Show the resource endpoints Linkpilot manages in this account and Region, with their state and the last
probe verdict (the newest ProbeSuccess datapoint within --window minutes), and the pending RAM invitations
that the trust policy (--policy) would not accept. Read-only: changes nothing."""


MAX_WINDOW_MINUTES = 1440  # a day: the probe runs every few minutes, and an older verdict says nothing now


@command(
    "status",
    summary="managed endpoints, their state and last probe verdict",
    description=DESCRIPTION,
    examples=(
        "linkpilot status",
        "linkpilot status --policy policy.yaml --window 60",
        "linkpilot status --output json | jq .summary",
    ),
    exit_codes=exit_codes(
        "the status was read (whatever it says)", "the policy or an option is invalid", read=READ_FAILED
    ),
    aws=True,
    output=True,
)
@click.option("--policy", metavar="FILE", help="trust policy (YAML or JSON): judge pending invitations by it")
@click.option("--json", "as_json", is_flag=True, help="same as --output json (kept for compatibility)")
@click.option(
    "--window",
    type=click.IntRange(1, MAX_WINDOW_MINUTES),
    default=15,
    metavar="MIN",
    help=f"probe verdict look-back in minutes, 1 to {MAX_WINDOW_MINUTES} (15)",
)
@click.option(
    "--namespace",
    default=lambda: os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Linkpilot"),
    help="CloudWatch namespace of the probe metrics (default: POWERTOOLS_METRICS_NAMESPACE or Linkpilot)",
)
@click.option("--probe-service", default="linkpilot-probe", help="the probe's service dimension")
@click.option(
    "--state-table",
    default=lambda: os.environ.get("LINKPILOT_STATE_TABLE"),
    metavar="NAME",
    help="the stack's state table, for the controller's next follow-up run (default: LINKPILOT_STATE_TABLE)",
)
@click.option(
    "--probe-log-group",
    default=lambda: os.environ.get("LINKPILOT_PROBE_LOG_GROUP"),
    metavar="NAME",
    help="the probe function's log group, for the failed addresses (default: found by name; '' skips)",
)
def COMMAND(
    call: Invocation,
    *,
    policy: str | None,
    as_json: bool,
    window: int,
    namespace: str,
    probe_service: str,
    probe_log_group: str | None,
    state_table: str | None,
) -> int:
    from linkpilot.consumer.policy import PolicyError
    from linkpilot_cli.outcome import Retry, attempt, stopped
    from linkpilot_cli.policy_files import load_policy

    out = call.out
    if as_json:
        out.format = "json"
    trust = None
    if policy:
        try:
            trust = load_policy(policy)
        except PolicyError as exc:
            raise InvalidInput(str(exc)) from None
    session = call.session()
    report = attempt(
        lambda: collect_status(
            session,
            trust,
            namespace=namespace,
            probe_service=probe_service,
            window=timedelta(minutes=window),
            progress=out.progress,
            probe_log_group=probe_log_group,
            state_table=state_table,
        )
    )
    if isinstance(report, Retry):
        return stopped(out, report, failure="reading AWS failed")
    out.document(report.to_json(), status_tables(report))
    return EXIT_OK


def collect_status(
    session: Any,
    policy: TrustPolicy | None,
    *,
    namespace: str = "Linkpilot",
    probe_service: str = "linkpilot-probe",
    window: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _: None,
    probe_log_group: str | None = None,
    state_table: str | None = None,
) -> StatusReport:
    """Reads endpoints, invitations, probe metrics and log lines through the adapters; assembles the report.
    With a policy that takes service networks, its managed service-network VPC associations are listed too.
    ``probe_log_group``: None finds the probe function's group by name, '' skips the log. ``state_table``:
    the controller's pending follow-up run is read there (the next run: "at … because …")."""
    from linkpilot.aws.ec2_endpoints import Ec2Endpoints
    from linkpilot.aws.ram_consumer import RamConsumer
    from linkpilot.consumer.planning import compile_rules, decide_invitation
    from linkpilot_cli.adapters.probe_metrics import ProbeMetrics
    from linkpilot_cli.aws import client

    progress("reading managed resource endpoints")
    ec2 = Ec2Endpoints(client(session, "ec2"))
    endpoints = ec2.managed_endpoints()
    if policy is not None and policy.service_networks is not None:
        from linkpilot.aws.lattice_associations import LatticeAssociations

        progress("reading managed service-network VPC associations")
        lattice = LatticeAssociations(client(session, "vpc-lattice"))
        endpoints = [*endpoints, *lattice.managed_associations(ec2.vpc_ids())]
    progress(f"{len(endpoints)} managed endpoint(s); reading probe metrics")
    metrics = ProbeMetrics(client(session, "cloudwatch"), namespace=namespace, probe_service=probe_service)
    verdicts = metrics.last_verdicts(
        [e.endpoint_id for e in endpoints if not e.is_association],  # associations are not probed
        window=window,
        now=now or datetime.now(UTC),
        progress=progress,
    )
    details: dict[str, ProbeDetail] = {}
    if verdicts and probe_log_group != "":
        from linkpilot_cli.adapters.probe_logs import ProbeLogs

        logs = ProbeLogs(client(session, "logs"))
        group = probe_log_group or logs.find_probe_log_group()
        if group:
            progress(f"reading the probe's failures from {group}")
            since = min(v.at for v in verdicts.values())
            details = logs.last_probe_details(group, since=since, now=now or datetime.now(UTC))
    published: set[str] | None = None
    if endpoints:
        from linkpilot.aws.ssm_directory import SsmEndpointDirectory
        from linkpilot.consumer.directory import PREFIX

        progress("reading the endpoint directory (SSM parameters)")
        published = set(SsmEndpointDirectory(client(session, "ssm"), PREFIX).published())
    progress("reading pending invitations")
    ram = RamConsumer(client(session, "ram"))
    rows: list[InvitationRow | InvitationDecision] = []
    shares = None if policy is None else compile_rules(policy).shares
    for inv in (i for i in ram.invitations() if i.status == "PENDING"):
        if shares is None:
            rows.append(
                InvitationRow(inv.arn, inv.share_name, inv.sender_account_id, "unknown", "no --policy given")
            )
            continue
        decision = decide_invitation(shares, inv, ram.pending_resources(inv))
        if decision is not None and decision.refused_by_policy:
            rows.append(decision)
    report = build_status(endpoints, verdicts, rows, details, published)
    if not state_table:
        return report
    from dataclasses import replace

    from linkpilot_cli.adapters.follow_ups import pending_follow_up

    progress("reading the controller's next follow-up run")
    return replace(report, next_run=NextRun.of(pending_follow_up(session, state_table)))
