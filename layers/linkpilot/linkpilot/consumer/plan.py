"""The reconcile planner: observed state + trust policy -> plan. Pure: no AWS, no clock, no randomness.

Default deny, enforced twice: an invitation is accepted only when its sender is trusted and every
resource in it passes the policy; a shared configuration gets an endpoint only when the same checks pass
on the share that carries it (inside an Organization, shares arrive with no invitation at all).
Cleanup touches only endpoints carrying the managed tag.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from linkpilot.consumer.models import (
    SHARE_TAG,
    Action,
    ActionKind,
    Endpoint,
    Invitation,
    InvitationDecision,
    ObservedState,
    OrphanedEndpoint,
    Plan,
    ShareResource,
    Verdict,
    Waiting,
    arn_account,
)
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE, TrustPolicy
from linkpilot.consumer.targets import group_children, probe_targets
from linkpilot.tokens import uuid_token

# The only ListResources status that lets a configuration take a new endpoint. RAM accepts asynchronously:
# a configuration is used once RAM lists it as AVAILABLE, never in the run that accepted its invitation.
CREATABLE_RESOURCE_STATUSES = frozenset({"AVAILABLE"})


def distrust_reason(
    policy: TrustPolicy, account_id: str, ceiling: frozenset[str] | None = None
) -> str | None:
    """Why ``account_id`` is not trusted; None when it is (in the policy and within the IAM ceiling)."""
    if not policy.trusts(account_id):
        return f"sender {account_id or '?'} is not in trusted_accounts"
    if ceiling is not None and account_id not in ceiling:
        return (
            f"sender {account_id} is in the policy's trusted_accounts but not in the stack's TrustedAccounts "
            "(the IAM condition that lets the controller read and accept its shares); add it there"
        )
    return None


def needs_inspection(
    policy: TrustPolicy, invitation: Invitation, ceiling: frozenset[str] | None = None
) -> bool:
    """Whether the reconcile must read this invitation's resources before deciding (trusted and pending)."""
    return (
        invitation.status == "PENDING"
        and distrust_reason(policy, invitation.sender_account_id, ceiling) is None
    )


def resource_refusal(policy: TrustPolicy, resource: ShareResource, owner_account_id: str) -> str | None:
    """Why the policy refuses a resource offered by ``owner_account_id``; None when it is acceptable."""
    if not policy.allows_type(resource.type):
        return f"resource type {resource.type} is not allowed ({resource.arn})"
    resource_owner = arn_account(resource.arn)
    if resource_owner != owner_account_id:
        owner = resource_owner or "?"
        return f"{resource.arn} is owned by account {owner}, not the sharing account {owner_account_id}"
    if not policy.allows_arn(resource.arn):
        return f"{resource.arn} matches no allowed_resource_configuration_arns pattern"
    return None


