"""The reconcile planner: observed state + the policy's rules -> plan. Pure: no AWS, no clock, no randomness.

The policy is compiled once into rules (``rules.compile_rules``); ``plan_actions`` then plans in one pass,
each step taking its own section of the rules and what the step before it decided:

1. ``invitations``: the verdict on each invitation, the accepts and rejects, the shared configurations and
   service networks the account wants (and those it refuses, and those not usable yet);
2. ``associations``: which wanted service network, if any, the policy's VPC is associated with;
3. ``endpoints``: the endpoints (and the association) to create, keep, delete or orphan;
4. ``probe_targets``: what the probe checks through the endpoints that stay.

The plan carries the rules it was made with: what executing it needs, so the executor never reads the
policy.
"""

from __future__ import annotations

from datetime import datetime

from linkpilot.consumer.models import DELETE_KINDS, ObservedState, Plan
from linkpilot.consumer.planning.associations import split_service_networks
from linkpilot.consumer.planning.endpoints import create_token, plan_endpoints
from linkpilot.consumer.planning.invitations import (
    CREATABLE_RESOURCE_STATUSES,
    accept_token,
    answer_invitations,
    decide_invitation,
    needs_inspection,
    reject_token,
    wanted_configurations,
)
from linkpilot.consumer.planning.probe_targets import probe_targets
from linkpilot.consumer.planning.rules import PlanRules, compile_rules


def plan_actions(rules: PlanRules, state: ObservedState, now: datetime) -> Plan:
    """Everything one reconcile should do, in the order it should do it, each with its reason."""
    decisions, answers = answer_invitations(rules.shares, state)
    wanted, refused, waiting = wanted_configurations(rules.shares, state, decisions, now)
    split = split_service_networks(rules.associations, state, wanted)
    shared = {r.arn for r in state.shared_resources}
    ep = plan_endpoints(
        rules.endpoints, state, split.by_endpoint, shared, now, taken_elsewhere=split.not_by_endpoint
    )
    sna = plan_endpoints(
        rules.endpoints,
        state,
        split.by_association,
        shared,
        now,
        association=True,
        taken_elsewhere=split.not_by_association,
        blocked=split.blocked,
    )
    targets, unprobed = probe_targets(rules.probe, [*ep.kept, *sna.kept])
    return Plan(
        decisions=tuple(decisions),
        # answers first, then creates (endpoints, then associations), then the deletes of both kinds
        actions=(
            *answers,
            *(a for plan in (ep, sna) for a in plan.actions if a.kind not in DELETE_KINDS),
            *(a for plan in (ep, sna) for a in plan.actions if a.kind in DELETE_KINDS),
        ),
        orphaned=(*ep.orphaned, *sna.orphaned),
        refused_resources=(*refused, *split.refused),
        waiting=(*waiting, *ep.waiting, *sna.waiting),
        probe_targets=targets,
        unprobed=unprobed,
        probe_defaults=rules.probe.defaults,
        unmanaged=(*ep.unmanaged, *sna.unmanaged),
        awaiting_grace=(*ep.awaiting, *sna.awaiting),
        missing_since={**ep.marks, **sna.marks},
        rules=rules,
    )


__all__ = [
    "CREATABLE_RESOURCE_STATUSES",
    "PlanRules",
    "accept_token",
    "compile_rules",
    "create_token",
    "decide_invitation",
    "needs_inspection",
    "plan_actions",
    "reject_token",
]
