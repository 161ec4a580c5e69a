"""The reconcile planner: observed state + trust policy -> plan. Pure: no AWS, no clock, no randomness.

Default deny, enforced twice: an invitation is accepted only when its sender is trusted and every
resource in it passes the policy; a shared configuration gets an endpoint only when the same checks pass
on the share that carries it (inside an Organization, shares arrive with no invitation at all).
Cleanup touches only endpoints carrying the managed tag.
Endpoint decisions are in ``linkpilot.consumer.plan_endpoints``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from linkpilot.consumer.models import (
    DELETE_KINDS,
    Action,
    ActionKind,
    Invitation,
    InvitationDecision,
    ObservedState,
    Plan,
    ShareResource,
    Verdict,
    Waiting,
    arn_account,
    is_service_network_arn,
)
from linkpilot.consumer.plan_endpoints import (
    CREATABLE_RESOURCE_STATUSES,
    Wanted,
    create_token,
    plan_endpoints,
)
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE, SERVICE_NETWORK_TYPE, TrustPolicy
from linkpilot.consumer.targets import probe_targets
from linkpilot.tokens import uuid_token

# What gets an endpoint: a resource configuration (type Resource) or a service network (type ServiceNetwork).
ENDPOINT_TYPES = frozenset({RESOURCE_CONFIGURATION_TYPE, SERVICE_NETWORK_TYPE})


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
    if resource.type == SERVICE_NETWORK_TYPE and policy.service_networks is None:
        return f"service network {resource.arn}: the policy takes none (no service_networks section)"
    if not policy.allows_type(resource.type):
        return f"resource type {resource.type} is not allowed ({resource.arn})"
    resource_owner = arn_account(resource.arn)
    if resource_owner != owner_account_id:
        owner = resource_owner or "?"
        return f"{resource.arn} is owned by account {owner}, not the sharing account {owner_account_id}"
    if resource.type == SERVICE_NETWORK_TYPE:
        allowed, key = policy.allows_service_network(resource.arn), "service_networks.allowed_arns"
    else:
        allowed, key = policy.allows_arn(resource.arn), "allowed_resource_configuration_arns"
    return None if allowed else f"{resource.arn} matches no {key} pattern"


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


def accept_token(invitation_arn: str) -> str:
    """RAM's ``clientToken`` for accepting this invitation (UUID-shaped, like every public example)."""
    return uuid_token("accept", invitation_arn)


def reject_token(invitation_arn: str) -> str:
    return uuid_token("reject", invitation_arn)


def _wanted_configurations(
    policy: TrustPolicy, state: ObservedState, decisions: Iterable[InvitationDecision]
) -> tuple[dict[str, Wanted], list[tuple[str, str, str]], list[Waiting]]:
    """The allowed configurations RAM lists as shared with this account, the refused ones, and what is
    accepted but not usable yet (acceptance is asynchronous: only ``ListResources`` says when to create)."""
    wanted: dict[str, Wanted] = {}
    refused: list[tuple[str, str, str]] = []
    for res in sorted(state.shared_resources, key=lambda r: (r.arn, r.share_arn)):
        if res.type not in ENDPOINT_TYPES:
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
            wanted[res.arn] = Wanted(res.arn, res.share_arn, res.status)
    return wanted, refused, _waiting(policy, state, wanted, decisions)