def decide_invitation(
    policy: TrustPolicy,
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
    distrust = distrust_reason(policy, sender, ceiling)
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

    refuse = Verdict.REJECT if policy.untrusted_invitations == "reject" else Verdict.IGNORE
    if invitation.status == "EXPIRED":
        return decision(
            Verdict.EXPIRED, "invitation expired before it was accepted; the provider must share again"
        )
    if invitation.status != "PENDING":
        return None
    if distrust is not None:
        return decision(refuse if not policy.trusts(sender) else Verdict.IGNORE, distrust, refused=True)
    if inspection_refused or not resources:
        what = "could not be read" if resources is None else "lists no resources yet"
        if inspection_refused:
            what = f"could not be read: AWS refused ({inspection_refused})"
        return decision(Verdict.IGNORE, f"the share {what}; left pending, retried on the next reconcile")
    refusals = [r for r in (resource_refusal(policy, res, sender) for res in resources) if r]
    if refusals:
        return decision(refuse, "; ".join(refusals), refused=True)
    return decision(Verdict.ACCEPT, f"trusted sender {sender}; all {len(resources)} resource(s) allowed")


def _token(*parts: str) -> str:
    """Deterministic idempotency token (<= 64 ASCII characters, as EC2 and RAM accept)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:64]


def accept_token(invitation_arn: str) -> str:
    """RAM's ``clientToken`` for accepting this invitation (UUID-shaped, like every public example)."""
    return uuid_token("accept", invitation_arn)


def reject_token(invitation_arn: str) -> str:
    return uuid_token("reject", invitation_arn)


def create_token(policy: TrustPolicy, configuration_arn: str, now: datetime) -> str:
    """Same configuration, placement and hour -> same token: concurrent reconciles create one endpoint.

    The hour bounds how long EC2 keeps answering a token with an endpoint that has since failed or been
    deleted; a duplicate from two runs straddling an hour is removed by the one-endpoint rule below.
    """
    e = policy.endpoint
    return _token(
        "create",
        configuration_arn,
        e.vpc_id,
        ",".join(sorted(e.subnet_ids)),
        ",".join(sorted(e.security_group_ids)),
        str(e.private_dns),
        e.ip_address_type,
        now.strftime("%Y-%m-%dT%H"),
    )


@dataclass(frozen=True)
class _Wanted:
    configuration_arn: str
    share_arn: str
    status: str

    @property
    def creatable(self) -> bool:
        return self.status.upper() in CREATABLE_RESOURCE_STATUSES


def _wanted_configurations(
    policy: TrustPolicy, state: ObservedState, decisions: Iterable[InvitationDecision]
) -> tuple[dict[str, _Wanted], list[tuple[str, str, str]], list[Waiting]]:
    """The allowed configurations RAM lists as shared with this account, the refused ones, and what is
    accepted but not usable yet (acceptance is asynchronous: only ``ListResources`` says when to create)."""
    wanted: dict[str, _Wanted] = {}
    refused: list[tuple[str, str, str]] = []
    for res in sorted(state.shared_resources, key=lambda r: (r.arn, r.share_arn)):
        if res.type != RESOURCE_CONFIGURATION_TYPE:
            continue
        owner = arn_account(res.share_arn)
        distrust = distrust_reason(policy, owner, state.trust_ceiling)
        if distrust:
            refused.append((res.arn, res.share_arn, f"shared by account {owner or '?'}: {distrust}"))
            continue
        why = resource_refusal(policy, res, owner)
        if why:
            refused.append((res.arn, res.share_arn, why))
            continue
        if res.arn not in wanted or (res.status.upper() == "AVAILABLE" and not wanted[res.arn].creatable):
            # the same configuration can arrive through several shares: an AVAILABLE one wins
            wanted[res.arn] = _Wanted(res.arn, res.share_arn, res.status)
    return wanted, refused, _waiting(policy, state, wanted, decisions)


def _waiting(
    policy: TrustPolicy,
    state: ObservedState,
    wanted: dict[str, _Wanted],
    decisions: Iterable[InvitationDecision],
) -> list[Waiting]:
    """Accepted (in this run or earlier) or shared, but not usable yet."""
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
                if res.type == RESOURCE_CONFIGURATION_TYPE and res.arn not in wanted:
                    waiting.append(Waiting(d.share_arn, res.arn, _SHARE_NOT_VISIBLE))
    for inv in state.invitations:
        trusted = distrust_reason(policy, inv.sender_account_id, state.trust_ceiling) is None
        if inv.status == "ACCEPTED" and trusted and inv.share_arn not in listed_shares:
            waiting.append(Waiting(inv.share_arn, "", _SHARE_NOT_VISIBLE))
    return waiting


_SHARE_NOT_VISIBLE = (
    "waiting for the share to become visible: accepted, but RAM does not list its resources yet "
    "(acceptance completes asynchronously; a later run creates the endpoint)"
)


def _keeper(endpoints: Sequence[Endpoint]) -> Endpoint:
    """Which of several live managed endpoints for one configuration stays: available first, then oldest."""
    return min(
        endpoints,
        key=lambda e: (
            e.state != "available",
            e.created_at.timestamp() if e.created_at else 0.0,
            e.endpoint_id,
        ),
    )


def plan_actions(policy: TrustPolicy, state: ObservedState, now: datetime) -> Plan:
    """Everything one reconcile should do, in the order it should do it, each with its reason."""
    decisions: list[InvitationDecision] = []
    actions: list[Action] = []
    for inv in sorted(state.invitations, key=lambda i: i.arn):
        d = decide_invitation(
            policy,
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

    wanted, refused, waiting = _wanted_configurations(policy, state, decisions)

    endpoint_actions, orphaned, kept = _plan_endpoints(policy, state, wanted, now)
    actions.extend(endpoint_actions)

    targets, unprobed = probe_targets(policy, kept)
    return Plan(
        decisions=tuple(decisions),
        actions=tuple(actions),
        orphaned=tuple(orphaned),
        refused_resources=tuple(refused),
        waiting=tuple(waiting),
        probe_targets=targets if policy.probe.enabled else (),
        unprobed=unprobed if policy.probe.enabled else (),
        probe_defaults=policy.probe.defaults,
    )


def _plan_endpoints(
    policy: TrustPolicy, state: ObservedState, wanted: dict[str, _Wanted], now: datetime
) -> tuple[list[Action], list[OrphanedEndpoint], list[Endpoint]]:
    """Creates, then deletes; orphans (kept by policy); the endpoints that stay (probe target candidates)."""
    actions: list[Action] = []
    # Only endpoints carrying the managed tag are ours; the adapter filters on it, this checks again.
    by_config: dict[str, list[Endpoint]] = defaultdict(list)
    failed: dict[str, list[Endpoint]] = defaultdict(list)
    for ep in state.endpoints:
        if ep.managed and ep.live:
            by_config[ep.managed_configuration_arn].append(ep)
        elif ep.managed and ep.state == "failed":
            failed[ep.managed_configuration_arn].append(ep)

    # A failed endpoint of ours is removed first; its configuration gets a new one on a later run.
    deletes: list[Action] = [
        _delete(ep, f"endpoint failed: {ep.last_error or 'no reason given'}")
        for config_arn in sorted(failed)
        for ep in sorted(failed[config_arn], key=lambda e: e.endpoint_id)
    ]
    orphaned: list[OrphanedEndpoint] = []
    kept: list[Endpoint] = []
    vpc = policy.endpoint.vpc_id
    children = group_children(state.endpoints)
    for config_arn in sorted(set(wanted) | set(by_config)):
        eps = by_config.get(config_arn, [])
        in_vpc = [e for e in eps if e.vpc_id == vpc]
        elsewhere = [e for e in eps if e.vpc_id != vpc]
        w = wanted.get(config_arn)
        if w is None:
            gone = [(e, "its configuration is no longer shared or no longer allowed") for e in eps]
        elif config_arn in children:
            group, through = children[config_arn]
            why = f"{config_arn} is a CHILD of GROUP {group}, reached through endpoint {through}"
            gone = [(e, why) for e in eps if e.endpoint_id != through]
        else:
            gone = [(e, f"policy VPC is {vpc}, endpoint is in {e.vpc_id}") for e in elsewhere]
            if in_vpc:
                keep = _keeper(in_vpc)
                kept.append(keep)
                deletes.extend(
                    _delete(e, f"duplicate: {keep.endpoint_id} is this configuration's endpoint")
                    for e in sorted(in_vpc, key=lambda e: e.endpoint_id)
                    if e is not keep
                )
            elif w.creatable and config_arn not in failed:
                actions.append(
                    Action(
                        kind=ActionKind.CREATE_ENDPOINT,
                        reason=f"allowed configuration without an endpoint (AVAILABLE in {w.share_arn})",
                        share_arn=w.share_arn,
                        sender_account_id=arn_account(w.share_arn),
                        resource_configuration_arn=config_arn,
                        client_token=create_token(policy, config_arn, now),
                        placement=policy.endpoint,
                    )
                )
        for ep, why in gone:
            if policy.delete_endpoints_on_unshare:
                deletes.append(_delete(ep, why))
            else:
                orphaned.append(OrphanedEndpoint(ep.endpoint_id, ep.managed_configuration_arn, why))
    actions.extend(deletes)
    return actions, orphaned, kept


def _invitation_action(kind: ActionKind, d: InvitationDecision, token: str) -> Action:
    return Action(
        kind=kind,
        reason=d.reason,
        invitation_arn=d.invitation_arn,
        share_arn=d.share_arn,
        sender_account_id=d.sender_account_id,
        client_token=token,
    )


def _delete(ep: Endpoint, reason: str) -> Action:
    return Action(
        kind=ActionKind.DELETE_ENDPOINT,
        reason=reason,
        endpoint_id=ep.endpoint_id,
        resource_configuration_arn=ep.managed_configuration_arn,
        share_arn=ep.tags.get(SHARE_TAG, ""),
    )
