"""Provider onboarding, the imperative shell: read the declared consumer list and the share, apply the plan,
audit and notify every decision.

Collaborators are small ports (``ShareAdmin``, ``AuditLog``, ``Notifier``), so the Lambda handler, tests and
tools pass real adapters or fakes. The decisions themselves are in ``linkpilot.provider.plan``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from linkpilot.foreign import AUDIT_FIELDS, MESSAGE_FIELD_BYTES, OTHER_BYTES, bound_fields, bound_tree
from linkpilot.outcome import Done, Terminal
from linkpilot.provider.connections import ProviderView, build_view
from linkpilot.provider.plan import (
    ConsumerList,
    ConsumerListError,
    PrincipalAssociation,
    PrincipalChange,
    PrincipalPlan,
    SharingMode,
    account_of_arn,
    client_token,
    parse_consumer_list,
    plan_principals,
)
from linkpilot.provider.ports import (
    AuditLog,
    ConsumerEndpoints,
    ConsumerListSource,
    ConsumerListUnavailable,
    Notifier,
    PrincipalChangeRefused,
    ShareAdmin,
    ShareNotFound,
)


@dataclass(frozen=True)
class AuditEntry:
    """One provider-side decision or action. ``event`` is what happened, ``outcome`` how it ended."""

    share_arn: str
    event: str  # associate | disassociate | consumer-list-rejected | share-not-found
    outcome: str  # done | refused | rejected | error
    reason: str
    principal: str = ""
    consumer_list_digest: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeOutcome:
    change: PrincipalChange
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class SyncReport:
    share_arn: str
    error: str = ""  # the list or the share was unusable: nothing was changed
    problems: tuple[str, ...] = ()
    consumer_list_digest: str = ""
    plan: PrincipalPlan | None = None
    outcomes: tuple[ChangeOutcome, ...] = ()
    consumers: ConsumerList | None = None  # the parsed list (None when it was unusable)
    associations: tuple[PrincipalAssociation, ...] = ()  # the share's principals as read before the changes

    @property
    def ok(self) -> bool:
        return not self.error and all(o.ok for o in self.outcomes)

    @property
    def outcome(self) -> Done | Terminal:
        """Terminal when the list or the share was unusable (nothing changed: a retry cannot help until it
        is fixed); else Done, failed when RAM refused a principal."""
        if self.error:
            return Terminal(self.error, self.problems)
        return Done(failed=not self.ok)

    def count(self, action: str, *, ok: bool) -> int:
        return sum(1 for o in self.outcomes if o.change.action == action and o.ok is ok)

    def metrics(self) -> dict[str, int]:
        return {
            "PrincipalsAssociated": self.count("associate", ok=True),
            "PrincipalsDisassociated": self.count("disassociate", ok=True),
            "PrincipalChangeFailures": sum(1 for o in self.outcomes if not o.ok),
            "OnboardingConfigErrors": 1 if self.error else 0,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "share_arn": self.share_arn,
            "ok": self.ok,
            "error": self.error,
            "problems": list(self.problems),
            "consumer_list_digest": self.consumer_list_digest,
            "unchanged": list(self.plan.unchanged) if self.plan else [],
            "changes": [
                {
                    "action": o.change.action,
                    "principal": o.change.principal,
                    "reason": o.change.reason,
                    "ok": o.ok,
                    "error": o.error,
                }
                for o in self.outcomes
            ],
        }


def audit_record(entry: AuditEntry, at: datetime, retention_days: int) -> dict[str, str | int]:
    """The audit item of one provider decision (written by the same table adapter as the consumer's).

    ``pk`` is the share ARN and ``sk`` the record time (ISO 8601, UTC) plus a random suffix, so one query
    reads a share's history in time order; ``expires_at`` (epoch seconds) is the table's TTL attribute.
    Every field is bounded (``linkpilot.foreign.AUDIT_FIELDS``), as the consumer's are.
    """
    record: dict[str, str | int] = {
        "pk": entry.share_arn,
        "sk": f"{at.isoformat()}#{uuid.uuid4().hex[:8]}",
        "source": "provider-onboarding",
        "event": entry.event,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "principal": entry.principal or "-",
        "consumer_list_digest": entry.consumer_list_digest or "-",
        "detail": json.dumps(dict(entry.detail), default=str),
        "expires_at": int((at + timedelta(days=retention_days)).timestamp()),
    }
    return bound_fields(record, AUDIT_FIELDS, OTHER_BYTES)


@dataclass(frozen=True)
class Outputs:
    """Where the service records (audit table) and tells (topic) what it did."""

    audit: AuditLog
    notifier: Notifier
    retention_days: int = 90
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def record(self, entry: AuditEntry) -> None:
        self.audit.write([audit_record(entry, self.clock(), self.retention_days)])

    def notify(self, subject: str, message: Mapping[str, Any], *, error: bool = False) -> None:
        # each string bounded (RAM's error messages quote what they refuse), as the controller's are
        self.notifier.publish(
            subject, ["error" if error else "change"], bound_tree(message, MESSAGE_FIELD_BYTES)
        )


def _reject(share_arn: str, event: str, error: str, problems: tuple[str, ...], *, out: Outputs) -> SyncReport:
    out.record(
        AuditEntry(
            share_arn=share_arn, event=event, outcome="rejected", reason=error, detail={"problems": problems}
        )
    )
    out.notify(
        f"Linkpilot provider: {event}, no change made",
        {"share_arn": share_arn, "event": event, "error": error, "problems": list(problems)},
        error=True,
    )
    return SyncReport(share_arn=share_arn, error=error, problems=problems)


def sync_share_principals(
    raw_consumer_list: str,
    *,
    share_arn: str,
    mode: SharingMode,
    share: ShareAdmin,
    out: Outputs,
) -> SyncReport:
    """Make the share's principals equal to the declared consumer list; audit and notify each change.

    A malformed list changes nothing: the whole list is rejected with every problem named. One principal
    that RAM refuses never stops the others. Throttling and service errors propagate (the caller retries).
    """
    try:
        consumers = parse_consumer_list(
            raw_consumer_list, mode=mode, provider_account_id=account_of_arn(share_arn)
        )
    except ConsumerListError as err:
        return _reject(share_arn, "consumer-list-rejected", str(err), tuple(err.problems), out=out)

    try:
        actual = share.principal_associations(share_arn)
    except ShareNotFound as err:
        return _reject(share_arn, "share-not-found", str(err), (), out=out)

    plan = plan_principals(consumers, actual)
    outcomes: list[ChangeOutcome] = []
    for change in plan.changes:
        apply = share.associate if change.action == "associate" else share.disassociate
        try:
            apply(share_arn, change.principal, client_token(share_arn, change))
            outcome = ChangeOutcome(change=change, ok=True)
        except PrincipalChangeRefused as err:
            outcome = ChangeOutcome(change=change, ok=False, error=str(err))
        outcomes.append(outcome)
        out.record(
            AuditEntry(
                share_arn=share_arn,
                event=change.action,
                outcome="done" if outcome.ok else "refused",
                reason=change.reason if outcome.ok else f"{change.reason}; refused: {outcome.error}",
                principal=change.principal,
                consumer_list_digest=consumers.digest,
            )
        )
        verb = {"associate": "added to", "disassociate": "removed from"}[change.action]
        out.notify(
            f"Linkpilot provider: consumer {verb} the share"
            if outcome.ok
            else f"Linkpilot provider: {change.action} refused",
            {
                "share_arn": share_arn,
                "action": change.action,
                "principal": change.principal,
                "reason": change.reason,
                "ok": outcome.ok,
                "error": outcome.error,
            },
            error=not outcome.ok,
        )
    return SyncReport(
        share_arn=share_arn,
        consumer_list_digest=consumers.digest,
        plan=plan,
        outcomes=tuple(outcomes),
        consumers=consumers,
        associations=tuple(actual),
    )


def run_onboarding(
    *, share_arn: str, mode: SharingMode, consumer_list: ConsumerListSource, share: ShareAdmin, out: Outputs
) -> SyncReport:
    """One onboarding pass, whatever triggered it: the trigger is only a hint, the parameter is the truth."""
    try:
        raw = consumer_list.read()
    except ConsumerListUnavailable as err:
        return _reject(share_arn, "consumer-list-missing", str(err), (), out=out)
    return sync_share_principals(raw, share_arn=share_arn, mode=mode, share=share, out=out)


def observe_connections(
    report: SyncReport,
    *,
    configurations: Sequence[str],
    endpoints: ConsumerEndpoints,
    now: datetime,
    overdue_hours: int,
) -> ProviderView | None:
    """The consumers' endpoints on the shared configurations, seen after a pass that read a usable list and
    share (None otherwise: then there is nothing to compare with). A configuration that cannot be read
    (``ConfigurationNotFound``) leaves as is: the caller reports it."""
    if report.error or report.consumers is None:
        return None
    found = []
    for arn in configurations:
        found.extend(endpoints.consumer_endpoints(arn))
    return build_view(
        share_arn=report.share_arn,
        configurations=configurations,
        declared=report.consumers,
        associations=report.associations,
        endpoints=found,
        now=now,
        overdue_hours=overdue_hours,
    )
