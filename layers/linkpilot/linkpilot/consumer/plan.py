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
    ProbeTarget,
    ShareResource,
    Verdict,
    arn_account,
)
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE, TrustPolicy

# Resource statuses in ListResources that mean the configuration can take a new endpoint now.
CREATABLE_RESOURCE_STATUSES = frozenset({"", "AVAILABLE"})


def needs_inspection(policy: TrustPolicy, invitation: Invitation) -> bool:
    """Whether the reconcile must read this invitation's resources before deciding (trusted and pending)."""
    return invitation.status == "PENDING" and policy.trusts(invitation.sender_account_id)


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
    policy: TrustPolicy, invitation: Invitation, resources: Sequence[ShareResource] | None
) -> InvitationDecision | None:
    """The verdict on one invitation; None for those that need nothing (accepted or rejected earlier)."""
    sender = invitation.sender_account_id
    trusted = policy.trusts(sender)
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
    if not trusted:
        return decision(refuse, f"sender {sender} is not in trusted_accounts", refused=True)
    if not resources:
        what = "could not be read" if resources is None else "lists no resources yet"
        return decision(Verdict.IGNORE, f"the share {what}; retried on the next reconcile")
    refusals = [r for r in (resource_refusal(policy, res, sender) for res in resources) if r]
    if refusals:
        return decision(refuse, "; ".join(refusals), refused=True)
    return decision(Verdict.ACCEPT, f"trusted sender {sender}; all {len(resources)} resource(s) allowed")


def _token(*parts: str) -> str:
    """Deterministic idempotency token (<= 64 ASCII characters, as EC2 and RAM accept)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:64]


def accept_token(invitation_arn: str) -> str:
    return _token("accept", invitation_arn)


def reject_token(invitation_arn: str) -> str:
    return _token("reject", invitation_arn)


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
    after_invitation: str
    creatable: bool


def _wanted_configurations(
    policy: TrustPolicy, state: ObservedState, decisions: Iterable[InvitationDecision]
) -> tuple[dict[str, _Wanted], list[tuple[str, str, str]]]:
    wanted: dict[str, _Wanted] = {}
    refused: list[tuple[str, str, str]] = []
    for res in sorted(state.shared_resources, key=lambda r: (r.arn, r.share_arn)):
        if res.type != RESOURCE_CONFIGURATION_TYPE:
            continue
        owner = arn_account(res.share_arn)
        if not policy.trusts(owner):
            refused.append(
                (res.arn, res.share_arn, f"shared by account {owner or '?'}, not in trusted_accounts")
            )
            continue
        why = resource_refusal(policy, res, owner)
        if why:
            refused.append((res.arn, res.share_arn, why))
            continue
        if res.arn not in wanted:  # the same configuration can arrive through several shares
            creatable = res.status.upper() in CREATABLE_RESOURCE_STATUSES
            wanted[res.arn] = _Wanted(res.arn, res.share_arn, "", creatable)
    for d in decisions:
        if d.verdict is not Verdict.ACCEPT:
            continue
        for res in state.pending_resources.get(d.invitation_arn, ()):
            if res.type == RESOURCE_CONFIGURATION_TYPE and res.arn not in wanted:
                wanted[res.arn] = _Wanted(res.arn, d.share_arn, d.invitation_arn, True)
    return wanted, refused


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
        d = decide_invitation(policy, inv, state.pending_resources.get(inv.arn))
        if d is None:
            continue
        decisions.append(d)
        if d.verdict is Verdict.ACCEPT:
            actions.append(_invitation_action(ActionKind.ACCEPT_INVITATION, d, accept_token(inv.arn)))
        elif d.verdict is Verdict.REJECT:
            actions.append(_invitation_action(ActionKind.REJECT_INVITATION, d, reject_token(inv.arn)))

    wanted, refused = _wanted_configurations(policy, state, decisions)

    endpoint_actions, orphaned, kept = _plan_endpoints(policy, state, wanted, now)
    actions.extend(endpoint_actions)

    targets = tuple(
        ProbeTarget(
            endpoint_id=e.endpoint_id,
            dns_name=e.dns_name,
            resource_configuration_arn=e.managed_configuration_arn,
            overrides=policy.probe_fields(e.managed_configuration_arn),
            address_family=e.address_family,
        )
        for e in sorted(kept, key=lambda e: e.endpoint_id)
        if e.state == "available" and e.dns_name
    )
    return Plan(
        decisions=tuple(decisions),
        actions=tuple(actions),
        orphaned=tuple(orphaned),
        refused_resources=tuple(refused),
        probe_targets=targets if policy.probe.enabled else (),
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
    for config_arn in sorted(set(wanted) | set(by_config)):
        eps = by_config.get(config_arn, [])
        in_vpc = [e for e in eps if e.vpc_id == vpc]
        elsewhere = [e for e in eps if e.vpc_id != vpc]
        w = wanted.get(config_arn)
        if w is None:
            gone = [(e, "its configuration is no longer shared or no longer allowed") for e in eps]
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
                actions_reason = (
                    f"accepted invitation {w.after_invitation}"
                    if w.after_invitation
                    else f"shared by {w.share_arn}"
                )
                actions.append(
                    Action(
                        kind=ActionKind.CREATE_ENDPOINT,
                        reason=f"allowed configuration without an endpoint ({actions_reason})",
                        share_arn=w.share_arn,
                        sender_account_id=arn_account(w.share_arn),
                        resource_configuration_arn=config_arn,
                        client_token=create_token(policy, config_arn, now),
                        after_invitation=w.after_invitation,
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
