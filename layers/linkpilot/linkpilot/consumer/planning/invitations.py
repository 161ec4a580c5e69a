"""Invitations and shares: which invitations the account accepts, rejects or leaves, and which shared
configurations and service networks it wants. Pure, like the whole planner.

Default deny, enforced twice: an invitation is accepted only when its sender is trusted and every resource
in it passes the rules; a shared configuration is wanted only when the same checks pass on the share that
carries it (inside an Organization, shares arrive with no invitation at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from linkpilot.consumer.models import (
    Action,
    ActionKind,
    Invitation,
    InvitationDecision,
    ObservedState,
    ShareResource,
    Verdict,
    Waiting,
    arn_account,
)
from linkpilot.consumer.planning.rules import ShareRules
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE, SERVICE_NETWORK_TYPE
from linkpilot.tokens import uuid_token

# What gets an endpoint: a resource configuration (type Resource) or a service network (type ServiceNetwork).
ENDPOINT_TYPES = frozenset({RESOURCE_CONFIGURATION_TYPE, SERVICE_NETWORK_TYPE})
# The only ListResources status that lets a configuration take a new endpoint. RAM accepts asynchronously:
# a configuration is used once RAM lists it as AVAILABLE, never in the run that accepted its invitation.
CREATABLE_RESOURCE_STATUSES = frozenset({"AVAILABLE"})


@dataclass(frozen=True)
class Wanted:
    """An allowed configuration (or service network) RAM lists as shared with this account."""

    configuration_arn: str
    share_arn: str
    status: str

    @property
    def creatable(self) -> bool:
        return self.status.upper() in CREATABLE_RESOURCE_STATUSES


def distrust_reason(rules: ShareRules, account_id: str, ceiling: frozenset[str] | None = None) -> str | None:
    """Why ``account_id`` is not trusted; None when it is (in the policy and within the IAM ceiling)."""
    if not rules.trusts(account_id):
        return f"sender {account_id or '?'} is not in trusted_accounts"
    if ceiling is not None and account_id not in ceiling:
        return (
            f"sender {account_id} is in the policy's trusted_accounts but not in the stack's TrustedAccounts "
            "(the IAM condition that lets the controller read and accept its shares); add it there"
        )
    return None


def needs_inspection(
    rules: ShareRules, invitation: Invitation, ceiling: frozenset[str] | None = None
) -> bool:
    """Whether the reconcile must read this invitation's resources before deciding (trusted and pending)."""
    return (
        invitation.status == "PENDING"
        and distrust_reason(rules, invitation.sender_account_id, ceiling) is None
    )


def resource_refusal(rules: ShareRules, resource: ShareResource, owner_account_id: str) -> str | None:
    """Why the rules refuse a resource offered by ``owner_account_id``; None when it is acceptable."""
    if resource.type == SERVICE_NETWORK_TYPE and rules.service_network_arns is None:
        return f"service network {resource.arn}: the policy takes none (no service_networks section)"
    if not rules.allows_type(resource.type):
        return f"resource type {resource.type} is not allowed ({resource.arn})"
    resource_owner = arn_account(resource.arn)
    if resource_owner != owner_account_id:
        owner = resource_owner or "?"
        return f"{resource.arn} is owned by account {owner}, not the sharing account {owner_account_id}"
    if resource.type == SERVICE_NETWORK_TYPE:
        allowed, key = rules.allows_service_network(resource.arn), "service_networks.allowed_arns"
    else:
        allowed, key = rules.allows_configuration(resource.arn), "allowed_resource_configuration_arns"
    return None if allowed else f"{resource.arn} matches no {key} pattern"


def decide_invitation(
    rules: ShareRules,
    invitation: Invitation,
    resources: Sequence[ShareResource] | None,
    ceiling: frozenset[str] | None = None,
    inspection_refused: str = "",
) -> InvitationDecision | None:
    """The verdict on one invitation; None for those that need nothing (accepted or rejected earlier).

    ``inspection_refused``: why AWS refused to show the invitation's contents (e.g. AccessDenied): that
    invitation is left pending and reported; the rest of the run goes on.
    """
    sender = invitation.sender_account_id
    distrust = distrust_reason(rules, sender, ceiling)
    trusted = distrust is None
    arns = tuple(r.arn for r in resources or ())

    def decision(verdict: Verdict, reason: str, refused: bool = False) -> InvitationDecision:
        return InvitationDecision(
            invitation_arn=invitation.arn,
            share_arn=invitation.share_arn,
            share_name=invitation.share_name,
            sender_account_id=sender,
            verdict=verdict,
            reason=reason,
            trusted_sender=trusted,
            resource_arns=arns,
            refused_by_policy=refused,
        )

    refuse = Verdict.REJECT if rules.reject_unacceptable else Verdict.IGNORE
    if invitation.status == "EXPIRED":
        return decision(
            Verdict.EXPIRED, "invitation expired before it was accepted; the provider must share again"
        )
    if invitation.status != "PENDING":
        return None
    if distrust is not None:
        return decision(refuse if not rules.trusts(sender) else Verdict.IGNORE, distrust, refused=True)
    if inspection_refused or not resources:
        what = "could not be read" if resources is None else "lists no resources yet"
        if inspection_refused:
            what = f"could not be read: AWS refused ({inspection_refused})"
        return decision(Verdict.IGNORE, f"the share {what}; left pending, retried on the next reconcile")
    refusals = [r for r in (resource_refusal(rules, res, sender) for res in resources) if r]
    if refusals:
        return decision(refuse, "; ".join(refusals), refused=True)
    return decision(Verdict.ACCEPT, f"trusted sender {sender}; all {len(resources)} resource(s) allowed")


