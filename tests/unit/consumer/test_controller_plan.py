"""The pure planner: examples for each rule, then Hypothesis properties over random worlds."""

from __future__ import annotations

from datetime import timedelta

from consumer_fakes import (
    NOW,
    OTHER_TRUSTED,
    RCFG,
    TRUSTED,
    UNTRUSTED,
    VPC,
    associations_of,
    config_arn,
    invitation_arn,
    make_policy,
    share_arn,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    SHARE_TAG,
    ActionKind,
    Endpoint,
    Invitation,
    ObservedState,
    ShareResource,
    Verdict,
    arn_account,
)
from linkpilot.consumer.planning import (
    accept_token,
    compile_rules,
    create_token,
    needs_inspection,
    plan_actions,
)


def inv(owner: str, n: int, status: str = "PENDING") -> Invitation:
    return Invitation(invitation_arn(owner, n), share_arn(owner, n), f"share-{n}", owner, status)


def res(
    owner: str,
    n: int,
    share_owner: str | None = None,
    typ: str = RCFG,
    share_n: int | None = None,
    status: str = "AVAILABLE",
):
    return ShareResource(
        config_arn(owner, n), typ, share_arn(share_owner or owner, n if share_n is None else share_n), status
    )


def managed(config: str, eid: str = "vpce-1", vpc: str = VPC, state: str = "available", **kw) -> Endpoint:
    return Endpoint(
        endpoint_id=eid,
        vpc_id=vpc,
        state=state,
        resource_configuration_arn=config,
        tags={MANAGED_TAG: "true", CONFIGURATION_TAG: config, SHARE_TAG: "s"},
        associations=associations_of(eid, config) if state == "available" else (),
        **kw,
    )


def test_trusted_invitation_is_accepted_and_its_endpoint_waits_for_ram_to_list_it(policy):
    """Acceptance is asynchronous: the accepting run makes no endpoint; it reports the share as waiting."""
    i = inv(TRUSTED, 1)
    pending = (res(TRUSTED, 1, status="PENDING"),)
    plan = plan_actions(
        compile_rules(policy), ObservedState(invitations=(i,), pending_resources={i.arn: pending}), NOW
    )
    assert [d.verdict for d in plan.decisions] == [Verdict.ACCEPT]
    (accept,) = plan.actions
    assert accept.kind is ActionKind.ACCEPT_INVITATION
    assert accept.client_token == accept_token(i.arn)
    (waiting,) = plan.waiting
    assert waiting.resource_configuration_arn == config_arn(TRUSTED, 1)
    assert "waiting for the share to become visible" in waiting.reason


def test_accepted_share_not_listed_yet_is_waiting_and_gets_an_endpoint_once_available(policy):
    accepted = inv(TRUSTED, 1, status="ACCEPTED")
    plan = plan_actions(compile_rules(policy), ObservedState(invitations=(accepted,)), NOW)
    assert plan.actions == ()
    (waiting,) = plan.waiting
    assert waiting.share_arn == accepted.share_arn and "waiting for the share" in waiting.reason
    listed_pending = ObservedState(
        invitations=(accepted,), shared_resources=(res(TRUSTED, 1, status="PENDING"),)
    )
    plan = plan_actions(compile_rules(policy), listed_pending, NOW)
    assert plan.actions == () and "not AVAILABLE" in plan.waiting[0].reason
    listed = ObservedState(invitations=(accepted,), shared_resources=(res(TRUSTED, 1),))
    plan = plan_actions(compile_rules(policy), listed, NOW)
    (create,) = plan.actions
    assert create.kind is ActionKind.CREATE_ENDPOINT and create.resource_configuration_arn == config_arn(
        TRUSTED, 1
    )
    assert create.share_arn == accepted.share_arn and plan.waiting == ()


def test_untrusted_sender_is_ignored_by_default_and_never_inspected(policy):
    i = inv(UNTRUSTED, 1)
    assert not needs_inspection(compile_rules(policy).shares, i)
    plan = plan_actions(compile_rules(policy), ObservedState(invitations=(i,)), NOW)
    (d,) = plan.decisions
    assert d.verdict is Verdict.IGNORE and d.refused_by_policy
    assert UNTRUSTED in d.reason
    assert plan.actions == ()


