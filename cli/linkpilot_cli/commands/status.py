"""``linkpilot status [--policy FILE] [--output table|json|text]``: managed endpoints, their state and last
probe verdict, and pending invitations the policy does not accept. Read-only.

Every read goes through an adapter: endpoints (EC2), service-network VPC associations (VPC Lattice),
invitations (RAM), the newest ``ProbeSuccess`` datapoint (CloudWatch) and the probe function's log line
saying which addresses failed (CloudWatch Logs). This module assembles the report and renders it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from linkpilot_cli.output import EXIT_OK, InvalidInput, Output, Table
from linkpilot_cli.output import render_table as render_rows

if TYPE_CHECKING:
    from linkpilot.consumer.models import Endpoint, InvitationDecision
    from linkpilot.consumer.policy import TrustPolicy
    from linkpilot_cli.probe_verdicts import ProbeDetail, ProbeVerdict

DESCRIPTION = """\
Show the resource endpoints Linkpilot manages in this account and Region, with their state and the last
probe verdict (the newest ProbeSuccess datapoint within --window minutes), and the pending RAM invitations
that the trust policy (--policy) would not accept. Read-only: changes nothing."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="trust policy: judge pending invitations by it")
    parser.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const="json",
        help="same as --output json (kept for compatibility)",
    )
    parser.add_argument("--window", type=int, default=15, metavar="MIN", help="probe verdict look-back (15)")
    parser.add_argument(
        "--namespace",
        default=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Linkpilot"),
        help="CloudWatch namespace of the probe metrics (default: POWERTOOLS_METRICS_NAMESPACE or Linkpilot)",
    )
    parser.add_argument("--probe-service", default="linkpilot-probe", help="the probe's service dimension")
    parser.add_argument(
        "--probe-log-group",
        default=os.environ.get("LINKPILOT_PROBE_LOG_GROUP"),
        metavar="NAME",
        help="the probe function's log group, for the failed addresses (default: found by name; '' skips)",
    )


