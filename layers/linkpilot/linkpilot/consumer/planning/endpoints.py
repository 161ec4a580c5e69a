"""Endpoints: which managed endpoints (and service-network VPC associations) to create, keep, delete or
orphan, and the tokens that make a create idempotent. Pure, like the whole planner.

Only endpoints carrying the managed tag are ours; an endpoint created after the run's observation began is
never deleted; a configuration missing from the shares keeps its endpoint for the policy's grace; one
endpoint per configuration, and none for a CHILD of a GROUP configuration that an endpoint of ours serves.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from linkpilot.consumer.models import (
    SHARE_TAG,
    Action,
    ActionKind,
    Endpoint,
    GraceEndpoint,
    ObservedState,
    OrphanedEndpoint,
    UnmanagedEndpoint,
    Waiting,
    arn_account,
    is_service_network_arn,
)
from linkpilot.consumer.planning.invitations import Wanted
from linkpilot.consumer.planning.rules import EndpointRules
from linkpilot.consumer.policy import EndpointPlacement


def _token(*parts: str) -> str:
    """Deterministic idempotency token (<= 64 ASCII characters, as EC2 and RAM accept)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:64]


def create_token(
    placement: EndpointPlacement, configuration_arn: str, now: datetime, *, association: bool = False
) -> str:
    """Same configuration, placement and hour -> same token: concurrent reconciles create one endpoint
    (one service-network VPC association, with ``association``).

    The hour bounds how long EC2 keeps answering a token with an endpoint that has since failed or been
    deleted; a duplicate from two runs straddling an hour is removed by the one-endpoint rule below.
    """
    return _token(
        "associate" if association else "create",
        configuration_arn,
        placement.vpc_id,
        ",".join(sorted(placement.subnet_ids)),
        ",".join(sorted(placement.security_group_ids)),
        str(placement.private_dns),
        placement.private_dns_preference,
        ",".join(sorted(placement.private_dns_specified_domains)),
        placement.ip_address_type,
        now.strftime("%Y-%m-%dT%H"),
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


@dataclass
class EndpointPlan:
    actions: list[Action] = field(default_factory=list)
    # wanted, but blocked until something else is gone (a VPC's other service-network association)
    waiting: list[Waiting] = field(default_factory=list)
    orphaned: list[OrphanedEndpoint] = field(default_factory=list)
    kept: list[Endpoint] = field(default_factory=list)
    unmanaged: list[UnmanagedEndpoint] = field(default_factory=list)
    awaiting: list[GraceEndpoint] = field(default_factory=list)
    marks: dict[str, datetime] = field(default_factory=dict)


def _unmanaged_serving(
    state: ObservedState, vpc: str, wanted: Mapping[str, Wanted], association: bool
) -> dict[str, list[Endpoint]]:
    """Live endpoints without the managed tag, in the policy VPC, serving an allowed configuration. For
    associations: any live association of the VPC without the tag blocks every wanted network (one service
    network per VPC)."""
    found: dict[str, list[Endpoint]] = defaultdict(list)
    for e in state.unmanaged_endpoints:
        if e.managed or not e.live or e.vpc_id != vpc or e.is_association != association:
            continue
        for arn in wanted if association else [e.served_arn] if e.served_arn in wanted else []:
            found[arn].append(e)
    return found


_UNMANAGED_REASON = (
    "an endpoint without the linkpilot:managed tag serves this allowed configuration: not ours, so none "
    "is created; tag it back or delete it"
)


def _unmanaged_reason(e: Endpoint, arn: str) -> str:
    if not e.is_association:
        return _UNMANAGED_REASON
    return (
        f"the VPC is associated with service network {e.served_arn} by an association without the "
        "linkpilot:managed tag: not ours, and a VPC takes one service network only, so none is made "
        f"for {arn}"
    )


def _missing(
    rules: EndpointRules, state: ObservedState, eps: Sequence[Endpoint], now: datetime, out: EndpointPlan
) -> list[tuple[Endpoint, str]]:
    """Managed endpoints whose configuration is missing from the shares: deleted once the absence has
    lasted the policy's grace (first seen missing: ``state.missing_since``, else now); kept meanwhile."""
    grace = rules.grace
    gone: list[tuple[Endpoint, str]] = []
    for e in eps:
        if _after_observation(e, now) or not rules.delete_on_unshare:
            gone.append((e, "its configuration is no longer shared"))
            continue
        since = state.missing_since.get(e.endpoint_id, now)
        out.marks[e.endpoint_id] = since
        if now - since >= grace:
            gone.append((e, f"its configuration is no longer shared (missing since {since.isoformat()})"))
        else:
            out.awaiting.append(
                GraceEndpoint(e.endpoint_id, e.managed_configuration_arn, since, since + grace)
            )
            out.kept.append(e)
    return gone


def _after_observation(ep: Endpoint, now: datetime) -> bool:
    """Created after this run's observation began (or too close to tell): this run never deletes it.

    ``now`` is the run's start on the shared clock: AWS's time to the second (the state table's ``Date``,
    rounded down), never later than the observation. EC2's CreationTimestamp has second precision in AWS's
    examples ("2017-09-05T20:14:41.000Z"), rounded down too: only a creation stamped in an earlier second
    than ``now`` surely came before the observation. (A ``now`` with a fraction, a runner's own clock, is
    taken to its second: the same rule, erring towards keeping.)"""
    return ep.created_at is not None and ep.created_at >= now.replace(microsecond=0)


def plan_endpoints(
    rules: EndpointRules,
    state: ObservedState,
    wanted: Mapping[str, Wanted],
    shared: set[str],
    now: datetime,
    *,
    association: bool = False,
    taken_elsewhere: Mapping[str, str] | None = None,
    blocked: Mapping[str, str] | None = None,
) -> EndpointPlan:
    """Creates, then deletes; orphans (kept by policy); the endpoints that stay (probe target candidates);
    endpoints not ours serving an allowed configuration; endpoints whose configuration is missing, within
    the grace. No endpoint created after ``now`` (the observation's start) is ever deleted.

    ``association``: the same for the service-network VPC associations (``state.endpoints`` of that kind),
    at most one per VPC. ``taken_elsewhere``: shared ARNs this kind must not serve, and why (a service
    network taken by the other kind, or refused by the one-network-per-VPC rule). ``blocked``: wanted ARNs
    that wait, and why, instead of being created (an association while another holds the VPC)."""
    out = EndpointPlan()
    actions = out.actions
    elsewhere_reasons = taken_elsewhere or {}
    waits = blocked or {}
    mine = [e for e in state.endpoints if e.is_association == association]
    # Only endpoints carrying the managed tag are ours; the adapter filters on it, this checks again.
    by_config: dict[str, list[Endpoint]] = defaultdict(list)
    failed: dict[str, list[Endpoint]] = defaultdict(list)
    for ep in mine:
        if ep.managed and ep.live:
            by_config[ep.managed_configuration_arn].append(ep)
        elif ep.managed and ep.state == "failed":
            failed[ep.managed_configuration_arn].append(ep)

    # A failed endpoint of ours is removed first; its configuration gets a new one on a later run.
    deletes: list[Action] = [
        _delete(ep, f"endpoint failed: {ep.last_error or 'no reason given'}")
        for ep in sorted((e for eps in failed.values() for e in eps), key=lambda e: e.endpoint_id)
        if not _after_observation(ep, now)
    ]
    kept = out.kept
    vpc = rules.placement.vpc_id
    children = group_children(mine)
    unmanaged = _unmanaged_serving(state, vpc, wanted, association)
    for config_arn in sorted(set(wanted) | set(by_config)):
        eps = by_config.get(config_arn, [])
        in_vpc = [e for e in eps if e.vpc_id == vpc]
        elsewhere = [e for e in eps if e.vpc_id != vpc]
        w = wanted.get(config_arn)
        out.unmanaged.extend(
            UnmanagedEndpoint(e.endpoint_id, config_arn, _unmanaged_reason(e, config_arn))
            for e in unmanaged.get(config_arn, [])
        )
        if w is None and config_arn not in shared:
            gone = _missing(rules, state, eps, now, out)
        elif w is None:
            why = elsewhere_reasons.get(config_arn, "its configuration is no longer allowed")
            gone = [(e, why) for e in eps]
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
                    if e is not keep and not _after_observation(e, now)
                )
            elif w.creatable and config_arn in waits:
                out.waiting.append(Waiting(w.share_arn, config_arn, waits[config_arn]))
            # none while an unmanaged endpoint serves it: EC2 would hand that one back for our ClientToken
            elif w.creatable and config_arn not in failed and config_arn not in unmanaged:
                actions.append(_create(rules, w, now, association))
        deletes.extend(_dispose(rules, gone, now, out))
    actions.extend(deletes)
    return out


