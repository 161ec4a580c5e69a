"""What the controller records and tells people: audit records and the run's notification. Pure.

One audit record per decision or action: who shared what, what was decided and why, what was done.
Standing conditions (an invitation left pending, an orphaned endpoint, a refused resource) carry a
``dedupe`` key so a warm controller writes them once per memory TTL instead of on every run.

Every field of a record, and every string of a notification, is bounded here (``linkpilot.foreign``): a
share name or ARN another account chose can never make DynamoDB refuse the item, which would fail the whole
batch and lose the run's other records with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from linkpilot.consumer.follow_ups import FollowUpStatus, follow_up_reason
from linkpilot.consumer.models import ActionKind, Outcome, Verdict
from linkpilot.foreign import AUDIT_FIELDS, MESSAGE_FIELD_BYTES, OTHER_BYTES, bound_fields, bound_tree

if TYPE_CHECKING:
    from linkpilot.consumer.report import ReconcileReport

Record = dict[str, str | int]

_NOTABLE = {
    ActionKind.ACCEPT_INVITATION: ("accept", "accepted"),
    ActionKind.REJECT_INVITATION: ("reject", "rejected"),
    ActionKind.CREATE_ENDPOINT: ("create", "endpoint(s) created"),
    ActionKind.DELETE_ENDPOINT: ("delete", "endpoint(s) deleted"),
    ActionKind.CREATE_ASSOCIATION: ("associate", "service-network VPC association(s) created"),
    ActionKind.DELETE_ASSOCIATION: ("disassociate", "service-network VPC association(s) deleted"),
}


def audit_records(report: ReconcileReport, retention_days: int) -> tuple[list[Record], set[str]]:
    """The run's audit items (without DynamoDB types) and the dedupe keys of its standing conditions."""
    at = report.started_at
    expires = int((at + timedelta(days=retention_days)).timestamp())
    records: list[Record] = []
    standing: set[str] = set()

    def add(pk: str, kind: str, dedupe: str = "", **fields: str) -> None:
        record = _bounded(
            {
                "pk": pk,
                "sk": f"{at.isoformat()}#{report.run_id}#{len(records):04d}",
                "record": kind,
                "run_id": report.run_id,
                "trigger": report.trigger,
                "at": at.isoformat(),
                "expires_at": expires,
                "dedupe": dedupe,
                **fields,
            }
        )
        if dedupe:
            standing.add(str(record["dedupe"]))  # bounded as stored: the same condition, the same key
        records.append(record)

    for d in report.plan.decisions:
        standing_condition = d.verdict in {Verdict.IGNORE, Verdict.EXPIRED}
        add(
            d.share_arn or d.invitation_arn,
            "decision",
            dedupe=f"decision|{d.invitation_arn}|{d.verdict}|{d.reason}" if standing_condition else "",
            invitation_arn=d.invitation_arn,
            share_arn=d.share_arn,
            share_name=d.share_name,
            sender_account_id=d.sender_account_id,
            decision=d.verdict.value,
            reason=d.reason,
            resources=",".join(d.resource_arns),
        )
    for r in report.results:
        a = r.action
        add(
            a.share_arn
            if a.kind in {ActionKind.ACCEPT_INVITATION, ActionKind.REJECT_INVITATION}
            else a.resource_configuration_arn or a.endpoint_id,
            "action",
            action=a.kind.value,
            outcome=r.outcome.value,
            reason=a.reason,
            detail=r.detail,
            error_code=r.error_code,
            invitation_arn=a.invitation_arn,
            share_arn=a.share_arn,
            sender_account_id=a.sender_account_id,
            resource_configuration_arn=a.resource_configuration_arn,
            endpoint_id=r.endpoint_id or a.endpoint_id,
        )

    def endpoint_condition(kind: str, dedupe: str, endpoint_id: str, configuration: str, reason: str) -> None:
        """A standing condition of one endpoint (orphaned, unmanaged, awaiting the unshare grace)."""
        add(
            configuration or endpoint_id,
            kind,
            dedupe=dedupe,
            endpoint_id=endpoint_id,
            resource_configuration_arn=configuration,
            reason=reason,
        )

    for o in report.plan.orphaned:
        key = f"orphan|{o.endpoint_id}|{o.reason}"
        endpoint_condition("orphaned-endpoint", key, o.endpoint_id, o.resource_configuration_arn, o.reason)
    for u in report.plan.unmanaged:
        key = f"unmanaged|{u.endpoint_id}"
        endpoint_condition("unmanaged-endpoint", key, u.endpoint_id, u.resource_configuration_arn, u.reason)
    for g in report.plan.awaiting_grace:
        since, after = g.missing_since.isoformat(), g.delete_after.isoformat()
        key, cfg = f"grace|{g.endpoint_id}|{since}", g.resource_configuration_arn
        grace = f"configuration missing since {since}; deleted after {after} if still missing"
        endpoint_condition("awaiting-grace", key, g.endpoint_id, cfg, grace)
    for arn, share, why in report.plan.refused_resources:
        add(
            arn,
            "refused-resource",
            dedupe=f"refused|{arn}|{share}|{why}",
            resource_configuration_arn=arn,
            share_arn=share,
            reason=why,
        )
    follow_up = report.follow_up
    if follow_up.status is FollowUpStatus.ARRANGED and follow_up.record is not None:
        # "next run at … because …": why the controller will run again before its schedule
        add(
            f"run#{report.run_id}",
            "follow-up",
            reason=follow_up_reason(follow_up),
            next_run_at=follow_up.record.due_at.isoformat(),
        )
    for err in report.side_errors:
        add(f"run#{report.run_id}", "error", detail=err)
    return records, standing