def _waiting(
    policy: TrustPolicy,
    state: ObservedState,
    wanted: dict[str, Wanted],
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
                if res.type in ENDPOINT_TYPES and res.arn not in wanted:
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

    shared = {r.arn for r in state.shared_resources}
    by_endpoint, by_association, elsewhere = _split_service_networks(policy, state, wanted, refused)
    ep = plan_endpoints(policy, state, by_endpoint, shared, now, taken_elsewhere=elsewhere[False])
    sna = plan_endpoints(
        policy, state, by_association, shared, now, association=True, taken_elsewhere=elsewhere[True]
    )
    # creates first (endpoints, then associations), then the deletes of both kinds
    for plan in (ep, sna):
        actions.extend(a for a in plan.actions if a.kind not in DELETE_KINDS)
    for plan in (ep, sna):
        actions.extend(a for a in plan.actions if a.kind in DELETE_KINDS)

    targets, unprobed = probe_targets(policy, [*ep.kept, *sna.kept])
    return Plan(
        decisions=tuple(decisions),
        actions=tuple(actions),
        orphaned=(*ep.orphaned, *sna.orphaned),
        refused_resources=tuple(refused),
        waiting=(*waiting, *ep.waiting, *sna.waiting),
        probe_targets=targets if policy.probe.enabled else (),
        unprobed=unprobed if policy.probe.enabled else (),
        probe_defaults=policy.probe.defaults,
        unmanaged=(*ep.unmanaged, *sna.unmanaged),
        awaiting_grace=(*ep.awaiting, *sna.awaiting),
        missing_since={**ep.marks, **sna.marks},
    )


def _split_service_networks(
    policy: TrustPolicy,
    state: ObservedState,
    wanted: dict[str, Wanted],
    refused: list[tuple[str, str, str]],
) -> tuple[dict[str, Wanted], dict[str, Wanted], dict[bool, dict[str, str]]]:
    """Which wanted ARNs get an endpoint and which a service-network VPC association (at most one: a VPC
    is associated with one service network only), refusing the other networks in ``refused``; and, per
    kind (association?), the shared ARNs it must not serve and why (so our endpoint or association of a
    network now served by the other kind, or refused, goes)."""
    networks = sorted(arn for arn in wanted if is_service_network_arn(arn))
    if not networks and policy.takes_associations:
        return wanted, {}, {False: {}, True: {}}
    if not policy.takes_associations:
        mode = "the policy's service_networks.mode is 'endpoint'"
        return wanted, {}, {False: {}, True: dict.fromkeys(networks, mode)}
    by_endpoint = {arn: w for arn, w in wanted.items() if arn not in networks}
    if not state.associations_observed:
        # nothing can be associated: refused, and an endpoint made earlier (mode endpoint) is kept, never
        # replaced by nothing (not creatable: no new one either)
        for arn in networks:
            why = (
                f"service network {arn}: mode 'association' needs the controller's VPC Lattice access "
                "(the stack grants it when AllowedServiceNetworkArns is set), which this run does not have"
            )
            refused.append((arn, wanted[arn].share_arn, why))
            by_endpoint[arn] = replace(wanted[arn], status="NO_VPC_LATTICE_ACCESS")
        return by_endpoint, {}, {False: {}, True: {}}
    elsewhere = dict.fromkeys(networks, "the policy's service_networks.mode is 'association'")
    chosen = _chosen_network(policy, state, networks, wanted)
    not_taken: dict[str, str] = {}
    for arn in networks:
        if arn != chosen:
            why = (
                f"service network {arn}: a VPC is associated with one service network only, and "
                f"{policy.endpoint.vpc_id} takes {chosen}"
            )
            not_taken[arn] = why
            refused.append((arn, wanted[arn].share_arn, why))
    return by_endpoint, {chosen: wanted[chosen]}, {False: elsewhere, True: not_taken}


def _chosen_network(
    policy: TrustPolicy, state: ObservedState, networks: Sequence[str], wanted: dict[str, Wanted]
) -> str:
    """The one network the policy's VPC is associated with: the one it already is (ours, live), else the
    lowest ARN RAM lists as AVAILABLE, else the lowest ARN (it waits); stable from run to run, and a network
    that becomes available later never displaces the one associated."""
    vpc = policy.endpoint.vpc_id
    current = sorted(
        e.managed_configuration_arn
        for e in state.endpoints
        if e.is_association and e.managed and e.live and e.vpc_id == vpc
    )
    creatable = [arn for arn in networks if wanted[arn].creatable]
    return next((arn for arn in current if arn in networks), (creatable or list(networks))[0])


def _invitation_action(kind: ActionKind, d: InvitationDecision, token: str) -> Action:
    return Action(
        kind=kind,
        reason=d.reason,
        invitation_arn=d.invitation_arn,
        share_arn=d.share_arn,
        sender_account_id=d.sender_account_id,
        client_token=token,
    )


__all__ = ["CREATABLE_RESOURCE_STATUSES", "accept_token", "create_token", "plan_actions", "reject_token"]