def _what(arn: str) -> str:
    return "service network" if is_service_network_arn(arn) else "configuration"


def _create(rules: EndpointRules, w: Wanted, now: datetime, association: bool) -> Action:
    arn = w.configuration_arn
    made = "a VPC association" if association else "an endpoint"
    return Action(
        kind=ActionKind.CREATE_ASSOCIATION if association else ActionKind.CREATE_ENDPOINT,
        reason=f"allowed {_what(arn)} without {made} (AVAILABLE in {w.share_arn})",
        share_arn=w.share_arn,
        sender_account_id=arn_account(w.share_arn),
        resource_configuration_arn=arn,
        client_token=create_token(rules.placement, arn, now, association=association),
        placement=rules.placement,
    )


def _dispose(
    rules: EndpointRules, gone: Sequence[tuple[Endpoint, str]], now: datetime, out: EndpointPlan
) -> list[Action]:
    """Deletes for endpoints that should go (or orphans, when the policy keeps them)."""
    deletes: list[Action] = []
    for ep, why in gone:
        if _after_observation(ep, now):
            out.kept.append(ep)  # made by a run that started after this one observed: the next run decides
        elif rules.delete_on_unshare:
            deletes.append(_delete(ep, why))
        else:
            out.orphaned.append(OrphanedEndpoint(ep.endpoint_id, ep.managed_configuration_arn, why))
    return deletes


def _delete(ep: Endpoint, reason: str) -> Action:
    return Action(
        kind=ActionKind.DELETE_ASSOCIATION if ep.is_association else ActionKind.DELETE_ENDPOINT,
        reason=reason,
        endpoint_id=ep.endpoint_id,
        resource_configuration_arn=ep.managed_configuration_arn,
        share_arn=ep.tags.get(SHARE_TAG, ""),
    )


def group_children(endpoints: Iterable[Endpoint]) -> dict[str, tuple[str, str]]:
    """CHILD configurations seen behind our endpoints: child arn -> (group arn, endpoint id).

    An endpoint is made for a SINGLE, GROUP or ARN configuration, never for a CHILD; its children show up
    as the GROUP endpoint's association rows (``ResourceConfigurationGroupArn`` set). Whether RAM ever
    lists a CHILD on its own is UNVERIFIED: a listed configuration known to be a child gets no endpoint.
    """
    children: dict[str, tuple[str, str]] = {}
    for e in sorted(endpoints, key=lambda e: e.endpoint_id):
        if not (e.managed and e.live):
            continue
        for row in e.associations:
            child = row.associated_resource_arn
            if row.group_arn and child and child != row.group_arn:
                children.setdefault(child, (row.group_arn, e.endpoint_id))
    return children
