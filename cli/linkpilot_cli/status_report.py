"""The status report: its rows (managed endpoints with their probe verdict and the names they publish,
pending invitations not accepted), built from what ``linkpilot status`` read, and its tables.

Pure: ``linkpilot_cli.commands.status`` reads through the adapters and hands the reads here; the demo builds
and prints the same report.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from linkpilot_cli.output import Table, short_id
from linkpilot_cli.output import render_table as render_rows

if TYPE_CHECKING:
    from linkpilot.consumer.models import Endpoint, InvitationDecision
    from linkpilot.follow_up import FollowUp
    from linkpilot_cli.probe_verdicts import ProbeDetail, ProbeVerdict


# ------------------------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class NameRow:
    parameter: str  # the parameter the controller publishes for this association ("" while it waits)
    dns_name: str
    private_dns_name: str
    accessibility: str
    state: str
    published: bool | None = None  # read from SSM: True found, False missing, None not read


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
class NextRun:
    """The controller's pending follow-up run (``at`` None: none pending, the reconcile schedule is next)."""

    at: str | None
    because: str

    @classmethod
    def of(cls, follow_up: FollowUp | None) -> NextRun:
        if follow_up is None:
            return cls(None, "no follow-up run pending: the reconcile schedule")
        return cls(follow_up.due_at.isoformat(), follow_up.reason)


@dataclass(frozen=True)
class StatusReport:
    endpoints: tuple[EndpointRow, ...]
    invitations: tuple[InvitationRow, ...]
    # the controller's next run, when the state table was read (None: not read)
    next_run: NextRun | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoints": [asdict(e) for e in self.endpoints],
            "pending_invitations": [asdict(i) for i in self.invitations],
            "next_run": asdict(self.next_run) if self.next_run is not None else None,
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
    published: Collection[str] | None = None,
) -> StatusReport:
    """Rows for managed endpoints (sorted by configuration) and for pending, not-accepted invitations.
    ``published``: the SSM parameter names read, which say whether each name was found (None: not read)."""
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
                published=None if waiting or published is None else record.parameter in published,
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
                short_id(e.resource_configuration_arn),
                short_id(e.share_arn),
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
            (short_id(i.invitation_arn), i.share_name, i.sender_account_id, i.decision, i.reason)
            for i in report.invitations
        ),
    )
    names = Table(
        "name",
        "Names applications find (SSM Parameter Store, as read)",
        ("ENDPOINT", "SSM PARAMETER", "FOUND", "DNS NAME", "PRIVATE DNS NAME", "ACCESSIBILITY"),
        tuple(
            (
                e.endpoint_id,
                n.parameter or "-",
                _found(n),
                n.dns_name or "-",
                n.private_dns_name or "-",
                n.accessibility,
            )
            for e in report.endpoints
            for n in e.names
        ),
    )
    if report.next_run is None:
        return [endpoints, names, invitations]
    run = report.next_run
    next_run = Table("next-run", "Next controller run", ("AT", "BECAUSE"), ((run.at or "-", run.because),))
    return [endpoints, names, invitations, next_run]


def _found(name: NameRow) -> str:
    if name.published is None:
        return "waiting" if not name.parameter else "not read"
    return "yes" if name.published else "missing"


def render_table(report: StatusReport, *, colour: bool = False) -> str:
    """A table for people (the demo prints it); ``--output json`` gives the full record for machines."""
    lines: list[str] = []
    for table in status_tables(report):
        if lines:
            lines.append("")
        lines.extend(render_rows(table, colour=colour))
    return "\n".join(lines)