def accept_token(invitation_arn: str) -> str:
    """RAM's ``clientToken`` for accepting this invitation (UUID-shaped, like every public example)."""
    return uuid_token("accept", invitation_arn)


def reject_token(invitation_arn: str) -> str:
    return uuid_token("reject", invitation_arn)


def answer_invitations(
    rules: ShareRules, state: ObservedState
) -> tuple[list[InvitationDecision], list[Action]]:
    """The decision on every invitation that needs one (by ARN), and the accepts and rejects they call for."""
    decisions: list[InvitationDecision] = []
    actions: list[Action] = []
    for inv in sorted(state.invitations, key=lambda i: i.arn):
        d = decide_invitation(
            rules,
            inv,
            state.pending_resources.get(inv.arn),
            state.trust_ceiling,
            state.inspection_refused.get(inv.arn, ""),
        )
        if d is None:
            continue
        decisions.append(d)
        if d.verdict is Verdict.ACCEPT:
            actions.append(_invitation_action(ActionKind.ACCEPT_INVITATION, d, accept_token(inv.arn)))
        elif d.verdict is Verdict.REJECT:
            actions.append(_invitation_action(ActionKind.REJECT_INVITATION, d, reject_token(inv.arn)))
    return decisions, actions


def _invitation_action(kind: ActionKind, d: InvitationDecision, token: str) -> Action:
    return Action(
        kind=kind,
        reason=d.reason,
        invitation_arn=d.invitation_arn,
        share_arn=d.share_arn,
        sender_account_id=d.sender_account_id,
        client_token=token,
    )


def wanted_configurations(
    rules: ShareRules, state: ObservedState, decisions: Iterable[InvitationDecision], now: datetime
) -> tuple[dict[str, Wanted], list[tuple[str, str, str]], list[Waiting]]:
    """The allowed configurations RAM lists as shared with this account, the refused ones, and what is
    accepted but not usable yet (acceptance is asynchronous: only ``ListResources`` says when to create)."""
    wanted: dict[str, Wanted] = {}
    refused: list[tuple[str, str, str]] = []
    for res in sorted(state.shared_resources, key=lambda r: (r.arn, r.share_arn)):
        if res.type not in ENDPOINT_TYPES:
            continue
        owner = arn_account(res.share_arn)
        distrust = distrust_reason(rules, owner, state.trust_ceiling)
        if distrust:
            refused.append((res.arn, res.share_arn, f"shared by account {owner or '?'}: {distrust}"))
            continue
        why = resource_refusal(rules, res, owner)
        if why:
            refused.append((res.arn, res.share_arn, why))
            continue
        if res.arn not in wanted or (res.status.upper() == "AVAILABLE" and not wanted[res.arn].creatable):
            # the same configuration can arrive through several shares: an AVAILABLE one wins
            wanted[res.arn] = Wanted(res.arn, res.share_arn, res.status)
    return wanted, refused, _waiting(rules, state, wanted, decisions, now)


def _waiting(
    rules: ShareRules,
    state: ObservedState,
    wanted: dict[str, Wanted],
    decisions: Iterable[InvitationDecision],
    now: datetime,
) -> list[Waiting]:
    """Accepted (in this run or earlier) or shared, but not usable yet. What only RAM's asynchronous accept
    holds back says since when it waits (``Waiting.since``): this run's start for an accept it makes, the
    invitation's time for one accepted earlier (the accept came later: an estimate that errs early)."""
    waiting: list[Waiting] = []
    for w in wanted.values():
        if not w.creatable:
            waiting.append(
                Waiting(
                    w.share_arn,
                    w.configuration_arn,
                    f"RAM lists it as {w.status or 'no status'}, not AVAILABLE",
                )
            )
    listed_shares = {r.share_arn for r in state.shared_resources}
    for d in decisions:
        if d.verdict is Verdict.ACCEPT:
            for res in state.pending_resources.get(d.invitation_arn, ()):
                if res.type in ENDPOINT_TYPES and res.arn not in wanted:
                    waiting.append(Waiting(d.share_arn, res.arn, _SHARE_NOT_VISIBLE, since=now))
    for inv in state.invitations:
        trusted = distrust_reason(rules, inv.sender_account_id, state.trust_ceiling) is None
        if inv.status == "ACCEPTED" and trusted and inv.share_arn not in listed_shares:
            waiting.append(Waiting(inv.share_arn, "", _SHARE_NOT_VISIBLE, since=inv.invited_at or now))
    return waiting


_SHARE_NOT_VISIBLE = (
    "waiting for the share to become visible: accepted, but RAM does not list its resources yet "
    "(acceptance completes asynchronously; a later run creates the endpoint)"
)
