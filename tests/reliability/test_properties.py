"""Property-based tests over generated worlds (Hypothesis). Profiles (tests/reliability/conftest.py):
``ci`` by default, ``bench`` (>= 10,000 examples each) with ``HYPOTHESIS_PROFILE=bench`` (``make props``).

What they prove, for every generated world of invitations, shares, endpoints and policies:
- the plan never accepts an invitation, and never creates an endpoint, that the policy forbids; it rejects
  only what the policy refuses, and only when the policy says "reject";
- it never deletes an endpoint without the managed tag (nor one already on its way out);
- applying the plan and planning again leaves nothing to do (one extra round only after failed endpoints
  were removed), and then every acceptable configuration has exactly one managed endpoint;
- the provider's principal plan converges the same way and never touches a declared consumer's access;
- any input whatever to the three parsers gives a value or their own error, never a crash.
"""

from __future__ import annotations

import fnmatch
import json
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from linkpilot.consumer.models import ActionKind, ObservedState, Plan, arn_account
from linkpilot.consumer.planning import CREATABLE_RESOURCE_STATUSES, compile_rules, plan_actions
from linkpilot.consumer.policy import PolicyError, TrustPolicy, parse_policy
from linkpilot.probe import InvalidEvent, parse_event
from linkpilot.provider.plan import (
    HOLDING_STATUSES,
    ConsumerListError,
    SharingMode,
    parse_consumer_list,
    plan_principals,
)

from .world_model import (
    NOW,
    RCFG,
    apply_plan,
    apply_principal_plan,
    consumer_worlds,
    provider_worlds,
)


# --- an oracle written from the policy's documented meaning, not from the planner's code -------------------
def _allowed(policy: TrustPolicy, arn: str, typ: str, owner: str) -> bool:
    patterns = policy.allowed_resource_configuration_arns
    return (
        owner in policy.trusted_accounts
        and typ in policy.allowed_resource_types
        and arn_account(arn) == owner
        and (patterns is None or any(fnmatch.fnmatchcase(arn, p) for p in patterns))
    )


def _acceptable_configurations(policy: TrustPolicy, state: ObservedState, plan: Plan) -> set[str]:
    """Configurations that may get an endpoint: allowed, shared to us now or in an invitation accepted now."""
    ok = {
        r.arn
        for r in state.shared_resources
        if r.type == RCFG and _allowed(policy, r.arn, r.type, arn_account(r.share_arn))
    }
    for a in plan.of_kind(ActionKind.ACCEPT_INVITATION):
        ok |= {r.arn for r in state.pending_resources[a.invitation_arn] if r.type == RCFG}
    return ok


def check_safety(policy: TrustPolicy, state: ObservedState, plan: Plan) -> None:
    invitations = {i.arn: i for i in state.invitations}
    for a in plan.of_kind(ActionKind.ACCEPT_INVITATION):
        inv = invitations[a.invitation_arn]
        resources = state.pending_resources.get(inv.arn)
        assert inv.status == "PENDING", a
        assert resources, f"accepted {inv.arn} without reading what it shares"
        assert all(_allowed(policy, r.arn, r.type, inv.sender_account_id) for r in resources), a
    for a in plan.of_kind(ActionKind.REJECT_INVITATION):
        inv = invitations[a.invitation_arn]
        assert policy.untrusted_invitations == "reject" and inv.status == "PENDING", a
        resources = state.pending_resources.get(inv.arn)
        refused = inv.sender_account_id not in policy.trusted_accounts or any(
            not _allowed(policy, r.arn, r.type, inv.sender_account_id) for r in resources or ()
        )
        assert refused, f"rejected an acceptable invitation: {a}"

    creates = plan.of_kind(ActionKind.CREATE_ENDPOINT)
    created = [a.resource_configuration_arn for a in creates]
    assert len(set(created)) == len(created), "two creates for one configuration"
    acceptable = _acceptable_configurations(policy, state, plan)
    for a in creates:
        assert a.resource_configuration_arn in acceptable, f"endpoint the policy forbids: {a}"
        assert a.client_token and len(a.client_token) <= 64
        live_here = [
            e
            for e in state.endpoints
            if e.managed
            and e.live
            and e.vpc_id == policy.endpoint.vpc_id
            and e.managed_configuration_arn == a.resource_configuration_arn
        ]
        assert not live_here, f"create while {live_here[0].endpoint_id} serves it"

    endpoints = {e.endpoint_id: e for e in state.endpoints}
    deleted = [a.endpoint_id for a in plan.of_kind(ActionKind.DELETE_ENDPOINT)]
    assert len(set(deleted)) == len(deleted), "an endpoint deleted twice"
    for eid in deleted:
        ep = endpoints[eid]
        assert ep.tags.get("linkpilot:managed") == "true", f"deleted {eid} without the managed tag"
        assert ep.live or ep.state == "failed", f"deleted {eid} in state {ep.state}"
        if not policy.delete_endpoints_on_unshare and ep.state != "failed":
            # without deletes on unshare only duplicates go: another managed endpoint stays for the config
            assert any(
                o.endpoint_id != eid
                and o.managed
                and o.live
                and o.vpc_id == policy.endpoint.vpc_id
                and o.managed_configuration_arn == ep.managed_configuration_arn
                for o in state.endpoints
            ), f"deleted {eid} although deletes on unshare are off"
    for t in plan.probe_targets:
        assert endpoints[t.endpoint_id].managed and endpoints[t.endpoint_id].state == "available"


