"""Shared service networks in the policy's mode 'association': which wanted network the policy's VPC is
associated with (a VPC takes one service network only), which networks are refused for it, and what must be
gone before the association can be made. Pure; ``endpoints.plan_endpoints`` then plans the association like
an endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from linkpilot.consumer.models import Endpoint, ObservedState, is_service_network_arn
from linkpilot.consumer.planning.invitations import Wanted
from linkpilot.consumer.planning.rules import AssociationRules


@dataclass(frozen=True)
class NetworkSplit:
    """Which wanted ARNs get an endpoint and which the service-network VPC association (at most one)."""

    by_endpoint: Mapping[str, Wanted]
    by_association: Mapping[str, Wanted] = field(default_factory=dict)
    # shared ARNs each kind must not serve, and why: our endpoint or association of a network now served by
    # the other kind, or refused by the one-network-per-VPC rule, goes
    not_by_endpoint: Mapping[str, str] = field(default_factory=dict)
    not_by_association: Mapping[str, str] = field(default_factory=dict)
    # wanted networks the rules refuse here: (arn, share arn, reason)
    refused: tuple[tuple[str, str, str], ...] = ()
    # the association waits until what holds the VPC is gone: network arn -> why
    blocked: Mapping[str, str] = field(default_factory=dict)


def split_service_networks(
    rules: AssociationRules, state: ObservedState, wanted: Mapping[str, Wanted]
) -> NetworkSplit:
    """Which wanted ARNs get an endpoint and which a service-network VPC association (at most one: a VPC
    is associated with one service network only), refusing the other networks."""
    networks = sorted(arn for arn in wanted if is_service_network_arn(arn))
    if not networks and rules.by_association:
        return NetworkSplit(wanted)
    if not rules.by_association:
        mode = "the policy's service_networks.mode is 'endpoint'"
        return NetworkSplit(wanted, not_by_association=dict.fromkeys(networks, mode))
    by_endpoint = {arn: w for arn, w in wanted.items() if arn not in networks}
    if not state.associations_observed:
        # nothing can be associated: refused, and an endpoint made earlier (mode endpoint) is kept, never
        # replaced by nothing (not creatable: no new one either)
        refused = []
        for arn in networks:
            why = (
                f"service network {arn}: mode 'association' needs the controller's VPC Lattice access "
                "(the stack grants it when AllowedServiceNetworkArns is set), which this run does not have"
            )
            refused.append((arn, wanted[arn].share_arn, why))
            by_endpoint[arn] = replace(wanted[arn], status="NO_VPC_LATTICE_ACCESS")
        return NetworkSplit(by_endpoint, refused=tuple(refused))
    chosen = _chosen_network(rules, state, networks, wanted)
    not_taken: dict[str, str] = {}
    for arn in networks:
        if arn != chosen:
            not_taken[arn] = (
                f"service network {arn}: a VPC is associated with one service network only, and "
                f"{rules.vpc_id} takes {chosen}"
            )
    return NetworkSplit(
        by_endpoint,
        {chosen: wanted[chosen]},
        not_by_endpoint=dict.fromkeys(networks, "the policy's service_networks.mode is 'association'"),
        not_by_association=not_taken,
        refused=tuple((arn, wanted[arn].share_arn, why) for arn, why in not_taken.items()),
        blocked=_blocked(state, rules.vpc_id, chosen),
    )


def _chosen_network(
    rules: AssociationRules, state: ObservedState, networks: Sequence[str], wanted: Mapping[str, Wanted]
) -> str:
    """The one network the policy's VPC is associated with: the one it already is (ours, live), else the
    lowest ARN RAM lists as AVAILABLE, else the lowest ARN (it waits); stable from run to run, and a network
    that becomes available later never displaces the one associated."""
    current = sorted(
        e.managed_configuration_arn
        for e in state.endpoints
        if e.is_association and e.managed and e.live and e.vpc_id == rules.vpc_id
    )
    creatable = [arn for arn in networks if wanted[arn].creatable]
    return next((arn for arn in current if arn in networks), (creatable or list(networks))[0])


def _blocked(state: ObservedState, vpc: str, chosen: str) -> dict[str, str]:
    """Why the association with ``chosen`` cannot be made yet, if it cannot: AWS associates a VPC with one
    service network only, and refuses a new association while a disassociation is in progress."""
    # what holds the VPC: ours, and others' that are not live (a live one is reported as unmanaged by the
    # endpoint plan): one being deleted blocks a new association too, and a failed one may (UNVERIFIED)
    holders = [e for e in state.endpoints if e.is_association and e.managed] + [
        e for e in state.unmanaged_endpoints if e.is_association and not e.managed and not e.live
    ]
    occupants = _occupants(holders, vpc, chosen)
    if not occupants:
        return {}
    names = ", ".join(f"{e.endpoint_id} ({e.served_arn}, {e.state})" for e in occupants)
    return {chosen: f"the VPC's association {names} must be gone first: a VPC takes one service network"}


def _occupants(eps: Sequence[Endpoint], vpc: str, arn: str) -> list[Endpoint]:
    """Associations of the policy VPC that stand in the way of one for ``arn``."""
    return [
        e
        for e in eps
        if e.vpc_id == vpc and e.state != "deleted" and not (e.live and e.managed_configuration_arn == arn)
    ]