def run(args: argparse.Namespace) -> int:
    from linkpilot.consumer.policy import PolicyError, load_policy_file
    from linkpilot_cli.aws import session_from
    from linkpilot_cli.outcome import Retry, attempt, stopped

    out: Output = args.out
    policy = None
    if args.policy:
        try:
            policy = load_policy_file(args.policy)
        except PolicyError as exc:
            raise InvalidInput(str(exc)) from None
    session = session_from(args)
    report = attempt(
        lambda: collect_status(
            session,
            policy,
            namespace=args.namespace,
            probe_service=args.probe_service,
            window=timedelta(minutes=args.window),
            progress=out.progress,
            probe_log_group=args.probe_log_group,
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
) -> StatusReport:
    """Reads endpoints, invitations, probe metrics and log lines through the adapters; assembles the report.
    With a policy that takes service networks, its managed service-network VPC associations are listed too.
    ``probe_log_group``: None finds the probe function's group by name, '' skips the log."""
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
    return build_status(endpoints, verdicts, rows, details)


# ------------------------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class NameRow:
    parameter: str
    dns_name: str
    private_dns_name: str
    accessibility: str
    state: str


@dataclass(frozen=True)
class EndpointRow:
    endpoint_id: str
    state: str
    resource_configuration_arn: str
    share_arn: str
    dns_name: str
    probe: str  # ok | degraded | down | cert_expiring | no data
    probe_at: str | None
    last_error: str
    failed_addresses: tuple[str, ...] = ()  # from the probe's log line of the same run
    probe_error: str | None = None
    # what the controller publishes for applications (SSM parameter, names, accessibility), per association
    names: tuple[NameRow, ...] = ()


@dataclass(frozen=True)
class InvitationRow:
    invitation_arn: str
    share_name: str
    sender_account_id: str
    decision: str  # what the policy would do: ignore | reject | accept | unknown (no policy given)
    reason: str

    @classmethod
    def of(cls, d: InvitationDecision) -> InvitationRow:
        return cls(d.invitation_arn, d.share_name, d.sender_account_id, d.verdict.value, d.reason)


@dataclass(frozen=True)
class StatusReport:
    endpoints: tuple[EndpointRow, ...]
    invitations: tuple[InvitationRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoints": [asdict(e) for e in self.endpoints],
            "pending_invitations": [asdict(i) for i in self.invitations],
            "summary": {
                "managed_endpoints": len(self.endpoints),
                "probing_ok": sum(e.probe == "ok" for e in self.endpoints),
                "probing_failing": sum(e.probe in ("degraded", "down") for e in self.endpoints),
                "pending_invitations": len(self.invitations),
            },
        }


def build_status(
    endpoints: Sequence[Endpoint],
    verdicts: Mapping[str, ProbeVerdict],
    invitations: Sequence[InvitationRow | InvitationDecision],
    details: Mapping[str, ProbeDetail] | None = None,
) -> StatusReport:
    """Rows for managed endpoints (sorted by configuration) and for pending, not-accepted invitations."""
    from linkpilot.consumer.directory import records_from_endpoints
    from linkpilot.consumer.models import SHARE_TAG
    from linkpilot_cli.probe_verdicts import probe_cells

    names: dict[str, list[NameRow]] = {}
    for record in records_from_endpoints(endpoints):
        waiting = record.endpoint_state == "pending"
        names.setdefault(record.endpoint_id, []).append(
            NameRow(
                parameter="" if waiting else record.parameter,
                dns_name=record.dns_name,
                private_dns_name=record.private_dns_name,
                accessibility=record.accessibility or "unknown",
                state="pending" if waiting else record.state,
            )
        )
    rows = [
        EndpointRow(
            endpoint_id=ep.endpoint_id,
            state=ep.state,
            resource_configuration_arn=ep.managed_configuration_arn,
            share_arn=ep.tags.get(SHARE_TAG, ""),
            dns_name=ep.dns_name,
            last_error=ep.last_error,
            names=tuple(names.get(ep.endpoint_id, ())),
            **probe_cells(verdicts.get(ep.endpoint_id), (details or {}).get(ep.endpoint_id)),
        )
        for ep in sorted(endpoints, key=lambda e: (e.resource_configuration_arn, e.endpoint_id))
        if ep.managed  # status speaks only of what Linkpilot owns
    ]
    pending = [i if isinstance(i, InvitationRow) else InvitationRow.of(i) for i in invitations]
    return StatusReport(tuple(rows), tuple(sorted(pending, key=lambda i: i.invitation_arn)))


# ------------------------------------------------------------------------------------------- rendering
def _short_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def status_tables(report: StatusReport) -> list[Table]:
    """The report as rows: managed endpoints, the names they publish, pending invitations not accepted."""
    endpoints = Table(
        "endpoint",
        "Managed resource endpoints",
        ("ENDPOINT", "STATE", "CONFIGURATION", "SHARE", "PROBE", "PROBED AT", "FAILED ADDRESSES"),
        tuple(
            (
                e.endpoint_id,
                e.state,
                _short_arn(e.resource_configuration_arn),
                _short_arn(e.share_arn),
                e.probe,
                e.probe_at or "-",
                ", ".join(e.failed_addresses) or "-",
            )
            for e in report.endpoints
        ),
    )
    invitations = Table(
        "invitation",
        "Pending invitations not accepted",
        ("INVITATION", "SHARE", "SENDER", "POLICY", "REASON"),
        tuple(
            (_short_arn(i.invitation_arn), i.share_name, i.sender_account_id, i.decision, i.reason)
            for i in report.invitations
        ),
    )
    names = Table(
        "name",
        "Names applications find (SSM Parameter Store)",
        ("ENDPOINT", "SSM PARAMETER", "DNS NAME", "PRIVATE DNS NAME", "ACCESSIBILITY"),
        tuple(
            (e.endpoint_id, n.parameter or "-", n.dns_name or "-", n.private_dns_name or "-", n.accessibility)
            for e in report.endpoints
            for n in e.names
        ),
    )
    return [endpoints, names, invitations]


def render_table(report: StatusReport, *, colour: bool = False) -> str:
    """A table for people (the demo prints it); ``--output json`` gives the full record for machines."""
    lines: list[str] = []
    for table in status_tables(report):
        if lines:
            lines.append("")
        lines.extend(render_rows(table, colour=colour))
    return "\n".join(lines)
