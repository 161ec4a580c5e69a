"""Provider onboarding, the imperative shell: read the declared consumer list and the share, apply the plan,
audit and notify every decision.

Collaborators are small ports (``ShareAdmin``, ``AuditLog``, ``Notifier``), so the Lambda handler, tests and
tools pass real adapters or fakes. The decisions themselves are in ``linkpilot.onboarding``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from linkpilot.onboarding import (
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


class ShareAdmin(Protocol):
    def principal_associations(self, share_arn: str) -> list[PrincipalAssociation]: ...

    def associate(self, share_arn: str, principal: str, client_token: str) -> None: ...

    def disassociate(self, share_arn: str, principal: str, client_token: str) -> None: ...


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...


class Notifier(Protocol):
    def notify(self, subject: str, message: Mapping[str, Any]) -> None: ...


class ConsumerListUnavailable(LookupError):
    """The consumer list parameter does not exist (a configuration error, not a transient one)."""


class ShareNotFound(LookupError):
    """The resource share the function manages does not exist (deleted, or a wrong ARN in the config)."""


class PrincipalChangeRefused(RuntimeError):
    """RAM refused to associate or disassociate one principal; ``code`` is its error code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


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
class OnboardingSettings:
    """What the onboarding function needs to know, from its environment."""

    share_arn: str
    consumer_list_parameter: str
    mode: SharingMode
    audit_table: str
    topic_arn: str
    audit_ttl_days: int = 90

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OnboardingSettings:
        env = os.environ if env is None else env
        missing = [
            k for k in ("SHARE_ARN", "CONSUMER_LIST_PARAMETER", "AUDIT_TABLE", "TOPIC_ARN") if not env.get(k)
        ]
        if missing:
            raise ValueError(f"onboarding function misconfigured: missing environment {', '.join(missing)}")
        mode_text = env.get("SHARING_MODE", SharingMode.ACCOUNTS.value)
        try:
            mode = SharingMode(mode_text)
        except ValueError:
            raise ValueError(
                f"SHARING_MODE must be one of {[m.value for m in SharingMode]}, got {mode_text!r}"
            ) from None
        return cls(
            share_arn=env["SHARE_ARN"],
            consumer_list_parameter=env["CONSUMER_LIST_PARAMETER"],
            mode=mode,
            audit_table=env["AUDIT_TABLE"],
            topic_arn=env["TOPIC_ARN"],
            audit_ttl_days=int(env.get("AUDIT_TTL_DAYS", "90")),
        )


@dataclass(frozen=True)
class SyncReport:
    share_arn: str
    error: str = ""  # the list or the share was unusable: nothing was changed
    problems: tuple[str, ...] = ()
    consumer_list_digest: str = ""
    plan: PrincipalPlan | None = None
    outcomes: tuple[ChangeOutcome, ...] = ()

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
            "ok": not self.error and all(o.ok for o in self.outcomes),
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


def _reject(
    share_arn: str, event: str, error: str, problems: tuple[str, ...], *, audit: AuditLog, notifier: Notifier
) -> SyncReport:
    audit.record(
        AuditEntry(
            share_arn=share_arn, event=event, outcome="rejected", reason=error, detail={"problems": problems}
        )
    )
    notifier.notify(
        f"Linkpilot provider: {event}, no change made",
        {"share_arn": share_arn, "event": event, "error": error, "problems": list(problems)},
    )
    return SyncReport(share_arn=share_arn, error=error, problems=problems)


def sync_share_principals(
    raw_consumer_list: str,
    *,
    share_arn: str,
    mode: SharingMode,
    share: ShareAdmin,
    audit: AuditLog,
    notifier: Notifier,
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
        return _reject(
            share_arn, "consumer-list-rejected", str(err), tuple(err.problems), audit=audit, notifier=notifier
        )

    try:
        actual = share.principal_associations(share_arn)
    except ShareNotFound as err:
        return _reject(share_arn, "share-not-found", str(err), (), audit=audit, notifier=notifier)

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
        audit.record(
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
        notifier.notify(
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
        )
    return SyncReport(
        share_arn=share_arn,
        consumer_list_digest=consumers.digest,
        plan=plan,
        outcomes=tuple(outcomes),
    )


def read_consumer_list(ssm_client: Any, parameter_name: str) -> str:
    """The consumer list's current value, always fresh (a change event must see the new value).

    Read through Powertools Parameters. It wraps every failure in ``GetParameterError``; a missing parameter
    is a configuration error (``ConsumerListUnavailable``), anything else propagates for a retry.
    """
    from aws_lambda_powertools.utilities.parameters import SSMProvider
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.exceptions import ClientError

    try:
        value = SSMProvider(boto3_client=ssm_client).get(parameter_name, force_fetch=True)
    except GetParameterError as err:
        cause = err.__context__
        if (
            isinstance(cause, ClientError)
            and cause.response.get("Error", {}).get("Code") == "ParameterNotFound"
        ):
            raise ConsumerListUnavailable(f"consumer list parameter {parameter_name} does not exist") from err
        raise
    return value if isinstance(value, str) else str(value)


def run_onboarding(
    settings: OnboardingSettings,
    *,
    ssm_client: Any,
    share: ShareAdmin,
    audit: AuditLog,
    notifier: Notifier,
) -> SyncReport:
    """One onboarding pass, whatever triggered it: the trigger is only a hint, the parameter is the truth."""
    try:
        raw = read_consumer_list(ssm_client, settings.consumer_list_parameter)
    except ConsumerListUnavailable as err:
        return _reject(
            settings.share_arn, "consumer-list-missing", str(err), (), audit=audit, notifier=notifier
        )
    return sync_share_principals(
        raw, share_arn=settings.share_arn, mode=settings.mode, share=share, audit=audit, notifier=notifier
    )
