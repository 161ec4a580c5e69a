"""What ``linkpilot status`` reports: managed endpoints with their last probe verdict, and pending
invitations the policy would not accept. Pure assembly and rendering; the reads are in ``commands.status``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from linkpilot.consumer.directory import records_from_endpoints
from linkpilot.consumer.models import SHARE_TAG, Endpoint, InvitationDecision
from linkpilot_cli.output import Table
from linkpilot_cli.output import render_table as render_rows


@dataclass(frozen=True)
class ProbeVerdict:
    """The newest ProbeSuccess datapoint of one endpoint."""

    ok: bool
    at: datetime


@dataclass(frozen=True)
class EndpointRow:
    endpoint_id: str
    state: str
    resource_configuration_arn: str
    share_arn: str
    dns_name: str
    probe: str  # ok | failing | no data
    probe_at: str | None
    last_error: str
    # what the controller publishes for applications (SSM parameter, names, accessibility), per association
    names: tuple[NameRow, ...] = ()


@dataclass(frozen=True)
class NameRow:
    parameter: str
    dns_name: str
    private_dns_name: str
    accessibility: str
    state: str


@dataclass(frozen=True)
class InvitationRow:
    invitation_arn: str
    share_name: str
    sender_account_id: str
    decision: str  # what the policy would do: ignore | reject | accept | unknown (no policy given)
    reason: str


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
                "probing_failing": sum(e.probe == "failing" for e in self.endpoints),
                "pending_invitations": len(self.invitations),
            },
        }


def build_status(
    endpoints: Sequence[Endpoint],
    verdicts: Mapping[str, ProbeVerdict],
    invitations: Sequence[InvitationRow | InvitationDecision],
) -> StatusReport:
    """Rows for managed endpoints (sorted by configuration) and for pending, not-accepted invitations."""
    names: dict[str, list[NameRow]] = {}
    for record in records_from_endpoints(endpoints):
        names.setdefault(record.endpoint_id, []).append(
            NameRow(
                parameter=record.parameter if record.endpoint_state != "pending" else "",
                dns_name=record.dns_name,
                private_dns_name=record.private_dns_name,
                accessibility=record.accessibility or "unknown",
                state=record.state if record.endpoint_state != "pending" else "pending",
            )
        )
    rows = []
    for ep in sorted(endpoints, key=lambda e: (e.resource_configuration_arn, e.endpoint_id)):
        if not ep.managed:
            continue  # status speaks only of what Linkpilot owns
        verdict = verdicts.get(ep.endpoint_id)
        rows.append(
            EndpointRow(
                endpoint_id=ep.endpoint_id,
                state=ep.state,
                resource_configuration_arn=ep.managed_configuration_arn,
                share_arn=ep.tags.get(SHARE_TAG, ""),
                dns_name=ep.dns_name,
                probe="no data" if verdict is None else ("ok" if verdict.ok else "failing"),
                probe_at=None if verdict is None else verdict.at.isoformat(),
                last_error=ep.last_error,
                names=tuple(names.get(ep.endpoint_id, ())),
            )
        )
    pending = []
    for item in invitations:
        if isinstance(item, InvitationRow):
            pending.append(item)
        else:
            pending.append(
                InvitationRow(
                    invitation_arn=item.invitation_arn,
                    share_name=item.share_name,
                    sender_account_id=item.sender_account_id,
                    decision=item.verdict.value,
                    reason=item.reason,
                )
            )
    return StatusReport(tuple(rows), tuple(sorted(pending, key=lambda i: i.invitation_arn)))


def _short_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def status_tables(report: StatusReport) -> list[Table]:
    """The report as rows: managed endpoints, then pending invitations the policy does not accept."""
    endpoints = Table(
        "endpoint",
        "Managed resource endpoints",
        ("ENDPOINT", "STATE", "CONFIGURATION", "SHARE", "PROBE", "PROBED AT"),
        tuple(
            (
                e.endpoint_id,
                e.state,
                _short_arn(e.resource_configuration_arn),
                _short_arn(e.share_arn),
                e.probe,
                e.probe_at or "-",
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
    """A table for people; ``--output json`` gives the full record for machines."""
    lines: list[str] = []
    for table in status_tables(report):
        if lines:
            lines.append("")
        lines.extend(render_rows(table, colour=colour))
    return "\n".join(lines)