def test_untrusted_sender_is_rejected_when_the_policy_says_so():
    policy = make_policy(untrusted_invitations="reject")
    plan = plan_actions(compile_rules(policy), ObservedState(invitations=(inv(UNTRUSTED, 1),)), NOW)
    assert [a.kind for a in plan.actions] == [ActionKind.REJECT_INVITATION]


def test_trusted_sender_sharing_a_disallowed_resource_is_refused_whole():
    policy = make_policy(allowed_resource_configuration_arns=[config_arn(TRUSTED, "ok*")])
    i = inv(TRUSTED, 1)
    pending = (ShareResource(config_arn(TRUSTED, "ok1"), RCFG, i.share_arn), res(TRUSTED, 1))
    plan = plan_actions(
        compile_rules(policy), ObservedState(invitations=(i,), pending_resources={i.arn: pending}), NOW
    )
    (d,) = plan.decisions
    assert d.verdict is Verdict.IGNORE
    assert "matches no allowed_resource_configuration_arns" in d.reason
    assert plan.actions == ()


def test_wrong_type_or_foreign_owner_is_refused():
    policy = make_policy()
    i = inv(TRUSTED, 1)
    for bad in (res(TRUSTED, 1, typ="ec2:Subnet"), res(OTHER_TRUSTED, 1, share_owner=TRUSTED)):
        plan = plan_actions(
            compile_rules(policy), ObservedState(invitations=(i,), pending_resources={i.arn: (bad,)}), NOW
        )
        assert plan.decisions[0].verdict is Verdict.IGNORE
        assert plan.actions == ()


def test_pending_invitation_whose_contents_were_not_read_is_left_pending(policy):
    plan = plan_actions(compile_rules(policy), ObservedState(invitations=(inv(TRUSTED, 1),)), NOW)
    (d,) = plan.decisions
    assert d.verdict is Verdict.IGNORE and not d.refused_by_policy
    assert plan.actions == ()


def test_expired_invitation_is_recorded_and_accepted_ones_need_nothing(policy):
    plan = plan_actions(
        compile_rules(policy),
        ObservedState(invitations=(inv(TRUSTED, 1, "EXPIRED"), inv(TRUSTED, 2, "ACCEPTED"))),
        NOW,
    )
    assert [d.verdict for d in plan.decisions] == [Verdict.EXPIRED]
    assert plan.actions == ()


def test_organization_share_without_invitation_gets_an_endpoint(policy):
    plan = plan_actions(compile_rules(policy), ObservedState(shared_resources=(res(TRUSTED, 7),)), NOW)
    (create,) = plan.actions
    assert create.kind is ActionKind.CREATE_ENDPOINT


def test_organization_share_from_untrusted_account_gets_nothing(policy):
    plan = plan_actions(compile_rules(policy), ObservedState(shared_resources=(res(UNTRUSTED, 7),)), NOW)
    assert plan.actions == ()
    assert plan.refused_resources[0][0] == config_arn(UNTRUSTED, 7)


def test_existing_endpoint_means_no_create_and_an_available_one_is_a_probe_target(policy):
    state = ObservedState(shared_resources=(res(TRUSTED, 1),), endpoints=(managed(config_arn(TRUSTED, 1)),))
    plan = plan_actions(compile_rules(policy), state, NOW)
    assert plan.actions == ()
    assert [t.endpoint_id for t in plan.probe_targets] == ["vpce-1"]


def test_pending_endpoint_is_not_a_probe_target(policy):
    state = ObservedState(
        shared_resources=(res(TRUSTED, 1),), endpoints=(managed(config_arn(TRUSTED, 1), state="pending"),)
    )
    assert plan_actions(compile_rules(policy), state, NOW).probe_targets == ()


def test_unshared_managed_endpoint_is_deleted_and_unmanaged_never_touched():
    policy = make_policy(unshare_grace_minutes=0)
    unmanaged = Endpoint("vpce-mine", VPC, "available", config_arn(TRUSTED, 2), tags={"owner": "me"})
    state = ObservedState(endpoints=(managed(config_arn(TRUSTED, 1)), unmanaged))
    plan = plan_actions(compile_rules(policy), state, NOW)
    assert [(a.kind, a.endpoint_id) for a in plan.actions] == [(ActionKind.DELETE_ENDPOINT, "vpce-1")]


