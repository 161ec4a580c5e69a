"""Property-based tests of association mode (Hypothesis; profiles in tests/reliability/conftest.py).

For every generated world of shared service networks, managed and unmanaged service-network VPC
associations (in the policy's VPC and elsewhere, in every state, made before or after the run began) and a
policy in association mode:
- at most one association is created, for an allowed network shared AVAILABLE, in the policy's VPC, and
  never while another association (ours or not) holds the VPC;
- no association without the managed tag, none already on its way out and none made after the run's
  observation began is ever deleted; no endpoint action is planned for a network in association mode;
- applying the plan (the creates happen; the deletes finish) and planning again, round after round,
  converges to exactly one managed association for the chosen network when nothing else holds the VPC.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from linkpilot.consumer.models import ActionKind, Endpoint, ObservedState, Plan, ShareResource
from linkpilot.consumer.planning import compile_rules, plan_actions
from linkpilot.consumer.policy import TrustPolicy, parse_policy

from .world_model import NOW

OWNER = "111111111111"
VPC = "vpc-0123456789abcdef0"
OTHER_VPC = "vpc-0fedcba9876543210"
SHARE = f"arn:aws:ram:us-east-1:{OWNER}:resource-share/0a1b2c3d-0000-0000-0000-000000000001"
NETWORKS = [f"arn:aws:vpc-lattice:us-east-1:{OWNER}:servicenetwork/sn-{n:017x}" for n in range(1, 5)]
STATES = ["available", "pending", "deleting", "failed"]
SN_TYPE = "vpc-lattice:ServiceNetwork"
World = tuple[TrustPolicy, ObservedState]


def _policy(allowed: list[str], delete_on_unshare: bool) -> TrustPolicy:
    doc = {
        "trusted_accounts": [OWNER],
        "endpoint": {"vpc_id": VPC, "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]},
        "service_networks": {"allowed_arns": allowed, "mode": "association"},
        "delete_endpoints_on_unshare": delete_on_unshare,
    }
    return parse_policy(json.dumps(doc))


@st.composite
def associations(draw: st.DrawFn, managed: bool) -> Endpoint:
    network = draw(st.sampled_from(NETWORKS))
    created = NOW + timedelta(seconds=draw(st.integers(-86_400, 5)))
    tags = {"linkpilot:managed": "true", "linkpilot:service-network-arn": network} if managed else {}
    return Endpoint(
        # ours and theirs never share ids
        endpoint_id=f"snva-{int(managed)}{draw(st.integers(0, 10**6)):016x}",
        vpc_id=draw(st.sampled_from([VPC, VPC, OTHER_VPC])),
        state=draw(st.sampled_from(STATES)),
        resource_configuration_arn="",
        service_network_arn=network,
        tags=tags,
        created_at=created,
        kind="association",
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[TrustPolicy, ObservedState]:
    allowed = draw(st.lists(st.sampled_from(NETWORKS), min_size=1, max_size=4, unique=True))
    policy = _policy(allowed, draw(st.booleans()))
    shared = draw(st.lists(st.sampled_from(NETWORKS), max_size=4, unique=True))
    resources = tuple(
        ShareResource(arn, SN_TYPE, SHARE, draw(st.sampled_from(["AVAILABLE", "AVAILABLE", "PENDING"])))
        for arn in shared
    )
    # AWS holds one association per VPC (User Guide), whoever made it: at most one per VPC, ours or theirs
    found = draw(
        st.lists(
            st.one_of(associations(True), associations(False)), max_size=3, unique_by=lambda e: e.endpoint_id
        )
    )
    one_per_vpc = list({e.vpc_id: e for e in found}.values())
    ours = [e for e in one_per_vpc if e.managed]
    theirs = [e for e in one_per_vpc if not e.managed]
    missing = {e.endpoint_id: NOW - timedelta(minutes=draw(st.integers(0, 60))) for e in ours}
    state = ObservedState(
        shared_resources=resources,
        endpoints=tuple(ours),
        unmanaged_endpoints=tuple(e for e in theirs if e.vpc_id == VPC),
        missing_since=missing if draw(st.booleans()) else {},
        associations_observed=True,
    )
    return policy, state


def _holds_vpc(e: Endpoint) -> bool:
    return e.vpc_id == VPC and e.state != "deleted"


@given(worlds())
def test_the_plan_never_breaks_the_rules_of_association_mode(
    world: tuple[TrustPolicy, ObservedState],
) -> None:
    policy, state = world
    plan = plan_actions(compile_rules(policy), state, NOW)
    creates = plan.of_kind(ActionKind.CREATE_ASSOCIATION)
    assert len(creates) <= 1
    assert plan.of_kind(ActionKind.CREATE_ENDPOINT) == () and plan.of_kind(ActionKind.DELETE_ENDPOINT) == ()
    available = {r.arn for r in state.shared_resources if r.status == "AVAILABLE"}
    for create in creates:
        arn = create.resource_configuration_arn
        assert compile_rules(policy).shares.allows_service_network(arn) and arn in available
        assert create.placement is not None and create.placement.vpc_id == VPC
        holders = [
            e
            for e in (*state.endpoints, *state.unmanaged_endpoints)
            if _holds_vpc(e) and not (e.managed and e.live and e.managed_configuration_arn == arn)
        ]
        assert holders == [], f"created {arn} while {holders} holds the VPC"
        assert not any(_holds_vpc(e) and e.managed and e.live for e in state.endpoints)
    by_id = {e.endpoint_id: e for e in (*state.endpoints, *state.unmanaged_endpoints)}
    for delete in plan.of_kind(ActionKind.DELETE_ASSOCIATION):
        target = by_id[delete.endpoint_id]
        assert target.managed and target.state != "deleting"
        assert target.created_at is not None and target.created_at <= NOW - timedelta(seconds=1)


def _apply(state: ObservedState, plan: Plan, now_round: int) -> ObservedState:
    """The creates happen (pending, then available next round); the deletes finish."""
    deleted = {a.endpoint_id for a in plan.of_kind(ActionKind.DELETE_ASSOCIATION)}
    kept = [
        replace(e, state="available") if e.state == "pending" else e
        for e in state.endpoints
        if e.endpoint_id not in deleted and e.state != "deleting"
    ]
    for i, create in enumerate(plan.of_kind(ActionKind.CREATE_ASSOCIATION)):
        network = create.resource_configuration_arn
        kept.append(
            Endpoint(
                endpoint_id=f"snva-new{now_round:05d}{i:09d}",
                vpc_id=VPC,
                state="pending",
                resource_configuration_arn="",
                service_network_arn=network,
                tags={"linkpilot:managed": "true", "linkpilot:service-network-arn": network},
                created_at=NOW + timedelta(hours=now_round) - timedelta(minutes=30),
                kind="association",
            )
        )
    return replace(state, endpoints=tuple(kept), missing_since=plan.missing_since)


@given(worlds())
def test_rounds_converge_to_one_association_of_the_chosen_network(
    world: tuple[TrustPolicy, ObservedState],
) -> None:
    policy, state = world
    state = replace(state, unmanaged_endpoints=())  # nothing foreign holds the VPC
    plan = Plan()
    for n in range(1, 8):  # each round an hour later: every grace has passed by the second
        now = NOW + timedelta(hours=n)
        plan = plan_actions(compile_rules(policy), state, now)
        state = _apply(state, plan, n)
    assert plan.actions == (), plan.actions
    shares = compile_rules(policy).shares
    allowed_shared = {r.arn for r in state.shared_resources if shares.allows_service_network(r.arn)}
    available = {r.arn for r in state.shared_resources if r.status == "AVAILABLE"} & allowed_shared
    in_vpc = [e for e in state.endpoints if e.managed and e.live and e.vpc_id == VPC]
    assert len({e.managed_configuration_arn for e in in_vpc}) <= 1  # one network per VPC, always
    if not policy.delete_endpoints_on_unshare:
        return  # what is no longer wanted stays, reported orphaned
    assert [e for e in state.endpoints if e.managed and e.vpc_id != VPC] == []
    if available:
        (only,) = in_vpc
        assert only.managed_configuration_arn in allowed_shared
    else:
        assert all(e.managed_configuration_arn in allowed_shared for e in in_vpc)
