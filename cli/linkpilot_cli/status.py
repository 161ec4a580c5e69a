"""What ``linkpilot status`` reports: managed endpoints with their last probe verdict, and pending
invitations the policy would not accept. Pure assembly and rendering; the reads are in ``commands.status``.

The verdict comes from the newest ``ProbeSuccess`` datapoint (the share of the endpoint's addresses that
serve: 1 ok, between 0 and 1 degraded, 0 down); which addresses failed, and a certificate near expiry, from
the probe function's log line of that run ("probe target failed"), when the log is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from linkpilot.consumer.directory import records_from_endpoints
from linkpilot.consumer.models import SHARE_TAG, Endpoint, InvitationDecision
from linkpilot_cli.output import Table
from linkpilot_cli.output import render_table as render_rows


@dataclass(frozen=True)
class ProbeVerdict:
    """The newest ProbeSuccess datapoint of one endpoint (``health``: its value, the share serving)."""

    ok: bool
    at: datetime
    health: float | None = None

    @property
    def label(self) -> str:
        if self.ok:
            return "ok"
        return "degraded" if self.health is not None and 0 < self.health < 1 else "down"


@dataclass(frozen=True)
class ProbeDetail:
    """The probe's log line for a target that was not ok: its verdict and the addresses that failed."""

    verdict: str  # degraded | down | cert_expiring | invalid
    at: datetime
    failed_addresses: tuple[str, ...] = ()  # "ADDRESS REASON", e.g. "10.0.1.7 timeout"
    error: str | None = None


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
                "probing_failing": sum(e.probe in ("degraded", "down") for e in self.endpoints),
                "pending_invitations": len(self.invitations),
            },
        }


PROBE_FAILED_MESSAGE = "probe target failed"  # the probe function's log line for a target not ok


def probe_detail(message: str, timestamp_ms: int) -> tuple[str, ProbeDetail] | None:
    """(endpoint id, detail) from one probe function log line; None for any other line."""
    import json

    try:
        record = json.loads(message)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("message") != PROBE_FAILED_MESSAGE:
        return None
    row = record.get("probe")
    if not isinstance(row, dict) or not row.get("target"):
        return None
    failed = tuple(
        f"{a.get('address')} {a.get('reason')}"
        for a in row.get("addresses") or ()
        if isinstance(a, dict) and not a.get("ok")
    )
    at = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return str(row["target"]), ProbeDetail(str(row.get("verdict")), at, failed, row.get("error"))


def _probe_cells(verdict: ProbeVerdict | None, detail: ProbeDetail | None) -> dict[str, Any]:
    """The verdict from the metric; the log line's details only when it belongs to that run or a later one
    (a datapoint is stamped with its minute, the log line with the moment the run logged it)."""
    if verdict is None:
        return {"probe": "no data", "probe_at": None}
    cells: dict[str, Any] = {"probe": verdict.label, "probe_at": verdict.at.isoformat()}
    if detail is not None and detail.at >= verdict.at:
        if verdict.ok and detail.verdict == "cert_expiring":  # serving: the metric counts it as ok
            cells["probe"] = "cert_expiring"
        if not verdict.ok or detail.verdict == "cert_expiring":
            cells["failed_addresses"], cells["probe_error"] = detail.failed_addresses, detail.error
    return cells


def build_status(
    endpoints: Sequence[Endpoint],
    verdicts: Mapping[str, ProbeVerdict],
    invitations: Sequence[InvitationRow | InvitationDecision],
    details: Mapping[str, ProbeDetail] | None = None,
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
        rows.append(
            EndpointRow(
                endpoint_id=ep.endpoint_id,
                state=ep.state,
                resource_configuration_arn=ep.managed_configuration_arn,
                share_arn=ep.tags.get(SHARE_TAG, ""),
                dns_name=ep.dns_name,
                last_error=ep.last_error,
                names=tuple(names.get(ep.endpoint_id, ())),
                **_probe_cells(verdicts.get(ep.endpoint_id), (details or {}).get(ep.endpoint_id)),
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
    """A table for people; ``--output json`` gives the full record for machines."""
    lines: list[str] = []
    for table in status_tables(report):
        if lines:
            lines.append("")
        lines.extend(render_rows(table, colour=colour))
    return "\n".join(lines)