def test_unshared_managed_endpoint_is_reported_orphaned_when_deletes_are_off():
    policy = make_policy(delete_endpoints_on_unshare=False)
    plan = plan_actions(
        compile_rules(policy), ObservedState(endpoints=(managed(config_arn(TRUSTED, 1)),)), NOW
    )
    assert plan.actions == ()
    assert [o.endpoint_id for o in plan.orphaned] == ["vpce-1"]


def test_duplicates_keep_the_available_oldest(policy):
    c = config_arn(TRUSTED, 1)
    eps = (
        managed(c, "vpce-b", created_at=NOW),
        managed(c, "vpce-a", created_at=NOW + timedelta(minutes=1)),
        managed(c, "vpce-c", state="pending", created_at=NOW - timedelta(minutes=1)),
    )
    observed = NOW + timedelta(minutes=2)  # after every creation: all three are this run's to judge
    plan = plan_actions(
        compile_rules(policy), ObservedState(shared_resources=(res(TRUSTED, 1),), endpoints=eps), observed
    )
    assert sorted(a.endpoint_id for a in plan.actions) == ["vpce-a", "vpce-c"]
    assert [t.endpoint_id for t in plan.probe_targets] == ["vpce-b"]


def test_failed_endpoint_is_deleted_before_a_new_one_is_made(policy):
    c = config_arn(TRUSTED, 1)
    state = ObservedState(
        shared_resources=(res(TRUSTED, 1),), endpoints=(managed(c, state="failed", last_error="AZ mismatch"),)
    )
    plan = plan_actions(compile_rules(policy), state, NOW)
    (delete,) = plan.actions
    assert delete.kind is ActionKind.DELETE_ENDPOINT and "AZ mismatch" in delete.reason


def test_endpoint_in_another_vpc_is_replaced(policy):
    c = config_arn(TRUSTED, 1)
    state = ObservedState(
        shared_resources=(res(TRUSTED, 1),), endpoints=(managed(c, vpc="vpc-0ffffffffffffffff"),)
    )
    kinds = sorted(a.kind.value for a in plan_actions(compile_rules(policy), state, NOW).actions)
    assert kinds == ["create-endpoint", "delete-endpoint"]