def read_failure_record(
    run_id: str, trigger: str, at: datetime, *, error_code: str, detail: str, retention_days: int
) -> Record:
    """The audit item of a run that could not read AWS (so it decided and changed nothing)."""
    return _bounded(
        {
            "pk": f"run#{run_id}",
            "sk": f"{at.isoformat()}#{run_id}#0000",
            "record": "error",
            "run_id": run_id,
            "trigger": trigger,
            "at": at.isoformat(),
            "expires_at": int((at + timedelta(days=retention_days)).timestamp()),
            "dedupe": "",
            "error_code": error_code,
            "reason": "reading AWS failed: nothing decided or changed; the invocation is retried",
            "detail": detail,
        }
    )


def _bounded(record: Record) -> Record:
    """Each field within its limit (``linkpilot.foreign.AUDIT_FIELDS``): the item stays far below 400 KB."""
    return bound_fields(record, AUDIT_FIELDS, OTHER_BYTES)


def notification(report: ReconcileReport) -> tuple[str, list[str], dict[str, Any]] | None:
    """(subject, kinds, message) when the run accepted, rejected, created, deleted or failed; else None."""
    counts: dict[str, int] = {}
    kinds: set[str] = set()
    for r in report.results:
        if r.outcome is Outcome.DONE and r.action.kind in _NOTABLE:
            kind, label = _NOTABLE[r.action.kind]
            kinds.add(kind)
            counts[label] = counts.get(label, 0) + 1
    errors = len(report.failed_results) + len(report.side_errors)
    if errors:
        kinds.add("error")
        counts["error(s)"] = errors
    if not kinds:
        return None
    subject = "Linkpilot: " + ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
    summary = report.to_json()
    notable_actions = [a for a in summary["actions"] if a["outcome"] in {"done", "failed"}]
    message = {
        "run_id": report.run_id,
        "trigger": report.trigger,
        "at": report.started_at.isoformat(),
        "actions": notable_actions,
        "errors": summary["errors"],
    }
    return subject, sorted(kinds), bound_tree(message, MESSAGE_FIELD_BYTES)