@given(consumer_worlds)
def test_plans_never_do_what_the_policy_forbids_and_converge(world):
    policy, state = world
    plans = []
    # the runs observe after every endpoint of the world was made (none was created after their observation
    # began, which no run ever deletes)
    observed = NOW + timedelta(seconds=5)
    for _ in range(4):
        plan = plan_actions(compile_rules(policy), state, observed)
        check_safety(policy, state, plan)
        plans.append(plan)
        unmanaged_before = [e for e in state.endpoints if not e.managed]
        state = apply_plan(policy, state, plan)
        assert all(e in state.endpoints for e in unmanaged_before), "an unmanaged endpoint changed"
    # at most: remove a failed endpoint / accept (run 1), create once RAM lists the configuration (run 2),
    # and a configuration whose failed endpoint went in run 2 gets its new one in run 3
    settled = plans[3]
    assert settled.actions == (), f"still to do after applying: {settled.actions}"

    # the settled world: exactly one managed endpoint per acceptable, creatable configuration in the VPC
    live = [e for e in state.endpoints if e.managed and e.live and e.vpc_id == policy.endpoint.vpc_id]
    per_config: dict[str, int] = {}
    for e in live:
        per_config[e.managed_configuration_arn] = per_config.get(e.managed_configuration_arn, 0) + 1
    allowed_now = {
        r.arn
        for r in state.shared_resources
        if r.type == RCFG and _allowed(policy, r.arn, r.type, arn_account(r.share_arn))
    }
    assert all(per_config[arn] == 1 for arn in allowed_now & set(per_config)), per_config
    # creatable: every share that allows it reports the configuration available (mixed reports: no claim)
    creatable = allowed_now - {
        r.arn
        for r in state.shared_resources
        if r.type == RCFG
        and _allowed(policy, r.arn, r.type, arn_account(r.share_arn))
        and r.status.upper() not in CREATABLE_RESOURCE_STATUSES
    }
    assert creatable <= set(per_config), (
        f"allowed configurations without an endpoint: {creatable - set(per_config)}"
    )
    if policy.delete_endpoints_on_unshare:
        # within the grace, an endpoint whose configuration is missing stays (and says until when)
        waiting = {g.resource_configuration_arn for g in settled.awaiting_grace}
        assert not waiting or policy.unshare_grace_minutes > 0
        left = set(per_config) - allowed_now - waiting
        assert not left, f"endpoints left for {left}"


@given(provider_worlds())
def test_provider_principal_plan_converges_and_never_removes_a_declared_consumer(world):
    plan = plan_principals(world.desired, world.associations)
    assert set(plan.to_associate) <= world.desired.principals
    assert not set(plan.to_disassociate) & world.desired.principals
    for principal in plan.to_disassociate:
        assert any(a.principal == principal and a.status in HOLDING_STATUSES for a in world.associations)
    after = apply_principal_plan(world, plan)
    again = plan_principals(world.desired, after.associations)
    assert again.changes == ()
    assert set(again.unchanged) == world.desired.principals


# --- every input to a parser: its value or its own error ------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
policy_keys = st.sampled_from(
    [
        "trusted_accounts",
        "endpoint",
        "vpc_id",
        "subnet_ids",
        "allowed_resource_configuration_arns",
        "allowed_resource_types",
        "untrusted_invitations",
        "probe",
        "defaults",
        "port",
        "overrides",
        "match",
    ]
)
policy_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(
        ["111111111111", "vpc-0123456789abcdef0", "subnet-0aaaaaaaaaaaaaaa1", "reject", "arn:aws:*"]
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(policy_keys, children, max_size=5),
    max_leaves=15,
)


@given(st.one_of(policy_like.map(json.dumps), json_values.map(json.dumps), st.text(max_size=60)))
def test_any_policy_document_validates_or_names_its_problems(document):
    try:
        policy = parse_policy(document)
    except PolicyError as exc:
        assert exc.problems and all(": " in p for p in exc.problems)
    else:
        assert isinstance(policy, TrustPolicy)


@given(st.one_of(json_values, st.fixed_dictionaries({"targets": st.lists(json_values, max_size=4)})))
def test_any_probe_input_is_parsed_or_refused(event):
    try:
        batch = parse_event(event)
    except InvalidEvent as exc:
        assert str(exc)
    else:
        assert len(batch.targets) + len(batch.invalid) == len(event["targets"])
        assert all(r.error for r in batch.invalid)


@given(st.text(max_size=80), st.sampled_from(list(SharingMode)))
def test_any_consumer_list_is_parsed_or_refused(raw, mode):
    try:
        consumers = parse_consumer_list(raw, mode=mode, provider_account_id="111111111111")
    except ConsumerListError as exc:
        assert exc.problems
    else:
        assert "111111111111" not in consumers.principals