def test_create_token_is_deterministic_and_placement_sensitive(policy):
    c = config_arn(TRUSTED, 1)
    assert create_token(policy.endpoint, c, NOW) == create_token(
        policy.endpoint, c, NOW + timedelta(minutes=59)
    )
    assert create_token(policy.endpoint, c, NOW) != create_token(policy.endpoint, c, NOW + timedelta(hours=1))
    other = make_policy(endpoint={"vpc_id": VPC, "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]})
    assert create_token(policy.endpoint, c, NOW) != create_token(other.endpoint, c, NOW)
    assert len(create_token(policy.endpoint, c, NOW)) <= 64


def test_probe_disabled_means_no_targets():
    policy = make_policy(probe={"enabled": False})
    state = ObservedState(shared_resources=(res(TRUSTED, 1),), endpoints=(managed(config_arn(TRUSTED, 1)),))
    assert plan_actions(compile_rules(policy), state, NOW).probe_targets == ()


# --- properties ------------------------------------------------------------------------------------
ACCOUNTS = st.sampled_from([TRUSTED, OTHER_TRUSTED, UNTRUSTED])
TYPES = st.sampled_from([RCFG, RCFG, RCFG, "ec2:Subnet"])
N = st.integers(min_value=0, max_value=5)


@st.composite
def worlds(draw):
    invitations, pending = [], {}
    for k, (sender, status) in enumerate(
        draw(
            st.lists(
                st.tuples(ACCOUNTS, st.sampled_from(["PENDING", "ACCEPTED", "EXPIRED", "REJECTED"])),
                max_size=5,
            )
        )
    ):
        i = inv(sender, 100 + k, status)
        invitations.append(i)
        if status == "PENDING" and draw(st.booleans()):
            pending[i.arn] = tuple(
                ShareResource(config_arn(owner, n), typ, i.share_arn)
                for owner, n, typ in draw(st.lists(st.tuples(ACCOUNTS, N, TYPES), max_size=3))
            )
    shared = tuple(
        ShareResource(config_arn(owner, n), typ, share_arn(share_owner, n), status)
        for owner, share_owner, n, typ, status in draw(
            st.lists(
                st.tuples(ACCOUNTS, ACCOUNTS, N, TYPES, st.sampled_from(["AVAILABLE", "PENDING"])), max_size=6
            )
        )
    )
    endpoints = []
    for k, (owner, n, is_managed, state, in_vpc) in enumerate(
        draw(
            st.lists(
                st.tuples(
                    ACCOUNTS,
                    N,
                    st.booleans(),
                    st.sampled_from(["available", "pending", "failed", "deleting"]),
                    st.booleans(),
                ),
                max_size=6,
            )
        )
    ):
        c = config_arn(owner, n)
        tags = {MANAGED_TAG: "true", CONFIGURATION_TAG: c} if is_managed else {"team": "x"}
        eid = f"vpce-{k:03d}"
        rows = associations_of(eid, c) if state == "available" else ()
        endpoints.append(
            Endpoint(eid, VPC if in_vpc else "vpc-0ffffffffffffffff", state, c, tags, associations=rows)
        )
    policy = make_policy(
        untrusted_invitations=draw(st.sampled_from(["ignore", "reject"])),
        delete_endpoints_on_unshare=draw(st.booleans()),
        **(
            {"allowed_resource_configuration_arns": [config_arn("*", "1"), config_arn("*", "2")]}
            if draw(st.booleans())
            else {}
        ),
    )
    state = ObservedState(tuple(invitations), pending, shared, tuple(endpoints))
    return policy, state


def _acceptable(policy, arn: str, typ: str, owner: str) -> bool:
    shares = compile_rules(policy).shares
    return (
        shares.trusts(owner)
        and typ == RCFG
        and arn_account(arn) == owner
        and shares.allows_configuration(arn)
    )


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_default_deny_holds_for_accepts_and_creates(world):
    policy, state = world
    plan = plan_actions(compile_rules(policy), state, NOW)
    shares = compile_rules(policy).shares
    by_arn = {i.arn: i for i in state.invitations}
    for a in plan.of_kind(ActionKind.ACCEPT_INVITATION):
        i = by_arn[a.invitation_arn]
        assert i.status == "PENDING" and shares.trusts(i.sender_account_id)
        resources = state.pending_resources[i.arn]
        assert resources and all(
            shares.allows_type(r.type)
            and arn_account(r.arn) == i.sender_account_id
            and shares.allows_configuration(r.arn)
            for r in resources
        )
    creates = plan.of_kind(ActionKind.CREATE_ENDPOINT)
    assert len({a.resource_configuration_arn for a in creates}) == len(creates)
    available = {(r.arn, r.share_arn) for r in state.shared_resources if r.status == "AVAILABLE"}
    for a in creates:
        owner = arn_account(a.share_arn)
        assert _acceptable(policy, a.resource_configuration_arn, RCFG, owner)
        # never created from an invitation's contents: only once RAM lists the configuration AVAILABLE
        assert (a.resource_configuration_arn, a.share_arn) in available


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_only_managed_endpoints_are_deleted_and_live_ones_only_on_unshare_or_duplicates(world):
    policy, state = world
    plan = plan_actions(compile_rules(policy), state, NOW)
    eps = {e.endpoint_id: e for e in state.endpoints}
    deleted = [a.endpoint_id for a in plan.of_kind(ActionKind.DELETE_ENDPOINT)]
    assert len(set(deleted)) == len(deleted)
    for eid in deleted:
        assert eps[eid].managed
        assert eps[eid].state not in {"deleting"}
    if not policy.delete_endpoints_on_unshare:
        # without deletes on unshare, only failed endpoints and duplicates (a kept sibling exists) go
        kept_configs = {t.resource_configuration_arn for t in plan.probe_targets}
        for eid in deleted:
            ep = eps[eid]
            assert ep.state == "failed" or ep.vpc_id == VPC
            assert (
                ep.state == "failed"
                or any(
                    o.endpoint_id != eid
                    and o.managed
                    and o.live
                    and o.vpc_id == VPC
                    and o.managed_configuration_arn == ep.managed_configuration_arn
                    for o in state.endpoints
                )
                or ep.managed_configuration_arn in kept_configs
            )


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_plan_is_deterministic_and_every_decision_has_a_reason(world):
    policy, state = world
    first, second = (
        plan_actions(compile_rules(policy), state, NOW),
        plan_actions(compile_rules(policy), state, NOW),
    )
    assert first == second
    assert all(d.reason for d in first.decisions)
    assert all(a.reason for a in first.actions)
    assert all(
        t.endpoint_id in {e.endpoint_id for e in state.endpoints if e.managed} for t in first.probe_targets
    )
